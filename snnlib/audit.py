"""The framework audit: what SELU networks built with PyTorch's defaults actually do through 100 layers.

Each audit item is a named configuration of :func:`measure_deep_network`, which pushes standard-normal inputs
through ``depth`` random layers and records the activation mean and standard deviation after every layer and the
gradient norm at every layer. The paper's claims (§"Stable and Attracting Fixed Point (0,1) for Normalized
Weights", §"New Dropout Technique") hold only for LeCun-scaled weights and alpha dropout; see chapter
"SELU in real frameworks" (and "Beyond the forward pass" for gradients and skip connections).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .init import init_linear_
from .meanfield import rounded_selu_constants

Activation = Callable[[torch.Tensor], torch.Tensor]


def _rounded_selu(dtype: str) -> Activation:
    alpha, lam = rounded_selu_constants(dtype)
    return lambda x: lam * F.elu(x, alpha=alpha)


#: Activations by name. ``selu`` is ``torch.nn.functional.selu`` (full-precision constants, result rounded to the
#: tensor's dtype); ``selu_bf16_constants`` / ``selu_fp16_constants`` use alpha01, lambda01 rounded to bfloat16 /
#: float16 first, as a framework with weakly typed constants does (JAX).
ACTIVATIONS: dict[str, Activation] = {
    "selu": F.selu,
    "selu_bf16_constants": _rounded_selu("bfloat16"),
    "selu_fp16_constants": _rounded_selu("float16"),
    "relu": F.relu,
    "tanh": torch.tanh,
}

DROPOUTS = ("alpha", "standard", "functional_alpha_default")
RESIDUALS = ("plain", "scaled")


@dataclass
class DeepNetworkStats:
    """Per-layer statistics of one deep random network (index 0 is the input, index l the output of layer l)."""

    mean: np.ndarray  #: activation mean over all units and samples, shape (depth + 1,)
    std: np.ndarray  #: activation standard deviation over all units and samples, shape (depth + 1,)
    grad_norm: np.ndarray  #: ||dL/dx_l|| for L = <x_depth, r>, r ~ N(0, I) fixed, shape (depth + 1,)
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def grad_ratio(self) -> float:
        """||dL/dx_0|| / ||dL/dx_depth||: how much the gradient grows from the last layer back to the first."""
        return float(self.grad_norm[0] / self.grad_norm[-1])

    def settled(self, skip: int = 50) -> tuple[float, float]:
        """(mean, std) averaged over layers ``skip``..depth, where a self-normalizing net has settled."""
        return float(self.mean[skip:].mean()), float(self.std[skip:].mean())


def _dropout_fn(dropout: str | nn.Module | None, rate: float) -> Activation | None:
    if dropout is None:
        return None
    if isinstance(dropout, nn.Module):
        return dropout.train()
    if dropout == "alpha":
        return nn.AlphaDropout(rate).train()
    if dropout == "standard":
        return nn.Dropout(rate).train()
    if dropout == "functional_alpha_default":
        return lambda x: F.alpha_dropout(x, rate)  # the trap: training defaults to False, so this is the identity
    raise ValueError(f"dropout must be None, an nn.Module or one of {DROPOUTS}, got {dropout!r}")


def measure_deep_network(activation: str | Activation = "selu", init: str = "lecun_normal", depth: int = 100,
                         width: int = 512, n: int = 2048, dropout: str | nn.Module | None = None,
                         rate: float = 0.1, dtype: torch.dtype = torch.float32, seed: int = 0,
                         residual: str | None = None, n_grad: int = 256) -> DeepNetworkStats:
    """Push x_0 ~ N(0, I) (``n`` samples, ``width`` units) through x_l = dropout(phi(W_l x_{l-1} + b_l)), l <= depth.

    ``init`` names a weight initialiser of :func:`snnlib.init.init_linear_` (``"torch_default"`` keeps
    ``nn.Linear``'s own). ``dropout`` is None, ``"alpha"`` (``nn.AlphaDropout(rate)`` in train mode),
    ``"standard"`` (``nn.Dropout(rate)``), ``"functional_alpha_default"`` (``F.alpha_dropout(x, rate)`` with its
    default ``training=False``) or any module (used in train mode). ``residual`` is None, ``"plain"``
    (x_l = x_{l-1} + f(x_{l-1})) or ``"scaled"`` (x_l = (x_{l-1} + f(x_{l-1})) / sqrt(2)). Forward statistics use
    ``n`` samples without autograd; gradient norms a second pass on the first ``n_grad`` samples. Chapters
    "SELU in real frameworks" and "Beyond the forward pass".
    """
    for name, value, low in (("depth", depth, 1), ("width", width, 2), ("n", n, 2), ("n_grad", n_grad, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if residual not in (None, *RESIDUALS):
        raise ValueError(f"residual must be None or one of {RESIDUALS}, got {residual!r}")
    phi = ACTIVATIONS[activation] if isinstance(activation, str) and activation in ACTIVATIONS else activation
    if not callable(phi):
        raise ValueError(f"activation must be a callable or one of {sorted(ACTIVATIONS)}, got {activation!r}")
    torch.manual_seed(seed)
    layers = [init_linear_(nn.Linear(width, width), init).to(dtype) for _ in range(depth)]
    drop = _dropout_fn(dropout, rate)
    x0 = torch.randn(n, width).to(dtype)

    def forward(x: torch.Tensor, record: list[torch.Tensor]) -> torch.Tensor:
        record.append(x)
        for layer in layers:
            y = phi(layer(x))
            if drop is not None:
                y = drop(y)
            if residual == "plain":
                y = x + y
            elif residual == "scaled":
                y = (x + y) / math.sqrt(2.0)
            x = y
            record.append(x)
        return x

    with torch.no_grad():
        xs: list[torch.Tensor] = []
        forward(x0, xs)
        mean = np.array([float(x.float().mean()) for x in xs])
        std = np.array([float(x.float().std()) for x in xs])
        del xs
    xg = x0[:n_grad].clone().requires_grad_(True)
    acts: list[torch.Tensor] = []
    out = forward(xg, acts)
    for a in acts:
        a.retain_grad()
    r = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed + 1)).to(dtype)
    (out * r).sum().backward()
    grad_norm = np.array([float(a.grad.float().norm()) for a in acts])
    config = {"activation": activation if isinstance(activation, str) else "custom", "init": init, "depth": depth,
              "width": width, "n": n, "dropout": dropout if dropout is None or isinstance(dropout, str) else "module",
              "rate": rate, "dtype": str(dtype).replace("torch.", ""), "seed": seed, "residual": residual}
    return DeepNetworkStats(mean, std, grad_norm, config)


def functional_alpha_dropout_is_identity(p: float = 0.5, seed: int = 0) -> bool:
    """True if ``F.alpha_dropout(x, p)`` (``training`` left at its default) returns its input unchanged."""
    torch.manual_seed(seed)
    x = torch.randn(1000)
    return bool(torch.equal(F.alpha_dropout(x, p), x))


#: The audit items: name -> keyword arguments of :func:`measure_deep_network`, what goes wrong, what to write.
AUDIT: dict[str, dict[str, Any]] = {
    "lecun_normal": {
        "kwargs": {"init": "lecun_normal"},
        "problem": "reference: weights N(0, 1/fan_in), zero bias (the paper's initialisation)",
        "write_instead": "nn.init.kaiming_normal_(w, mode='fan_in', nonlinearity='linear'); nn.init.zeros_(b)",
    },
    "torch_default": {
        "kwargs": {"init": "torch_default"},
        "problem": "nn.Linear's default kaiming_uniform_(a=sqrt(5)) gives tau = 1/3: the signal dies",
        "write_instead": "re-initialise every Linear with nonlinearity='linear' (LeCun normal)",
    },
    "kaiming_selu": {
        "kwargs": {"init": "kaiming_selu"},
        "problem": "kaiming_normal_(nonlinearity='selu') uses gain 3/4, tau = 0.5625: std settles near 0.2",
        "write_instead": "kaiming_normal_(w, nonlinearity='linear') (the fix documented by PyTorch)",
    },
    "kaiming_linear": {
        "kwargs": {"init": "kaiming_linear"},
        "problem": "the documented fix: nonlinearity='linear' gives tau = 1",
        "write_instead": "(this is the fix)",
    },
    "functional_alpha_dropout": {
        "kwargs": {"dropout": "functional_alpha_default"},
        "problem": "F.alpha_dropout(x, p) defaults to training=False: no dropout at all, silently",
        "write_instead": "F.alpha_dropout(x, p, training=self.training) or the nn.AlphaDropout module",
    },
    "standard_dropout": {
        "kwargs": {"dropout": "standard"},
        "problem": "nn.Dropout scales kept units by 1/(1-p): variance 1/(1-p) = 1.11 at p = 0.1",
        "write_instead": "nn.AlphaDropout(p) (p = 0.05 or 0.1, as the paper recommends)",
    },
    "alpha_dropout": {
        "kwargs": {"dropout": "alpha"},
        "problem": "nn.AlphaDropout keeps (0, 1) in train mode",
        "write_instead": "(this is the fix)",
    },
    "bf16_torch": {
        "kwargs": {"dtype": torch.bfloat16},
        "problem": "bfloat16 network with torch's SELU (full-precision constants)",
        "write_instead": "fine as it is",
    },
    "bf16_constants": {
        "kwargs": {"activation": "selu_bf16_constants", "dtype": torch.bfloat16},
        "problem": "constants rounded to bfloat16 (lam = 1.046875, alpha = 1.671875): variance settles near 0.964",
        "write_instead": "keep alpha01, lambda01 in float32 (torch.nn.SELU does; JAX's jax.nn.selu does not)",
    },
}


def run_audit(names: list[str] | None = None, **overrides: Any) -> dict[str, DeepNetworkStats]:
    """Measure the named audit items (default: all of :data:`AUDIT`); ``overrides`` go to every measurement."""
    names = list(AUDIT) if names is None else names
    unknown = [k for k in names if k not in AUDIT]
    if unknown:
        raise ValueError(f"names must be audit items {sorted(AUDIT)}, got unknown {unknown}")
    return {k: measure_deep_network(**{**AUDIT[k]["kwargs"], **overrides}) for k in names}


def measure_correlation(c0: float = 0.99, depth: int = 100, width: int = 512, n_pairs: int = 128,
                        init: str = "lecun_normal", activation: str | Activation = "selu",
                        seed: int = 0) -> np.ndarray:
    """Correlation of the activations of input pairs with correlation ``c0``, after each of ``depth`` layers.

    Returns an array of length depth + 1 (index 0: the inputs), averaged over ``n_pairs`` pairs. Compare with
    iterating :func:`snnlib.meanfield.correlation_map` (Schoenholz et al. 2017). Chapter "Beyond the forward pass".
    """
    if not -1.0 <= c0 <= 1.0:
        raise ValueError(f"c0 (correlation of the input pairs) must be in [-1, 1], got {c0!r}")
    phi = ACTIVATIONS[activation] if isinstance(activation, str) and activation in ACTIVATIONS else activation
    if not callable(phi):
        raise ValueError(f"activation must be a callable or one of {sorted(ACTIVATIONS)}, got {activation!r}")
    torch.manual_seed(seed)
    layers = [init_linear_(nn.Linear(width, width), init) for _ in range(depth)]
    z1, z2 = torch.randn(2, n_pairs, width)
    x1, x2 = z1, c0 * z1 + math.sqrt(1.0 - c0 * c0) * z2
    out = np.empty(depth + 1)
    with torch.no_grad():
        for i in range(depth + 1):
            if i > 0:
                x1, x2 = phi(layers[i - 1](x1)), phi(layers[i - 1](x2))
            a, b = x1 - x1.mean(1, keepdim=True), x2 - x2.mean(1, keepdim=True)
            out[i] = float(((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))).mean())
    return out
