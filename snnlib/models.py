"""The feed-forward network families the paper compares, and a stacked MLP that trains k of them at once.

Paper §"Experiments" (the seven FNN families: SNN, MSRAinit, BatchNorm, LayerNorm, WeightNorm, Highway, ResNet),
§A4.1 (rectangular and conic layer shapes) and Figure 1 (BatchNorm after the ReLU, as in the official code);
see chapter "Training deep networks: Figure 1".

Conventions:

* ``depth`` is the number of hidden layers (each a Linear layer followed by its non-linearity and, where the
  family has one, its normalisation); a linear output layer follows. For ``ResNet`` ``depth`` is the number of
  residual blocks of two layers each (the paper's ResNet grid counts blocks), after one input projection.
* Weights are drawn from N(0, 1/fan_in) for SNN (paper §"Stable and Attracting Fixed Point"; the LeCun normal
  initialisation) and N(0, 2/fan_in) for the ReLU families (He et al., "MSRA" initialisation); biases are zero.
  The output layer uses the family's initialisation too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from snnlib._validate import check_choice, check_int

#: The paper's FNN families, in the order of its Table 1.
FAMILIES: tuple[str, ...] = ("SNN", "MSRAinit", "LayerNorm", "Highway", "ResNet", "WeightNorm", "BatchNorm")
#: Layer shapes of the paper's grids (§A4.1): constant width, or geometric decrease towards the output size.
SHAPES: tuple[str, ...] = ("rectangular", "conic")
#: How the output layer starts (:func:`build_model`): like the family's hidden layers, or Glorot uniform with
#: zero bias, TensorFlow's default for ``tf.layers.dense`` and so the output layer of the official Figure 1 code.
OUTPUT_INITS: tuple[str, ...] = ("family", "glorot_uniform")
#: Families whose members can be trained together by :class:`StackedMLP` (one set of batched kernels).
STACKABLE: tuple[str, ...] = ("SNN", "MSRAinit", "BatchNorm")

#: BatchNorm's epsilon: TensorFlow's default (``tf.layers.batch_normalization``), which the official code uses
#: (PyTorch's default is 1e-5). The momentum only matters for running statistics, which the paper's curves
#: (training mode) never use.
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


class StackedMLP(nn.Module):
    """k rectangular/conic MLPs of the same layer widths, trained in one set of batched kernels.

    Layer l keeps weights of shape (k, in, out) and biases (k, 1, out); the forward pass of all k networks on
    the same mini-batch is one ``torch.baddbmm`` per layer. Members may differ in family among
    :data:`STACKABLE` (SNN, MSRAinit, BatchNorm — Figure 1 stacks SNN and BatchNorm of one depth, paper Figure 1)
    and in initial weights (seed); members of one family must be contiguous. BatchNorm members carry per-member
    affine parameters and running statistics and normalise over the batch of *their own* activations, exactly
    like ``nn.BatchNorm1d``. Alpha dropout is not supported here (use one module per network).

    Build it from separately built models with :meth:`from_models` so each member starts from exactly the
    weights :func:`build_model` gives; :meth:`to_models` returns them as ordinary modules again.
    See chapter "Training deep networks: Figure 1".
    """

    def __init__(self, families: Sequence[str], n_in: int, n_out: int, widths: Sequence[int]) -> None:
        super().__init__()
        if len(families) == 0:
            raise ValueError("families must name at least one member, got an empty list")
        for fam in families:
            check_choice("family", fam, STACKABLE)
        self.families = list(families)
        self.groups: list[tuple[int, int, str]] = []
        for i, fam in enumerate(self.families):
            if self.groups and self.groups[-1][2] == fam:
                self.groups[-1] = (self.groups[-1][0], i + 1, fam)
            elif any(g[2] == fam for g in self.groups):
                raise ValueError(f"families must list each family contiguously, got {self.families}")
            else:
                self.groups.append((i, i + 1, fam))
        self.k = len(self.families)
        self.n_in, self.n_out, self.widths = n_in, n_out, list(widths)
        dims = [n_in, *self.widths, n_out]
        self.weights = nn.ParameterList(nn.Parameter(torch.zeros(self.k, a, b)) for a, b in zip(dims[:-1], dims[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(self.k, 1, b)) for b in dims[1:])
        # BatchNorm state only for the BatchNorm members (one contiguous group, members bn_start.. of the stack):
        # no per-step slicing of parameters, whose backward would write zero-filled full-size gradients
        bn = [(s, e) for s, e, fam in self.groups if fam == "BatchNorm"]
        self.bn_start, self.bn_end = bn[0] if bn else (self.k, self.k)
        n_bn = self.bn_end - self.bn_start
        widths_bn = self.widths if n_bn else []
        self.bn_weight = nn.ParameterList(nn.Parameter(torch.ones(n_bn, 1, w)) for w in widths_bn)
        self.bn_bias = nn.ParameterList(nn.Parameter(torch.zeros(n_bn, 1, w)) for w in widths_bn)
        for i, w in enumerate(widths_bn):
            self.register_buffer(f"running_mean_{i}", torch.zeros(n_bn, 1, w))
            self.register_buffer(f"running_var_{i}", torch.ones(n_bn, 1, w))
        self.update_bn_stats = True

    def param_members(self) -> list[tuple[nn.Parameter, slice]]:
        """Each parameter with the stack members it holds along dim 0 (BatchNorm ones: the BatchNorm members)."""
        bn = {id(p) for p in [*self.bn_weight, *self.bn_bias]}
        everyone, bn_members = slice(0, self.k), slice(self.bn_start, self.bn_end)
        return [(p, bn_members if id(p) in bn else everyone) for p in self.parameters()]

    @classmethod
    def from_models(cls, models: Sequence[FNN]) -> StackedMLP:
        """Stack models built by :func:`build_model` (same widths, stackable families, no dropout)."""
        if len(models) == 0:
            raise ValueError("models must hold at least one model, got an empty list")
        first = models[0]
        for m in models:
            if not isinstance(m, FNN) or m.family not in STACKABLE:
                raise ValueError(f"models must be FNNs of families {STACKABLE}, got {getattr(m, 'family', m)!r}")
            if m.widths != first.widths or m.dropout_rate != 0.0:
                raise ValueError("models must share layer widths and have dropout 0 to be stacked")
        lin0 = [x for x in first if isinstance(x, nn.Linear)]
        stack = cls([m.family for m in models], lin0[0].in_features, lin0[-1].out_features, first.widths)
        with torch.no_grad():
            for j, m in enumerate(models):
                linears = [x for x in m if isinstance(x, nn.Linear)]
                norms = [x for x in m if isinstance(x, nn.BatchNorm1d)]
                for i, lin in enumerate(linears):
                    stack.weights[i][j].copy_(lin.weight.T)
                    stack.biases[i][j, 0].copy_(lin.bias)
                for i, bn in enumerate(norms):
                    b = j - stack.bn_start
                    stack.bn_weight[i][b, 0].copy_(bn.weight)
                    stack.bn_bias[i][b, 0].copy_(bn.bias)
                    getattr(stack, f"running_mean_{i}")[b, 0].copy_(bn.running_mean)
                    getattr(stack, f"running_var_{i}")[b, 0].copy_(bn.running_var)
        return stack

    def to_models(self) -> list[FNN]:
        """The k members as separate :class:`FNN` modules (on the CPU), weights copied out of the stack."""
        out = []
        with torch.no_grad():
            for j, fam in enumerate(self.families):
                m = _fnn_with_widths(fam, self.n_in, self.n_out, self.widths)
                linears = [x for x in m if isinstance(x, nn.Linear)]
                norms = [x for x in m if isinstance(x, nn.BatchNorm1d)]
                for i, lin in enumerate(linears):
                    lin.weight.copy_(self.weights[i][j].T)
                    lin.bias.copy_(self.biases[i][j, 0])
                for i, bn in enumerate(norms):
                    b = j - self.bn_start
                    bn.weight.copy_(self.bn_weight[i][b, 0])
                    bn.bias.copy_(self.bn_bias[i][b, 0])
                    bn.running_mean.copy_(getattr(self, f"running_mean_{i}")[b, 0])
                    bn.running_var.copy_(getattr(self, f"running_var_{i}")[b, 0])
                out.append(m)
        return out

    def _batchnorm(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """BatchNorm of the BatchNorm members at once (``x``: their activations, (k, B, W)): viewed as one
        (B, k*W) batch of k*W features, so one fused ``F.batch_norm`` kernel normalises every member over its own
        batch statistics and updates the running statistics in place, exactly as ``nn.BatchNorm1d`` per member."""
        k, b, w = x.shape
        flat = x.transpose(0, 1).reshape(b, k * w)
        stats = not self.training or self.update_bn_stats
        rm = getattr(self, f"running_mean_{i}").view(-1) if stats else None
        rv = getattr(self, f"running_var_{i}").view(-1) if stats else None
        y = F.batch_norm(flat, rm, rv, self.bn_weight[i].view(-1), self.bn_bias[i].view(-1),
                         training=self.training, momentum=_BN_MOMENTUM, eps=_BN_EPS)
        return y.view(b, k, w).transpose(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of all members, shape (k, batch, n_out); ``x`` is (batch, n_in) (shared) or (k, batch, n_in)."""
        h = x.unsqueeze(0).expand(self.k, *x.shape) if x.dim() == 2 else x
        n_hidden = len(self.widths)
        sizes = [e - s for s, e, _ in self.groups]
        for i in range(n_hidden):
            h = torch.baddbmm(self.biases[i], h, self.weights[i])
            # one split (its backward is one cat) rather than a slice per family (each slice's backward writes
            # a zero-filled full-size gradient and the slices' gradients are then added)
            parts = []
            for part, (_, _, fam) in zip(h.split(sizes) if len(sizes) > 1 else (h,), self.groups):
                if fam == "SNN":
                    part = torch.selu(part)
                else:
                    part = torch.relu(part)
                    if fam == "BatchNorm":
                        part = self._batchnorm(part, i)
                parts.append(part)
            h = torch.cat(parts, dim=0) if len(parts) > 1 else parts[0]
        return torch.baddbmm(self.biases[n_hidden], h, self.weights[n_hidden])


def _fnn_with_widths(family: str, n_in: int, n_out: int, widths: list[int]) -> FNN:
    """An FNN of a stackable family with the given hidden widths (used to unstack conic stacks)."""
    gain = 1.0 if family == "SNN" else 2.0
    layers: list[nn.Module] = []
    fan_in = n_in
    for w in widths:
        layers += [_init_linear(nn.Linear(fan_in, w), gain), SELU() if family == "SNN" else nn.ReLU()]
        if family == "BatchNorm":
            layers.append(nn.BatchNorm1d(w, eps=_BN_EPS, momentum=_BN_MOMENTUM))
        fan_in = w
    layers.append(_init_linear(nn.Linear(fan_in, n_out), gain))
    return FNN(layers, family, list(widths), 0.0)
