"""Every claim block that a chapter quotes has a row in the claims ledger.

A claim block is a MyST ``{prf:...}`` directive (``{prf:theorem}``, ``{prf:lemma}``, ``{prf:definition}``,
``{prf:proposition}``, ``{prf:corollary}``, ``{prf:assumption}``, ``{prf:observation}``, ...) in the markdown of a
chapter; its ``:label:`` must appear in the ``labels`` of some row of :func:`snnlib.ledger.build_ledger`.
"""

import json
import re
from pathlib import Path

import pytest

from snnlib import ledger

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_FILES = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "chapters").glob("*.md"))

#: Claim blocks with no ledger row, each with the reason. Only a block that states a definition with no claim of
#: the paper to check belongs here.
NO_LEDGER_ROW: dict[str, str] = {
    # chapter 8: Schoenholz et al.'s correlation map and depth scale, a tool of the book's own analysis; the paper
    # makes no claim about correlations between inputs, so there is nothing of it to check.
    "def-cmap": "a definition from Schoenholz et al. (2017); the paper claims nothing about correlations",
}

#: Directive kinds that state nothing of their own (a proof belongs to the claim it proves).
NOT_CLAIMS = frozenset({"proof"})

_OPEN = re.compile(r"^\s*(?P<fence>:{3,}|`{3,})\{prf:(?P<kind>[\w-]+)\}")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
_YAML_LABEL = re.compile(r"^\s*label:\s*(?P<value>\S+)\s*$")


def claim_blocks(markdown: str) -> list[tuple[str, str | None]]:
    """(kind, label) of every ``{prf:...}`` claim block opened in ``markdown`` (colon or backtick fence; options
    as ``:label: x`` lines or in a ``---`` YAML block right after the opening line). The label is None when the
    block has none. Inline roles such as ``{prf:ref}`` are not blocks."""
    lines = markdown.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        opened = _OPEN.match(line)
        if not opened or opened["kind"] in NOT_CLAIMS:
            continue
        label, j = None, i + 1
        if j < len(lines) and lines[j].strip() == "---":
            j += 1
            while j < len(lines) and lines[j].strip() != "---":
                found = _YAML_LABEL.match(lines[j])
                label = label or (found and found["value"])
                j += 1
        else:
            while j < len(lines) and (option := _OPTION.match(lines[j])):
                if option["key"] == "label":
                    label = option["value"] or None
                j += 1
        blocks.append((opened["kind"], label))
    return blocks


def _markdown(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def chapter_claim_blocks() -> dict[str, list[tuple[str, str | None]]]:
    """{chapter file name: its claim blocks}, for every chapter that has any."""
    found = {path.name: claim_blocks(_markdown(path)) for path in CHAPTER_FILES}
    return {name: blocks for name, blocks in found.items() if blocks}


def missing_rows(blocks: dict[str, list[tuple[str, str | None]]], rows: list[ledger.Row],
                 exempt: dict[str, str]) -> list[str]:
    """'chapter: kind label' for each labelled claim block whose label is in no row's labels and not exempt."""
    checked = ledger.labels(rows)
    return [f"{name}: {kind} {label}" for name, found in blocks.items() for kind, label in found
            if label is not None and label not in checked and label not in exempt]


@pytest.fixture(scope="module")
def rows():
    return ledger.build_ledger()


@pytest.fixture(scope="module")
def blocks():
    return chapter_claim_blocks()


def test_the_parser_finds_claim_blocks_and_their_labels():
    text = "\n".join([
        "Intro with an inline {prf:ref}`thm-a` that is not a block.",
        ":::{prf:theorem} A theorem",
        ":label: thm-a",
        ":class: dropdown",
        "Statement.",
        ":::",
        "````{prf:lemma} A lemma",
        ":nonumber:",
        ":label: lem-b",
        "````",
        "::::{prf:definition}",
        "---",
        "label: def-c",
        "---",
        "::::",
        ":::{prf:proof}",
        ":label: proof-of-a",
        ":::",
        ":::{prf:corollary} Without a label",
        "Text.",
        ":::",
        "  :::{prf:proposition} Indented, inside a list",
        "  :label: prop-d",
        "  :::",
    ])
    assert claim_blocks(text) == [("theorem", "thm-a"), ("lemma", "lem-b"), ("definition", "def-c"),
                                  ("corollary", None), ("proposition", "prop-d")]


def test_the_check_reports_a_claim_block_that_no_row_checks():
    rows = [ledger.Row("a claim", "1", "1", "reproduced", labels=("thm-real",))]
    blocks = {"99_fake.ipynb": [("theorem", "thm-real"), ("theorem", "thm-fake"), ("definition", "def-exempt")]}
    assert missing_rows(blocks, rows, {"def-exempt": "no claim"}) == ["99_fake.ipynb: theorem thm-fake"]
    assert missing_rows(blocks, rows, {}) == ["99_fake.ipynb: theorem thm-fake",
                                              "99_fake.ipynb: definition def-exempt"]


def test_the_chapters_quote_claim_blocks_and_every_one_is_labelled(blocks):
    assert sum(len(b) for b in blocks.values()) >= 10, f"too few claim blocks found: {blocks}"
    unlabelled = [f"{name}: {kind}" for name, found in blocks.items() for kind, label in found if label is None]
    assert not unlabelled, f"claim blocks without a :label: (the ledger cannot name them): {unlabelled}"
    labels = [label for found in blocks.values() for _, label in found]
    assert len(labels) == len(set(labels)), f"a label is used twice: {sorted(labels)}"


@pytest.mark.slow
def test_every_claim_block_of_a_chapter_has_a_ledger_row(blocks, rows):
    missing = missing_rows(blocks, rows, NO_LEDGER_ROW)
    assert not missing, f"claim blocks that no row of snnlib.ledger checks (add a row or its label): {missing}"


def test_every_label_of_a_row_names_a_claim_block_and_the_exemptions_are_current(blocks, rows):
    quoted = {label for found in blocks.values() for _, label in found}
    dangling = ledger.labels(rows) - quoted
    assert not dangling, f"ledger rows name labels that no chapter quotes: {sorted(dangling)}"
    stale = set(NO_LEDGER_ROW) - quoted
    assert not stale, f"exempted labels that no chapter quotes any more: {sorted(stale)}"
    redundant = set(NO_LEDGER_ROW) & ledger.labels(rows)
    assert not redundant, f"exempted labels that a row checks after all: {sorted(redundant)}"
    assert all(reason.strip() for reason in NO_LEDGER_ROW.values()), "every exemption gives its reason"
