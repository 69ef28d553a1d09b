"""SELU, its constants alpha01 and lambda01, and the activations the book compares it with.

Paper Eqs. (2) and (14); see chapter "Definition 1 and SELU". Every function accepts numpy arrays and torch
tensors; the torch path is differentiable.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Float64 value nearest to the exact alpha01 of paper Eq. (14) (checked against mpmath at 50 digits).
ALPHA_01: float = 1.6732632423543772
#: Float64 value nearest to the exact lambda01 of paper Eq. (14) (checked against mpmath at 50 digits).
LAMBDA_01: float = 1.0507009873554805


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _check_selu_parameters(alpha: Any, lam: Any) -> None:
    if type(alpha) is float and type(lam) is float and 0.0 < alpha < math.inf and 0.0 < lam < math.inf:
        return  # the common case, checked without numpy (selu is called per point inside quadratures)
    from ._validate import check_positive

    check_positive("alpha", alpha, "SELU saturation parameter")
    check_positive("lam", lam, "SELU scale parameter")


def selu(x: Any, alpha: float = ALPHA_01, lam: float = LAMBDA_01) -> Any:
    """Scaled exponential linear unit, paper Eq. (2): ``lam * x`` for x > 0, ``lam * alpha * (exp(x) - 1)`` else.

    Works on numpy arrays (returns float64 for integer input) and torch tensors (differentiable, dtype kept).
    Raises ValueError for alpha <= 0 or lam <= 0 (or non-finite) and for complex input. Chapter "Definition 1
    and SELU".
    """
    _check_selu_parameters(alpha, lam)
    if _is_torch(x):
        import torch

        if x.is_complex():
            raise ValueError(f"x (pre-activations) must be real, got a complex tensor ({x.dtype})")
        return lam * torch.where(x > 0, x, alpha * torch.expm1(torch.clamp(x, max=0.0)))
    if isinstance(x, (complex, np.complexfloating)) or np.iscomplexobj(x):
        raise ValueError(f"x (pre-activations) must be real, got complex {x!r}")
    x = np.asarray(x, dtype=np.result_type(x, np.float64))
    return lam * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def relu(x: Any) -> Any:
    """Rectified linear unit max(x, 0)."""
    if _is_torch(x):
        import torch

        return torch.clamp(x, min=0.0)
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def leaky_relu(x: Any, slope: float = 0.01) -> Any:
    """Leaky ReLU: x for x > 0, ``slope * x`` else."""
    if _is_torch(x):
        import torch

        return torch.where(x > 0, x, slope * x)
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, slope * x)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit (SELU with lam = 1)."""
    return selu(x, alpha=alpha, lam=1.0)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    if _is_torch(x):
        import torch

        return torch.tanh(x)
    return np.tanh(np.asarray(x, dtype=float))


def alpha01_lambda01_closed_form(dps: int | None = None) -> tuple[Any, Any]:
    """alpha01 and lambda01 from the closed forms of paper Eq. (14).

    With ``dps=None`` the result is computed in float64 (``math.erfc``); with ``dps`` set (an integer >= 1), as
    mpmath numbers correct to ``dps`` decimal digits (computed with 10 guard digits, then rounded). Raises
    ValueError for any other ``dps``. Chapter "Definition 1 and SELU".
    """
    if dps is None:
        return _eq14(math.erfc, math.exp, math.sqrt, math.pi)
    from ._validate import check_int

    check_int("dps", dps, 1, "decimal digits of alpha01 and lambda01")
    import mpmath

    with mpmath.workdps(dps + 10):
        alpha, lam = _eq14(mpmath.erfc, mpmath.exp, mpmath.sqrt, mpmath.pi)
    with mpmath.workdps(dps):
        return +alpha, +lam


def _eq14(erfc, exp, sqrt, pi):
    one = exp(0)
    e1 = erfc(one / sqrt(2))
    sqrt_e = sqrt(exp(one))
    alpha = -sqrt(2 / pi) / (e1 * sqrt_e - 1)
    denom = 2 * erfc(sqrt(2 * one)) * exp(2 * one) + pi * e1**2 * exp(one) - 2 * (2 + pi) * e1 * sqrt_e + pi + 2
    lam = (1 - e1 * sqrt_e) * sqrt(2 * pi) / sqrt(denom)
    return alpha, lam
