"""Mean-field theory of randomly initialised networks: the variance map, gradients, correlations, precision.

The paper's map g (Eqs. 3-5) holds each unit's weight sum omega fixed. A randomly initialised network is better
described by averaging over the weights too (Poole et al. 2016; Schoenholz et al. 2017): with zero-mean weights of
variance sigma_w^2 / n and zero biases, the pre-activation h of every unit is N(0, q) with

    q_{l+1}   = sigma_w^2 E[phi(sqrt(q_l) z)^2]                         (variance map, "q-map")
    c_{l+1}   = sigma_w^2 E[phi(u1) phi(u2)] / q*                        (correlation map)
    chi_1     = sigma_w^2 E[phi'(sqrt(q*) z)^2]                          (gradient second-moment gain per layer)
    chi_c     = sigma_w^2 E[phi'(u1) phi'(u2)] at c*,   xi_c = -1 / ln chi_c   (correlation depth scale)

with z ~ N(0, 1) and (u1, u2) centred Gaussian with variances q* and correlation c. Note the *second moment* in
the q-map: a non-zero activation mean mu adds mu^2 tau to the next pre-activation variance, which g (at fixed
omega = 0) leaves out. At sigma_w^2 = tau = 1 both maps have SELU's fixed point; elsewhere they differ.

Expectations are Gaussian quadratures split at the activations' kink at 0 (Gauss-Legendre on each smooth piece,
in polar coordinates for the 2-d ones): plain Gauss-Hermite converges only algebraically across a kink.
Chapters "SELU in real frameworks" and "Beyond the forward pass".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize

from ._validate import check_nonnegative, check_positive
from .activations import ALPHA_01, LAMBDA_01
from .fixed_point import fixed_point

Fn = Callable[[np.ndarray], np.ndarray]
_R_MAX = 12.0  # radius beyond which the Gaussian weight is < 1e-31


@lru_cache(maxsize=8)
def _legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


def _rule(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = _legendre(n)
    return 0.5 * (b - a) * x + 0.5 * (b + a), 0.5 * (b - a) * w


def selu_pair(alpha: float = ALPHA_01, lam: float = LAMBDA_01) -> tuple[Fn, Fn]:
    """(selu, selu') for given alpha, lam (paper Eq. 2); selu'(x) = lam for x > 0, lam alpha e^x for x <= 0."""
    def f(x: np.ndarray) -> np.ndarray:
        return lam * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))

    def df(x: np.ndarray) -> np.ndarray:
        return lam * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))

    return f, df


#: Activations by name, as (phi, phi') pairs over numpy arrays.
ACTIVATIONS: dict[str, tuple[Fn, Fn]] = {
    "selu": selu_pair(),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "tanh": (np.tanh, lambda x: 1.0 / np.cosh(x) ** 2),
}


def _pair(activation: str | tuple[Fn, Fn]) -> tuple[Fn, Fn]:
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} or a (phi, phi') pair, "
                             f"got {activation!r}")
        return ACTIVATIONS[activation]
    return activation


def gaussian_expectation_1d(f: Fn, q: float, n: int = 96) -> float:
    """E[f(sqrt(q) z)], z ~ N(0, 1), for f smooth except at 0: Gauss-Legendre on each half-line up to |z| = 12."""
    check_positive("q", q, "variance of the pre-activations")
    t, w = _rule(0.0, _R_MAX, n)
    dens = w * np.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)
    s = math.sqrt(q)
    return float(np.sum(dens * (f(s * t) + f(-s * t))))


def gaussian_expectation_2d(f: Fn, g: Fn, q: float, c: float, n_theta: int = 64, n_r: int = 96) -> float:
    """E[f(u1) g(u2)] for centred (u1, u2) with variances q and correlation c, f and g smooth except at 0.

    In polar coordinates of the standard pair (z1, z2), u1 = sqrt(q) z1 and u2 = sqrt(q) (c z1 + sqrt(1-c^2) z2);
    the kinks u1 = 0 and u2 = 0 are rays, so the angle is split there and each wedge integrated by Gauss-Legendre.
    """
    check_positive("q", q, "variance of the pre-activations")
    if not -1.0 <= c <= 1.0:
        raise ValueError(f"c (correlation of the two inputs) must be in [-1, 1], got {c!r}")
    s = math.sqrt(max(0.0, 1.0 - c * c))
    beta = math.atan2(s, c)
    cuts = sorted({0.0, 2 * math.pi, 0.5 * math.pi, 1.5 * math.pi,
                   (beta + 0.5 * math.pi) % (2 * math.pi), (beta + 1.5 * math.pi) % (2 * math.pi)})
    r, wr = _rule(0.0, _R_MAX, n_r)
    radial = wr * r * np.exp(-0.5 * r * r) / (2.0 * math.pi)
    total, sq = 0.0, math.sqrt(q)
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b - a < 1e-15:
            continue
        th, wt = _rule(a, b, n_theta)
        z1 = np.outer(np.cos(th), r)
        z2 = np.outer(np.sin(th), r)
        vals = f(sq * z1) * g(sq * (c * z1 + s * z2))
        total += float(wt @ vals @ radial)
    return total


def qmap(q: float, sigma_w2: float = 1.0, activation: str | tuple[Fn, Fn] = "selu", sigma_b2: float = 0.0) -> float:
    """Next pre-activation variance sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2 over random zero-mean weights.

    Schoenholz et al. (2017), Eq. (3). sigma_w^2 is the paper's tau (fan_in * Var(w)); sigma_b^2 the variance
    of the biases (0 for an SNN; 1 / (3 fan_in) for PyTorch's default ``nn.Linear``). Chapter
    "SELU in real frameworks".
    """
    check_positive("sigma_w2", sigma_w2, "fan_in * Var(w), the paper's tau")
    if not (math.isfinite(sigma_b2) and sigma_b2 >= 0):
        raise ValueError(f"sigma_b2 (variance of the biases) must be finite and >= 0, got {sigma_b2!r}")
    f, _ = _pair(activation)
    return sigma_w2 * gaussian_expectation_1d(lambda x: f(x) ** 2, q) + sigma_b2


def qmap_fixed_point(sigma_w2: float = 1.0, activation: str | tuple[Fn, Fn] = "selu", sigma_b2: float = 0.0,
                     q_range: tuple[float, float] = (1e-12, 1e4)) -> float:
    """The stable non-zero fixed point q* of :func:`qmap`; 0.0 if the variance collapses, inf if it diverges.

    Scans log q for the sign change of qmap(q)/q - 1 from + to -, then refines with Brent's method. SELU:
    q* = 1 at sigma_w^2 = 1; collapse below sigma_w^2 = 0.477 (PyTorch's default 1/3); divergence at 2 (He).
    """
    grid = np.geomspace(*q_range, 121)
    h = np.array([qmap(q, sigma_w2, activation, sigma_b2) / q - 1.0 for q in grid])
    for i in range(len(grid) - 1):
        if h[i] > 0 >= h[i + 1]:
            return float(optimize.brentq(lambda q: qmap(q, sigma_w2, activation, sigma_b2) / q - 1.0, grid[i],
                                         grid[i + 1], xtol=1e-15, rtol=1e-14))
    return 0.0 if h[0] < 0 else math.inf


def activation_moments(q: float, activation: str | tuple[Fn, Fn] = "selu") -> tuple[float, float]:
    """(mean, variance) of phi(h), h ~ N(0, q): the activation statistics a measurement pools over units."""
    f, _ = _pair(activation)
    m = gaussian_expectation_1d(f, q)
    return m, gaussian_expectation_1d(lambda x: f(x) ** 2, q) - m * m


def chi1(sigma_w2: float = 1.0, q: float | None = None, activation: str | tuple[Fn, Fn] = "selu") -> float:
    """chi_1 = sigma_w^2 E[phi'(sqrt(q) z)^2] at q (default: the fixed point q*); per-layer growth of E[grad^2].

    Schoenholz et al. (2017), Eq. (5). SELU at LeCun init: lam^2 (1/2 + alpha^2 e^2 Phi(-2)) = 1.0716, so
    gradient norms grow by sqrt(1.0716) = 1.035 per layer. Chapter "Beyond the forward pass".
    """
    _, df = _pair(activation)
    q = qmap_fixed_point(sigma_w2, activation) if q is None else q
    return sigma_w2 * gaussian_expectation_1d(lambda x: df(x) ** 2, q)


def correlation_map(c: float, q: float | None = None, sigma_w2: float = 1.0,
                    activation: str | tuple[Fn, Fn] = "selu") -> float:
    """c -> sigma_w^2 E[phi(u1) phi(u2)] / q for two inputs at variance q (default q*) and correlation c.

    Schoenholz et al. (2017), Eq. (4) divided by q* (sigma_b = 0). Chapter "Beyond the forward pass".
    """
    f, _ = _pair(activation)
    q = qmap_fixed_point(sigma_w2, activation) if q is None else q
    return sigma_w2 * gaussian_expectation_2d(f, f, q, c) / q


def correlation_fixed_point(sigma_w2: float = 1.0, activation: str | tuple[Fn, Fn] = "selu") -> float:
    """The attracting fixed point c* < 1 of :func:`correlation_map` (0 for SELU at LeCun init, since E[selu] = 0)."""
    q = qmap_fixed_point(sigma_w2, activation)
    if not 0.0 < q < math.inf:
        raise ValueError(f"no finite non-zero variance fixed point for sigma_w2={sigma_w2}: q* = {q}")
    h = lambda c: correlation_map(c, q, sigma_w2, activation) - c  # noqa: E731
    lo, hi = -0.999, 1.0 - 1e-6
    if h(lo) * h(hi) > 0:
        return 1.0  # no crossing below 1: every pair of inputs converges (ordered phase)
    return float(optimize.brentq(h, lo, hi, xtol=1e-14))


def chi_c(sigma_w2: float = 1.0, activation: str | tuple[Fn, Fn] = "selu") -> float:
    """Slope of the correlation map at c*: sigma_w^2 E[phi'(u1) phi'(u2)] (Schoenholz et al. 2017, Eq. 7).

    For SELU at LeCun init c* = 0 and the slope is (E[selu'(z)])^2 = 0.9707. Chapter "Beyond the forward pass".
    """
    _, df = _pair(activation)
    q = qmap_fixed_point(sigma_w2, activation)
    c = correlation_fixed_point(sigma_w2, activation)
    return sigma_w2 * gaussian_expectation_2d(df, df, q, c)


def depth_scale(chi: float) -> float:
    """xi = -1 / ln(chi): layers over which a deviation shrinks (chi < 1) or grows (chi > 1) by a factor e."""
    check_positive("chi", chi, "slope of a mean-field map")
    return -1.0 / math.log(chi) if chi != 1.0 else math.inf


def round_to_dtype(x: float, dtype: str) -> float:
    """``x`` rounded to nearest (ties to even) in ``dtype``: ``"bfloat16"``, ``"float16"`` or ``"float32"``.

    bfloat16 keeps float32's exponent and 8 significant bits: lambda01 -> 1.046875, alpha01 -> 1.671875.
    Chapter "SELU in real frameworks".
    """
    if dtype == "float16":
        return float(np.float16(x))
    if dtype == "float32":
        return float(np.float32(x))
    if dtype == "bfloat16":
        bits = np.array([x], dtype=np.float32).view(np.uint32)[0].astype(np.uint64)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
        return float(np.array([bits], dtype=np.uint32).view(np.float32)[0])
    raise ValueError(f"dtype must be 'bfloat16', 'float16' or 'float32', got {dtype!r}")


def rounded_selu_constants(dtype: str) -> tuple[float, float]:
    """(alpha01, lambda01) rounded to ``dtype``, as a framework with weakly typed scalar constants computes them."""
    return round_to_dtype(ALPHA_01, dtype), round_to_dtype(LAMBDA_01, dtype)


def fixed_point_rounded_constants(dtype: str, omega: float = 0.0, tau: float = 1.0) -> tuple[float, float]:
    """Fixed point (mu*, nu*) of g when SELU's constants are rounded to ``dtype`` (bfloat16: about (-0.003, 0.964)).

    Computed in float64: only the constants are rounded, the arithmetic is exact. Chapter
    "SELU in real frameworks".
    """
    alpha, lam = rounded_selu_constants(dtype)
    return fixed_point(omega, tau, alpha, lam)


def compare_maps(tau: float, sigma_b2: float = 0.0) -> dict[str, Any]:
    """Activation std predicted at weight scale tau by the paper's g (omega = 0 fixed) and by the q-map.

    Returns ``{"g_fixed_point": (mu*, nu*), "g_std": sqrt(nu*), "g_collapses": bool, "q_star": q*,
    "qmap_mean": ..., "qmap_std": ...}``. At tau = 0.5625 (PyTorch's gain 3/4): g gives 0.164, the q-map 0.1996.
    Where g has no fixed point with nu > 0 (tau below about 0.49 at omega = 0: the variance collapses through
    the layers) the g entries are (0, 0), 0 and ``g_collapses`` is True. ``sigma_b2`` (bias variance) enters the
    q-map only. Chapter "SELU in real frameworks".
    """
    try:
        (mu_g, nu_g), collapses = fixed_point(0.0, tau), False
    except ValueError as exc:
        if "no fixed point with nu > 0" not in str(exc):
            raise
        (mu_g, nu_g), collapses = (0.0, 0.0), True
    q = qmap_fixed_point(tau, sigma_b2=sigma_b2)
    m, v = activation_moments(q) if 0.0 < q < math.inf else (math.nan, math.nan)
    return {"g_fixed_point": (mu_g, nu_g), "g_std": math.sqrt(nu_g), "g_collapses": collapses, "q_star": q,
            "qmap_mean": m,
            "qmap_std": math.sqrt(v) if v == v else math.nan}


def qmap_trajectory(depth: int, sigma_w2: float = 1.0, sigma_b2: float = 0.0, q0: float = 1.0,
                    activation: str | tuple[Fn, Fn] = "selu",
                    dropout_keep: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Layer-by-layer activation (mean, std) predicted by the q-map for an input of second moment ``q0``.

    Layer l has pre-activations N(0, q_l) with q_1 = sigma_w2 q0 + sigma_b2 and
    q_{l+1} = sigma_w2 E[x_l^2] + sigma_b2, where x_l = phi(h_l), followed by inverted (standard) dropout with keep
    probability ``dropout_keep`` (which divides the second moment by it). Returns two arrays of length ``depth``.
    Chapter "SELU in real frameworks".
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be an integer >= 1 (number of layers), got {depth!r}")
    if not 0.0 < dropout_keep <= 1.0:
        raise ValueError(f"dropout_keep (probability of keeping a unit) must be in (0, 1], got {dropout_keep!r}")
    check_positive("sigma_w2", sigma_w2, "weight variance times fan-in")
    check_nonnegative("sigma_b2", sigma_b2, "bias variance")
    check_nonnegative("q0", q0, "second moment of the input")
    f, _ = _pair(activation)
    means, stds = np.empty(depth), np.empty(depth)
    q = sigma_w2 * q0 + sigma_b2
    for layer in range(depth):
        m = gaussian_expectation_1d(f, q) if q > 0 else 0.0
        second = (gaussian_expectation_1d(lambda x: f(x) ** 2, q) if q > 0 else 0.0) / dropout_keep
        means[layer], stds[layer] = m, math.sqrt(max(second - m * m, 0.0))
        q = sigma_w2 * second + sigma_b2
    return means, stds


def selu_parameters_meanfield(mean: float, var: float, tau: float = 1.0) -> tuple[float, float]:
    """(alpha, lam) whose fixed point is (mean, var) in a network with random zero-mean weights (fan_in Var w = tau).

    With random weights the pre-activation is N(0, tau (mean^2 + var)) (the q-map), not N(0, tau var) as in g at
    omega = 0, so this solves paper §A5's problem with that variance: ``selu_parameters(mean, var, 0,
    tau (mean^2 + var) / var)``. For mean = 0 it coincides with ``selu_parameters(0, var, tau=tau)``. Chapter
    "Initialization and alpha dropout".
    """
    from .fixed_point import selu_parameters

    check_positive("var", var, "target variance of the activations")
    return selu_parameters(mean, var, 0.0, tau * (mean * mean + var) / var)
