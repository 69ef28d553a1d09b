"""Initialisers for SNNs and the weight statistics (omega, tau) that Theorem 1 is about.

Paper §"Initialization" and Theorem 1 (§"Stable and Attracting Fixed Points for Unnormalized Weights"); see
chapter "Initialization and alpha dropout".

For a unit with incoming weights w_1..w_n the paper writes omega = sum_i w_i and tau = sum_i w_i^2. Weights drawn
with mean 0 and variance 1/n give E[omega] = 0 and E[tau] = 1. Two facts the chapter measures:

* tau concentrates (its standard deviation across units is sqrt(2/n) for normal weights), but the per-unit
  omega does not: Var(omega) = n * (1/n) = 1 whatever n is. omega = 0 holds for the layer average, not per unit.
* Uniform and truncated-normal draws reach tau = 1 only with a variance correction: U(-s, s) with s = 1/sqrt(n)
  (the "bound = std" slip, also PyTorch's default ``nn.Linear``) gives tau = 1/3, and N(0, 1/n) truncated at
  two standard deviations without rescaling gives tau = 1 - 4 phi(2) / (2 Phi(2) - 1) = 0.7737.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from scipy import stats
from torch import nn

#: Theorem 1's range of the per-unit weight sum omega (paper Theorem 1).
THEOREM1_OMEGA: tuple[float, float] = (-0.1, 0.1)
#: Theorem 1's range of the per-unit squared-weight sum tau (paper Theorem 1).
THEOREM1_TAU: tuple[float, float] = (0.95, 1.1)


def weight_stats(weight: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit (omega, tau) of a weight matrix of shape (out_features, in_features) (torch layout).

    omega_j = sum_i w_ji, tau_j = sum_i w_ji^2 (paper §"Self-normalizing Neural Networks", notation). Accepts a
    torch tensor, an ``nn.Linear`` or a numpy array; returns two float64 arrays of length out_features.
    """
    if isinstance(weight, nn.Linear):
        weight = weight.weight
    if isinstance(weight, torch.Tensor):
        weight = weight.detach().to("cpu", torch.float64).numpy()
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 2:
        raise ValueError(f"weight must be a 2-d matrix (out_features, in_features), got shape {w.shape}")
    return w.sum(axis=1), (w * w).sum(axis=1)


def in_theorem1_box(omega: Any, tau: Any) -> np.ndarray:
    """Boolean array: omega in [-0.1, 0.1] and tau in [0.95, 1.1] (the weight domain of paper Theorem 1)."""
    omega, tau = np.asarray(omega, dtype=float), np.asarray(tau, dtype=float)
    return ((THEOREM1_OMEGA[0] <= omega) & (omega <= THEOREM1_OMEGA[1])
            & (THEOREM1_TAU[0] <= tau) & (tau <= THEOREM1_TAU[1]))


def truncated_normal_variance(bound: float = 2.0) -> float:
    """Variance of a standard normal truncated to [-bound, bound]: 1 - 2 c phi(c) / (2 Phi(c) - 1), c = bound.

    0.7737413 for c = 2, so an uncorrected truncated LeCun normal gives tau = 0.7737 and the correction divides
    the standard deviation by sqrt(0.7737) = 0.8796 (Keras' constant 0.87962566103423978). Chapter
    "Initialization and alpha dropout".
    """
    if not (isinstance(bound, (int, float)) and math.isfinite(bound) and bound > 0):
        raise ValueError(f"bound (truncation point in standard deviations) must be finite and > 0, got {bound!r}")
    c = float(bound)
    return 1.0 - 2.0 * c * float(stats.norm.pdf(c)) / (2.0 * float(stats.norm.cdf(c)) - 1.0)


def _fan_in(tensor: torch.Tensor) -> int:
    if tensor.dim() < 2:
        raise ValueError(f"tensor must have at least 2 dimensions (out, in, ...), got shape {tuple(tensor.shape)}")
    return int(tensor[0].numel())


