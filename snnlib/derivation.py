"""Deriving the mapping g: symbolic closed forms (sympy), their proof against the paper, and the CLT step.

Paper §"Deriving the Mean and Variance Mapping Function g" (Eqs. 3-5) and §A1 (Eqs. 9-13); see chapters
"Deriving the mapping g" and "The fixed point (0, 1) and the Jacobian".

Everything symbolic is written in the two numbers the map depends on: ``m = mu * omega`` (mean of the net input z)
and ``s = sqrt(nu * tau)`` (its standard deviation). The integrals of Eqs. (9)-(10) are split at 0 and integrated
in the standardised variable ``t = (z - m) / s``, where sympy's Gaussian integrals are fast and reliable.
sympy is imported lazily so that the rest of snnlib does not need it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ._validate import check_finite, check_positive
from .activations import ALPHA_01, LAMBDA_01, selu
from .moments import gaussian_pieces, jacobian, mean_var_map
from .reference import gaussian_expectation, mean_var_map_mpmath, mean_var_map_textbook

#: The input distributions `clt_distance` knows, each with mean 0 and variance 1 before SELU is applied.
CLT_INPUTS = ("selu", "exponential", "uniform")
#: Shevtsova's (2010) constant in the Berry-Esseen bound for independent, non-identically distributed summands.
BERRY_ESSEEN_C = 0.56


def symbols() -> dict[str, Any]:
    """The sympy symbols used throughout: m, s, z, t, lam, alpha and mu, nu, omega, tau."""
    import sympy as sp

    real = dict(real=True)
    pos = dict(positive=True)
    return {"m": sp.Symbol("m", **real), "s": sp.Symbol("s", **pos), "z": sp.Symbol("z", **real),
            "t": sp.Symbol("t", **real), "lam": sp.Symbol("lambda", **pos), "alpha": sp.Symbol("alpha", **pos),
            "mu": sp.Symbol("mu", **real), "nu": sp.Symbol("nu", **pos), "omega": sp.Symbol("omega", **real),
            "tau": sp.Symbol("tau", **pos)}


def split_integrals() -> dict[str, Any]:
    """The four unevaluated integrals of paper Eqs. (9)-(10): SELU (or SELU^2) times the Gaussian, split at 0.

    Keys ``mu_neg``, ``mu_pos`` (Eq. 9) and ``xi_neg``, ``xi_pos`` (Eq. 10); the density is
    ``p_N(z; m, s) = exp(-(z - m)^2 / (2 s^2)) / (sqrt(2 pi) s)``.
    """
    import sympy as sp

    v = symbols()
    z, m, s, lam, alpha = v["z"], v["m"], v["s"], v["lam"], v["alpha"]
    density = sp.exp(-(z - m) ** 2 / (2 * s**2)) / (sp.sqrt(2 * sp.pi) * s)
    neg, pos = lam * alpha * (sp.exp(z) - 1), lam * z
    return {"mu_neg": sp.Integral(neg * density, (z, -sp.oo, 0)),
            "mu_pos": sp.Integral(pos * density, (z, 0, sp.oo)),
            "xi_neg": sp.Integral(neg**2 * density, (z, -sp.oo, 0)),
            "xi_pos": sp.Integral(pos**2 * density, (z, 0, sp.oo))}


def standardise(integral: Any) -> Any:
    """Substitute z = m + s t in one of `split_integrals` (dz = s dt; the limit 0 becomes -m/s)."""
    v = symbols()
    return integral.transform(v["z"], (v["m"] + v["s"] * v["t"], v["t"]))


def tidy(expr: Any) -> Any:
    """Simplify a closed form: erf -> 1 - erfc, products of exponentials merged, then ``sympy.simplify``."""
    import sympy as sp

    expr = sp.powsimp(sp.expand(expr.rewrite(sp.erfc)), combine="exp")
    return sp.simplify(sp.powsimp(sp.expand(expr), combine="exp"))


def _collect(expr: Any) -> Any:
    """Sum of pieces written as lam (or lam^2) times a sum of terms, exponentials merged."""
    import sympy as sp

    return sp.powsimp(sp.factor_terms(sp.expand(expr)), combine="exp")


@lru_cache(maxsize=1)
def derive_closed_forms() -> dict[str, Any]:
    """Closed forms of the four pieces of Eqs. (9)-(10) and of mu~, xi~, nu~ = xi~ - mu~^2, by sympy.

    Each piece is integrated symbolically (``sympy.integrate``) in the standardised variable, then `tidy`-ed.
    Keys: ``mu_neg``, ``mu_pos``, ``xi_neg``, ``xi_pos``, ``mu``, ``xi``, ``nu``. Takes about 2 s (cached).
    """
    out = {key: tidy(standardise(integral).doit()) for key, integral in split_integrals().items()}
    out["mu"] = _collect(out["mu_neg"] + out["mu_pos"])
    out["xi"] = _collect(out["xi_neg"] + out["xi_pos"])
    out["nu"] = out["xi"] - out["mu"] ** 2
    return out


def paper_equations() -> dict[str, Any]:
    """The paper's printed closed forms as sympy expressions in m = mu omega, s = sqrt(nu tau).

    Keys ``eq4`` (mu~, main text), ``eq5`` (nu~, main text), ``eq11`` (mu~, appendix), ``eq13`` (xi~, appendix).
    """
    import sympy as sp

    v = symbols()
    m, s, lam, alpha = v["m"], v["s"], v["lam"], v["alpha"]
    s2, r2, exp, erf, erfc = s**2, sp.sqrt(2), sp.exp, sp.erf, sp.erfc
    gauss = sp.sqrt(2 / sp.pi) * s * exp(-m**2 / (2 * s2))
    e1 = exp(m + s2 / 2) * erfc((m + s2) / (r2 * s))
    e2 = exp(2 * (m + s2)) * erfc((m + 2 * s2) / (r2 * s))
    eq4 = lam / 2 * (m * erf(m / (r2 * s)) + alpha * e1 - alpha * erfc(m / (r2 * s)) + gauss + m)
    eq11 = lam / 2 * (-(alpha + m) * erfc(m / (r2 * s)) + alpha * e1 + gauss + 2 * m)
    neg2 = alpha**2 * (-2 * e1 + e2 + erfc(m / (r2 * s)))
    eq13 = lam**2 / 2 * ((m**2 + s2) * (erf(m / (r2 * s)) + 1) + neg2 + m * gauss)
    eq5 = lam**2 / 2 * ((m**2 + s2) * (2 - erfc(m / (r2 * s))) + neg2 + m * gauss) - eq4**2
    return {"eq4": eq4, "eq5": eq5, "eq11": eq11, "eq13": eq13}


def sympy_latex(expr: Any, line_chars: int | None = 140) -> str:
    """LaTeX of a sympy expression or integral, for display in the chapters (``sympy.latex``).

    A sum (or a factor times a sum) whose LaTeX is longer than ``line_chars`` characters is broken between its
    terms into the lines of an ``aligned`` block, so that a long closed form fits the text column instead of running
    past it; ``line_chars=None`` gives ``sympy.latex`` unchanged. Chapter "Deriving the mapping g".
    """
    import sympy as sp

    if line_chars is not None and (isinstance(line_chars, bool) or not isinstance(line_chars, int)
                                   or line_chars < 10):
        raise ValueError(f"line_chars (characters of LaTeX per line) must be an integer >= 10 or None, "
                         f"got {line_chars!r}")
    whole = sp.latex(expr)
    if line_chars is None or len(whole) <= line_chars:
        return whole
    factor, total = sp.S.One, expr
    if isinstance(expr, sp.Mul):
        sums = [a for a in expr.args if isinstance(a, sp.Add)]
        if len(sums) != 1:
            return whole
        total = sums[0]
        factor = sp.Mul(*[a for a in expr.args if a is not total])
    elif not isinstance(expr, sp.Add):
        return whole
    lines: list[str] = []
    current = ""
    for term in sp.Add.make_args(total):
        text = sp.latex(term)
        piece = text if not current and not lines else (f"- {text[1:]}" if text.startswith("-") else f"+ {text}")
        if current and len(current) + len(piece) > line_chars:
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}".strip()
    lines.append(current)
    if factor != 1:
        lines[0] = f"{sp.latex(factor)} \\Big({lines[0]}"
        lines[-1] = f"{lines[-1]} \\Big)"
    return "\\begin{aligned}[t] &" + " \\\\\n&".join(lines) + "\n\\end{aligned}"


@dataclass(frozen=True)
class EqualityCheck:
    """Result of `prove_equal`: whether sympy reduced the difference to 0, and the largest relative difference at
    random points evaluated with mpmath (a second, independent check)."""

    symbolic: bool
    max_rel_diff: float
    n_points: int


def _random_points(n: int, seed: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    return [{"m": float(rng.uniform(-3, 3)), "s": float(rng.uniform(0.1, 3)), "lam": float(rng.uniform(0.5, 2)),
             "alpha": float(rng.uniform(0.5, 3))} for _ in range(n)]


def prove_equal(derived: Any, paper: Any, n_points: int = 20, dps: int = 50, seed: int = 0) -> EqualityCheck:
    """Prove ``derived == paper``: symbolically (`tidy` of the difference is 0) and at random points with mpmath.

    The random points have m in [-3, 3], s in [0.1, 3], lam in [0.5, 2], alpha in [0.5, 3]; each is evaluated with
    ``dps`` digits. See chapter "Deriving the mapping g".
    """
    import mpmath
    import sympy as sp

    symbolic = tidy(derived - paper) == 0
    v = symbols()
    args = [v[k] for k in ("m", "s", "lam", "alpha")]
    f = sp.lambdify(args, derived, "mpmath")
    g = sp.lambdify(args, paper, "mpmath")
    worst = mpmath.mpf(0)
    with mpmath.workdps(dps):
        for p in _random_points(n_points, seed):
            a, b = f(*(mpmath.mpf(p[k]) for k in ("m", "s", "lam", "alpha"))), g(*(mpmath.mpf(p[k]) for k in
                                                                                 ("m", "s", "lam", "alpha")))
            worst = max(worst, abs(a - b) / max(abs(b), mpmath.mpf(10) ** (-dps)))
    return EqualityCheck(symbolic=bool(symbolic), max_rel_diff=float(worst), n_points=n_points)


def verify_paper_forms(n_points: int = 20, dps: int = 50, seed: int = 0) -> dict[str, EqualityCheck]:
    """Check the derived mu~, nu~, xi~ against the paper's Eqs. (4), (5), (11) and (13) with `prove_equal`."""
    d, p = derive_closed_forms(), paper_equations()
    pairs = {"eq4": d["mu"], "eq11": d["mu"], "eq13": d["xi"], "eq5": d["nu"]}
    return {key: prove_equal(expr, p[key], n_points, dps, seed) for key, expr in pairs.items()}


