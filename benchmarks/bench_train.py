"""Benchmark: snnlib's trainer vs a straightforward PyTorch loop on the Figure 1 MNIST shape.

Paper Figure 1 protocol (official code): 6 networks (SNN and BatchNorm at depths 8, 16, 32), width = input size
784, plain SGD on the summed loss, lr 1e-5, batch 128, the training loss over the training set logged each epoch,
2000 epochs of the 50,000 training images. The data here are synthetic (standard normal inputs, 10 random classes):
only the speed is measured. See chapter "Training deep networks: Figure 1".

Every contender does the same work per epoch, as the official code: log the training-set loss (training mode, in
full batch-size chunks), then one pass of SGD steps on full mini-batches. The two are timed apart:

* ``ms_per_step``: one SGD step of all six networks (the targets of issue "Figure 1 for real": <= 1.0 ms with
  TF32, <= 2.5 ms in FP32 on one H100/H200, >= 20x the plain loop);
* ``log_s_per_epoch``: the loss log over the 50,000 training images (scaled from the subset timed);
* ``projected_full_protocol_s``: 2000 x (390 steps + one log), plus the final log.

The baseline follows the official PyTorch tutorial: a ``DataLoader`` over a ``TensorDataset`` in host memory, one
model at a time, ``.to(device)`` per batch and ``loss.item()`` per step. FLOPs are counted as 6 · params · samples
for the steps. Variants of snnlib (``--variants``): the matrix-product precision (fp32, tf32), ``no-graph``
(every kernel launched from Python) and ``autograd`` (the reference path: autograd, one module at a time).

    python benchmarks/bench_train.py --device cuda --variants fp32 tf32 fp32+no-graph fp32+autograd tf32+autograd \
        --json results/gpu/bench_train.json
    python benchmarks/bench_train.py --device cpu --subset 1280 --epochs 2 --repeat 3   # the same race on a CPU
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import torch
from torch.nn import functional as F

from snnlib.cli import device_and_output
from snnlib.errors import is_out_of_memory
from snnlib.files import write_json_atomic
from snnlib.models import build_model, count_params
from snnlib.train import (
    PRECISIONS,
    Member,
    TrainConfig,
    build_networks,
    device_name,
    pick_device,
    result_document,
    synchronize,
    train_models,
)

#: The official MNIST protocol the projection is for: training images, input features, classes, epochs.
N_TRAIN, N_IN, N_CLASSES, FULL_EPOCHS = 50_000, 784, 10, 2000


def synthetic(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n standard normal inputs of 784 features and uniformly random labels of 10 classes (CPU tensors)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, N_IN, generator=gen), torch.randint(0, N_CLASSES, (n,), generator=gen)


def members(depths: list[int], width: int, lr: float) -> list[Member]:
    return [Member(fam, d, width, seed=i, lr=lr, output_init="glorot_uniform") for i, (d, fam) in
            enumerate((d, f) for d in depths for f in ("SNN", "BatchNorm"))]


def variant_settings(variant: str) -> dict[str, Any]:
    """``'<precision>[+no-graph][+autograd]'`` as TrainConfig settings; ValueError for anything else."""
    precision, *flags = variant.split("+")
    if precision not in PRECISIONS or not set(flags) <= {"no-graph", "autograd"} or len(set(flags)) < len(flags):
        raise ValueError(f"variant must be <precision>[+no-graph][+autograd] with precision one of "
                         f"{tuple(PRECISIONS)}, got {variant!r}")
    return {"precision": precision, "cuda_graph": "no-graph" not in flags, "stack": "autograd" not in flags}


def time_snnlib(X: torch.Tensor, y: torch.Tensor, sweep: list[Member], args: argparse.Namespace,
                variant: str) -> tuple[float, float]:
    """Seconds of SGD steps and seconds of loss logs over ``args.epochs`` timed epochs of all networks trained
    together by :func:`snnlib.train.train_models` (after ``args.warmup`` untimed epochs)."""
    config = TrainConfig(epochs=args.warmup + args.epochs, batch_size=args.batch_size, device=args.device,
                         progress=False, eval_batch_size=args.batch_size, drop_last=True, **variant_settings(variant))
    marks: dict[int, tuple[float, float]] = {}
    train_models(build_networks(sweep, N_IN, N_CLASSES), [m.lr for m in sweep], X, y, config,
                 callback=lambda epoch, res: marks.__setitem__(epoch, (time.perf_counter(), res.log_time_s)))
    (t0, log0), (t1, log1) = marks[args.warmup], marks[args.warmup + args.epochs]
    return t1 - t0 - (log1 - log0), log1 - log0


def time_baseline(X: torch.Tensor, y: torch.Tensor, sweep: list[Member], args: argparse.Namespace) -> tuple[float,
                                                                                                               float]:
    """Seconds of SGD steps and of loss logs over ``args.epochs`` timed epochs of the tutorial-style loop, one
    model after the other."""
    device = pick_device(args.device)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=args.batch_size,
                                         shuffle=True, drop_last=True)
    eval_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=args.batch_size,
                                              drop_last=True)
    steps = logs = 0.0
    for m, model in zip(sweep, build_networks(sweep, N_IN, N_CLASSES)):
        model = model.to(device)
        opt = torch.optim.SGD(model.parameters(), lr=m.lr)
        for epoch in range(args.warmup + args.epochs):
            synchronize(device)
            t0 = time.perf_counter()
            model.train()
            with torch.no_grad():  # the Figure 1 protocol's per-epoch training loss
                sum(F.cross_entropy(model(xb.to(device)), yb.to(device), reduction="sum").item()
                    for xb, yb in eval_loader)
            synchronize(device)
            t1 = time.perf_counter()
            for xb, yb in loader:
                xb, yb = xb.to(device), yb.to(device)
                loss = F.cross_entropy(model(xb), yb, reduction="sum")
                opt.zero_grad()
                loss.backward()
                opt.step()
                loss.item()
            synchronize(device)
            if epoch >= args.warmup:
                logs += t1 - t0
                steps += time.perf_counter() - t1
        del model, opt
    return steps, logs


def report(name: str, step_s: float, log_s: float, sweep: list[Member], args: argparse.Namespace,
           subset: int) -> dict[str, Any]:
    """One row: ms per step of all networks, the log's seconds per epoch of 50,000 images, samples/s and
    TFLOP/s of the steps (6·params·samples) and the projected duration of the official MNIST protocol."""
    params = [count_params(build_model(m.family, N_IN, N_CLASSES, m.depth, m.width)) for m in sweep]
    n_steps = subset // args.batch_size * args.epochs
    ms_per_step = step_s / n_steps * 1e3
    log_s_per_epoch = log_s / (args.epochs * (subset - subset % args.batch_size)) * N_TRAIN
    samples = n_steps * args.batch_size
    protocol_steps = FULL_EPOCHS * (N_TRAIN // args.batch_size)
    return {"method": name, "seconds": step_s + log_s, "step_seconds": step_s, "log_seconds": log_s,
            "steps": n_steps, "ms_per_step": ms_per_step, "log_s_per_epoch": log_s_per_epoch,
            "samples_per_s": len(sweep) * samples / step_s,
            "tflops": sum(6 * p * samples for p in params) / step_s / 1e12,
            "projected_full_protocol_s": protocol_steps * ms_per_step / 1e3 + (FULL_EPOCHS + 1) * log_s_per_epoch}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed warm-up epochs (>= 1)")
    parser.add_argument("--subset", type=int, default=12_800, help="samples per epoch used for timing")
    parser.add_argument("--baseline-subset", type=int, default=None,
                        help="samples per epoch for the (slow) baseline loop; default: --subset")
    parser.add_argument("--depths", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--variants", nargs="+", default=["fp32"],
                        help="snnlib variants: <precision>[+no-graph][+autograd], precision fp32 or tf32. "
                             "The baseline runs in each precision a variant uses.")
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
    for variant in args.variants:
        try:
            variant_settings(variant)
        except ValueError as exc:
            parser.error(f"--variants: {exc}")
    device = device_and_output(parser, args.device, args.json)
    args.protocol_n_train = N_TRAIN  # recorded: what the projection is for
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
    precisions = sorted({variant_settings(v)["precision"] for v in args.variants})
    contenders = [(f"snnlib {v}", v) for v in args.variants]
    if not args.skip_baseline:
        contenders += [(f"PyTorch tutorial loop {p}", p) for p in precisions]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in contenders}
    errors: dict[str, str] = {}
    for rep in range(args.repeat):  # interleaved, so slow drifts of the machine hit every contender alike
        for name, what in contenders:
            if name in errors:
                continue
            try:  # a contender that fails (e.g. a variant the device cannot run) must not cost the others
                if name.startswith("snnlib"):
                    timing = time_snnlib(X[:args.subset], y[:args.subset], sweep, args, what)
                else:
                    torch.set_float32_matmul_precision(PRECISIONS[what])
                    timing = time_baseline(X[:args.baseline_subset], y[:args.baseline_subset], sweep, args)
            except Exception as exc:  # noqa: BLE001 - recorded in the result and reported, then the race goes on
                errors[name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
                print(f"  run {rep + 1}/{args.repeat} {name}: FAILED ({errors[name]})", flush=True)
                continue
            finally:
                torch.set_float32_matmul_precision("highest")
            times[name].append(timing)
            print(f"  run {rep + 1}/{args.repeat} {name}: steps {timing[0]:.3f} s, log {timing[1]:.3f} s", flush=True)
    rows = []
    for name, what in contenders:
        is_snnlib = name.startswith("snnlib")
        precision = variant_settings(what)["precision"] if is_snnlib else what
        if name in errors:
            rows.append({"method": name, "precision": precision, "error": errors[name]})
            continue
        subset = args.subset if is_snnlib else args.baseline_subset
        steps = statistics.median(t[0] for t in times[name])
        logs = statistics.median(t[1] for t in times[name])
        rows.append(report(name, steps, logs, sweep, args, subset))
        rows[-1]["precision"] = precision
        rows[-1]["all_seconds"] = [list(t) for t in times[name]]
    timed = [r for r in rows if "error" not in r]
    base = {r["precision"]: r for r in timed if r["method"].startswith("PyTorch")}
    print(f"{'method':<30}{'ms/step':>10}{'log s/epoch':>13}{'TFLOP/s':>10}{'protocol (min)':>16}{'speed-up':>10}")
    for r in rows:
        if "error" in r:
            print(f"{r['method']:<30}  failed: {r['error']}")
            continue
        if r["precision"] in base:
            r["speedup"] = base[r["precision"]]["ms_per_step"] / r["ms_per_step"]
        speedup = f"{r['speedup']:.2f}x" if "speedup" in r else "-"
        print(f"{r['method']:<30}{r['ms_per_step']:>10.3f}{r['log_s_per_epoch']:>13.3f}{r['tflops']:>10.2f}"
              f"{r['projected_full_protocol_s'] / 60:>16.1f}{speedup:>10}")
    if device.type == "cuda":  # the targets are for one H100/H200
        for r in timed:
            if r["method"].startswith("snnlib") and r["precision"] in ("fp32", "tf32"):
                target = 1.0 if r["precision"] == "tf32" else 2.5
                verdict = "met" if r["ms_per_step"] <= target and r.get("speedup", 0) >= 20 else "missed"
                print(f"target for {r['method']}: <= {target} ms/step and >= 20x the plain loop: {verdict}")
    if args.json:
        config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, device=args.device, progress=False,
                             eval_batch_size=args.batch_size, drop_last=True)
        doc = result_document("bench_train", config, [], sum(r["seconds"] for r in timed),
                              extra={"args": vars(args), "rows": rows, "members": [m.label for m in sweep]})
        print(f"wrote {write_json_atomic(args.json, doc)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
