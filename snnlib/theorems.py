"""Computer-assisted proofs of Theorems 1-3: interval certificates, and the paper's own proof route.

Paper Theorems 1-3, Lemmas 7, 10, 12 and 13 (§A3); see chapter "The theorems, checked by computer".

**Certificates.** Each claim "f < bound on a closed box D of (mu, omega, nu, tau)" (or "f > bound") is proved by
branch-and-bound over sub-boxes in the interval arithmetic of :mod:`snnlib.interval`. ``f`` is the spectral norm S
of the Jacobian of g (paper Eq. 88 with Eqs. 62-65), mu~, nu~, nu~ - nu, xi~, or an entry of the appendix's
Jacobian, all written through the closed forms of :mod:`snnlib.moments` (re-arranged for intervals: they depend on
the box only through m = mu*omega and s2 = nu*tau, and the Jacobian entries also through omega and tau). Over a box
X each sub-box gets

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

**What is proven, and on what it rests** (``rigour="arb"``, the default). The search runs fast, with scipy's
special functions and *assumed* error bounds (:mod:`snnlib.interval`, level "assumed"). Its final cover is then
checked twice: (1) :func:`cover_is_complete` shows, by exact comparisons of floats with the decimal end points of
the stated domain, that the union of the boxes contains the whole closed domain (the end points of a domain are
the decimals it is written with, e.g. 0.8; the search starts from them rounded outward, because the float 0.8 is
larger than 0.8); (2) every box of the cover, and the point that refutes a false claim, is evaluated again with
every exp, erfc and erfcx enclosed by Arb ball arithmetic (python-flint) and the constants alpha01, lambda01,
1/sqrt(2), 1/sqrt(2 pi) enclosed by Arb too (alpha01, lambda01 from their closed form, Eq. 14, joined with the
float64 values ALPHA_01, LAMBDA_01, so that the statement holds for both). A certificate with ``certified=True``
and ``rigour="arb"`` is then a proof that rests on nothing beyond the correctness of Arb/python-flint, of IEEE 754
double arithmetic and of this code (the closed forms are checked against the paper's equations and against
quadrature in the tests). ``rigour="assumed"`` skips pass (2): its results rest on the assumed error bounds.

**Paper mode.** :func:`paper_grid_check` repeats the paper's own argument for Lemma 12: float64 evaluation of S on
a grid (paper spacings times ``coarsen``) plus the mean-value slack of Lemma 11 with the derivative bounds of
Lemma 10. It runs on numpy or, chunked, on torch (``device="cuda"``). :func:`paper_route` runs that argument as
printed (the grid value of the appendix's Jacobian of (mu~, xi~), Lemma 10's bounds, the margin) and states what it
proves; :func:`theorem2_proof_values`, :func:`theorem3_derivative_bounds` and :func:`lemma7_slip` recompute and
certify the proof-internal numbers of Theorems 2 and 3 and Lemma 7.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import interval
from .activations import ALPHA_01, LAMBDA_01
from .interval import GradInterval, Interval

VARIABLES = ("mu", "omega", "nu", "tau")
_SYMBOLS = {"mu": "μ", "omega": "ω", "nu": "ν", "tau": "τ"}
#: The rigour levels of :func:`certify` (see the module docstring and :mod:`snnlib.interval`).
RIGOUR_LEVELS = interval.RIGOUR_LEVELS


@cache
def _constants_for(level: str) -> SimpleNamespace:
    """alpha, lambda and the other constants of the closed forms as intervals, at rigour ``level``."""
    with interval.rigour(level):
        if level == "arb":
            flint = interval._flint()
            from .activations import _eq14

            arb = flint.arb
            with flint.ctx.workprec(100):  # Eq. 14 in Arb: alpha01 and lambda01 proven to ~25 digits
                alpha_ball, lam_ball = _eq14(lambda x: arb(x).erfc(), lambda x: arb(x).exp(),
                                             lambda x: arb(x).sqrt(), arb.pi())
                alpha_iv, lam_iv = (Interval(*map(np.float64, interval.arb_to_floats(b)))
                                    for b in (alpha_ball, lam_ball))
            alpha = alpha_iv.hull(Interval.point(ALPHA_01))  # the exact constants and the float64 ones
            lam = lam_iv.hull(Interval.point(LAMBDA_01))
        else:  # ALPHA_01/LAMBDA_01 are the floats nearest the exact constants (Eq. 14; checked by the tests)
            alpha, lam = Interval.const(ALPHA_01), Interval.const(LAMBDA_01)
        return SimpleNamespace(alpha=alpha, lam=lam, alpha2=alpha.square(), lam2=lam.square(),
                               one_minus_alpha=1.0 - alpha, inv_sqrt2=interval.constant("1/sqrt(2)"),
                               inv_sqrt_2pi=interval.constant("1/sqrt(2 pi)"))


def _constants() -> SimpleNamespace:
    return _constants_for(interval.current_rigour())


def _decimal(x: float) -> Fraction:
    """The decimal a float end point stands for: its shortest repr (0.8 for the float 0.8000000000000000444)."""
    return Fraction(repr(float(x)))


def round_outward(lo: float, hi: float) -> tuple[float, float]:
    """Float end points (a, b) with a <= the decimal ``repr(lo)`` and b >= the decimal ``repr(hi)``, exactly.

    A float end point such as 0.8 stands for the decimal 0.8, which the float (0.80000000000000004...) exceeds:
    a cover starting at the float would miss a strip. The nearest float is within half an ulp of the decimal, so
    one step with :func:`math.nextafter` suffices where the float lies on the wrong side. Chapter "The theorems,
    checked by computer".
    """
    a = lo if Fraction(lo) <= _decimal(lo) else math.nextafter(lo, -math.inf)
    b = hi if Fraction(hi) >= _decimal(hi) else math.nextafter(hi, math.inf)
    return a, b


@dataclass(frozen=True)
class Domain:
    """A closed box of (mu, omega, nu, tau): mean and variance of the inputs, sum and squared sum of the weights.

    The end points are Python floats standing for the decimals they are written with (their repr); see
    :func:`round_outward` and :meth:`outward`.
    """

    mu: tuple[float, float]
    omega: tuple[float, float]
    nu: tuple[float, float]
    tau: tuple[float, float]

    def __post_init__(self) -> None:
        for name in VARIABLES:
            pair = getattr(self, name)
            if len(pair) != 2 or any(isinstance(v, (complex, np.complexfloating)) for v in pair):
                raise ValueError(f"{name} range must be a pair (lo, hi) of real numbers, got {pair!r}")
            lo, hi = float(pair[0]), float(pair[1])
            if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
                raise ValueError(f"{name} range must be finite with lo <= hi, got [{lo}, {hi}]")
            object.__setattr__(self, name, (lo, hi))
        for name in ("nu", "tau"):
            if getattr(self, name)[0] <= 0:
                raise ValueError(f"{name} range must be > 0 (variance / squared weight sum), got {getattr(self, name)}")

    @property
    def bounds(self) -> np.ndarray:
        """Array (4, 2) of [lo, hi] rows in the order mu, omega, nu, tau (the floats as given)."""
        return np.array([getattr(self, n) for n in VARIABLES], dtype=np.float64)

    def outward(self) -> np.ndarray:
        """Array (4, 2) of float end points that contain the stated (decimal) domain: :func:`round_outward`."""
        return np.array([round_outward(*getattr(self, n)) for n in VARIABLES], dtype=np.float64)

    def describe(self) -> str:
        return ", ".join(f"{_SYMBOLS[n]}∈[{getattr(self, n)[0]:g}, {getattr(self, n)[1]:g}]" for n in VARIABLES)


#: Theorem 1's domain Ω (paper main text and §A2.1).
THEOREM1_DOMAIN = Domain(mu=(-0.1, 0.1), omega=(-0.1, 0.1), nu=(0.8, 1.5), tau=(0.95, 1.1))
#: Lemma 12's wider domain (tau in [0.8, 1.25]) on which the paper bounds S; also the domain of Lemmas 5-7, 10.
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
    "xi_tilde": "second moment after the layer, xi~ (Eq. 13)",
    "xi_tilde_minus_nu": "xi~ - nu, the function g of the proof of Theorem 2 (Eqs. 19, 40-43)",
    "J11": "d mu~ / d mu, the Jacobian entry J11 (Eq. 62; Lemma 6)",
    "J12": "d mu~ / d nu, the Jacobian entry J12 (Eq. 63; Lemma 7)",
    "dxi_dnu": "d xi~ / d nu, the appendix's J22 (Eq. 65; proofs of Theorems 2 and 3)",
}
_STATEMENT_SYMBOLS = {"S": "S", "S_xi": "S(μ̃,ξ̃)", "mu_tilde": "μ̃", "nu_tilde": "ν̃", "nu_tilde_minus_nu": "ν̃ − ν",
                      "xi_tilde": "ξ̃", "xi_tilde_minus_nu": "ξ̃ − ν", "J11": "J11", "J12": "J12",
                      "dxi_dnu": "∂ξ̃/∂ν"}


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
        return f"{_STATEMENT_SYMBOLS[self.quantity]} {'<' if self.sense == 'max' else '>'} {self.bound:g}"


@dataclass
class Certificate:
    """Outcome of :func:`certify`. Bounds are in the claim's sense: for "max" the proven bound is an upper bound
    of the quantity on the whole domain and ``best_value`` a rigorous lower bound of its maximum (attained within
    rounding at ``best_at``); for "min" the other way round.

    ``rigour`` says what ``proven_bound`` (and hence ``certified``) rests on (:data:`snnlib.interval.ASSUMPTIONS`,
    repeated in ``assumptions``): "arb" when every box of the cover was re-evaluated with Arb (done when the
    search succeeded and Arb was asked for), "assumed" otherwise. ``best_value`` is always a lower bound (for
    "max") at the rigour asked for, at the decimal point ``best_at`` of the stated domain, so a refutation at
    ``rigour="arb"`` is proven even when ``rigour`` reads "assumed".
    ``covered`` is the float box the cover starts from (the stated domain rounded outward), ``cover_boxes`` the
    number of boxes in the final cover and ``cover_complete`` the result of :func:`cover_is_complete`.
    ``search_seconds`` and ``arb_seconds`` split ``seconds`` into the numpy search and the Arb pass."""

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
    rigour: str = "arb"
    assumptions: str = interval.ASSUMPTIONS["arb"]
    covered: list[list[float]] | None = field(default=None)
    cover_boxes: int = 0
    cover_complete: bool = False
    search_seconds: float = 0.0
    arb_seconds: float = 0.0

    def summary(self) -> str:
        verdict = "certified" if self.certified else ("REFUTED" if self.refuted else "NOT certified")
        return (f"{self.name}: {self.statement} on {self.domain}: {verdict} ({self.rigour}); proven "
                f"{self.proven_bound:.6f}, found {self.best_value:.6f}, {self.boxes} boxes, {self.seconds:.2f} s")


# -- the closed forms, in interval arithmetic -------------------------------------------------------------------
def _check_quantity(quantity: str) -> None:
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {sorted(QUANTITIES)}, got {quantity!r}")


def _check_rigour(rigour: str) -> None:
    if rigour not in RIGOUR_LEVELS:
        raise ValueError(f"rigour must be one of {RIGOUR_LEVELS} ('arb': every box re-verified with Arb ball "
                         f"arithmetic; 'assumed': scipy with assumed error bounds), got {rigour!r}")


_NEEDS = {  # which of the functions of (m, s2) each quantity is made of
    "S": ("mu_t", "a", "b", "c", "d"), "S_xi": ("a", "b", "c", "d"), "mu_tilde": ("mu_t",),
    "nu_tilde": ("mu_t", "xi_t"), "nu_tilde_minus_nu": ("mu_t", "xi_t"), "xi_tilde": ("xi_t",),
    "xi_tilde_minus_nu": ("xi_t",), "J11": ("a",), "J12": ("b",), "dxi_dnu": ("d",),
}


def _inner(quantity: str, m: Any, s2: Any) -> dict[str, Any]:
    """Functions of (m, s2) only, for Interval or GradInterval arguments (same formulas as snnlib.moments)."""
    _check_quantity(quantity)
    k = _constants()
    needs = set(_NEEDS[quantity])
    s = s2.sqrt()
    u = m / s
    gauss = (-0.5 * u.square()).exp()  # exp(-u^2/2)
    phi = k.inv_sqrt_2pi * gauss
    e1 = 0.5 * gauss * ((u + s) * k.inv_sqrt2).erfcx()  # E[exp(z) 1{z<=0}]
    out: dict[str, Any] = {}
    if needs & {"mu_t", "xi_t", "a", "c", "d"}:
        big_phi = 0.5 * (-(u * k.inv_sqrt2)).erfc()  # Phi(u)
    if needs & {"mu_t", "xi_t"}:
        big_phi_neg = 0.5 * (u * k.inv_sqrt2).erfc()  # Phi(-u)
    if needs & {"xi_t", "c", "d"}:
        e2 = 0.5 * gauss * ((u + 2.0 * s) * k.inv_sqrt2).erfcx()  # E[exp(2z) 1{z<=0}]
    if "mu_t" in needs:
        out["mu_t"] = k.lam * (m * big_phi + s * phi + k.alpha * (e1 - big_phi_neg))
    if "xi_t" in needs:
        out["xi_t"] = k.lam2 * ((m.square() + s2) * big_phi + m * s * phi
                                + k.alpha2 * (e2 - 2.0 * e1 + big_phi_neg))
    if "a" in needs:
        out["a"] = k.lam * (big_phi + k.alpha * e1)  # d mu~/dm
    if "b" in needs:
        out["b"] = 0.5 * k.lam * (k.alpha * e1 + k.one_minus_alpha * (phi / s))  # d mu~/ds2
    if "c" in needs:
        out["c"] = 2.0 * k.lam2 * (m * big_phi + s * phi + k.alpha2 * (e2 - e1))  # d xi~/dm
    if "d" in needs:
        out["d"] = k.lam2 * (big_phi + k.alpha2 * (2.0 * e2 - e1))  # d xi~/ds2
    return out


def _outer(quantity: str, f: dict[str, Any], omega: Any, nu: Any, tau: Any) -> Any:
    if quantity == "mu_tilde":
        return f["mu_t"]
    if quantity in ("nu_tilde", "nu_tilde_minus_nu"):
        nu_t = f["xi_t"] - f["mu_t"].square()
        return nu_t if quantity == "nu_tilde" else nu_t - nu
    if quantity == "xi_tilde":
        return f["xi_t"]
    if quantity == "xi_tilde_minus_nu":
        return f["xi_t"] - nu
    if quantity == "J11":
        return omega * f["a"]
    if quantity == "J12":
        return tau * f["b"]
    if quantity == "dxi_dnu":
        return tau * f["d"]
    c, d = f["c"], f["d"]
    if quantity == "S":  # Jacobian of g: Eq. 87, d nu~ = d xi~ - 2 mu~ d mu~
        c, d = c - 2.0 * f["mu_t"] * f["a"], d - 2.0 * f["mu_t"] * f["b"]
    j11, j12, j21, j22 = omega * f["a"], tau * f["b"], omega * c, tau * d  # Eqs. 62-65 and 87
    return 0.5 * (((j11 + j22).square() + (j21 - j12).square()).sqrt()
                  + ((j11 - j22).square() + (j12 + j21).square()).sqrt())


def enclose_point(quantity: str, x: np.ndarray) -> Interval:
    """Rigorous enclosure of ``quantity`` at points ``x`` (array (..., 4) of mu, omega, nu, tau); ValueError for
    an unknown quantity or a last axis that is not 4 long. Evaluated at the current rigour level of
    :mod:`snnlib.interval` (Arb unless inside ``interval.rigour("assumed")``)."""
    _check_quantity(quantity)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0 or x.shape[-1] != 4:
        raise ValueError(f"x must have a last axis of 4 values (mu, omega, nu, tau), got shape {x.shape}")
    mu, om, nu, ta = (Interval.point(x[..., i]) for i in range(4))
    return _outer(quantity, _inner(quantity, mu * om, nu * ta), om, nu, ta)


def enclose_box(quantity: str, lo: np.ndarray, hi: np.ndarray) -> tuple[Interval, tuple[Interval, ...]]:
    """Enclosures of ``quantity`` and of its four partial derivatives over boxes [lo, hi] (arrays (n, 4)), at the
    current rigour level of :mod:`snnlib.interval`."""
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
    upper = np.minimum(total.hi, np.broadcast_to(val.hi, lo.shape[:1]))
    upper = np.where(np.isnan(upper), np.inf, upper)
    score = np.maximum(np.abs(glo), np.abs(ghi)) * (hi - lo)
    return upper, c, np.where(np.isnan(fc.lo), -np.inf, fc.lo), np.nan_to_num(score, nan=np.inf)


def cover_is_complete(lo: np.ndarray, hi: np.ndarray, domain: Domain) -> bool:
    """Whether the union of the closed boxes [lo_k, hi_k] (arrays (n, 4)) contains the whole closed ``domain``,
    its end points taken as the decimals they are written with (:func:`round_outward`).

    Exact and sound, with no assumption on how the boxes were made: starting from the domain rounded outward
    (checked to contain the decimal domain as exact rationals), a region counts as covered when one box
    contains it (exact float comparisons); otherwise it is cut in two, preferably at its float midpoint along an
    axis that no box crosses (which retraces a cover made by halving, in a few vectorised passes), else at a box
    end point, and both halves must be covered. A region that no box meets is a gap: a box ending at the float
    0.8 does not reach the decimal 0.8. Chapter "The theorems, checked by computer".
    """
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    if lo.ndim != 2 or lo.shape[1] != 4 or lo.shape != hi.shape:
        raise ValueError(f"lo and hi must be arrays (n, 4) of box corners, got shapes {lo.shape} and {hi.shape}")
    root = domain.outward()
    if not all(Fraction(float(root[i, 0])) <= _decimal(a) and Fraction(float(root[i, 1])) >= _decimal(b)
               for i, (a, b) in enumerate(domain.bounds)):  # cannot fail (round_outward); checked all the same
        return False
    ok = ~(np.isnan(lo).any(axis=1) | np.isnan(hi).any(axis=1)) & np.all(lo <= hi, axis=1)
    lo, hi = lo[ok], hi[ok]
    node_lo, node_hi = root[None, :, 0], root[None, :, 1]
    meets = np.all((lo <= node_hi) & (hi >= node_lo), axis=1)
    box, node = np.flatnonzero(meets), np.zeros(int(meets.sum()), dtype=np.int64)
    for _ in range(100_000):
        n_nodes = len(node_lo)
        if np.any(np.bincount(node, minlength=n_nodes) == 0):
            return False  # a region that no box meets
        inside = np.all((lo[box] <= node_lo[node]) & (hi[box] >= node_hi[node]), axis=1)
        covered = np.bincount(node[inside], minlength=n_nodes) > 0
        if covered.all():
            return True
        keep = ~covered[node]
        box, node = box[keep], node[keep]
        renumber = np.cumsum(~covered) - 1
        node, node_lo, node_hi = renumber[node], node_lo[~covered], node_hi[~covered]
        mid = 0.5 * (node_lo + node_hi)
        crossing = (lo[box] < mid[node]) & (mid[node] < hi[box])
        crossed = np.stack([np.bincount(node[crossing[:, k]], minlength=len(node_lo)) > 0 for k in range(4)], axis=1)
        valid = ~crossed & (node_lo < mid) & (mid < node_hi)
        axis = np.argmax(valid, axis=1)
        cut = mid[np.arange(len(node_lo)), axis]
        for j in np.flatnonzero(~valid.any(axis=1)):  # no clean midpoint cut: cut at a box end point
            mine = box[node == j]
            axis[j], cut[j] = _end_point_cut(lo[mine], hi[mine], node_lo[j], node_hi[j])
        k = axis[node]
        left = lo[box, k] < cut[node]  # the box reaches below the cut (and above it too if it crosses)
        right = hi[box, k] > cut[node]
        left |= ~(left | right)  # a box of zero width lying in the cut plane: keep it on one side
        child_lo = np.concatenate([node_lo, node_lo])
        child_hi = np.concatenate([node_hi, node_hi])
        rows = np.arange(len(node_lo))
        child_hi[rows, axis] = cut
        child_lo[len(node_lo) + rows, axis] = cut
        box = np.concatenate([box[left], box[right]])
        node = np.concatenate([node[left], node[right] + len(node_lo)])
        node_lo, node_hi = child_lo, child_hi
    return False  # pragma: no cover - more than 100000 rounds: reported incomplete


def _end_point_cut(lo: np.ndarray, hi: np.ndarray, node_lo: np.ndarray, node_hi: np.ndarray) -> tuple[int, float]:
    """(axis, value) of a cut through a box end point strictly inside the region: one that no box crosses if there
    is one, else any; the one nearest the middle of the region."""
    best = None
    for k in range(4):
        ends = np.unique(np.concatenate([lo[:, k], hi[:, k]]))
        ends = ends[(ends > node_lo[k]) & (ends < node_hi[k])]
        if not len(ends):
            continue
        crossings = ((lo[:, None, k] < ends[None]) & (ends[None] < hi[:, None, k])).sum(axis=0)
        distance = np.abs(ends - 0.5 * (node_lo[k] + node_hi[k])) / (node_hi[k] - node_lo[k])
        i = int(np.lexsort((distance, crossings))[0])
        key = (int(crossings[i]), float(distance[i]))
        if best is None or key < best[0]:
            best = (key, k, float(ends[i]))
    if best is None:  # every box meeting the region spans it along every axis, so one contains it
        return 0, float(0.5 * (node_lo[0] + node_hi[0]))
    return best[1], best[2]


def _initial_boxes(domain: Domain, initial: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    edges = [np.linspace(a, b, int(k) + 1) for (a, b), k in zip(domain.outward(), initial)]
    grids = np.meshgrid(*[e[:-1] for e in edges], indexing="ij")
    grids_hi = np.meshgrid(*[e[1:] for e in edges], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1), np.stack([g.ravel() for g in grids_hi], axis=1)


def _branch_and_bound(lo: np.ndarray, hi: np.ndarray, step: Callable[[np.ndarray, np.ndarray], tuple],
                      max_boxes: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray, Any, int]:
    """The bisection loop of :func:`certify` and :func:`certify_derivative_bounds`: evaluate the boxes
    [lo, hi] (arrays (n, 4)), keep the finished ones, halve the others along one axis, until none is left, the
    search stops or the next round would exceed ``max_boxes`` evaluations.

    ``step(lo, hi)`` evaluates a round and returns ``(done, axis, kept, stop)``: which boxes are finished (bool
    (n,)), the axis to halve each along (int (n,)), a per-box array kept with the unfinished boxes, and whether to
    stop. Returns ``(cover_lo, cover_hi, lo, hi, kept, boxes)``: the lists of finished boxes per round, the boxes
    left (with their ``kept`` rows) and the number of boxes evaluated. See chapter "The theorems, checked by
    computer"."""
    boxes = 0
    cover_lo: list[np.ndarray] = []
    cover_hi: list[np.ndarray] = []
    kept = None
    while len(lo):
        done, axis, kept, stop = step(lo, hi)
        boxes += len(lo)
        if np.any(done):
            cover_lo.append(lo[done])
            cover_hi.append(hi[done])
        lo, hi, kept, axis = lo[~done], hi[~done], kept[~done], axis[~done]
        if stop or not len(lo) or boxes + 2 * len(lo) > max_boxes:
            break
        rows = np.arange(len(lo))
        cut = 0.5 * (lo[rows, axis] + hi[rows, axis])
        lo2, hi1 = lo.copy(), hi.copy()
        hi1[rows, axis], lo2[rows, axis] = cut, cut
        lo, hi = np.concatenate([lo, lo2]), np.concatenate([hi1, hi])
    return cover_lo, cover_hi, lo, hi, kept, boxes


