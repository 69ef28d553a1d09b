"""Benchmark of the computer-assisted proofs (chapter "The theorems, checked by computer").

Prints: float64 evaluations of S per second on the Lemma 12 grid (numpy; torch cpu; torch cuda if available),
interval box evaluations per second (scipy with assumed error bounds, and Arb), and the total time of all
certificates of Theorems 1-3 and Lemma 10 side by side in the same run: numpy only (rigour "assumed", what the
certificates cost before the Arb pass existed) and with every box of each cover re-verified by Arb (rigour "arb",
the default; the Arb cache is cleared first, so this is a cold run).

Usage:  python benchmarks/bench_theorems.py [--coarsen K] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from snnlib import interval
from snnlib import theorems as T


def bench_grid(coarsen: float, device: str, repeat: int, jobs: int | None = None) -> None:
    best = None
    for _ in range(repeat):
        r = T.paper_grid_check(coarsen=coarsen, device=device, jobs=jobs)
        best = r if best is None or r.seconds < best.seconds else best
    procs = f"{jobs or 1} proc" if device == "numpy" else "      "
    print(f"grid S evaluation  {device:6s} {procs} coarsen {coarsen:g}: {best.points:>11d} points in "
          f"{best.seconds:7.2f} s = {best.evaluations_per_second / 1e6:8.2f} M S/s (max S {best.grid_max:.10f})")


def bench_boxes(n: int = 65536, n_arb: int = 2048) -> None:
    rng = np.random.default_rng(0)
    b = T.LEMMA12_DOMAIN.bounds
    lo = b[:, 0] + (b[:, 1] - b[:, 0]) * rng.random((n, 4)) * 0.99
    hi = lo + (b[:, 1] - b[:, 0]) * 0.005
    for level, count in (("assumed", n), ("arb", n_arb)):
        interval.clear_arb_cache()
        with interval.rigour(level):
            start = time.perf_counter()
            T.enclose_box("S", lo[:count], hi[:count])
            seconds = time.perf_counter() - start
        print(f"interval boxes (value + 4 derivative enclosures of S), rigour {level:7s}: "
              f"{count / seconds / 1e3:8.2f} k boxes/s")


def run_certificates(rigour: str) -> tuple[list, float]:
    interval.clear_arb_cache()
    start = time.perf_counter()
    certs = (T.certify_all(rigour=rigour) + T.certify_derivative_bounds(rigour=rigour)
             + T.certify_derivative_bounds(T.TIGHT_DERIVATIVE_BOUNDS, rigour=rigour))
    return certs, time.perf_counter() - start


def bench_certificates() -> None:
    """All certificates of the command line, numpy only and with the Arb pass, in the same process."""
    results = {level: run_certificates(level) for level in ("assumed", "arb")}
    for level, (certs, seconds) in results.items():
        search = sum(c.search_seconds for c in certs[:len(T.CLAIMS)]) + certs[-5].search_seconds \
            + certs[-1].search_seconds
        cover = sum(c.cover_boxes for c in certs[:len(T.CLAIMS)]) + certs[-5].cover_boxes + certs[-1].cover_boxes
        label = "numpy only (assumed error bounds)" if level == "assumed" else "with the Arb pass (proof)"
        print(f"all certificates, {label:34s}: {sum(c.certified for c in certs)}/{len(certs)} certified "
              f"(rigour {', '.join(sorted({c.rigour for c in certs}))}), {cover} boxes in the covers, "
              f"{seconds:6.2f} s (search {search:.2f} s)")
    print(f"Arb pass overhead: x{results['arb'][1] / results['assumed'][1]:.2f}")


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
    bench_certificates()


if __name__ == "__main__":
    main()
