"""Argument checks shared by the public functions (ValueError naming parameter, meaning and range)."""

from __future__ import annotations

import numpy as np


def _real(name: str, value, meaning: str) -> np.ndarray:
    """``value`` as a float64 array; ValueError (naming ``name``) for complex or non-numeric input, which
    ``np.asarray(value, dtype=float)`` would turn into a TypeError or silently truncate to its real part."""
    if isinstance(value, (complex, np.complexfloating)) or np.iscomplexobj(value):
        raise ValueError(f"{name} ({meaning}) must be real, got complex {value!r}")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} ({meaning}) must be a real number or array of them, got {value!r}") from None


def check_finite(name: str, value, meaning: str) -> None:
    """Raise ValueError if ``value`` holds NaN or an infinity, or is complex."""
    arr = _real(name, value, meaning)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} ({meaning}) must be finite, got {_show(arr)}")


def check_positive(name: str, value, meaning: str) -> None:
    """Raise ValueError unless every entry of ``value`` is real, finite and > 0."""
    arr = _real(name, value, meaning)
    bad = ~(np.isfinite(arr) & (arr > 0))
    if np.any(bad):
        raise ValueError(f"{name} ({meaning}) must be finite and > 0, got {_show(arr[bad] if arr.ndim else arr)}")


def check_nonnegative(name: str, value, meaning: str) -> None:
    """Raise ValueError unless every entry of ``value`` is real, finite and >= 0."""
    arr = _real(name, value, meaning)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if np.any(bad):
        raise ValueError(f"{name} ({meaning}) must be finite and >= 0, got {_show(arr[bad] if arr.ndim else arr)}")


def check_int(name: str, value: object, low: int, meaning: str) -> None:
    """Raise ValueError unless ``value`` is an integer (not a bool) >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} ({meaning}) must be an integer >= {low}, got {value!r}")


def check_int_list(name: str, values: object, low: int, high: int | None, meaning: str) -> list[int]:
    """``values`` as a list of distinct Python ints in [low, high]; ValueError naming ``name`` otherwise."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} ({meaning}) must be a list of integers, got {values!r}")
    values = list(values)
    if not values:
        raise ValueError(f"{name} ({meaning}) must list at least one value, got none")
    top = "" if high is None else f" and <= {high}"
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low or (high is not None and v > high):
            raise ValueError(f"{name} ({meaning}) must be integers >= {low}{top}, got {v!r}")
    values = [int(v) for v in values]
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must be distinct, got {values}")
    return values


def check_choice(name: str, value: object, allowed) -> None:
    """Raise ValueError unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


def _show(arr: np.ndarray) -> str:
    flat = np.ravel(arr)
    if flat.size == 1:
        return repr(float(flat[0]))
    return f"{flat[:3].tolist()}{' ...' if flat.size > 3 else ''} ({flat.size} offending entries)"
