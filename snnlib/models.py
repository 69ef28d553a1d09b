"""The feed-forward network families the paper compares (the fast trainer of plain MLPs: :mod:`snnlib.mlpstack`).

Paper §"Experiments" (the seven FNN families: SNN, MSRAinit, BatchNorm, LayerNorm, WeightNorm, Highway, ResNet),
§A4.1 (rectangular and conic layer shapes) and Figure 1 (BatchNorm after the ReLU, as in the official code);
see chapter "Training deep networks: Figure 1".

Conventions:

* ``depth`` is the number of hidden layers (each a Linear layer followed by its non-linearity and, where the
  family has one, its normalisation); a linear output layer follows. For ``ResNet`` ``depth`` is the number of
  residual blocks of two layers each (the paper's ResNet grid counts blocks), after one input projection.
* Weights are drawn from N(0, 1/fan_in) for SNN (paper §"Stable and Attracting Fixed Point"; the LeCun normal
  initialisation) and N(0, 2/fan_in) for the ReLU families (He et al., "MSRA" initialisation); biases are zero.
  The output layer uses the family's initialisation, or Glorot uniform (``output_init``, as the official
  Figure 1 code).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from snnlib._validate import check_choice, check_int

#: The paper's FNN families, in the order of its Table 1.
FAMILIES: tuple[str, ...] = ("SNN", "MSRAinit", "LayerNorm", "Highway", "ResNet", "WeightNorm", "BatchNorm")
#: Layer shapes of the paper's grids (§A4.1): constant width, or geometric decrease towards the output size.
SHAPES: tuple[str, ...] = ("rectangular", "conic")
#: How the output layer starts (:func:`build_model`): like the family's hidden layers, or Glorot uniform with
#: zero bias, TensorFlow's default for ``tf.layers.dense`` and so the output layer of the official Figure 1 code.
OUTPUT_INITS: tuple[str, ...] = ("family", "glorot_uniform")

#: BatchNorm's epsilon: TensorFlow's default (``tf.layers.batch_normalization``), which the official code uses
#: (PyTorch's default is 1e-5). The momentum only matters for running statistics, which the paper's curves
#: (training mode) never use; the Figure 1 trainer never updates them, as the official code.
_BN_EPS = 1e-3
_BN_MOMENTUM = 0.1


def hidden_widths(n_out: int, depth: int, width: int, shape: str = "rectangular") -> list[int]:
    """Widths of the ``depth`` hidden layers: all ``width`` (rectangular) or a geometric decrease (conic).

    Conic (paper §A4.1, "conic layers ... geometric decrease towards the output size"): layer i (0-based) has
    ``round(width * (n_out / width) ** (i / depth))`` units, so the first hidden layer has ``width`` units and the
    sequence shrinks geometrically towards ``n_out``, which the output layer reaches. See chapter "Training deep
    networks: Figure 1".
    """
    check_int("depth", depth, 1, "number of hidden layers")
    check_int("width", width, 1, "units per hidden layer")
    check_int("n_out", n_out, 1, "number of outputs")
    check_choice("shape", shape, SHAPES)
    if shape == "rectangular":
        return [width] * depth
    ratio = n_out / width
    return [max(n_out, int(round(width * ratio ** (i / depth)))) for i in range(depth)]


def _init_linear(layer: nn.Linear, gain: float) -> nn.Linear:
    """Weights N(0, gain/fan_in), bias 0 (gain 1: SNN/LeCun, gain 2: He/MSRA)."""
    with torch.no_grad():
        layer.weight.normal_(0.0, math.sqrt(gain / layer.in_features))
        layer.bias.zero_()
    return layer


class SELU(nn.Module):
    """SELU with the paper's alpha01 and lambda01 (paper Eqs. (2), (14)); same values as ``torch.nn.SELU``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.selu(x)  # one fused kernel; torch's constants are alpha01 and lambda01 (tests check it)


class HighwayLayer(nn.Module):
    """Highway layer y = H(x)·T(x) + x·(1 − T(x)) with H = ReLU(W_h x + b_h), T = sigmoid(W_t x + b_t).

    The gate bias starts at −1 (Srivastava et al. 2015), so the layer starts close to the identity.
    """

    def __init__(self, width: int) -> None:
        super().__init__()
        self.h = _init_linear(nn.Linear(width, width), 2.0)
        self.t = _init_linear(nn.Linear(width, width), 1.0)
        with torch.no_grad():
            self.t.bias.fill_(-1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.t(x))
        return torch.relu(self.h(x)) * gate + x * (1.0 - gate)


class ResidualBlock(nn.Module):
    """Residual block of two layers, x + W2 ReLU(BN(W1 x)), followed by a ReLU (He et al. 2016, pre-sum BN).

    ``inner`` is the width of the middle layer: ``width`` by default, a fraction of it for the paper's
    bottleneck blocks (paper §A4.2: bottleneck 25% or 50%).
    """

    def __init__(self, width: int, inner: int | None = None) -> None:
        super().__init__()
        inner = width if inner is None else inner
        self.fc1 = _init_linear(nn.Linear(width, inner), 2.0)
        self.bn = nn.BatchNorm1d(inner, eps=_BN_EPS, momentum=_BN_MOMENTUM)
        self.fc2 = _init_linear(nn.Linear(inner, width), 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.fc2(torch.relu(self.bn(self.fc1(x)))))


