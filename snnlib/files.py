"""Result files and checkpoints on disk: atomic writes, their permissions, output paths checked before a run, and
the temporary files an interrupted write leaves behind.

One place for every file the library writes: JSON results (:func:`write_json_atomic`; the command lines of
:mod:`snnlib.cli`, :mod:`snnlib.figure1`, :mod:`snnlib.tabular`, the benchmarks) and training
checkpoints (:func:`snnlib.train.save_checkpoint`) go through :func:`atomic_write`, so a reader never sees a
half-written file and a crash leaves the previous one intact. See chapters "Training deep networks: Figure 1"
and "A tabular benchmark" for the runs that write them.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

#: Suffix of the temporary file beside ``path`` that :func:`atomic_write` writes first (``<name><random>.tmp``).
TEMPORARY_SUFFIX = ".tmp"


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


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Write ``path`` by calling ``write`` on a binary file object of a temporary file in the same folder
    (``<name><random>.tmp``, mode :data:`RESULT_FILE_MODE`), flushing it to disk and ``os.replace``-ing it over
    ``path`` (atomic on POSIX and Windows). Any error, Ctrl-C included, removes the temporary file and leaves a
    previous ``path`` untouched; only a kill -9 or a power cut can leave the temporary file, which
    :func:`remove_stale_temporaries` removes on the next run. Creates missing folders; returns ``path``."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=TEMPORARY_SUFFIX)
        os.fchmod(fd, RESULT_FILE_MODE)  # mkstemp makes 0600; results are for everyone who may read the folder
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before it replaces the old file (a crash leaves one or the other)
        os.replace(tmp, path)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
    return path


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as strict JSON (NaN and infinities as null) with :func:`atomic_write`: a reader never sees a
    half-written result, and an interrupted write leaves the previous file intact."""
    text = json.dumps(_json_safe(obj), indent=1, allow_nan=False) + "\n"
    return atomic_write(path, lambda fh: fh.write(text.encode()))


def stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """The temporary files :func:`atomic_write` leaves beside ``path`` when it is killed (kill -9, power cut):
    regular files named ``<name of path><8 random characters>.tmp`` (``tempfile.mkstemp``'s pattern) in
    ``path``'s folder, sorted. Nothing else matches: not ``path`` itself, not the temporaries of other files."""
    path = Path(path)
    pattern = re.compile(re.escape(path.name) + r"[A-Za-z0-9_]{8}" + re.escape(TEMPORARY_SUFFIX))
    try:
        entries = list(os.scandir(path.parent))
    except FileNotFoundError:
        return []
    return sorted(Path(e.path) for e in entries
                  if pattern.fullmatch(e.name) and e.is_file(follow_symlinks=False))


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove :func:`stale_temporaries` of ``path`` (left by a killed run that wrote it) and return them. Called
    when a run that writes ``path`` starts or resumes, so that a kill -9 during a write costs no disk space for
    good. Files that vanish meanwhile (another process cleaning up) are skipped."""
    removed = []
    for tmp in stale_temporaries(path):
        try:
            tmp.unlink()
        except FileNotFoundError:
            continue
        removed.append(tmp)
    return removed
