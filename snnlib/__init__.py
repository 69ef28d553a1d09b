"""snnlib: the tested library behind the executable book on Self-Normalizing Neural Networks.

The core (theory wing) is public at the top level; training-wing modules are imported as ``snnlib.<module>``.
"""

from .activations import ALPHA_01, LAMBDA_01, alpha01_lambda01_closed_form, elu, leaky_relu, relu, selu, tanh
from .fixed_point import fixed_point, iterate_map, selu_parameters
from .moments import (
    jacobian,
    largest_singular_value_2x2,
    mean_var_map,
    second_moment_map,
    spectral_norm,
    spectral_norm_mu_xi,
)
from .reference import jacobian_mpmath, mean_var_map_mpmath, moments_monte_carlo, moments_quadrature
from .reproducibility import provenance, seed_everything

__version__ = "0.1.0"

__all__ = [
    "ALPHA_01", "LAMBDA_01", "alpha01_lambda01_closed_form", "elu", "fixed_point", "iterate_map", "jacobian",
    "jacobian_mpmath", "largest_singular_value_2x2", "leaky_relu", "mean_var_map", "mean_var_map_mpmath",
    "moments_monte_carlo", "moments_quadrature", "provenance", "relu", "second_moment_map", "seed_everything", "selu",
    "selu_parameters", "spectral_norm", "spectral_norm_mu_xi", "tanh",
]
