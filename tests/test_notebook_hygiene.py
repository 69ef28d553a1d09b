"""nbval is only meaningful on notebooks stored with outputs. This test proves every chapter notebook was
stored after one full top-to-bottom run (refresh with ``python tools/refresh_notebooks.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_there_are_chapter_notebooks():
    assert len(NOTEBOOKS) >= 2


def test_every_notebook_is_in_the_table_of_contents_and_vice_versa():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {toc["root"]} | {c["file"] for part in toc["parts"] for c in part["chapters"]}
    chapters = {f for f in files if f.startswith("chapters/") and not (ROOT / f"{f}.md").exists()}
    assert chapters == {f"chapters/{p.stem}" for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_stored_with_outputs_of_one_sequential_run(path):
    cells = _code_cells(path)
    assert cells, "notebook has no code"
    counts = [c["execution_count"] for c in cells]
    assert None not in counts, "some code cells were never executed"
    assert counts == list(range(1, len(cells) + 1)), f"execution counts are not 1..N in order: {counts}"
    assert any(c["outputs"] for c in cells), "no outputs stored: nbval would check nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_error_outputs_and_clean_metadata(path):
    nb = json.loads(path.read_text())
    for cell in _code_cells(path):
        assert all(o["output_type"] != "error" for o in cell["outputs"]), "stored outputs contain an error"
        tags = cell.get("metadata", {}).get("tags", [])
        assert "raises-exception" not in tags
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shows_no_warning_and_no_path_of_the_machine_it_ran_on(path):
    """A library warning on a reader's page is a defect to fix, not to show; and an absolute path of the
    machine that stored the outputs (a warning's source line, say) differs on every other machine, so nbval
    would fail there."""
    for cell in _code_cells(path):
        for out in cell["outputs"]:
            text = "".join(out.get("text", "")) if out["output_type"] == "stream" else ""
            assert "Warning" not in text, f"a warning in a stored output: {text[:200]}"
            plain = "".join(out.get("data", {}).get("text/plain", "")) + text
            assert str(ROOT) not in plain, f"a path of this machine in a stored output: {plain[:200]}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != "intro"], ids=lambda p: p.name)
def test_chapter_ends_with_summary_and_exercises(path):
    """Every chapter (not the start page, chapters/intro) ends with a summary and exercises."""
    nb = json.loads(path.read_text())
    headings = [line.strip() for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    assert "## Summary" in headings and "## Exercises" in headings


def _refresh_tool():
    from scripts import load_script

    return load_script("tools/refresh_notebooks.py")


def test_refresh_tool_keeps_going_past_a_failing_notebook_and_leaves_it_unchanged(tmp_path, capsys):
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    for path, code in ((bad, "raise ValueError('broken on purpose')"), (good, "print(6 * 7)")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        nbformat.write(nb, path)
    before = bad.read_text()
    assert _refresh_tool().main([str(bad), str(good)]) == 1
    assert bad.read_text() == before
    assert nbformat.read(good, as_version=4).cells[0].outputs[0]["text"] == "42\n"
    assert "bad.ipynb" in capsys.readouterr().err


def test_refresh_tool_rejects_missing_notebooks_with_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        _refresh_tool().main(["chapters/no-such-chapter.ipynb"])
    assert exc.value.code == 2 and "no-such-chapter" in capsys.readouterr().err
