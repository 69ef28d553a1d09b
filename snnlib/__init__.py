"""snnlib: the tested library behind the executable book on Self-Normalizing Neural Networks.

The core (theory wing) is public at the top level; training-wing modules are imported as ``snnlib.<module>``.
The top-level names load on first use (PEP 562), so that ``python -m snnlib`` handles Ctrl-C and SIGTERM before
numpy and scipy import.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

#: Each public top-level name and the module that defines it.
_HOME: dict[str, str] = {
    **dict.fromkeys(("ALPHA_01", "LAMBDA_01", "alpha01_lambda01_closed_form", "elu", "leaky_relu", "relu", "selu",
                     "tanh"), "activations"),
    **dict.fromkeys(("fixed_point", "iterate_map", "selu_parameters"), "fixed_point"),
    **dict.fromkeys(("jacobian", "largest_singular_value_2x2", "mean_var_map", "second_moment_map", "spectral_norm",
                     "spectral_norm_mu_xi"), "moments"),
    **dict.fromkeys(("jacobian_mpmath", "mean_var_map_mpmath", "moments_monte_carlo", "moments_quadrature"),
                    "reference"),
    **dict.fromkeys(("provenance", "seed_everything"), "reproducibility"),
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    try:  # snnlib.moments etc. without importing them first, as the eager package allowed
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


class _Package(types.ModuleType):
    """Importing the submodule ``snnlib.fixed_point`` must not replace the function ``snnlib.fixed_point`` (the
    eager package bound the function after the submodule, with the same result)."""

    def __setattr__(self, name: str, value) -> None:
        if name in _HOME and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