def _in_layer_variables(expr: Any) -> Any:
    import sympy as sp

    v = symbols()
    return expr.subs({v["m"]: v["mu"] * v["omega"], v["s"]: sp.sqrt(v["nu"] * v["tau"])})


@lru_cache(maxsize=1)
def symbolic_jacobian() -> Any:
    """The Jacobian d(mu~, nu~)/d(mu, nu) of the derived closed forms, a 2x2 sympy Matrix in mu, nu, omega, tau,
    lam, alpha (paper Eq. 6 for g; Eqs. 62-65 give it for (mu~, xi~)). See chapter "The fixed point (0, 1) and the
    Jacobian"."""
    import sympy as sp

    v = symbols()
    d = derive_closed_forms()
    mu_t, nu_t = _in_layer_variables(d["mu"]), _in_layer_variables(d["nu"])
    return sp.Matrix([[sp.diff(mu_t, v["mu"]), sp.diff(mu_t, v["nu"])],
                      [sp.diff(nu_t, v["mu"]), sp.diff(nu_t, v["nu"])]])


def symbolic_jacobian_vs_closed_form(n_points: int = 20, seed: int = 0, dps: int = 30) -> float:
    """Largest |entry difference| between `symbolic_jacobian` (mpmath, ``dps`` digits) and `snnlib.jacobian`.

    Points: mu in [-1, 1], nu in [0.2, 3], omega in [-0.5, 0.5], tau in [0.5, 1.5], at alpha01, lambda01.
    """
    import mpmath
    import sympy as sp

    v = symbols()
    args = [v[k] for k in ("mu", "nu", "omega", "tau", "lam", "alpha")]
    f = sp.lambdify(args, symbolic_jacobian(), "mpmath")
    rng = np.random.default_rng(seed)
    worst = 0.0
    with mpmath.workdps(dps):
        for _ in range(n_points):
            mu, nu, om, ta = rng.uniform(-1, 1), rng.uniform(0.2, 3), rng.uniform(-0.5, 0.5), rng.uniform(0.5, 1.5)
            exact = np.array(f(mu, nu, om, ta, LAMBDA_01, ALPHA_01).tolist(), dtype=float)
            worst = max(worst, float(np.max(np.abs(exact - jacobian(mu, nu, om, ta)))))
    return worst


