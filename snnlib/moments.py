"""The mean/variance map g and its Jacobian, in closed form.

Paper Eqs. (3)-(5) and (11)-(13) for g, Eqs. (61)-(65) and (87) for the Jacobian; see chapters "Deriving the
mapping g" and "The fixed point (0, 1) and the Jacobian".

With ``m = mu * omega`` and ``s2 = nu * tau`` the net input is z ~ N(m, s2). Writing ``u = m / s``,
``Phi`` for the standard normal CDF and ``phi`` for its density, the two exponential integrals

    E1 = E[exp(z) 1{z <= 0}]  = exp(m + s2/2) Phi(-(m + s2)/s)
    E2 = E[exp(2z) 1{z <= 0}] = exp(2m + 2 s2) Phi(-(m + 2 s2)/s)

are evaluated as ``exp(-u^2/2) * erfcx(.) / 2`` (no overflow, no 0 * inf) and give

    mu~ = lam * (m Phi(u) + s phi(u) + alpha (E1 - Phi(-u)))                                      (Eq. 4/11)
    xi~ = lam^2 * ((m^2 + s2) Phi(u) + m s phi(u) + alpha^2 (E2 - 2 E1 + Phi(-u)))              (Eq. 13)
    nu~ = xi~ - mu~^2                                                                            (Eq. 12)

The derivatives follow from d/dm E[f(z)] = E[f'(z)] and d/ds2 E[f(z)] = E[f''(z)] / 2 (the heat equation), with
the jump of SELU's derivative at 0 contributing a point mass. For the variance and its derivatives this gives,
with h = selu / lam,

    nu~ = lam^2 Var h,   d nu~/dm = 2 lam^2 Cov(h, h'),   d nu~/ds2 = lam^2 (E[h'^2] + Cov(h, h'')),

which the module evaluates in whichever of four forms loses least to cancellation (see `_variance_and_slopes`):
the differences xi~ - mu~^2 and d xi~ - 2 mu~ d mu~ of the paper (Eq. 87), or covariances centred where the mass
of z lies: above 0, far below 0, or at the saturation value -alpha. Every function here is written once over an
"array module" so that the numpy (float64, scipy.special) and torch (autodiff, GPU) versions cannot drift; a
branch is evaluated only where it is selected, in both.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np

from ._validate import check_finite, check_positive
from .activations import ALPHA_01, LAMBDA_01

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_EPS = float(np.finfo(np.float64).eps)


def _numpy_ops() -> SimpleNamespace:
    from scipy import special

    return SimpleNamespace(
        exp=np.exp, expm1=np.expm1, sqrt=np.sqrt, erfc=special.erfc, erfcx=special.erfcx, where=np.where,
        minimum=np.minimum, maximum=np.maximum, abs=np.abs, torch=False,
    )


def _torch_expm1() -> Any:
    """torch.expm1 with the derivative exp(x): torch's own backward, (expm1(x) + 1) * grad, is 0 for x < -37."""
    import torch

    class Expm1(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.expm1(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * torch.exp(x)

    return Expm1.apply


def _torch_ops() -> SimpleNamespace:
    import torch

    return SimpleNamespace(
        exp=torch.exp, expm1=_torch_expm1(), sqrt=torch.sqrt, erfc=torch.special.erfc, erfcx=torch.special.erfcx,
        where=torch.where, minimum=lambda a, b: torch.clamp(a, max=b), maximum=lambda a, b: torch.clamp(a, min=b),
        abs=torch.abs, torch=True,
    )


_NP = None
_TORCH = None


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def ops_for(*xs: Any) -> SimpleNamespace:
    """The array module (numpy + scipy.special, or torch) matching the arguments: torch if any is a tensor."""
    global _NP, _TORCH
    if any(_is_torch(x) for x in xs):
        if _TORCH is None:
            _TORCH = _torch_ops()
        return _TORCH
    if _NP is None:
        _NP = _numpy_ops()
    return _NP


def _masked(ops, mask: Any, fn, args: tuple, base: tuple) -> tuple:
    """``base`` (a tuple of arrays) with the entries where ``mask`` holds replaced by ``fn(*args[mask])``.

    ``fn`` sees only the selected entries, so a form that would overflow elsewhere is never evaluated there (for
    torch this also keeps NaN out of the gradients: the unselected branch of a ``where`` would send 0 * inf back).
    Works on numpy arrays and torch tensors alike (boolean indexing; index_put is differentiable).
    """
    if ops.torch:
        import torch

        shape = torch.broadcast_shapes(mask.shape, *(a.shape for a in args), *(b.shape for b in base))
        mask = mask.expand(shape)
        if not bool(mask.any()):
            return base
        out = tuple(b.expand(shape).clone() for b in base)
        values = fn(*(a.expand(shape)[mask] for a in args))
        for o, v in zip(out, values):
            o[mask] = v
        return out
    shape = np.broadcast_shapes(np.shape(mask), *(np.shape(a) for a in args), *(np.shape(b) for b in base))
    mask = np.broadcast_to(mask, shape)
    if not mask.any():
        return base
    out = tuple(np.array(np.broadcast_to(b, shape), dtype=np.float64) for b in base)
    values = fn(*(np.broadcast_to(a, shape)[mask] for a in args))
    for o, v in zip(out, values):
        o[mask] = v
    return tuple(o[()] if o.ndim == 0 else o for o in out)


def _range(ops, x: Any) -> tuple[float, float]:
    """(min, max) of x as floats (NaN if x holds NaN): lets the hot path skip masks that select nothing."""
    if ops.torch:
        x = x.detach()
        return (float(x.min()), float(x.max())) if x.numel() else (math.inf, -math.inf)
    return (float(np.min(x)), float(np.max(x))) if np.size(x) else (math.inf, -math.inf)


def _maybe(low: float, high: float, lower: float = -math.inf, upper: float = math.inf) -> bool:
    """Whether some value in [low, high] may lie in [lower, upper] (True when the range is NaN)."""
    return not (low > upper or high < lower)


def _exp_erfc(ops, gauss: Any, a: Any, x: Any) -> Any:
    """exp(a) * erfc(x) for a = x^2 - c, computed as gauss * erfcx(x) with gauss = exp(-c).

    For x >= 0 this is the stable erfcx form; for x < 0 (where erfcx overflows) erfc(x) lies in (1, 2) and
    exp(a) is evaluated directly (a < 0 there for the arguments used in this module). The torch path feeds
    erfcx only x >= 0, so that no inf enters the graph where the other form is used.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        base = gauss * ops.erfcx(ops.maximum(x, 0.0) if ops.torch else x)
    if not _maybe(*_range(ops, x), upper=0.0):
        return base
    return _masked(ops, x < 0, lambda a_, x_: (ops.exp(a_) * ops.erfc(x_),), (a, x), (base,))[0]


_SERIES_S2 = 0.01  # below this nu*tau the negative-part differences are summed as Taylor series
_SERIES_X0 = 6.0  # ... where |m| / (sqrt(2) s) <= this (elsewhere the direct form has no cancellation)
_SERIES_TERMS = 24
_TWO_OVER_SQRTPI = 2.0 / math.sqrt(math.pi)


def _negative_part_series(ops, x0: Any, delta: Any, gauss: Any) -> tuple[Any, Any, Any]:
    """q, r, t (see `gaussian_pieces`) without cancellation for small s, by Taylor series of erfcx.

    With x0 = m / (sqrt(2) s) and delta = s / sqrt(2): Phi(-u) = gauss erfcx(x0) / 2, E1 = gauss erfcx(x0 + delta) / 2
    and E2 = gauss erfcx(x0 + 2 delta) / 2, so q, r, t are first/second differences of erfcx. They are summed
    term by term from the derivatives y_n = erfcx^(n)(x0), which obey y_(n+1) = 2 x0 y_n + 2 n y_(n-1).
    """
    y_prev = ops.erfcx(x0)
    y_cur = 2.0 * x0 * y_prev - _TWO_OVER_SQRTPI
    coef = 1.0 + 0.0 * delta
    q = r = t = 0.0 * delta
    for n in range(1, _SERIES_TERMS + 1):
        coef = coef * delta / n
        term = y_cur * coef
        q = q + term
        r = r + term * (2.0**n - 1.0)
        t = t + term * (2.0**n - 2.0)
        y_prev, y_cur = y_cur, 2.0 * x0 * y_cur + 2.0 * n * y_prev
    half_gauss = 0.5 * gauss
    return half_gauss * q, half_gauss * r, half_gauss * t


_CENTERED_U = 3.0  # |u| = |m| / s from which the centred forms replace the differences xi~ - mu~^2 (and Eq. 87)
_TAIL_U = 8.0  # far-negative forms where (m + 2 s2) / s <= -8: the tails above 0 are below 1e-15 (the Taylor
# series covers |u| <= 6 sqrt(2) ~ 8.5 for small s2, so the two overlap; a nearer cut-off would leave tails
# large enough that their second differences cancel)


def _positive_tails(ops, m: Any, s2: Any, s: Any) -> SimpleNamespace:
    """Expectations over z > 0 for z ~ N(m, s2): small tail quantities when m << -s (no cancellation there).

    P = P(z > 0), Pe = E[e^z 1{z>0}], Pe2 = E[e^2z 1{z>0}], Pz = E[z 1{z>0}], Pz2 = E[z^2 1{z>0}],
    Pze = E[z e^z 1{z>0}].
    """
    u, u1, u2 = m / s, (m + s2) / s, (m + 2.0 * s2) / s
    phi, phi1 = _INV_SQRT_2PI * ops.exp(-0.5 * u * u), _INV_SQRT_2PI * ops.exp(-0.5 * u1 * u1)
    big = 0.5 * ops.erfc(-u / _SQRT2)
    big1 = 0.5 * ops.erfc(-u1 / _SQRT2)
    big2 = 0.5 * ops.erfc(-u2 / _SQRT2)
    ea = ops.exp(m + 0.5 * s2)
    return SimpleNamespace(P=big, Pe=ea * big1, Pe2=ops.exp(2.0 * m + 2.0 * s2) * big2, Pz=m * big + s * phi,
                           Pz2=(m * m + s2) * big + m * s * phi, Pze=ea * ((m + s2) * big1 + s * phi1), ea=ea)


def _far_negative(ops, m: Any, s2: Any, s: Any) -> tuple[Any, Any, Any]:
    """q, r, t for m << -s as expm1 forms minus positive tails: q = expm1(a) - E[(e^z - 1) 1{z>0}],
    t = expm1(a)^2 + e^(2m+s2) expm1(s2) - E[(e^z - 1)^2 1{z>0}], r = t + q, with a = m + s2/2. The direct
    differences of O(1) terms lose about 1e-16/|a| relative when the whole distribution sits just below 0."""
    tails = _positive_tails(ops, m, s2, s)
    em1 = ops.expm1(m + 0.5 * s2)
    q = em1 - (tails.Pe - tails.P)
    t = em1 * em1 + ops.exp(2.0 * m + s2) * ops.expm1(s2) - (tails.Pe2 - 2.0 * tails.Pe + tails.P)
    return q, t + q, t


def _as_tensors(m: Any, s2: Any) -> tuple[Any, Any]:
    import torch

    ref = m if isinstance(m, torch.Tensor) else s2
    return tuple(torch.as_tensor(v, dtype=ref.dtype, device=ref.device) for v in (m, s2))


def gaussian_pieces(m: Any, s2: Any) -> SimpleNamespace:
    """Building blocks shared by g and its Jacobian for z ~ N(m, s2) (see the module docstring).

    Besides s, u, phi(u), Phi(u), Phi(-u), E1 and E2 it returns the three negative-part expectations
    q = E[(e^z - 1) 1{z<=0}], r = E[(e^2z - e^z) 1{z<=0}], t = E[(e^z - 1)^2 1{z<=0}], which are small
    differences of O(1) terms when s is small; there they are evaluated by `_negative_part_series`, and far
    below 0 by `_far_negative`. Paper Eqs. (11)-(13); chapter "Deriving the mapping g".
    """
    ops = ops_for(m, s2)
    if ops.torch:  # Python numbers beside tensors become tensors of the same dtype and device
        m, s2 = _as_tensors(m, s2)
    s = ops.sqrt(s2)
    u = m / s
    gauss = ops.exp(-0.5 * u * u)  # exp(-u^2/2) = sqrt(2 pi) phi(u)
    if not ops.torch:  # one erfc: the tail Phi(-|u|) is exact and 1 - tail needs no cancellation
        tail = 0.5 * ops.erfc(np.abs(u) / _SQRT2)
        pos = u >= 0
        big_phi, big_phi_neg = np.where(pos, 1.0 - tail, tail), np.where(pos, tail, 1.0 - tail)
    else:  # torch: two erfc, no abs(u), whose autograd derivative at u = 0 is 0 (that made torch derivatives
        # wrong at mu * omega = 0, i.e. at the fixed point)
        big_phi = 0.5 * ops.erfc(-u / _SQRT2)  # Phi(u)
        big_phi_neg = 0.5 * ops.erfc(u / _SQRT2)  # Phi(-u)
    x1 = (m + s2) / (_SQRT2 * s)
    x2 = (m + 2.0 * s2) / (_SQRT2 * s)
    e1 = 0.5 * _exp_erfc(ops, gauss, m + 0.5 * s2, x1)
    e2 = 0.5 * _exp_erfc(ops, gauss, 2.0 * m + 2.0 * s2, x2)
    q, r, t = (e1 - big_phi_neg, e2 - e1, e2 - 2.0 * e1 + big_phi_neg)
    u_lo, u_hi = _range(ops, u)
    if _maybe(*_range(ops, s2), upper=_SERIES_S2) and _maybe(u_lo, u_hi, -_SERIES_X0 * _SQRT2, _SERIES_X0 * _SQRT2):
        x0 = u / _SQRT2
        series = (s2 < _SERIES_S2) & (ops.abs(x0) <= _SERIES_X0)
        q, r, t = _masked(ops, series, lambda x0_, d_, g_: _negative_part_series(ops, x0_, d_, g_),
                          (x0, s / _SQRT2, gauss), (q, r, t))
    if _maybe(u_lo, u_hi, upper=-_TAIL_U):  # (m + 2 s2) / s <= -8 implies u <= -8
        far = (m + 2.0 * s2) <= -_TAIL_U * s
        q, r, t = _masked(ops, far, lambda m_, s2_, s_: _far_negative(ops, m_, s2_, s_), (m, s2, s), (q, r, t))
    if _maybe(u_lo, u_hi, lower=_CENTERED_U):
        above = (u >= _CENTERED_U) & (4.0 * s <= u)
        q, r, t = _masked(ops, above, lambda u_, s_, g_: _mills_series(ops, u_, s_, _INV_SQRT_2PI * g_),
                          (u, s, gauss), (q, r, t))
    return SimpleNamespace(s=s, u=u, phi=_INV_SQRT_2PI * gauss, Phi=big_phi, Phi_neg=big_phi_neg, e1=e1, e2=e2,
                           q=q, r=r, t=t)


def _moments(m, s2, alpha, lam):
    p = gaussian_pieces(m, s2)
    mu_t = lam * (m * p.Phi + p.s * p.phi + alpha * p.q)
    xi_t = lam * lam * ((m * m + s2) * p.Phi + m * p.s * p.phi + alpha * alpha * p.t)
    return p, mu_t, xi_t


def _slopes(p, m, alpha, lam):
    """The derivatives of mu~ and xi~ with respect to m and s2 (the appendix's J / (omega, tau), Eqs. 62-65)."""
    a2, l2 = alpha * alpha, lam * lam
    density0 = p.phi / p.s  # density of z at 0
    d_mu_dm = lam * (p.Phi + alpha * p.e1)  # E[selu'(z)]
    d_mu_ds2 = 0.5 * lam * (alpha * p.e1 + (1.0 - alpha) * density0)  # E[selu''(z)] / 2, with the kink at 0
    d_xi_dm = 2.0 * l2 * (m * p.Phi + p.s * p.phi + a2 * p.r)  # E[(selu^2)'(z)]
    d_xi_ds2 = l2 * (p.Phi + a2 * (2.0 * p.e2 - p.e1))  # E[(selu^2)''(z)] / 2
    return d_mu_dm, d_mu_ds2, d_xi_dm, d_xi_ds2


_MILLS_TERMS = 80  # continued-fraction terms: full float64 accuracy for x >= 3 (checked against mpmath)


def _mills(ops, x: Any) -> tuple[Any, Any, Any]:
    """Mills ratio R(x) = Phi(-x) / phi(x) and the first two tails T1, T2 of its continued fraction
    R = 1/(x + T1), T1 = 1/(x + T2), T2 = 2/(x + 3/(x + ...)), for x >= 3, by backward evaluation.

    They give the truncated Gaussian moments without cancellation: E[(Z - x) 1{Z>x}] = phi(x) R T1 and
    E[(Z - x)^2 1{Z>x}] = phi(x) R T1 T2 (the differences phi(x) - x Phi(-x) etc. lose a factor x^2, x^4).
    """
    tail = 0.0 * x
    for k in range(_MILLS_TERMS, 1, -1):
        tail = k / (x + tail)
    t1 = 1.0 / (x + tail)
    return 1.0 / (x + t1), t1, tail


_MILLS_SERIES_TERMS = 30


def _mills_series(ops, u: Any, s: Any, phi: Any) -> tuple[Any, Any, Any]:
    """q, r, t (see `gaussian_pieces`) for mass above 0 (u >= 3) and s <= u/4, without cancellation.

    Phi(-u) = phi(u) R(u), E1 = phi(u) R(u + s), E2 = phi(u) R(u + 2 s) (R the Mills ratio), so q, r, t are
    differences of R, summed as Taylor series from R^(n) = (-1)^n R T1 T2 ... Tn (the continued-fraction tails of
    `_mills`; this follows from R' = x R - 1). The forward recurrence of `_negative_part_series` is unstable for
    u > 0 and the plain differences lose a factor ~1/(u s) (t was wrong by 4e4 at (m, s2) = (1.6e-7, 1e-16)).
    """
    tails = [0.0 * u]
    for k in range(_MILLS_TERMS, 1, -1):
        tails.append(k / (u + tails[-1]))
    tails = tails[::-1]  # T2, T3, ..., T_N, 0
    t1 = 1.0 / (u + tails[0])
    ratio = 1.0 / (u + t1)
    coef = ratio * phi
    q = r = t = 0.0 * u
    for n in range(1, _MILLS_SERIES_TERMS + 1):
        coef = coef * (-s) * (t1 if n == 1 else tails[n - 2]) / n  # (-s)^n / n! R T1 ... Tn phi(u)
        q = q + coef
        r = r + coef * (2.0**n - 1.0)
        t = t + coef * (2.0**n - 2.0)
    return q, r, t


def _centred_above(ops, alpha, lam, m, s2, s, phi, phi_neg, e1, e2, q, r, t):
    """nu~, d nu~/dm, d nu~/ds2 for mass above 0 (u >= 3): h = z + e with e = (alpha (e^z - 1) - z) 1{z<=0}.

    Var h = s2 + 2 Cov(z, e) + Var e with Cov(z, e) = s2 (alpha E1 - Phi(-u)) (Stein's lemma); Cov(h, h') =
    s2 E[h''] + Cov(e, e') and Cov(h, h'') = Cov(z, h'') + Cov(e, h''): small tail terms next to s2 and 1.
    """
    a2, l2 = alpha * alpha, lam * lam
    p0 = phi / s  # density at 0
    r0, t10, _ = _mills(ops, m / s)
    r1, t11, _ = _mills(ops, (m + s2) / s)
    nz = -s * phi * r0 * t10  # E[z 1{z<=0}] = m Phi(-u) - s phi(u)
    nze = -s * phi * r1 * t11  # E[z e^z 1{z<=0}] = (m + s2) E1 - s phi(u)
    e_e = alpha * q - nz  # E[e]
    e_e2 = a2 * t - 2.0 * alpha * (m * q + s2 * e1) + (m * m + s2) * phi_neg - m * s * phi  # E[e^2]
    var = s2 + 2.0 * s2 * (alpha * e1 - phi_neg) + e_e2 - e_e * e_e
    e_h2 = alpha * e1 + (1.0 - alpha) * p0  # E[h''] (with the point mass at 0)
    e_de = alpha * e1 - phi_neg  # E[e'], e' = (alpha e^z - 1) 1{z<=0}
    e_ede = a2 * r - alpha * q - alpha * (m * q + s2 * e1) - (alpha - 1.0) * nz  # E[e e']
    cov_1 = s2 * e_h2 + e_ede - e_e * e_de  # Cov(h, h') = Cov(z, e') + Cov(e, e'), Stein for the first
    cov_2 = alpha * s2 * e1 - alpha * s * phi - (1.0 - alpha) * m * p0 + a2 * r - alpha * nze - e_e * e_h2
    e_dh2 = (1.0 - phi_neg) + a2 * e2  # E[h'^2]
    return l2 * var, 2.0 * l2 * cov_1, l2 * (e_dh2 + cov_2)


def _centred_far_below(ops, alpha, lam, m, s2, s):
    """nu~ and its slopes for mass below 0, with sizes of their rounding errors: h = alpha (e^z - 1) + k with
    k = (z - alpha (e^z - 1)) 1{z>0}; Var(e^z) = e^(2m+s2) expm1(s2) carries it, the rest are tails above 0
    (accurate where those tails are small, i.e. where (m + 2 s2)/s is well below 0)."""
    a2, l2 = alpha * alpha, lam * lam
    tl = _positive_tails(ops, m, s2, s)
    u = m / s
    p0 = _INV_SQRT_2PI * ops.exp(-0.5 * u * u) / s
    ea = tl.ea
    var_e = ops.exp(2.0 * m + s2) * ops.expm1(s2)  # Var(e^z)
    e_k = tl.Pz - alpha * (tl.Pe - tl.P)
    e_k_ez = tl.Pze - alpha * (tl.Pe2 - tl.Pe)  # E[k e^z]
    e_k2 = tl.Pz2 - 2.0 * alpha * (tl.Pze - tl.Pz) + a2 * (tl.Pe2 - 2.0 * tl.Pe + tl.P)
    var = a2 * var_e + 2.0 * alpha * (e_k_ez - ea * e_k) + e_k2 - e_k * e_k
    # h' = alpha e^z + k1, k1 = (1 - alpha e^z) 1{z>0}; h'' = alpha e^z + k2, k2 = -alpha e^z 1{z>0} + (1-alpha) delta
    e_k1 = tl.P - alpha * tl.Pe
    e_k2_ = -alpha * tl.Pe + (1.0 - alpha) * p0
    cov_ez_k1 = (tl.Pe - alpha * tl.Pe2) - ea * e_k1
    cov_ez_k2 = (-alpha * tl.Pe2 + (1.0 - alpha) * p0) - ea * e_k2_
    cov_k_ez = e_k_ez - e_k * ea
    cov_k_k1 = (tl.Pz - alpha * tl.Pze - alpha * (tl.Pe - tl.P) + a2 * (tl.Pe2 - tl.Pe)) - e_k * e_k1
    cov_k_k2 = (-alpha * tl.Pze + a2 * (tl.Pe2 - tl.Pe)) - e_k * e_k2_
    cov_1 = a2 * var_e + alpha * cov_ez_k1 + alpha * cov_k_ez + cov_k_k1
    cov_2 = a2 * var_e + alpha * cov_ez_k2 + alpha * cov_k_ez + cov_k_k2
    e_dh2 = tl.P + a2 * ops.exp(2.0 * m + 2.0 * s2) * 0.5 * ops.erfc((m + 2.0 * s2) / (_SQRT2 * s))  # E[h'^2]
    # the tail terms are differences that lose up to a factor u^2 (Mills ratio): their share of the error
    tails = (1.0 + u * u) * (1.0 + alpha) ** 2 * (1.0 + ea) * (
        tl.P + tl.Pe + tl.Pe2 + ops.abs(tl.Pz) + tl.Pz2 + ops.abs(tl.Pze) + (alpha - 1.0) * p0)
    main = a2 * ops.abs(var_e)
    return (l2 * var, 2.0 * l2 * cov_1, l2 * (e_dh2 + cov_2),
            l2 * (main + tails), 2.0 * l2 * (main + tails), l2 * (e_dh2 + main + tails))


_EXP_SAFE = 700.0  # exp(2 m + 2 s2) must stay finite wherever a form is evaluated


def _below(ops, alpha, lam, m, s2, s, phi, big, e1, e2, mu_t, xi_t, d_mu_dm, d_mu_ds2, d_xi_dm, d_xi_ds2):
    """nu~ and its slopes for mass below 0 (u <= -3), each from whichever of three forms has the smallest
    estimated rounding error: the paper's differences (xi~ - mu~^2, Eq. 87); the far-below form
    (`_centred_far_below`, for nearly all mass below 0); or moments of w = h + alpha, which is alpha e^z below 0
    and small where e^z is (the lognormal regime, mean of w far below its spread)."""
    a2, l2 = alpha * alpha, lam * lam
    ratio, t1, t2 = _mills(ops, -m / s)  # big = P(z > 0) = phi R
    pz = s * phi * ratio * t1  # E[z 1{z>0}] = m P + s phi(u)
    pz2 = s2 * phi * ratio * t1 * t2  # E[z^2 1{z>0}] = (m^2 + s2) P + m s phi(u)
    p0 = phi / s
    e_w = alpha * e1 + pz + alpha * big  # E[w]
    e_w2 = a2 * e2 + pz2 + 2.0 * alpha * pz + a2 * big
    e_dh = alpha * e1 + big  # E[h']
    e_wdh = a2 * e2 + pz + alpha * big  # E[w h']
    e_ddh = alpha * e1 + (1.0 - alpha) * p0  # E[h'']
    e_wddh = a2 * e2 + alpha * (1.0 - alpha) * p0  # E[w h''], w(0) = alpha
    e_dh2 = big + a2 * e2
    w_forms = (l2 * (e_w2 - e_w * e_w), 2.0 * l2 * (e_wdh - e_w * e_dh), l2 * (e_dh2 + e_wddh - e_w * e_ddh))
    w_sizes = (l2 * (e_w2 + e_w * e_w), 2.0 * l2 * (ops.abs(e_wdh) + ops.abs(e_w * e_dh)),
               l2 * (e_dh2 + ops.abs(e_wddh) + ops.abs(e_w * e_ddh)))
    direct = (xi_t - mu_t * mu_t, d_xi_dm - 2.0 * mu_t * d_mu_dm, d_xi_ds2 - 2.0 * mu_t * d_mu_ds2)
    direct_sizes = (xi_t + mu_t * mu_t, ops.abs(d_xi_dm) + ops.abs(2.0 * mu_t * d_mu_dm),
                    ops.abs(d_xi_ds2) + ops.abs(2.0 * mu_t * d_mu_ds2))
    inf = 0.0 * m + math.inf
    far = _masked(ops, 2.0 * m + 2.0 * s2 < _EXP_SAFE, lambda *a: _centred_far_below(ops, alpha, lam, *a),
                  (m, s2, s), direct + (inf, inf, inf))
    out = []
    for i in range(3):
        best, size = ops.where(w_sizes[i] < direct_sizes[i], w_forms[i], direct[i]), ops.minimum(w_sizes[i],
                                                                                                 direct_sizes[i])
        out.append(ops.where(far[3 + i] < size, far[i], best))
    return tuple(out)


def _variance_and_slopes(ops, p, m, s2, mu_t, xi_t, alpha, lam, slopes: bool):
    """nu~ (and, with ``slopes``, d nu~/dm and d nu~/ds2): the differences of the paper where they are accurate,
    a centred form where they would cancel (see the module docstring).

    xi~ - mu~^2 loses about 1e-16 xi~ / nu~ relative: up to 1e-8 at (m, s2) = (10, 1e-6), 2e-4 at (-50, 49.5)
    and everything at (-50, 14), where nu~ ~ 1e-31 next to mu~^2 ~ 3 (see chapter "Deriving the mapping g"); the
    derivatives d xi~ - 2 mu~ d mu~ (Eq. 87) lose the same factor.
    """
    d = _slopes(p, m, alpha, lam) if slopes else None
    u_lo, u_hi = _range(ops, p.u)
    above, below = _maybe(u_lo, u_hi, lower=_CENTERED_U), _maybe(u_lo, u_hi, upper=-_CENTERED_U)
    if not (above or below):  # the hot path (e.g. the grid of Lemma 12): only what is asked for
        return ((None, d[2] - 2.0 * mu_t * d[0], d[3] - 2.0 * mu_t * d[1]), d) if slopes else (xi_t - mu_t * mu_t, d)
    d = _slopes(p, m, alpha, lam)
    out = (xi_t - mu_t * mu_t, d[2] - 2.0 * mu_t * d[0], d[3] - 2.0 * mu_t * d[1])
    if above:
        out = _masked(ops, p.u >= _CENTERED_U, lambda *a: _centred_above(ops, alpha, lam, *a),
                      (m, s2, p.s, p.phi, p.Phi_neg, p.e1, p.e2, p.q, p.r, p.t), out)
    if below:
        out = _masked(ops, p.u <= -_CENTERED_U, lambda *a: _below(ops, alpha, lam, *a),
                      (m, s2, p.s, p.phi, p.Phi, p.e1, p.e2, mu_t, xi_t, *d), out)
    return (out, d) if slopes else (out[0], d)


def _check_real_tensor(name: str, x: Any) -> None:
    if x.is_complex():
        raise ValueError(f"{name} must be real, got a complex tensor ({x.dtype})")


def _validate_tensor(name: str, x: Any, meaning: str, positive: bool) -> None:
    import torch

    xd = x.detach()
    bad = ~torch.isfinite(xd) if not positive else ~(torch.isfinite(xd) & (xd > 0))
    if bool(bad.any()):
        first = float(xd.reshape(-1)[bad.reshape(-1)][0]) if xd.ndim else float(xd)
        kind = "finite and > 0" if positive else "finite"
        raise ValueError(f"{name} ({meaning}) must be {kind}, got {first!r} ({int(bad.sum())} offending entries)")


_MEANINGS = (("mu", "mean of the incoming activations", False), ("nu", "variance of the incoming activations", True),
             ("omega", "sum of the weights, n * mean(w)", False),
             ("tau", "sum of squared weights, n * mean(w**2)", True))


def check_moment_args(mu: Any, nu: Any, omega: Any, tau: Any) -> None:
    """ValueError naming the argument, its meaning and its range unless mu and omega are finite and nu and tau
    finite and > 0 (real numbers or arrays; paper Eq. (3)). The one check of g's inputs, used by :func:`mean_var_map`
    and the references of :mod:`snnlib.reference`; see chapter "Deriving the mapping g"."""
    for (name, meaning, positive), value in zip(_MEANINGS, (mu, nu, omega, tau)):
        (check_positive if positive else check_finite)(name, value, meaning)


def _validate(mu, nu, omega, tau, alpha, lam) -> None:
    check_moment_args(mu, nu, omega, tau)
    check_positive("alpha", alpha, "SELU saturation parameter")
    check_positive("lam", lam, "SELU scale parameter")


def _prepare(mu, nu, omega, tau, alpha, lam):
    """Validated (m, s2, omega, tau, output dtype): float64 arrays, or float64 torch tensors on the inputs' device
    (other floating dtypes are computed in float64 and the results cast back: float16/bfloat16 have no erfcx)."""
    args = (mu, nu, omega, tau)
    if not any(_is_torch(v) for v in args):
        _validate(mu, nu, omega, tau, alpha, lam)
        mu, nu, omega, tau = (np.asarray(v, dtype=np.float64) for v in args)
        return mu * omega, nu * tau, omega, tau, None
    import torch

    tensors = [v for v in args if isinstance(v, torch.Tensor)]
    for (name, _, _), v in zip(_MEANINGS, args):
        if isinstance(v, torch.Tensor):
            _check_real_tensor(name, v)
    out_dtype = tensors[0].dtype
    for t in tensors[1:]:
        out_dtype = torch.promote_types(out_dtype, t.dtype)
    if not out_dtype.is_floating_point:
        out_dtype = torch.float64
    device = tensors[0].device
    mu, nu, omega, tau = (v.to(torch.float64) if isinstance(v, torch.Tensor) else
                          torch.as_tensor(v, dtype=torch.float64, device=device) for v in args)
    for (name, meaning, positive), v in zip(_MEANINGS, (mu, nu, omega, tau)):
        _validate_tensor(name, v, meaning, positive)
    check_positive("alpha", alpha, "SELU saturation parameter")
    check_positive("lam", lam, "SELU scale parameter")
    return mu * omega, nu * tau, omega, tau, (None if out_dtype == torch.float64 else out_dtype)


def _cast(out_dtype, *xs):
    return xs if out_dtype is None else tuple(x.to(out_dtype) for x in xs)


def mean_var_map(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
                 lam: float = LAMBDA_01) -> tuple[Any, Any]:
    """The map g: (mu, nu) -> (mu~, nu~) of paper Eqs. (4)-(5), in a numerically stable form.

    Arguments broadcast like numpy arrays (float64) or may be torch tensors (then the result is differentiable
    and stays on their device; tensors of other floating dtypes are computed in float64 and the results cast
    back). Raises ValueError for nu <= 0, tau <= 0, alpha <= 0, lam <= 0, non-finite or complex input, on both
    paths. See chapter "Deriving the mapping g".

    Accuracy: nu~ relative to itself and mu~ relative to sqrt(xi~) below 1e-12 against 50-digit mpmath on
    -50 <= mu omega <= 50 and 1e-16 <= nu tau <= 1e4 (tests/test_core.py, on grids that include the lognormal
    regime mu omega <= -20, nu tau >= 10); inputs whose variance would cancel in xi~ - mu~^2 use the centred
    forms of `_variance_and_slopes`. The torch path computes the same formulas (gradients included).
    """
    m, s2, _, _, out_dtype = _prepare(mu, nu, omega, tau, alpha, lam)
    p, mu_t, xi_t = _moments(m, s2, alpha, lam)
    nu_t, _ = _variance_and_slopes(ops_for(m), p, m, s2, mu_t, xi_t, alpha, lam, slopes=False)
    return _cast(out_dtype, mu_t, nu_t)


def second_moment_map(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
                      lam: float = LAMBDA_01) -> tuple[Any, Any]:
    """(mu~, xi~): the mean and the second moment E[selu(z)^2] (paper Eqs. 11 and 13). Chapter "Deriving the
    mapping g"."""
    m, s2, _, _, out_dtype = _prepare(mu, nu, omega, tau, alpha, lam)
    _, mu_t, xi_t = _moments(m, s2, alpha, lam)
    return _cast(out_dtype, mu_t, xi_t)


def _jacobian_parts(mu, nu, omega, tau, alpha, lam):
    """mu~, xi~ and the appendix's Jacobian of h = (mu~, xi~): J11, J12, J21, J22 (paper Eqs. 62-65)."""
    m, s2, omega, tau, _ = _prepare(mu, nu, omega, tau, alpha, lam)
    p, mu_t, xi_t = _moments(m, s2, alpha, lam)
    d_mu_dm, d_mu_ds2, d_xi_dm, d_xi_ds2 = _slopes(p, m, alpha, lam)
    return mu_t, xi_t, omega * d_mu_dm, tau * d_mu_ds2, omega * d_xi_dm, tau * d_xi_ds2


def _jacobian_of_g(mu, nu, omega, tau, alpha, lam):
    m, s2, omega, tau, out_dtype = _prepare(mu, nu, omega, tau, alpha, lam)
    p, mu_t, xi_t = _moments(m, s2, alpha, lam)
    (_, d_nu_dm, d_nu_ds2), d = _variance_and_slopes(ops_for(m), p, m, s2, mu_t, xi_t, alpha, lam, slopes=True)
    return _cast(out_dtype, omega * d[0], tau * d[1], omega * d_nu_dm, tau * d_nu_ds2)


def jacobian(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
             lam: float = LAMBDA_01) -> Any:
    """Jacobian d(mu~, nu~)/d(mu, nu) of g, shape ``(..., 2, 2)``, from closed-form derivatives.

    Rows: (d mu~/d mu, d mu~/d nu), (d nu~/d mu, d nu~/d nu). The paper's Eqs. (62)-(65) give the Jacobian of
    (mu~, xi~); its Eq. (61)/(87), d nu~ = d xi~ - 2 mu~ d mu~, cancels where nu~ << xi~ (e.g. wrong in sign at
    mu omega = -50), so the second row is computed as 2 lam^2 omega Cov(h, h') and lam^2 tau (E[h'^2] + Cov(h,
    h'')) in centred forms there (module docstring). Accuracy (tests/test_core.py, against 50-digit mpmath of the
    paper's Eqs. 62-65): each entry to 1e-12 relative on the range of `mean_var_map`, except that an entry that
    changes sign (d mu~/d nu and d nu~/d mu do) is accurate to 1e-12 of the terms it is the difference of, and
    results below 1e-290 (underflow) to 1e-300 absolute. Same checks as `mean_var_map`. See chapter "The fixed
    point (0, 1) and the Jacobian".
    """
    return _stack22(*_jacobian_of_g(mu, nu, omega, tau, alpha, lam))


def _stack22(a, b, c, d):
    if _is_torch(a) or _is_torch(b):
        import torch

        a, b, c, d = torch.broadcast_tensors(*(torch.as_tensor(v) for v in (a, b, c, d)))
        return torch.stack([torch.stack([a, b], -1), torch.stack([c, d], -1)], -2)
    a, b, c, d = np.broadcast_arrays(a, b, c, d)
    out = np.empty(a.shape + (2, 2))
    out[..., 0, 0], out[..., 0, 1], out[..., 1, 0], out[..., 1, 1] = a, b, c, d
    return out


def _singular_value(ops, j11, j12, j21, j22):
    return 0.5 * (ops.sqrt((j11 + j22) ** 2 + (j21 - j12) ** 2) + ops.sqrt((j11 - j22) ** 2 + (j12 + j21) ** 2))


def largest_singular_value_2x2(j11: Any, j12: Any, j21: Any, j22: Any) -> Any:
    """Largest singular value of [[j11, j12], [j21, j22]] by the closed form of paper Eq. (88) (Blinn 1996).

    S = (sqrt((j11 + j22)^2 + (j21 - j12)^2) + sqrt((j11 - j22)^2 + (j12 + j21)^2)) / 2. The paper's Eq. (71)
    prints this without the factor 1/2 (a typo). The entries are scaled by their largest magnitude first, so that
    squaring cannot overflow (1e300 gives 1e300). Raises ValueError for non-finite or complex entries, or when S
    itself exceeds the float64 range. Chapter "The fixed point (0, 1) and the Jacobian".
    """
    ops = ops_for(j11, j12, j21, j22)
    names = ("j11", "j12", "j21", "j22")
    entries = (j11, j12, j21, j22)
    if ops.torch:
        import torch

        for name, v in zip(names, entries):
            if isinstance(v, torch.Tensor):
                _check_real_tensor(name, v)
                _validate_tensor(name, v, "Jacobian entry", positive=False)
            else:
                check_finite(name, v, "Jacobian entry")
        ref = next(v for v in entries if isinstance(v, torch.Tensor))
        entries = torch.broadcast_tensors(*(torch.as_tensor(v, dtype=ref.dtype, device=ref.device) for v in entries))
        scale = torch.stack([v.detach().abs() for v in entries]).amax(0)
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    else:
        for name, v in zip(names, entries):
            check_finite(name, v, "Jacobian entry")
        entries = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in entries))
        scale = np.max(np.abs(entries), axis=0)
        scale = np.where(scale > 0, scale, 1.0)
    with np.errstate(over="ignore"):
        s = scale * _singular_value(ops, *(v / scale for v in entries))
    bad = ~(torch.isfinite(s) if ops.torch else np.isfinite(s))
    if bool(bad.any()):
        raise ValueError("j11, j12, j21, j22 (Jacobian entries) are too large: the largest singular value exceeds "
                         "the float64 range (about 1.8e308)")
    return s if ops.torch else (s[()] if np.ndim(s) == 0 else s)


def spectral_norm(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
                  lam: float = LAMBDA_01) -> Any:
    """Spectral norm S (largest singular value, Eq. 88) of the Jacobian of g; 0.7877 at the fixed point (0, 1).
    Chapter "The fixed point (0, 1) and the Jacobian"."""
    j = _jacobian_of_g(mu, nu, omega, tau, alpha, lam)
    return _singular_value(ops_for(*j), *j)


def spectral_norm_mu_xi(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
                        lam: float = LAMBDA_01) -> Any:
    """Spectral norm of the appendix's Jacobian J of h = (mu~, xi~) (paper Eqs. 56 and 62-65), not of g.

    This is the quantity the paper's grid of Lemma 12 evaluated (its maximum 0.9912524171058772 is attained at
    the corner (-0.1, -0.1, 0.8, 1.25)); the contraction argument of Theorem 1 needs that of g,
    :func:`spectral_norm`. Chapter "The theorems, checked by computer".
    """
    _, _, j11, j12, j21, j22 = _jacobian_parts(mu, nu, omega, tau, alpha, lam)
    return _singular_value(ops_for(j11, j12, j21, j22), j11, j12, j21, j22)
