"""Fixed points of g and the SELU parameters that put a fixed point where you want it.

Paper Eq. (14) and §A5 ("Other fixed points"); see chapters "Definition 1 and SELU" and
"The fixed point (0, 1) and the Jacobian".
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import check_finite, check_int, check_positive
from .activations import ALPHA_01, LAMBDA_01
from .moments import gaussian_pieces, jacobian, mean_var_map

#: Smallest var * tau for which the moments P, Q, R, T of `selu_parameters` stay in float64's normal range.
_TINY_S2 = 1e-300


def selu_parameters(mean: float = 0.0, var: float = 1.0, omega: float = 0.0, tau: float = 1.0) -> tuple[float, float]:
    """(alpha, lam) > 0 such that (mean, var) is a fixed point of g: mu~ = mean, nu~ = var.

    With z ~ N(m, s2), m = mean * omega, s2 = var * tau, the mean is linear and the second moment quadratic in
    alpha: mu~ = lam (P + alpha Q) and xi~ = lam^2 (R + alpha^2 T), with P = E[z 1{z>0}], Q = E[(e^z - 1) 1{z<=0}],
    R = E[z^2 1{z>0}], T = E[(e^z - 1)^2 1{z<=0}]. Eliminating lam = mean / (P + alpha Q) from
    xi~ - mu~^2 = var leaves a quadratic in alpha, solved exactly here. For mean = 0 it reduces to
    alpha = -P / Q and lam = sqrt(var / (R + alpha^2 T)).

    The paper solves at omega = 0, tau = 1 (the defaults); (0, 1) gives alpha01, lambda01 and (0, 2) gives
    alpha02 = 1.97126, lambda02 = 1.06071 (paper §A5). Raises ValueError when no SELU with alpha > 0 and
    lam > 0 has this fixed point, and for var * tau outside [1e-300, 1.8e308) (the moments would underflow).
    See chapter "Definition 1 and SELU".
    """
    check_finite("mean", mean, "target mean of the activations")
    check_finite("omega", omega, "sum of the weights, n * mean(w)")
    check_positive("var", var, "target variance of the activations")
    check_positive("tau", tau, "sum of squared weights, n * mean(w**2)")
    mean, var, omega, tau = float(mean), float(var), float(omega), float(tau)
    m, s2 = mean * omega, var * tau
    if not (_TINY_S2 <= s2 < math.inf and math.isfinite(m)):
        raise ValueError(f"var * tau (variance of the net input) must lie in [{_TINY_S2:g}, 1.8e308) and mean * "
                         f"omega must be finite (the moments underflow or overflow float64 otherwise), got var * tau "
                         f"= {s2!r}, mean * omega = {m!r}")
    p = gaussian_pieces(np.float64(m), np.float64(s2))
    big_p = float(m * p.Phi + p.s * p.phi)
    big_q = float(p.q)
    big_r = float((m * m + s2) * p.Phi + m * p.s * p.phi)
    big_t = float(p.t)
    candidates: list[float] = []
    if mean == 0.0:
        candidates = [-big_p / big_q] if big_q != 0.0 else []
    else:
        k = mean * mean + var
        a2 = mean * mean * big_t - k * big_q * big_q
        a1 = -2.0 * k * big_p * big_q
        a0 = mean * mean * big_r - k * big_p * big_p
        if abs(a2) < 1e-300:
            candidates = [-a0 / a1] if a1 != 0.0 else []  # a1 = 0: the negative part underflowed, no alpha
        else:
            disc = a1 * a1 - 4.0 * a2 * a0
            if disc >= 0.0:
                root = math.sqrt(disc)
                # numerically stable pair of roots
                qq = -0.5 * (a1 + math.copysign(root, a1))
                candidates = [qq / a2, a0 / qq] if qq != 0.0 else [0.0]
    solutions = []
    for alpha in candidates:
        big_a = big_p + alpha * big_q
        if not (alpha > 0.0 and math.isfinite(alpha)):
            continue
        if mean == 0.0:
            lam = math.sqrt(var / (big_r + alpha * alpha * big_t))
        else:
            if big_a == 0.0 or mean / big_a <= 0.0:
                continue
            lam = mean / big_a
        solutions.append((alpha, lam))
    if not solutions:
        raise ValueError(
            f"no SELU with alpha > 0 and lam > 0 has the fixed point (mean={mean}, var={var}) at omega={omega}, "
            f"tau={tau}: the target mean is out of reach of the positive-part/negative-part balance"
        )
    solutions.sort()
    return solutions[0]


def fixed_point(omega: float = 0.0, tau: float = 1.0, alpha: float = ALPHA_01, lam: float = LAMBDA_01,
                start: tuple[float, float] = (0.0, 1.0), tol: float = 1e-14,
                max_iter: int = 200) -> tuple[float, float]:
    """The fixed point (mu*, nu*) of g for given weight statistics (omega, tau), by Newton's method on g(x) - x.

    Starts at ``start`` (default (0, 1)) and uses the closed-form Jacobian; a Newton step that leaves nu > 0 or
    does not lower the residual is replaced by one plain step x <- g(x). Success means a step
    or residual below ``tol`` *and* a residual |g(x) - x| below 1e-10 (for nu relative to nu itself). Raises
    ValueError if there is no fixed point with nu > 0 (the iteration drives nu to 0: the variance collapses, as
    for omega = 0, tau = 1/3) or the iteration does not converge, and for invalid arguments: ``start`` not a pair
    with nu > 0, ``max_iter`` not an integer >= 1, ``tol`` <= 0. Paper Definition 1, Theorem 1; see chapter "The
    fixed point (0, 1) and the Jacobian".
    """
    check_finite("omega", omega, "sum of the weights, n * mean(w)")
    check_positive("tau", tau, "sum of squared weights, n * mean(w**2)")
    check_positive("alpha", alpha, "SELU saturation parameter")
    check_positive("lam", lam, "SELU scale parameter")
    check_int("max_iter", max_iter, 1, "number of Newton steps")
    check_positive("tol", tol, "step or residual at which to stop")
    if isinstance(start, (str, bytes)) or np.ndim(start) != 1 or np.size(start) != 2:
        raise ValueError(f"start (starting point) must be a pair (mu, nu) of real numbers, got {start!r}")
    check_finite("start", start, "starting point (mu, nu)")
    check_positive("start[1]", start[1], "starting variance nu")

    def residual(x: np.ndarray) -> np.ndarray:
        mu_t, nu_t = mean_var_map(x[0], x[1], omega, tau, alpha, lam)
        return np.array([mu_t - x[0], nu_t - x[1]])

    x = np.array(start, dtype=np.float64)
    resid = residual(x)
    for _ in range(max_iter):
        step = np.linalg.solve(jacobian(x[0], x[1], omega, tau, alpha, lam) - np.eye(2), resid)
        # Newton's step if it stays in nu > 0 and lowers the residual, else one plain iteration x <- g(x) (a
        # contraction near a stable fixed point). Shortened Newton steps are not used: they only crawl towards a
        # minimum of |g(x) - x|, which need not be a fixed point (e.g. from (0, 1) at omega = 0, tau = 2).
        x_new = None
        cand = x - step
        if cand[1] > 0:
            r_cand = residual(cand)
            if np.all(np.isfinite(r_cand)) and np.linalg.norm(r_cand) < np.linalg.norm(resid):
                x_new, r_new = cand, r_cand
        if x_new is None:
            x_new = x + resid
            r_new = residual(x_new)
        scale = max(1.0, np.max(np.abs(x_new)))
        # nu is judged relative to itself: a "fixed point" at nu ~ 1e-33 whose image is 40 % off is a collapse
        if np.abs(r_new[0]) <= 1e-10 * scale and np.abs(r_new[1]) <= 1e-10 * x_new[1] and (
                np.max(np.abs(x_new - x)) <= tol * scale or np.max(np.abs(r_new)) <= tol * scale):
            return float(x_new[0]), float(x_new[1])
        x, resid = x_new, r_new
        if not x[1] > 1e-200:
            break
    if not x[1] > 1e-12 * start[1]:  # never converged and nu has shrunk by 12 orders of magnitude: a collapse
        raise ValueError(f"g has no fixed point with nu > 0 for omega={omega}, tau={tau}: the iteration drives nu to "
                         f"0 (nu = {x[1]:.1e} after {max_iter} steps; the activation variance collapses)")
    raise ValueError(f"fixed_point did not converge for omega={omega}, tau={tau} after {max_iter} Newton steps")


def iterate_map(mu: float, nu: float, steps: int, omega: float = 0.0, tau: float = 1.0, alpha: float = ALPHA_01,
                lam: float = LAMBDA_01) -> np.ndarray:
    """The trajectory (mu_k, nu_k), k = 0..steps, of iterating g from (mu, nu); shape (steps + 1, 2)."""
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer (number of layers), got {steps!r}")
    check_finite("mu", mu, "mean of the activations")
    check_positive("nu", nu, "variance of the activations")
    out = np.empty((steps + 1, 2))
    out[0] = mu, nu
    for k in range(steps):
        out[k + 1] = mean_var_map(out[k, 0], out[k, 1], omega, tau, alpha, lam)
    return out
