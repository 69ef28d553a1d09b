"""Seeding and provenance: one place that fixes randomness and records where a result came from."""

from __future__ import annotations

import json
import math
import os
import platform
import random
import subprocess
import tempfile
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


def git_commit(path: str | os.PathLike | None = None) -> str:
    """The current git commit (with ``-dirty`` if the tree has changes), or ``"unknown"`` outside git.

    The environment variable ``SNNLIB_GIT_COMMIT`` overrides it (for copies of the tree without ``.git``, such as
    a remote GPU machine).
    """
    if os.environ.get("SNNLIB_GIT_COMMIT"):
        return os.environ["SNNLIB_GIT_COMMIT"]
    cwd = os.fspath(path) if path is not None else os.path.dirname(os.path.abspath(__file__))
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return sha + ("-dirty" if dirty else "")


def provenance(device: str | None = None) -> dict[str, Any]:
    """Where and with what a result was produced: host, Python, numpy, torch, device name and git commit."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "git_commit": git_commit(),
    }
    try:
        import torch
    except ImportError:  # pragma: no cover
        info["torch"] = None
    else:
        info["torch"] = torch.__version__
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        info["device"] = torch.cuda.get_device_name(0) if str(device).startswith("cuda") else str(device)
    return info


def _json_safe(obj: Any) -> Any:
    """Plain JSON values: numpy scalars as Python numbers, tuples as lists, NaN/inf as None (strict JSON)."""
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(key): _json_safe(v) for key, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as strict JSON via a temporary file in the same folder and ``os.replace``: a reader never
    sees a half-written result, and an interrupted write leaves the previous file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(_json_safe(obj), fh, indent=1, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
