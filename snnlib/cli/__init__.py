"""The command line: ``python -m snnlib theorems|figure1|tabular [options]`` (``snnlib/__main__.py``).

One parser style and one wrapper for all commands; the library modules hold no argument parsing. Each command
is a module of this package (:mod:`snnlib.cli.theorems`, :mod:`snnlib.cli.figure1`, :mod:`snnlib.cli.tabular`)
with ``HELP``, ``OUT_OF_MEMORY`` (a hint), ``add_arguments(parser)`` and ``run(args) -> int``; these modules
import nothing heavy at the top, so that :func:`main` handles signals before numpy or torch load.

:func:`main` is the one wrapper:

* usage errors (argparse, out-of-range values, a ``ValueError`` of the library, :class:`UsageError`): one line
  ``<prog> <command>: error: <reason>``, exit status 2;
* :class:`CommandError` (a corrupt file, data that cannot be had): one line, exit status 1;
* Ctrl-C and SIGTERM (a batch system's time limit, ``kill``), from the first line of :func:`main` on, torch's import
  included: one line ``<prog> <command>: interrupted`` or ``terminated (SIGTERM)`` (with what a rerun resumes,
  when the command says so through :class:`Interrupted`), exit status 130 or 143, as shells report them;
* running out of memory: one line with the command's hint, exit status 1.

Shared helpers: :func:`write_result` (a result file is never lost: if the folder has become unwritable, the result
goes to the temporary folder and the message says where), :func:`log_to_stderr`, :func:`device_and_output` (the
benchmark scripts), and the argument types :func:`integer`, :func:`number`, :func:`output_path`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import math
import os
import signal
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

#: The commands and the modules that implement them, in the order ``--help`` lists them.
COMMANDS: dict[str, str] = {"theorems": "snnlib.cli.theorems", "figure1": "snnlib.cli.figure1",
                            "tabular": "snnlib.cli.tabular"}
PROG = "python -m snnlib"


class UsageError(ValueError):
    """A bad argument found after parsing: one line ``<prog>: error: <message>``, exit status 2."""


class CommandError(Exception):
    """A failure that is not a usage error (corrupt file, data unavailable): one line, exit status 1."""


class Interrupted(KeyboardInterrupt):
    """Raised by a command that caught Ctrl-C/SIGTERM, with ``detail``: what a rerun resumes from."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error message ``<prog>: error: <message>`` and exit status 2 (no usage block)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _interval(low: float | None, high: float | None, low_open: bool) -> str:
    def show(v: float | None, infinite: str) -> str:
        return infinite if v is None else str(v) if isinstance(v, int) else f"{v:g}"
    return f"{'(' if low_open else '['}{show(low, '-inf')}, {show(high, 'inf')}]"


def integer(low: int | None = None, high: int | None = None) -> Any:
    """An argparse type: an integer in [low, high]; otherwise the error names the range."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be an integer in {_interval(low, high, False)}, got {text!r}")
        return value
    parse.__name__ = "integer"
    return parse


def number(low: float | None = None, high: float | None = None, low_open: bool = False) -> Any:
    """An argparse type: a finite number in [low, high] (``low_open``: (low, high]); else the error names the range."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or (low is not None and (value <= low if low_open else value < low)) or \
                (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be a number in {_interval(low, high, low_open)}, got {text!r}")
        return value
    parse.__name__ = "number"
    return parse


def output_path(text: str) -> str:
    """An argparse type: a non-empty path (an empty ``--out`` would write into the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must name a file or folder, got {text!r}")
    return text


def build_parser(prog: str = PROG) -> Parser:
    """The parser of ``python -m snnlib`` with one subcommand per entry of :data:`COMMANDS` (imports no numpy)."""
    parser = Parser(prog=prog, description="Certify the paper's theorems and run its experiments.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    parser.commands = {}  # name -> its parser, for errors found after parsing
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = parser.commands[name] = sub.add_parser(name, help=module.HELP, description=module.__doc__,
                                                         formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Entry point of ``python -m snnlib``; returns the exit status (see the module docstring)."""
    try:
        return _main(argv, prog)
    except KeyboardInterrupt as exc:  # a signal in the instant before _main's own handler was in place
        sigterm = exc.args[:1] == ("SIGTERM",)
        with _signals_ignored():
            sys.stderr.write(f"{prog}: {'terminated (SIGTERM)' if sigterm else 'interrupted'}\n")
        return 143 if sigterm else 130


def _main(argv: Sequence[str] | None, prog: str) -> int:
    """:func:`main` once SIGTERM is handled like Ctrl-C."""
    with interruptible() as seen:  # first of all: SIGTERM ends the run like Ctrl-C, torch's import included
        where, module = prog, None
        argv = list(sys.argv[1:] if argv is None else argv)
        try:
            parser = build_parser(prog)
            args, unknown = parser.parse_known_args(argv)
            if unknown:  # named by the command's parser, as every other usage error
                parser.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
            where = args.prog = f"{prog} {args.command}"
            args.command_line = " ".join([prog, *argv])  # recorded with results
            module = importlib.import_module(COMMANDS[args.command])
            return int(module.run(args))
        except KeyboardInterrupt as exc:
            with _signals_ignored():
                detail = exc.detail if isinstance(exc, Interrupted) else ""
                sys.stderr.write(f"{where}: {seen.how}{'; ' + detail if detail else ''}\n")
            return seen.exit_status
        except (UsageError, CommandError) as exc:
            sys.stderr.write(f"{where}: error: {exc}\n")
            if isinstance(exc, UsageError):
                raise SystemExit(2) from None
            return 1
        except (MemoryError, RuntimeError) as exc:
            from snnlib.errors import is_out_of_memory

            if not is_out_of_memory(exc):
                raise
            hint = getattr(module, "OUT_OF_MEMORY", "")
            sys.stderr.write(f"{where}: error: not enough memory for this run{f' ({hint})' if hint else ''}: "
                             f"{str(exc).splitlines()[0]}\n")
            return 1


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """Ctrl-C and SIGTERM are ignored while the final message is written (a second Ctrl-C gives no traceback)."""
    try:
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


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
