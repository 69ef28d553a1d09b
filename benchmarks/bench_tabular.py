"""Benchmark: a task's whole SNN grid trained batched (snnlib.tabular_batch) vs the one-task loop, in one run.

Paper §A4.1, Table A4: the SNN grid of the UCI benchmark, 216 settings (layers {2, 3, 4, 8, 16, 32}, hidden units
{1024, 512, 256}, lr {0.01, 0.1, 1}, dropout {0.05, 0}, rectangular or conic); chapter "A tabular benchmark".
The data are synthetic, of abalone's shape (4177 samples × 8 features, 3 classes; labels the arg-max of a random
linear map): only the speed is measured. 20 % of the samples are the test set and 15 % of the rest the
validation set, as :func:`snnlib.data.make_dataset` splits; batch 64; every epoch ends with the validation and
test evaluation, as in the sweep.

Both trainers run on ``--threads`` torch threads (default 1: the sweep runs one task per process on one thread).
The batched trainer trains every setting; the loop trains a seeded random subset of ``--loop-settings`` settings,
and its time for the whole grid is extrapolated two ways, both printed: the subset's mean per setting × the grid
size, and the subset's seconds per parameter × the grid's parameters (settings differ ~500× in size, so a small
subset's plain mean is noisy). Figures: settings per second and the speed-up, measured in this run.

    python benchmarks/bench_tabular.py --epochs 1                          # the full Table A4 grid, CPU
    python benchmarks/bench_tabular.py --device cuda --epochs 2 --json results/gpu/bench_tabular.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch


def synthetic(n: int, m: int, classes: int, seed: int):
    """A :class:`snnlib.data.Dataset` of n samples × m standard normal features, labels the arg-max of a random
    linear map; 20 % test, 15 % of the rest validation."""
    from snnlib.data import make_dataset

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m))
    y = (X @ rng.normal(size=(m, classes))).argmax(1)
    n_test = n // 5
    return make_dataset("synthetic", X[n_test:], y[n_test:], X[:n_test], y[:n_test], 0.15, seed)


def n_params(n_in: int, n_out: int, p: dict) -> int:
    from snnlib.models import hidden_widths

    widths = [n_in, *hidden_widths(n_out, p["depth"], p["width"], p["shape"]), n_out]
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))


def main(argv: list[str] | None = None) -> int:
    from snnlib import tabular
    from snnlib.reproducibility import provenance
    from snnlib.tabular_batch import train_settings
    from snnlib.train import pick_device, synchronize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--samples", type=int, default=4177)
    ap.add_argument("--features", type=int, default=8)
    ap.add_argument("--classes", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--widths", type=int, nargs="+", default=None, help="default: Table A4's")
    ap.add_argument("--depths", type=int, nargs="+", default=None, help="default: Table A4's")
    ap.add_argument("--loop-settings", type=int, default=12, help="settings the loop trains (random subset)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    grid = dict(tabular.PAPER_GRID_SNN)
    if args.widths:
        grid["width"] = tuple(args.widths)
    if args.depths:
        grid["depth"] = tuple(args.depths)
    config = tabular.SweepConfig(grid=grid, epochs=args.epochs, batch_size=args.batch_size, trainer="batched",
                                 device=str(device))
    settings = tabular.grid_configs("SNN", config)
    data = synthetic(args.samples, args.features, args.classes, args.seed)
    sizes = np.array([n_params(data.n_features, data.n_classes, p) for p in settings], dtype=float)
    subset = np.sort(np.random.default_rng(args.seed).choice(len(settings), min(args.loop_settings, len(settings)),
                                                              replace=False))
    print(f"data: synthetic {args.samples} x {args.features}, {args.classes} classes (train {len(data.y_train)}, "
          f"val {len(data.y_val)}, test {len(data.y_test)}); grid: {len(settings)} SNN settings "
          f"({sizes.sum() / 1e6:.0f} M parameters); {args.epochs} epoch(s), batch {args.batch_size}; "
          f"device {device}, {args.threads} torch thread(s)", flush=True)

    synchronize(device)
    t0 = time.perf_counter()
    batched = train_settings("SNN", data, settings, config, args.seed, str(device))
    synchronize(device)
    t_batched = time.perf_counter() - t0
    print(f"batched: {len(settings)} settings in {t_batched:.1f} s", flush=True)

    t0 = time.perf_counter()
    loop = [tabular._train_fnn("SNN", data, settings[i], config, args.seed) for i in subset]
    t_loop = time.perf_counter() - t0
    per_setting = t_loop / len(subset) * len(settings)
    per_param = t_loop / sizes[subset].sum() * sizes.sum()
    print(f"loop (CPU, torch autograd): {len(subset)} settings in {t_loop:.1f} s "
          f"({sizes[subset].sum() / 1e6:.0f} M parameters)", flush=True)
    rows = [("batched (measured)", t_batched), ("loop, extrapolated by settings", per_setting),
            ("loop, extrapolated by parameters", per_param)]
    print(f"\n{'trainer':<36}{'s for the grid':>16}{'settings/s':>12}{'speed-up':>10}")
    for name, seconds in rows:
        print(f"{name:<36}{seconds:>16.1f}{len(settings) / seconds:>12.3f}{seconds / t_batched:>9.1f}x")
    # the same selection semantics: the settings both trained agree where they have no dropout
    agree = sum(loop[j]["epoch"] == batched[i]["epoch"] for j, i in enumerate(subset) if settings[i]["dropout"] == 0)
    n_plain = sum(settings[i]["dropout"] == 0 for i in subset)
    print(f"\nselected epoch equal in {agree} of the {n_plain} subset settings without dropout")
    if args.json:
        doc = {"args": vars(args), "settings": len(settings), "subset": subset.tolist(), "batched_s": t_batched,
               "loop_subset_s": t_loop, "loop_by_settings_s": per_setting, "loop_by_params_s": per_param,
               "provenance": provenance(str(device))}
        with open(args.json, "w") as fh:
            json.dump(doc, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
