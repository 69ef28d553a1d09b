"""Vectorised interval arithmetic with outward rounding, and first-order interval forms (value + gradient).

The ground floor of the computer-assisted proofs of Theorems 1-3 (paper §A3, Lemma 12; see chapter "The theorems,
checked by computer"). An :class:`Interval` holds numpy float64 arrays ``lo <= hi`` of the same (broadcast) shape;
every operation returns an interval that contains every value the exact real operation can take on the inputs.

Rounding. Numpy computes in round-to-nearest. After each operation the bounds are moved outward by one unit in
the last place with :func:`numpy.nextafter`. For the correctly rounded IEEE operations (``+ - * /`` and ``sqrt``)
the exact result lies within half an ulp of the computed one, so one ulp outward encloses it (also for results
in the subnormal range, where the spacing is constant, and for overflow to ±inf). Products 0 · ±inf of bounds
are taken as 0, the limit of the bound (an unbounded interval times one that touches 0 is not NaN).

Special functions. ``exp``, ``erfc`` and ``erfcx`` are monotone on all of R (exp increases; erfc and
erfcx = exp(x^2) erfc(x) decrease, Lemmas 21 and 23 of the paper and erfcx'(x) = 2 x erfcx(x) - 2/sqrt(pi) < 0),
so the image of an interval is fixed by the values at its two float end points. How those values are enclosed
is the *rigour level*, chosen with :func:`rigour` (a context manager; the default is ``"arb"``):

* ``"arb"``: each distinct end point x (a float, taken as the exact real it represents) is evaluated in Arb ball
  arithmetic through python-flint (``arb(x).exp()``, ``.erfc()``; erfcx as ``exp(x^2) erfc(x)`` of the exact
  point, or, for x >= 2^26, the bounds 2/(sqrt(pi)(x + sqrt(x^2 + 2))) < erfcx(x) <= 2/(sqrt(pi)(x + sqrt(x^2 +
  4/pi))) of Abramowitz-Stegun 7.1.13, also evaluated in Arb). Arb returns a ball that provably contains the
  exact value; its ends are converted to floats and moved one ulp outward, and the conversion is re-checked by an
  exact Arb comparison. Nothing is assumed beyond the correctness of Arb/python-flint and IEEE 754 arithmetic.
  About 3-10 µs per distinct end point (a Python loop): meant for re-verifying a cover, not for the search.
* ``"assumed"``: numpy's ``exp`` and scipy's ``erfc``/``erfcx`` (vectorised, fast). They are not correctly
  rounded and their accuracy is documented only loosely (the paper, Lemma 20, relies on glibc's "<= 3 ulp").
  Measured against mpmath at 50 digits, numpy's ``exp`` stays below 1 ulp, while scipy's ``erfc`` and ``erfcx``
  reach about 7 eps relative near |x| ~ 1 and grow like x^2 eps for large |x|. This level *assumes* relative
  errors of at most ``EXP_ULPS * eps`` for exp and ``SPECIAL_ULPS * eps * (1 + x^2)`` for erfc and erfcx at
  argument x (eps = 2**-52), plus ``SPECIAL_ABS = 1e-300`` absolute, and widens by that before the one-ulp
  outward step. The test suite checks these assumptions against mpmath at random points; they are not proven,
  so results at this level are conditional on them.

Constants that are not floats (2/sqrt(pi) here; alpha01, 1/sqrt(2) in :mod:`snnlib.theorems`) come from
:func:`constant`: an Arb enclosure at level ``"arb"``, one ulp either side of the float64 value at ``"assumed"``.

:class:`GradInterval` carries an interval value and interval enclosures of its partial derivatives with respect
to a few seed variables (forward-mode automatic differentiation in interval arithmetic). Over a box X it gives the
mean-value form f(X) ⊆ f(c) + Σ_i ∂_i f(X) (X_i - c_i), whose overestimation shrinks like width², where the naive
interval evaluation shrinks only like width.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np
from scipy import special

#: Assumed relative error bound of numpy's ``exp``, in units of eps = 2**-52 (rigour level "assumed" only).
EXP_ULPS: float = 4.0
#: Assumed relative error bound of scipy's ``erfc(x)``/``erfcx(x)``, in units of eps * (1 + x**2) ("assumed").
SPECIAL_ULPS: float = 16.0
#: Assumed absolute error bound of the same functions (results near underflow; "assumed").
SPECIAL_ABS: float = 1e-300

#: The rigour levels of the special functions (see the module docstring).
RIGOUR_LEVELS: tuple[str, ...] = ("arb", "assumed")
#: What a result computed at each rigour level rests on, in words (quoted by the certificates).
ASSUMPTIONS: dict[str, str] = {
    "arb": "none beyond the correctness of Arb (python-flint) and IEEE 754 double arithmetic (correctly rounded "
           "+ - * / sqrt, round to nearest)",
    "assumed": f"IEEE 754 arithmetic, and relative errors of numpy's exp below {EXP_ULPS:g} eps and of scipy's "
               f"erfc/erfcx below {SPECIAL_ULPS:g} eps (1 + x^2) (checked at random points, not proven)",
}

_EPS = np.finfo(np.float64).eps  # 2**-52, one ulp at 1
_INF = np.inf
_RIGOUR: contextvars.ContextVar[str] = contextvars.ContextVar("snnlib_interval_rigour", default="arb")
_ARB_PREC = 64  # bits of the Arb evaluations: balls of about 2^-60 relative, so the float bounds are 1-2 ulp apart
_ERFCX_ASYMPTOTIC = 2.0**26  # from here on erfcx is enclosed by the Abramowitz-Stegun bounds (exp(x^2) is huge)


def _check_rigour(level: str) -> str:
    if level not in RIGOUR_LEVELS:
        raise ValueError(f"rigour must be one of {RIGOUR_LEVELS} ('arb': proven by Arb ball arithmetic; 'assumed': "
                         f"scipy with assumed error bounds), got {level!r}")
    return level


@contextlib.contextmanager
def rigour(level: str) -> Iterator[str]:
    """Context manager: evaluate exp, erfc, erfcx (and :func:`constant`) at rigour ``level`` inside the block.

    ``"arb"`` (the default outside any block) proves every enclosure with Arb; ``"assumed"`` uses numpy/scipy
    with assumed error bounds (about 1000 times faster). See the module docstring and chapter "The theorems,
    checked by computer".
    """
    token = _RIGOUR.set(_check_rigour(level))
    try:
        yield level
    finally:
        _RIGOUR.reset(token)


def current_rigour() -> str:
    """The rigour level in force ("arb" unless inside a :func:`rigour` block)."""
    return _RIGOUR.get()


def _flint() -> Any:
    try:
        import flint
    except ImportError as exc:  # pragma: no cover - python-flint is a dependency
        raise ImportError("rigour 'arb' needs python-flint (pip install python-flint); without it use "
                          "snnlib.interval.rigour('assumed'), whose results rest on assumed error bounds") from exc
    return flint


def arb_to_floats(ball: Any) -> tuple[float, float]:
    """Floats (lo, hi) with lo <= every real in the Arb ball ``ball`` <= hi (-inf/inf when it is not finite).

    The exact ends ``ball.lower()``/``ball.upper()`` are converted to the float64 nearest (any faithful rounding
    would do) and moved one ulp outward; an exact Arb comparison confirms each bound (falling back to ±inf).
    """
    arb = _flint().arb
    lo_x, hi_x = ball.lower(), ball.upper()
    lo, hi = math.nextafter(float(lo_x), -math.inf), math.nextafter(float(hi_x), math.inf)
    if not arb(lo) <= lo_x:
        lo = -math.inf
    if not arb(hi) >= hi_x:
        hi = math.inf
    return lo, hi


def _arb_erfcx(x: Any, v: float) -> Any:
    arb = type(x)
    if v >= _ERFCX_ASYMPTOTIC:  # A&S 7.1.13, multiplied by exp(x^2): both ends as one ball
        root_pi = arb.const_sqrt_pi()
        low = 2 / (root_pi * (x + (x * x + 2).sqrt()))
        high = 2 / (root_pi * (x + (x * x + 4 / arb.pi()).sqrt()))
        return low.union(high)
    return (x * x).exp() * x.erfc()


_LIMITS = {"exp": (0.0, math.inf), "erfc": (2.0, 0.0), "erfcx": (math.inf, 0.0)}  # values at -inf, +inf


@lru_cache(maxsize=1 << 18)
def _arb_point(name: str, v: float) -> tuple[float, float]:
    """Rigorous float bounds of exp/erfc/erfcx at the exact float v (cached: covers share many end points)."""
    if math.isnan(v):
        return math.nan, math.nan
    if math.isinf(v):
        limit = _LIMITS[name][v > 0]
        return limit, limit
    flint = _flint()
    extra = 0 if name == "exp" else 2 * max(0, math.frexp(v)[1])  # erfc(x) loses about log2(x^2) bits in Arb
    with flint.ctx.workprec(_ARB_PREC + extra):
        x = flint.arb(v)
        ball = x.exp() if name == "exp" else x.erfc() if name == "erfc" else _arb_erfcx(x, v)
        return arb_to_floats(ball)


def clear_arb_cache() -> None:
    """Forget the cached Arb evaluations of the special functions (for timing a cold run)."""
    _arb_point.cache_clear()


def _arb_monotone(name: str, lower_at: np.ndarray, upper_at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rigorous lower bound of f at ``lower_at``, rigorous upper bound of f at ``upper_at``), elementwise.

    The distinct end points are evaluated once each (np.unique), in Arb."""
    lower_at, upper_at = np.broadcast_arrays(np.asarray(lower_at, np.float64), np.asarray(upper_at, np.float64))
    both = np.concatenate([lower_at.ravel(), upper_at.ravel()])
    uniq, inverse = np.unique(both, return_inverse=True)
    bounds = np.array([_arb_point(name, v) for v in uniq.tolist()], dtype=np.float64).reshape(-1, 2)
    n = lower_at.size
    return (bounds[inverse[:n], 0].reshape(lower_at.shape), bounds[inverse[n:], 1].reshape(upper_at.shape))


