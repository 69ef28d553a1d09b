"""Computer-assisted proofs of Theorems 1-3: interval certificates and the paper's grid argument.

Paper Theorems 1-3, Lemmas 12 and 13 (§A3); see chapter "The theorems, checked by computer".

**Certificates.** Each claim "f < bound on a box D of (mu, omega, nu, tau)" (or "f > bound") is proved by
branch-and-bound over sub-boxes, in the interval arithmetic of :mod:`snnlib.interval` (outward rounding, widened
special functions). ``f`` is the spectral norm S of the Jacobian of g (paper Eq. 88 with Eqs. 62-65), mu~, nu~
or nu~ - nu, all written through the closed forms of :mod:`snnlib.moments` (re-arranged for intervals: they
depend on the box only through m = mu*omega and s2 = nu*tau, and the Jacobian entries also through the factors
omega and tau). Over a box X each sub-box gets

* the naive enclosure f(X), and enclosures G_i of the partial derivatives ∂f/∂x_i over X (forward-mode
  differentiation in interval arithmetic);
* the vertex-centred mean-value form: for an upper bound take c_i = hi_i where G_i >= 0, lo_i where G_i <= 0,
  the midpoint otherwise; then f(X) <= f(c) + Σ_i sup(G_i (X_i - c_i)). Where the derivative has a proven sign
  this *is* the monotonicity argument (the maximum lies on that face), so the dependency problem of, e.g.,
  nu~ = xi~ - mu~^2 is handled by proven monotonicity where it holds and by bisection elsewhere.

A box whose bound is not below the claim is halved along the coordinate with the largest |G_i| width_i. The
value f(c), evaluated in interval arithmetic, is a rigorous bound on the other side: it shows how close the proven
bound is to the true extreme, and it refutes a false claim. With a ``tol`` boxes are also split until the proven
bound is within ``tol`` of the best such value (so "proven" and "found" extremes can be compared).

**Paper mode.** :func:`paper_grid_check` repeats the paper's own argument for Lemma 12: float64 evaluation of S on
a grid (paper spacings times ``coarsen``) plus the mean-value slack of Lemma 11 with the derivative bounds of
Lemma 10 (taken from the paper, not re-proved here). It runs on numpy or, chunked, on torch (``device="cuda"``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .activations import ALPHA_01, LAMBDA_01
from .interval import GradInterval, Interval

VARIABLES = ("mu", "omega", "nu", "tau")
_SYMBOLS = {"mu": "μ", "omega": "ω", "nu": "ν", "tau": "τ"}

_ALPHA = Interval.const(ALPHA_01)  # ALPHA_01/LAMBDA_01 are the floats nearest the exact constants (Eq. 14)
_LAM = Interval.const(LAMBDA_01)
_ALPHA2 = _ALPHA.square()
_LAM2 = _LAM.square()
_ONE_MINUS_ALPHA = 1.0 - _ALPHA
_INV_SQRT2 = Interval.const(1.0 / math.sqrt(2.0))
_INV_SQRT_2PI = Interval.const(1.0 / math.sqrt(2.0 * math.pi))


@dataclass(frozen=True)
class Domain:
    """A box of (mu, omega, nu, tau): mean and variance of the inputs, sum and squared sum of the weights."""

    mu: tuple[float, float]
    omega: tuple[float, float]
    nu: tuple[float, float]
    tau: tuple[float, float]

    def __post_init__(self) -> None:
        for name in VARIABLES:
            lo, hi = getattr(self, name)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
                raise ValueError(f"{name} range must be finite with lo <= hi, got [{lo}, {hi}]")
        for name in ("nu", "tau"):
            if getattr(self, name)[0] <= 0:
                raise ValueError(f"{name} range must be > 0 (variance / squared weight sum), got {getattr(self, name)}")

    @property
    def bounds(self) -> np.ndarray:
        """Array (4, 2) of [lo, hi] rows in the order mu, omega, nu, tau."""
        return np.array([getattr(self, n) for n in VARIABLES], dtype=np.float64)

    def describe(self) -> str:
        return ", ".join(f"{_SYMBOLS[n]}∈[{getattr(self, n)[0]:g}, {getattr(self, n)[1]:g}]" for n in VARIABLES)


#: Theorem 1's domain Ω (paper main text and §A2.1).
THEOREM1_DOMAIN = Domain(mu=(-0.1, 0.1), omega=(-0.1, 0.1), nu=(0.8, 1.5), tau=(0.95, 1.1))
#: Lemma 12's wider domain (tau in [0.8, 1.25]) on which the paper bounds S.
LEMMA12_DOMAIN = Domain(mu=(-0.1, 0.1), omega=(-0.1, 0.1), nu=(0.8, 1.5), tau=(0.8, 1.25))
#: Theorem 2's domain (Ω+ in the main text, Ω++ in the appendix).
THEOREM2_DOMAIN = Domain(mu=(-1.0, 1.0), omega=(-0.1, 0.1), nu=(3.0, 16.0), tau=(0.8, 1.25))
#: Theorem 3's two domains as in the main text (nu from 0.02; the appendix prints 0.05).
THEOREM3_DOMAIN_A = Domain(mu=(-0.1, 0.1), omega=(-0.1, 0.1), nu=(0.02, 0.16), tau=(0.8, 1.25))
THEOREM3_DOMAIN_B = Domain(mu=(-0.1, 0.1), omega=(-0.1, 0.1), nu=(0.02, 0.24), tau=(0.9, 1.25))

QUANTITIES = {
    "S": "largest singular value of the Jacobian of g = (mu~, nu~) (Eq. 88)",
    "S_xi": "largest singular value of the Jacobian of (mu~, xi~) (the appendix's J; Lemma 12's grid uses it)",
    "mu_tilde": "mean after the layer, mu~ (Eq. 4)",
    "nu_tilde": "variance after the layer, nu~ (Eq. 5)",
    "nu_tilde_minus_nu": "change of the variance, nu~ - nu",
}


@dataclass(frozen=True)
class Claim:
    """A statement ``quantity < bound`` (sense "max") or ``quantity > bound`` (sense "min") on a domain."""

    name: str
    quantity: str
    sense: str
    bound: float
    domain: Domain
    paper_value: float | None = None
    paper_source: str = ""
    tol: float | None = None

    def __post_init__(self) -> None:
        _check_quantity(self.quantity)
        if self.sense not in ("max", "min"):
            raise ValueError(f"sense must be 'max' (claim f < bound) or 'min' (claim f > bound), got {self.sense!r}")
        if not math.isfinite(self.bound):
            raise ValueError(f"bound must be finite, got {self.bound}")
        if self.tol is not None and not self.tol > 0:
            raise ValueError(f"tol must be > 0 or None, got {self.tol}")

    @property
    def statement(self) -> str:
        sym = {"S": "S", "S_xi": "S(μ̃,ξ̃)", "mu_tilde": "μ̃", "nu_tilde": "ν̃",
               "nu_tilde_minus_nu": "ν̃ − ν"}[self.quantity]
        return f"{sym} {'<' if self.sense == 'max' else '>'} {self.bound:g}"


@dataclass
class Certificate:
    """Outcome of :func:`certify`. Bounds are in the claim's sense: for "max" the proven bound is an upper bound
    of the quantity on the whole domain and ``best_value`` a rigorous lower bound of its maximum (attained within
    rounding at ``best_at``); for "min" the other way round."""

    name: str
    statement: str
    domain: str
    claimed_bound: float
    proven_bound: float
    best_value: float
    best_at: tuple[float, float, float, float]
    paper_value: float | None
    paper_source: str
    boxes: int
    seconds: float
    certified: bool
    refuted: bool = False
    worst_box: list[list[float]] | None = field(default=None)

    def summary(self) -> str:
        verdict = "certified" if self.certified else ("REFUTED" if self.refuted else "NOT certified")
        return (f"{self.name}: {self.statement} on {self.domain}: {verdict}; proven {self.proven_bound:.6f}, "
                f"found {self.best_value:.6f}, {self.boxes} boxes, {self.seconds:.2f} s")


# -- the closed forms, in interval arithmetic -------------------------------------------------------------------
def _check_quantity(quantity: str) -> None:
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {sorted(QUANTITIES)}, got {quantity!r}")


def _inner(quantity: str, m: Any, s2: Any) -> dict[str, Any]:
    """Functions of (m, s2) only, for Interval or GradInterval arguments (same formulas as snnlib.moments)."""
    _check_quantity(quantity)
    s = s2.sqrt()
    u = m / s
    gauss = (-0.5 * u.square()).exp()  # exp(-u^2/2)
    phi = _INV_SQRT_2PI * gauss
    big_phi = 0.5 * (-(u * _INV_SQRT2)).erfc()  # Phi(u)
    big_phi_neg = 0.5 * (u * _INV_SQRT2).erfc()  # Phi(-u)
    e1 = 0.5 * gauss * ((u + s) * _INV_SQRT2).erfcx()  # E[exp(z) 1{z<=0}]
    mu_t = _LAM * (m * big_phi + s * phi + _ALPHA * (e1 - big_phi_neg))
    if quantity == "mu_tilde":
        return {"mu_t": mu_t}
    e2 = 0.5 * gauss * ((u + 2.0 * s) * _INV_SQRT2).erfcx()  # E[exp(2z) 1{z<=0}]
    if quantity in ("nu_tilde", "nu_tilde_minus_nu"):
        xi_t = _LAM2 * ((m.square() + s2) * big_phi + m * s * phi + _ALPHA2 * (e2 - 2.0 * e1 + big_phi_neg))
        return {"nu_t": xi_t - mu_t.square()}
    a = _LAM * (big_phi + _ALPHA * e1)  # d mu~/dm
    b = 0.5 * _LAM * (_ALPHA * e1 + _ONE_MINUS_ALPHA * (phi / s))  # d mu~/ds2
    c = 2.0 * _LAM2 * (m * big_phi + s * phi + _ALPHA2 * (e2 - e1))  # d xi~/dm
    d = _LAM2 * (big_phi + _ALPHA2 * (2.0 * e2 - e1))  # d xi~/ds2
    if quantity == "S_xi":
        return {"a": a, "b": b, "c": c, "d": d}
    return {"a": a, "b": b, "c": c - 2.0 * mu_t * a, "d": d - 2.0 * mu_t * b}


def _outer(quantity: str, f: dict[str, Any], omega: Any, nu: Any, tau: Any) -> Any:
    if quantity == "mu_tilde":
        return f["mu_t"]
    if quantity == "nu_tilde":
        return f["nu_t"]
    if quantity == "nu_tilde_minus_nu":
        return f["nu_t"] - nu
    j11, j12, j21, j22 = omega * f["a"], tau * f["b"], omega * f["c"], tau * f["d"]  # Eqs. 62-65 and 87
    return 0.5 * (((j11 + j22).square() + (j21 - j12).square()).sqrt()
                  + ((j11 - j22).square() + (j12 + j21).square()).sqrt())


def enclose_point(quantity: str, x: np.ndarray) -> Interval:
    """Rigorous enclosure of ``quantity`` at points ``x`` (array (..., 4) of mu, omega, nu, tau); ValueError for
    an unknown quantity or a last axis that is not 4 long."""
    _check_quantity(quantity)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0 or x.shape[-1] != 4:
        raise ValueError(f"x must have a last axis of 4 values (mu, omega, nu, tau), got shape {x.shape}")
    mu, om, nu, ta = (Interval.point(x[..., i]) for i in range(4))
    return _outer(quantity, _inner(quantity, mu * om, nu * ta), om, nu, ta)


def enclose_box(quantity: str, lo: np.ndarray, hi: np.ndarray) -> tuple[Interval, tuple[Interval, ...]]:
    """Enclosures of ``quantity`` and of its four partial derivatives over boxes [lo, hi] (arrays (n, 4))."""
    _check_quantity(quantity)
    mu, om, nu, ta = (Interval(lo[:, i], hi[:, i]) for i in range(4))
    inner = _inner(quantity, GradInterval.seed(mu * om, 0, 2), GradInterval.seed(nu * ta, 1, 2))
    lifted = {k: GradInterval(v.val, (v.grad[0] * om, v.grad[0] * mu, v.grad[1] * ta, v.grad[1] * nu))
              for k, v in inner.items()}  # chain rule through m = mu*omega, s2 = nu*tau
    out = _outer(quantity, lifted, GradInterval.seed(om, 1, 4), GradInterval.seed(nu, 2, 4),
                 GradInterval.seed(ta, 3, 4))
    return out.val, out.grad


def _bound_boxes(quantity: str, sign: float, lo: np.ndarray, hi: np.ndarray):
    """Upper bounds of sign*f on boxes, plus the evaluation points c, rigorous lower bounds of sign*f(c), and
    the split scores |G_i| * width_i."""
    val, grad = enclose_box(quantity, lo, hi)
    if sign < 0:
        val, grad = -val, tuple(-g for g in grad)
    glo = np.stack([np.broadcast_to(g.lo, lo.shape[:1]) for g in grad], axis=1)
    ghi = np.stack([np.broadcast_to(g.hi, lo.shape[:1]) for g in grad], axis=1)
    c = np.where(glo >= 0, hi, np.where(ghi <= 0, lo, 0.5 * (lo + hi)))
    fc = enclose_point(quantity, c)
    if sign < 0:
        fc = -fc
    total = fc
    for i in range(4):
        total = total + Interval(glo[:, i], ghi[:, i]) * (Interval(lo[:, i], hi[:, i]) - c[:, i])
    upper = np.minimum(total.hi, val.hi)
    upper = np.where(np.isnan(upper), np.inf, upper)
    score = np.maximum(np.abs(glo), np.abs(ghi)) * (hi - lo)
    return upper, c, np.where(np.isnan(fc.lo), -np.inf, fc.lo), np.nan_to_num(score, nan=np.inf)


def certify(claim: Claim, max_boxes: int = 2_000_000, initial: tuple[int, int, int, int] = (2, 2, 4, 4),
            batch: int = 65536) -> Certificate:
    """Prove ``claim`` by branch-and-bound with interval arithmetic (see the module docstring).

    Certified means every box of a cover of the domain has a proven bound strictly on the claimed side. The
    search stops, not certified, when a point violates the claim (``refuted``) or after ``max_boxes`` box
    evaluations (then ``worst_box`` is the box with the worst bound). Paper Theorems 1-3, Lemmas 12-13; see
    chapter "The theorems, checked by computer".
    """
    if not isinstance(max_boxes, (int, np.integer)) or max_boxes < 1:
        raise ValueError(f"max_boxes must be a positive integer, got {max_boxes!r}")
    if len(initial) != 4 or any(int(k) < 1 for k in initial):
        raise ValueError(f"initial must be 4 positive split counts (mu, omega, nu, tau), got {initial!r}")
    start = time.perf_counter()
    sign = 1.0 if claim.sense == "max" else -1.0
    target = sign * claim.bound
    edges = [np.linspace(lo, hi, int(k) + 1) for (lo, hi), k in zip(claim.domain.bounds, initial)]
    grids = np.meshgrid(*[e[:-1] for e in edges], indexing="ij")
    grids_hi = np.meshgrid(*[e[1:] for e in edges], indexing="ij")
    lo = np.stack([g.ravel() for g in grids], axis=1)
    hi = np.stack([g.ravel() for g in grids_hi], axis=1)
    best, best_at, proven, boxes = -np.inf, np.full(4, np.nan), -np.inf, 0
    refuted = False
    while len(lo):
        parts = [_bound_boxes(claim.quantity, sign, lo[i:i + batch], hi[i:i + batch]) for i in range(0, len(lo), batch)]
        upper, c, fc, score = (np.concatenate(p) for p in zip(*parts))
        boxes += len(lo)
        k = int(np.argmax(fc))
        if fc[k] > best:
            best, best_at = float(fc[k]), c[k]
        if best >= target:
            refuted = True
        done = upper < target
        if claim.tol is not None:
            done &= upper <= best + claim.tol
        if np.any(done):
            proven = max(proven, float(upper[done].max()))
        lo, hi, upper, score = lo[~done], hi[~done], upper[~done], score[~done]
        if refuted or not len(lo) or boxes + 2 * len(lo) > max_boxes:
            break
        dim = np.argmax(score, axis=1)
        rows = np.arange(len(lo))
        mid = 0.5 * (lo[rows, dim] + hi[rows, dim])
        lo2, hi1 = lo.copy(), hi.copy()
        hi1[rows, dim], lo2[rows, dim] = mid, mid
        lo, hi = np.concatenate([lo, lo2]), np.concatenate([hi1, hi])
    worst = None
    if len(lo):  # budget spent (or refuted): the remaining boxes still bound the quantity
        proven = max(proven, float(upper.max()))
    certified = not refuted and proven < target  # every box of the cover is strictly on the claimed side
    if len(lo) and not certified:
        w = int(np.argmax(upper))
        worst = np.stack([lo[w], hi[w]], axis=1).tolist()
    return Certificate(
        name=claim.name, statement=claim.statement, domain=claim.domain.describe(), claimed_bound=claim.bound,
        proven_bound=sign * proven, best_value=sign * best, best_at=tuple(float(v) for v in best_at),
        paper_value=claim.paper_value, paper_source=claim.paper_source, boxes=boxes,
        seconds=time.perf_counter() - start, certified=bool(certified), refuted=refuted, worst_box=worst)


def certify_derivative_bounds(bounds: tuple[float, ...] | None = None, domain: Domain | None = None,
                              tol: float | None = None, max_boxes: int = 2_000_000,
                              name: str = "Lemma 10") -> list[Certificate]:
    """Prove |∂S/∂x_i| < bounds_i on the domain for x = (mu, omega, nu, tau): paper Lemma 10 (defaults: its
    constants 0.32112, 2.63690, 2.28242, 2.98610 on the Lemma 12 domain).

    Boxes get the naive interval enclosure of each partial derivative (forward-mode, :func:`enclose_box`) and are
    halved (widest relative to the domain first) until every bound holds and, with ``tol``, until each proven
    bound is within ``tol`` of the largest derivative found at a box centre. Returns one certificate per
    variable; the four share the box count and the seconds. See chapter "The theorems, checked by computer".
    """
    bounds = LEMMA10_DERIVATIVE_BOUNDS if bounds is None else tuple(float(b) for b in bounds)
    domain = LEMMA12_DOMAIN if domain is None else domain
    if len(bounds) != 4 or not all(b > 0 for b in bounds):
        raise ValueError(f"bounds must be 4 positive numbers (mu, omega, nu, tau), got {bounds!r}")
    if tol is not None and not tol > 0:
        raise ValueError(f"tol must be > 0 or None, got {tol}")
    start = time.perf_counter()
    claim = np.array(bounds)
    span = domain.bounds[:, 1] - domain.bounds[:, 0]
    span = np.where(span > 0, span, 1.0)  # a degenerate (point) range is never split
    lo, hi = domain.bounds[None, :, 0].copy(), domain.bounds[None, :, 1].copy()
    proven, best, best_at = np.zeros(4), np.zeros(4), np.zeros((4, 4))
    boxes, refuted = 0, False
    while len(lo):
        mag = np.stack([np.maximum(np.abs(g.lo), np.abs(g.hi)) * np.ones(len(lo)) for g in enclose_box("S", lo, hi)[1]],
                       axis=1)
        mid = 0.5 * (lo + hi)
        # a rigorous *lower* bound of |∂S/∂x_i| at the centre: what is found there (and refutes a claim) must not
        # be an overestimate; 0 where the point enclosure straddles 0
        at_mid = np.stack([np.where(g.lo * g.hi > 0, np.minimum(np.abs(g.lo), np.abs(g.hi)), 0.0) * np.ones(len(lo))
                           for g in enclose_box("S", mid, mid)[1]], axis=1)
        boxes += len(lo)
        k = np.argmax(at_mid, axis=0)
        better = at_mid[k, range(4)] > best
        best[better], best_at[better] = at_mid[k, range(4)][better], mid[k][better]
        refuted = bool(np.any(best >= claim))
        done = np.all(mag < claim, axis=1)
        if tol is not None:
            done &= np.all(mag <= best + tol, axis=1)
        if np.any(done):
            proven = np.maximum(proven, np.nan_to_num(mag[done], nan=np.inf).max(axis=0))
        lo, hi, mag = lo[~done], hi[~done], mag[~done]
        if refuted or not len(lo) or boxes + 2 * len(lo) > max_boxes:
            break
        dim = np.argmax((hi - lo) / span, axis=1)
        rows = np.arange(len(lo))
        cut = 0.5 * (lo[rows, dim] + hi[rows, dim])
        lo2, hi1 = lo.copy(), hi.copy()
        hi1[rows, dim], lo2[rows, dim] = cut, cut
        lo, hi = np.concatenate([lo, lo2]), np.concatenate([hi1, hi])
    if len(lo):
        proven = np.maximum(proven, np.nan_to_num(mag, nan=np.inf).max(axis=0))
    seconds = time.perf_counter() - start
    return [Certificate(
        name=f"{name} (|dS/d{var}|)", statement=f"|∂S/∂{_SYMBOLS[var]}| < {bounds[i]:g}",
        domain=domain.describe(), claimed_bound=bounds[i], proven_bound=float(proven[i]), best_value=float(best[i]),
        best_at=tuple(float(v) for v in best_at[i]), paper_value=LEMMA10_DERIVATIVE_BOUNDS[i],
        paper_source="paper Lemma 10", boxes=boxes, seconds=seconds,
        certified=bool(best[i] < claim[i] and proven[i] < claim[i]), refuted=bool(best[i] >= claim[i]))
        for i, var in enumerate(VARIABLES)]


#: The claims of Theorems 1-3 as certified by the command line and the chapter.
CLAIMS: tuple[Claim, ...] = (
    Claim("Lemma 12 (Thm 1, contraction)", "S", "max", 1.0, LEMMA12_DOMAIN, 0.9912524171058772,
          "paper Lemma 12 grid maximum", tol=1e-6),
    Claim("Lemma 12 as computed (Jacobian of mu~, xi~)", "S_xi", "max", 1.0, LEMMA12_DOMAIN, 0.9912524171058772,
          "paper Lemma 12 grid maximum", tol=1e-6),
    Claim("Theorem 1 domain (contraction)", "S", "max", 1.0, THEOREM1_DOMAIN, 0.897608,
          "authors' notebook p.8", tol=1e-6),
    Claim("Lemma 13 (Thm 1, max of mu~)", "mu_tilde", "max", 0.06773, THEOREM1_DOMAIN, 0.0677251,
          "authors' notebook p.8", tol=1e-6),
    Claim("Lemma 13 (Thm 1, min of mu~)", "mu_tilde", "min", -0.03107, THEOREM1_DOMAIN, -0.0310605,
          "authors' notebook p.8 (Lemma 13 prints the bound -0.03106)", tol=1e-6),
    Claim("Lemma 13 (Thm 1, max of nu~)", "nu_tilde", "max", 1.48617, THEOREM1_DOMAIN, 1.48157,
          "authors' notebook p.8", tol=1e-6),
    Claim("Lemma 13 (Thm 1, min of nu~)", "nu_tilde", "min", 0.80009, THEOREM1_DOMAIN, 0.803712,
          "authors' notebook p.8", tol=1e-6),
    Claim("Theorem 2 (decreasing nu)", "nu_tilde_minus_nu", "max", 0.0, THEOREM2_DOMAIN, -0.119744,
          "authors' notebook p.9", tol=1e-6),
    Claim("Theorem 3 (increasing nu, tau >= 0.8)", "nu_tilde_minus_nu", "min", 0.0, THEOREM3_DOMAIN_A, 0.00773618,
          "authors' notebook p.9", tol=1e-6),
    Claim("Theorem 3 (increasing nu, tau >= 0.9)", "nu_tilde_minus_nu", "min", 0.0, THEOREM3_DOMAIN_B, 0.0110293,
          "authors' notebook p.9", tol=1e-6),
)


#: Lemma 13's lower bound on μ̃ as the paper's proof prints it, −0.03106 < μ̃(−0.1, 0.1, 0.8, 0.95). It is false by
#: about 5e-7 (the minimum is −0.0310605); :data:`CLAIMS` certifies the authors' notebook bound −0.03107 instead.
#: Chapter 5 (errata) and the claims ledger refute it.
LEMMA13_AS_PRINTED = Claim("Lemma 13 as printed (Thm 1, min of mu~)", "mu_tilde", "min", -0.03106, THEOREM1_DOMAIN,
                           -0.0310605, "paper, proof of Lemma 13")

def certify_all(max_boxes: int = 2_000_000) -> list[Certificate]:
    """Run every certificate of :data:`CLAIMS` (Theorems 1-3, Lemmas 12 and 13)."""
    return [certify(c, max_boxes=max_boxes) for c in CLAIMS]


def format_table(certs: list[Certificate], timings: bool = True, domains: bool = True) -> str:
    """A plain-text table: claim, statement, domain, proven and found extremes, the paper's value, boxes, seconds
    (left out with ``timings=False``, for deterministic output) and the verdict."""
    rows = [("claim", "statement", "domain", "proven", "found", "paper", "boxes", "s", "ok")]
    for c in certs:
        rows.append((c.name, c.statement, c.domain, f"{c.proven_bound:.6f}", f"{c.best_value:.6f}",
                     "" if c.paper_value is None else f"{c.paper_value:g}", str(c.boxes), f"{c.seconds:.1f}",
                     "yes" if c.certified else "NO"))
    keep = [i for i in range(9) if (timings or i != 7) and (domains or i != 2)]
    rows = [tuple(r[i] for i in keep) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(keep))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)


# -- paper mode: the grid argument of Lemma 12 ------------------------------------------------------------------
#: Grid spacings of Lemma 12 (Δmu, Δomega, Δnu, Δtau).
PAPER_GRID_SPACING = (0.0068097371, 0.0008292885, 0.0009580840, 0.0007323095)
#: Lemma 10's bounds on |∂S/∂mu|, |∂S/∂omega|, |∂S/∂nu|, |∂S/∂tau| on the Lemma 12 domain.
LEMMA10_DERIVATIVE_BOUNDS = (0.32112, 2.63690, 2.28242, 2.98610)
#: Tighter bounds on |∂S/∂mu|, |∂S/∂omega|, |∂S/∂nu|, |∂S/∂tau| on the Lemma 12 domain, proved by
#: :func:`certify_derivative_bounds` (the true maxima are about 0.035, 0.071, 0.29, 0.67).
TIGHT_DERIVATIVE_BOUNDS = (0.07, 0.25, 0.6, 1.2)
#: Lemma 12's grid maximum of S.
PAPER_GRID_MAX = 0.9912524171058772


@dataclass
class GridResult:
    """Outcome of :func:`paper_grid_check`: grid maximum of S plus mean-value slack versus 1, with the slack from
    Lemma 10's derivative bounds (``slack``) and from :data:`TIGHT_DERIVATIVE_BOUNDS` (``slack_tight``)."""

    domain: str
    spacing: tuple[float, float, float, float]
    coarsen: float
    shape: tuple[int, int, int, int]
    points: int
    grid_max: float
    argmax: tuple[float, float, float, float]
    slack: float
    bound: float
    closes: bool
    slack_tight: float
    bound_tight: float
    closes_tight: bool
    paper_grid_max: float
    paper_slack: float
    device: str
    seconds: float
    evaluations_per_second: float


