"""One palette and one figure style for every chapter (imports nothing of the math).

The same method gets the same colour everywhere; colours are from the Okabe-Ito palette, which stays
distinguishable for colour-blind readers and on both light and dark page backgrounds.
"""

from __future__ import annotations

from typing import Any

#: Colour per method / activation, used by every chapter.
COLORS: dict[str, str] = {
    "SNN": "#0072B2",
    "SELU": "#0072B2",
    "BatchNorm": "#D55E00",
    "ReLU": "#D55E00",
    "MSRAinit": "#E69F00",
    "LayerNorm": "#009E73",
    "tanh": "#009E73",
    "WeightNorm": "#CC79A7",
    "leaky ReLU": "#CC79A7",
    "Highway": "#56B4E9",
    "ELU": "#56B4E9",
    "ResNet": "#999999",
    "RandomForest": "#F0E442",
    "SVM": "#000000",
    "LogReg": "#8C564B",
    "reference": "#7F7F7F",
}

#: Line style per depth in Figure-1 style plots.
DEPTH_STYLES: dict[int, str] = {8: "-", 16: "--", 32: ":"}

#: Width (inches) of a figure that the book's text column shows at its natural size: 768 px at 120 px per inch.
#: Wider figures are shown smaller, so :func:`subplots` scales their fonts up by the same factor.
COLUMN_INCHES = 6.4

#: Resolution of the stored PNGs: at 200 dpi a figure of :data:`COLUMN_INCHES` is 1280 px wide, sharper than the
#: 768 px it is shown at (never upscaled) and legible when a reader zooms.
DPI = 200


def color(name: str) -> str:
    """Colour of a method or activation; grey for unknown names."""
    return COLORS.get(name, COLORS["reference"])


def shades(n: int) -> list[str]:
    """``n`` colours of one ordered sequence (dark blue to green), for curves indexed by a parameter; viridis cut
    before its pale yellow end, which vanishes on a white background."""
    import matplotlib as mpl

    if n < 1:
        raise ValueError(f"n (number of colours) must be >= 1, got {n}")
    cmap = mpl.colormaps["viridis"]
    return [mpl.colors.to_hex(cmap(0.75 * i / max(n - 1, 1))) for i in range(n)]


def setup(dpi: int = DPI, scale: float = 1.0) -> None:
    """Matplotlib defaults for the book: PNGs at ``dpi``, white figure backgrounds (readable in dark mode), and
    type sizes multiplied by ``scale`` (10 pt text, 9 pt ticks and legends at ``scale`` 1)."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.dpi": dpi,
        "savefig.dpi": dpi,
        "figure.figsize": (COLUMN_INCHES, 4.0),
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "font.size": 10 * scale,
        "axes.titlesize": 11 * scale,
        "axes.labelsize": 10 * scale,
        "xtick.labelsize": 9 * scale,
        "ytick.labelsize": 9 * scale,
        "legend.fontsize": 9 * scale,
        "lines.linewidth": 1.6,
    })


def subplots(*args: Any, **kwargs: Any):
    """``plt.subplots`` with the book style, a constrained layout, and type that stays legible: a figure wider than
    :data:`COLUMN_INCHES` is shown scaled down to the column, so its fonts are scaled up by the same factor."""
    import matplotlib.pyplot as plt

    width = kwargs.get("figsize", (COLUMN_INCHES, 4.0))[0]
    setup(scale=max(1.0, width / COLUMN_INCHES))
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(*args, **kwargs)
