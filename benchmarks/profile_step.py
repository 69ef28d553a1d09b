"""Profile one training step of the Figure 1 sweep: where the time of a step goes, kernel by kernel.

The race in ``bench_train.py`` says *how fast* the trainer is; this script says *why*. It builds the six networks
of paper Figure 1 (SNN and BatchNorm at depths 8, 16, 32, width 784, batch 128) exactly as the trainer does (one
:class:`snnlib.mlpstack.MLPStack`; ``--autograd``: the reference path), runs the trainer's own step (the step
runner of :func:`snnlib.train.train_models`) and reports

* the wall time per step: eager, and on CUDA replayed as one CUDA graph (the trainer's default);
* the kernels per step (on a CPU: operator calls) and the device time they take, by category (matrix products,
  batch norm, element-wise, reductions, optimizer, other), and the busiest kernels by name;
* the floating-point work per step and the fraction of the step the device is busy.

On a GPU the kernel names show what the matrix library picked (tile shapes, split-K), which is the evidence
needed to decide what to fuse or split next. See chapter "Training deep networks: Figure 1".

    python benchmarks/profile_step.py --device cuda --json results/gpu/profile_step.json
    python benchmarks/profile_step.py --device cpu --depths 2 4 --width 64 --steps 3   # a quick look on a CPU
    python benchmarks/profile_step.py --device cuda --autograd   # the reference path, for comparison
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Any

import torch
from torch.autograd import DeviceType
from torch.profiler import ProfilerActivity, profile

from snnlib.cli import device_and_output
from snnlib.files import write_json_atomic
from snnlib.train import (
    PRECISIONS,
    Member,
    TrainConfig,
    _Steps,
    build_networks,
    build_units,
    device_name,
    result_document,
    synchronize,
)

#: Kernel/operator name patterns of each category, tried in this order (first match wins).
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("matmul", r"gemm|gemv|xmma|cutlass|bmm|addmm|\bmm\b|matmul|sm\d\d_|ampere_|hopper|cublas"),
    ("batch_norm", r"batch_?norm|welford"),
    ("optimizer", r"foreach|multi_tensor|sub_"),
    ("activation", r"elu|threshold|relu|clamp"),
    ("reduction", r"reduce|sum|mean|softmax|log_softmax|nll|argmax"),
    ("elementwise", r"elementwise|vectorized|unrolled|where|mul|add|copy|fill|cat|scatter|index|isfinite|logical"),
)


def category(name: str) -> str:
    """The category of a kernel or operator name (see :data:`CATEGORIES`), else ``'other'``."""
    low = name.lower()
    for cat, pattern in CATEGORIES:
        if re.search(pattern, low):
            return cat
    return "other"


def members(depths: list[int], width: int) -> list[Member]:
    return [Member(fam, d, width, seed=i, lr=1e-5, output_init="glorot_uniform") for i, (d, fam) in
            enumerate((d, f) for d in depths for f in ("SNN", "BatchNorm"))]


def build(args: argparse.Namespace, device: torch.device, graph: bool) -> tuple[_Steps, int]:
    """The sweep's step runner on ``device`` over synthetic data of ``steps + warmup`` mini-batches (taken in
    order), and the flop count of one step (6 x trainable parameters x batch)."""
    models = build_networks(members(args.depths, args.width), args.width, 10)
    units = build_units(models, stack=not args.autograd)
    for unit, idx in units:
        unit.to(device)
        unit.set_lr(torch.full((len(idx),), 1e-5, device=device))
    n = args.batch_size * (args.steps + args.warmup)
    gen = torch.Generator().manual_seed(0)
    XT = torch.randn(args.width, n, generator=gen).to(device)
    y = torch.randint(0, 10, (n,), generator=gen).to(device)
    steps = _Steps([u for u, _ in units], XT, y, args.batch_size, device, True, graph)
    steps.order.copy_(torch.arange(n, device=device).view(-1, args.batch_size))
    params = sum(p.numel() for m in models for p in m.parameters())
    return steps, 6 * params * args.batch_size


def wall_per_step(steps: _Steps, count: int, device: torch.device) -> float:
    """Seconds per step of ``count`` steps, between two device syncs."""
    synchronize(device)
    t0 = time.perf_counter()
    for _ in range(count):
        steps._one()
    synchronize(device)
    return (time.perf_counter() - t0) / count


def kernel_table(prof: Any, steps: int, on_cuda: bool) -> list[dict[str, Any]]:
    """Per-step count and time (µs) of every kernel (CUDA) or operator (CPU, self time) seen by the profiler."""
    rows = []
    for e in prof.key_averages():
        if on_cuda:
            if e.device_type != DeviceType.CUDA:
                continue
            us = getattr(e, "self_device_time_total", None)
            us = e.self_cuda_time_total if us is None else us
        else:
            # operators only: not the autograd nodes that call them (``BaddbmmBackward0``) nor profiler ranges
            if (e.device_type != DeviceType.CPU or e.key.startswith(("ProfilerStep", "autograd::", "["))
                    or re.search(r"Backward\d*$", e.key)):
                continue
            us = e.self_cpu_time_total
        if e.count == 0 or us <= 0:
            continue
        rows.append({"name": e.key, "category": category(e.key), "calls_per_step": e.count / steps,
                     "us_per_step": us / steps})
    return sorted(rows, key=lambda r: -r["us_per_step"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps (profiles CUDA kernels "
                                                         "on cuda, operators elsewhere)")
    parser.add_argument("--depths", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--width", type=int, default=784, help="input size = hidden width (784: MNIST)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20, help="profiled steps")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (>= 4 on CUDA: graph capture)")
    parser.add_argument("--precision", choices=sorted(PRECISIONS), default="fp32", help="matrix-product precision")
    parser.add_argument("--autograd", action="store_true", help="the reference path: autograd, one module at a time")
    parser.add_argument("--top", type=int, default=15, help="kernels listed by name")
    parser.add_argument("--json", default=None, help="write the profile (with provenance) to this JSON file")
    args = parser.parse_args(argv)
    for name in ("width", "batch_size", "steps", "warmup", "top"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if any(d < 1 for d in args.depths) or len(set(args.depths)) != len(args.depths):
        parser.error(f"--depths must be distinct integers >= 1, got {args.depths}")
    device = device_and_output(parser, args.device, args.json)
    on_cuda = device.type == "cuda"
    if on_cuda and args.warmup < _Steps.WARMUP + 1:
        parser.error(f"--warmup must be >= {_Steps.WARMUP + 1} on CUDA (graph warm-up and capture), "
                     f"got {args.warmup}")
    torch.set_float32_matmul_precision(PRECISIONS[args.precision])
    print(f"device: {device_name(device)}  torch {torch.__version__}  depths {args.depths}  width {args.width}  "
          f"batch {args.batch_size}  precision {args.precision}  {'autograd' if args.autograd else 'stack'}",
          flush=True)
    steps, flops = build(args, device, graph=False)
    wall_per_step(steps, args.warmup, device)
    eager_s = wall_per_step(steps, args.steps, device)
    graph_s = None
    if on_cuda:
        graphed, _ = build(args, device, graph=True)
        wall_per_step(graphed, args.warmup, device)
        graph_s = wall_per_step(graphed, args.steps, device)
    steps.counter.fill_(args.warmup)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on_cuda else [])
    with profile(activities=activities) as prof:  # eager steps: every kernel is seen on its own
        for _ in range(args.steps):
            steps._one()
        synchronize(device)
    table = kernel_table(prof, args.steps, on_cuda)
    by_cat: dict[str, dict[str, float]] = {}
    for r in table:
        c = by_cat.setdefault(r["category"], {"calls_per_step": 0.0, "us_per_step": 0.0})
        c["calls_per_step"] += r["calls_per_step"]
        c["us_per_step"] += r["us_per_step"]
    busy_us = sum(c["us_per_step"] for c in by_cat.values())
    best_s = min(s for s in (eager_s, graph_s) if s is not None)
    summary = {"eager_ms_per_step": eager_s * 1e3, "graph_ms_per_step": None if graph_s is None else graph_s * 1e3,
               "kernels_per_step": sum(c["calls_per_step"] for c in by_cat.values()),
               "device_busy_ms_per_step": busy_us / 1e3, "gflop_per_step": flops / 1e9,
               "tflops_at_best": flops / best_s / 1e12, "unit": "CUDA kernels" if on_cuda else "CPU operators"}
    print(f"wall time per step: eager {summary['eager_ms_per_step']:.3f} ms"
          + (f", CUDA graph {summary['graph_ms_per_step']:.3f} ms" if graph_s is not None else "")
          + f"; {summary['gflop_per_step']:.1f} GFLOP per step = {summary['tflops_at_best']:.2f} TFLOP/s at best")
    print(f"{summary['unit']} per step: {summary['kernels_per_step']:.0f}, "
          f"busy {summary['device_busy_ms_per_step']:.3f} ms per (eager, profiled) step")
    print(f"{'category':<14}{'calls/step':>12}{'ms/step':>10}{'share':>8}")
    for cat, c in sorted(by_cat.items(), key=lambda kv: -kv[1]["us_per_step"]):
        print(f"{cat:<14}{c['calls_per_step']:>12.0f}{c['us_per_step'] / 1e3:>10.3f}"
              f"{c['us_per_step'] / busy_us:>8.1%}")
    print(f"{'busiest':<80}{'calls/step':>12}{'ms/step':>10}")
    for r in table[:args.top]:
        print(f"{r['name'][:78]:<80}{r['calls_per_step']:>12.1f}{r['us_per_step'] / 1e3:>10.3f}")
    if args.json:
        config = TrainConfig(epochs=1, batch_size=args.batch_size, device=str(device), progress=False,
                             precision=args.precision, stack=not args.autograd)
        doc = result_document("profile_step", config, [], (eager_s + (graph_s or 0.0)) * args.steps,
                              extra={"args": vars(args), "summary": summary, "categories": by_cat,
                                     "kernels": table})
        print(f"wrote {write_json_atomic(args.json, doc)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