class FNN(nn.Sequential):
    """A feed-forward network built by :func:`build_model`; remembers its family, widths and dropout rate."""

    def __init__(self, layers: list[nn.Module], family: str, widths: list[int], dropout: float) -> None:
        super().__init__(*layers)
        self.family = family
        self.widths = widths
        self.dropout_rate = dropout


def build_model(family: str, n_in: int, n_out: int, depth: int, width: int, shape: str = "rectangular",
                dropout: float = 0.0, bottleneck: float = 1.0, output_init: str = "family") -> FNN:
    """Build one of the paper's FNN families (paper §"Experiments"; chapter "Training deep networks: Figure 1").

    * ``SNN``: Linear (N(0, 1/fan_in), zero bias) → SELU(α01, λ01) → alpha dropout (if ``dropout > 0``).
    * ``MSRAinit``: Linear (He init N(0, 2/fan_in)) → ReLU → dropout.
    * ``BatchNorm``: Linear (He) → ReLU → BatchNorm1d — BN *after* the ReLU as in the official Figure 1 code.
    * ``LayerNorm``: Linear (He) → LayerNorm → ReLU → dropout.
    * ``WeightNorm``: weight-normalised Linear (He) → ReLU → dropout.
    * ``Highway``: Linear (He) → ReLU to ``width``, then ``depth − 1`` highway layers, each followed by dropout
      (rectangular only).
    * ``ResNet``: Linear (He) → ReLU to ``width``, then ``depth`` residual blocks of two layers whose middle
      layer has ``round(bottleneck · width)`` units (rectangular only).

    ``shape`` is ``'rectangular'`` or ``'conic'`` (geometric decrease of width towards ``n_out``, see
    :func:`hidden_widths`). ``dropout`` in [0, 1) is the drop rate (alpha dropout for SNN, standard dropout
    otherwise; BatchNorm and ResNet take none, as in the paper's grids). ``bottleneck`` in (0, 1] applies to
    ResNet only. ``output_init`` (:data:`OUTPUT_INITS`): the output layer starts like the hidden layers
    (``'family'``) or Glorot uniform with zero bias (``'glorot_uniform'``, as in the official Figure 1 code).
    Raises ValueError naming the bad parameter.
    """
    check_choice("family", family, FAMILIES)
    check_int("n_in", n_in, 1, "number of input features")
    check_int("n_out", n_out, 1, "number of outputs")
    check_choice("shape", shape, SHAPES)
    check_choice("output_init", output_init, OUTPUT_INITS)
    if not isinstance(dropout, (int, float)) or not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout (drop rate) must be in [0, 1), got {dropout!r}")
    if not isinstance(bottleneck, (int, float)) or not 0.0 < float(bottleneck) <= 1.0:
        raise ValueError(f"bottleneck (inner width of a ResNet block as a fraction of width) must be in (0, 1], "
                         f"got {bottleneck!r}")
    if family != "ResNet" and bottleneck != 1.0:
        raise ValueError(f"bottleneck applies to family 'ResNet' only, got bottleneck={bottleneck!r} for {family!r}")
    if family in ("ResNet", "BatchNorm") and dropout > 0:
        raise ValueError(f"dropout must be 0 for family {family!r} (the paper's grid has none), got {dropout!r}")
    if family in ("Highway", "ResNet") and shape != "rectangular":
        raise ValueError(f"shape must be 'rectangular' for family {family!r}, got {shape!r}")
    widths = hidden_widths(n_out, depth, width, shape)
    layers: list[nn.Module] = []
    if family in ("Highway", "ResNet"):
        layers += [_init_linear(nn.Linear(n_in, width), 2.0), nn.ReLU()]
        if family == "Highway":
            for _ in range(depth - 1):
                layers += [HighwayLayer(width)] + ([nn.Dropout(dropout)] if dropout > 0 else [])
        else:
            inner = max(1, round(bottleneck * width))
            layers += [ResidualBlock(width, inner) for _ in range(depth)]
        layers.append(_output_linear(width, n_out, 2.0, output_init))
        return FNN(layers, family, widths, float(dropout))
    gain = 1.0 if family == "SNN" else 2.0
    fan_in = n_in
    for w in widths:
        linear = _init_linear(nn.Linear(fan_in, w), gain)
        if family == "WeightNorm":
            linear = nn.utils.parametrizations.weight_norm(linear)
        layers.append(linear)
        if family == "SNN":
            layers.append(SELU())
        elif family == "LayerNorm":
            layers += [nn.LayerNorm(w), nn.ReLU()]
        else:
            layers.append(nn.ReLU())
        if family == "BatchNorm":
            layers.append(nn.BatchNorm1d(w, eps=_BN_EPS, momentum=_BN_MOMENTUM))
        elif dropout > 0:
            layers.append(nn.AlphaDropout(dropout) if family == "SNN" else nn.Dropout(dropout))
        fan_in = w
    layers.append(_output_linear(fan_in, n_out, gain, output_init))
    return FNN(layers, family, widths, float(dropout))


def _output_linear(fan_in: int, n_out: int, gain: float, output_init: str) -> nn.Linear:
    """The output layer: the family's initialisation, or Glorot (Xavier) uniform weights and zero bias."""
    layer = nn.Linear(fan_in, n_out)
    if output_init == "family":
        return _init_linear(layer, gain)
    with torch.no_grad():
        nn.init.xavier_uniform_(layer.weight)
        layer.bias.zero_()
    return layer


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters (used for the 6·params·samples FLOP count of the benchmark)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