@cache
def _arb_constant(name: str) -> tuple[float, float]:
    flint = _flint()
    arb = flint.arb
    balls: dict[str, Callable[[], Any]] = {
        "2/sqrt(pi)": lambda: 2 / arb.const_sqrt_pi(),
        "1/sqrt(2)": lambda: 1 / arb(2).sqrt(),
        "1/sqrt(2 pi)": lambda: 1 / (2 * arb.pi()).sqrt(),
    }
    if name not in balls:
        raise ValueError(f"name must be one of {sorted(balls)}, got {name!r}")
    with flint.ctx.workprec(80):
        return arb_to_floats(balls[name]())


_FLOAT_CONSTANTS = {"2/sqrt(pi)": 2.0 / math.sqrt(math.pi), "1/sqrt(2)": 1.0 / math.sqrt(2.0),
                    "1/sqrt(2 pi)": 1.0 / math.sqrt(2.0 * math.pi)}


def constant(name: str) -> Interval:
    """A real constant as an interval at the current rigour level: "2/sqrt(pi)", "1/sqrt(2)", "1/sqrt(2 pi)".

    Level "arb": a proven enclosure (Arb at 80 bits, rounded outward). Level "assumed": one ulp either side of
    the float64 expression (which is within an ulp or two of the constant). ValueError for other names.
    """
    if _RIGOUR.get() == "arb":
        lo, hi = _arb_constant(name)
        return Interval(np.float64(lo), np.float64(hi))
    if name not in _FLOAT_CONSTANTS:
        raise ValueError(f"name must be one of {sorted(_FLOAT_CONSTANTS)}, got {name!r}")
    return Interval.const(_FLOAT_CONSTANTS[name])


