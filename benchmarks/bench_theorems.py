"""Benchmark of the computer-assisted proofs (chapter "The theorems, checked by computer").

Prints: float64 evaluations of S per second on the Lemma 12 grid (numpy; torch cpu; torch cuda if available),
interval box evaluations per second, and the total time of all certificates of Theorems 1-3.

Usage:  python benchmarks/bench_theorems.py [--coarsen K] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from snnlib import theorems as T


def bench_grid(coarsen: float, device: str, repeat: int, jobs: int | None = None) -> None:
    best = None
    for _ in range(repeat):
        r = T.paper_grid_check(coarsen=coarsen, device=device, jobs=jobs)
        best = r if best is None or r.seconds < best.seconds else best
    procs = f"{jobs or 1} proc" if device == "numpy" else "      "
    print(f"grid S evaluation  {device:6s} {procs} coarsen {coarsen:g}: {best.points:>11d} points in "
          f"{best.seconds:7.2f} s = {best.evaluations_per_second / 1e6:8.2f} M S/s (max S {best.grid_max:.10f})")


def bench_boxes(n: int = 65536) -> None:
    rng = np.random.default_rng(0)
    b = T.LEMMA12_DOMAIN.bounds
    lo = b[:, 0] + (b[:, 1] - b[:, 0]) * rng.random((n, 4)) * 0.99
    hi = lo + (b[:, 1] - b[:, 0]) * 0.005
    start = time.perf_counter()
    T.enclose_box("S", lo, hi)
    seconds = time.perf_counter() - start
    print(f"interval boxes (value + 4 derivative enclosures of S): {n / seconds / 1e3:8.1f} k boxes/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coarsen", type=float, default=4.0,
                        help="grid spacing as a multiple of the paper's (default 4: 1/256 of its points)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs of the one-process grid; the fastest is reported")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")
    if not args.coarsen > 0:
        parser.error(f"--coarsen must be > 0, got {args.coarsen}")
    bench_grid(args.coarsen, "numpy", args.repeat, jobs=1)
    bench_grid(args.coarsen / 2, "numpy", 1, jobs=os.cpu_count())
    bench_grid(max(args.coarsen, 8.0), "cpu", 1)
    try:
        import torch

        if torch.cuda.is_available():
            bench_grid(min(args.coarsen, 1.0), "cuda", 1)
    except ImportError:
        pass
    bench_boxes()
    start = time.perf_counter()
    certs = T.certify_all() + T.certify_derivative_bounds() + T.certify_derivative_bounds(T.TIGHT_DERIVATIVE_BOUNDS)
    seconds = time.perf_counter() - start
    print(f"all certificates: {sum(c.certified for c in certs)}/{len(certs)} certified, "
          f"{sum(c.boxes for c in certs[:len(T.CLAIMS)]) + certs[-5].boxes + certs[-1].boxes} boxes, {seconds:.2f} s")


if __name__ == "__main__":
    main()
