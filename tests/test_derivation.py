"""Tests for snnlib.derivation (chapter "Deriving the mapping g" and chapter "The fixed point (0, 1) and the
Jacobian"). Expected values cite the paper (Klambauer et al. 2017) where they come from it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snnlib import derivation as d
from snnlib import jacobian
from snnlib.reference import gaussian_expectation


@pytest.mark.slow
def test_sympy_derivation_equals_paper_eqs_4_5_11_13() -> None:
    checks = d.verify_paper_forms(n_points=5)
    assert set(checks) == {"eq4", "eq5", "eq11", "eq13"}
    for name, check in checks.items():
        assert check.symbolic, name
        assert check.max_rel_diff < 1e-40, name


def test_prove_equal_catches_a_misprint() -> None:
    # Eq. (11) with "+ m" instead of "+ 2 m" (the constant of Eq. 4 copied into Eq. 11) must not pass.
    import sympy as sp

    v, p = d.symbols(), d.paper_equations()
    wrong = p["eq11"] - v["lam"] * v["m"] / 2
    check = d.prove_equal(d.derive_closed_forms()["mu"], wrong, n_points=3)
    assert not check.symbolic
    assert check.max_rel_diff > 1e-3
    assert sp.simplify(wrong - p["eq11"]) != 0


@pytest.mark.parametrize("key", ["mu_neg", "mu_pos", "xi_neg", "xi_pos"])
def test_each_derived_piece_matches_quadrature_of_its_integral(key: str) -> None:
    import sympy as sp

    v = d.symbols()
    m, s, lam, alpha = 0.3, 1.2, 1.05, 1.67
    expr = d.derive_closed_forms()[key].subs({v["m"]: m, v["s"]: s, v["lam"]: lam, v["alpha"]: alpha})
    f = {"mu_neg": lambda z: lam * alpha * math.expm1(z) if z <= 0 else 0.0,
         "mu_pos": lambda z: lam * z if z > 0 else 0.0,
         "xi_neg": lambda z: (lam * alpha * math.expm1(z)) ** 2 if z <= 0 else 0.0,
         "xi_pos": lambda z: (lam * z) ** 2 if z > 0 else 0.0}[key]
    assert float(sp.N(expr, 30)) == pytest.approx(gaussian_expectation(f, m, s * s), rel=1e-11, abs=1e-14)


def test_symbolic_jacobian_matches_snnlib_closed_form() -> None:
    assert d.symbolic_jacobian_vs_closed_form(n_points=4) < 1e-12


def test_symbolic_jacobian_at_fixed_point_is_paper_eq6() -> None:
    import sympy as sp

    v = d.symbols()
    at = {v["mu"]: 0, v["nu"]: 1, v["omega"]: 0, v["tau"]: 1, v["lam"]: d.LAMBDA_01, v["alpha"]: d.ALPHA_01}
    jac = np.array(sp.N(d.symbolic_jacobian().subs(at), 20).tolist(), dtype=float)
    # Paper Eq. (6) prints [[0.0, 0.088834], [0.0, 0.782648]]: 0.0888347... is truncated there (rounding gives
    # 0.088835), while 0.7826478... is rounded (truncation gives 0.782647).
    assert jac[0, 0] == 0.0 and jac[1, 0] == 0.0
    assert math.floor(jac[0, 1] * 1e6) / 1e6 == pytest.approx(0.088834, abs=1e-12)
    assert round(jac[0, 1], 6) == pytest.approx(0.088835, abs=1e-12)
    assert round(jac[1, 1], 6) == pytest.approx(0.782648, abs=1e-12)


def test_autodiff_and_finite_differences_agree_with_closed_form_jacobian() -> None:
    point = (0.2, 1.3, 0.1, 0.95)
    exact = jacobian(*point)
    np.testing.assert_allclose(d.jacobian_autodiff(*point), exact, atol=1e-14)
    np.testing.assert_allclose(d.jacobian_finite_difference(*point), exact, atol=1e-9)


def test_textbook_form_breaks_where_exp_2_nu_tau_overflows() -> None:
    # exp(2 nu tau) overflows float64 at nu tau = ln(DBL_MAX) / 2 = 354.89 (selu_in_practice.md §1.5: "~355").
    assert d.textbook_breakdown() == pytest.approx(math.log(np.finfo(float).max) / 2, abs=1e-6)


def test_erfcx_form_stays_accurate_where_textbook_fails() -> None:
    scan = d.stability_scan([1.0, 100.0, 353.0, 354.5, 400.0, 1000.0])
    assert np.all(scan["term_erfcx"] < 1e-13)
    assert np.all(scan["nu_snnlib"] < 1e-13)
    assert np.all(np.isnan(scan["term_textbook"][-2:])) and np.all(np.isnan(scan["nu_textbook"][-2:]))
    # erfc(sqrt(2 nu tau)) is subnormal from nu tau ~ 353: digits are lost just before the overflow
    assert np.max(scan["term_textbook"][2:4]) > 1e-14


def test_clt_distance_shrinks_with_width_and_is_reproducible() -> None:
    n = 20_000
    narrow = d.clt_distance(8, n, seed=1, inputs="exponential")
    wide = d.clt_distance(256, n, seed=1, inputs="exponential")
    assert narrow > 5 * d.ks_noise_floor(n)
    assert wide < narrow / 3
    assert d.clt_distance(8, n, seed=1, inputs="exponential") == narrow


def test_clt_distance_is_below_berry_esseen_bound() -> None:
    for inputs in d.CLT_INPUTS:
        assert d.clt_distance(16, 20_000, seed=2, inputs=inputs) < d.berry_esseen_bound(16, seed=2, inputs=inputs)


def test_berry_esseen_bound_decays_like_inverse_square_root_of_width() -> None:
    ratio = d.berry_esseen_bound(1024, seed=3) / d.berry_esseen_bound(16, seed=3)
    assert ratio == pytest.approx(1 / 8, rel=0.25)


def test_ks_noise_floor_matches_kolmogorov_mean() -> None:
    from scipy import stats

    rng = np.random.default_rng(0)
    mean_ks = np.mean([stats.kstest(rng.standard_normal(2000), "norm").statistic for _ in range(200)])
    assert mean_ks == pytest.approx(d.ks_noise_floor(2000), rel=0.1)


def test_vector_field_vanishes_at_fixed_point_0_1() -> None:
    mu, nu, dmu, dnu = d.vector_field([-0.1, 0.0, 0.1], [1.0, 1.5])
    assert mu.shape == (2, 3) and dmu.shape == (2, 3)
    assert abs(dmu[0, 1]) < 1e-15 and abs(dnu[0, 1]) < 1e-14
    assert dnu[1, 0] < 0  # variance 1.5 is pulled down towards 1


@pytest.mark.parametrize("kwargs", [dict(width=0), dict(width=8, n_samples=5), dict(width=8, inputs="cauchy")])
def test_clt_distance_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        d.clt_distance(**kwargs)


def test_vector_field_rejects_non_positive_variance() -> None:
    with pytest.raises(ValueError, match="nu_grid"):
        d.vector_field([0.0], [0.0, 1.0])


@pytest.mark.parametrize("kwargs, match", [({"dps": 0}, "dps"), ({"nu_tau": [0.0]}, "nu_tau"),
                                           ({"mu_omega": float("nan")}, "mu_omega")])
def test_stability_scan_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        d.stability_scan(**{"nu_tau": [1.0], **kwargs})


def test_sympy_latex_breaks_long_sums_into_aligned_lines_and_keeps_short_ones():
    import sympy as sp

    from snnlib import derivation

    forms = derivation.derive_closed_forms()
    long_form = derivation.sympy_latex(forms["xi"], line_chars=100)
    lines = long_form.split("\\\\")
    assert long_form.startswith("\\begin{aligned}[t]") and long_form.endswith("\\end{aligned}") and len(lines) > 2
    assert "\\Big(" in lines[0] and "\\Big)" in lines[-1]  # the factor lambda^2 opens and closes the sum
    assert all(len(line) < 100 + 120 for line in lines)  # each line at most one term beyond the limit
    assert derivation.sympy_latex(forms["xi"], line_chars=None) == sp.latex(forms["xi"])
    x = sp.Symbol("x")
    assert derivation.sympy_latex(x + 1) == sp.latex(x + 1)  # short: unchanged
    for bad in (5, 2.5, True):
        with pytest.raises(ValueError, match="line_chars"):
            derivation.sympy_latex(x, line_chars=bad)
