"""Signals through deep random networks: per-layer activation statistics at initialization.

Paper §"Introduction" and §"Self-normalizing Neural Networks" (why normalization matters for deep FNNs); see
chapter "Why plain deep networks struggle" (and "SELU in real frameworks" for framework defaults).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validate import check_int
from .activations import selu

#: Standard (activation, gain) pairs compared in the motivation chapter: weight std = gain / sqrt(fan_in).
#: PyTorch's default ``nn.Linear`` init is U(-1/sqrt(n), 1/sqrt(n)), variance 1/(3n), hence gain 1/sqrt(3);
#: He et al. (2015) use variance 2/n, Glorot & Bengio (2010) 1/n for square layers, the paper 1/n for SELU.
STANDARD_SETUPS: dict[str, tuple[str, float]] = {
    "ReLU, PyTorch default init": ("relu", 1.0 / math.sqrt(3.0)),
    "ReLU, He init": ("relu", math.sqrt(2.0)),
    "tanh, Xavier init": ("tanh", 1.0),
    "SELU, variance-1/n init": ("selu", 1.0),
}

ACTIVATIONS: tuple[str, ...] = ("linear", "relu", "selu", "tanh")
DTYPES: tuple[str, ...] = ("float32", "float64")


def _activation(name: str) -> Callable:
    import torch

    table = {"relu": torch.relu, "tanh": torch.tanh, "selu": selu, "linear": lambda x: x}
    return table[name]


@dataclass
class LayerStatistics:
    """Per-layer statistics of the activations of a deep random network (index 0 = the input, length depth + 1)."""

    mean: np.ndarray
    std: np.ndarray
    second_moment: np.ndarray

    @property
    def depth(self) -> int:
        """Number of layers the signal went through."""
        return len(self.mean) - 1


def forward_statistics(activation: str, depth: int = 64, width: int = 512, n_samples: int = 1000,
                       gain: float = 1.0, seed: int = 0, dtype: str = "float64") -> LayerStatistics:
    """Propagate standard normal inputs through ``depth`` random layers (weights N(0, gain^2 / width), zero bias).

    Returns the mean, standard deviation and second moment over all activations of each layer, computed on CPU
    with torch on one thread in ``dtype`` ("float64", the default, or "float32", about twice as fast).
    ``activation`` is one of "relu", "tanh", "selu", "linear". The weights are drawn from one seeded generator,
    so the result depends only on the arguments. Paper §"Introduction"; see chapter "Why plain deep networks struggle".
    """
    import torch

    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    check_int("depth", depth, 1, "number of layers")
    check_int("width", width, 1, "units per layer")
    check_int("n_samples", n_samples, 2, "number of input vectors")
    check_int("seed", seed, 0, "random seed")
    if isinstance(gain, bool) or not isinstance(gain, (int, float, np.floating)) or not (
            math.isfinite(gain) and gain > 0):
        raise ValueError(f"gain (weight std times sqrt(fan_in)) must be finite and > 0, got {gain!r}")
    f = _activation(activation)
    tdtype = getattr(torch, dtype)
    gen = torch.Generator().manual_seed(int(seed))
    scale = float(gain) / math.sqrt(width)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same sums in the same order on every machine, and no contention
    try:
        # drawn in float64 and rounded to dtype: float32 and float64 runs see the same numbers (dtype is precision only)
        x = torch.randn(n_samples, width, generator=gen, dtype=torch.float64).to(tdtype)
        means, stds, seconds = [], [], []
        for layer in range(depth + 1):
            if layer > 0:
                w = (torch.randn(width, width, generator=gen, dtype=torch.float64) * scale).to(tdtype)
                x = f(x @ w)
            x64 = x.double()
            means.append(x64.mean().item())
            stds.append(x64.std().item())
            seconds.append((x64 * x64).mean().item())
    finally:
        torch.set_num_threads(threads)
    return LayerStatistics(np.array(means), np.array(stds), np.array(seconds))


def standard_setups_statistics(depth: int = 64, width: int = 512, n_samples: int = 1000, seed: int = 0,
                               dtype: str = "float64") -> dict[str, LayerStatistics]:
    """`forward_statistics` for every entry of `STANDARD_SETUPS` (same seed, so the same inputs and weights).

    See chapter "Why plain deep networks struggle".
    """
    return {name: forward_statistics(act, depth, width, n_samples, gain, seed, dtype)
            for name, (act, gain) in STANDARD_SETUPS.items()}


def plot_signal_propagation(stats: dict[str, LayerStatistics], panels: tuple[str, ...] = ("mean", "std")):
    """Figure of :func:`standard_setups_statistics`: per layer, the mean and/or the standard deviation (log scale)
    of the activations, one curve per set-up in the book's colours, with line styles and staggered markers that
    keep overlapping curves apart and the legend below the axes. Returns the matplotlib figure. Used by the
    start page and chapter "Why plain deep networks struggle"."""
    from . import plotting

    allowed = ("mean", "std")
    if not panels or any(p not in allowed for p in panels) or len(set(panels)) != len(panels):
        raise ValueError(f"panels must be distinct names from {allowed}, got {panels!r}")
    if not stats:
        raise ValueError("stats must hold at least one set-up")
    width = 8.0 if len(panels) == 2 else plotting.COLUMN_INCHES
    fig, axes = plotting.subplots(1, len(panels), figsize=(width, 3.9), squeeze=False)
    styles = [("--", "v"), ("-", "s"), ("-.", "^"), ("-", "o")]
    for k, (name, s) in enumerate(stats.items()):
        ls, marker = styles[k % len(styles)]
        style = dict(color=plotting.color(name.split(",")[0]), ls=ls, marker=marker, markevery=(2 * k, 8),
                     label=name)
        for ax, panel in zip(axes[0], panels):
            (ax.semilogy if panel == "std" else ax.plot)(s.std if panel == "std" else s.mean, **style)
    for ax, panel in zip(axes[0], panels):
        label = "standard deviation (log scale)" if panel == "std" else "mean of activations"
        ax.set(xlabel="layer", ylabel=label)
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return fig
