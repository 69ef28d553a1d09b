"""The mean/variance map g and its Jacobian, in closed form.

Paper Eqs. (3)-(5) and (11)-(13) for g, Eqs. (61)-(65) for the Jacobian; see chapters "Deriving the mapping g"
and "The fixed point (0, 1) and the Jacobian".

With ``m = mu * omega`` and ``s2 = nu * tau`` the net input is z ~ N(m, s2). Writing ``u = m / s``,
``Phi`` for the standard normal CDF and ``phi`` for its density, the two exponential integrals

    E1 = E[exp(z) 1{z <= 0}]  = exp(m + s2/2) Phi(-(m + s2)/s)
    E2 = E[exp(2z) 1{z <= 0}] = exp(2m + 2 s2) Phi(-(m + 2 s2)/s)

are evaluated as ``exp(-u^2/2) * erfcx(.) / 2`` (no overflow, no 0 * inf) and give

    mu~ = lam * (m Phi(u) + s phi(u) + alpha (E1 - Phi(-u)))                                      (Eq. 4/11)
    xi~ = lam^2 * ((m^2 + s2) Phi(u) + m s phi(u) + alpha^2 (E2 - 2 E1 + Phi(-u)))              (Eq. 13)
    nu~ = xi~ - mu~^2                                                                            (Eq. 12)

The derivatives follow from d/dm E[f(z)] = E[f'(z)] and d/ds2 E[f(z)] = E[f''(z)] / 2 (the heat equation), with
the jump of SELU's derivative at 0 contributing a point mass. Every function here is written once over an
"array module" so that the numpy (float64, scipy.special) and torch (autodiff, GPU) versions cannot drift.
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


def _numpy_ops() -> SimpleNamespace:
    from scipy import special

    return SimpleNamespace(
        exp=np.exp, expm1=np.expm1, sqrt=np.sqrt, erfc=special.erfc, erfcx=special.erfcx, where=np.where,
        minimum=np.minimum, maximum=np.maximum,
    )


def _torch_ops() -> SimpleNamespace:
    import torch

    return SimpleNamespace(
        exp=torch.exp, expm1=torch.expm1, sqrt=torch.sqrt, erfc=torch.special.erfc, erfcx=torch.special.erfcx,
        where=torch.where,
        minimum=lambda a, b: torch.clamp(a, max=b), maximum=lambda a, b: torch.clamp(a, min=b),
    )


_NP = None


def ops_for(*xs: Any) -> SimpleNamespace:
    """The array module (numpy + scipy.special, or torch) matching the arguments: torch if any is a tensor."""
    global _NP
    if any(type(x).__module__.startswith("torch") for x in xs):
        return _torch_ops()
    if _NP is None:
        _NP = _numpy_ops()
    return _NP


def _exp_erfc(ops, gauss: Any, a: Any, x: Any) -> Any:
    """exp(a) * erfc(x) for a = x^2 - c, computed as gauss * erfcx(x) with gauss = exp(-c).

    For x >= 0 this is the stable erfcx form; for x < 0 (where erfcx overflows) erfc(x) lies in (1, 2) and
    exp(a) is evaluated directly (a < 0 there for the arguments used in this module). The numpy path evaluates
    the second form only where x < 0; the torch path evaluates both (clamped) and selects.
    """
    if ops is _NP:
        x = np.asarray(x)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.asarray(gauss * ops.erfcx(x))
        neg = x < 0
        if neg.any():
            out = np.array(np.broadcast_to(out, np.broadcast_shapes(out.shape, neg.shape)))
            a_b, x_b = np.broadcast_to(a, neg.shape), np.broadcast_to(x, neg.shape)
            out[neg] = np.exp(a_b[neg]) * ops.erfc(x_b[neg])
        return out[()] if out.ndim == 0 else out
    pos = x >= 0
    xp = ops.maximum(x, 0.0)
    xn = ops.minimum(x, 0.0)
    an = ops.where(pos, 0.0 * a, a)
    return ops.where(pos, gauss * ops.erfcx(xp), ops.exp(an) * ops.erfc(xn))


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
                           Pz2=(m * m + s2) * big + m * s * phi, Pze=ea * ((m + s2) * big1 + s * phi1))


def _far_negative(ops, m: Any, s2: Any, s: Any) -> tuple[Any, Any, Any]:
    """q, r, t for m << -s as expm1 forms minus positive tails: q = expm1(a) - E[(e^z - 1) 1{z>0}],
    t = expm1(a)^2 + e^(2m+s2) expm1(s2) - E[(e^z - 1)^2 1{z>0}], r = t + q, with a = m + s2/2. The direct
    differences of O(1) terms lose about 1e-16/|a| relative when the whole distribution sits just below 0."""
    tails = _positive_tails(ops, m, s2, s)
    em1 = ops.expm1(m + 0.5 * s2)
    q = em1 - (tails.Pe - tails.P)
    t = em1 * em1 + ops.exp(2.0 * m + s2) * ops.expm1(s2) - (tails.Pe2 - 2.0 * tails.Pe + tails.P)
    return q, t + q, t


def gaussian_pieces(m: Any, s2: Any) -> SimpleNamespace:
    """Building blocks shared by g and its Jacobian for z ~ N(m, s2) (see the module docstring).

    Besides s, u, phi(u), Phi(u), Phi(-u), E1 and E2 it returns the three negative-part expectations
    q = E[(e^z - 1) 1{z<=0}], r = E[(e^2z - e^z) 1{z<=0}], t = E[(e^z - 1)^2 1{z<=0}], which are small
    differences of O(1) terms when s is small; there they are evaluated by `_negative_part_series`.
    """
    ops = ops_for(m, s2)
    if ops is not _NP:  # torch: Python numbers beside tensors become tensors of the same dtype and device
        import torch

        ref = m if isinstance(m, torch.Tensor) else s2
        m, s2 = (torch.as_tensor(v, dtype=ref.dtype, device=ref.device) for v in (m, s2))
    s = ops.sqrt(s2)
    u = m / s
    gauss = ops.exp(-0.5 * u * u)  # exp(-u^2/2) = sqrt(2 pi) phi(u)
    if ops is _NP:  # one erfc: the tail Phi(-|u|) is exact and 1 - tail needs no cancellation
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
    q, r, t = e1 - big_phi_neg, e2 - e1, e2 - 2.0 * e1 + big_phi_neg
    x0 = u / _SQRT2
    use_series = (s2 < _SERIES_S2) & (abs(x0) <= _SERIES_X0)
    if isinstance(use_series, np.ndarray) or isinstance(use_series, (bool, np.bool_)):
        use_series = np.asarray(use_series)
        if use_series.any():
            q, r, t = (np.array(np.broadcast_to(v, use_series.shape), dtype=np.float64) for v in (q, r, t))
            x0s, ds, gs = (np.broadcast_to(v, use_series.shape)[use_series] for v in (x0, s / _SQRT2, gauss))
            q[use_series], r[use_series], t[use_series] = _negative_part_series(ops, x0s, ds, gs)
            if q.ndim == 0:
                q, r, t = q[()], r[()], t[()]
    else:  # torch: evaluate both forms, select (clamped arguments keep the unused branch finite)
        x0c = ops.minimum(ops.maximum(x0, -_SERIES_X0), _SERIES_X0)
        qs, rs, ts = _negative_part_series(ops, x0c, ops.minimum(s, 1.0) / _SQRT2, gauss)
        q, r, t = ops.where(use_series, qs, q), ops.where(use_series, rs, r), ops.where(use_series, ts, t)
    far = (m + 2.0 * s2) <= -_TAIL_U * s
    if isinstance(far, (np.ndarray, bool, np.bool_)):
        far = np.asarray(far)
        if far.any():
            q, r, t = (np.array(np.broadcast_to(v, far.shape), dtype=np.float64) for v in (q, r, t))
            mf, s2f, sf = (np.broadcast_to(v, far.shape)[far] for v in (m, s2, s))
            q[far], r[far], t[far] = _far_negative(ops, mf, s2f, sf)
            if q.ndim == 0:
                q, r, t = q[()], r[()], t[()]
    else:  # torch: both forms; m clamped into the far region for the unused branch so that it stays finite
        qf, rf, tf = _far_negative(ops, ops.minimum(m, -_TAIL_U * s - 2.0 * s2), s2, s)
        q, r, t = ops.where(far, qf, q), ops.where(far, rf, r), ops.where(far, tf, t)
    return SimpleNamespace(s=s, u=u, phi=_INV_SQRT_2PI * gauss, Phi=big_phi, Phi_neg=big_phi_neg, e1=e1, e2=e2,
                           q=q, r=r, t=t)


def _moments(m, s2, alpha, lam):
    p = gaussian_pieces(m, s2)
    mu_t = lam * (m * p.Phi + p.s * p.phi + alpha * p.q)
    xi_t = lam * lam * ((m * m + s2) * p.Phi + m * p.s * p.phi + alpha * alpha * p.t)
    return p, mu_t, xi_t


_CENTERED_U = 3.0  # from u = m / s = 3 on, nu~ is computed in centred form (xi~ - mu~^2 would cancel)


def _variance(p, m, s2, mu_t, xi_t, alpha, lam):
    """nu~ = Var(selu(z)): xi~ - mu~^2, or one of two centred forms where that subtraction would cancel.

    With f(z) = selu(z) / lam and z ~ N(m, s2):

    * u = m / s >= 3 (mass above 0): f = z + h, h = (alpha (e^z - 1) - z) 1{z<=0}, Var f = s2 + 2 Cov(z, h) + Var h
      with Cov(z, h) = s2 (alpha E1 - Phi(-u)), E[h] = alpha q - m Phi(-u) + s phi(u) and E[h^2] = alpha^2 t
      - 2 alpha (m q + s2 E1) + (m^2 + s2) Phi(-u) - m s phi(u): small tail terms next to s2.
    * u <= -3 (mass below 0): f = alpha (e^z - 1) + k, k = (z - alpha (e^z - 1)) 1{z>0}, Var f = alpha^2
      e^(2m+s2) expm1(s2) + 2 alpha Cov(e^z, k) + Var k, with tail terms over z > 0 (:func:`_positive_tails`);
      used where the rounding of those tail terms is below that of xi~ (estimated from their magnitudes).

    xi~ - mu~^2 loses about 1e-16 xi~ / nu~ relative: up to 1e-8 at (m, s2) = (10, 1e-6) and everything at
    (-50, 14), where nu~ ~ 1e-31 next to mu~^2 ~ 3 (see chapter "Deriving the mapping g").
    """
    direct = xi_t - mu_t * mu_t
    use_pos = p.u >= _CENTERED_U
    use_neg = p.u <= -_CENTERED_U

    def centred_positive(m, s2, s, phi, phi_neg, e1, q, t):
        e_h = alpha * q - m * phi_neg + s * phi
        e_h2 = alpha * alpha * t - 2.0 * alpha * (m * q + s2 * e1) + (m * m + s2) * phi_neg - m * s * phi
        return lam * lam * (s2 + 2.0 * s2 * (alpha * e1 - phi_neg) + e_h2 - e_h * e_h)

    def centred_negative(m, s2, s, xi):
        ops = ops_for(m, s2)
        tl = _positive_tails(ops, m, s2, s)
        ea = ops.exp(m + 0.5 * s2)
        e_k = tl.Pz - alpha * (tl.Pe - tl.P)
        e_ek = tl.Pze - alpha * (tl.Pe2 - tl.Pe)
        e_k2 = tl.Pz2 - 2.0 * alpha * (tl.Pze - tl.Pz) + alpha * alpha * (tl.Pe2 - 2.0 * tl.Pe + tl.P)
        var = lam * lam * (alpha * alpha * ops.exp(2.0 * m + s2) * ops.expm1(s2)
                           + 2.0 * alpha * (e_ek - ea * e_k) + e_k2 - e_k * e_k)
        # magnitude of what the tail differences are made of: their rounding error is ~1e-16 times this
        size = (abs(tl.Pz2) + 2.0 * alpha * (abs(tl.Pze) + abs(tl.Pz)) + (alpha * alpha + 2.0 * alpha * alpha)
                * (tl.Pe2 + 2.0 * tl.Pe + tl.P) + 2.0 * alpha * (abs(tl.Pze) + ea * (abs(tl.Pz) + alpha
                                                                                   * (tl.Pe + tl.P))))
        return var, lam * lam * size < xi

    torch_in = any(type(v).__module__.startswith("torch") for v in (m, s2))
    if torch_in:
        import torch

        m, s2, s, direct, xi = torch.broadcast_tensors(*(torch.as_tensor(v, dtype=direct.dtype, device=direct.device)
                                                          for v in (m, s2, p.s, direct, xi_t)))
        pieces = torch.broadcast_tensors(*(torch.as_tensor(v, dtype=direct.dtype, device=direct.device)
                                           for v in (p.phi, p.Phi_neg, p.e1, p.q, p.t)))
        use_pos, use_neg = torch.broadcast_to(use_pos, m.shape), torch.broadcast_to(use_neg, m.shape)
        out = direct.clone()  # masked assignment: the other forms are never evaluated where they could overflow
        if bool(use_pos.any()):
            out[use_pos] = centred_positive(m[use_pos], s2[use_pos], s[use_pos], *(v[use_pos] for v in pieces))
        if bool(use_neg.any()):
            var, better = centred_negative(m[use_neg], s2[use_neg], s[use_neg], xi[use_neg])
            out[use_neg] = torch.where(better, var, direct[use_neg])
        return out
    shape = np.broadcast_shapes(np.shape(direct), np.shape(use_pos))
    use_pos, use_neg = np.broadcast_to(use_pos, shape), np.broadcast_to(use_neg, shape)
    if not (use_pos.any() or use_neg.any()):
        return direct
    out = np.array(np.broadcast_to(direct, shape), dtype=np.float64)
    if use_pos.any():
        parts = (m, s2, p.s, p.phi, p.Phi_neg, p.e1, p.q, p.t)
        out[use_pos] = centred_positive(*(np.broadcast_to(v, shape)[use_pos] for v in parts))
    if use_neg.any():
        var, better = centred_negative(*(np.broadcast_to(v, shape)[use_neg] for v in (m, s2, p.s, xi_t)))
        out[use_neg] = np.where(better, var, out[use_neg])
    return out[()] if out.ndim == 0 else out


def _validate(mu, nu, omega, tau, alpha, lam) -> None:
    check_finite("mu", mu, "mean of the incoming activations")
    check_finite("omega", omega, "sum of the weights, n * mean(w)")
    check_positive("nu", nu, "variance of the incoming activations")
    check_positive("tau", tau, "sum of squared weights, n * mean(w**2)")
    check_positive("alpha", alpha, "SELU saturation parameter")
    check_positive("lam", lam, "SELU scale parameter")


def _prepare(mu, nu, omega, tau, alpha, lam):
    torch_in = any(type(v).__module__.startswith("torch") for v in (mu, nu, omega, tau))
    if not torch_in:
        _validate(mu, nu, omega, tau, alpha, lam)
        mu, nu, omega, tau = (np.asarray(v, dtype=np.float64) for v in (mu, nu, omega, tau))
    return mu * omega, nu * tau, omega, tau


def mean_var_map(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
                 lam: float = LAMBDA_01) -> tuple[Any, Any]:
    """The map g: (mu, nu) -> (mu~, nu~) of paper Eqs. (4)-(5), in a numerically stable form.

    Arguments broadcast like numpy arrays (float64) or may be torch tensors (then the result is differentiable
    and stays on their device). Raises ValueError for nu <= 0, tau <= 0 or non-finite input (numpy path).
    See chapter "Deriving the mapping g".

    Accuracy: nu~ relative to itself and mu~ relative to sqrt(xi~) stay below 1e-12 against 150-digit mpmath on
    a grid over -50 <= mu omega <= 50 and 1e-16 <= nu tau <= 1e4 (tests/test_core.py); nearly deterministic
    inputs far from 0 use centred forms of the variance and expm1 forms of the negative part (`_variance`).
    """
    m, s2, _, _ = _prepare(mu, nu, omega, tau, alpha, lam)
    p, mu_t, xi_t = _moments(m, s2, alpha, lam)
    return mu_t, _variance(p, m, s2, mu_t, xi_t, alpha, lam)


def second_moment_map(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
                      lam: float = LAMBDA_01) -> tuple[Any, Any]:
    """(mu~, xi~): the mean and the second moment E[selu(z)^2] (paper Eqs. 11 and 13)."""
    m, s2, _, _ = _prepare(mu, nu, omega, tau, alpha, lam)
    _, mu_t, xi_t = _moments(m, s2, alpha, lam)
    return mu_t, xi_t


def _jacobian_parts(mu, nu, omega, tau, alpha, lam):
    m, s2, omega, tau = _prepare(mu, nu, omega, tau, alpha, lam)
    p, mu_t, xi_t = _moments(m, s2, alpha, lam)
    a2, l2 = alpha * alpha, lam * lam
    density0 = p.phi / p.s  # density of z at 0
    d_mu_dm = lam * (p.Phi + alpha * p.e1)  # E[selu'(z)]
    d_mu_ds2 = 0.5 * lam * (alpha * p.e1 + (1.0 - alpha) * density0)  # E[selu''(z)] / 2, with the kink at 0
    d_xi_dm = 2.0 * l2 * (m * p.Phi + p.s * p.phi + a2 * p.r)  # E[(selu^2)'(z)]
    d_xi_ds2 = l2 * (p.Phi + a2 * (2.0 * p.e2 - p.e1))  # E[(selu^2)''(z)] / 2
    j11, j12 = omega * d_mu_dm, tau * d_mu_ds2
    h21, h22 = omega * d_xi_dm, tau * d_xi_ds2  # Jacobian of h = (mu~, xi~), paper Eqs. 62-65
    return mu_t, xi_t, j11, j12, h21, h22


def jacobian(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
             lam: float = LAMBDA_01) -> Any:
    """Jacobian d(mu~, nu~)/d(mu, nu) of g, shape ``(..., 2, 2)``, from closed-form derivatives.

    Rows: (d mu~/d mu, d mu~/d nu), (d nu~/d mu, d nu~/d nu). The paper's Eqs. (62)-(65) give the Jacobian of
    (mu~, xi~); the conversion is its Eq. (61)/(87): d nu~ = d xi~ - 2 mu~ d mu~. See chapter
    "The fixed point (0, 1) and the Jacobian".
    """
    mu_t, _, j11, j12, h21, h22 = _jacobian_parts(mu, nu, omega, tau, alpha, lam)
    j21 = h21 - 2.0 * mu_t * j11
    j22 = h22 - 2.0 * mu_t * j12
    return _stack22(j11, j12, j21, j22)


def _stack22(a, b, c, d):
    if type(a).__module__.startswith("torch") or type(b).__module__.startswith("torch"):
        import torch

        a, b, c, d = torch.broadcast_tensors(*(torch.as_tensor(v) for v in (a, b, c, d)))
        return torch.stack([torch.stack([a, b], -1), torch.stack([c, d], -1)], -2)
    a, b, c, d = np.broadcast_arrays(a, b, c, d)
    out = np.empty(a.shape + (2, 2))
    out[..., 0, 0], out[..., 0, 1], out[..., 1, 0], out[..., 1, 1] = a, b, c, d
    return out


def largest_singular_value_2x2(j11: Any, j12: Any, j21: Any, j22: Any) -> Any:
    """Largest singular value of [[j11, j12], [j21, j22]] by the closed form of paper Eq. (88) (Blinn 1996).

    S = (sqrt((j11 + j22)^2 + (j21 - j12)^2) + sqrt((j11 - j22)^2 + (j12 + j21)^2)) / 2. The paper's Eq. (71)
    prints this without the factor 1/2 (a typo).
    """
    ops = ops_for(j11, j12, j21, j22)
    return 0.5 * (ops.sqrt((j11 + j22) ** 2 + (j21 - j12) ** 2) + ops.sqrt((j11 - j22) ** 2 + (j12 + j21) ** 2))


def spectral_norm(mu: Any, nu: Any, omega: Any = 0.0, tau: Any = 1.0, alpha: float = ALPHA_01,
                  lam: float = LAMBDA_01) -> Any:
    """Spectral norm (largest singular value) of the Jacobian of g; 0.7877 at the fixed point (0, 1)."""
    mu_t, _, j11, j12, h21, h22 = _jacobian_parts(mu, nu, omega, tau, alpha, lam)
    return largest_singular_value_2x2(j11, j12, h21 - 2.0 * mu_t * j11, h22 - 2.0 * mu_t * j12)
