"""Initialisers and per-unit weight statistics (paper §"Initialization", Theorem 1's weight domain)."""

import math

import numpy as np
import pytest
import torch

from snnlib.init import (
    INITIALIZERS,
    expected_tau,
    in_theorem1_box,
    init_linear_,
    layer_weight_stats,
    lecun_normal_,
    truncated_normal_variance,
    weight_drift_on_digits,
    weight_stats,
)


def test_truncated_normal_variance_matches_keras_constant():
    # Keras divides the stddev by 0.87962566103423978 (keras #8048); tfjs #8594 measures 0.7735
    v = truncated_normal_variance(2.0)
    assert v == pytest.approx(0.7737413035499232, rel=1e-12)
    assert math.sqrt(v) == pytest.approx(0.87962566103423978, rel=1e-14)


def test_weight_stats_by_hand():
    w = torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    omega, tau = weight_stats(w)
    np.testing.assert_allclose(omega, [-0.5, 2.0])
    np.testing.assert_allclose(tau, [5.25, 10.0])
    with pytest.raises(ValueError, match="weight"):
        weight_stats(np.ones(3))


@pytest.mark.parametrize("init", [*INITIALIZERS, "torch_default"])
def test_measured_tau_matches_expected(init):
    torch.manual_seed(0)
    layer = init_linear_(torch.nn.Linear(1024, 512), init)
    _, tau = weight_stats(layer)
    # mean over 512 units of tau, each with relative sd <= sqrt(2/1024): tolerance 1%
    assert tau.mean() == pytest.approx(expected_tau(init), rel=0.01)


def test_omega_does_not_concentrate_but_tau_does():
    # Var(omega) = n * (1/n) = 1 per unit, while sd(tau) = sqrt(2/n)
    torch.manual_seed(0)
    omega, tau = weight_stats(init_linear_(torch.nn.Linear(2048, 2048), "lecun_normal"))
    assert omega.std() == pytest.approx(1.0, rel=0.05)
    assert tau.std() == pytest.approx(math.sqrt(2 / 2048), rel=0.1)
    assert abs(omega.mean()) < 0.1


def test_theorem1_box():
    assert in_theorem1_box([0.0, 0.1, -0.11, 0.0], [1.0, 0.95, 1.0, 1.11]).tolist() == [True, True, False, False]


def test_bias_zeroed_except_torch_default():
    torch.manual_seed(0)
    assert torch.count_nonzero(init_linear_(torch.nn.Linear(8, 8), "lecun_normal").bias) == 0
    assert torch.count_nonzero(init_linear_(torch.nn.Linear(8, 8), "torch_default").bias) == 8
    with pytest.raises(ValueError, match="init"):
        init_linear_(torch.nn.Linear(8, 8), "xavier")


def test_weight_drift_records_every_layer_and_learns():
    out = weight_drift_on_digits("adam", epochs=2, width=32, depth=2)
    assert len(out["stats"]) == 3 and len(out["stats"][0]) == 3
    assert out["test_accuracy"] > 0.5  # chance is 0.1
    assert out["stats"][0][1]["tau_mean"] == pytest.approx(1.0, abs=0.1)
    assert out["stats"][2][1]["tau_mean"] != out["stats"][0][1]["tau_mean"]
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.SELU(), torch.nn.Linear(3, 2))
    rows = layer_weight_stats(net)
    assert len(rows) == 2  # one row per nn.Linear, in order
    for row, layer in zip(rows, (net[0], net[2])):
        w = layer.weight.detach().double()
        assert row["tau_mean"] == pytest.approx(float((w**2).sum(1).mean()))
        assert row["omega_mean"] == pytest.approx(float(w.sum(1).mean()))


def test_omega_spread_is_the_population_standard_deviation_and_fan_in_counts_receptive_fields():
    lin = torch.nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[-0.5, -0.5], [0.5, 0.5]]))  # omega = -1 and 1
    (row,) = layer_weight_stats(torch.nn.Sequential(lin))
    assert row["omega_std"] == pytest.approx(1.0)
    torch.manual_seed(0)
    conv = lecun_normal_(torch.empty(64, 16, 3, 3))  # fan_in = 16 * 3 * 3 = 144
    assert float(conv.std()) * 12 == pytest.approx(1.0, abs=0.05)


def test_layer_weight_stats_counts_units_in_theorem_1_box_exactly():
    """Four hand-made units with known (omega, tau): in the box; tau out; omega out; both out."""
    lin = torch.nn.Linear(2, 4, bias=False)
    with torch.no_grad():  # rows w give omega = w1 + w2, tau = w1^2 + w2^2
        lin.weight.copy_(torch.tensor([[0.7, -0.7], [0.8, -0.8], [0.75, -0.5], [0.9, 0.9]]))
    # tau: 0.98 (in), 1.28 (out), 0.8125 (out), 1.62 (out); omega: 0 (in), 0 (in), 0.25 (out), 1.8 (out)
    (row,) = layer_weight_stats(torch.nn.Sequential(lin))
    assert row["frac_tau_in_box"] == 0.25 and row["frac_omega_in_box"] == 0.5 and row["frac_in_box"] == 0.25
    assert row["tau_min"] == pytest.approx(0.8125) and row["tau_max"] == pytest.approx(1.62)
    np.testing.assert_array_equal(in_theorem1_box([0.0, 0.0, 0.25, 0.05], [0.98, 1.28, 1.0, 0.96]),
                                  [True, False, False, True])
