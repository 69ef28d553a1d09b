"""Tests of snnlib.propagation: signals through deep random networks (chapter "Why plain deep networks struggle")."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from snnlib.propagation import STANDARD_SETUPS, LayerStatistics, forward_statistics, standard_setups_statistics

SMALL = {"depth": 32, "width": 256, "n_samples": 256}


def test_selu_with_variance_1_over_n_keeps_std_near_1_at_depth_32():
    # paper §"Stable and Attracting Fixed Point (0,1) for Normalized Weights": (0, 1) is attracting for SELU
    stats = forward_statistics("selu", gain=1.0, **SMALL)
    assert np.all((stats.std >= 0.9) & (stats.std <= 1.1))
    assert np.all(np.abs(stats.mean) < 0.1)


def test_relu_with_pytorch_default_init_vanishes_geometrically():
    # weight variance 1/(3n): the second moment shrinks by 1/6 per layer (E relu(z)^2 = Var(z) / 2)
    stats = forward_statistics("relu", gain=1.0 / math.sqrt(3.0), **SMALL)
    ratio = (stats.second_moment[-1] / stats.second_moment[0]) ** (1 / 32)  # per layer, over all 32 layers
    assert ratio == pytest.approx(1.0 / 6.0, rel=0.05)
    assert stats.std[-1] < 1e-10


def test_relu_with_he_init_keeps_the_second_moment_not_the_mean():
    # He et al. (2015): variance 2/n preserves E[x^2] in expectation, but relu outputs have mean > 0
    stats = forward_statistics("relu", gain=math.sqrt(2.0), depth=8, width=256, n_samples=256)
    assert np.all(stats.mean[1:] > 0.3)
    assert 0.5 < stats.second_moment[-1] < 2.0


def test_tanh_with_xavier_init_shrinks():
    stats = forward_statistics("tanh", gain=1.0, **SMALL)
    assert stats.std[-1] < 0.3 and stats.std[-1] < stats.std[1]


def test_linear_network_with_gain_1_preserves_second_moment_on_average():
    stats = forward_statistics("linear", depth=4, width=512, n_samples=512)
    assert 0.7 < stats.second_moment[-1] < 1.4


def test_shapes_and_input_statistics():
    stats = forward_statistics("selu", depth=3, width=16, n_samples=8)
    assert isinstance(stats, LayerStatistics) and stats.depth == 3
    assert stats.mean.shape == stats.std.shape == stats.second_moment.shape == (4,)
    np.testing.assert_allclose(stats.second_moment, stats.mean**2 + stats.std**2 * (8 * 16 - 1) / (8 * 16))


def test_same_seed_same_result_and_different_seed_differs():
    a = forward_statistics("tanh", depth=4, width=32, n_samples=16, seed=3)
    b = forward_statistics("tanh", depth=4, width=32, n_samples=16, seed=3)
    c = forward_statistics("tanh", depth=4, width=32, n_samples=16, seed=4)
    np.testing.assert_array_equal(a.std, b.std)
    assert not np.array_equal(a.std, c.std)


def test_float32_agrees_with_float64_to_single_precision_noise():
    a = forward_statistics("selu", depth=8, width=64, n_samples=64, dtype="float32")
    b = forward_statistics("selu", depth=8, width=64, n_samples=64, dtype="float64")
    np.testing.assert_allclose(a.std, b.std, rtol=1e-5)  # same draws; only float32 rounding differs
    np.testing.assert_allclose(a.mean, b.mean, atol=1e-5)
    assert not np.array_equal(a.std, b.std)  # ... and it does differ: the two runs really used two precisions


def test_thread_count_is_restored():
    before = torch.get_num_threads()
    forward_statistics("relu", depth=2, width=8, n_samples=4)
    assert torch.get_num_threads() == before


def test_standard_setups_are_the_four_of_the_chapter():
    assert [act for act, _ in STANDARD_SETUPS.values()] == ["relu", "relu", "tanh", "selu"]
    result = standard_setups_statistics(depth=2, width=8, n_samples=4)
    assert list(result) == list(STANDARD_SETUPS)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"activation": "sigmoid"}, "activation must be one of"),
    ({"activation": "selu", "depth": 0}, "depth"),
    ({"activation": "selu", "depth": 2.5}, "depth"),
    ({"activation": "selu", "depth": True}, "depth"),
    ({"activation": "selu", "width": 0}, "width"),
    ({"activation": "selu", "n_samples": 1}, "n_samples"),
    ({"activation": "selu", "gain": 0.0}, "gain"),
    ({"activation": "selu", "gain": float("nan")}, "gain"),
    ({"activation": "selu", "gain": -1.0}, "gain"),
    ({"activation": "selu", "seed": -1}, "seed"),
    ({"activation": "selu", "dtype": "float16"}, "dtype"),
])
def test_forward_statistics_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        forward_statistics(**kwargs)


def test_plot_signal_propagation_draws_one_curve_per_setup_and_panel():
    import matplotlib

    matplotlib.use("Agg")
    from snnlib.propagation import plot_signal_propagation

    stats = standard_setups_statistics(depth=4, width=16, n_samples=20, seed=0)
    fig = plot_signal_propagation(stats)
    assert len(fig.axes) == 2 and all(len(ax.lines) == len(stats) for ax in fig.axes)
    assert fig.axes[1].get_yscale() == "log" and fig.axes[0].get_yscale() == "linear"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(stats)
    one = plot_signal_propagation(stats, panels=("std",))
    assert len(one.axes) == 1 and one.axes[0].get_yscale() == "log"
    for bad in ((), ("var",), ("std", "std")):
        with pytest.raises(ValueError, match="panels"):
            plot_signal_propagation(stats, panels=bad)
    with pytest.raises(ValueError, match="stats"):
        plot_signal_propagation({})


def test_forward_statistics_is_measure_deep_network_with_lecun_weights_times_gain():
    """One implementation: the motivation chapter's runs are the audit's measurement with a gain."""
    from snnlib.propagation import measure_deep_network

    a = forward_statistics("tanh", depth=4, width=32, n_samples=16, gain=1.5, seed=2)
    b = measure_deep_network("tanh", "lecun_normal", depth=4, width=32, n=16, dtype="float64", seed=2, n_grad=0,
                             gain=1.5)
    assert np.array_equal(a.std, b.std) and np.array_equal(a.second_moment, b.second_moment)
    assert a.grad_norm is None and b.config["gain"] == 1.5
    with pytest.raises(ValueError, match="n_grad"):
        _ = a.grad_ratio
    plain = measure_deep_network("tanh", "lecun_normal", depth=4, width=32, n=16, dtype="float64", seed=2, n_grad=0)
    assert plain.std[1] < a.std[1]  # the gain is applied: larger weights, larger activations
