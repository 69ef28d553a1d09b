"""The command layer (snnlib.cli, ``python -m snnlib``): one entry point, one parser style, one wrapper for
usage errors and signals. The commands' own behaviour is tested in test_figure1.py, test_tabular.py and
test_theorems.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scripts import ROOT

from snnlib import cli


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_no_command_and_unknown_commands_are_one_line_errors(capsys):
    for argv in ([], ["nonsense"]):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        err = capsys.readouterr().err
        assert exc.value.code == 2 and err.startswith("python -m snnlib: error: ") and err.count("\n") == 1


def test_tabular_without_arguments_does_not_run(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["tabular"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == "python -m snnlib tabular: error: the following arguments are required: --out\n"


def test_help_lists_the_three_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and all(name in out for name in ("theorems", "figure1", "tabular"))


def test_the_parser_names_what_the_library_defines():
    """The parser states choices itself (so that parsing imports neither numpy nor torch): they must agree."""
    from snnlib import figure1, interval, tabular, train
    from snnlib.cli import figure1 as fig_cli
    from snnlib.cli import tabular as tab_cli
    from snnlib.cli import theorems as thm_cli

    assert fig_cli.DATASETS == tuple(sorted(figure1.FIGURE1_DEFAULTS)) and set(fig_cli.PRECISIONS) == set(
        train.PRECISIONS)
    assert thm_cli.RIGOUR_LEVELS == tuple(interval.RIGOUR_LEVELS)
    assert (tab_cli.METRICS, tab_cli.ENGINES, tab_cli.DASK_SCHEDULERS, tab_cli.UCI_SPLITS) == (
        tabular.METRICS, tabular.ENGINES, tabular.DASK_SCHEDULERS, tabular.UCI_SPLITS)


def test_parsing_imports_neither_numpy_nor_torch():
    code = ("import sys; from snnlib import cli; cli.build_parser().parse_args(['figure1', '--out', 'x']); "
            "print(sorted({'numpy', 'torch', 'scipy'} & set(sys.modules)))")
    result = _run("-c", code)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


def _handles_sigterm(pid: int) -> bool:
    """True once the process catches SIGTERM (Linux: the SigCgt mask of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("signum, code, how", [(signal.SIGTERM, 143, "terminated (SIGTERM)"),
                                               (signal.SIGINT, 130, "interrupted")])
def test_a_signal_while_torch_imports_ends_in_one_line(tmp_path, signum, code, how):
    """The wrapper takes over SIGTERM (and Ctrl-C) before numpy and torch import: a signal in the first moments of
    a run gives exit status 143 (130) and one line, no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "snnlib", "figure1", "--depths", "1", "--epochs", "1",
                             "--device", "cpu", "--no-progress", "--out", str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _handles_sigterm(proc.pid):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.002)
        os.kill(proc.pid, signum)  # main() has just begun: the parser, then torch's import
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    lines = err.strip().splitlines()
    assert proc.returncode == code and len(lines) == 1, err
    assert lines[0].startswith("python -m snnlib") and f": {how}" in lines[0]


def test_the_old_commands_are_aliases_with_a_note():
    result = _run("-m", "snnlib.experiments", "figure1", "--out", "")
    assert result.returncode == 2 and result.stderr.splitlines() == [
        "note: 'python -m snnlib.experiments' is now 'python -m snnlib'; this alias goes in the next release",
        "python -m snnlib.experiments figure1: error: argument --out: must name a file or folder, got ''"]
    result = _run("-m", "snnlib.theorems", "--coarsen", "1e-300")
    assert result.returncode == 2 and result.stderr.splitlines()[-1] == (
        "python -m snnlib theorems: error: argument --coarsen: must be a number in [0.5, 1000], got '1e-300'")
    from snnlib import experiments, figure1

    assert experiments.run_figure1 is figure1.run_figure1  # chapters that import snnlib.experiments still work


def test_out_of_memory_is_one_line_with_the_commands_hint(monkeypatch, capsys):
    from snnlib import theorems

    def oom(**kwargs):
        raise MemoryError("Unable to allocate 80. GiB for an array with shape (1, 2)")

    monkeypatch.setattr(theorems, "paper_grid_check", oom)
    assert cli.main(["theorems", "--no-certificates"]) == 1
    assert capsys.readouterr().err == ("python -m snnlib theorems: error: not enough memory for this run (a larger "
                                       "--coarsen or a smaller --chunk?): Unable to allocate 80. GiB for an array "
                                       "with shape (1, 2)\n")


@pytest.mark.parametrize("args, code, how", [(("SIGTERM",), 143, "terminated (SIGTERM)"), ((), 130, "interrupted")])
def test_a_signal_before_the_handler_is_in_place_still_ends_in_one_line(monkeypatch, capsys, args, code, how):
    """The instant between installing the SIGTERM handler and entering the run's own try block: the signal's
    KeyboardInterrupt is caught by main itself (it once escaped as a traceback with exit status -2)."""
    import contextlib

    from snnlib import cli

    @contextlib.contextmanager
    def signalled_on_entry():
        raise KeyboardInterrupt(*args)
        yield  # pragma: no cover

    monkeypatch.setattr(cli, "interruptible", signalled_on_entry)
    assert cli.main(["theorems", "--help"]) == code
    assert capsys.readouterr().err == f"python -m snnlib: {how}\n"
