"""Seeding and provenance: one place that fixes randomness and records where a result came from."""

from __future__ import annotations

import errno
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


def provenance(device: str | None = None) -> dict[str, Any]:
    """Where and with what a result was produced: host, Python, numpy, torch, device name and git commit."""
    import scipy
    import sklearn

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
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


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


#: Permissions of result files and checkpoints: what a plain open() would give under the current umask.
RESULT_FILE_MODE = _umask_mode()


def missing_folders(folder: str | os.PathLike) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first (to undo with
    :func:`remove_empty_folders` if what needed them fails)."""
    missing = []
    for candidate in (Path(folder), *Path(folder).parents):
        if candidate.exists():
            break
        missing.append(candidate)
    return missing


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) as long as they are empty; those never made are skipped."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENAMETOOLONG):
                continue
            break


def check_writable(path: str | os.PathLike, what: str = "--out") -> Path:
    """Prove that ``path``'s folder can be created and written, *before* a long run; ValueError naming ``what``
    otherwise (so hours of training are not lost to a bad output path at the end).

    Folders created for the check are removed again, so a run that fails later (bad data, Ctrl-C before the first
    result) leaves no empty folders behind; the writers create them when they write.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} must be a file path, got the folder {path}")
    missing = missing_folders(path.parent)
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"{what} cannot be written: cannot create the folder {path.parent} "
                             f"({exc.strerror or exc})") from None
        try:
            with tempfile.TemporaryFile(dir=path.parent):
                pass
        except OSError as exc:
            raise ValueError(f"{what} cannot be written: cannot create a file in {path.parent} "
                             f"({exc.strerror or exc})") from None
    finally:
        remove_empty_folders(missing)
    return path


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as strict JSON via a temporary file in the same folder and ``os.replace``: a reader never
    sees a half-written result, and an interrupted write leaves the previous file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        os.fchmod(fd, RESULT_FILE_MODE)  # mkstemp makes 0600; results are for everyone who may read the folder
        with os.fdopen(fd, "w") as fh:
            json.dump(_json_safe(obj), fh, indent=1, allow_nan=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())  # on disk before it replaces the old file (a crash leaves one or the other)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
