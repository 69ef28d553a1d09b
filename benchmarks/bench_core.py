"""Throughput of the closed-form moment map and Jacobian (float64, one core).

Usage: python benchmarks/bench_core.py [--points N] [--repeat R]
Targets (issue "Foundation"): mean_var_map >= 8e6 points/s, jacobian >= 4e6 points/s on one core.
Points are drawn from the Theorem 1-3 domains (the inputs the book evaluates most).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from snnlib import jacobian, mean_var_map, spectral_norm  # noqa: E402


def best_rate(fn, args, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return args[0].size / min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    a = parser.parse_args()
    if a.points < 1:
        parser.error(f"--points must be >= 1, got {a.points}")
    if a.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {a.repeat}")
    rng = np.random.default_rng(0)
    n = a.points
    mu, omega = rng.uniform(-1, 1, n), rng.uniform(-0.1, 0.1, n)
    nu, tau = rng.uniform(0.02, 16, n), rng.uniform(0.8, 1.25, n)
    args = (mu, nu, omega, tau)
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}, {n} points, float64")
    for name, fn, target in [("mean_var_map", mean_var_map, 8e6), ("jacobian", jacobian, 4e6),
                             ("spectral_norm", spectral_norm, None)]:
        rate = best_rate(fn, args, a.repeat)
        verdict = "" if target is None else f"  (target {target:.0e}: {'met' if rate >= target else 'MISSED'})"
        print(f"{name:14s} {rate / 1e6:8.2f} million points/s{verdict}")


if __name__ == "__main__":
    main()
