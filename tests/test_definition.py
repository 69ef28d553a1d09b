"""Tests of snnlib.definition: Definition 1 checked numerically for any activation (chapter "Definition 1 and SELU")."""

from __future__ import annotations

import math

import numpy as np
import pytest

import snnlib
from snnlib.definition import (
    COMPARED_ACTIVATIONS,
    SCALED_RELU_GAIN,
    Definition1Check,
    activation_map,
    check_definition1,
    check_domain,
    numerical_jacobian,
)

SELU = COMPARED_ACTIVATIONS["SELU"]


def test_scalar_selu_matches_the_library_selu():
    xs = np.linspace(-6, 6, 101)
    np.testing.assert_allclose([SELU(float(x)) for x in xs], snnlib.selu(xs), rtol=1e-15, atol=1e-15)


def test_selu_map_at_0_1_is_0_1():
    # paper Eq. (14): alpha01, lambda01 are defined by g(0, 1) = (0, 1) at omega = 0, tau = 1
    mu, nu = activation_map(SELU, 0.0, 1.0)
    assert abs(mu) < 1e-12 and nu == pytest.approx(1.0, abs=1e-12)


def test_activation_map_agrees_with_closed_form_g():
    for mu, nu, omega, tau in [(0.1, 0.9, 0.05, 1.05), (-0.1, 1.4, -0.1, 0.95), (0.5, 2.0, 0.3, 1.2)]:
        quad = activation_map(SELU, mu, nu, omega, tau)
        closed = snnlib.mean_var_map(mu, nu, omega, tau)
        np.testing.assert_allclose(quad, [float(closed[0]), float(closed[1])], rtol=1e-9, atol=1e-12)


def test_relu_variance_map_is_linear_with_slope_below_1():
    # Var(relu(z)) = nu (1/2 - 1/(2 pi)) for z ~ N(0, nu)
    for nu in (0.5, 1.0, 3.0):
        assert activation_map(COMPARED_ACTIVATIONS["ReLU"], 0.0, nu)[1] == pytest.approx(
            nu * (0.5 - 0.5 / math.pi), rel=1e-10)


def test_numerical_jacobian_matches_closed_form_at_fixed_point():
    # paper Eq. (6): J(0, 1) = [[0, 0.0888], [0, 0.7826]] for omega = 0, tau = 1
    np.testing.assert_allclose(numerical_jacobian(SELU, 0.0, 1.0), snnlib.jacobian(0.0, 1.0), atol=1e-8)


def test_selu_has_stable_attracting_fixed_point_0_1_with_spectral_norm_0_7877():
    # paper §"Stable and Attracting Fixed Point (0,1)": spectral norm of the Jacobian at (0, 1) is 0.7877
    result = check_definition1(SELU, "SELU")
    assert result.self_normalizing
    assert result.fixed_point[0] == pytest.approx(0.0, abs=1e-9)
    assert result.fixed_point[1] == pytest.approx(1.0, abs=1e-9)
    assert result.spectral_norm == pytest.approx(0.7877, abs=5e-5)
    assert result.spectral_norm == pytest.approx(float(snnlib.spectral_norm(0.0, 1.0)), abs=1e-7)


def test_selu_converges_from_far_starts():
    for start in [(0.0, 0.05), (1.0, 5.0), (-2.0, 20.0)]:
        result = check_definition1(SELU, "SELU", start=start)
        assert result.self_normalizing and result.fixed_point[1] == pytest.approx(1.0, abs=1e-8)


def test_selu_fixed_point_moves_with_omega_tau_inside_theorem1_domain():
    # paper Theorem 1: for omega, tau in [-0.1, 0.1] x [0.95, 1.1] the fixed point lies in
    # mu in [-0.03106, 0.06773], nu in [0.80009, 1.48617]
    result = check_definition1(SELU, "SELU", omega=0.1, tau=1.1)
    assert result.self_normalizing
    mu, nu = result.fixed_point
    assert -0.03106 <= mu <= 0.06773 and 0.80009 <= nu <= 1.48617
    np.testing.assert_allclose(result.fixed_point, snnlib.fixed_point(0.1, 1.1), atol=1e-8)


@pytest.mark.parametrize("name", ["ReLU", "leaky ReLU"])
def test_relu_like_variance_collapses(name):
    result = check_definition1(COMPARED_ACTIVATIONS[name], name)
    assert not result.self_normalizing and result.fixed_point is None
    assert "collapses" in result.verdict and result.last_point[1] < 1e-8


@pytest.mark.parametrize("name", ["ELU", "tanh"])
def test_elu_and_tanh_have_no_positive_variance_fixed_point(name):
    result = check_definition1(COMPARED_ACTIVATIONS[name], name, max_iter=100)
    assert not result.self_normalizing
    assert "shrinking" in result.verdict and result.last_point[1] < 0.01


def test_scaled_relu_has_a_fixed_point_that_is_not_a_contraction():
    # paper §"Constructing Self-Normalizing Neural Networks": SNNs cannot be derived with scaled ReLUs
    assert activation_map(COMPARED_ACTIVATIONS["scaled ReLU"], 0.0, 2.0)[1] == pytest.approx(2.0, rel=1e-10)
    result = check_definition1(COMPARED_ACTIVATIONS["scaled ReLU"], "scaled ReLU")
    assert result.fixed_point is not None and result.spectral_norm >= 1.0 and not result.self_normalizing
    assert SCALED_RELU_GAIN == pytest.approx(1.71286, abs=1e-5)  # sqrt(2 pi / (pi - 1))


def test_exploding_variance_is_reported():
    result = check_definition1(lambda x: 3.0 * x, "3x")
    assert result.fixed_point is None and "explodes" in result.verdict


def test_as_row_prints_no_negative_zero():
    row = Definition1Check("f", (-1e-17, 1.0), 0.78767, 1, "ok").as_row()
    assert row["fixed point (mu, nu)"] == "(0.0000, 1.0000)" and row["spectral norm"] == "0.7877"
    assert Definition1Check("g", None, None, 3, "none").as_row()["spectral norm"] == "-"


def test_check_domain_selu_on_theorem1_box_maps_into_and_contracts():
    # paper Theorem 1 domain with omega = 0, tau = 1: g(Omega) ⊆ Omega and S < 1 (sampled)
    result = check_domain(SELU, (-0.1, 0.1), (0.8, 1.5), grid=3)
    assert result.maps_into and result.contracting
    assert 0.78 < result.max_spectral_norm < 0.9


def test_check_domain_relu_does_not_map_into():
    result = check_domain(COMPARED_ACTIVATIONS["ReLU"], (-0.1, 0.1), (0.8, 1.5), grid=2)
    assert not result.maps_into


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tau": 0.0}, "tau"),
    ({"omega": float("inf")}, "omega"),
    ({"start": (0.0, -1.0)}, "nu"),
])
def test_check_definition1_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_definition1(SELU, **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mu_bounds": (0.1, -0.1), "nu_bounds": (0.8, 1.5)}, "low <= high"),
    ({"mu_bounds": (-0.1, 0.1), "nu_bounds": (0.0, 1.5)}, "nu_bounds"),
    ({"mu_bounds": (-0.1, 0.1), "nu_bounds": (0.8, 1.5), "grid": 1}, "grid"),
])
def test_check_domain_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_domain(SELU, **kwargs)