def moment_check_table(points: list[tuple[float, float, float, float]], n_mc: int = 400_000,
                       seed: int = 0) -> list[dict[str, float]]:
    """For each (mu, nu, omega, tau): mu~, nu~ from the closed form (`mean_var_map`), the differences to quadrature
    of Eq. (3) and to Monte Carlo, and those Monte Carlo differences in units of their standard errors.

    Paper Eqs. (3)-(5); see chapter "Deriving the mapping g".
    """
    from .reference import moments_monte_carlo, moments_quadrature

    rows = []
    for i, (mu, nu, omega, tau) in enumerate(points):
        closed = [float(v) for v in mean_var_map(mu, nu, omega, tau)]
        quad = moments_quadrature(mu, nu, omega, tau)
        mc_mu, mc_nu, se_mu, se_nu = moments_monte_carlo(mu, nu, omega, tau, n=n_mc, seed=seed + i)
        rows.append({"mu": mu, "nu": nu, "omega": omega, "tau": tau, "mu_t": closed[0], "nu_t": closed[1],
                     "quad_err": max(abs(quad[0] - closed[0]), abs(quad[1] - closed[1])),
                     "mc_z_mu": (mc_mu - closed[0]) / se_mu, "mc_z_nu": (mc_nu - closed[1]) / se_nu})
    return rows