def lecun_normal_(tensor: torch.Tensor) -> torch.Tensor:
    """Fill with N(0, 1/fan_in) in place: E[omega] = 0, E[tau] = 1 (paper §"Initialization").

    Same as ``nn.init.kaiming_normal_(t, mode='fan_in', nonlinearity='linear')`` (the official repo's advice).
    """
    with torch.no_grad():
        return tensor.normal_(0.0, 1.0 / math.sqrt(_fan_in(tensor)))


def lecun_uniform_(tensor: torch.Tensor, variance_correction: bool = True) -> torch.Tensor:
    """Fill with U(-s, s) in place; s = sqrt(3 / fan_in) gives tau = 1, s = 1 / sqrt(fan_in) (uncorrected) 1/3.

    The paper reports that uniform weights with the right moments behave like Gaussian ones (§"Initialization").
    """
    s = (math.sqrt(3.0) if variance_correction else 1.0) / math.sqrt(_fan_in(tensor))
    with torch.no_grad():
        return tensor.uniform_(-s, s)


def lecun_truncated_normal_(tensor: torch.Tensor, variance_correction: bool = True,
                            bound: float = 2.0) -> torch.Tensor:
    """Fill with N(0, sigma^2) truncated at +-bound*sigma, in place.

    With correction sigma = 1 / sqrt(fan_in * v) where v = :func:`truncated_normal_variance` (tau = 1, as in
    modern Keras ``LecunNormal``); without it sigma = 1 / sqrt(fan_in) and tau = v = 0.7737 (tfjs issue #8594).
    """
    v = truncated_normal_variance(bound) if variance_correction else 1.0
    sigma = 1.0 / math.sqrt(_fan_in(tensor) * v)
    return nn.init.trunc_normal_(tensor, 0.0, sigma, -bound * sigma, bound * sigma)


def _kaiming_selu_(tensor: torch.Tensor) -> torch.Tensor:
    return nn.init.kaiming_normal_(tensor, mode="fan_in", nonlinearity="selu")


def _kaiming_linear_(tensor: torch.Tensor) -> torch.Tensor:
    return nn.init.kaiming_normal_(tensor, mode="fan_in", nonlinearity="linear")


def _he_normal_(tensor: torch.Tensor) -> torch.Tensor:
    return nn.init.kaiming_normal_(tensor, mode="fan_in", nonlinearity="relu")


#: Named weight initialisers (in place, on a weight tensor) used by the chapters and the framework audit.
INITIALIZERS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "lecun_normal": lecun_normal_,
    "lecun_uniform": lecun_uniform_,
    "uniform_uncorrected": lambda t: lecun_uniform_(t, variance_correction=False),
    "truncated_normal": lecun_truncated_normal_,
    "truncated_uncorrected": lambda t: lecun_truncated_normal_(t, variance_correction=False),
    "kaiming_selu": _kaiming_selu_,
    "kaiming_linear": _kaiming_linear_,
    "he_normal": _he_normal_,
}


def expected_tau(init: str) -> float:
    """E[tau] of a named initialiser (exact): 1, 1/3, 0.7737, 0.5625 (gain 3/4 squared), 2, ...

    ``"torch_default"`` is ``nn.Linear``'s own ``kaiming_uniform_(a=sqrt(5))``: U(-1/sqrt(n), 1/sqrt(n)), tau = 1/3.
    """
    table = {"lecun_normal": 1.0, "lecun_uniform": 1.0, "uniform_uncorrected": 1.0 / 3.0, "truncated_normal": 1.0,
             "truncated_uncorrected": truncated_normal_variance(2.0), "kaiming_selu": 0.75 ** 2,
             "kaiming_linear": 1.0, "he_normal": 2.0, "torch_default": 1.0 / 3.0}
    if init not in table:
        raise ValueError(f"init must be one of {sorted(table)}, got {init!r}")
    return table[init]


def init_linear_(layer: nn.Linear, init: str) -> nn.Linear:
    """Initialise an ``nn.Linear`` by name: weights by :data:`INITIALIZERS`, bias zero; ``"torch_default"`` keeps
    PyTorch's own initialisation (weights tau = 1/3 and a non-zero uniform bias)."""
    if init == "torch_default":
        layer.reset_parameters()
        return layer
    if init not in INITIALIZERS:
        raise ValueError(f"init must be 'torch_default' or one of {sorted(INITIALIZERS)}, got {init!r}")
    INITIALIZERS[init](layer.weight)
    if layer.bias is not None:
        with torch.no_grad():
            layer.bias.zero_()
    return layer


