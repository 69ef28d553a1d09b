"""The framework audit: what SELU networks built with PyTorch's defaults actually do through 100 layers.

Each audit item of :data:`AUDIT` is a named configuration of :func:`snnlib.propagation.measure_deep_network` (the
one implementation of signals through deep random networks), with what goes wrong and what to write instead. The
paper's claims (§"Stable and Attracting Fixed Point (0,1) for Normalized Weights", §"New Dropout Technique") hold
only for LeCun-scaled weights and alpha dropout; see chapter "SELU in real frameworks".
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from .propagation import DeepNetworkStats, measure_deep_network

__all__ = ["AUDIT", "functional_alpha_dropout_is_identity", "run_audit"]


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