def grid_axes(domain: Domain = LEMMA12_DOMAIN, coarsen: float = 1.0) -> list[np.ndarray]:
    """Grid axes lo, lo + Δ, ..., with the last point at hi, for spacings ``coarsen`` × the paper's (Lemma 12).

    Every point of the domain is then within Δ_i/2 of a grid point in each coordinate, so the slack
    Σ c_i Δ_i of Lemma 11 (which uses the full Δ_i) is conservative.
    """
    if not (isinstance(coarsen, (int, float)) and math.isfinite(coarsen) and coarsen > 0):
        raise ValueError(f"coarsen must be a finite number > 0 (grid spacing factor), got {coarsen!r}")
    axes = []
    for (lo, hi), step in zip(domain.bounds, PAPER_GRID_SPACING):
        step = step * coarsen
        n = int(math.ceil((hi - lo) / step - 1e-9)) + 1
        ax = lo + step * np.arange(n)
        ax[-1] = hi
        axes.append(ax)
    return axes


def mean_value_slack(spacing: tuple[float, ...], derivative_bounds: tuple[float, ...] | None = None) -> float:
    """Lemma 11's slack Σ_i c_i Δ_i with derivative bounds c (default Lemma 10's; 0.008747 on the paper's grid,
    Eq. 108)."""
    from ._validate import check_nonnegative

    bounds = LEMMA10_DERIVATIVE_BOUNDS if derivative_bounds is None else derivative_bounds
    if len(spacing) != 4 or len(bounds) != 4:
        raise ValueError(f"spacing and derivative_bounds must have 4 entries (mu, omega, nu, tau), got "
                         f"{len(spacing)} and {len(bounds)}")
    check_nonnegative("spacing", spacing, "grid spacing per variable")
    check_nonnegative("derivative_bounds", bounds, "bounds of |dS/dx| per variable")
    return float(sum(c * d for c, d in zip(bounds, spacing)))