def layer_weight_stats(model: nn.Module) -> list[dict[str, float]]:
    """Per ``nn.Linear`` of ``model`` (in order): summary of its units' (omega, tau) against Theorem 1's box.

    Keys: ``omega_mean`` (layer average of omega), ``omega_std`` (spread across units; 1 at LeCun init),
    ``tau_mean``, ``tau_min``, ``tau_max``, ``frac_tau_in_box`` (tau in [0.95, 1.1]), ``frac_omega_in_box``
    (|omega| <= 0.1), ``frac_in_box`` (both). Paper Theorem 1; chapter "Initialization and alpha dropout".
    """
    rows = []
    for layer in (m for m in model.modules() if isinstance(m, nn.Linear)):
        omega, tau = weight_stats(layer)
        rows.append({
            "omega_mean": float(omega.mean()), "omega_std": float(omega.std()),
            "tau_mean": float(tau.mean()), "tau_min": float(tau.min()), "tau_max": float(tau.max()),
            "frac_tau_in_box": float(np.mean((THEOREM1_TAU[0] <= tau) & (tau <= THEOREM1_TAU[1]))),
            "frac_omega_in_box": float(np.mean(np.abs(omega) <= THEOREM1_OMEGA[1])),
            "frac_in_box": float(np.mean(in_theorem1_box(omega, tau))),
        })
    return rows


def digits_snn(width: int = 128, depth: int = 4, n_in: int = 64, n_out: int = 10) -> nn.Sequential:
    """A small SNN for the sklearn digits: ``depth`` x (Linear(LeCun normal, zero bias) -> SELU) -> Linear."""
    layers: list[nn.Module] = []
    fan_in = n_in
    for _ in range(depth):
        layers += [init_linear_(nn.Linear(fan_in, width), "lecun_normal"), nn.SELU()]
        fan_in = width
    layers.append(init_linear_(nn.Linear(fan_in, n_out), "lecun_normal"))
    return nn.Sequential(*layers)


def weight_drift_on_digits(optimizer: str = "adam", epochs: int = 10, lr: float | None = None, width: int = 128,
                           depth: int = 4, batch_size: int = 64, seed: int = 0) -> dict[str, Any]:
    """Train :func:`digits_snn` on the built-in digits split (:func:`snnlib.data.load_builtin`) and record every
    layer's (omega, tau) per epoch.

    Returns ``{"stats": list over epochs 0..epochs of :func:`layer_weight_stats` rows (hidden layers and the
    output layer), "test_accuracy": float, "optimizer": str, "lr": float}``. ``optimizer`` is ``"adam"``
    (default lr 1e-3) or ``"sgd"`` (momentum 0.9, default lr 0.01). The paper proves Theorem 1 for omega in [-0.1, 0.1],
    tau in [0.95, 1.1] but says learning may leave that box (§"Stable and Attracting Fixed Points for
    Unnormalized Weights"); this measures how far it goes. Chapter "Initialization and alpha dropout".
    """
    from .data import load_builtin

    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs (passes over the training set) must be an integer >= 0, got {epochs!r}")
    lr = float(lr if lr is not None else (1e-3 if optimizer == "adam" else 0.01))
    ds = load_builtin("digits", seed=seed, val_fraction=0.0)  # standardised on the training split
    x_tr, x_te = torch.from_numpy(ds.X_train), torch.from_numpy(ds.X_test)
    y_tr, y_te = torch.from_numpy(ds.y_train), torch.from_numpy(ds.y_test)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = digits_snn(width, depth)
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    history = [layer_weight_stats(model)]
    for _ in range(epochs):
        for idx in torch.randperm(len(x_tr), generator=gen).split(batch_size):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x_tr[idx]), y_tr[idx]).backward()
            opt.step()
        history.append(layer_weight_stats(model))
    with torch.no_grad():
        acc = float((model(x_te).argmax(1) == y_te).float().mean())
    return {"stats": history, "test_accuracy": acc, "optimizer": optimizer, "lr": lr}