def stability_scan(nu_tau: Any, mu_omega: float = 0.0, dps: int = 50) -> dict[str, np.ndarray]:
    """Relative errors against mpmath (``dps`` digits) over a range of nu*tau, with omega = 1 and mu = mu_omega.

    Returns arrays ``term_textbook`` and ``term_erfcx``: the term exp(2(m + s2)) erfc((m + 2 s2)/sqrt(2 s2)) of
    Eqs. (5)/(13) in the textbook exp*erfc product and in the erfcx form; ``nu_textbook`` and ``nu_snnlib``: nu~ from
    `snnlib.reference.mean_var_map_textbook` and from `mean_var_map`. NaN marks a non-finite float64 result.
    See chapter "Deriving the mapping g".
    """
    import mpmath
    from scipy.special import erfc

    from ._validate import check_finite, check_int, check_positive

    check_int("dps", dps, 20, "decimal digits of the mpmath reference (enough to judge float64)")
    check_positive("nu_tau", nu_tau, "variance of the net input")
    check_finite("mu_omega", mu_omega, "mean of the net input")
    s2 = np.atleast_1d(np.asarray(nu_tau, dtype=float))
    out = {k: np.full(s2.shape, np.nan) for k in ("term_textbook", "term_erfcx", "nu_textbook", "nu_snnlib")}
    m = float(mu_omega)
    for i, v in enumerate(s2):
        with mpmath.workdps(dps):
            exact_term = mpmath.exp(2 * (m + v)) * mpmath.erfc((m + 2 * v) / mpmath.sqrt(2 * v))
            exact_nu = mean_var_map_mpmath(m, v, 1.0, 1.0, dps=dps)[1]
            with np.errstate(all="ignore"):
                values = {"term_textbook": np.exp(2 * (m + v)) * erfc((m + 2 * v) / math.sqrt(2 * v)),
                          "term_erfcx": 2.0 * float(gaussian_pieces(np.float64(m), np.float64(v)).e2),
                          "nu_textbook": float(mean_var_map_textbook(m, v, 1.0, 1.0)[1]),
                          "nu_snnlib": float(mean_var_map(m, v, 1.0, 1.0)[1])}
            for key, val in values.items():
                exact = exact_term if key.startswith("term") else exact_nu
                if math.isfinite(val):
                    out[key][i] = float(abs((mpmath.mpf(val) - exact) / exact))
    return out


