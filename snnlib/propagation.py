"""Signals through deep random networks: per-layer activation statistics at initialization.

See chapter "Why plain deep networks struggle" (and "SELU in real frameworks" for framework defaults).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import selu

#: Standard (activation, init) pairs compared in the motivation chapter: weight std = gain / sqrt(fan_in).
STANDARD_SETUPS: dict[str, tuple[str, float]] = {
    "ReLU, PyTorch default init": ("relu", 1.0 / math.sqrt(3.0)),
    "ReLU, He init": ("relu", math.sqrt(2.0)),
    "tanh, Xavier init": ("tanh", 1.0),
    "SELU, variance-1/n init": ("selu", 1.0),
}


def _activation(name: str) -> Callable:
    import torch

    table = {"relu": torch.relu, "tanh": torch.tanh, "selu": selu, "linear": lambda x: x}
    if name not in table:
        raise ValueError(f"activation must be one of {sorted(table)}, got {name!r}")
    return table[name]


@dataclass
class LayerStatistics:
    """Per-layer statistics of the activations of a deep random network (index 0 = the input)."""

    mean: np.ndarray
    std: np.ndarray
    second_moment: np.ndarray


def forward_statistics(activation: str, depth: int = 64, width: int = 512, n_samples: int = 1000,
                       gain: float = 1.0, seed: int = 0) -> LayerStatistics:
    """Propagate standard normal inputs through ``depth`` random layers (weights N(0, gain^2 / width), zero bias).

    Returns the mean, standard deviation and second moment of all activations of each layer, computed in
    float64 on CPU with torch. ``activation`` is one of "relu", "tanh", "selu", "linear".
    """
    import torch

    for name, value, lo in (("depth", depth, 1), ("width", width, 1), ("n_samples", n_samples, 2)):
        if not isinstance(value, (int, np.integer)) or value < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    if not (math.isfinite(gain) and gain > 0):
        raise ValueError(f"gain must be finite and > 0 (weight std times sqrt(fan_in)), got {gain!r}")
    f = _activation(activation)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, width, generator=gen, dtype=torch.float64)
    means, stds, seconds = [x.mean().item()], [x.std().item()], [(x * x).mean().item()]
    for _ in range(depth):
        w = torch.randn(width, width, generator=gen, dtype=torch.float64) * (gain / math.sqrt(width))
        x = f(x @ w)
        means.append(x.mean().item())
        stds.append(x.std().item())
        seconds.append((x * x).mean().item())
    return LayerStatistics(np.array(means), np.array(stds), np.array(seconds))