def _down(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, -_INF)


def _up(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, _INF)


def _times(a: Any, b: Any) -> np.ndarray:
    """a * b for bounds, with 0 * ±inf taken as 0 (the limit of the bound, not NaN)."""
    with np.errstate(invalid="ignore"):
        p = np.multiply(a, b)
    if not np.isnan(p).any():
        return p
    a, b = np.asarray(a), np.asarray(b)
    return np.where(((a == 0) & np.isinf(b)) | ((b == 0) & np.isinf(a)), 0.0, p)


def _widen(lo: np.ndarray, hi: np.ndarray, rel_lo: Any, rel_hi: Any) -> tuple[np.ndarray, np.ndarray]:
    """Widen the bounds of a special-function value by the assumed relative error, then one ulp outward."""
    with np.errstate(invalid="ignore", over="ignore"):
        return _down(lo - (rel_lo * np.abs(lo) + SPECIAL_ABS)), _up(hi + (rel_hi * np.abs(hi) + SPECIAL_ABS))


def _special_rel(x: np.ndarray) -> np.ndarray:
    return SPECIAL_ULPS * _EPS * (1.0 + x * x)


@dataclass(frozen=True)
class Interval:
    """Arrays of closed intervals [lo, hi] (float64, broadcastable), with outward-rounded arithmetic.

    Python floats and ints as operands are taken as exact points. Constants that are not exactly representable
    (such as 1/sqrt(2) or alpha01) are entered with :meth:`const`. See chapter "The theorems, checked by computer".
    """

    lo: np.ndarray
    hi: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "lo", np.asarray(self.lo, dtype=np.float64))
        object.__setattr__(self, "hi", np.asarray(self.hi, dtype=np.float64))

    @classmethod
    def make(cls, lo: Any, hi: Any) -> Interval:
        """Checked constructor: ValueError unless lo <= hi elementwise (NaN rejected)."""
        lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        if not np.all(lo <= hi):
            raise ValueError("Interval needs lo <= hi elementwise (and no NaN), got lo > hi somewhere")
        return cls(lo, hi)

    @classmethod
    def point(cls, x: Any) -> Interval:
        """The degenerate interval [x, x] of float64 values taken as exact."""
        x = np.asarray(x, dtype=np.float64)
        return cls(x, x)

    @classmethod
    def const(cls, x: float) -> Interval:
        """[x-, x+]: one ulp either side of the float nearest to a real constant, so that it is enclosed."""
        x = np.float64(x)
        return cls(_down(x), _up(x))

    # -- shape helpers ---------------------------------------------------------------------------------------
    @property
    def mid(self) -> np.ndarray:
        return 0.5 * (self.lo + self.hi)

    @property
    def width(self) -> np.ndarray:
        return self.hi - self.lo

    def __getitem__(self, idx: Any) -> Interval:
        lo, hi = np.broadcast_arrays(self.lo, self.hi)
        return Interval(lo[idx], hi[idx])

    def contains(self, x: Any) -> np.ndarray:
        """Elementwise lo <= x <= hi."""
        return (self.lo <= x) & (x <= self.hi)

    def intersect(self, other: Interval) -> Interval:
        """Intersection (both must be enclosures of the same quantity, so it is not empty)."""
        return Interval(np.maximum(self.lo, other.lo), np.minimum(self.hi, other.hi))

    def clip(self, lo: float | None = None, hi: float | None = None) -> Interval:
        """Intersect with the known range [lo, hi] of the quantity (e.g. erfc >= 0)."""
        a = self.lo if lo is None else np.maximum(self.lo, lo)
        b = self.hi if hi is None else np.minimum(self.hi, hi)
        return Interval(a, b)

    # -- arithmetic ------------------------------------------------------------------------------------------
    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __add__(self, other: Any) -> Interval:
        if isinstance(other, Interval):
            return Interval(_down(self.lo + other.lo), _up(self.hi + other.hi))
        return Interval(_down(self.lo + other), _up(self.hi + other))

    __radd__ = __add__

    def __sub__(self, other: Any) -> Interval:
        if isinstance(other, Interval):
            return Interval(_down(self.lo - other.hi), _up(self.hi - other.lo))
        return Interval(_down(self.lo - other), _up(self.hi - other))

    def __rsub__(self, other: Any) -> Interval:
        return Interval(_down(other - self.hi), _up(other - self.lo))

    def __mul__(self, other: Any) -> Interval:
        if isinstance(other, Interval):
            with np.errstate(invalid="ignore"):
                p = (self.lo * other.lo, self.lo * other.hi, self.hi * other.lo, self.hi * other.hi)
                lo = np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3]))
                hi = np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3]))
            if np.isnan(lo).any() or np.isnan(hi).any():  # 0 * inf somewhere: redo those products as 0
                p = (_times(self.lo, other.lo), _times(self.lo, other.hi), _times(self.hi, other.lo),
                     _times(self.hi, other.hi))
                lo = np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3]))
                hi = np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3]))
            return Interval(_down(lo), _up(hi))
        if isinstance(other, (float, int)) and not isinstance(other, bool):
            a, b = _times(self.lo, other), _times(self.hi, other)
            return Interval(_down(a), _up(b)) if other >= 0 else Interval(_down(b), _up(a))
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Interval:
        if isinstance(other, Interval):
            return self * other.reciprocal()
        if isinstance(other, (float, int)) and other != 0:
            a, b = self.lo / other, self.hi / other
            return Interval(_down(a), _up(b)) if other > 0 else Interval(_down(b), _up(a))
        return NotImplemented

    def __rtruediv__(self, other: Any) -> Interval:
        return self.reciprocal() * other

    def reciprocal(self) -> Interval:
        """1/x for intervals not containing 0 (entries that do become [-inf, inf])."""
        bad = (self.lo <= 0) & (self.hi >= 0)
        with np.errstate(divide="ignore"):
            lo, hi = _down(1.0 / self.hi), _up(1.0 / self.lo)
        return Interval(np.where(bad, -_INF, lo), np.where(bad, _INF, hi))

    def square(self) -> Interval:
        """x**2 (tighter than x * x: the result is >= 0 and the dependency is exact)."""
        a, b = self.lo * self.lo, self.hi * self.hi
        lo = np.where((self.lo <= 0) & (self.hi >= 0), 0.0, np.minimum(a, b))
        return Interval(np.maximum(_down(lo), 0.0), _up(np.maximum(a, b)))

    def sqrt(self) -> Interval:
        """Square root (increasing; lower bounds below 0 are taken as 0)."""
        return Interval(_down(np.sqrt(np.maximum(self.lo, 0.0))).clip(0.0), _up(np.sqrt(np.maximum(self.hi, 0.0))))

    def exp(self) -> Interval:
        """exp (increasing): Arb at the end points (rigour "arb") or numpy widened by its assumed error."""
        if _RIGOUR.get() == "arb":
            lo, hi = _arb_monotone("exp", self.lo, self.hi)
        else:
            with np.errstate(over="ignore"):
                lo, hi = _widen(np.exp(self.lo), np.exp(self.hi), EXP_ULPS * _EPS, EXP_ULPS * _EPS)
        return Interval(np.maximum(lo, 0.0), hi)

    def erfc(self) -> Interval:
        """erfc (decreasing, values in [0, 2]): Arb (rigour "arb") or scipy widened by its assumed error."""
        if _RIGOUR.get() == "arb":
            lo, hi = _arb_monotone("erfc", self.hi, self.lo)
        else:
            lo, hi = _widen(special.erfc(self.hi), special.erfc(self.lo), _special_rel(self.hi),
                            _special_rel(self.lo))
        return Interval(np.maximum(lo, 0.0), np.minimum(hi, 2.0))

    def erfcx(self) -> Interval:
        """erfcx(x) = exp(x^2) erfc(x) (decreasing on all of R, > 0): Arb or scipy widened by its assumed error."""
        if _RIGOUR.get() == "arb":
            lo, hi = _arb_monotone("erfcx", self.hi, self.lo)
        else:
            lo, hi = _widen(special.erfcx(self.hi), special.erfcx(self.lo), _special_rel(self.hi),
                            _special_rel(self.lo))
        return Interval(np.maximum(lo, 0.0), hi)

    def hull(self, other: Interval) -> Interval:
        """The smallest interval containing both."""
        return Interval(np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi))


