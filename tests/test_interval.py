"""Tests of snnlib.interval: every operation encloses the exact real result (checked with mpmath at 50 digits)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import special

from snnlib import interval
from snnlib.interval import GradInterval, Interval

mpmath.mp.dps = 50
RNG = np.random.default_rng(0)


def _random_intervals(n: int, scale: float = 3.0, positive: bool = False) -> Interval:
    a, b = RNG.normal(scale=scale, size=(2, n))
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    if positive:
        lo, hi = np.abs(lo) + 1e-3, np.abs(lo) + np.abs(hi - lo) + 2e-3
    return Interval(lo, hi)


def _inside(x: Interval, k: int = 5) -> list[np.ndarray]:
    """Points of each interval: both ends and random interior points (floats, taken as exact reals)."""
    return [x.lo, x.hi] + [np.clip(x.lo + (x.hi - x.lo) * RNG.random(x.lo.shape), x.lo, x.hi) for _ in range(k)]


def _assert_encloses(result: Interval, exact) -> None:
    for lo, hi, e in zip(result.lo.ravel(), result.hi.ravel(), exact):
        assert mpmath.mpf(float(lo)) <= e <= mpmath.mpf(float(hi)), (lo, e, hi)


BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_operations_enclose_exact_results(op):
    f_int, f_mp = BINARY[op]
    x = _random_intervals(40)
    y = _random_intervals(40, positive=(op == "div"))
    if op == "div":
        y = Interval(np.where(np.arange(40) % 2, y.lo, -y.hi), np.where(np.arange(40) % 2, y.hi, -y.lo))
    r = f_int(x, y)
    for px, py in zip(_inside(x), _inside(y)):
        _assert_encloses(r, [f_mp(mpmath.mpf(float(a)), mpmath.mpf(float(b))) for a, b in zip(px, py)])


UNARY = {
    "exp": (Interval.exp, mpmath.exp, 5.0, False),
    "erfc": (Interval.erfc, mpmath.erfc, 4.0, False),
    "erfcx": (Interval.erfcx, lambda x: mpmath.exp(x * x) * mpmath.erfc(x), 6.0, False),
    "sqrt": (Interval.sqrt, mpmath.sqrt, 3.0, True),
    "square": (Interval.square, lambda x: x * x, 3.0, False),
    "reciprocal": (Interval.reciprocal, lambda x: 1 / x, 3.0, True),
}


@pytest.mark.parametrize("rigour", interval.RIGOUR_LEVELS)
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_functions_enclose_exact_results(op, rigour):
    f_int, f_mp, scale, positive = UNARY[op]
    x = _random_intervals(60, scale=scale, positive=positive)
    with interval.rigour(rigour):
        r = f_int(x)
    for px in _inside(x):
        _assert_encloses(r, [f_mp(mpmath.mpf(float(a))) for a in px])


@pytest.mark.parametrize("op", ["exp", "erfc", "erfcx"])
def test_special_functions_keep_half_the_assumed_error_at_random_points(op):
    # interval.py assumes relative errors <= EXP_ULPS eps (exp) and SPECIAL_ULPS eps (1 + x^2) (erfc, erfcx);
    # check that the measured error stays below half of that, on typical and on large arguments
    f_int, f_mp, scale, _ = UNARY[op]
    x = np.concatenate([RNG.normal(scale=scale, size=300), RNG.uniform(-1.5, 1.5, size=300),
                        RNG.uniform(-20.0, 20.0, size=100)])
    approx = {"exp": np.exp, "erfc": special.erfc, "erfcx": special.erfcx}[op](x)
    eps = np.finfo(float).eps
    for a, v in zip(x, approx):
        exact = f_mp(mpmath.mpf(float(a)))
        rel = interval.EXP_ULPS * eps if op == "exp" else interval.SPECIAL_ULPS * eps * (1 + a * a)
        assert abs(mpmath.mpf(float(v)) - exact) <= 0.5 * rel * abs(exact) + interval.SPECIAL_ABS, (op, a)


def test_point_operations_round_outward():
    # 0.1 + 0.2 is not a float: the enclosure must be a proper interval around the exact sum
    r = Interval.point(0.1) + Interval.point(0.2)
    assert r.lo < r.hi
    _assert_encloses(r, [mpmath.mpf(0.1) + mpmath.mpf(0.2)])
    third = Interval.point(1.0) / Interval.point(3.0)
    _assert_encloses(third, [mpmath.mpf(1) / 3])
    assert third.hi - third.lo <= 4 * np.spacing(1 / 3)
    assert Interval.const(math.pi).contains(math.pi)
    _assert_encloses(Interval.const(math.pi), [mpmath.pi])


def test_multiplication_uses_all_four_products_for_mixed_signs():
    r = Interval(np.array(-2.0), np.array(3.0)) * Interval(np.array(-5.0), np.array(4.0))
    assert r.lo <= -15 and r.hi >= 12 and r.lo > -15.0001 and r.hi < 12.0001


def test_square_of_interval_straddling_zero_starts_at_zero():
    r = Interval(np.array(-2.0), np.array(1.0)).square()
    assert r.lo == 0.0 and 4.0 <= r.hi < 4.0001


def test_reciprocal_of_interval_containing_zero_is_unbounded():
    r = Interval(np.array(-1.0), np.array(2.0)).reciprocal()
    assert r.lo == -np.inf and r.hi == np.inf


def test_make_rejects_reversed_bounds():
    with pytest.raises(ValueError, match="lo <= hi"):
        Interval.make([1.0, 2.0], [0.0, 3.0])


def test_grad_interval_encloses_value_and_gradient_of_a_composite_function():
    # f(x, y) = erfcx(x y) exp(-x) / sqrt(y) + erfc(x - y)^2 on a box; check at random points with mpmath.diff
    lo, hi = np.array([0.3, 0.8]), np.array([0.5, 1.1])
    x = GradInterval.seed(Interval(lo[0], hi[0]), 0, 2)
    y = GradInterval.seed(Interval(lo[1], hi[1]), 1, 2)
    f = (x * y).erfcx() * (-x).exp() / y.sqrt() + (x - y).erfc().square()

    def f_mp(a, b):
        return mpmath.exp((a * b) ** 2) * mpmath.erfc(a * b) * mpmath.exp(-a) / mpmath.sqrt(b) + mpmath.erfc(a - b) ** 2

    for _ in range(5):
        a, b = (mpmath.mpf(float(v)) for v in lo + (hi - lo) * RNG.random(2))
        assert f.val.lo <= f_mp(a, b) <= f.val.hi
        assert f.grad[0].lo <= mpmath.diff(lambda t: f_mp(t, b), a) <= f.grad[0].hi
        assert f.grad[1].lo <= mpmath.diff(lambda t: f_mp(a, t), b) <= f.grad[1].hi


# --- added after a mutation audit ---------------------------------------------------------------------------


def test_interval_scalar_operations_enclose_the_exact_value_and_stay_ordered():
    x = Interval.point(0.3)
    for result, exact in ((x - 0.1, mpmath.mpf(0.3) - mpmath.mpf(0.1)), (0.1 - x, mpmath.mpf(0.1) - mpmath.mpf(0.3)),
                          (x * -0.7, mpmath.mpf(0.3) * mpmath.mpf(-0.7))):
        assert result.lo < result.hi and mpmath.mpf(float(result.lo)) <= exact <= mpmath.mpf(float(result.hi))


def test_interval_times_a_negative_scalar_swaps_its_ends():
    r = Interval(np.array(0.1), np.array(0.3)) * -2.0
    assert r.lo <= -0.6 <= r.hi and r.lo <= -0.2 <= r.hi and r.lo < r.hi
    r = -0.5 * Interval(np.array(1.0), np.array(4.0))  # as theorems computes -u^2/2
    assert r.lo <= -2.0 and r.hi >= -0.5 and r.lo < r.hi


def test_reciprocal_of_an_interval_ending_at_zero_is_unbounded():
    r = Interval(np.array(-1.0), np.array(0.0)).reciprocal()
    assert r.lo == -np.inf and r.hi == np.inf


# --- rigour "arb": special functions enclosed by Arb (python-flint), nothing assumed --------------------------

ARB_RANGES = {"exp": [(-745.0, -700.0), (-50.0, 50.0), (700.0, 709.0)],
              "erfc": [(-30.0, -5.0), (-5.0, 5.0), (5.0, 27.0)],
              "erfcx": [(-26.0, -5.0), (-5.0, 5.0), (5.0, 1e4), (1e4, 1e12)]}


@pytest.mark.parametrize("op", sorted(ARB_RANGES))
def test_arb_point_enclosures_contain_the_50_digit_value_and_are_a_few_ulp_wide(op):
    """At rigour "arb" every end point is evaluated in Arb: the float bounds contain the 50-digit value over the
    whole range, including where scipy's error grows like x^2 eps, near underflow and, for erfcx, where the
    Abramowitz-Stegun bounds take over (x >= 2^26)."""
    f_int, f_mp, _, _ = UNARY[op]
    x = np.concatenate([RNG.uniform(a, b, 40) for a, b in ARB_RANGES[op]] + [[2.0**26, 2.0**26 * 1.5]])
    with interval.rigour("arb"):
        r = f_int(Interval.point(x))
    exact = [f_mp(mpmath.mpf(float(a))) for a in x]
    _assert_encloses(r, exact)
    normal = (np.abs(r.hi) > 1e-300) & np.isfinite(r.hi)
    assert np.all(r.hi[normal] - r.lo[normal] <= 8 * np.spacing(np.abs(r.hi[normal])))


def test_arb_is_the_default_and_rigour_levels_are_checked():
    assert interval.current_rigour() == "arb"
    with interval.rigour("assumed"):
        assert interval.current_rigour() == "assumed"
    assert interval.current_rigour() == "arb"
    with pytest.raises(ValueError, match="rigour must be one of"):
        with interval.rigour("proven"):
            pass


def test_arb_to_floats_encloses_the_ball_exactly():
    from flint import arb

    for v in RNG.normal(scale=50, size=50).tolist() + [1e-320, -1e300, 0.0]:
        ball = arb(v).exp() if abs(v) < 700 else arb(v)
        lo, hi = interval.arb_to_floats(ball)
        assert arb(lo) <= ball.lower() and arb(hi) >= ball.upper() and lo <= hi
    assert interval.arb_to_floats(arb(800).exp())[1] == math.inf


@pytest.mark.parametrize("rigour", interval.RIGOUR_LEVELS)
def test_constants_enclose_their_exact_values(rigour):
    exact = {"2/sqrt(pi)": 2 / mpmath.sqrt(mpmath.pi), "1/sqrt(2)": 1 / mpmath.sqrt(2),
             "1/sqrt(2 pi)": 1 / mpmath.sqrt(2 * mpmath.pi)}
    with interval.rigour(rigour):
        for name, value in exact.items():
            _assert_encloses(interval.constant(name), [value])
        with pytest.raises(ValueError, match="name must be one of"):
            interval.constant("pi")


def test_special_functions_at_infinite_end_points_take_their_limits():
    with interval.rigour("arb"):
        e = Interval(np.array(-np.inf), np.array(0.0)).exp()
        c = Interval(np.array(-np.inf), np.array(np.inf)).erfc()
    assert e.lo == 0.0 and 1.0 <= e.hi < 1.0 + 1e-15 and c.lo == 0.0 and c.hi == 2.0


def test_product_of_unbounded_and_zero_touching_intervals_is_not_nan():
    # [0, inf] * [0, 1] gave [nan, nan]: 0 * inf of two bounds is taken as 0, the limit of the bound
    r = Interval(np.array(0.0), np.array(np.inf)) * Interval(np.array(0.0), np.array(1.0))
    assert not np.isnan(r.lo) and not np.isnan(r.hi) and r.lo <= 0.0 and r.hi == np.inf
    a = Interval(np.array([-1.0, 0.0]), np.array([0.0, 2.0]))
    r = a * Interval(np.array([-np.inf, 1.0]), np.array([np.inf, 3.0]))
    assert r.lo[0] == -np.inf and r.hi[0] == np.inf and r.lo[1] <= 0.0 and 6.0 <= r.hi[1] < 6.0 + 1e-14
    assert not np.isnan((Interval(np.array(0.0), np.array(0.0)) * np.inf).lo)
