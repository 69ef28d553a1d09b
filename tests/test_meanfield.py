"""Mean-field maps (Schoenholz et al. 2017) for SELU, checked against closed forms and Monte Carlo."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from snnlib import ALPHA_01, LAMBDA_01, second_moment_map
from snnlib.meanfield import (
    ACTIVATIONS,
    activation_moments,
    chi1,
    chi_c,
    compare_maps,
    correlation_fixed_point,
    correlation_map,
    depth_scale,
    fixed_point_rounded_constants,
    gaussian_expectation_2d,
    qmap,
    qmap_fixed_point,
    qmap_trajectory,
    round_to_dtype,
    rounded_selu_constants,
)

A, L = ALPHA_01, LAMBDA_01


@pytest.mark.parametrize("q, tau", [(1.0, 1.0), (0.3, 0.5625), (2.5, 1.2), (1e-4, 1 / 3)])
def test_qmap_equals_closed_form_second_moment(q, tau):
    # E[selu(z)^2], z ~ N(0, q): paper Eq. (13) at omega = 0 (snnlib.moments)
    assert qmap(q, tau) == pytest.approx(tau * float(second_moment_map(0.0, q)[1]), rel=1e-12)


def test_chi1_at_lecun_init_is_1_0716():
    # lam^2 (1/2 + alpha^2 e^2 Phi(-2)): selu_in_practice.md §3.1 [recomputed]
    exact = L ** 2 * (0.5 + A ** 2 * math.e ** 2 * norm.cdf(-2.0))
    assert chi1() == pytest.approx(exact, rel=1e-12)
    assert chi1() == pytest.approx(1.07157, abs=1e-5)


def test_correlation_slope_and_depth_scale():
    # c* = 0 because E[selu(z)] = 0; slope (E[selu'(z)])^2 = (lam (1/2 + alpha sqrt(e) Phi(-1)))^2
    assert abs(correlation_fixed_point()) < 1e-10
    exact = (L * (0.5 + A * math.sqrt(math.e) * norm.cdf(-1.0))) ** 2
    assert chi_c() == pytest.approx(exact, rel=1e-10)
    assert depth_scale(chi_c()) == pytest.approx(33.6, abs=0.05)


def test_relu_correlation_matches_arc_cosine_kernel():
    # Cho & Saul (2009): E[relu(u1) relu(u2)] = q / (2 pi) (sqrt(1 - c^2) + (pi - arccos c) c)
    relu = ACTIVATIONS["relu"][0]
    for c in (-0.9, -0.3, 0.2, 0.77, 0.999):
        exact = 1.7 / (2 * math.pi) * (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c)
        assert gaussian_expectation_2d(relu, relu, 1.7, c) == pytest.approx(exact, rel=1e-10)


def test_selu_correlation_map_against_monte_carlo():
    rng = np.random.default_rng(0)
    z1, z2 = rng.standard_normal((2, 2_000_000))
    c = 0.6
    u2 = c * z1 + math.sqrt(1 - c * c) * z2
    f = ACTIVATIONS["selu"][0]
    prod = f(z1) * f(u2)
    assert correlation_map(c, q=1.0) == pytest.approx(prod.mean(), abs=5 * prod.std() / math.sqrt(prod.size))
    assert correlation_map(1.0, q=1.0) == pytest.approx(1.0, abs=1e-12)


def test_qmap_fixed_points_collapse_and_divergence():
    assert qmap_fixed_point(1.0) == pytest.approx(1.0, abs=1e-12)
    assert qmap_fixed_point(1 / 3) == 0.0  # PyTorch default nn.Linear weights: collapse
    assert qmap_fixed_point(2.0) == math.inf  # He init: divergence
    assert qmap_fixed_point(1 / 3, sigma_b2=1e-3) > 0  # a bias keeps a floor


def test_gain_three_quarters_qmap_vs_g():
    # selu_in_practice.md §3.1: q-map std 0.1996, g-map std 0.164 at tau = 0.5625
    out = compare_maps(0.5625)
    assert out["qmap_std"] == pytest.approx(0.1996, abs=5e-4)
    assert out["g_std"] == pytest.approx(0.1636, abs=5e-4)
    m, v = activation_moments(1.0)
    assert (m, v) == pytest.approx((0.0, 1.0), abs=1e-12)


def test_bfloat16_constants_and_fixed_point():
    assert rounded_selu_constants("bfloat16") == (1.671875, 1.046875)
    mu, nu = fixed_point_rounded_constants("bfloat16")
    assert nu == pytest.approx(0.9636, abs=1e-4) and mu == pytest.approx(-0.0029, abs=1e-4)
    assert fixed_point_rounded_constants("float16")[1] == pytest.approx(0.9997, abs=1e-4)


def test_round_to_bfloat16_matches_torch():
    rng = np.random.default_rng(0)
    for x in rng.standard_normal(200) * 10:
        assert round_to_dtype(float(x), "bfloat16") == float(torch.tensor(float(x)).to(torch.bfloat16).float())
    with pytest.raises(ValueError, match="dtype"):
        round_to_dtype(1.0, "int8")


def test_qmap_trajectory_settles_at_fixed_point_and_validates():
    _, std = qmap_trajectory(200, 0.5625)
    assert std[-1] == pytest.approx(compare_maps(0.5625)["qmap_std"], rel=1e-6)
    mean, std = qmap_trajectory(3, 1.0)
    np.testing.assert_allclose(std, 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="dropout_keep"):
        qmap_trajectory(3, dropout_keep=0.0)
