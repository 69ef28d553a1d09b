"""Alpha dropout (paper §"New Dropout Technique"): parameters, moments by Monte Carlo, agreement with torch."""

import math

import pytest
import torch

from snnlib import ALPHA_01, LAMBDA_01, selu, selu_parameters
from snnlib.dropout import (
    AlphaDropout,
    alpha_dropout_moments,
    alpha_dropout_params,
    saturation_value,
    torch_alpha_dropout_params,
)


def _moments_after_dropout(x: torch.Tensor, module: torch.nn.Module) -> tuple[float, float, float, float]:
    y = module.train()(x).double()
    n = y.numel()
    mean, var = float(y.mean()), float(y.var())
    se_var = float(((y - mean) ** 2).std() / math.sqrt(n))
    return mean, var, math.sqrt(var / n), se_var


def test_saturation_value_is_torch_constant():
    # ATen Dropout.cpp hard-codes alpha = 1.7580993408473766
    assert saturation_value() == pytest.approx(-1.7580993408473766, rel=1e-15)


@pytest.mark.parametrize("rate, a, b", [(0.05, 0.954844476, 0.083935572), (0.10, 0.921284516, 0.161970970)])
def test_params_at_0_1_match_paper_formula(rate, a, b):
    # paper_facts.md §4 [recomputed with mpmath]
    got = alpha_dropout_params(rate)
    assert got == pytest.approx((a, b), abs=1e-9)


@pytest.mark.parametrize("p", [0.01, 0.1, 0.3, 0.7])
def test_params_match_torch_kernel_formula(p):
    # ATen: a = 1 / sqrt((alpha^2 p + 1)(1 - p)), kept units get a x + alpha a p
    alpha = 1.7580993408473766
    a_torch = 1.0 / math.sqrt((alpha ** 2 * p + 1.0) * (1.0 - p))
    a, b = alpha_dropout_params(p)
    assert a == pytest.approx(a_torch, rel=1e-13)
    assert b == pytest.approx(alpha * a_torch * p, rel=1e-13)


def test_rate_zero_is_identity_parameters():
    assert alpha_dropout_params(0.0, mean=-0.3, var=2.5) == pytest.approx((1.0, 0.0), abs=1e-15)


@pytest.mark.parametrize("mean, var", [(0.0, 1.0), (-0.1, 2.0)])
def test_monte_carlo_restores_fixed_point(mean, var):
    alpha, lam = selu_parameters(mean, var)  # SELU whose fixed point (omega=0, tau=1) is (mean, var)
    torch.manual_seed(0)
    x = selu(torch.randn(1_000_000, dtype=torch.float64) * math.sqrt(var), alpha, lam)
    assert float(x.mean()) == pytest.approx(mean, abs=0.005)
    m, v, se_m, se_v = _moments_after_dropout(x, AlphaDropout(0.1, mean, var, alpha, lam))
    assert abs(m - float(x.mean())) < 5 * se_m + 1e-3
    assert abs(v - float(x.var())) < 5 * se_v + 1e-3


def test_wrong_fixed_point_does_not_restore_moments():
    # the (0, 1) parameters applied at (-0.1, 2) shift the variance: the Monte Carlo test above can fail
    alpha, lam = selu_parameters(-0.1, 2.0)
    torch.manual_seed(0)
    x = selu(torch.randn(400_000, dtype=torch.float64) * math.sqrt(2.0), alpha, lam)
    _, v, _, se_v = _moments_after_dropout(x, AlphaDropout(0.1, alpha=alpha, lam=lam))
    assert abs(v - float(x.var())) > 20 * se_v


