"""The GitHub Actions workflows: valid against the GitHub workflow schema (check-jsonschema), and running the
README's commands verbatim."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from scripts import ROOT, readme_commands

WORKFLOWS = ROOT / ".github" / "workflows"


def _check_jsonschema() -> str:
    """check-jsonschema (pinned in requirements.txt), whose GitHub-workflow schema ships inside the package."""
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which("check-jsonschema")
    assert exe, "check-jsonschema not found: install the pinned requirements"
    return exe


def _lint(files: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([_check_jsonschema(), "--builtin-schema", "vendor.github-workflows", *files], cwd=ROOT,
                          capture_output=True, text=True)


def _run_lines(workflow: str) -> list[str]:
    doc = yaml.safe_load((WORKFLOWS / workflow).read_text())
    steps = [s for job in doc["jobs"].values() for s in job.get("steps", [])]
    return [line.strip() for s in steps for line in s.get("run", "").splitlines()]


def _uses(workflow: str) -> list[str]:
    doc = yaml.safe_load((WORKFLOWS / workflow).read_text())
    return [s["uses"].split("@")[0] for job in doc["jobs"].values() for s in job.get("steps", []) if "uses" in s]


def test_workflow_linter_accepts_the_workflows():
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert {Path(f).name for f in files} >= {"ci.yml", "deploy.yml"}
    result = _lint(files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_both_readme_commands_verbatim():
    lines = _run_lines("ci.yml")
    for command in readme_commands():
        assert command in lines


def test_deploy_builds_with_readme_command_and_publishes_to_pages():
    assert readme_commands()[0] in _run_lines("deploy.yml")
    uses = _uses("deploy.yml")
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    doc = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
    assert doc["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert doc[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as True


def test_ci_switches_the_build_to_the_execution_cache_on_a_line_that_exists():
    # the CI step rewrites exactly this line of _config.yml; if the line changes, the step must change too
    assert "  execute_notebooks: force" in (ROOT / "_config.yml").read_text().splitlines()
    assert any("execute_notebooks: cache" in line for line in _run_lines("ci.yml"))
