"""Check on a GPU that the trainer's fast paths train exactly like its eager loop (run by gpu_session.sh).

The step of the whole sweep replayed as a CUDA graph must give the loss histories of the same step launched
kernel by kernel (the same kernels on the same data: identical up to the order of floating-point reductions), and
the fast path (:class:`snnlib.mlpstack.MLPStack`) those of the reference path (autograd, one module at a time)
up to float rounding. Prints the largest relative difference per mode; exit status 1 if any exceeds the
tolerance. Needs no pytest (the GPU machine may not have it); ``tests/test_train.py`` runs the same comparison
when CUDA is available. See chapter "Training deep networks: Figure 1".

    python benchmarks/check_cuda_training.py [--device cuda] [--rtol 1e-4]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

import numpy as np
import torch

from snnlib.data import Dataset
from snnlib.train import Member, TrainConfig, pick_device, train_sweep

#: Modes compared with the reference ``eager`` (the fast path, every kernel launched from Python).
MODES: dict[str, dict[str, Any]] = {
    "eager": {"cuda_graph": False}, "graph": {}, "autograd": {"cuda_graph": False, "stack": False},
    "autograd+graph": {"stack": False},
}
MEMBERS = [Member("SNN", 2, 32, seed=1, lr=0.002), Member("BatchNorm", 2, 32, seed=2, lr=0.002),
           Member("SNN", 3, 32, seed=3, lr=0.002), Member("BatchNorm", 3, 32, seed=4, lr=0.002),
           Member("LayerNorm", 2, 32, seed=5, lr=0.002)]


def toy_dataset(n: int = 512, d: int = 12, c: int = 3, seed: int = 0) -> Dataset:
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=gen)
    y = (X[:, :c] + 0.5 * torch.randn(n, c, generator=gen)).argmax(1)
    empty = np.zeros((0, d), np.float32)
    return Dataset(X.numpy(), y.numpy(), empty, np.zeros(0, np.int64), empty, np.zeros(0, np.int64), c, "toy")


def max_relative_differences(device: str = "cuda", epochs: int = 4,
                             fallbacks: list[str] | None = None) -> dict[str, float]:
    """Largest relative difference of every mode's loss histories from the eager fast path's (all members).

    A mode whose CUDA-graph capture failed falls back to eager steps (with a warning) and would match trivially:
    such modes are appended to ``fallbacks``."""
    data = toy_dataset()
    runs = {}
    for name, kw in MODES.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # the Figure 1 log: training-mode loss over full chunks (512 = 10 x 48 + 32: the partial one is dropped)
            runs[name] = train_sweep(MEMBERS, data, TrainConfig(epochs=epochs, batch_size=32, device=device,
                                                                 progress=False, eval_batch_size=48, drop_last=True,
                                                                 **kw))
        if fallbacks is not None and any("CUDA graph capture failed" in str(w.message) for w in caught):
            fallbacks.append(name)
    ref = np.array([r["loss"] for r in runs["eager"]])
    if not (ref[:, -1] < ref[:, 0]).all():
        raise AssertionError("the eager loop did not lower every member's loss: the check would be vacuous")
    return {name: float(np.max(np.abs(np.array([r["loss"] for r in recs]) - ref) / np.abs(ref)))
            for name, recs in runs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--rtol", type=float, default=1e-4)
    args = parser.parse_args(argv)
    try:
        device = pick_device(args.device)
    except ValueError as exc:
        parser.error(str(exc))
    fallbacks: list[str] = []
    diffs = max_relative_differences(str(device), fallbacks=fallbacks)
    for name, diff in diffs.items():
        note = "  (graph capture failed: ran eagerly)" if name in fallbacks else ""
        print(f"{name:<16} max relative difference from eager: {diff:.2e}{note}")
    bad = [name for name, diff in diffs.items() if not diff <= args.rtol] + fallbacks
    dry = "" if device.type == "cuda" else (f" (dry run on {device}: CUDA graphs exist only on CUDA, the graph modes "
                                            "ran the eager loop, so no graph was checked)")
    print(f"OK{dry}" if not bad else f"FAILED: {bad} differ by more than {args.rtol:g} or could not be captured")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
