"""Tests of snnlib.theorems: the interval certificates of Theorems 1-3 (Lemmas 10, 12, 13) and the grid argument."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import snnlib
from snnlib import interval
from snnlib import theorems as T

RNG = np.random.default_rng(0)


def _sample(domain: T.Domain, n: int) -> np.ndarray:
    b = domain.bounds
    return b[:, 0] + (b[:, 1] - b[:, 0]) * RNG.random((n, 4))


def _float_value(quantity: str, x: np.ndarray) -> np.ndarray:
    mu, om, nu, ta = x.T
    if quantity == "S":
        return snnlib.spectral_norm(mu, nu, om, ta)
    mu_t, nu_t = snnlib.mean_var_map(mu, nu, om, ta)
    return {"mu_tilde": mu_t, "nu_tilde": nu_t, "nu_tilde_minus_nu": nu_t - nu}[quantity]


# -- enclosures ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("x", [(0.1, 0.1, 1.5, 1.1), (-0.1, 0.1, 0.8, 0.95), (0.7, -0.08, 9.0, 1.2),
                               (0.05, 0.1, 0.02, 0.8), (0.0, 0.0, 1.0, 1.0)])
def test_point_enclosures_contain_the_50_digit_values_of_mu_nu_and_S(x):
    mu, om, nu, ta = x
    mu_t, nu_t, _ = snnlib.mean_var_map_mpmath(mu, nu, om, ta)
    for q, exact in (("mu_tilde", mu_t), ("nu_tilde", nu_t), ("nu_tilde_minus_nu", nu_t - mpmath.mpf(nu))):
        e = T.enclose_point(q, np.array(x))
        assert e.lo <= exact <= e.hi and e.hi - e.lo < 1e-13 * max(1.0, abs(float(exact)))
    with mpmath.workdps(30):  # Jacobian of g by differentiating the 50-digit closed form, then Eq. (88)
        def g(i, m, n):
            return snnlib.mean_var_map_mpmath(m, n, om, ta, dps=40)[i]
        j = [[mpmath.diff(lambda t: g(i, t, mpmath.mpf(nu)), mpmath.mpf(mu)),
              mpmath.diff(lambda t: g(i, mpmath.mpf(mu), t), mpmath.mpf(nu))] for i in (0, 1)]
        s_exact = (mpmath.sqrt((j[0][0] + j[1][1]) ** 2 + (j[1][0] - j[0][1]) ** 2)
                   + mpmath.sqrt((j[0][0] - j[1][1]) ** 2 + (j[0][1] + j[1][0]) ** 2)) / 2
    e = T.enclose_point("S", np.array(x))
    assert e.lo - 1e-25 <= s_exact <= e.hi + 1e-25


def test_spectral_norm_at_fixed_point_is_0_7877():
    # paper main text: ||J(0, 1)|| = 0.7877 (recomputed 0.7876733604657156, paper_facts §2)
    e = T.enclose_point("S", np.array([0.0, 0.0, 1.0, 1.0]))
    assert e.lo <= 0.7876733604657156 + 1e-15 and e.hi >= 0.7876733604657156 - 1e-15


@pytest.mark.parametrize("quantity", ["S", "S_xi", "mu_tilde", "nu_tilde", "nu_tilde_minus_nu"])
def test_box_enclosures_contain_values_and_gradients_at_points_inside(quantity):
    torch = pytest.importorskip("torch")
    lo = _sample(T.LEMMA12_DOMAIN, 20)
    hi = np.minimum(lo + RNG.random((20, 4)) * [0.02, 0.02, 0.05, 0.05], T.LEMMA12_DOMAIN.bounds[:, 1])
    val, grad = T.enclose_box(quantity, lo, hi)
    x = lo + (hi - lo) * RNG.random((20, 4))
    xt = torch.tensor(x, requires_grad=True)
    mu, om, nu, ta = xt.T
    f = {"S": lambda: snnlib.spectral_norm(mu, nu, om, ta), "S_xi": lambda: snnlib.spectral_norm_mu_xi(mu, nu, om, ta),
         "mu_tilde": lambda: snnlib.mean_var_map(mu, nu, om, ta)[0],
         "nu_tilde": lambda: snnlib.mean_var_map(mu, nu, om, ta)[1],
         "nu_tilde_minus_nu": lambda: snnlib.mean_var_map(mu, nu, om, ta)[1] - nu}[quantity]()
    f.sum().backward()
    slack = 1e-12
    assert np.all(val.lo - slack <= f.detach().numpy()) and np.all(f.detach().numpy() <= val.hi + slack)
    g = xt.grad.numpy()
    for i in range(4):
        assert np.all(grad[i].lo - slack <= g[:, i]) and np.all(g[:, i] <= grad[i].hi + slack)


# -- the certificates --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("claim", T.CLAIMS, ids=[c.name for c in T.CLAIMS])
def test_each_claim_of_theorems_1_to_3_is_certified_and_bounds_every_sample(claim):
    cert = T.certify(claim)
    assert cert.certified and not cert.refuted and cert.worst_box is None
    # a proof: every box of a complete cover of the stated (decimal) domain re-verified with Arb
    assert cert.rigour == "arb" and cert.assumptions == interval.ASSUMPTIONS["arb"] and cert.cover_complete
    assert all(Fraction(lo) <= Fraction(repr(float(a))) and Fraction(hi) >= Fraction(repr(float(b)))
               for (lo, hi), (a, b) in zip(cert.covered, claim.domain.bounds))
    sign = 1 if claim.sense == "max" else -1
    assert sign * cert.proven_bound < sign * claim.bound
    assert sign * cert.best_value <= sign * cert.proven_bound <= sign * cert.best_value + 1e-6  # tol = 1e-6
    if claim.quantity != "S_xi":
        sampled = sign * _float_value(claim.quantity, _sample(claim.domain, 20000))
        assert sampled.max() <= sign * cert.proven_bound + 1e-12
    # the extreme values agree with the authors' notebook to its printed digits (paper_facts §3); Lemma 12's grid
    # maximum belongs to the Jacobian of (mu~, xi~) (the S_xi claim), not to that of g
    if claim.quantity != "S" or claim.domain != T.LEMMA12_DOMAIN:
        assert abs(cert.best_value - claim.paper_value) < 5e-6 * max(1.0, abs(claim.paper_value)) + 6e-7


def test_theorem_1_maximum_of_S_is_at_the_corner_from_the_notebook():
    # authors' notebook p.8: max S = 0.897608 at (-0.1, -0.1, 0.8, 1.1) on Theorem 1's domain
    cert = T.certify(T.CLAIMS[2])
    assert np.allclose(cert.best_at, (-0.1, -0.1, 0.8, 1.1)) or np.allclose(cert.best_at, (0.1, 0.1, 0.8, 1.1))
    assert round(cert.best_value, 6) == 0.897608


def test_false_claim_S_below_0_9_on_lemma_12_domain_is_refuted():
    claim = T.Claim("false", "S", "max", 0.9, T.LEMMA12_DOMAIN)
    cert = T.certify(claim)
    assert not cert.certified and cert.refuted and cert.best_value >= 0.9
    # the refuting value is an Arb-proven lower bound of S at a decimal point of the stated domain
    lower = T.enclose_decimal_point("S", np.array(cert.best_at)).lo
    assert lower >= 0.9 and all(a <= v <= b for v, (a, b) in zip(cert.best_at, T.LEMMA12_DOMAIN.bounds))


def test_false_claim_variance_decreases_on_nu_1_to_3_is_refuted():
    domain = dataclasses.replace(T.THEOREM2_DOMAIN, nu=(1.0, 3.0))
    cert = T.certify(T.Claim("false", "nu_tilde_minus_nu", "max", 0.0, domain))
    assert not cert.certified and cert.refuted and cert.best_value >= 0.0


def test_claim_at_the_true_maximum_runs_out_of_budget_and_reports_worst_box():
    claim = T.Claim("too tight", "S", "max", 0.98902627183935, T.LEMMA12_DOMAIN)
    cert = T.certify(claim, max_boxes=3000)
    assert not cert.certified and cert.worst_box is not None and len(cert.worst_box) == 4
    assert cert.boxes <= 3000


def test_lemma_13_lower_bound_on_mu_is_violated_as_printed():
    # Lemma 13 prints -0.03106 < mu~(-0.1, 0.1, 0.8, 0.95); the value is -0.0310605 (paper_facts §3.1)
    e = T.enclose_point("mu_tilde", np.array([-0.1, 0.1, 0.8, 0.95]))
    assert e.hi < -0.03106
    cert = T.certify(T.LEMMA13_AS_PRINTED)
    assert T.LEMMA13_AS_PRINTED.bound == -0.03106 and T.LEMMA13_AS_PRINTED.domain == T.THEOREM1_DOMAIN
    assert cert.refuted


def test_lemma_10_derivative_bounds_and_tighter_ones_are_certified():
    for bounds in (T.LEMMA10_DERIVATIVE_BOUNDS, T.TIGHT_DERIVATIVE_BOUNDS):
        certs = T.certify_derivative_bounds(bounds)
        assert all(c.certified for c in certs)
    # a derivative bound below the true maximum |dS/dtau| ~ 0.66 is refuted
    certs = T.certify_derivative_bounds((1.0, 1.0, 1.0, 0.5), max_boxes=20000)
    assert not certs[3].certified and certs[3].refuted


def test_bad_arguments_raise_value_error_naming_the_parameter():
    with pytest.raises(ValueError, match="nu"):
        T.Domain(mu=(-1, 1), omega=(0, 1), nu=(-1.0, 1.0), tau=(1, 2))
    with pytest.raises(ValueError, match="tau"):
        T.Domain(mu=(-1, 1), omega=(0, 1), nu=(1.0, 2.0), tau=(2, 1))
    with pytest.raises(ValueError, match="quantity"):
        T.Claim("x", "foo", "max", 1.0, T.LEMMA12_DOMAIN)
    with pytest.raises(ValueError, match="sense"):
        T.Claim("x", "S", "up", 1.0, T.LEMMA12_DOMAIN)
    with pytest.raises(ValueError, match="max_boxes"):
        T.certify(T.CLAIMS[0], max_boxes=0)
    with pytest.raises(ValueError, match="coarsen"):
        T.paper_grid_check(coarsen=0)
    with pytest.raises(ValueError, match="device"):
        T.paper_grid_check(device="tpu")


# -- the grid argument -------------------------------------------------------------------------------------------
def test_paper_grid_has_about_3_3e9_points_and_slack_0_008747():
    # Lemma 12: spacings give ~30.4 x 242.2 x 731.6 x 615.5 points; Eq. 108: slack < 0.008747 (recomputed 0.00874699)
    axes = T.grid_axes(T.LEMMA12_DOMAIN, 1.0)
    points = np.prod([len(a) for a in axes], dtype=float)
    assert 3.2e9 < points < 3.5e9
    assert all(a[0] == lo and a[-1] == hi for a, (lo, hi) in zip(axes, T.LEMMA12_DOMAIN.bounds))
    assert abs(T.mean_value_slack(T.PAPER_GRID_SPACING) - 0.00874699) < 1e-8


def test_paper_grid_maximum_is_the_singular_value_of_the_mu_xi_jacobian():
    # Lemma 12's grid maximum 0.9912524171058772 is S of the Jacobian of (mu~, xi~) at the corner
    e = T.enclose_point("S_xi", np.array([-0.1, -0.1, 0.8, 1.25]))
    assert e.lo - 1e-15 <= 0.9912524171058772 <= e.hi + 1e-15


def test_coarse_grid_numpy_and_torch_agree_and_find_the_corner():
    pytest.importorskip("torch")
    a = T.paper_grid_check(coarsen=16, device="numpy")
    b = T.paper_grid_check(coarsen=16, device="cpu", chunk=50000)
    assert abs(a.grid_max - b.grid_max) < 1e-13 and np.allclose(a.argmax, (-0.1, -0.1, 0.8, 1.25))
    assert a.grid_max <= T.certify(T.CLAIMS[0]).proven_bound
    assert not a.closes and abs(a.slack - 16 * a.paper_slack) < 1e-12


def test_grid_in_two_worker_processes_equals_one_process():
    one = T.paper_grid_check(coarsen=16, jobs=1)
    two = T.paper_grid_check(coarsen=16, jobs=2)
    assert (two.grid_max, two.argmax, two.points) == (one.grid_max, one.argmax, one.points)
    with pytest.raises(ValueError, match="jobs"):
        T.paper_grid_check(coarsen=16, jobs=0)


def main(argv):
    from snnlib import cli

    return cli.main(["theorems", *argv])


def test_cli_runs_certificates_and_writes_json(tmp_path, capsys):
    out = tmp_path / "theorems.json"
    assert main(["--coarsen", "16", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "18/18 certified" in text and "close" in text
    data = json.loads(out.read_text())
    assert all(c["certified"] for c in data["certificates"]) and "provenance" in data
    assert data["command"] == f"python -m snnlib theorems --coarsen 16 --json {out}"


@pytest.mark.parametrize("argv, says", [
    (["--coarsen", "-1"], "argument --coarsen: must be a number in [0.5, 1000], got '-1'"),
    (["--coarsen", "1e-300"], "argument --coarsen: must be a number in [0.5, 1000], got '1e-300'"),
    (["--coarsen", "1e-3"], "argument --coarsen: must be a number in [0.5, 1000]"),  # 3e21 points
    (["--coarsen", "nan"], "argument --coarsen: must be a number in [0.5, 1000]"),
    (["--json", ""], "argument --json: must name a file or folder, got ''"),
    (["--device", "tpu"], "argument --device: invalid choice"), (["--max-boxes", "x"], "argument --max-boxes"),
    (["--bogus"], "unrecognized arguments: --bogus")])
def test_cli_bad_arguments_exit_2_with_one_line(argv, says, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"python -m snnlib theorems: error: {says}")


def test_grid_gives_up_on_nan_instead_of_skipping_it(monkeypatch):
    """A NaN in a block must stop the grid check (regression: argmax landed on it, NaN > best was False, and
    the block was silently skipped; an all-NaN grid would have 'closed')."""
    from snnlib import moments

    real = moments.spectral_norm

    def with_nan(*args):
        s = np.array(real(*args), dtype=float)
        s.flat[0] = np.nan
        return s

    monkeypatch.setattr(moments, "spectral_norm", with_nan)
    with pytest.raises(FloatingPointError, match="NaN"):
        T.paper_grid_check(coarsen=64.0, device="numpy", jobs=1)


def test_derivative_found_values_are_lower_bounds_at_a_point():
    """The 'found' |dS/dtau| at a box centre is a lower bound (regression: the upper end of the point
    enclosure was used, so a true claim just above the exact value came out 'refuted')."""
    point = (-0.05, -0.05, 0.975, 0.9125)
    dom = T.Domain(*((v, v) for v in point))
    exact = 0.61549600867778126  # |dS/dtau| at the point, 50-digit mpmath (review script)
    certs = T.certify_derivative_bounds((1.0, 1.0, 1.0, exact * (1 + 1e-14)), domain=dom, max_boxes=20000)
    assert certs[3].best_value <= exact * (1 + 1e-15) and not certs[3].refuted


@pytest.mark.parametrize("tight_certified, code", [(True, 0), (False, 1)])
def test_cli_closing_only_with_tighter_bounds_needs_them_certified(monkeypatch, capsys, tight_certified, code):
    """--paper-grid --no-certificates: when only the tighter derivative bounds close the argument, the run must
    certify those bounds itself before exiting 0."""
    real = T.paper_grid_check
    monkeypatch.setattr(T, "paper_grid_check", lambda **kw: dataclasses.replace(real(**kw), closes=False,
                                                                                 closes_tight=True))
    cert = T.certify_derivative_bounds(T.TIGHT_DERIVATIVE_BOUNDS)
    monkeypatch.setattr(T, "certify_derivative_bounds", lambda *a, **kw: [
        dataclasses.replace(c, certified=tight_certified) for c in cert])
    assert main(["--paper-grid", "--coarsen", "64", "--no-certificates"]) == code
    assert f"tighter derivative bounds certified in this run: {tight_certified}" in capsys.readouterr().out


def test_cli_interrupted_exits_130_in_one_line(monkeypatch, capsys):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(T, "paper_grid_check", interrupt)
    assert main(["--no-certificates"]) == 130
    assert capsys.readouterr().err.strip() == "python -m snnlib theorems: interrupted"


def test_cli_terminated_by_sigterm_exits_143_in_one_line(monkeypatch, capsys):
    import os
    import signal

    def terminate(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM must interrupt the run")

    monkeypatch.setattr(T, "paper_grid_check", terminate)
    assert main(["--no-certificates"]) == 143
    assert capsys.readouterr().err.strip() == "python -m snnlib theorems: terminated (SIGTERM)"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_cli_help_states_the_exit_status_and_the_grid_size(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    points = int(np.prod([len(a) for a in T.grid_axes(T.LEMMA12_DOMAIN, 1.0)]))
    assert "Exit status 0 iff every certificate holds" in text and f"≈{points / 1e9:.1f}e9 points" in text


@pytest.mark.parametrize("quantity", ["mu", "xyz", "S "])
def test_unknown_quantities_are_refused_not_silently_replaced_by_S(quantity):
    point = np.array([0.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="quantity must be one of"):
        T.enclose_point(quantity, point)
    with pytest.raises(ValueError, match="quantity must be one of"):
        T.enclose_box(quantity, point[None], point[None])
    with pytest.raises(ValueError, match="last axis of 4"):
        T.enclose_point("S", point[:3])


def test_a_box_whose_bound_is_nan_is_never_counted_as_proven(monkeypatch):
    real = T.enclose_box

    def nan_on_first_box(quantity, lo, hi):
        val, grad = real(quantity, lo, hi)
        bad_hi = np.array(np.broadcast_to(val.hi, lo.shape[:1]), dtype=float)
        bad_hi[0] = np.nan
        return type(val)(np.broadcast_to(val.lo, lo.shape[:1]), bad_hi), grad

    monkeypatch.setattr(T, "enclose_box", nan_on_first_box)
    cert = T.certify(T.CLAIMS[2], max_boxes=200)  # certified in a few hundred boxes with sound bounds
    assert not cert.certified


@pytest.mark.parametrize("spacing, match", [((-1, 0.1, 0.1, 0.1), "spacing"), ((0.1, 0.1, 0.1), "4 entries")])
def test_mean_value_slack_rejects_bad_spacings(spacing, match):
    with pytest.raises(ValueError, match=match):
        T.mean_value_slack(spacing)


# -- issue 15, part 1: what the certificates prove ------------------------------------------------------------------
def test_round_outward_contains_the_decimal_end_points_exactly():
    # the float 0.8 is 0.8000000000000000444 > 0.8: a cover starting there misses a strip of the domain
    assert T.round_outward(0.8, 1.5) == (np.nextafter(0.8, 0.0), 1.5)
    assert T.round_outward(-0.1, 0.1) == (-0.1, 0.1)  # these floats already lie outside [-0.1, 0.1]
    for a, b in ((0.02, 0.24), (0.9, 1.25), (0.95, 1.1), (3.0, 16.0), (0.8, 0.8)):
        lo, hi = T.round_outward(a, b)
        assert Fraction(lo) <= Fraction(repr(a)) and Fraction(hi) >= Fraction(repr(b))


def test_a_box_touching_an_uncovered_end_point_is_not_counted_as_covered():
    """A cover whose boxes end at the float 0.8 leaves [0.8, 0.8000000000000000444) of nu uncovered: it is not a
    cover of the closed domain nu in [0.8, 1.5]; the same boxes from the outward-rounded end point are."""
    b = T.LEMMA12_DOMAIN.bounds
    assert not T.cover_is_complete(b[None, :, 0], b[None, :, 1], T.LEMMA12_DOMAIN)
    out = T.LEMMA12_DOMAIN.outward()
    assert T.cover_is_complete(out[None, :, 0], out[None, :, 1], T.LEMMA12_DOMAIN)
    # halves of the outward box cover it; dropping one, or a gap between them, does not
    lo, hi = np.repeat(out[None, :, 0], 2, axis=0), np.repeat(out[None, :, 1], 2, axis=0)
    hi[0, 2] = lo[1, 2] = 1.1
    assert T.cover_is_complete(lo, hi, T.LEMMA12_DOMAIN)
    assert not T.cover_is_complete(lo[:1], hi[:1], T.LEMMA12_DOMAIN)
    lo[1, 2] = np.nextafter(1.1, 2.0)
    assert not T.cover_is_complete(lo, hi, T.LEMMA12_DOMAIN)


def test_a_search_fooled_by_wrong_special_functions_is_caught_by_the_arb_pass(monkeypatch):
    """The numpy search rests on assumed error bounds of scipy; make erfcx 1 % too small and it 'proves' the false
    claim mu~ < 0.065 (the maximum is 0.0677) at rigour 'assumed'. The Arb pass re-evaluates every box of the cover
    and the claim is not certified."""
    import types

    from scipy import special

    monkeypatch.setattr(interval, "special", types.SimpleNamespace(erfc=special.erfc,
                                                                   erfcx=lambda x: 0.99 * special.erfcx(x)))
    claim = T.Claim("false", "mu_tilde", "max", 0.065, T.THEOREM1_DOMAIN)
    fooled = T.certify(claim, rigour="assumed")
    assert fooled.certified and fooled.rigour == "assumed"
    proof = T.certify(claim)
    assert not proof.certified and proof.rigour == "arb" and proof.proven_bound > 0.0677
    assert proof.refuted or proof.best_value > 0.065


def test_cli_reports_the_rigour_and_grids_the_mu_xi_jacobian(capsys):
    assert main(["--no-certificates", "--quantity", "S_xi", "--coarsen", "64"]) == 0
    out = capsys.readouterr().out
    assert "max S_xi 0.9912524171" in out
    with pytest.raises(SystemExit):
        main(["--rigour", "bogus"])
    with pytest.raises(ValueError, match="quantity"):
        T.paper_grid_check(coarsen=64, quantity="S_g")


# -- issue 15, part 2: the paper's own route and the numbers inside its proofs ---------------------------------------
def test_paper_route_proves_the_bound_for_the_jacobian_of_mu_xi_and_g_closes_the_gap():
    """Lemma 12 as printed: 0.9912524171058772 is S of the Jacobian of (mu~, xi~) at the corner; + Lemma 10's slack
    0.008747 leaves 5.83e-7 below 1 (recomputed with the certified maximum and the exact slack: 5.9e-7). Lemma 10's
    constants hold for that quantity too. The contraction needs S of g, certified separately (0.98903)."""
    route = T.paper_route(coarsen=16)
    assert route.grid.quantity == "S_xi" and np.allclose(route.grid.argmax, T.LEMMA12_CORNER)
    lo, hi = route.grid_max_bounds
    assert lo <= route.grid.grid_max <= hi and hi - lo < 1e-13 and lo - 1e-15 <= T.PAPER_GRID_MAX <= hi + 1e-15
    assert route.printed_margin == pytest.approx(1 - 0.9912524171058772 - 0.008747, abs=1e-15)
    assert 5e-7 < route.margin < 7e-7 and abs(route.slack - 0.0087469931) < 1e-10 and route.closes
    assert all(c.certified and c.rigour == "arb" for c in route.derivative_certificates_s_xi)
    assert all(c.certified for c in route.derivative_certificates_s)
    assert route.s_certificate.certified and round(route.s_certificate.proven_bound, 5) == 0.98903
    assert "different matrix" in route.statement
    # Lemma 10's own sum for |dS/dnu| is 2.357711, not < 2.28242; with it the margin would be negative
    assert round(route.lemma10_nu_sum, 6) == 2.357711 and route.margin_with_nu_sum < 0


def test_theorem_2_proof_values_are_reproduced_and_its_route_is_certified():
    # paper Eqs. 40-43: xi~ - nu = -0.0180173 at (+-1, +-0.1, 3, 1.25) and -0.148532 at (0, 0, 3, 1.25)
    numbers, cert = T.theorem2_proof_values()
    assert [n.printed for n in numbers] == ["-0.0180173", "-0.148532", "-0.0180173"]
    assert all(n.reproduced and n.hi - n.lo < 1e-13 for n in numbers)
    assert cert.certified and cert.rigour == "arb" and round(cert.proven_bound, 7) == -0.0180173


def test_theorem_3_derivative_bounds_reproduce_only_with_nu_min_0_02():
    # paper Eqs. 48, 50 print 0.969231 and 0.976952; their expressions give 0.981253, 0.989408 with the
    # appendix's nu_min = 0.05 (paper_facts §3.3)
    bounds = T.theorem3_derivative_bounds()
    assert [b.printed for b in bounds] == ["0.969231", "0.976952"]
    assert [b.reproduced_by for b in bounds] == [["0.02"], ["0.02"]]
    assert [round(b.values["0.05"][0], 6) for b in bounds] == [0.981253, 0.989408]
    assert all(b.certificate.certified and b.certificate.proven_bound > float(b.printed) for b in bounds)


def test_lemma_7_slip_is_harmless_by_certificate_and_lemma_10_sums_are_recomputed():
    slip = T.lemma7_slip()
    assert slip.harmless and slip.j12_max.rigour == slip.j12_min.rigour == "arb"
    assert 0.11 < slip.j12_max.proven_bound < 0.115 and slip.j12_min.proven_bound > 0.06  # J12 in (0.0626, 0.1141)
    c = slip.lemma10_constants
    assert all(slip.lemma10_sums_derived[i] < c[i] for i in (0, 1, 3))
    assert all(slip.lemma10_sums_stated[i] > c[i] for i in (0, 1, 3))  # with 0.194145 they would not follow
    assert slip.lemma10_sums_derived[2] > c[2]  # the nu sum exceeds 2.28242 either way
    with pytest.raises(ValueError, match="j12_bound"):
        T.lemma10_printed_sums(0.194035)


def test_decimal_point_enclosure_contains_the_decimal_not_the_float():
    # mu~ at the decimal point (-0.1, 0.1, 0.8, 0.95), 50 digits (mpmath on exact decimals)
    with mpmath.workdps(50):
        exact = snnlib.mean_var_map_mpmath(mpmath.mpf("-0.1"), mpmath.mpf("0.8"), mpmath.mpf("0.1"),
                                           mpmath.mpf("0.95"))[0]
    e = T.enclose_decimal_point("mu_tilde", (-0.1, 0.1, 0.8, 0.95))
    assert e.lo <= exact <= e.hi and e.hi - e.lo < 1e-14
    with pytest.raises(ValueError, match="4 finite numbers"):
        T.enclose_decimal_point("mu_tilde", (0.0, 1.0))


def test_format_markdown_puts_the_verdict_first_for_proven_refuted_and_open_claims():
    proven = T.certify(T.CLAIMS[2])
    refuted = T.certify(T.Claim("S < 0.9", "S", "max", 0.9, T.LEMMA12_DOMAIN))
    table = T.format_markdown([proven, refuted]).splitlines()
    assert table[0].startswith("| verdict | claim |") and len(table) == 4
    assert table[2].startswith("| **proven** | ") and f"{proven.proven_bound:.6f}" in table[2]
    assert table[3].startswith("| **refuted** | ")
    derivative = T.format_markdown(T.certify_derivative_bounds()).splitlines()
    assert all(line.count(" | ") == 6 for line in derivative[2:]), "pipes of |dS/dmu| are escaped"
    assert "\\|∂S/∂μ\\|" in derivative[2]
    with pytest.raises(ValueError, match="certs"):
        T.format_markdown([])


def test_smallest_certified_bisects_to_the_first_certified_start_of_theorem_2s_range():
    """The lowest start nu0 of Theorem 2's nu range on a 0.2 grid: bisection agrees with certifying every
    candidate, and the candidate below is refuted, so the answer is exact."""
    def claim_at(nu0):
        return T.Claim("", "nu_tilde_minus_nu", "max", 0.0, dataclasses.replace(T.THEOREM2_DOMAIN, nu=(nu0, 16.0)))

    starts = [2.0, 2.2, 2.4, 2.6, 2.8, 3.0]
    scan = [n for n in starts if T.certify(claim_at(n)).certified]
    found = T.smallest_certified(claim_at, starts)
    assert found.value == scan[0] and found.certificate.certified
    assert found.below is not None and found.below.refuted and found.below.claimed_bound == 0.0
    assert scan == starts[starts.index(scan[0]):]  # monotone: certified from nu0 on
    assert T.smallest_certified(claim_at, [found.value, 3.0]).below is None  # the first candidate: nothing below


@pytest.mark.parametrize("candidates, says", [([], "not empty"), ([3.0, 2.0], "ascending"), ("2, 3", "numbers"),
                                              ([2.0, float("nan")], "finite"), ([2.0, 2.1], "largest")])
def test_smallest_certified_rejects_bad_candidates(candidates, says):
    def claim_at(nu0):
        return T.Claim("", "nu_tilde_minus_nu", "max", 0.0, dataclasses.replace(T.THEOREM2_DOMAIN, nu=(nu0, 16.0)))

    with pytest.raises(ValueError, match="^candidates") as err:
        T.smallest_certified(claim_at, candidates)
    assert says in str(err.value)