def certify(claim: Claim, max_boxes: int = 2_000_000, initial: tuple[int, int, int, int] = (2, 2, 4, 4),
            batch: int = 65536, rigour: str = "arb") -> Certificate:
    """Prove ``claim`` by branch-and-bound with interval arithmetic (see the module docstring).

    Certified means: the cover is complete (:func:`cover_is_complete`) and every box of it has a proven bound
    strictly on the claimed side, with every special function enclosed by Arb (``rigour="arb"``, the default) or
    by scipy under assumed error bounds (``rigour="assumed"``, no Arb pass). The search stops, not certified,
    when a point violates the claim (``refuted``, confirmed at the same rigour) or after ``max_boxes`` box
    evaluations (then ``worst_box`` is the box with the worst bound). Paper Theorems 1-3, Lemmas 12-13; see
    chapter "The theorems, checked by computer".
    """
    if isinstance(max_boxes, bool) or not isinstance(max_boxes, (int, np.integer)) or max_boxes < 1:
        raise ValueError(f"max_boxes must be a positive integer, got {max_boxes!r}")
    if len(initial) != 4 or any(int(k) < 1 for k in initial):
        raise ValueError(f"initial must be 4 positive split counts (mu, omega, nu, tau), got {initial!r}")
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"batch must be a positive integer (boxes per evaluation), got {batch!r}")
    _check_rigour(rigour)
    start = time.perf_counter()
    sign = 1.0 if claim.sense == "max" else -1.0
    target = sign * claim.bound
    lo, hi = _initial_boxes(claim.domain, initial)
    best, best_at, proven = -np.inf, np.full(4, np.nan), -np.inf
    refuted = False

    def step(lo: np.ndarray, hi: np.ndarray) -> tuple:
        nonlocal best, best_at, proven, refuted
        parts = [_bound_boxes(claim.quantity, sign, lo[i:i + batch], hi[i:i + batch])
                 for i in range(0, len(lo), batch)]
        upper, c, fc, score = (np.concatenate(p) for p in zip(*parts))
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
        return done, np.argmax(score, axis=1), upper, refuted

    with interval.rigour("assumed"):
        cover_lo, cover_hi, lo, hi, upper, boxes = _branch_and_bound(lo, hi, step, max_boxes)
    worst = None
    if len(lo):  # budget spent (or refuted): the remaining boxes still bound the quantity and belong to the cover
        proven = max(proven, float(upper.max()))
        cover_lo.append(lo)
        cover_hi.append(hi)
    all_lo = np.concatenate(cover_lo) if cover_lo else np.empty((0, 4))
    all_hi = np.concatenate(cover_hi) if cover_hi else np.empty((0, 4))
    complete = cover_is_complete(all_lo, all_hi, claim.domain)
    search_seconds = time.perf_counter() - start
    level = "assumed"
    if np.all(np.isfinite(best_at)):  # the best point, moved onto the stated domain, at the requested rigour
        best_at, best = _value_at_decimal_point(claim.quantity, sign, best_at, claim.domain, rigour)
        refuted = bool(refuted and best >= target)
    if rigour == "arb" and complete and not refuted and proven < target:
        # the proof: every box of the cover again, with every special function and constant enclosed by Arb
        proven = max(float(_bound_boxes(claim.quantity, sign, all_lo[i:i + batch], all_hi[i:i + batch])[0].max())
                     for i in range(0, len(all_lo), batch))
        level = "arb"
    certified = complete and not refuted and proven < target  # every box of the cover strictly on the claimed side
    if len(lo) and not certified:
        w = int(np.argmax(upper))
        worst = np.stack([lo[w], hi[w]], axis=1).tolist()
    seconds = time.perf_counter() - start
    return Certificate(
        name=claim.name, statement=claim.statement, domain=claim.domain.describe(), claimed_bound=claim.bound,
        proven_bound=sign * proven, best_value=sign * best, best_at=tuple(float(v) for v in best_at),
        paper_value=claim.paper_value, paper_source=claim.paper_source, boxes=boxes, seconds=seconds,
        certified=bool(certified), refuted=refuted, worst_box=worst, rigour=level,
        assumptions=interval.ASSUMPTIONS[level], covered=claim.domain.outward().tolist(),
        cover_boxes=len(all_lo), cover_complete=complete, search_seconds=search_seconds,
        arb_seconds=seconds - search_seconds)


