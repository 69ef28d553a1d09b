"""Definition 1 made executable: does an activation have a stable, attracting fixed point of g?

The mean/variance map of *any* activation is computed by quadrature (`snnlib.reference.moments_quadrature`),
iterated to find its fixed point, and the fixed point's Jacobian (central differences) is tested for
contraction. Paper §"Self-normalizing Neural Networks", Definition 1; see chapter "Definition 1 and SELU".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validate import check_finite, check_positive
from .reference import moments_quadrature

Activation = Callable[[float], float]


def activation_map(activation: Activation, mu: float, nu: float, omega: float = 0.0, tau: float = 1.0,
                   kinks: tuple[float, ...] = (0.0,)) -> tuple[float, float]:
    """(mu~, nu~) of paper Eq. (3) for an arbitrary scalar activation, by quadrature."""
    return moments_quadrature(mu, nu, omega, tau, activation=activation, kinks=kinks)


@dataclass
class Definition1Check:
    """Outcome of `check_definition1` for one activation."""

    name: str
    fixed_point: tuple[float, float] | None
    spectral_norm: float | None
    iterations: int
    verdict: str
    last_point: tuple[float, float] = (math.nan, math.nan)

    @property
    def self_normalizing(self) -> bool:
        """True when a fixed point with positive variance exists and the Jacobian there is a contraction."""
        return self.fixed_point is not None and self.spectral_norm is not None and self.spectral_norm < 1.0


def numerical_jacobian(activation: Activation, mu: float, nu: float, omega: float = 0.0, tau: float = 1.0,
                       h: float = 1e-5, kinks: tuple[float, ...] = (0.0,)) -> np.ndarray:
    """Central-difference Jacobian d(mu~, nu~)/d(mu, nu) of the quadrature map (for any activation)."""
    jac = np.empty((2, 2))
    for k, (dmu, dnu) in enumerate([(h, 0.0), (0.0, h * nu)]):
        plus = activation_map(activation, mu + dmu, nu + dnu, omega, tau, kinks)
        minus = activation_map(activation, mu - dmu, nu - dnu, omega, tau, kinks)
        jac[:, k] = (np.array(plus) - np.array(minus)) / (2 * (dmu + dnu))
    return jac


def check_definition1(activation: Activation, name: str = "activation", omega: float = 0.0, tau: float = 1.0,
                      start: tuple[float, float] = (0.0, 1.0), max_iter: int = 300, tol: float = 1e-10,
                      nu_min: float = 1e-8, nu_max: float = 1e8, kinks: tuple[float, ...] = (0.0,)) -> Definition1Check:
    """Iterate g from ``start``; report the fixed point and whether it is stable and attracting.

    The iteration stops when successive points differ by less than ``tol`` (a fixed point), when the variance
    leaves [nu_min, nu_max] (it collapses to 0 or explodes: no fixed point with positive variance), or after
    ``max_iter`` steps. At a fixed point the spectral norm of the Jacobian decides stability (< 1: contraction).
    """
    check_finite("omega", omega, "sum of the weights, n * mean(w)")
    check_positive("tau", tau, "sum of squared weights, n * mean(w**2)")
    check_positive("nu (start[1])", start[1], "starting variance")
    mu, nu = float(start[0]), float(start[1])
    for it in range(1, max_iter + 1):
        mu_new, nu_new = activation_map(activation, mu, nu, omega, tau, kinks)
        if not (math.isfinite(mu_new) and math.isfinite(nu_new)) or nu_new > nu_max:
            return Definition1Check(name, None, None, it, "variance explodes: no fixed point with finite variance",
                                    (mu_new, nu_new))
        if nu_new < nu_min:
            return Definition1Check(name, None, None, it, "variance collapses to 0: no fixed point with variance > 0",
                                    (mu_new, nu_new))
        if abs(mu_new - mu) + abs(nu_new - nu) < tol * (1.0 + abs(nu)):
            norm = float(np.linalg.norm(numerical_jacobian(activation, mu_new, nu_new, omega, tau, kinks=kinks), 2))
            verdict = "stable attracting fixed point" if norm < 1 else "fixed point, but g is not a contraction there"
            return Definition1Check(name, (mu_new, nu_new), norm, it, verdict, (mu_new, nu_new))
        shrinking = nu_new < nu
        mu, nu = mu_new, nu_new
    trend = "variance still shrinking towards 0" if shrinking else "variance still growing"
    return Definition1Check(name, None, None, max_iter, f"no fixed point reached in {max_iter} steps ({trend})",
                            (mu, nu))
