"""snnlib.ledger: the judging rule, the rows of the claims ledger and their table."""

import pytest

import snnlib
from snnlib import ledger


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


@pytest.fixture(scope="module")
def rows():
    return ledger.build_ledger()


def test_the_ledger_recomputes_the_constants_and_judges_every_row(rows):
    assert len(rows) >= 20
    assert {r.status for r in rows} <= set(ledger.STATUSES)
    assert all(r.note for r in rows if r.status != "reproduced")
    by_key = {r.key: r for r in rows if r.key is not None}
    assert len(by_key) == sum(r.key is not None for r in rows), "glue keys are unique"
    assert by_key["alpha01"].value == snnlib.ALPHA_01 and by_key["alpha01"].status == "reproduced"
    assert by_key["lambda01"].value == snnlib.LAMBDA_01
    assert by_key["jacobian_12"].status == "reproduced" and "truncates" in by_key["jacobian_12"].note
    assert by_key["lemma13_printed_min"].status == "differs", "the proof's -0.03106 is refuted"
    theorem_rows = [r for k, r in by_key.items() if k.startswith("theorem_")]
    assert theorem_rows and all(r.status == "reproduced" for r in theorem_rows)
    c = ledger.counts(rows)
    assert list(c) == list(ledger.STATUSES) and sum(c.values()) == len(rows)
    assert c["not reproducible here"] == 3


def test_the_table_puts_the_verdict_first_and_escapes_pipes(rows):
    table = ledger.ledger_markdown(rows).splitlines()
    assert table[0].startswith("| status | claim |") and table[0].rstrip().endswith("note |")
    assert len(table) == len(rows) + 2
    assert all(line.startswith("| **") for line in table[2:])
    row = ledger.Row("x | y", "1", "1", "reproduced")
    assert "x \\| y" in ledger.ledger_markdown([row])
    with pytest.raises(ValueError, match="rows"):
        ledger.ledger_markdown([])