def _value_at_decimal_point(quantity: str, sign: float, x: np.ndarray, domain: Domain,
                            rigour: str) -> tuple[np.ndarray, float]:
    """(x', lower bound of sign*f at the decimal point repr(x')), where x' is x with coordinates on the outward
    rounded ends moved to the domain's own float ends (so that 0.7999999999999999 reads 0.8 again). The bound
    holds at the decimal point itself, which lies in the stated closed domain: f is enclosed over the float box
    around it (:func:`round_outward`)."""
    outer, given = domain.outward(), domain.bounds
    snapped = np.where(x <= outer[:, 0], given[:, 0], np.where(x >= outer[:, 1], given[:, 1], x))
    box = np.array([round_outward(float(v), float(v)) for v in snapped])
    with interval.rigour(rigour):
        val = enclose_box(quantity, box[None, :, 0], box[None, :, 1])[0]
    lower = float(np.ravel(val.lo)[0]) if sign > 0 else float(-np.ravel(val.hi)[0])
    return snapped, (-math.inf if math.isnan(lower) else lower)


def _derivative_magnitudes(quantity: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Upper bounds of |∂f/∂x_i| over each box, array (n, 4) (NaN as inf)."""
    grads = enclose_box(quantity, lo, hi)[1]
    mag = np.stack([np.maximum(np.abs(g.lo), np.abs(g.hi)) * np.ones(len(lo)) for g in grads], axis=1)
    return np.nan_to_num(mag, nan=np.inf)


def _derivative_lower_at(quantity: str, x: np.ndarray) -> np.ndarray:
    """Rigorous lower bounds of |∂f/∂x_i| at points x (n, 4): 0 where the point enclosure straddles 0."""
    return np.stack([np.where(g.lo * g.hi > 0, np.minimum(np.abs(g.lo), np.abs(g.hi)), 0.0) * np.ones(len(x))
                     for g in enclose_box(quantity, x, x)[1]], axis=1)


def certify_derivative_bounds(bounds: tuple[float, ...] | None = None, domain: Domain | None = None,
                              tol: float | None = None, max_boxes: int = 2_000_000,
                              name: str = "Lemma 10", quantity: str = "S", rigour: str = "arb") -> list[Certificate]:
    """Prove |∂f/∂x_i| < bounds_i on the domain for x = (mu, omega, nu, tau) and f = ``quantity`` ("S": the
    spectral norm of the Jacobian of g, as paper Lemma 10 states; "S_xi": that of the appendix's Jacobian of
    (mu~, xi~), which Lemma 12's grid evaluated). Defaults: Lemma 10's constants 0.32112, 2.63690, 2.28242,
    2.98610 on the Lemma 12 domain (rounded outward, :func:`round_outward`).

    Boxes get the naive interval enclosure of each partial derivative (forward-mode, :func:`enclose_box`) and are
    halved (widest relative to the domain first) until every bound holds and, with ``tol``, until each proven
    bound is within ``tol`` of the largest derivative found at a box centre. The search uses scipy with assumed
    error bounds; with ``rigour="arb"`` a successful cover is re-verified with Arb (and the best points are
    always), as in :func:`certify`. Returns one certificate per variable; the four share the box count and the
    seconds. See chapter "The theorems, checked by computer".
    """
    _check_quantity(quantity)
    if quantity not in ("S", "S_xi"):
        raise ValueError(f"quantity must be 'S' or 'S_xi' (the singular values of Lemmas 10 and 12), got {quantity!r}")
    _check_rigour(rigour)
    bounds = LEMMA10_DERIVATIVE_BOUNDS if bounds is None else tuple(float(b) for b in bounds)
    domain = LEMMA12_DOMAIN if domain is None else domain
    if len(bounds) != 4 or not all(b > 0 for b in bounds):
        raise ValueError(f"bounds must be 4 positive numbers (mu, omega, nu, tau), got {bounds!r}")
    if tol is not None and not tol > 0:
        raise ValueError(f"tol must be > 0 or None, got {tol}")
    if isinstance(max_boxes, bool) or not isinstance(max_boxes, (int, np.integer)) or max_boxes < 1:
        raise ValueError(f"max_boxes must be a positive integer, got {max_boxes!r}")
    start = time.perf_counter()
    claim = np.array(bounds)
    box = domain.outward()
    span = box[:, 1] - box[:, 0]
    span = np.where(span > 0, span, 1.0)  # a degenerate (point) range is never split
    lo, hi = box[None, :, 0].copy(), box[None, :, 1].copy()
    proven, best, best_at = np.zeros(4), np.zeros(4), np.zeros((4, 4))
    refuted = False

    def step(lo: np.ndarray, hi: np.ndarray) -> tuple:
        nonlocal proven, refuted
        mag = _derivative_magnitudes(quantity, lo, hi)
        mid = 0.5 * (lo + hi)
        # a rigorous *lower* bound of |∂S/∂x_i| at the centre: what is found there (and refutes a claim) must
        # not be an overestimate
        at_mid = _derivative_lower_at(quantity, mid)
        k = np.argmax(at_mid, axis=0)
        better = at_mid[k, range(4)] > best
        best[better], best_at[better] = at_mid[k, range(4)][better], mid[k][better]
        refuted = bool(np.any(best >= claim))
        done = np.all(mag < claim, axis=1)
        if tol is not None:
            done &= np.all(mag <= best + tol, axis=1)
        if np.any(done):
            proven = np.maximum(proven, mag[done].max(axis=0))
        return done, np.argmax((hi - lo) / span, axis=1), mag, refuted

    with interval.rigour("assumed"):
        cover_lo, cover_hi, lo, hi, mag, boxes = _branch_and_bound(lo, hi, step, max_boxes)
    if len(lo):
        proven = np.maximum(proven, mag.max(axis=0))
        cover_lo.append(lo)
        cover_hi.append(hi)
    all_lo, all_hi = np.concatenate(cover_lo), np.concatenate(cover_hi)
    complete = cover_is_complete(all_lo, all_hi, domain)
    search_seconds = time.perf_counter() - start
    level = "assumed"
    if rigour == "arb":
        found = np.diag(_derivative_lower_at(quantity, best_at))  # best_at[i] is the point found for variable i
        best = np.where(best > 0, found, best)
        if complete and np.all(proven < claim) and np.all(best < claim):
            proven = np.max([_derivative_magnitudes(quantity, all_lo[i:i + 65536], all_hi[i:i + 65536]).max(axis=0)
                             for i in range(0, len(all_lo), 65536)], axis=0)
            level = "arb"
    seconds = time.perf_counter() - start
    return [Certificate(
        name=f"{name} (|d{'S' if quantity == 'S' else 'S_xi'}/d{var}|)",
        statement=f"|∂{_STATEMENT_SYMBOLS[quantity]}/∂{_SYMBOLS[var]}| < {bounds[i]:g}",
        domain=domain.describe(), claimed_bound=bounds[i], proven_bound=float(proven[i]), best_value=float(best[i]),
        best_at=tuple(float(v) for v in best_at[i]), paper_value=LEMMA10_DERIVATIVE_BOUNDS[i],
        paper_source="paper Lemma 10", boxes=boxes, seconds=seconds,
        certified=bool(complete and best[i] < claim[i] and proven[i] < claim[i]), refuted=bool(best[i] >= claim[i]),
        rigour=level, assumptions=interval.ASSUMPTIONS[level], covered=box.tolist(), cover_boxes=len(all_lo),
        cover_complete=complete, search_seconds=search_seconds, arb_seconds=seconds - search_seconds)
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
          "authors' notebook p.8 (minimum -0.0310605; the bound -0.03107 is the book's rounding outward, Lemma 13 "
          "prints -0.03106)", tol=1e-6),
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
#: about 5e-7 (the minimum is −0.0310605); :data:`CLAIMS` certifies −0.03107 instead (the notebook's minimum
#: −0.0310605 rounded outward by the book).
#: Chapter 5 (errata) and the claims ledger refute it.
LEMMA13_AS_PRINTED = Claim("Lemma 13 as printed (Thm 1, min of mu~)", "mu_tilde", "min", -0.03106, THEOREM1_DOMAIN,
                           -0.0310605, "paper, proof of Lemma 13")

def certify_all(max_boxes: int = 2_000_000, rigour: str = "arb") -> list[Certificate]:
    """Run every certificate of :data:`CLAIMS` (Theorems 1-3, Lemmas 12 and 13) at ``rigour`` (see
    :func:`certify`). Chapter "The theorems, checked by computer"."""
    return [certify(c, max_boxes=max_boxes, rigour=rigour) for c in CLAIMS]


@dataclass(frozen=True)
class Threshold:
    """The result of :func:`smallest_certified`: the smallest candidate whose claim is certified, its
    certificate, and the certificate at the candidate below it (None when ``value`` is the first candidate)."""

    value: float
    certificate: Certificate
    below: Certificate | None


def smallest_certified(claim_at: Callable[[float], Claim], candidates: Any, max_boxes: int = 2_000_000,
                       rigour: str = "arb") -> Threshold:
    """The smallest of the ascending ``candidates`` whose claim ``claim_at(c)`` :func:`certify` certifies, found by
    bisection: a handful of certificates instead of one per candidate.

    Meant for families whose claims weaken as ``c`` grows (e.g. a domain that shrinks), so that certified at one
    candidate means certified at all larger ones. The answer is exact when ``below.refuted``: the claim is then
    false at the candidate below, hence at every smaller one too. Chapter "The theorems, checked by computer"
    (exercise 2: the lowest start of Theorem 2's range of nu).
    """
    try:
        values = [float(c) for c in np.asarray(candidates, dtype=float).ravel()]
    except (TypeError, ValueError):
        values = []
    if not values or not all(np.isfinite(values)) or any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"candidates must be numbers, finite, strictly ascending and not empty, got {candidates!r}")
    found: dict[int, Certificate] = {}

    def check(i: int) -> bool:
        if i not in found:
            found[i] = certify(claim_at(values[i]), max_boxes=max_boxes, rigour=rigour)
        return found[i].certified

    if not check(len(values) - 1):
        raise ValueError(f"candidates: not certified even at the largest, {values[-1]!r}; extend the range")
    lo, hi = -1, len(values) - 1  # invariant: certified at hi, not certified at lo (or lo before the first)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if check(mid):
            hi = mid
        else:
            lo = mid
    return Threshold(values[hi], found[hi], found[lo] if lo >= 0 else None)


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



def format_markdown(certs: list[Certificate]) -> str:
    """The certificates as a Markdown table for the book (chapter "The theorems, checked by computer"): the verdict
    first, then the claim, its statement, the proven bound, the extreme found at a point, the paper's value and the
    number of boxes. Deterministic (no timings)."""
    if not certs:
        raise ValueError("certs must hold at least one certificate")
    lines = ["| verdict | claim | statement | proven | found | paper | boxes |", "|---|---|---|---|---|---|---|"]
    for c in certs:
        verdict = "**proven**" if c.certified else ("**refuted**" if c.refuted else "**not certified**")
        paper = "—" if c.paper_value is None else f"{c.paper_value:g}"
        name, statement = (t.replace("|", "\\|") for t in (c.name, c.statement))  # |dS/dnu| inside a cell
        lines.append(f"| {verdict} | {name} | {statement} | {c.proven_bound:.6f} | {c.best_value:.6f} | {paper} "
                     f"| {c.boxes} |")
    return "\n".join(lines)

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
    """Outcome of :func:`paper_grid_check`: grid maximum of ``quantity`` ("S" of g, or "S_xi" of (mu~, xi~), which
    the paper's grid evaluated) plus mean-value slack versus 1, with the slack from Lemma 10's derivative bounds
    (``slack``) and from :data:`TIGHT_DERIVATIVE_BOUNDS` (``slack_tight``, proved for S of g only)."""

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
    quantity: str = "S"


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


def _grid_function(quantity: str):
    from . import moments

    return moments.spectral_norm if quantity == "S" else moments.spectral_norm_mu_xi


def _grid_rows_max(axes, chunk: int, start: int, stop: int, quantity: str = "S") -> tuple[float, tuple[int, int]]:
    """Max of S (or S_xi) over the grid rows start..stop-1 of the (mu, omega) x (nu, tau) product, in float64 numpy.

    Blocks of about ``chunk`` points keep the temporaries in the CPU cache (64k points run about twice as fast
    as 1M: the elementwise passes are memory-bound on large arrays).
    """
    spectral_norm = _grid_function(quantity)
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


def _grid_max_numpy(axes, chunk, jobs: int | None = None, quantity: str = "S"):
    n_rows = len(axes[0]) * len(axes[1])
    if jobs is None:  # worker processes pay off only on large grids (each one imports numpy and scipy)
        jobs = (os.cpu_count() or 1) if n_rows * len(axes[2]) * len(axes[3]) > 50_000_000 else 1
    jobs = max(1, min(jobs, n_rows))
    if jobs == 1:
        results = [_grid_rows_max(axes, chunk, 0, n_rows, quantity)]
    else:
        from ._pool import process_pool

        bounds = np.linspace(0, n_rows, 4 * jobs + 1).astype(int)
        with process_pool(jobs) as pool:  # spawned workers, terminated at once if interrupted
            results = pool.starmap(_grid_rows_max, [(axes, chunk, int(a), int(b), quantity)
                                                    for a, b in zip(bounds[:-1], bounds[1:]) if b > a])
    best, (r, c) = max(results, key=lambda bw: bw[0])
    mu, om = (a.ravel() for a in np.meshgrid(axes[0], axes[1], indexing="ij"))
    nu, ta = (a.ravel() for a in np.meshgrid(axes[2], axes[3], indexing="ij"))
    return best, (mu[r], om[r], nu[c], ta[c])


def _grid_max_torch(axes, chunk, device, quantity: str = "S"):
    import torch

    spectral_norm = _grid_function(quantity)

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
                     jobs: int | None = None, quantity: str = "S") -> GridResult:
    """The paper's proof of Lemma 12: max of S on a grid + mean-value slack (Lemmas 10-11) must stay below 1.

    ``coarsen`` multiplies the paper's spacings (1 gives the paper's grid, ≈3.4e9 points). ``quantity`` is "S"
    (the spectral norm of the Jacobian of g, :func:`snnlib.moments.spectral_norm`) or "S_xi" (that of the
    appendix's Jacobian of (mu~, xi~), the quantity whose maximum 0.9912524171058772 the paper printed; see
    :func:`paper_route`). ``device`` is "numpy" (scipy float64), "cpu" or "cuda" (torch float64 through the torch
    path of :mod:`snnlib.moments`). Evaluation is float64, not interval arithmetic; the paper bounds its rounding
    error by 292 ulp (Lemma 20), far below the margins here. ``jobs`` is the number of worker processes of the
    numpy path (default: all CPU cores). See chapter "The theorems, checked by computer".
    """
    if quantity not in ("S", "S_xi"):
        raise ValueError(f"quantity must be 'S' (Jacobian of g) or 'S_xi' (Jacobian of (mu~, xi~)), got {quantity!r}")
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
        best, at = _grid_max_numpy(axes, chunk or 1 << 16, jobs, quantity)
    else:
        if device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise ValueError("device 'cuda' requested but torch.cuda.is_available() is False")
        best, at = _grid_max_torch(axes, chunk or (1 << 25 if device == "cuda" else 1 << 20), device, quantity)
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
        evaluations_per_second=points / seconds if seconds > 0 else math.inf, quantity=quantity)


# -- the paper's own proof route, and the numbers inside its proofs ---------------------------------------------
#: Eq. 108's slack as printed (the sum of Lemma 10's constants times the grid spacings, 0.0087469929..., rounded up).
PAPER_SLACK = 0.008747
#: The corner of the Lemma 12 domain where S_xi and S are largest, (mu, omega, nu, tau).
LEMMA12_CORNER = (-0.1, -0.1, 0.8, 1.25)
#: Lemma 7's bound on |J12| as its statement prints it, and as its proof (Eq. 75) derives it; Lemma 10 uses the latter.
LEMMA7_STATED, LEMMA7_DERIVED = "0.194145", "0.194035"


def enclose_decimal_point(quantity: str, x: Any) -> Interval:
    """Rigorous enclosure of ``quantity`` at the decimal point whose coordinates are written as the floats ``x``
    (mu, omega, nu, tau): e.g. (-0.1, 0.1, 0.8, 0.95) stands for the decimals, not for the nearest floats. Evaluated
    over the float box around the decimals (:func:`round_outward`), at the current rigour level. Chapter "The
    theorems, checked by computer"."""
    _check_quantity(quantity)
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (4,) or not np.all(np.isfinite(x)):
        raise ValueError(f"x must be 4 finite numbers (mu, omega, nu, tau), got {x!r}")
    box = np.array([round_outward(float(v), float(v)) for v in x])
    val = enclose_box(quantity, box[None, :, 0], box[None, :, 1])[0]
    return Interval(np.ravel(val.lo)[0], np.ravel(val.hi)[0])


def _reproduces(printed: str, lo: float, hi: float) -> bool:
    """Whether every real in [lo, hi] rounds, or is truncated, to the decimal ``printed`` at its printed digits."""
    p = Fraction(printed)
    digits = len(printed.split(".")[1]) if "." in printed else 0
    unit = Fraction(1, 10**digits)
    a, b = Fraction(lo), Fraction(hi)
    rounds = p - unit / 2 <= a and b <= p + unit / 2
    truncates = (p <= a and b < p + unit) if p >= 0 else (p - unit < a and b <= p)
    return bool(rounds or truncates)


@dataclass
class ProofNumber:
    """A number printed inside one of the paper's proofs, recomputed: the exact value lies in [lo, hi] (proven at
    the rigour of :mod:`snnlib.interval`), and ``reproduced`` says whether the printed decimal is that value rounded
    or truncated to its printed digits."""

    name: str
    where: str
    printed: str
    lo: float
    hi: float
    reproduced: bool


def theorem2_proof_values(rigour: str = "arb") -> tuple[list[ProofNumber], Certificate]:
    """The values of the function xi~ - nu that the proof of Theorem 2 evaluates (paper §A3.2, Eqs. 40-43):
    -0.0180173 at (mu, omega, nu, tau) = (-1, -0.1, 3, 1.25) and (1, 0.1, 3, 1.25), -0.148532 at (0, 0, 3, 1.25),
    recomputed as proven enclosures; and a certificate that max(xi~ - nu) < 0 on Theorem 2's domain, whose proven
    maximum is the printed -0.0180173 (the paper's route: nu~ <= xi~, so xi~ - nu < 0 implies nu~ < nu). See
    chapter "The theorems, checked by computer"."""
    _check_rigour(rigour)
    rows = (("xi~ - nu at (-1, -0.1, 3, 1.25)", "Eq. 40", "-0.0180173", (-1.0, -0.1, 3.0, 1.25)),
            ("xi~ - nu at (0, 0, 3, 1.25)", "Eqs. 41-42", "-0.148532", (0.0, 0.0, 3.0, 1.25)),
            ("xi~ - nu at (1, 0.1, 3, 1.25)", "Eq. 43", "-0.0180173", (1.0, 0.1, 3.0, 1.25)))
    numbers = []
    with interval.rigour(rigour):
        for name, where, printed, x in rows:
            e = enclose_decimal_point("xi_tilde_minus_nu", x)
            numbers.append(ProofNumber(name, where, printed, float(e.lo), float(e.hi),
                                       _reproduces(printed, float(e.lo), float(e.hi))))
    cert = certify(Claim("Theorem 2, the paper's route (xi~ - nu < 0)", "xi_tilde_minus_nu", "max", 0.0,
                         THEOREM2_DOMAIN, -0.0180173, "paper Eqs. 40-43", tol=1e-7), rigour=rigour)
    return numbers, cert


def _eq48(nu_max: Any, tau_min: Any, nu_min: Any, alpha: Any, lam: Any) -> Any:
    """The lower bound on d xi~/d nu of the proof of Theorem 3 as printed (Eqs. 48 and 50), in Arb."""
    arb = type(alpha)
    y = arb("0.01")
    x = nu_max * tau_min
    root2 = arb(2).sqrt()
    a1 = (x + y) / (root2 * x.sqrt())
    a2 = (2 * x + y) / (root2 * x.sqrt())
    sub = (a1 * a1).exp() * a1.erfc() - 2 * (a2 * a2).exp() * a2.erfc()
    return tau_min / 2 * (-(y * y) / (2 * nu_min * tau_min)).exp() * lam * lam * (
        alpha * alpha * (-sub) - (-y / (root2 * (nu_min * tau_min).sqrt())).erfc() + 2)


@dataclass
class Theorem3Bound:
    """The printed lower bound on d xi~/d nu of one domain of Theorem 3, its printed expression evaluated (in Arb)
    with each lower end nu_min, and a certificate that d xi~/d nu really exceeds the printed value there."""

    domain: str
    printed: str
    values: dict[str, tuple[float, float]]
    reproduced_by: list[str]
    certificate: Certificate


def theorem3_derivative_bounds(rigour: str = "arb") -> list[Theorem3Bound]:
    """Theorem 3's derivative bounds 0.969231 (nu <= 0.16, tau >= 0.8; paper Eq. 48) and 0.976952 (nu <= 0.24,
    tau >= 0.9; Eq. 50), recomputed from their printed expressions with nu_min = 0.05 (the appendix's domain, the
    value the expressions print) and 0.02 (the main text's domain). The printed values are reproduced only with
    0.02; with 0.05 the expressions give 0.981253 and 0.989408 (the printed values are smaller, so still valid
    lower bounds). Each comes with a certificate that d xi~/d nu > the printed value on the main text's domain
    (nu from 0.02). The expressions are evaluated in Arb with exact decimal inputs and the exact alpha01,
    lambda01 (Eq. 14). See chapter "The theorems, checked by computer"."""
    _check_rigour(rigour)
    flint = interval._flint()
    arb = flint.arb
    from .activations import _eq14

    out = []
    for domain, nu_max, tau_min, printed in ((THEOREM3_DOMAIN_A, "0.16", "0.8", "0.969231"),
                                             (THEOREM3_DOMAIN_B, "0.24", "0.9", "0.976952")):
        values, reproduced = {}, []
        with flint.ctx.workprec(100):
            alpha, lam = _eq14(lambda x: arb(x).erfc(), lambda x: arb(x).exp(), lambda x: arb(x).sqrt(), arb.pi())
            for nu_min in ("0.05", "0.02"):
                lo, hi = interval.arb_to_floats(_eq48(arb(nu_max), arb(tau_min), arb(nu_min), alpha, lam))
                values[nu_min] = (lo, hi)
                if _reproduces(printed, lo, hi):
                    reproduced.append(nu_min)
        cert = certify(Claim(f"Theorem 3 proof: d xi~/d nu > {printed}", "dxi_dnu", "min", float(printed), domain,
                             float(printed), "paper Eqs. 48, 50", tol=1e-6), rigour=rigour)
        out.append(Theorem3Bound(domain.describe(), printed, values, reproduced, cert))
    return out


#: Lemma 10's derivative bounds as its proof sums them (Eqs. 98-103): the printed constants of each sum, with
#: the bound b on |J12| of Lemma 7 left open. The sum for mu, for instance, is 0.0031049... + ... + 2 b 0.087653
#: + 2 0.104497 b.
def lemma10_printed_sums(j12_bound: str = LEMMA7_DERIVED) -> tuple[float, float, float, float]:
    """Lemma 10's four derivative bounds recomputed from the sums its proof prints (Eqs. 98-103), in exact
    rational arithmetic, with Lemma 7's bound on |J12| set to ``j12_bound`` (a decimal string: the proof uses
    "0.194035", the statement of Lemma 7 says "0.194145"). With 0.194035 the sums for mu, omega and tau land just
    below Lemma 10's constants 0.32112, 2.63690, 2.98610; the sum for nu is 2.357711, above the printed 2.28242.
    Chapter "The theorems, checked by computer"."""
    try:
        if not isinstance(j12_bound, str):  # a float would not be the printed decimal
            raise TypeError
        b = Fraction(j12_bound)
    except (TypeError, ValueError):
        raise ValueError(f"j12_bound must be a decimal string such as '0.194035', got {j12_bound!r}") from None
    f = Fraction
    j11, mu_max = f("0.104497"), f("0.087653")  # Lemma 6 and Lemma 9
    sums = (
        f("0.0031049101995398316") + f("0.031242911235461816") + f("0.02220441024325437") + f("0.14983446469110305")
        + 2 * j11 * mu_max + 2 * j11**2 + 2 * b * mu_max + 2 * j11 * b,  # Eq. 98
        f("2.38392") + 2 * f("1.055872374194189") * mu_max + 2 * j11**2 + 2 * f("0.031242911235461816") * mu_max
        + 2 * b * j11,  # Eq. 100
        f("2.19916") + 2 * f("0.031242911235461816") * mu_max + 2 * j11 * b + 2 * f("0.21232788238624354") * mu_max
        + 2 * b**2,  # Eq. 101
        f("2.82643") + 2 * f("0.03749149348255419") * mu_max + 2 * j11 * b + 2 * f("0.2124377655377270") * mu_max
        + 2 * b**2,  # Eq. 103
    )
    return tuple(float(x) for x in sums)


@dataclass
class Lemma7Slip:
    """Outcome of :func:`lemma7_slip`."""

    stated: float
    derived: float
    j12_max: Certificate
    j12_min: Certificate
    harmless: bool
    lemma10_constants: tuple[float, float, float, float]
    lemma10_sums_derived: tuple[float, float, float, float]
    lemma10_sums_stated: tuple[float, float, float, float]


def lemma7_slip(rigour: str = "arb") -> Lemma7Slip:
    """Certify that Lemma 7's slip is harmless, and say exactly in which sense.

    Lemma 7 states |J12| <= 0.194145 on Lemma 12's domain; its proof (Eq. 75) derives 0.194035, and Lemma 10
    uses 0.194035 (paper_facts §3.1). *Harmless* here means: |J12| < 0.194035, the smaller value, holds on the
    whole closed domain, so the lemma as stated and the number its successors use are both true bounds and no
    later step rests on a false number. Proven by two certificates, max J12 < 0.194035 and min J12 > -0.194035
    (their proven extremes, 0.114009 and 0.062615, are the true range of J12). ``harmless`` is True when both
    are certified.

    Also returned, in exact arithmetic, are the four sums of Lemma 10's proof with either value
    (:func:`lemma10_printed_sums`): had Lemma 10 used the stated 0.194145, its sums for mu, omega and tau would
    exceed its constants (by less than 1.1e-4); and with either value the sum for nu, 2.357711, exceeds the
    printed 2.28242. So the *derivation* of Lemma 10 depends on the smaller value and has a slip of its own; its
    constants are nevertheless true (:func:`certify_derivative_bounds`). Chapter "The theorems, checked by
    computer".
    """
    _check_rigour(rigour)
    cmax = certify(Claim("Lemma 7 (max J12)", "J12", "max", float(LEMMA7_DERIVED), LEMMA12_DOMAIN,
                         float(LEMMA7_DERIVED), "paper Lemma 7, Eq. 75", tol=1e-7), rigour=rigour)
    cmin = certify(Claim("Lemma 7 (min J12)", "J12", "min", -float(LEMMA7_DERIVED), LEMMA12_DOMAIN,
                         -float(LEMMA7_DERIVED), "paper Lemma 7, Eq. 75", tol=1e-7), rigour=rigour)
    return Lemma7Slip(stated=float(LEMMA7_STATED), derived=float(LEMMA7_DERIVED), j12_max=cmax, j12_min=cmin,
                      harmless=bool(cmax.certified and cmin.certified), lemma10_constants=LEMMA10_DERIVATIVE_BOUNDS,
                      lemma10_sums_derived=lemma10_printed_sums(LEMMA7_DERIVED),
                      lemma10_sums_stated=lemma10_printed_sums(LEMMA7_STATED))


@dataclass
class PaperRoute:
    """Outcome of :func:`paper_route`. Bounds on the grid maximum are rigorous; ``grid`` is the float64 grid run."""

    grid: GridResult
    corner: tuple[float, float, float, float]
    corner_s_xi: tuple[float, float]
    printed_grid_max: float
    s_xi_certificate: Certificate
    grid_max_bounds: tuple[float, float]
    derivative_certificates_s_xi: list[Certificate]
    derivative_certificates_s: list[Certificate]
    slack: float
    printed_slack: float
    bound: float
    margin: float
    printed_margin: float
    closes: bool
    lemma10_nu_sum: float
    margin_with_nu_sum: float
    s_certificate: Certificate
    statement: str


def paper_route(coarsen: float = 8.0, device: str = "numpy", jobs: int | None = None,
                rigour: str = "arb") -> PaperRoute:
    """Run the paper's proof of Lemma 12 as printed, and say what it proves (paper Lemmas 10-12, Eqs. 107-109).

    1. The grid: the paper's value 0.9912524171058772 is the largest singular value S_xi of the appendix's
       Jacobian J of h = (mu~, xi~) (Eqs. 56, 62-65) at the corner (-0.1, -0.1, 0.8, 1.25), a point of every
       grid of :func:`grid_axes`. ``grid`` evaluates S_xi in float64 on the paper's grid spacings times
       ``coarsen`` (``coarsen=1``: the paper's 3.3e9 points, also ``python -m snnlib theorems --paper-grid
       --quantity S_xi``). Without running the full grid, its maximum is pinned between S_xi at the corner and
       the certified maximum of S_xi over the domain (``grid_max_bounds``, proven).
    2. Lemma 10's derivative bounds, certified for S_xi (the quantity on the grid) and for S of g (what the
       lemma states), and Lemma 11's slack sum c_i Δ_i = 0.0087469929 (printed: < 0.008747).
    3. The margin: 1 - (grid maximum + slack), about 5.8e-7 (printed values: 1 - 0.9999994171 = 5.83e-7).

    What it proves is max S_xi < 1 on the Lemma 12 domain. The contraction argument of Theorem 1 (Banach, Eq. 17)
    needs the spectral norm of the Jacobian of g = (mu~, nu~), the appendix's H (Eq. 87): the paper's
    computer-assisted lemma bounds a different matrix from the one its argument needs. ``s_certificate``, the
    book's certificate S < 1 for g on the same domain (maximum 0.98903 at the same corner), closes that gap.
    ``lemma10_nu_sum`` is Lemma 10's sum for |dS/dnu| evaluated as printed (2.357711, not < 2.28242); with it the
    margin would be ``margin_with_nu_sum`` (negative): the argument closes only because 2.28242 is true anyway.
    See chapter "The theorems, checked by computer".
    """
    _check_rigour(rigour)
    grid = paper_grid_check(coarsen=coarsen, device=device, jobs=jobs, quantity="S_xi")
    with interval.rigour(rigour):
        corner = enclose_point("S_xi", np.array(LEMMA12_CORNER))
    corner_lo, corner_hi = float(corner.lo), float(corner.hi)
    s_xi = certify(Claim("Lemma 12 as computed (max S_xi)", "S_xi", "max", 1.0, LEMMA12_DOMAIN, PAPER_GRID_MAX,
                         "paper Lemma 12 grid maximum", tol=1e-12), rigour=rigour)
    d_xi = certify_derivative_bounds(quantity="S_xi", name="Lemma 10 for S_xi", rigour=rigour)
    d_g = certify_derivative_bounds(quantity="S", name="Lemma 10", rigour=rigour)
    s_g = certify(CLAIMS[0], rigour=rigour)
    spacing = [Fraction(str(v)) for v in PAPER_GRID_SPACING]
    constants = [Fraction(str(v)) for v in LEMMA10_DERIVATIVE_BOUNDS]
    slack = sum(c * d for c, d in zip(constants, spacing))
    upper = Fraction(s_xi.proven_bound)
    nu_sum = Fraction(lemma10_printed_sums()[2])
    slack_nu = slack + (nu_sum - constants[2]) * spacing[2]
    closes = bool(s_xi.certified and all(c.certified for c in d_xi) and upper + slack < 1)
    statement = (
        "The paper's Lemma 12 evaluates on its grid the largest singular value of the appendix's Jacobian of "
        f"(mu~, xi~) (its printed maximum {PAPER_GRID_MAX} is that value at the corner {LEMMA12_CORNER}); with "
        f"Lemma 10's slack {float(slack):.10f} the argument proves S_xi < 1 with a margin of "
        f"{float(1 - upper - slack):.2e}. Theorem 1's contraction argument needs the Jacobian of g = (mu~, nu~): "
        "the computer-assisted lemma bounds a different matrix from the one the argument needs. The certificate "
        f"S < 1 for g (proven maximum {s_g.proven_bound:.6f}) closes that gap.")
    return PaperRoute(
        grid=grid, corner=LEMMA12_CORNER, corner_s_xi=(corner_lo, corner_hi), printed_grid_max=PAPER_GRID_MAX,
        s_xi_certificate=s_xi, grid_max_bounds=(corner_lo, s_xi.proven_bound), derivative_certificates_s_xi=d_xi,
        derivative_certificates_s=d_g, slack=float(slack), printed_slack=PAPER_SLACK, bound=float(upper + slack),
        margin=float(1 - upper - slack), printed_margin=float(1 - Fraction(str(PAPER_GRID_MAX)) - Fraction("0.008747")),
        closes=closes, lemma10_nu_sum=float(nu_sum), margin_with_nu_sum=float(1 - upper - slack_nu),
        s_certificate=s_g, statement=statement)


if __name__ == "__main__":  # deprecated alias of ``python -m snnlib theorems``, kept for one release
    import sys

    from snnlib.cli import main

    sys.stderr.write("note: 'python -m snnlib.theorems' is now 'python -m snnlib theorems'; this alias goes in the "
                     "next release\n")
    sys.exit(main(["theorems", *sys.argv[1:]]))
