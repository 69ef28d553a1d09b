"""Alpha dropout for any fixed point (mean, var) of a SELU network.

Paper §"New Dropout Technique": with probability 1 - q an activation is replaced by the saturation value
alpha' = lim_{x -> -inf} selu(x) = -lam * alpha, and an affine map a * (.) + b restores the mean and variance.
With d ~ Bernoulli(q),

    E[x d + alpha' (1 - d)]   = q mu + (1 - q) alpha'
    Var[x d + alpha' (1 - d)] = q ((1 - q) (alpha' - mu)^2 + nu),

so a = sqrt(nu / (q ((1 - q)(alpha' - mu)^2 + nu))) and b = mu - a (q mu + (1 - q) alpha') (the general form of
the official ``TF_1_x/selu.py::dropout_selu``). PyTorch's ``nn.AlphaDropout`` implements only (mu, nu) = (0, 1)
with alpha01, lambda01. See chapter "Initialization and alpha dropout".
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._validate import check_finite, check_positive
from .activations import ALPHA_01, LAMBDA_01


def _check_rate(rate: float) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"rate (probability of dropping a unit, 1 - q) must be in [0, 1), got {rate!r}")
    return float(rate)


def saturation_value(alpha: float = ALPHA_01, lam: float = LAMBDA_01) -> float:
    """alpha' = -lam * alpha, the limit of selu(x) for x -> -inf (paper §"New Dropout Technique").

    For alpha01, lambda01 this is -1.7580993408473766, the constant hard-coded in PyTorch's kernel.
    """
    check_positive("alpha", alpha, "SELU saturation parameter")
    check_positive("lam", lam, "SELU scale parameter")
    return -float(lam) * float(alpha)


def alpha_dropout_params(rate: float, mean: float = 0.0, var: float = 1.0, alpha: float = ALPHA_01,
                         lam: float = LAMBDA_01) -> tuple[float, float]:
    """(a, b) of alpha dropout at drop rate ``rate`` = 1 - q for the fixed point (``mean``, ``var``).

    a = sqrt(var / (q ((1 - q)(alpha' - mean)^2 + var))), b = mean - a (q mean + (1 - q) alpha') with
    alpha' = -lam * alpha (paper §"New Dropout Technique"; official ``dropout_selu``). Rate 0.05 at (0, 1) gives
    a = 0.954844, b = 0.083936. The spread is computed as a hypot, so any finite mean works (1e160 gives a ~
    4.6e-160). Raises ValueError for rate outside [0, 1), var <= 0, non-finite or complex mean, alpha, lam <= 0,
    or a result outside the float64 range. See chapter "Initialization and alpha dropout".
    """
    rate = _check_rate(rate)
    check_finite("mean", mean, "fixed-point mean of the activations")
    check_positive("var", var, "fixed-point variance of the activations")
    a_prime = saturation_value(alpha, lam)
    q = 1.0 - rate
    mean, var = float(mean), float(var)
    # sqrt(q ((1 - q) d^2 + var)) as a hypot, so that a huge |alpha' - mean| cannot overflow the square
    spread = math.sqrt(q) * math.hypot(math.sqrt(1.0 - q) * (a_prime - mean), math.sqrt(var))
    a = math.sqrt(var) / spread
    b = mean - a * (q * mean + (1.0 - q) * a_prime)
    if not (math.isfinite(spread) and a > 0.0 and math.isfinite(b)):
        raise ValueError(f"mean and var (fixed point) put the alpha dropout scale a out of the float64 range "
                         f"(|alpha' - mean| / sqrt(var) must stay below about 1e300), got mean={mean!r}, var={var!r}")
    return a, b


def alpha_dropout_moments(rate: float, a: float, b: float, mean: float = 0.0, var: float = 1.0,
                          alpha: float = ALPHA_01, lam: float = LAMBDA_01) -> tuple[float, float]:
    """Exact mean and variance of ``a * (x d + alpha' (1 - d)) + b`` for inputs of mean ``mean`` and variance
    ``var`` and d ~ Bernoulli(1 - rate): ``a (q mean + (1 - q) alpha') + b`` and
    ``a^2 q ((1 - q)(alpha' - mean)^2 + var)``. With (a, b) from :func:`alpha_dropout_params` this returns
    (mean, var) up to rounding; with other (a, b) it shows what they do. Claims ledger and chapter
    "Initialization and alpha dropout".
    """
    rate = _check_rate(rate)
    for name, value in (("a", a), ("b", b), ("mean", mean)):
        check_finite(name, value, "alpha dropout parameter" if name in "ab" else "mean of the inputs")
    check_positive("var", var, "variance of the inputs")
    a_prime, q = saturation_value(alpha, lam), 1.0 - rate
    a, b, mean, var = float(a), float(b), float(mean), float(var)
    spread = a * math.sqrt(q) * math.hypot(math.sqrt(1.0 - q) * (a_prime - mean), math.sqrt(var))  # no overflow
    return a * (q * mean + (1.0 - q) * a_prime) + b, spread * spread


def torch_alpha_dropout_params(rate: float, n: int = 10_000, max_tries: int = 100) -> tuple[float, float]:
    """(a, b) that ``torch.nn.AlphaDropout(rate)`` actually applies, read from its output rather than its source.

    Fed zeros in train mode, it outputs ``b`` for kept units and ``a alpha' + b`` for dropped ones (float64), so
    the two distinct values give a and b. Used to check :func:`alpha_dropout_params` against PyTorch independently.
    Rate 0 is the identity (a, b) = (1, 0). Raises RuntimeError if ``max_tries`` draws of ``n`` units never show
    both a kept and a dropped unit (only for rates within about 1/n of 0 or 1).
    """
    rate = _check_rate(rate)
    if rate == 0.0:
        return 1.0, 0.0
    module = nn.AlphaDropout(rate).train()
    zeros = torch.zeros(n, dtype=torch.float64)
    for _ in range(max_tries):
        values = torch.unique(module(zeros))
        if len(values) == 2:
            dropped, kept = (float(v) for v in values)  # a alpha' + b < b since a > 0 and alpha' < 0
            return (dropped - kept) / saturation_value(), kept
    raise RuntimeError(f"torch.nn.AlphaDropout({rate}) showed no kept and dropped unit together in {max_tries} "
                       f"draws of {n} units; increase n")

class AlphaDropout(nn.Module):
    """Alpha dropout for the fixed point (mean, var) of a SELU with parameters (alpha, lam).

    Train mode: ``a * (x * d + alpha' * (1 - d)) + b`` with d ~ Bernoulli(1 - rate) per element; eval mode: the
    identity. At (0, 1) with alpha01, lambda01 it has the same distribution as ``torch.nn.AlphaDropout``;
    elsewhere it is what PyTorch cannot express. Paper §"New Dropout Technique"; chapter
    "Initialization and alpha dropout".
    """

    def __init__(self, rate: float, mean: float = 0.0, var: float = 1.0, alpha: float = ALPHA_01,
                 lam: float = LAMBDA_01) -> None:
        super().__init__()
        self.rate, self.mean, self.var = _check_rate(rate), float(mean), float(var)
        self.a, self.b = alpha_dropout_params(rate, mean, var, alpha, lam)
        self.saturation = saturation_value(alpha, lam)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return x
        keep = torch.rand_like(x) >= self.rate
        return self.a * torch.where(keep, x, torch.full_like(x, self.saturation)) + self.b

    def extra_repr(self) -> str:
        return f"rate={self.rate}, mean={self.mean}, var={self.var}, a={self.a:.6f}, b={self.b:.6f}"
