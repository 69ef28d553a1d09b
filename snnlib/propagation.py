"""Signals through deep random networks: per-layer activation statistics (and gradient norms) at initialization.

One implementation, :func:`measure_deep_network`, with one table of activations (:func:`activations`), pushes
standard-normal inputs through ``depth`` random layers with a named initialiser (:func:`snnlib.init.init_linear_`,
optionally scaled by ``gain``), optional dropout and skip connections, and records the mean, standard deviation and
second moment after every layer and the gradient norm at every layer. :func:`forward_statistics` is the
weights-N(0, gain^2/n) special case of chapter "Why plain deep networks struggle" (and the start page);
:mod:`snnlib.audit` names the framework configurations of chapter "SELU in real frameworks"; chapter "Beyond the
forward pass" uses the gradients, skip connections and :func:`measure_correlation`.

Paper §"Introduction" and §"Self-normalizing Neural Networks" (why normalization matters for deep FNNs),
§"Stable and Attracting Fixed Point (0,1) for Normalized Weights" and §"New Dropout Technique".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import check_int
from .meanfield import rounded_selu_constants

Activation = Callable[[Any], Any]

#: Standard (activation, gain) pairs compared in the motivation chapter: weight std = gain / sqrt(fan_in).
#: PyTorch's default ``nn.Linear`` init is U(-1/sqrt(n), 1/sqrt(n)), variance 1/(3n), hence gain 1/sqrt(3);
#: He et al. (2015) use variance 2/n, Glorot & Bengio (2010) 1/n for square layers, the paper 1/n for SELU.
STANDARD_SETUPS: dict[str, tuple[str, float]] = {
    "ReLU, PyTorch default init": ("relu", 1.0 / math.sqrt(3.0)),
    "ReLU, He init": ("relu", math.sqrt(2.0)),
    "tanh, Xavier init": ("tanh", 1.0),
    "SELU, variance-1/n init": ("selu", 1.0),
}

#: Names of the activation table :func:`activations` (built on use: it needs torch, imported lazily here).
ACTIVATION_NAMES: tuple[str, ...] = ("linear", "relu", "selu", "selu_bf16_constants", "selu_fp16_constants", "tanh")
#: Precisions :func:`forward_statistics` computes in; :func:`measure_deep_network` takes any torch float dtype.
DTYPES: tuple[str, ...] = ("float32", "float64")
DROPOUTS = ("alpha", "standard", "functional_alpha_default")
RESIDUALS = ("plain", "scaled")


def _rounded_selu(dtype: str) -> Activation:
    from torch.nn import functional as F

    alpha, lam = rounded_selu_constants(dtype)
    return lambda x: lam * F.elu(x, alpha=alpha)


def activations() -> dict[str, Activation]:
    """The activation table, by name (:data:`ACTIVATION_NAMES`). ``selu`` is ``torch.nn.functional.selu``
    (full-precision constants, result rounded to the tensor's dtype); ``selu_bf16_constants`` /
    ``selu_fp16_constants`` use alpha01, lambda01 rounded to bfloat16 / float16 first, as a framework with weakly
    typed constants does (JAX); ``linear`` is the identity."""
    import torch
    from torch.nn import functional as F

    return {"linear": lambda x: x, "relu": F.relu, "selu": F.selu,
            "selu_bf16_constants": _rounded_selu("bfloat16"), "selu_fp16_constants": _rounded_selu("float16"),
            "tanh": torch.tanh}


def _phi(activation: str | Activation) -> Activation:
    if isinstance(activation, str) and activation in ACTIVATION_NAMES:
        return activations()[activation]
    if isinstance(activation, str) or not callable(activation):
        raise ValueError(f"activation must be one of {list(ACTIVATION_NAMES)} or a callable, got {activation!r}")
    return activation


@dataclass
class DeepNetworkStats:
    """Per-layer statistics of one deep random network (index 0 is the input, index l the output of layer l)."""

    mean: np.ndarray  #: activation mean over all units and samples, shape (depth + 1,)
    std: np.ndarray  #: activation standard deviation over all units and samples, shape (depth + 1,)
    #: ||dL/dx_l|| for L = <x_depth, r>, r ~ N(0, I) fixed, shape (depth + 1,); None when ``n_grad=0``
    grad_norm: np.ndarray | None = None
    second_moment: np.ndarray | None = None  #: mean of x**2 over all units and samples, shape (depth + 1,)
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        """Number of layers the signal went through."""
        return len(self.mean) - 1

    @property
    def grad_ratio(self) -> float:
        """||dL/dx_0|| / ||dL/dx_depth||: how much the gradient grows from the last layer back to the first."""
        if self.grad_norm is None:
            raise ValueError("grad_ratio needs gradient norms: measure with n_grad >= 1")
        return float(self.grad_norm[0] / self.grad_norm[-1])

    def settled(self, skip: int = 50) -> tuple[float, float]:
        """(mean, std) averaged over layers ``skip``..depth, where a self-normalizing net has settled."""
        return float(self.mean[skip:].mean()), float(self.std[skip:].mean())


#: The statistics of :func:`forward_statistics` (the same class: one result type for one job).
LayerStatistics = DeepNetworkStats

def _dropout_fn(dropout: Any, rate: float) -> Activation | None:
    from torch import nn
    from torch.nn import functional as F

    if dropout is None:
        return None
    if isinstance(dropout, nn.Module):
        return dropout.train()
    if dropout not in DROPOUTS:
        raise ValueError(f"dropout must be None, an nn.Module or one of {DROPOUTS}, got {dropout!r}")
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0.0 <= rate < 1.0:
        raise ValueError(f"rate (dropout probability) must be a number in [0, 1), got {rate!r}")
    if dropout == "alpha":
        return nn.AlphaDropout(rate).train()
    if dropout == "standard":
        return nn.Dropout(rate).train()
    return lambda x: F.alpha_dropout(x, rate)  # the trap: training defaults to False, so this is the identity


def _torch_dtype(dtype: Any) -> Any:
    import torch

    value = getattr(torch, dtype, None) if isinstance(dtype, str) else dtype
    if not isinstance(value, torch.dtype) or not value.is_floating_point or value.is_complex:
        raise ValueError(f"dtype must be a real floating torch dtype or its name (e.g. 'float32', torch.bfloat16), "
                         f"got {dtype!r}")
    return value


def measure_deep_network(activation: str | Activation = "selu", init: str = "lecun_normal", depth: int = 100,
                         width: int = 512, n: int = 2048, dropout: Any = None, rate: float = 0.1,
                         dtype: Any = "float32", seed: int = 0, residual: str | None = None, n_grad: int = 256,
                         gain: float = 1.0) -> DeepNetworkStats:
    """Push x_0 ~ N(0, I) (``n`` samples, ``width`` units) through x_l = dropout(phi(W_l x_{l-1} + b_l)), l <= depth.

    ``activation`` is a name of :func:`activations` or any callable on tensors. ``init`` names a weight
    initialiser of :func:`snnlib.init.init_linear_` (``"torch_default"`` keeps ``nn.Linear``'s own); ``gain``
    multiplies the initialised weights (``init="lecun_normal", gain=g``: weights N(0, g^2/width), zero bias).
    ``dropout`` is None, ``"alpha"`` (``nn.AlphaDropout(rate)`` in train mode), ``"standard"``
    (``nn.Dropout(rate)``), ``"functional_alpha_default"`` (``F.alpha_dropout(x, rate)`` with its default
    ``training=False``) or any module (used in train mode). ``residual`` is None, ``"plain"``
    (x_l = x_{l-1} + f(x_{l-1})) or ``"scaled"`` (x_l = (x_{l-1} + f(x_{l-1})) / sqrt(2)). ``dtype`` (a torch
    floating dtype or its name) is the network's precision; statistics are summed in at least float32 (float64 for
    float64 networks). Forward statistics use ``n`` samples without autograd; gradient norms a second pass on the
    first ``n_grad`` samples (``n_grad=0``: none). Everything runs on the CPU on one thread (the same sums in the
    same order on every machine) from ``seed``. Chapters "Why plain deep networks struggle", "Initialization and
    alpha dropout", "SELU in real frameworks" and "Beyond the forward pass".
    """
    import torch
    from torch import nn

    from .init import init_linear_

    check_int("depth", depth, 1, "number of layers")
    check_int("width", width, 2, "units per layer")
    check_int("n", n, 2, "number of input vectors")
    check_int("n_grad", n_grad, 0, "input vectors of the gradient pass; 0 for none")
    check_int("seed", seed, 0, "random seed")
    if isinstance(gain, bool) or not isinstance(gain, (int, float, np.floating)) or not (
            math.isfinite(gain) and gain > 0):
        raise ValueError(f"gain (weight std times sqrt(fan_in)) must be finite and > 0, got {gain!r}")
    if residual not in (None, *RESIDUALS):
        raise ValueError(f"residual must be None or one of {RESIDUALS}, got {residual!r}")
    phi = _phi(activation)
    tdtype = _torch_dtype(dtype)
    stat_dtype = torch.promote_types(tdtype, torch.float32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        layers = [init_linear_(nn.Linear(width, width), init).to(tdtype) for _ in range(depth)]
        if gain != 1.0:
            with torch.no_grad():
                for layer in layers:
                    layer.weight.mul_(float(gain))
        drop = _dropout_fn(dropout, rate)
        x0 = torch.randn(n, width).to(tdtype)

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
            wide = [x.to(stat_dtype) for x in xs]
            del xs
            mean = np.array([float(x.mean()) for x in wide])
            std = np.array([float(x.std()) for x in wide])
            second = np.array([float((x * x).mean()) for x in wide])
            del wide
        grad_norm = None
        if n_grad:
            xg = x0[:n_grad].clone().requires_grad_(True)
            acts: list[torch.Tensor] = []
            out = forward(xg, acts)
            for a in acts:
                a.retain_grad()
            r = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed + 1)).to(tdtype)
            (out * r).sum().backward()
            grad_norm = np.array([float(a.grad.float().norm()) for a in acts])
    finally:
        torch.set_num_threads(threads)
    config = {"activation": activation if isinstance(activation, str) else "custom", "init": init, "gain": gain,
              "depth": depth, "width": width, "n": n,
              "dropout": dropout if dropout is None or isinstance(dropout, str) else "module", "rate": rate,
              "dtype": str(tdtype).replace("torch.", ""), "seed": seed, "residual": residual}
    return DeepNetworkStats(mean=mean, std=std, grad_norm=grad_norm, second_moment=second, config=config)


def forward_statistics(activation: str, depth: int = 64, width: int = 512, n_samples: int = 1000,
                       gain: float = 1.0, seed: int = 0, dtype: str = "float64") -> DeepNetworkStats:
    """Standard normal inputs through ``depth`` random layers with weights N(0, gain^2 / width) and zero bias:
    :func:`measure_deep_network` with ``init="lecun_normal"``, ``gain``, ``n=n_samples``, no dropout and no
    gradient pass, in ``dtype`` ("float64", the default, or "float32"). ``activation`` is "relu", "tanh", "selu"
    or "linear". Returns the mean, standard deviation and second moment of each layer. Paper §"Introduction";
    see chapter "Why plain deep networks struggle" (and the start page, via :func:`standard_setups_statistics`).
    """
    if activation not in ("linear", "relu", "selu", "tanh"):
        raise ValueError(f"activation must be one of ('linear', 'relu', 'selu', 'tanh'), got {activation!r}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    check_int("n_samples", n_samples, 2, "number of input vectors")
    return measure_deep_network(activation, "lecun_normal", depth=depth, width=width, n=n_samples, dtype=dtype,
                                seed=seed, n_grad=0, gain=gain)


def standard_setups_statistics(depth: int = 64, width: int = 512, n_samples: int = 1000, seed: int = 0,
                               dtype: str = "float64") -> dict[str, DeepNetworkStats]:
    """`forward_statistics` for every entry of `STANDARD_SETUPS` (same seed, so the same inputs and weights).

    See chapter "Why plain deep networks struggle".
    """
    return {name: forward_statistics(act, depth, width, n_samples, gain, seed, dtype)
            for name, (act, gain) in STANDARD_SETUPS.items()}


def plot_signal_propagation(stats: dict[str, DeepNetworkStats], panels: tuple[str, ...] = ("mean", "std")):
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


def measure_correlation(c0: float = 0.99, depth: int = 100, width: int = 512, n_pairs: int = 128,
                        init: str = "lecun_normal", activation: str | Activation = "selu",
                        seed: int = 0) -> np.ndarray:
    """Correlation of the activations of input pairs with correlation ``c0``, after each of ``depth`` layers.

    Returns an array of length depth + 1 (index 0: the inputs), averaged over ``n_pairs`` pairs. Compare with
    iterating :func:`snnlib.meanfield.correlation_map` (Schoenholz et al. 2017). Chapter "Beyond the forward pass".
    """
    import torch
    from torch import nn

    from .init import init_linear_

    if not -1.0 <= c0 <= 1.0:
        raise ValueError(f"c0 (correlation of the input pairs) must be in [-1, 1], got {c0!r}")
    phi = _phi(activation)
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