def textbook_breakdown(mu_omega: float = 0.0, lo: float = 1.0, hi: float = 2000.0) -> float:
    """The smallest nu*tau (to 1e-9) at which the textbook float64 Eq. (5) gives a non-finite nu~ (omega = 1).

    About 354.9 for mu_omega = 0: there exp(2 nu tau) overflows (709.78 is the largest float64 exponent).
    """
    check_finite("mu_omega", mu_omega, "mean of the net input")

    def bad(s2: float) -> bool:
        return not math.isfinite(float(mean_var_map_textbook(mu_omega, s2, 1.0, 1.0)[1]))

    if bad(lo) or not bad(hi):
        raise ValueError(f"no breakdown between nu*tau={lo} and {hi} for mu_omega={mu_omega}")
    while hi - lo > 1e-9:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if bad(mid) else (mid, hi)
    return hi


def _sample_inputs(rng: np.random.Generator, shape: tuple[int, int], inputs: str) -> np.ndarray:
    """Inputs in float32 (z = w^T x only needs ~7 digits for a KS distance; halves the sampling time)."""
    if inputs == "selu":  # selu(x) = lam (max(x, 0) + alpha expm1(min(x, 0))), vectorised without masks
        x = rng.standard_normal(shape, dtype=np.float32)
        neg = np.expm1(np.minimum(x, np.float32(0.0)))
        neg *= np.float32(ALPHA_01)
        np.maximum(x, np.float32(0.0), out=x)
        x += neg
        x *= np.float32(LAMBDA_01)
        return x
    if inputs == "exponential":
        x = rng.standard_exponential(shape, dtype=np.float32)
        x -= np.float32(1.0)
        return x
    return rng.uniform(-math.sqrt(3.0), math.sqrt(3.0), shape).astype(np.float32)


def _input_moments(inputs: str) -> tuple[float, float, float]:
    """(mean, variance, E|x - mean|^3) of one input x_i."""
    if inputs == "selu":
        mu, nu = (float(v) for v in mean_var_map(0.0, 1.0))
        rho = gaussian_expectation(lambda z: abs(float(selu(z)) - mu) ** 3, 0.0, 1.0)
        return mu, nu, rho
    if inputs == "exponential":
        return 0.0, 1.0, 12.0 / math.e - 2.0  # E|E - 1|^3 for E ~ Exp(1)
    return 0.0, 1.0, 3.0 * math.sqrt(3.0) / 4.0  # E|U|^3 for U ~ Uniform(-sqrt 3, sqrt 3)


def _check_clt_args(width: int, n_samples: int, inputs: str) -> None:
    if not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"width must be a positive integer (number of inputs of the layer), got {width!r}")
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 10:
        raise ValueError(f"n_samples must be an integer >= 10 (inputs drawn), got {n_samples!r}")
    if inputs not in CLT_INPUTS:
        raise ValueError(f"inputs must be one of {CLT_INPUTS}, got {inputs!r}")


