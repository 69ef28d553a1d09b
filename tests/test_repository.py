"""Repository-level checks: CI runs the README's commands verbatim; the library is lint clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from scripts import ROOT, readme_commands


def test_readme_has_exactly_two_quick_start_commands():
    commands = readme_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)


def test_ci_runs_the_readme_commands_verbatim():
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    for command in readme_commands():
        assert command in ci_lines
    assert "set -euo pipefail" in ci_lines


def test_requirements_pin_jupyter_book_1_and_torch():
    reqs = (ROOT / "requirements.txt").read_text().splitlines()
    assert "jupyter-book==1.0.4.post1" in reqs and "torch==2.13.0" in reqs
    pinned = [r for r in reqs if r and not r.startswith("#") and not r.startswith("-e")]
    assert all("==" in r for r in pinned), "every requirement is pinned"


def test_library_is_ruff_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff is not None, "ruff is a pinned requirement"
    result = subprocess.run([ruff, "check", "snnlib", "tests", "benchmarks", "tools"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
