"""Tests of snnlib.models: the paper's FNN families (§"Experiments"), init variances, the stacked MLP."""

import math

import pytest
import torch
from torch import nn

from snnlib.models import FAMILIES, build_model, count_params, hidden_widths

torch.set_num_threads(1)


def test_snn_init_has_variance_one_over_fan_in_and_zero_bias():
    # Paper §"Stable and Attracting Fixed Point": SNN weights N(0, 1/n); MSRAinit: N(0, 2/n) (He et al.).
    torch.manual_seed(0)
    snn, msra = build_model("SNN", 500, 10, 3, 400), build_model("MSRAinit", 500, 10, 3, 400)
    w_snn = [m for m in snn if isinstance(m, nn.Linear)][1]
    w_msra = [m for m in msra if isinstance(m, nn.Linear)][1]
    assert abs(w_snn.weight.var().item() * 400 - 1.0) < 0.02
    assert abs(w_msra.weight.var().item() * 400 - 2.0) < 0.04
    assert torch.count_nonzero(w_snn.bias) == 0


def test_snn_keeps_unit_variance_through_32_layers():
    # The self-normalizing property (paper Theorem 1): activations of a deep SNN stay near mean 0, variance 1.
    torch.manual_seed(0)
    net = build_model("SNN", 256, 10, 32, 256)
    h = torch.randn(2000, 256)
    with torch.no_grad():
        for layer in list(net)[:-1]:
            h = layer(h)
    assert abs(h.mean().item()) < 0.1 and abs(h.var().item() - 1.0) < 0.15


def test_batchnorm_comes_after_relu_as_in_official_figure1_code():
    net = build_model("BatchNorm", 8, 3, 2, 16)
    kinds = [type(m).__name__ for m in net]
    assert kinds[:3] == ["Linear", "ReLU", "BatchNorm1d"]


def test_conic_widths_decrease_geometrically_to_output_size():
    widths = hidden_widths(2, 4, 512, "conic")  # 512 * (2/512)^(i/4): 512, 128, 32, 8
    assert widths == [512, 128, 32, 8]
    assert hidden_widths(2, 3, 64, "rectangular") == [64, 64, 64]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_builds_and_runs(family):
    net = build_model(family, 12, 4, 4, 16)
    assert net(torch.randn(5, 12)).shape == (5, 4)
    assert count_params(net) > 0


@pytest.mark.parametrize("kwargs, word", [
    ({"family": "Tanh"}, "family"), ({"depth": 0}, "depth"), ({"width": -3}, "width"),
    ({"shape": "diavolo"}, "shape"), ({"dropout": 1.0}, "dropout"),
    ({"family": "ResNet", "shape": "conic"}, "shape"), ({"family": "ResNet", "dropout": 0.5}, "dropout"),
    ({"family": "ResNet", "bottleneck": 0.0}, "bottleneck"), ({"family": "SNN", "bottleneck": 0.5}, "bottleneck")])
def test_bad_arguments_name_the_parameter(kwargs, word):
    args = {"family": "SNN", "n_in": 4, "n_out": 2, "depth": 2, "width": 8, **kwargs}
    with pytest.raises(ValueError, match=word):
        build_model(**args)


def test_alpha_dropout_only_for_snn():
    assert any(isinstance(m, nn.AlphaDropout) for m in build_model("SNN", 4, 2, 2, 8, dropout=0.1))
    assert not any(isinstance(m, nn.AlphaDropout) for m in build_model("MSRAinit", 4, 2, 2, 8, dropout=0.1))


def test_resnet_bottleneck_narrows_the_middle_layer_and_highway_takes_dropout():
    from snnlib.models import ResidualBlock

    blocks = [m for m in build_model("ResNet", 6, 2, 3, 16, bottleneck=0.25) if isinstance(m, ResidualBlock)]
    assert len(blocks) == 3 and all(b.fc1.out_features == 4 and b.fc2.in_features == 4 for b in blocks)
    full = build_model("ResNet", 6, 2, 3, 16)
    assert count_params(full) > count_params(build_model("ResNet", 6, 2, 3, 16, bottleneck=0.5))
    highway = build_model("Highway", 6, 2, 3, 16, dropout=0.5)
    assert sum(isinstance(m, nn.Dropout) for m in highway) == 2  # after each of the depth - 1 highway layers
    highway.eval()
    assert highway(torch.randn(4, 6)).shape == (4, 2)


def test_glorot_uniform_output_layer_as_the_official_figure1_code():
    torch.manual_seed(0)
    family = build_model("SNN", 784, 10, 3, 784)
    torch.manual_seed(0)
    glorot = build_model("SNN", 784, 10, 3, 784, output_init="glorot_uniform")
    for a, b in zip(list(family)[:-1], list(glorot)[:-1]):  # hidden layers: the same draws
        for pa, pb in zip(a.parameters(), b.parameters()):
            assert torch.equal(pa, pb)
    w, bound = glorot[-1].weight.detach(), math.sqrt(6 / (784 + 10))
    assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound  # uniform on [-bound, bound]
    assert float(w.std()) == pytest.approx(bound / math.sqrt(3), rel=0.05)
    # the family (SNN) draws the output layer like its hidden layers: LeCun normal
    assert float(family[-1].weight.detach().std()) == pytest.approx(math.sqrt(1 / 784), rel=0.05)
    assert torch.count_nonzero(glorot[-1].bias) == 0
    with pytest.raises(ValueError, match="output_init"):
        build_model("SNN", 4, 2, 1, 4, output_init="he")


def test_highway_gate_bias_starts_closed_and_residual_blocks_end_in_a_relu():
    from snnlib.models import HighwayLayer, ResidualBlock

    assert torch.all(HighwayLayer(4).t.bias == -1.0)  # carry the input at first (Srivastava et al.)
    torch.manual_seed(0)
    out = ResidualBlock(4).train()(torch.randn(16, 4) - 3.0)
    assert torch.all(out >= 0) and (out == 0).any()
