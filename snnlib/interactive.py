"""Interactive figures that need no kernel: data precomputed by ``snnlib``, drawn by a few lines of inline
JavaScript in an SVG, so they work on the static site and offline (chapter "Deriving the mapping g").

:func:`g_field_frames` evaluates the map g on a grid of (mu, nu) for every (omega, tau) of two slider axes;
:func:`g_field_html` turns those frames into one self-contained HTML fragment with two sliders.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Slider values of the paper's Figure 2 widget: omega over Theorem 1's range, tau over Theorem 1's range and a
#: step below it (the fixed points stay inside the drawn window 0.55 <= nu <= 1.65).
DEFAULT_OMEGAS: tuple[float, ...] = (-0.1, -0.05, 0.0, 0.05, 0.1)
DEFAULT_TAUS: tuple[float, ...] = (0.9, 0.95, 1.0, 1.05, 1.1)
#: Fraction of the step g(mu, nu) - (mu, nu) that an arrow shows (full steps cross each other).
ARROW_SCALE = 0.3


def _axis(name: str, values: Sequence[float], lo: float, hi: float) -> list[float]:
    vals = [float(v) for v in values]
    if len(vals) < 1 or any(not math.isfinite(v) or not lo <= v <= hi for v in vals):
        raise ValueError(f"{name} must be a non-empty sequence of finite numbers in [{lo}, {hi}], got {values!r}")
    if any(b <= a for a, b in zip(vals, vals[1:])):
        raise ValueError(f"{name} must be strictly increasing, got {values!r}")
    return vals


def g_field_frames(omegas: Sequence[float] = DEFAULT_OMEGAS, taus: Sequence[float] = DEFAULT_TAUS,
                   mu_grid: Sequence[float] | None = None, nu_grid: Sequence[float] | None = None,
                   layers: int = 12, start: tuple[float, float] = (-0.35, 1.55)) -> dict[str, Any]:
    """The steps ``g(mu, nu) - (mu, nu)`` on a grid, the fixed point of g, and the path of ``start`` through
    ``layers`` layers, for every ``omega`` in ``omegas`` (within [-1, 1]) and ``tau`` in ``taus`` (within
    [0.5, 2]); SELU with alpha01, lambda01. Returns plain lists (JSON-ready), values rounded to 5 decimals:
    ``frames[i][j]`` belongs to ``omegas[i]``, ``taus[j]``."""
    from . import fixed_point, iterate_map
    from .derivation import vector_field

    om = _axis("omegas", omegas, -1.0, 1.0)
    ta = _axis("taus", taus, 0.5, 2.0)
    mu = _axis("mu_grid", np.linspace(-0.4, 0.4, 9) if mu_grid is None else mu_grid, -5.0, 5.0)
    nu = _axis("nu_grid", np.linspace(0.6, 1.6, 11) if nu_grid is None else nu_grid, 1e-3, 20.0)
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= 100:
        raise ValueError(f"layers must be an integer in [1, 100], got {layers!r}")

    def r(x: Any) -> list:
        return np.round(np.asarray(x, dtype=float), 5).tolist()

    frames = []
    for o in om:
        row = []
        for t in ta:
            _, _, dmu, dnu = vector_field(np.array(mu), np.array(nu), omega=o, tau=t)
            path = iterate_map(start[0], start[1], layers, omega=o, tau=t)
            row.append({"dmu": r(dmu), "dnu": r(dnu), "fixed": r(fixed_point(o, t)), "path": r(path)})
        frames.append(row)
    return {"omegas": om, "taus": ta, "mu": r(mu), "nu": r(nu), "frames": frames}


#: The drawing code (plain JavaScript, no library), shipped with the package.
_SCRIPT_FILE = Path(__file__).with_name("g_field.js")


def g_field_html(data: dict[str, Any], element_id: str = "g-field") -> str:
    """A self-contained HTML fragment (no external script, no kernel): an SVG of the arrows of :func:`g_field_frames`
    with sliders for omega and tau, the path of the start point (blue) and the fixed point (orange, value printed
    below). ``element_id`` must be unique on the page (letters, digits, ``-``, ``_``)."""
    if not re.fullmatch(r"[A-Za-z][\w-]*", element_id):
        raise ValueError("element_id must start with a letter and hold only letters, digits, '-', '_', "
                         f"got {element_id!r}")
    for key in ("omegas", "taus", "mu", "nu", "frames"):
        if key not in data:
            raise ValueError(f"data must come from g_field_frames (missing {key!r})")
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    i0 = min(range(len(data["omegas"])), key=lambda i: abs(data["omegas"][i]))
    j0 = min(range(len(data["taus"])), key=lambda j: abs(data["taus"][j] - 1.0))
    eid = html.escape(element_id)
    script = (_SCRIPT_FILE.read_text(encoding="utf-8").replace("__ID__", json.dumps(element_id))
              .replace("__SCALE__", repr(ARROW_SCALE)))
    return (
        f'<div id="{eid}" class="snn-interactive" style="max-width:600px">\n'
        f'<svg viewBox="0 0 560 440" width="100%" role="img" aria-label="the map g as arrows over (mu, nu)"></svg>\n'
        f'<div style="display:flex;flex-wrap:wrap;gap:0.4em 1.5em;font-size:0.95em">\n'
        f'<label>ω = <span class="omega-value"></span> <input type="range" name="omega" min="0" '
        f'max="{len(data["omegas"]) - 1}" step="1" value="{i0}"></label>\n'
        f'<label>τ = <span class="tau-value"></span> <input type="range" name="tau" min="0" '
        f'max="{len(data["taus"]) - 1}" step="1" value="{j0}"></label>\n'
        f'<span>fixed point <span class="fixed-value"></span></span>\n'
        f'<span>(arrows: {ARROW_SCALE:.0%} of the step to g(μ, ν))</span>\n</div>\n'
        f'<script type="application/json">{payload}</script>\n'
        f'<script>{script}</script>\n</div>'
    )
