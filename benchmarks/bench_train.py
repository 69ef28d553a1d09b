"""Benchmark: snnlib's trainer vs a straightforward PyTorch loop on the Figure 1 MNIST shape.

Paper Figure 1 protocol (official code): 6 networks (SNN and BatchNorm at depths 8, 16, 32), width = input size
784, plain SGD, lr 1e-5, batch 128, training loss over the training set logged each epoch, 2000 epochs.
The data here are synthetic (60000 x 784 standard normal inputs, 10 random classes): only the speed is measured.
See chapter "Training deep networks: Figure 1".

Both contenders do the same work per epoch, as the official code: log the training-set loss (training mode,
in full batch-size chunks), then one pass of SGD updates on full mini-batches. The baseline follows the
official PyTorch tutorial: a ``DataLoader`` over a ``TensorDataset`` in host memory, one model at a time,
``.to(device)`` per batch and ``loss.item()`` per step.
FLOPs are counted as 6 · params · samples (forward + backward of the updates; the logging pass is not counted).

    python benchmarks/bench_train.py --device cuda --variants fp32 streams streams+tf32 --baseline-subset 20000 \
        --json results/gpu/bench_train.json
    python benchmarks/bench_train.py --device cpu --subset 2048 --epochs 2 --repeat 3   # the same race on a CPU
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import torch
from torch.nn import functional as F

from snnlib._cli import device_and_output
from snnlib._validate import is_out_of_memory
from snnlib.models import build_model, count_params
from snnlib.reproducibility import write_json_atomic
from snnlib.train import (
    Member,
    TrainConfig,
    device_name,
    pick_device,
    result_document,
    sweep_network,
    synchronize,
    train_networks,
)

N_TRAIN, N_IN, N_CLASSES, FULL_EPOCHS = 60_000, 784, 10, 2000


def synthetic(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n standard normal inputs of 784 features and uniformly random labels of 10 classes (CPU tensors)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, N_IN, generator=gen), torch.randint(0, N_CLASSES, (n,), generator=gen)


def members(depths: list[int], width: int, lr: float) -> list[Member]:
    return [Member(fam, d, width, seed=i, lr=lr) for i, (d, fam) in
            enumerate((d, f) for d in depths for f in ("SNN", "BatchNorm"))]


#: Trainer variants (``--variants``): TrainConfig switches on top of the defaults (stacked, one CUDA graph).
VARIANTS: dict[str, dict[str, Any]] = {
    "fp32": {}, "streams": {"streams": True}, "tf32": {"tf32": True}, "streams+tf32": {"streams": True, "tf32": True},
    "no-stack": {"stack": False}, "no-graph": {"cuda_graph": False}, "compile": {"compile": True, "cuda_graph": False},
    "streams+no-stack": {"streams": True, "stack": False},
    "streams+no-stack+tf32": {"streams": True, "stack": False, "tf32": True},
    "compile+graph": {"compile": True},
    "autotune+graph": {"compile": True, "compile_mode": "max-autotune-no-cudagraphs"},
    "autotune+graph+tf32": {"compile": True, "compile_mode": "max-autotune-no-cudagraphs", "tf32": True},
    "autotune+streams+tf32": {"compile": True, "compile_mode": "max-autotune-no-cudagraphs", "streams": True,
                              "tf32": True},
}


def train_config(args: argparse.Namespace, epochs: int, variant: str = "fp32") -> TrainConfig:
    return TrainConfig(**{"epochs": epochs, "batch_size": args.batch_size, "device": args.device, "progress": False,
                          "eval_batch_size": args.batch_size, "drop_last": True, **VARIANTS[variant]})


def time_snnlib(X: torch.Tensor, y: torch.Tensor, sweep: list[Member], args: argparse.Namespace,
                variant: str) -> float:
    """Seconds for ``args.epochs`` timed epochs of all networks at once with :func:`snnlib.train.train_networks`
    (the whole sweep as one :class:`snnlib.train.UnitStack`, as :func:`snnlib.train.train_sweep` trains it)."""
    config = train_config(args, args.warmup + args.epochs, variant)
    net, order, _ = sweep_network(sweep, N_IN, N_CLASSES, config)
    marks: dict[int, float] = {}
    train_networks(net, [sweep[i].lr for i in order], X, y, config,
                   callback=lambda epoch, _res: marks.__setitem__(epoch, time.perf_counter()))
    return marks[args.warmup + args.epochs] - marks[args.warmup]


def time_baseline(X: torch.Tensor, y: torch.Tensor, sweep: list[Member], args: argparse.Namespace) -> float:
    """Seconds for ``args.epochs`` timed epochs of the tutorial-style loop, one model after the other."""
    device = pick_device(args.device)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=args.batch_size,
                                         shuffle=True, drop_last=True)
    eval_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=args.batch_size,
                                              drop_last=True)
    total = 0.0
    for m in sweep:
        torch.manual_seed(m.seed)
        model = build_model(m.family, N_IN, N_CLASSES, m.depth, m.width).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=m.lr)
        for epoch in range(args.warmup + args.epochs):
            if epoch == args.warmup:
                synchronize(device)
                t0 = time.perf_counter()
            model.train()
            with torch.no_grad():  # the Figure 1 protocol's per-epoch training loss
                sum(F.cross_entropy(model(xb.to(device)), yb.to(device), reduction="sum").item()
                    for xb, yb in eval_loader)
            for xb, yb in loader:
                xb, yb = xb.to(device), yb.to(device)
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                loss.item()
        synchronize(device)
        total += time.perf_counter() - t0
        del model, opt
    return total


def report(name: str, seconds: float, sweep: list[Member], args: argparse.Namespace, subset: int) -> dict[str, Any]:
    """One row: samples/s over all networks, achieved TFLOP/s (6·params·samples) and the projected duration
    of the full protocol (60000 samples × 2000 epochs, all networks)."""
    params = [count_params(build_model(m.family, N_IN, N_CLASSES, m.depth, m.width)) for m in sweep]
    samples = subset * args.epochs
    flops = sum(6 * p * samples for p in params)
    return {"method": name, "seconds": seconds, "samples": samples, "seconds_per_sample": seconds / samples,
            "samples_per_s": len(sweep) * samples / seconds, "tflops": flops / seconds / 1e12,
            "projected_full_protocol_s": seconds / samples * N_TRAIN * FULL_EPOCHS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed warm-up epochs (>= 1)")
    parser.add_argument("--subset", type=int, default=N_TRAIN, help="samples per epoch used for timing")
    parser.add_argument("--baseline-subset", type=int, default=None,
                        help="samples per epoch for the (slow) baseline loop; default: --subset")
    parser.add_argument("--depths", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--variants", nargs="+", default=["fp32"], choices=sorted(VARIANTS),
                        help="snnlib trainer variants to time (tf32: TensorFloat-32 matmuls; streams: one CUDA "
                             "stream per depth). The baseline runs in each precision a variant uses.")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time every contender this many times, interleaved; rows report the median")
    parser.add_argument("--json", default=None, help="write the results (with provenance) to this JSON file")
    args = parser.parse_args(argv)
    if args.baseline_subset is None:
        args.baseline_subset = args.subset
    for name in ("epochs", "warmup", "subset", "batch_size", "baseline_subset", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if min(args.subset, args.baseline_subset) < args.batch_size:
        parser.error(f"--subset and --baseline-subset must be >= --batch-size ({args.batch_size}): only full "
                     f"batches are fed, got {args.subset} and {args.baseline_subset}")
    if not args.lr > 0 or any(d < 1 for d in args.depths):
        parser.error(f"--lr must be > 0 and --depths >= 1, got {args.lr} and {args.depths}")
    for name in ("depths", "variants"):
        if len(set(getattr(args, name))) != len(getattr(args, name)):
            parser.error(f"--{name} must be distinct, got {getattr(args, name)}")
    device = device_and_output(parser, args.device, args.json)
    n = max(args.subset, args.baseline_subset)
    try:
        X, y = synthetic(n)
    except (MemoryError, RuntimeError) as exc:
        if not is_out_of_memory(exc):
            raise
        parser.error(f"--subset/--baseline-subset: {n} synthetic samples ({n * N_IN * 4 / 2**30:.1f} GiB of "
                     "float32 inputs) do not fit in this machine's memory")
    sweep = members(args.depths, N_IN, args.lr)
    print(f"device: {device_name(device)}  torch {torch.__version__}  subset {args.subset} (baseline "
          f"{args.baseline_subset})  epochs {args.epochs} (+{args.warmup} warm-up)", flush=True)
    precisions = sorted({"tf32" if VARIANTS[v].get("tf32") else "fp32" for v in args.variants})
    contenders = [(f"snnlib {v}", v) for v in args.variants]
    if not args.skip_baseline:
        contenders += [(f"PyTorch tutorial loop {p}", p) for p in precisions]
    times: dict[str, list[float]] = {name: [] for name, _ in contenders}
    errors: dict[str, str] = {}
    for rep in range(args.repeat):  # interleaved, so slow drifts of the machine hit every contender alike
        for name, what in contenders:
            if name in errors:
                continue
            try:  # a contender that fails (e.g. a variant the device cannot run) must not cost the others
                if name.startswith("snnlib"):
                    seconds = time_snnlib(X[:args.subset], y[:args.subset], sweep, args, what)
                else:
                    torch.set_float32_matmul_precision("high" if what == "tf32" else "highest")
                    seconds = time_baseline(X[:args.baseline_subset], y[:args.baseline_subset], sweep, args)
            except Exception as exc:  # noqa: BLE001 - recorded in the result and reported, then the race goes on
                errors[name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
                print(f"  run {rep + 1}/{args.repeat} {name}: FAILED ({errors[name]})", flush=True)
                continue
            finally:
                torch.set_float32_matmul_precision("highest")
            times[name].append(seconds)
            print(f"  run {rep + 1}/{args.repeat} {name}: {seconds:.2f} s", flush=True)
    rows = []
    for name, what in contenders:
        is_snnlib = name.startswith("snnlib")
        precision = ("tf32" if VARIANTS[what].get("tf32") else "fp32") if is_snnlib else what
        if name in errors:
            rows.append({"method": name, "precision": precision, "error": errors[name]})
            continue
        subset = args.subset if is_snnlib else args.baseline_subset
        rows.append(report(name, statistics.median(times[name]), sweep, args, subset))
        rows[-1]["precision"] = precision
        rows[-1]["all_seconds"] = times[name]
    timed = [r for r in rows if "error" not in r]
    base = {r["precision"]: r for r in timed if r["method"].startswith("PyTorch")}
    print(f"{'method':<34}{'samples/s':>12}{'TFLOP/s':>10}{'full protocol (h)':>20}{'speed-up':>10}")
    for r in rows:
        if "error" in r:
            print(f"{r['method']:<34}  failed: {r['error']}")
            continue
        if r["precision"] in base:
            r["speedup"] = base[r["precision"]]["seconds_per_sample"] / r["seconds_per_sample"]
        speedup = f"{r['speedup']:.2f}x" if "speedup" in r else "-"
        print(f"{r['method']:<34}{r['samples_per_s']:>12.0f}{r['tflops']:>10.3f}"
              f"{r['projected_full_protocol_s'] / 3600:>20.2f}{speedup:>10}")
    if args.json:
        doc = result_document("bench_train", train_config(args, args.epochs), [], sum(r["seconds"] for r in timed),
                              extra={"args": vars(args), "rows": rows, "members": [m.label for m in sweep]})
        print(f"wrote {write_json_atomic(args.json, doc)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
