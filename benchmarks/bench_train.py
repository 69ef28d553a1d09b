"""Benchmark: snnlib's trainer vs a straightforward PyTorch loop on the Figure 1 MNIST shape.

Paper Figure 1 protocol (official code): 6 networks (SNN and BatchNorm at depths 8, 16, 32), width = input size
784, plain SGD, lr 1e-5, batch 128, training loss over the whole training set logged each epoch, 2000 epochs.
The data here are synthetic (60000 x 784 standard normal inputs, 10 random classes): only the speed is measured.
See chapter "Training deep networks: Figure 1".

Both contenders do the same work per epoch: log the full-training-set loss (training mode), then one pass of
mini-batch SGD updates. The baseline follows the official PyTorch tutorial: a ``DataLoader`` over a
``TensorDataset`` in host memory, one model at a time, ``.to(device)`` per batch and ``loss.item()`` per step.
FLOPs are counted as 6 · params · samples (forward + backward of the updates; the logging pass is not counted).

    python benchmarks/bench_train.py --device auto --epochs 2 --json results/bench/bench_train_h100.json
    python benchmarks/bench_train.py --device cpu --subset 512 --epochs 1     # quick check on a CPU
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import torch
from torch.nn import functional as F

from snnlib.models import build_model, count_params
from snnlib.reproducibility import write_json_atomic
from snnlib.train import (
    Member,
    TrainConfig,
    build_networks,
    device_name,
    pick_device,
    result_document,
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


def time_snnlib(X: torch.Tensor, y: torch.Tensor, sweep: list[Member], args: argparse.Namespace) -> float:
    """Seconds for ``args.epochs`` timed epochs of all networks with :func:`snnlib.train.train_networks`."""
    config = TrainConfig(epochs=args.warmup + args.epochs, batch_size=args.batch_size, device=args.device,
                         progress=False, compile=args.compile, cuda_graph=not args.no_cuda_graph)
    total = 0.0
    for net, idx in build_networks(sweep, N_IN, N_CLASSES):
        marks: dict[int, float] = {}
        train_networks(net, [sweep[i].lr for i in idx], X, y, config,
                       callback=lambda epoch, _res: marks.__setitem__(epoch, time.perf_counter()))
        total += marks[args.warmup + args.epochs] - marks[args.warmup]
        del net
    return total


def time_baseline(X: torch.Tensor, y: torch.Tensor, sweep: list[Member], args: argparse.Namespace) -> float:
    """Seconds for ``args.epochs`` timed epochs of the tutorial-style loop, one model after the other."""
    device = pick_device(args.device)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=args.batch_size,
                                         shuffle=True)
    eval_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=10_000)
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


def report(name: str, seconds: float, sweep: list[Member], args: argparse.Namespace) -> dict[str, Any]:
    params = [count_params(build_model(m.family, N_IN, N_CLASSES, m.depth, m.width)) for m in sweep]
    samples = args.subset * args.epochs
    flops = sum(6 * p * samples for p in params)
    projected = seconds / samples * N_TRAIN * FULL_EPOCHS
    return {"method": name, "seconds": seconds, "samples_per_s": len(sweep) * samples / seconds,
            "tflops": flops / seconds / 1e12, "projected_full_protocol_s": projected}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed warm-up epochs (>= 1)")
    parser.add_argument("--subset", type=int, default=N_TRAIN, help="samples per epoch used for timing")
    parser.add_argument("--depths", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--tf32", action="store_true", help="allow TF32 matmuls (default off: float32 fidelity)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the stacked networks")
    parser.add_argument("--no-cuda-graph", action="store_true", help="disable CUDA-graph replay of the step")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--json", default=None, help="write the results (with provenance) to this JSON file")
    args = parser.parse_args(argv)
    for name in ("epochs", "warmup", "subset", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    try:
        device = pick_device(args.device)
    except ValueError as exc:
        parser.error(str(exc))
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    X, y = synthetic(args.subset)
    sweep = members(args.depths, N_IN, args.lr)
    print(f"device: {device_name(device)}  torch {torch.__version__}  subset {args.subset}  "
          f"epochs {args.epochs} (+{args.warmup} warm-up)  tf32 {args.tf32}", flush=True)
    rows = [report("snnlib (stacked)", time_snnlib(X, y, sweep, args), sweep, args)]
    if not args.skip_baseline:
        rows.append(report("PyTorch tutorial loop", time_baseline(X, y, sweep, args), sweep, args))
    print(f"{'method':<24}{'samples/s':>12}{'TFLOP/s':>10}{'full protocol (h)':>20}")
    for r in rows:
        print(f"{r['method']:<24}{r['samples_per_s']:>12.0f}{r['tflops']:>10.3f}"
              f"{r['projected_full_protocol_s'] / 3600:>20.2f}")
    speedup = rows[1]["seconds"] / rows[0]["seconds"] if len(rows) > 1 else None
    if speedup is not None:
        print(f"speed-up of snnlib over the baseline: {speedup:.2f}x")
    if args.json:
        config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, device=args.device, progress=False,
                             compile=args.compile, cuda_graph=not args.no_cuda_graph)
        doc = result_document("bench_train", config, [], sum(r["seconds"] for r in rows),
                              extra={"args": vars(args), "rows": rows, "speedup": speedup,
                                     "members": [m.label for m in sweep]})
        print(f"wrote {write_json_atomic(args.json, doc)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
