"""``python -m snnlib figure1``: paper Figure 1, training loss of SNN vs BatchNorm FNNs at several depths
(:func:`snnlib.figure1.run_figure1`; chapter "Training deep networks: Figure 1").

    python -m snnlib figure1 --dataset mnist --out results/figure1      # the official protocol on MNIST
    python -m snnlib figure1 --dataset digits --threads 1 --out DIR     # the CPU stand-in, seconds

The result is <out>/figure1_<dataset>.json; a run checkpoints into <out>/checkpoints (--checkpoint-every) and a rerun
of the same command resumes; an interrupted run keeps the curves so far in <out>/figure1_<dataset>.partial.json.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from snnlib.cli import CommandError, Interrupted, UsageError, integer, log_to_stderr, number, output_path, write_result

HELP = "Figure 1: training loss of SNN vs BatchNorm at several depths"
OUT_OF_MEMORY = "smaller --width, fewer --depths or --seeds?"
#: The data sets and precisions of :mod:`snnlib.figure1` and :data:`snnlib.train.PRECISIONS`, named here so that
#: parsing imports no torch (a test checks that they agree).
DATASETS = ("cifar10", "digits", "mnist", "mnist10k")
PRECISIONS = ("fp32", "tf32")
#: Largest learning rate: the summed loss of a batch of 128 at lr 1e4 already diverges in the first epoch.
MAX_LR = 1e4


def device(text: str) -> str:
    """An argparse type: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (torch's other devices cannot train)."""
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"must be auto, cpu, cuda, cuda:N or mps, got {text!r}")
    return text


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--depths", type=integer(1, 1024), nargs="+", default=[8, 16, 32], help="hidden layers, 1-1024")
    p.add_argument("--epochs", type=integer(1, 10**6), default=None,
                   help="default: 2000 (mnist, mnist10k, cifar10), 20 (digits)")
    p.add_argument("--lr", type=number(0, MAX_LR, low_open=True), default=None,
                   help="learning rate of the summed mini-batch loss, in (0, 1e4]; default: 1e-5 (mnist, mnist10k, "
                        "cifar10), 3e-4 (digits)")
    p.add_argument("--batch-size", type=integer(2, 10**6), default=None,
                   help="default: 128 (mnist, mnist10k, cifar10), 64 (digits)")
    p.add_argument("--width", type=integer(1, 10**5), default=None, help="default: number of input features")
    p.add_argument("--seeds", type=integer(0, 2**63 - 1), nargs="+", default=[0], help="initialisation seeds")
    p.add_argument("--data-seed", type=integer(0, 2**32 - 1), default=0,
                   help="seed of the split and of the mini-batch order")
    p.add_argument("--data-dir", type=output_path, default=None,
                   help="folder of the downloaded data files (default: $SNNLIB_DATA or ~/.cache/snnlib)")
    p.add_argument("--device", type=device, default="auto", help="auto, cpu, cuda, cuda:N, mps")
    p.add_argument("--checkpoint-every", type=integer(0, 10**6), default=None,
                   help="epochs between checkpoints in <out>/checkpoints (0: none; default 50 for mnist, mnist10k "
                        "and cifar10, 0 for digits); a rerun of the same command resumes from the last one")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32",
                   help="CUDA matrix products: fp32 (default, for fidelity) or tf32 (TensorFloat-32 tensor "
                        "cores, 10-bit mantissa); recorded in the result")
    p.add_argument("--no-cuda-graph", action="store_true",
                   help="CUDA: launch every kernel of a step instead of replaying the step as a CUDA graph")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--threads", type=integer(1, 4096), default=None,
                   help="CPU threads for torch (1 is fastest for digits)")
    p.add_argument("--out", type=output_path, required=True,
                   help="output folder; the result is <out>/figure1_<dataset>.json")


def _resume_hint(exc: KeyboardInterrupt, checkpoint_every: int, out: Path) -> str:
    from snnlib.train import TrainingInterrupted

    if not checkpoint_every:
        return "no checkpoints were kept (--checkpoint-every 0)"
    if isinstance(exc, TrainingInterrupted) and exc.saved_epoch:
        return f"rerun the same command to resume from epoch {exc.saved_epoch} (checkpoint {exc.checkpoint})"
    if isinstance(exc, TrainingInterrupted):
        return (f"interrupted before this run's first checkpoint (every {checkpoint_every} epochs): a rerun starts "
                "over")
    # while loading data or building the networks: this sweep's checkpoint is not known yet
    return (f"interrupted before training began; a rerun resumes from this sweep's checkpoint in "
            f"{out / 'checkpoints'} if an earlier run left one")


def run(args: argparse.Namespace) -> int:
    from snnlib import figure1
    from snnlib.files import check_writable

    prog = args.prog
    out = Path(args.out)
    checkpoint_every = args.checkpoint_every
    if checkpoint_every is None:
        checkpoint_every = figure1.FIGURE1_DEFAULTS[args.dataset]["checkpoint_every"]
    try:
        check_writable(out / f"figure1_{args.dataset}.json")
        if checkpoint_every:
            check_writable(out / "checkpoints" / "sweep.pt", "--out (its checkpoints folder)")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    from snnlib.data import DatasetUnavailable
    from snnlib.train import CheckpointError

    log_to_stderr()
    try:
        doc = figure1.run_figure1(args.dataset, args.depths, args.epochs, args.lr, args.batch_size, args.width,
                                  args.seeds, args.device, checkpoint_every, out / "checkpoints",
                                  not args.no_progress, args.data_seed, args.precision, args.data_dir,
                                  not args.no_cuda_graph)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except DatasetUnavailable as exc:  # not a usage error: one line, exit status 1
        raise CommandError(f"{exc} For figure1 without a download: --dataset digits.") from None
    except CheckpointError as exc:
        raise CommandError(str(exc)) from None
    except KeyboardInterrupt as exc:
        resume = _resume_hint(exc, checkpoint_every, out)
        partial = getattr(exc, "document", None)
        if partial is not None and len(partial["records"][0]["loss"]) > 1:  # at least one epoch trained
            path, ok = write_result(out / f"figure1_{args.dataset}.partial.json", partial, prog)
            if ok:
                resume += (f"; the curves of the {partial['records'][0]['segments'][-1]['last_epoch']} epochs "
                           f"trained are in {path}")
        raise Interrupted(resume) from None
    report = figure1.diverged_report(doc)
    if report:
        print(report)
    path, ok = write_result(out / f"figure1_{args.dataset}.json", doc, prog)
    if ok:
        print(f"wrote {path} ({doc['wall_time_s']:.1f} s on {doc['provenance']['device']})")
        stale = out / f"figure1_{args.dataset}.partial.json"
        if stale.is_file():
            stale.unlink()
            print(f"removed {stale} (an interrupted run's curves, now complete in {path.name})")
    return 0 if ok else 1

