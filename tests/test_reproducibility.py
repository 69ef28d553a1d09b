"""Provenance and result files (snnlib.reproducibility): the commit recorded is this project's, marked dirty when
its sources differ; result files are strict JSON, readable by others, and bad output paths fail before a run."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from snnlib import reproducibility as R


def _git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    (root / "snnlib").mkdir(parents=True)
    (root / "snnlib" / "a.py").write_text("x = 1\n")
    _git(root, "init", "-q")
    _git(root, "-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    _git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    return root


def test_commit_is_clean_then_dirty_for_changed_or_new_source_files(project, monkeypatch):
    monkeypatch.setenv("SNNLIB_GIT_COMMIT", "from-the-environment")
    sha = _git(project, "rev-parse", "HEAD")
    assert R.git_commit(project) == sha  # inside the checkout, git wins over the environment
    (project / "snnlib" / "new.py").write_text("y = 2\n")  # untracked but imported code counts
    assert R.git_commit(project) == sha + "-dirty"
    (project / "snnlib" / "new.py").unlink()
    (project / "notes.txt").write_text("not a source folder\n")
    assert R.git_commit(project) == sha


def test_an_enclosing_repository_is_not_taken_for_the_project(project, monkeypatch):
    inner = project / "snnlib"  # a folder inside someone else's repository: not this project's top level
    monkeypatch.delenv("SNNLIB_GIT_COMMIT", raising=False)
    assert R.git_commit(inner) == "unknown"
    monkeypatch.setenv("SNNLIB_GIT_COMMIT", "abc123")
    assert R.git_commit(inner) == "abc123"


def test_provenance_names_the_versions_results_depend_on():
    info = R.provenance("cpu")
    assert {"python", "numpy", "scipy", "scikit-learn", "torch", "device", "git_commit"} <= set(info)


def test_nested_interruptible_blocks_all_learn_of_a_sigterm():
    import signal

    from snnlib.cli import interruptible

    with pytest.raises(KeyboardInterrupt):
        with interruptible() as outer:
            with interruptible() as inner:
                os.kill(os.getpid(), signal.SIGTERM)
    assert (outer.signal, outer.exit_status, inner.signal) == ("SIGTERM", 143, "SIGTERM")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_glue_number_rounds_to_stable_text_and_refuses_bad_digits(monkeypatch):
    import myst_nb

    from snnlib import reproducibility

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda key, value, display=True: seen.update({key: (value, display)}))
    assert reproducibility.glue_number("k", 1.6732632423543772, 4) == 1.673
    assert seen == {"k": (1.673, False)} and isinstance(seen["k"][0], float)  # a Python float, not numpy
    import pytest

    for bad in (0, 18, 2.5, True):
        with pytest.raises(ValueError, match="digits"):
            reproducibility.glue_number("k", 1.0, bad)


def test_provenance_imports_neither_torch_nor_scikit_learn():
    """``python -m snnlib.theorems --json`` records provenance without the training wing's packages."""
    import sys

    code = ("import sys, json; from snnlib.reproducibility import provenance; info = provenance('cpu'); "
            "print(json.dumps([info['torch'], info['scikit-learn'], info['device'], "
            "sorted(m for m in ('torch', 'sklearn') if m in sys.modules)]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(R.__file__)))
    torch_version, sklearn_version, device, imported = json.loads(out.stdout)
    assert imported == []
    assert torch_version and sklearn_version and device == "cpu"  # the versions are still recorded
