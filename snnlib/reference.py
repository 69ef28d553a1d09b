"""Reference evaluations of the moment map that share no code with the closed forms in `snnlib.moments`.

- `moments_quadrature`: adaptive quadrature (scipy.integrate.quad) of paper Eq. (3) for *any* activation.
- `moments_monte_carlo`: sampling z ~ N(mu omega, nu tau), with standard errors.
- `mean_var_map_mpmath`: the paper's printed closed forms (Eqs. 11-13, textbook exp*erfc form) in mpmath at
  arbitrary precision, the ground truth for accuracy tests.
See chapter "Deriving the mapping g".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import integrate

from ._validate import check_finite, check_positive
from .activations import ALPHA_01, LAMBDA_01, selu

Activation = Callable[[Any], Any]


def _check(mu, nu, omega, tau) -> None:
    check_finite("mu", mu, "mean of the incoming activations")
    check_finite("omega", omega, "sum of the weights, n * mean(w)")
    check_positive("nu", nu, "variance of the incoming activations")
    check_positive("tau", tau, "sum of squared weights, n * mean(w**2)")


def gaussian_expectation(f: Callable[[float], float], mean: float, var: float, kinks: tuple[float, ...] = (0.0,),
                         epsabs: float = 1e-14, epsrel: float = 1e-13) -> float:
    """E[f(z)] for z ~ N(mean, var) by adaptive quadrature in the standardised variable t = (z - mean) / sd.

    The integration range is cut at the kinks of f (default: 0, where SELU/ReLU change formula) and at
    |t| = 40, beyond which the Gaussian weight is below 1e-340.
    """
    sd = math.sqrt(var)
    cuts = sorted({-40.0, 40.0, *(min(max((k - mean) / sd, -40.0), 40.0) for k in kinks)})

    def integrand(t: float) -> float:
        return float(f(mean + sd * t)) * math.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)

    total = 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b > a:
            total += integrate.quad(integrand, a, b, epsabs=epsabs, epsrel=epsrel, limit=200)[0]
    return total


def moments_quadrature(mu: float, nu: float, omega: float = 0.0, tau: float = 1.0,
                       activation: Activation | None = None, kinks: tuple[float, ...] = (0.0,)) -> tuple[float, float]:
    """(mu~, nu~) of paper Eq. (3) by quadrature, for any scalar activation (default SELU with alpha01, lambda01)."""
    _check(mu, nu, omega, tau)
    f = activation if activation is not None else (lambda x: float(selu(x)))
    m, s2 = float(mu) * float(omega), float(nu) * float(tau)
    mean = gaussian_expectation(lambda z: f(z), m, s2, kinks)
    second = gaussian_expectation(lambda z: f(z) ** 2, m, s2, kinks)
    return mean, second - mean * mean


def moments_monte_carlo(mu: float, nu: float, omega: float = 0.0, tau: float = 1.0,
                        activation: Activation | None = None, n: int = 1_000_000,
                        seed: int = 0) -> tuple[float, float, float, float]:
    """(mu~, nu~, se_mu, se_nu): Monte Carlo estimates of paper Eq. (3) from n samples, with standard errors."""
    _check(mu, nu, omega, tau)
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (number of samples), got {n!r}")
    f = activation if activation is not None else selu
    rng = np.random.default_rng(seed)
    z = float(mu) * float(omega) + math.sqrt(float(nu) * float(tau)) * rng.standard_normal(n)
    y = np.asarray(f(z), dtype=np.float64)
    mean, var = float(y.mean()), float(y.var(ddof=1))
    centred2 = (y - mean) ** 2
    se_var = float(centred2.std(ddof=1) / math.sqrt(n))
    return mean, var, math.sqrt(var / n), se_var


def mean_var_map_mpmath(mu: Any, nu: Any, omega: Any = 0, tau: Any = 1, alpha: Any = None, lam: Any = None,
                        dps: int = 50) -> tuple[Any, Any, Any]:
    """(mu~, nu~, xi~) from the paper's closed forms, Eqs. (11)-(13), evaluated by mpmath with ``dps`` digits.

    Inputs may be floats (taken exactly) or mpmath numbers; alpha/lam default to the exact alpha01/lambda01.
    """
    import mpmath

    from .activations import alpha01_lambda01_closed_form

    with mpmath.workdps(dps + 10):
        if alpha is None or lam is None:
            a01, l01 = alpha01_lambda01_closed_form(dps + 10)
            alpha = a01 if alpha is None else alpha
            lam = l01 if lam is None else lam
        mu, nu, omega, tau, alpha, lam = (mpmath.mpf(v) for v in (mu, nu, omega, tau, alpha, lam))
        m, s2 = mu * omega, nu * tau
        s = mpmath.sqrt(s2)
        r2 = mpmath.sqrt(2)
        erfc, exp = mpmath.erfc, mpmath.exp
        mu_t = lam / 2 * (-(alpha + m) * erfc(m / (r2 * s)) + alpha * exp(m + s2 / 2) * erfc((m + s2) / (r2 * s))
                          + mpmath.sqrt(2 / mpmath.pi) * s * exp(-m**2 / (2 * s2)) + 2 * m)
        xi_t = lam**2 / 2 * ((m**2 + s2) * (mpmath.erf(m / (r2 * s)) + 1)
                             + alpha**2 * (-2 * exp(m + s2 / 2) * erfc((m + s2) / (r2 * s))
                                           + exp(2 * (m + s2)) * erfc((m + 2 * s2) / (r2 * s))
                                           + erfc(m / (r2 * s)))
                             + mpmath.sqrt(2 / mpmath.pi) * m * s * exp(-m**2 / (2 * s2)))
        return +mu_t, +(xi_t - mu_t**2), +xi_t


def mean_var_map_textbook(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
                          lam: float = LAMBDA_01) -> tuple[np.ndarray, np.ndarray]:
    """The paper's Eqs. (4)-(5) transcribed literally in float64 (exp * erfc products).

    Kept to *show* its failure: exp(2(mu omega + nu tau)) overflows near nu tau = 355 and the products lose
    accuracy long before. Use `snnlib.moments.mean_var_map` for computation.
    """
    from scipy.special import erf, erfc

    m = np.asarray(mu, dtype=float) * np.asarray(omega, dtype=float)
    s2 = np.asarray(nu, dtype=float) * np.asarray(tau, dtype=float)
    s = np.sqrt(s2)
    r2 = math.sqrt(2.0)
    with np.errstate(all="ignore"):
        mu_t = 0.5 * lam * (m * erf(m / (r2 * s)) + alpha * np.exp(m + s2 / 2) * erfc((m + s2) / (r2 * s))
                            - alpha * erfc(m / (r2 * s)) + math.sqrt(2 / math.pi) * s * np.exp(-m**2 / (2 * s2)) + m)
        nu_t = 0.5 * lam**2 * ((m**2 + s2) * (2 - erfc(m / (r2 * s)))
                               + alpha**2 * (-2 * np.exp(m + s2 / 2) * erfc((m + s2) / (r2 * s))
                                             + np.exp(2 * (m + s2)) * erfc((m + 2 * s2) / (r2 * s))
                                             + erfc(m / (r2 * s)))
                               + math.sqrt(2 / math.pi) * m * s * np.exp(-m**2 / (2 * s2))) - mu_t**2
    return mu_t, nu_t


def ulp_distance(x: float, exact: Any) -> int:
    """Signed distance from the float64 ``x`` to the float64 nearest ``exact`` (a float or an mpmath number), in
    units in the last place: the number of representable doubles between them, negative if ``x`` is below. 0 means
    ``x`` is the correctly rounded value. See chapter "Definition 1 and SELU" (the constants to the last bit)."""
    a, b = float(x), float(exact)
    for name, v in (("x", a), ("exact", b)):
        if not math.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if (a < 0) != (b < 0) and a != 0 and b != 0:
        raise ValueError(f"x and exact must have the same sign to be counted in ulps, got {a!r} and {b!r}")

    def ordinal(v: float) -> int:
        bits = int(np.float64(abs(v)).view(np.int64))
        return -bits if v < 0 else bits

    return ordinal(a) - ordinal(b)
