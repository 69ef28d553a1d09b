"""snnlib.ledger: the judging rule, the rows of the claims ledger and their table, and the ledger's coverage:
every claim block that a chapter quotes has a row.

A claim block is a MyST ``{prf:...}`` directive (``{prf:theorem}``, ``{prf:lemma}``, ``{prf:definition}``,
``{prf:proposition}``, ``{prf:corollary}``, ``{prf:assumption}``, ``{prf:observation}``, ...) in the markdown of a
chapter; its ``:label:`` must appear in the ``labels`` of some row of :func:`snnlib.ledger.build_ledger`. The
tests marked ``slow`` share one computation of the whole ledger (the module's ``rows`` fixture).
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import snnlib
from snnlib import ledger, theorems

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_FILES = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "chapters").glob("*.md"))


def test_agrees_accepts_rounded_or_truncated_digits_and_nothing_else():
    assert ledger.agrees(0.0888349, 0.088834, 6)  # truncated (Eq. 6 prints J12 this way)
    assert ledger.agrees(0.7826484, 0.782648, 6)  # rounded
    assert ledger.agrees(0.7877, 0.7877, 4)
    assert not ledger.agrees(0.08883, 0.088834, 6)
    assert not ledger.agrees(1.67346, 1.6733, 4)  # rounds to 1.6735, truncates to 1.6734
    for bad in (-1, 16, 2.0, True):
        with pytest.raises(ValueError, match="digits"):
            ledger.agrees(1.0, 1.0, bad)


def test_a_row_that_is_not_reproduced_must_explain_itself():
    led = ledger._Ledger()
    led.add("a", "1", "1", True)
    with pytest.raises(ValueError, match="needs a note"):
        led.add("b", "1", "2", False)
    with pytest.raises(ValueError, match="needs a note"):
        led.add("c", "1", "—", None)
    assert [r.status for r in led.rows] == ["reproduced"]


def test_numpy_verdicts_count_and_glue_keys_are_unique_and_carry_values():
    led = ledger._Ledger()
    led.add("a", "1", "1", np.bool_(True), key="a", value=np.float64(1.0), labels=["thm-x"])
    led.add("b", "1", "2", np.bool_(False), "explained")
    assert [r.status for r in led.rows] == ["reproduced", "differs"], "a numpy bool is a verdict, not 'unknown'"
    assert led.rows[0].labels == ("thm-x",) and led.rows[1].labels == ()
    assert type(led.rows[0].value) is float
    with pytest.raises(ValueError, match="already used"):
        led.add("c", "1", "1", True, key="a", value=2.0)
    with pytest.raises(ValueError, match="needs a value"):
        led.add("d", "1", "1", True, key="d")
    with pytest.raises(ValueError, match="needs a value"):
        led.add("e", "1", "1", True, value=1.0)
    assert ledger.Row("x", "1", "1", "reproduced").labels == ()


@pytest.fixture(scope="module")
def rows():
    return ledger.build_ledger()


@pytest.fixture(scope="module")
def by_key(rows):
    return {r.key: r for r in rows if r.key is not None}


@pytest.mark.slow
def test_the_ledger_recomputes_the_constants_and_judges_every_row(rows, by_key):
    assert len(rows) >= 60
    assert {r.status for r in rows} <= set(ledger.STATUSES)
    assert all(r.note for r in rows if r.status != "reproduced")
    assert len(by_key) == sum(r.key is not None for r in rows), "glue keys are unique"
    assert all(isinstance(r.value, float) for r in by_key.values()), "every glued key has a number to glue"
    for key in ("alpha01", "lambda01", "spectral_norm", "lemma13_printed_min", "jacobian_12"):
        assert key in by_key, f"the page's prose quotes ledger_{key}"
    assert by_key["alpha01"].value == snnlib.ALPHA_01 and by_key["alpha01"].status == "reproduced"
    assert by_key["alpha01"].paper.startswith("1.67326 (Eq. 14)"), "Eq. 14 prints 1.67326 (the main text 1.6733)"
    assert by_key["lambda01"].value == snnlib.LAMBDA_01 and "1.0507" in by_key["lambda01"].paper
    assert by_key["jacobian_12"].status == "reproduced" and "truncates" in by_key["jacobian_12"].note
    assert by_key["lemma13_printed_min"].status == "differs", "the proof's -0.03106 is refuted"
    theorem_rows = [r for k, r in by_key.items() if k.startswith("theorem_")]
    assert len(theorem_rows) == len(theorems.CLAIMS) and all(r.status == "reproduced" for r in theorem_rows)
    c = ledger.counts(rows)
    assert list(c) == list(ledger.STATUSES) and sum(c.values()) == len(rows)
    assert c == {"reproduced": len(rows) - 14, "differs": 9, "not reproducible here": 5}


@pytest.mark.slow
def test_theorem_rows_say_what_their_proof_rests_on(rows, by_key):
    theorem_rows = [r for k, r in by_key.items() if k.startswith("theorem_") or k.startswith("lemma10_d")]
    for r in theorem_rows:
        assert "interval arithmetic" not in r.note and "re-verified in Arb" in r.note, r.claim
        assert "assumes: " + theorems.interval.ASSUMPTIONS["arb"] in r.note, r.claim


@pytest.mark.slow
def test_the_lemma13_bound_is_the_books_rounding_of_the_notebooks_minimum(by_key):
    claim = next(c for c in theorems.CLAIMS if c.quantity == "mu_tilde" and c.sense == "min")
    row = by_key[f"theorem_{theorems.CLAIMS.index(claim)}"]
    assert row.status == "reproduced" and "-0.0310605" in row.paper and "-0.03107" not in row.paper
    assert "book's rounding outward" in row.note and "authors' notebook" not in row.note


@pytest.mark.slow
def test_each_erratum_of_chapter_5_is_a_row_that_differs(by_key):
    errata = ("eq71_at_01", "lemma12_s_xi", "lemma13_printed_min", "lemma7_j12_max", "thm3_nu_min",
              "thm16_mu_printed_args", "lemma9_mu_max_15", "lemma10_nu_sum")
    for key in errata:
        assert by_key[key].status == "differs" and by_key[key].note, key
    lemma12 = by_key["lemma12_s_xi"]
    assert ledger.agrees(lemma12.value, 0.9912524171, 10), "the grid maximum is S of (mu~, xi~) at the corner"
    assert "closes the gap" in lemma12.note
    assert abs(by_key["lemma10_nu_sum"].value - 2.357711) < 5e-7 and "2.28242" in by_key["lemma10_nu_sum"].paper
    assert by_key["lemma10_dnu"].status == "reproduced" and by_key["lemma10_dnu"].value < 2.28242, \
        "the bound is true although its printed sum exceeds it"
    assert by_key["eq71_at_01"].value == pytest.approx(2 * by_key["spectral_norm"].value)
    assert by_key["lemma9_mu_max_15"].value > 0.087653


@pytest.mark.slow
def test_the_paper_route_and_the_proof_numbers(by_key):
    assert by_key["paper_grid_max"].status == "reproduced"
    assert by_key["paper_slack"].status == "reproduced" and by_key["paper_slack"].value < 0.008747
    assert by_key["paper_margin"].status == "reproduced" and 0 < by_key["paper_margin"].value < 1e-6
    for key, bound in zip(("lemma10_dmu", "lemma10_domega", "lemma10_dnu", "lemma10_dtau"),
                          theorems.LEMMA10_DERIVATIVE_BOUNDS):
        assert by_key[key].status == "reproduced" and by_key[key].value < bound
    assert ledger.agrees(by_key["thm2_eq40"].value, -0.0180173, 7)
    assert ledger.agrees(by_key["thm2_eq41"].value, -0.148532, 6)
    assert by_key["thm2_route_max"].status == "reproduced"
    for key, printed in (("thm3_eq48", 0.969231), ("thm3_eq50", 0.976952)):
        row = by_key[key]
        assert row.status == "reproduced" and ledger.agrees(row.value, printed, 6)
        assert "only with ν_min = 0.02" in row.note


@pytest.mark.slow
def test_derivation_initialisation_and_gradient_rows(by_key):
    for eq in ("eq4", "eq5", "eq11", "eq13"):
        assert by_key[f"{eq}_rel_diff"].status == "reproduced" and by_key[f"{eq}_rel_diff"].value < 1e-40
    for key in ("init_tau_mean", "init_tau_sd", "init_omega_sd", "init_trunc_factor", "init_uniform_sd"):
        assert by_key[key].status == "reproduced", key
    assert by_key["init_trunc_factor"].value == pytest.approx(1 / 0.87962566103423978, abs=1e-14)
    assert by_key["chi1"].status == "differs" and by_key["chi1"].value > 1


@pytest.mark.slow
def test_tox21_and_htru2_are_not_reproducible_here_with_the_reason(rows):
    for table, data in (("Table 2 (Tox21)", "Tox21"), ("Table 3 (HTRU2)", "HTRU2")):
        row = next(r for r in rows if r.claim.startswith(table))
        assert row.status == "not reproducible here" and row.book == "—"
        assert data in row.note and "cannot download" in row.note and "tabular chapter" in row.note


@pytest.mark.slow
def test_the_table_puts_the_verdict_first_and_escapes_pipes(rows):
    table = ledger.ledger_markdown(rows).splitlines()
    assert table[0].startswith("| status | claim |") and table[0].rstrip().endswith("note |")
    assert len(table) == len(rows) + 2
    assert all(line.startswith("| **") for line in table[2:])
    row = ledger.Row("x | y", "1", "1", "reproduced")
    assert "x \\| y" in ledger.ledger_markdown([row])
    with pytest.raises(ValueError, match="rows"):
        ledger.ledger_markdown([])


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


@pytest.mark.slow
def test_every_label_of_a_row_names_a_claim_block_and_the_exemptions_are_current(blocks, rows):
    quoted = {label for found in blocks.values() for _, label in found}
    dangling = ledger.labels(rows) - quoted
    assert not dangling, f"ledger rows name labels that no chapter quotes: {sorted(dangling)}"
    stale = set(NO_LEDGER_ROW) - quoted
    assert not stale, f"exempted labels that no chapter quotes any more: {sorted(stale)}"
    redundant = set(NO_LEDGER_ROW) & ledger.labels(rows)
    assert not redundant, f"exempted labels that a row checks after all: {sorted(redundant)}"
    assert all(reason.strip() for reason in NO_LEDGER_ROW.values()), "every exemption gives its reason"
