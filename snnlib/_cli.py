"""Behaviour shared by the command lines (``snnlib.experiments figure1``, ``tabular``, ``snnlib.theorems``).

* :func:`interruptible`: SIGTERM (a batch system's time limit, ``kill``) is handled like Ctrl-C, so the same
  cleanup runs (worker processes stopped, temporary files removed, a resume hint printed); the exit status is
  130 after SIGINT and 143 after SIGTERM, as shells report them.
* :func:`write_result`: writes a result file atomically and never loses it: if the folder has become
  unwritable (or the disk is full) after hours of work, the result goes to the temporary folder instead and the
  message says where.
* :func:`log_to_stderr`: shows the library's progress messages (``snnlib`` loggers, e.g. "resuming from epoch
  N") on stderr, one line each.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class Interruption:
    """What :func:`interruptible` saw: ``signal`` is None, ``"SIGINT"`` or ``"SIGTERM"``."""

    def __init__(self) -> None:
        self.signal: str | None = None

    @property
    def how(self) -> str:
        """How the run ended, for the one-line message: ``"interrupted"`` or ``"terminated (SIGTERM)"``."""
        return "terminated (SIGTERM)" if self.signal == "SIGTERM" else "interrupted"

    @property
    def exit_status(self) -> int:
        """128 + the signal number: 130 for Ctrl-C, 143 for SIGTERM."""
        return 143 if self.signal == "SIGTERM" else 130


#: The :class:`Interruption` objects of the blocks now open (nested blocks all learn of a SIGTERM).
_OPEN: list[Interruption] = []


def _on_term(signum: int, frame: Any) -> None:
    for seen in _OPEN:
        seen.signal = "SIGTERM"
    raise KeyboardInterrupt("SIGTERM")


@contextlib.contextmanager
def interruptible() -> Iterator[Interruption]:
    """Turn SIGTERM into :class:`KeyboardInterrupt` inside the block (main thread only; elsewhere a no-op)."""
    seen = Interruption()
    try:
        previous = signal.signal(signal.SIGTERM, _on_term)
    except ValueError:  # not the main thread (e.g. called from a notebook worker thread)
        yield seen
        return
    _OPEN.append(seen)
    try:
        yield seen
    except KeyboardInterrupt:
        if seen.signal is None:
            seen.signal = "SIGINT"
        raise
    finally:
        _OPEN.remove(seen)
        signal.signal(signal.SIGTERM, previous)


def write_result(path: str | os.PathLike, doc: Any, prog: str) -> tuple[Path, bool]:
    """Write ``doc`` to ``path`` (strict JSON, atomic); return ``(where, ok)``.

    Says on stdout when an existing file is replaced. If writing fails, writes the same document to the
    temporary folder, prints one line naming both places and the cause on stderr, and returns ``ok=False``
    (the command then exits with status 1). If that fails too, the error propagates.
    """
    from snnlib.files import write_json_atomic

    path = Path(path)
    replacing = path.is_file()
    try:
        written = write_json_atomic(path, doc)
    except OSError as exc:
        fd, rescue = tempfile.mkstemp(prefix=f"{path.stem}-", suffix=".json")
        os.close(fd)
        write_json_atomic(rescue, doc)
        sys.stderr.write(f"{prog}: error: cannot write {path} ({exc.strerror or exc}); the result was saved to "
                         f"{rescue} instead\n")
        return Path(rescue), False
    if replacing:
        print(f"replaced the earlier {written}")
    return written, True


def device_and_output(parser: Any, device: str, json_path: str | None) -> Any:
    """The torch device named by ``--device``, after checking that ``--json`` (if given) can be written; a bad
    value ends the command through ``parser.error`` (one line, exit status 2). Used by the benchmark scripts."""
    from snnlib.files import check_writable
    from snnlib.train import pick_device

    try:
        picked = pick_device(device)
        if json_path:
            check_writable(json_path, "--json")
    except ValueError as exc:
        parser.error(str(exc))
    return picked


class _StderrHandler(logging.StreamHandler):
    """A handler that writes to whatever ``sys.stderr`` is when a message is logged (not when it was made)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def log_to_stderr() -> None:
    """Show INFO messages of the ``snnlib`` loggers on stderr as plain lines (idempotent)."""
    log = logging.getLogger("snnlib")
    if not any(isinstance(h, _StderrHandler) for h in log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
