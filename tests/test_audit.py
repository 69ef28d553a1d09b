"""Framework audit measurements (small networks; chapter "SELU in real frameworks")."""

import math

import numpy as np
import pytest
import torch

from snnlib.audit import AUDIT, functional_alpha_dropout_is_identity, run_audit
from snnlib.meanfield import chi1, qmap_trajectory
from snnlib.propagation import measure_deep_network

SMALL = {"depth": 30, "width": 256, "n": 512, "n_grad": 128}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # small matrices on a shared CPU: one thread avoids OpenMP spin-waiting (restored afterwards)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_lecun_keeps_0_1_and_gradient_grows_like_chi1():
    s = measure_deep_network(**SMALL)
    mean, std = s.settled(10)
    assert abs(mean) < 0.05 and std == pytest.approx(1.0, abs=0.05)
    assert s.grad_ratio == pytest.approx(chi1() ** 15, rel=0.25)  # 2.82 predicted


def test_pytorch_defaults_shrink_the_signal():
    out = run_audit(["torch_default", "kaiming_selu"], **SMALL)
    assert out["torch_default"].std[-1] < 0.2
    # the q-map over random weights predicts every layer; g at omega = 0 would settle at 0.164 instead
    _, predicted = qmap_trajectory(30, 0.5625)
    np.testing.assert_allclose(out["kaiming_selu"].std[1:], predicted, rtol=0.05)


def test_functional_alpha_dropout_does_nothing():
    assert functional_alpha_dropout_is_identity()
    a = measure_deep_network(**{**SMALL, "depth": 5})
    b = measure_deep_network(dropout="functional_alpha_default", **{**SMALL, "depth": 5})
    np.testing.assert_array_equal(a.std, b.std)


def test_standard_dropout_inflates_variance_alpha_dropout_does_not():
    small = {**SMALL, "depth": 20}
    std = measure_deep_network(dropout="standard", **small).settled(10)[1]
    alpha = measure_deep_network(dropout="alpha", **small).settled(10)[1]
    assert std ** 2 > 1.3 and alpha == pytest.approx(1.0, abs=0.05)


def test_scaled_residual_keeps_variance_plain_doubles():
    plain = measure_deep_network(residual="plain", **{**SMALL, "depth": 3})
    scaled = measure_deep_network(residual="scaled", **SMALL)
    assert plain.std[1] ** 2 == pytest.approx(2.0, rel=0.05)
    assert scaled.std[-1] == pytest.approx(1.0, abs=0.05)


def test_bfloat16_runs_and_config_recorded():
    s = measure_deep_network(dtype=torch.bfloat16, **{**SMALL, "depth": 5})
    assert s.config["dtype"] == "bfloat16" and np.all(np.isfinite(s.std))
    assert set(AUDIT) >= {"torch_default", "kaiming_selu", "standard_dropout", "bf16_constants"}


@pytest.mark.parametrize("kwargs, name", [({"depth": 0}, "depth"), ({"residual": "x"}, "residual"),
                                          ({"activation": "gelu"}, "activation"), ({"dropout": "x"}, "dropout")])
def test_invalid_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        measure_deep_network(**{**SMALL, **kwargs})


def test_run_audit_rejects_unknown_names():
    with pytest.raises(ValueError, match="names"):
        run_audit(["nope"])
    assert math.isfinite(chi1())
