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

from .activations import ALPHA_01, LAMBDA_01, selu
from .moments import check_moment_args

Activation = Callable[[Any], Any]


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
    check_moment_args(mu, nu, omega, tau)
    f = activation if activation is not None else (lambda x: float(selu(x)))
    m, s2 = float(mu) * float(omega), float(nu) * float(tau)
    mean = gaussian_expectation(lambda z: f(z), m, s2, kinks)
    second = gaussian_expectation(lambda z: f(z) ** 2, m, s2, kinks)
    return mean, second - mean * mean


def moments_monte_carlo(mu: float, nu: float, omega: float = 0.0, tau: float = 1.0,
                        activation: Activation | None = None, n: int = 1_000_000,
                        seed: int = 0) -> tuple[float, float, float, float]:
    """(mu~, nu~, se_mu, se_nu): Monte Carlo estimates of paper Eq. (3) from n samples, with standard errors."""
    check_moment_args(mu, nu, omega, tau)
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


def _mp_number(name: str, value: Any, meaning: str, positive: bool) -> Any:
    import mpmath

    if isinstance(value, (complex, np.complexfloating, mpmath.mpc)) or np.iscomplexobj(value):
        raise ValueError(f"{name} ({meaning}) must be real, got {value!r}")
    try:
        x = mpmath.mpf(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} ({meaning}) must be a real number, got {value!r}") from None
    if not mpmath.isfinite(x) or (positive and not x > 0):
        raise ValueError(f"{name} ({meaning}) must be finite{' and > 0' if positive else ''}, got {value!r}")
    return x


def _closed_form_terms(mu, nu, omega, tau, alpha, lam) -> dict[str, list]:
    """The paper's closed forms as lists of terms (their sum is the value), at the current mpmath precision:
    mu~ (Eq. 11), xi~ (Eq. 13) and the appendix's Jacobian J of (mu~, xi~) (Eqs. 62-65), in the textbook
    exp * erfc form. The terms give the scale against which cancellation is measured."""
    import mpmath

    m, s2 = mu * omega, nu * tau
    s, r2 = mpmath.sqrt(s2), mpmath.sqrt(2)
    erfc, exp = mpmath.erfc, mpmath.exp
    ec0, ec1, ec2 = erfc(m / (r2 * s)), erfc((m + s2) / (r2 * s)), erfc((m + 2 * s2) / (r2 * s))
    ex1, ex2 = exp(m + s2 / 2) * ec1, exp(2 * (m + s2)) * ec2
    gauss = exp(-m**2 / (2 * s2))
    g = mpmath.sqrt(2 / mpmath.pi) * s * gauss
    erf0 = mpmath.erf(m / (r2 * s))
    return {
        "mu": [lam / 2 * v for v in (-alpha * ec0, -m * ec0, alpha * ex1, g, 2 * m)],
        "xi": [lam**2 / 2 * v for v in ((m**2 + s2) * erf0, m**2 + s2, -2 * alpha**2 * ex1, alpha**2 * ex2,
                                        alpha**2 * ec0, m * g)],
        "J11": [lam * omega / 2 * v for v in (alpha * ex1, -ec0, 2)],
        "J12": [lam * tau / 4 * v for v in (alpha * ex1, -(alpha - 1) * mpmath.sqrt(2 / (mpmath.pi * s2)) * gauss)],
        "J21": [lam**2 * omega * v for v in (-alpha**2 * ex1, alpha**2 * ex2, 2 * m, -m * ec0, g)],
        "J22": [lam**2 * tau / 2 * v for v in (-alpha**2 * ex1, 2 * alpha**2 * ex2, -ec0, 2)],
    }


_UNDERFLOW = 1e-320  # below this magnitude a value is reported as 0 (it is outside the float64 range anyway)


