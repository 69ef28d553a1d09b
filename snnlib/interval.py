"""Vectorised interval arithmetic with outward rounding, and first-order interval forms (value + gradient).

The ground floor of the computer-assisted proofs of Theorems 1-3 (paper §A3, Lemma 12; see chapter "The theorems,
checked by computer"). An :class:`Interval` holds numpy float64 arrays ``lo <= hi`` of the same (broadcast) shape;
every operation returns an interval that contains every value the exact real operation can take on the inputs.

Rounding. Numpy computes in round-to-nearest. After each operation the bounds are moved outward by one unit in
the last place with :func:`numpy.nextafter`. For the correctly rounded IEEE operations (``+ - * /`` and ``sqrt``)
the exact result lies within half an ulp of the computed one, so one ulp outward encloses it.

Special functions. ``exp`` (numpy) and ``erfc``/``erfcx`` (scipy.special) are not correctly rounded, and
their accuracy is documented only loosely (the paper, Lemma 20, relies on glibc's "<= 3 ulp"). Measured against
mpmath at 50 digits, numpy's ``exp`` stays below 1 ulp, while scipy's ``erfc`` and ``erfcx`` reach about 7 eps
relative near |x| ~ 1 and grow like x^2 eps for large |x| (they evaluate exp(±x^2) from a rounded x^2). We
assume relative errors of at most ``EXP_ULPS * eps`` for exp and ``SPECIAL_ULPS * eps * (1 + x^2)`` for erfc and
erfcx at argument x (eps = 2**-52), plus ``SPECIAL_ABS = 1e-300`` absolute (results near underflow), and widen by
that before the one-ulp outward step. The test suite checks these assumptions, with a factor-2 margin, against
mpmath on random arguments. Monotonicity gives the interval images: ``exp`` and ``sqrt`` increase, ``erfc`` and
``erfcx`` decrease on all of R.

:class:`GradInterval` carries an interval value and interval enclosures of its partial derivatives with respect
to a few seed variables (forward-mode automatic differentiation in interval arithmetic). Over a box X it gives the
mean-value form f(X) ⊆ f(c) + Σ_i ∂_i f(X) (X_i - c_i), whose overestimation shrinks like width², where the naive
interval evaluation shrinks only like width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

#: Assumed relative error bound of numpy's ``exp``, in units of eps = 2**-52.
EXP_ULPS: float = 4.0
#: Assumed relative error bound of scipy's ``erfc(x)``/``erfcx(x)``, in units of eps * (1 + x**2).
SPECIAL_ULPS: float = 16.0
#: Assumed absolute error bound of the same functions (results near underflow).
SPECIAL_ABS: float = 1e-300

_EPS = np.finfo(np.float64).eps  # 2**-52, one ulp at 1
_INF = np.inf


def _down(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, -_INF)


def _up(x: np.ndarray) -> np.ndarray:
    return np.nextafter(x, _INF)


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
            p = (self.lo * other.lo, self.lo * other.hi, self.hi * other.lo, self.hi * other.hi)
            lo = np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3]))
            hi = np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3]))
            return Interval(_down(lo), _up(hi))
        if isinstance(other, (float, int)):
            a, b = self.lo * other, self.hi * other
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
        """exp (increasing), widened by the assumed error of numpy's exp."""
        with np.errstate(over="ignore"):
            lo, hi = _widen(np.exp(self.lo), np.exp(self.hi), EXP_ULPS * _EPS, EXP_ULPS * _EPS)
        return Interval(np.maximum(lo, 0.0), hi)

    def erfc(self) -> Interval:
        """erfc (decreasing, values in [0, 2]), widened by the assumed error of scipy.special.erfc."""
        lo, hi = _widen(special.erfc(self.hi), special.erfc(self.lo), _special_rel(self.hi), _special_rel(self.lo))
        return Interval(np.maximum(lo, 0.0), np.minimum(hi, 2.0))

    def erfcx(self) -> Interval:
        """erfcx(x) = exp(x^2) erfc(x) (decreasing on all of R, > 0), widened by scipy's assumed error."""
        lo, hi = _widen(special.erfcx(self.hi), special.erfcx(self.lo), _special_rel(self.hi), _special_rel(self.lo))
        return Interval(np.maximum(lo, 0.0), hi)


_TWO_OVER_SQRT_PI = Interval.const(2.0 / math.sqrt(math.pi))


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
        d = (-(_TWO_OVER_SQRT_PI * (-self.val.square()).exp())).clip(-_TWO_OVER_SQRT_PI.hi, 0.0)
        return self._chain(self.val.erfc(), d)

    def erfcx(self) -> GradInterval:
        # erfcx'(x) = 2 x erfcx(x) - 2/sqrt(pi) < 0 (erfcx decreases on all of R)
        e = self.val.erfcx()
        d = (2.0 * self.val * e - _TWO_OVER_SQRT_PI).clip(None, 0.0)
        return self._chain(e, d)