def _layer_weights(width: int, seed: int) -> tuple[np.random.Generator, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng, rng.normal(0.0, 1.0 / math.sqrt(width), width)


def clt_distance(width: int, n_samples: int = 100_000, seed: int = 0, inputs: str = "selu") -> float:
    """Kolmogorov-Smirnov distance between z = w^T x of one real layer and the Gaussian N(mu omega, nu tau).

    One weight vector w ~ N(0, 1/width) (LeCun/SNN initialisation) is drawn and held fixed, as in a trained layer;
    ``n_samples`` input vectors x with i.i.d. entries are drawn from ``inputs``: ``"selu"`` (selu(N(0, 1)), the
    activations of an SNN layer at the fixed point), ``"exponential"`` (Exp(1) - 1, strongly skewed) or
    ``"uniform"``. omega = sum(w) and tau = sum(w^2) are those of the drawn w. This is the central-limit step of
    the paper's §"Deriving the Mean and Variance Mapping Function g"; see chapter "Deriving the mapping g".
    The sampling noise of the estimate is about `ks_noise_floor` (n_samples).
    """
    from scipy import stats

    _check_clt_args(width, n_samples, inputs)
    rng, w = _layer_weights(width, seed)
    mu, nu, _ = _input_moments(inputs)
    z, w32 = np.empty(n_samples), w.astype(np.float32)
    chunk = max(1, 2**21 // width)
    for start in range(0, n_samples, chunk):
        stop = min(n_samples, start + chunk)
        z[start:stop] = _sample_inputs(rng, (stop - start, width), inputs) @ w32
    scale = math.sqrt(nu * float(w @ w))
    return float(stats.kstest(z, "norm", args=(mu * float(w.sum()), scale)).statistic)


def berry_esseen_bound(width: int, seed: int = 0, inputs: str = "selu") -> float:
    """The Berry-Esseen bound C sum E|w_i (x_i - mu)|^3 / (nu tau)^{3/2} (C = 0.56, Shevtsova 2010) for the same
    layer as `clt_distance` (same ``width``, ``seed``, ``inputs``); it decays like width^{-1/2}."""
    _check_clt_args(width, 10, inputs)
    _, w = _layer_weights(width, seed)
    _, nu, rho = _input_moments(inputs)
    return float(BERRY_ESSEEN_C * rho * np.sum(np.abs(w) ** 3) / (nu * float(w @ w)) ** 1.5)


def ks_noise_floor(n_samples: int) -> float:
    """Expected KS distance of ``n_samples`` draws from the very distribution tested: sqrt(pi/2) ln 2 / sqrt(n)."""
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    return math.sqrt(math.pi / 2.0) * math.log(2.0) / math.sqrt(n_samples)


def vector_field(mu_grid: Any, nu_grid: Any, omega: float = 0.0, tau: float = 1.0, alpha: float = ALPHA_01,
                 lam: float = LAMBDA_01) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(MU, NU, dMU, dNU) on the meshgrid of ``mu_grid`` x ``nu_grid``: the step g(mu, nu) - (mu, nu).

    The arrows of the paper's Figure 2 (omega = 0, tau = 1); see chapter "Deriving the mapping g".
    """
    check_finite("mu_grid", mu_grid, "means of the incoming activations")
    check_positive("nu_grid", nu_grid, "variances of the incoming activations")
    mu, nu = np.meshgrid(np.asarray(mu_grid, dtype=float), np.asarray(nu_grid, dtype=float))
    mu_t, nu_t = mean_var_map(mu, nu, omega, tau, alpha, lam)
    return mu, nu, mu_t - mu, nu_t - nu


def jacobian_autodiff(mu: float, nu: float, omega: float = 0.0, tau: float = 1.0) -> np.ndarray:
    """Jacobian of g at (mu, nu) by torch autodiff through `mean_var_map` (float64), paper Eq. (6). The torch path
    evaluates each form of the map only where it is used, so the gradients stay finite for any nu tau (they were
    NaN from nu tau = 709.78 on). Chapter "The fixed point (0, 1) and the Jacobian"."""
    import torch

    def g(x: Any) -> Any:
        o, t = torch.tensor(omega, dtype=torch.float64), torch.tensor(tau, dtype=torch.float64)
        return torch.stack(mean_var_map(x[0], x[1], o, t))

    x = torch.tensor([mu, nu], dtype=torch.float64)
    return torch.autograd.functional.jacobian(g, x).numpy()


def jacobian_finite_difference(mu: float, nu: float, omega: float = 0.0, tau: float = 1.0,
                               h: float = 1e-5) -> np.ndarray:
    """Jacobian of g at (mu, nu) by central differences with step ``h`` (error O(h^2) + O(eps / h))."""
    check_positive("h", h, "finite-difference step")
    out = np.empty((2, 2))
    for j, (dm, dn) in enumerate(((h, 0.0), (0.0, h))):
        plus = np.array(mean_var_map(mu + dm, nu + dn, omega, tau), dtype=float)
        minus = np.array(mean_var_map(mu - dm, nu - dn, omega, tau), dtype=float)
        out[:, j] = (plus - minus) / (2.0 * h)
    return out
