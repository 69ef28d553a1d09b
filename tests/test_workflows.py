"""The GitHub Actions workflows: valid against the GitHub workflow schema (check-jsonschema), and running the
README's commands verbatim."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"


def _check_jsonschema() -> str:
    """check-jsonschema (pinned in requirements.txt), whose GitHub-workflow schema ships inside the package."""
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which("check-jsonschema")
    assert exe, "check-jsonschema not found: install the pinned requirements"
    return exe


def _lint(files: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([_check_jsonschema(), "--builtin-schema", "vendor.github-workflows", *files], cwd=ROOT,
                          capture_output=True, text=True)


def _readme_commands() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


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


def test_workflow_linter_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\non: push\njobs:\n  build:\n    steps:\n      - run: echo hi\n")  # no runs-on
    assert _lint([str(broken)]).returncode != 0


def test_ci_runs_both_readme_commands_verbatim():
    lines = _run_lines("ci.yml")
    for command in _readme_commands():
        assert command in lines


def test_deploy_builds_with_readme_command_and_publishes_to_pages():
    assert _readme_commands()[0] in _run_lines("deploy.yml")
    uses = _uses("deploy.yml")
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    doc = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
    assert doc["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert doc[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as True


def test_ci_switches_the_build_to_the_execution_cache_on_a_line_that_exists():
    # the CI step rewrites exactly this line of _config.yml; if the line changes, the step must change too
    assert "  execute_notebooks: force" in (ROOT / "_config.yml").read_text().splitlines()
    assert any("execute_notebooks: cache" in line for line in _run_lines("ci.yml"))