@dataclass(frozen=True)
class GradInterval:
    """An interval value with interval enclosures of its gradient with respect to k seed variables.

    Forward-mode differentiation in interval arithmetic: evaluated over a box, ``val`` encloses f(box) and
    ``grad[i]`` encloses ∂f/∂x_i(box), which the mean-value form turns into tight bounds (see the module
    docstring). Python floats/ints and :class:`Interval` operands are constants (zero gradient).
    """

    val: Interval
    grad: tuple[Interval, ...]

    @classmethod
    def seed(cls, x: Interval, i: int, k: int) -> GradInterval:
        """The variable x_i of k: value ``x``, gradient the i-th unit vector."""
        zero, one = Interval.point(0.0), Interval.point(1.0)
        return cls(x, tuple(one if j == i else zero for j in range(k)))

    def _lift(self, other: Any) -> GradInterval:
        if isinstance(other, GradInterval):
            return other
        val = other if isinstance(other, Interval) else Interval.point(other)
        return GradInterval(val, tuple(Interval.point(0.0) for _ in self.grad))

    def _chain(self, val: Interval, deriv: Interval) -> GradInterval:
        return GradInterval(val, tuple(deriv * g for g in self.grad))

    def __neg__(self) -> GradInterval:
        return GradInterval(-self.val, tuple(-g for g in self.grad))

    def __add__(self, other: Any) -> GradInterval:
        if not isinstance(other, GradInterval):
            return GradInterval(self.val + other, self.grad)
        return GradInterval(self.val + other.val, tuple(a + b for a, b in zip(self.grad, other.grad)))

    __radd__ = __add__

    def __sub__(self, other: Any) -> GradInterval:
        if not isinstance(other, GradInterval):
            return GradInterval(self.val - other, self.grad)
        return GradInterval(self.val - other.val, tuple(a - b for a, b in zip(self.grad, other.grad)))

    def __rsub__(self, other: Any) -> GradInterval:
        return -self + other

    def __mul__(self, other: Any) -> GradInterval:
        if not isinstance(other, GradInterval):
            return GradInterval(self.val * other, tuple(g * other for g in self.grad))
        return GradInterval(self.val * other.val,
                            tuple(a * other.val + self.val * b for a, b in zip(self.grad, other.grad)))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> GradInterval:
        if not isinstance(other, GradInterval):
            return self * (1.0 / (other if isinstance(other, Interval) else Interval.point(other)))
        return self * other.reciprocal()

    def __rtruediv__(self, other: Any) -> GradInterval:
        return self.reciprocal() * other

    def reciprocal(self) -> GradInterval:
        r = self.val.reciprocal()
        return self._chain(r, -r.square())

    def square(self) -> GradInterval:
        return self._chain(self.val.square(), 2.0 * self.val)

    def sqrt(self) -> GradInterval:
        r = self.val.sqrt()
        return self._chain(r, 0.5 * r.reciprocal())

    def exp(self) -> GradInterval:
        e = self.val.exp()
        return self._chain(e, e)

    def erfc(self) -> GradInterval:
        # erfc'(x) = -2/sqrt(pi) exp(-x^2), in [-2/sqrt(pi), 0]
        two_over_sqrt_pi = constant("2/sqrt(pi)")
        d = (-(two_over_sqrt_pi * (-self.val.square()).exp())).clip(-two_over_sqrt_pi.hi, 0.0)
        return self._chain(self.val.erfc(), d)

    def erfcx(self) -> GradInterval:
        # erfcx'(x) = 2 x erfcx(x) - 2/sqrt(pi) < 0 (erfcx decreases on all of R)
        e = self.val.erfcx()
        d = (2.0 * self.val * e - constant("2/sqrt(pi)")).clip(None, 0.0)
        return self._chain(e, d)
