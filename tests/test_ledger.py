"""snnlib.ledger: the judging rule, the rows of the claims ledger and their table."""

import numpy as np
import pytest

import snnlib
from snnlib import ledger, theorems

pytestmark = pytest.mark.slow  # recomputes the whole claims ledger (about 20 s)


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


def test_theorem_rows_say_what_their_proof_rests_on(rows, by_key):
    theorem_rows = [r for k, r in by_key.items() if k.startswith("theorem_") or k.startswith("lemma10_d")]
    for r in theorem_rows:
        assert "interval arithmetic" not in r.note and "re-verified in Arb" in r.note, r.claim
        assert "assumes: " + theorems.interval.ASSUMPTIONS["arb"] in r.note, r.claim


def test_the_lemma13_bound_is_the_books_rounding_of_the_notebooks_minimum(by_key):
    claim = next(c for c in theorems.CLAIMS if c.quantity == "mu_tilde" and c.sense == "min")
    row = by_key[f"theorem_{theorems.CLAIMS.index(claim)}"]
    assert row.status == "reproduced" and "-0.0310605" in row.paper and "-0.03107" not in row.paper
    assert "book's rounding outward" in row.note and "authors' notebook" not in row.note


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


def test_derivation_initialisation_and_gradient_rows(by_key):
    for eq in ("eq4", "eq5", "eq11", "eq13"):
        assert by_key[f"{eq}_rel_diff"].status == "reproduced" and by_key[f"{eq}_rel_diff"].value < 1e-40
    for key in ("init_tau_mean", "init_tau_sd", "init_omega_sd", "init_trunc_factor", "init_uniform_sd"):
        assert by_key[key].status == "reproduced", key
    assert by_key["init_trunc_factor"].value == pytest.approx(1 / 0.87962566103423978, abs=1e-14)
    assert by_key["chi1"].status == "differs" and by_key["chi1"].value > 1


def test_tox21_and_htru2_are_not_reproducible_here_with_the_reason(rows):
    for table, data in (("Table 2 (Tox21)", "Tox21"), ("Table 3 (HTRU2)", "HTRU2")):
        row = next(r for r in rows if r.claim.startswith(table))
        assert row.status == "not reproducible here" and row.book == "—"
        assert data in row.note and "cannot download" in row.note and "tabular chapter" in row.note


def test_the_table_puts_the_verdict_first_and_escapes_pipes(rows):
    table = ledger.ledger_markdown(rows).splitlines()
    assert table[0].startswith("| status | claim |") and table[0].rstrip().endswith("note |")
    assert len(table) == len(rows) + 2
    assert all(line.startswith("| **") for line in table[2:])
    row = ledger.Row("x | y", "1", "1", "reproduced")
    assert "x \\| y" in ledger.ledger_markdown([row])
    with pytest.raises(ValueError, match="rows"):
        ledger.ledger_markdown([])
