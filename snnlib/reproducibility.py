"""Seeding and provenance: one place that fixes randomness and records where a result came from."""

from __future__ import annotations

import os
import platform
import random
import subprocess
from pathlib import Path
from typing import Any

import numpy as np


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python, numpy and (if installed) torch; return a numpy Generator seeded with ``seed``."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a pinned requirement
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)


def glue_number(key: str, value: float, digits: int = 10) -> float:
    """Glue ``value`` into the book's prose (myst-nb ``glue``, not displayed in the cell) rounded to ``digits``
    significant digits, so that the stored text, which nbval compares, is the same on every machine; returns the
    rounded value. Every chapter uses it for the numbers its prose quotes."""
    from myst_nb import glue

    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits (significant digits) must be an integer in [1, 17], got {digits!r}")
    rounded = float(f"{float(value):.{digits}g}")
    glue(key, rounded, display=False)
    return rounded


#: Folders whose state decides a result: any change there (untracked files included) marks a commit ``-dirty``.
SOURCE_DIRS: tuple[str, ...] = ("snnlib", "benchmarks", "tools")


def git_commit(path: str | os.PathLike | None = None) -> str:
    """The commit of *this* project's checkout (``-dirty`` if :data:`SOURCE_DIRS` differ from it, untracked files
    included), or, outside such a checkout, ``SNNLIB_GIT_COMMIT`` (for copies of the tree without ``.git``, such
    as a lent GPU machine) or ``"unknown"``. A git repository that merely encloses an installed copy of the
    package is not taken for this project's.
    """
    root = Path(path) if path is not None else Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                              timeout=10).stdout.strip()

    try:
        top = Path(git("rev-parse", "--show-toplevel")).resolve()
        if top != root.resolve():
            raise subprocess.SubprocessError(f"{root} is not the top of its git repository ({top})")
        sha = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--", *(d for d in SOURCE_DIRS if (root / d).exists()))
    except (OSError, subprocess.SubprocessError):
        return os.environ.get("SNNLIB_GIT_COMMIT") or "unknown"
    return sha + ("-dirty" if dirty else "")


def _version(distribution: str) -> str | None:
    """The installed version of ``distribution`` read from its metadata (the package is not imported), or None."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def provenance(device: str | None = None) -> dict[str, Any]:
    """Where and with what a result was produced: host, Python, numpy, scipy, scikit-learn, torch, device name and
    git commit. Versions are read from the installed packages' metadata, so neither torch nor scikit-learn is
    imported (``python -m snnlib theorems --json out.json`` needs neither); torch is imported only to name a CUDA
    device (``device`` starting with "cuda"). ``device=None`` records "cpu" without asking torch for a GPU."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "scikit-learn": _version("scikit-learn"),
        "torch": _version("torch"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "git_commit": git_commit(),
    }
    device = "cpu" if device is None else str(device)
    if device.startswith("cuda"):
        import torch

        index = torch.device(device).index
        info["device"] = torch.cuda.get_device_name(0 if index is None else index)
    else:
        info["device"] = device
    return info