def _adaptive(mu, nu, omega, tau, alpha, lam, dps: int, keys: tuple[str, ...], max_dps: int = 2000):
    """Values of ``keys`` ("mu", "nu", "xi", "H11", "H12", "H21", "H22") with ``dps`` correct digits each.

    Each value is a sum of terms (`_closed_form_terms`); the working precision is raised until it exceeds
    ``dps`` + 10 plus the digits lost to cancellation, log10(sum |terms| / |value|). A value whose terms cancel
    to below 1e-320 is returned as 0 (it would underflow in float64)."""
    import mpmath

    from .activations import alpha01_lambda01_closed_form

    work = dps + 20
    while True:
        with mpmath.workdps(work):
            if alpha is None or lam is None:
                a01, l01 = alpha01_lambda01_closed_form(work)
            a = a01 if alpha is None else mpmath.mpf(alpha)
            lm = l01 if lam is None else mpmath.mpf(lam)
            t = _closed_form_terms(mpmath.mpf(mu), mpmath.mpf(nu), mpmath.mpf(omega), mpmath.mpf(tau), a, lm)
            mu_t, xi_t = mpmath.fsum(t["mu"]), mpmath.fsum(t["xi"])
            j = {k: mpmath.fsum(t[k]) for k in ("J11", "J12", "J21", "J22")}
            terms = {"mu": t["mu"], "xi": t["xi"], "nu": t["xi"] + [-mu_t**2], "H11": t["J11"], "H12": t["J12"],
                     "H21": t["J21"] + [-2 * mu_t * j["J11"]], "H22": t["J22"] + [-2 * mu_t * j["J12"]]}
            values = {"mu": mu_t, "xi": xi_t, "nu": xi_t - mu_t**2, "H11": j["J11"], "H12": j["J12"],
                      "H21": j["J21"] - 2 * mu_t * j["J11"], "H22": j["J22"] - 2 * mu_t * j["J12"]}
            lost, out = 0, {}
            for key in keys:
                value, scale = values[key], mpmath.fsum(abs(v) for v in terms[key])
                noise = scale * mpmath.mpf(10) ** (-(work - 5))
                if scale == 0 or abs(value) > noise * 10**(dps + 5):  # resolved to dps digits
                    out[key] = +value
                elif abs(value) + noise < _UNDERFLOW:  # cancels below the float64 range
                    out[key] = mpmath.mpf(0)
                else:
                    lost = max(lost, int(mpmath.ceil(mpmath.log10(scale / max(abs(value), noise)))))
            if len(out) == len(keys):
                return tuple(out[k] for k in keys)
        if work >= max_dps:
            raise ValueError(f"mpmath reference did not resolve {sorted(set(keys) - set(out))} within {max_dps} digits")
        work = min(max_dps, max(2 * work, dps + lost + 30))


def _check_reference_args(mu, nu, omega, tau, alpha, lam, dps) -> tuple:
    from ._validate import check_int

    check_int("dps", dps, 1, "decimal digits of the result")
    values = (_mp_number("mu", mu, "mean of the incoming activations", False),
              _mp_number("nu", nu, "variance of the incoming activations", True),
              _mp_number("omega", omega, "sum of the weights, n * mean(w)", False),
              _mp_number("tau", tau, "sum of squared weights, n * mean(w**2)", True))
    consts = tuple(None if v is None else _mp_number(n, v, f"SELU {n} parameter", True)
                   for n, v in (("alpha", alpha), ("lam", lam)))
    return values + consts


def mean_var_map_mpmath(mu: Any, nu: Any, omega: Any = 0, tau: Any = 1, alpha: Any = None, lam: Any = None,
                        dps: int = 50) -> tuple[Any, Any, Any]:
    """(mu~, nu~, xi~) from the paper's closed forms, Eqs. (11)-(13), evaluated by mpmath, each to ``dps``
    correct digits (relative).

    Inputs may be floats (taken exactly) or mpmath numbers; alpha/lam default to the exact alpha01/lambda01.
    The working precision grows with the cancellation in xi~ - mu~^2 (e.g. 110 digits for nu~ ~ 1e-60 at
    (m, s2) = (-50, 1e-16)); a value that cancels below 1e-320 is returned as 0. Raises ValueError for
    nu <= 0, tau <= 0, non-finite or complex arguments, or dps < 1. Chapter "Deriving the mapping g".
    """
    args = _check_reference_args(mu, nu, omega, tau, alpha, lam, dps)
    return _adaptive(*args, dps, ("mu", "nu", "xi"))


def jacobian_mpmath(mu: Any, nu: Any, omega: Any = 0, tau: Any = 1, alpha: Any = None, lam: Any = None,
                    dps: int = 50) -> list[list[Any]]:
    """The Jacobian d(mu~, nu~)/d(mu, nu) of g as a 2x2 list of mpmath numbers, each entry to ``dps`` digits.

    From the paper's Eqs. (62)-(65) (the Jacobian J of (mu~, xi~), textbook exp * erfc form) and Eq. (87)
    (d nu~ = d xi~ - 2 mu~ d mu~), with the working precision raised past the cancellation of Eq. (87), as in
    `mean_var_map_mpmath` (entries that cancel below 1e-320 are returned as 0). It shares no code with
    `snnlib.moments.jacobian`, whose accuracy it tests. Chapter "The fixed point (0, 1) and the Jacobian".
    """
    args = _check_reference_args(mu, nu, omega, tau, alpha, lam, dps)
    h11, h12, h21, h22 = _adaptive(*args, dps, ("H11", "H12", "H21", "H22"))
    return [[h11, h12], [h21, h22]]


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