def test_same_moments_and_values_as_torch_alpha_dropout():
    torch.manual_seed(1)
    x = selu(torch.randn(1_000_000, dtype=torch.float64))
    ours = _moments_after_dropout(x, AlphaDropout(0.1))
    theirs = _moments_after_dropout(x, torch.nn.AlphaDropout(0.1))
    assert ours[0] == pytest.approx(theirs[0], abs=5 * ours[2])
    assert ours[1] == pytest.approx(theirs[1], abs=5 * ours[3])
    big = torch.full((10_000,), 50.0, dtype=torch.float64)  # dropped units are the minimum of the output
    torch.manual_seed(2)
    assert float(AlphaDropout(0.2).train()(big).min()) == pytest.approx(
        float(torch.nn.AlphaDropout(0.2).train()(big).min()), rel=1e-12)


def test_eval_mode_is_identity():
    x = torch.randn(100)
    assert torch.equal(AlphaDropout(0.5).eval()(x), x)


def test_other_alpha_lambda_change_saturation():
    assert saturation_value(2.0, 1.5) == -3.0
    assert alpha_dropout_params(0.1, alpha=ALPHA_01, lam=LAMBDA_01) != alpha_dropout_params(0.1, alpha=2.0, lam=1.5)


@pytest.mark.parametrize("kwargs, name", [({"rate": 1.0}, "rate"), ({"rate": -0.1}, "rate"), ({"rate": True}, "rate"),
                                          ({"rate": 0.1, "var": 0.0}, "var"),
                                          ({"rate": 0.1, "mean": float("nan")}, "mean"),
                                          ({"rate": 0.1, "alpha": -1.0}, "alpha")])
def test_invalid_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        alpha_dropout_params(**kwargs)


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.2, 0.5, 0.9])
def test_params_keep_mean_and_variance_exactly_and_agree_with_what_torch_applies(rate):
    a, b = alpha_dropout_params(rate)
    mean, var = alpha_dropout_moments(rate, a, b)
    assert abs(mean) < 1e-15 and abs(var - 1) < 1e-14
    torch.manual_seed(0)
    a_t, b_t = torch_alpha_dropout_params(rate)
    assert a_t == pytest.approx(a, rel=1e-13) and b_t == pytest.approx(b, rel=1e-13, abs=1e-15)


def test_moments_of_other_parameters_and_fixed_points():
    a, b = alpha_dropout_params(0.1, mean=0.5, var=2.0)
    assert alpha_dropout_moments(0.1, a, b, mean=0.5, var=2.0) == pytest.approx((0.5, 2.0), rel=1e-14)
    mean, var = alpha_dropout_moments(0.1, 1.0, 0.0)  # no correction: the mean moves to (1 - q) alpha'
    assert mean == pytest.approx(0.1 * saturation_value()) and var > 1
    assert alpha_dropout_moments(0.0, 1.0, 0.0, mean=0.3, var=0.7) == pytest.approx((0.3, 0.7))
    with pytest.raises(ValueError, match="rate"):
        alpha_dropout_moments(1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="var"):
        alpha_dropout_moments(0.1, 1.0, 0.0, var=0.0)


def test_torch_params_at_rate_zero_and_when_no_unit_is_dropped():
    assert torch_alpha_dropout_params(0.0) == (1.0, 0.0)
    with pytest.raises(RuntimeError, match="increase n"):
        torch_alpha_dropout_params(1e-9, n=10, max_tries=3)


def test_params_for_a_huge_mean_do_not_overflow():
    # (alpha' - 1e160)**2 raised OverflowError; the spread is a hypot: a = sqrt(var / (q (1-q))) / |alpha' - mean|
    a, b = alpha_dropout_params(0.05, mean=1e160)
    assert a == pytest.approx(1.0 / math.sqrt(0.95 * 0.05) / 1e160, rel=1e-14)
    mean, var = alpha_dropout_moments(0.05, a, b, mean=1e160)
    assert mean == pytest.approx(1e160, rel=1e-15) and var == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("kwargs, match", [({"mean": 1j}, r"^mean \(.+\) must be real"),
                                           ({"var": 1e-300, "mean": 1e308}, r"^mean and var .+ float64 range")])
def test_params_refuse_complex_or_unrepresentable_fixed_points(kwargs, match):
    with pytest.raises(ValueError, match=match):
        alpha_dropout_params(0.05, **kwargs)
