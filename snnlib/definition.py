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
from .activations import ALPHA_01, LAMBDA_01
from .reference import moments_quadrature

Activation = Callable[[float], float]

#: Scale that makes Var(c * relu(z)) = Var(z) for centred Gaussian z: c = sqrt(2 pi / (pi - 1)).
SCALED_RELU_GAIN: float = math.sqrt(2.0 * math.pi / (math.pi - 1.0))

#: Scalar (float -> float) activations compared with SELU in chapter "Definition 1 and SELU"; scalar math keeps
#: the quadrature fast. ELU has alpha = 1 (Clevert et al. 2016), leaky ReLU slope 0.01.
COMPARED_ACTIVATIONS: dict[str, Activation] = {
    "SELU": lambda x: LAMBDA_01 * x if x > 0 else LAMBDA_01 * ALPHA_01 * math.expm1(x),
    "ReLU": lambda x: x if x > 0 else 0.0,
    "scaled ReLU": lambda x: SCALED_RELU_GAIN * x if x > 0 else 0.0,
    "leaky ReLU": lambda x: x if x > 0 else 0.01 * x,
    "ELU": lambda x: x if x > 0 else math.expm1(x),
    "tanh": math.tanh,
}


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

    def as_row(self, digits: int = 4) -> dict[str, str]:
        """Table row of rounded strings (no "-0.0000"), stable across machines for printing."""
        def fmt(x: float) -> str:
            return f"{round(x, digits) + 0.0:.{digits}f}"

        point = "none" if self.fixed_point is None else f"({fmt(self.fixed_point[0])}, {fmt(self.fixed_point[1])})"
        norm = "-" if self.spectral_norm is None else fmt(self.spectral_norm)
        return {"activation": self.name, "fixed point (mu, nu)": point, "spectral norm": norm,
                "verdict": self.verdict}


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


@dataclass
class DomainCheck:
    """Outcome of `check_domain`: the image of a grid over Omega and the largest Jacobian norm seen on it."""

    mu_bounds: tuple[float, float]
    nu_bounds: tuple[float, float]
    image_mu: tuple[float, float]
    image_nu: tuple[float, float]
    max_spectral_norm: float
    grid: int

    @property
    def maps_into(self) -> bool:
        """True when every grid point's image lies in Omega (the clause g(Omega) ⊆ Omega, sampled)."""
        return (self.mu_bounds[0] <= self.image_mu[0] and self.image_mu[1] <= self.mu_bounds[1]
                and self.nu_bounds[0] <= self.image_nu[0] and self.image_nu[1] <= self.nu_bounds[1])

    @property
    def contracting(self) -> bool:
        """True when the Jacobian's spectral norm is < 1 at every grid point (sampled, not proven)."""
        return self.max_spectral_norm < 1.0


def check_domain(activation: Activation, mu_bounds: tuple[float, float], nu_bounds: tuple[float, float],
                 omega: float = 0.0, tau: float = 1.0, grid: int = 5,
                 kinks: tuple[float, ...] = (0.0,)) -> DomainCheck:
    """Sample the two domain clauses of Definition 1 on a ``grid`` x ``grid`` lattice over Omega.

    Omega = [mu_min, mu_max] x [nu_min, nu_max]. Reports the bounding box of g(lattice) (g(Omega) ⊆ Omega?) and
    the largest spectral norm of the Jacobian on the lattice (< 1 everywhere: by Banach's theorem every
    start in Omega converges to the one fixed point). A lattice is evidence, not a proof; the paper's
    computer-assisted proof (Theorem 1) adds derivative bounds between grid points. Paper Definition 1; see
    chapter "Definition 1 and SELU".
    """
    check_finite("omega", omega, "sum of the weights, n * mean(w)")
    check_positive("tau", tau, "sum of squared weights, n * mean(w**2)")
    check_finite("mu_bounds", mu_bounds, "range of the mean in Omega")
    check_positive("nu_bounds", nu_bounds, "range of the variance in Omega")
    if not (mu_bounds[0] <= mu_bounds[1] and nu_bounds[0] <= nu_bounds[1]):
        raise ValueError(f"bounds must be (low, high) with low <= high, got mu {mu_bounds}, nu {nu_bounds}")
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 2:
        raise ValueError(f"grid (points per axis) must be an integer >= 2, got {grid!r}")
    images, norms = [], []
    for mu in np.linspace(*mu_bounds, grid):
        for nu in np.linspace(*nu_bounds, grid):
            images.append(activation_map(activation, float(mu), float(nu), omega, tau, kinks))
            jac = numerical_jacobian(activation, float(mu), float(nu), omega, tau, kinks=kinks)
            norms.append(float(np.linalg.norm(jac, 2)))
    img = np.array(images)
    return DomainCheck((float(mu_bounds[0]), float(mu_bounds[1])), (float(nu_bounds[0]), float(nu_bounds[1])),
                       (float(img[:, 0].min()), float(img[:, 0].max())),
                       (float(img[:, 1].min()), float(img[:, 1].max())), float(max(norms)), grid)