_HEAP_KEPT = False


def _keep_freed_memory_in_heap() -> None:
    """Stop glibc from returning every freed numpy temporary of >= 128 KiB to the OS.

    A grid block allocates and frees a few dozen temporaries; by default glibc maps each one afresh (mmap) and
    unmaps it on free, so every block pays page faults. Raising the mmap and trim thresholds keeps them in the
    heap, which makes the grid evaluation about twice as fast. Process-wide and glibc-only (elsewhere a no-op).
    """
    global _HEAP_KEPT
    if _HEAP_KEPT:
        return
    _HEAP_KEPT = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 128 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc
        pass


def _grid_rows_max(axes, chunk: int, start: int, stop: int) -> tuple[float, tuple[int, int]]:
    """Max of S over the grid rows start..stop-1 of the (mu, omega) x (nu, tau) product, in float64 numpy.

    Blocks of about ``chunk`` points keep the temporaries in the CPU cache (64k points run about twice as fast
    as 1M: the elementwise passes are memory-bound on large arrays).
    """
    from .moments import spectral_norm

    _keep_freed_memory_in_heap()

    mu, om = (a.ravel() for a in np.meshgrid(axes[0], axes[1], indexing="ij"))
    nu, ta = (a.ravel() for a in np.meshgrid(axes[2], axes[3], indexing="ij"))
    cols = min(len(nu), chunk)
    rows = max(1, chunk // cols)
    best, where = -np.inf, (start, 0)
    for i in range(start, stop, rows):
        i_end = min(i + rows, stop)
        for j in range(0, len(nu), cols):
            s = spectral_norm(mu[i:i_end, None], nu[None, j:j + cols], om[i:i_end, None], ta[None, j:j + cols])
            k = int(np.argmax(s))  # NaN counts as the maximum: one NaN anywhere in the block lands here
            if math.isnan(s.flat[k]):
                raise FloatingPointError(f"S is NaN on the grid near row {i}, column {j}: the grid check gives up")
            if s.flat[k] > best:
                best, where = float(s.flat[k]), (i + k // s.shape[1], j + k % s.shape[1])
    return best, where


def _grid_max_numpy(axes, chunk, jobs: int | None = None):
    n_rows = len(axes[0]) * len(axes[1])
    if jobs is None:  # worker processes pay off only on large grids (each one imports numpy and scipy)
        jobs = (os.cpu_count() or 1) if n_rows * len(axes[2]) * len(axes[3]) > 50_000_000 else 1
    jobs = max(1, min(jobs, n_rows))
    if jobs == 1:
        results = [_grid_rows_max(axes, chunk, 0, n_rows)]
    else:
        from ._pool import process_pool

        bounds = np.linspace(0, n_rows, 4 * jobs + 1).astype(int)
        with process_pool(jobs) as pool:  # spawned workers, terminated at once if interrupted
            results = list(pool.map(_grid_rows_max, *zip(*[(axes, chunk, int(a), int(b))
                                                             for a, b in zip(bounds[:-1], bounds[1:]) if b > a])))
    best, (r, c) = max(results, key=lambda bw: bw[0])
    mu, om = (a.ravel() for a in np.meshgrid(axes[0], axes[1], indexing="ij"))
    nu, ta = (a.ravel() for a in np.meshgrid(axes[2], axes[3], indexing="ij"))
    return best, (mu[r], om[r], nu[c], ta[c])


def _grid_max_torch(axes, chunk, device):
    import torch

    from .moments import spectral_norm

    t = [torch.as_tensor(a, dtype=torch.float64, device=device) for a in axes]
    mu, om = (a.reshape(-1) for a in torch.meshgrid(t[0], t[1], indexing="ij"))
    nu, ta = (a.reshape(-1) for a in torch.meshgrid(t[2], t[3], indexing="ij"))
    rows, cols = max(1, chunk // len(nu)), min(len(nu), chunk)
    best, where = -math.inf, (0, 0)
    with torch.no_grad():
        for i in range(0, len(mu), rows):
            for j in range(0, len(nu), cols):
                s = spectral_norm(mu[i:i + rows, None], nu[None, j:j + cols], om[i:i + rows, None],
                                  ta[None, j:j + cols])
                val, k = torch.max(s.reshape(-1), 0)  # propagates NaN
                if math.isnan(float(val)):
                    raise FloatingPointError(f"S is NaN on the grid near row {i}, column {j}: the grid check gives up")
                if float(val) > best:
                    k, width = int(k), s.shape[1]
                    best, where = float(val), (i + k // width, j + k % width)
    return best, tuple(float(v[w]) for v, w in ((mu, where[0]), (om, where[0]), (nu, where[1]), (ta, where[1])))


def paper_grid_check(coarsen: float = 8.0, device: str = "numpy", chunk: int | None = None,
                     jobs: int | None = None) -> GridResult:
    """The paper's proof of Lemma 12: max of S on a grid + mean-value slack (Lemmas 10-11) must stay below 1.

    ``coarsen`` multiplies the paper's spacings (1 gives the paper's grid, ≈3.4e9 points). ``device`` is
    "numpy" (scipy float64), "cpu" or "cuda" (torch float64 through the torch path of :mod:`snnlib.moments`).
    Evaluation is float64, not interval arithmetic; the paper bounds its rounding error by 292 ulp (Lemma 20),
    far below the margins here. ``jobs`` is the number of worker processes of the numpy path (default: all
    CPU cores). See chapter "The theorems, checked by computer".
    """
    if jobs is not None and (not isinstance(jobs, (int, np.integer)) or jobs < 1):
        raise ValueError(f"jobs must be a positive integer (worker processes), got {jobs!r}")
    if device not in ("numpy", "cpu", "cuda"):
        raise ValueError(f"device must be 'numpy', 'cpu' or 'cuda', got {device!r}")
    if chunk is not None and (not isinstance(chunk, (int, np.integer)) or chunk < 1):
        raise ValueError(f"chunk must be a positive integer (points per batch), got {chunk!r}")
    axes = grid_axes(LEMMA12_DOMAIN, coarsen)
    spacing = tuple(float(s * coarsen) for s in PAPER_GRID_SPACING)
    start = time.perf_counter()
    if device == "numpy":
        best, at = _grid_max_numpy(axes, chunk or 1 << 16, jobs)
    else:
        if device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise ValueError("device 'cuda' requested but torch.cuda.is_available() is False")
        best, at = _grid_max_torch(axes, chunk or (1 << 25 if device == "cuda" else 1 << 20), device)
    seconds = time.perf_counter() - start
    points = int(np.prod([len(a) for a in axes]))
    slack, slack_tight = mean_value_slack(spacing), mean_value_slack(spacing, TIGHT_DERIVATIVE_BOUNDS)
    return GridResult(
        domain=LEMMA12_DOMAIN.describe(), spacing=spacing, coarsen=float(coarsen),
        shape=tuple(len(a) for a in axes), points=points, grid_max=best, argmax=tuple(float(v) for v in at),
        slack=slack, bound=best + slack, closes=bool(math.isfinite(best) and best + slack < 1.0),
        slack_tight=slack_tight, bound_tight=best + slack_tight,
        closes_tight=bool(math.isfinite(best) and best + slack_tight < 1.0), paper_grid_max=PAPER_GRID_MAX,
        paper_slack=mean_value_slack(PAPER_GRID_SPACING), device=device, seconds=seconds,
        evaluations_per_second=points / seconds if seconds > 0 else math.inf)


# -- command line -----------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit status 2
        sys.stderr.write(f"python -m snnlib.theorems: error: {message}\n")
        raise SystemExit(2)


def _positive(kind):
    what = "an integer" if kind is int else "a number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} > 0, got {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"expected {what} > 0, got {text!r}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    """Command line: certify Theorems 1-3, print a table, run the grid argument of Lemma 12.

    Exit status 0 iff every certificate holds and, with --paper-grid, the grid argument closes (the default
    coarse grid is only reported: at its spacing the bound does not close); 1 otherwise; 130 if interrupted
    (Ctrl-C), 143 if terminated (SIGTERM).
    """
    parser = _Parser(prog="python -m snnlib.theorems", description=main.__doc__)
    parser.add_argument("--paper-grid", action="store_true",
                        help="run the grid argument of Lemma 12 on the paper's grid (≈3.4e9 points; about a minute "
                             "on 2 CPU cores, seconds on a GPU)")
    parser.add_argument("--coarsen", type=_positive(float), default=None,
                        help="grid spacing factor (default 8, or 1 with --paper-grid)")
    parser.add_argument("--device", choices=("numpy", "cpu", "cuda"), default="numpy",
                        help="grid evaluation: numpy (default), torch cpu or torch cuda (float64)")
    parser.add_argument("--chunk", type=_positive(int), default=None, help="grid points per batch")
    parser.add_argument("--max-boxes", type=_positive(int), default=2_000_000, help="box budget per certificate")
    parser.add_argument("--no-certificates", action="store_true", help="only run the grid argument")
    parser.add_argument("--json", metavar="OUT", default=None, help="write the results with provenance to OUT")
    args = parser.parse_args(argv)
    if args.json:
        from .reproducibility import check_writable

        try:
            check_writable(args.json, "--json")
        except ValueError as exc:
            parser.error(str(exc))
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            parser.error("--device cuda requested but no CUDA device is available")
    from ._cli import interruptible

    with interruptible() as interruption:
        try:
            return _run(args, sys.argv[1:] if argv is None else list(argv), parser.prog)
        except KeyboardInterrupt:
            sys.stderr.write(f"python -m snnlib.theorems: {interruption.how}\n")
            return interruption.exit_status
        except (MemoryError, RuntimeError) as exc:
            from ._validate import is_out_of_memory

            if not is_out_of_memory(exc):
                raise
            parser.error(f"not enough memory (a larger --coarsen or a smaller --chunk?): "
                         f"{str(exc).splitlines()[0]}")
            return 2


def _run(args: argparse.Namespace, argv: list[str], prog: str = "python -m snnlib.theorems") -> int:
    ok, out = True, {}
    if not args.no_certificates:
        start = time.perf_counter()
        certs = certify_all(max_boxes=args.max_boxes) + certify_derivative_bounds(max_boxes=args.max_boxes) \
            + certify_derivative_bounds(TIGHT_DERIVATIVE_BOUNDS, max_boxes=args.max_boxes, name="Lemma 10 tighter")
        print(format_table(certs))
        ok = all(c.certified for c in certs)
        print(f"certificates: {sum(c.certified for c in certs)}/{len(certs)} certified in "
              f"{time.perf_counter() - start:.1f} s")
        out["certificates"] = [asdict(c) for c in certs]
    coarsen = args.coarsen if args.coarsen is not None else (1.0 if args.paper_grid else 8.0)
    grid = paper_grid_check(coarsen=coarsen, device=args.device, chunk=args.chunk)
    print(f"grid argument (Lemma 12), spacing x{grid.coarsen:g}, {grid.points} points on {grid.device} in "
          f"{grid.seconds:.1f} s ({grid.evaluations_per_second:.3g} S/s): max S {grid.grid_max:.10f} at "
          f"{tuple(round(v, 6) for v in grid.argmax)}; paper: {grid.paper_grid_max} + {grid.paper_slack:.6f}")
    for label, slack, bound, closes in (("Lemma 10", grid.slack, grid.bound, grid.closes),
                                        ("tighter certified", grid.slack_tight, grid.bound_tight, grid.closes_tight)):
        print(f"  + slack with {label} derivative bounds {slack:.6f} = {bound:.6f} "
              f"{'< 1: closes' if closes else '>= 1: does not close'}")
    out["paper_grid"] = asdict(grid)
    if args.paper_grid:
        tight_ok = False
        if grid.closes_tight and not grid.closes:  # that bound rests on the tighter derivative bounds: prove them
            tight = certify_derivative_bounds(TIGHT_DERIVATIVE_BOUNDS, max_boxes=args.max_boxes,
                                              name="Lemma 10 tighter")
            tight_ok = all(c.certified for c in tight)
            print(f"  tighter derivative bounds certified in this run: {tight_ok}")
        ok = ok and (grid.closes or tight_ok)
    if args.json:
        from ._cli import write_result
        from .reproducibility import provenance

        out["provenance"] = provenance("cuda" if args.device == "cuda" else "cpu")
        out["command"] = "python -m snnlib.theorems " + " ".join(argv)
        if not write_result(args.json, out, prog)[1]:
            return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
