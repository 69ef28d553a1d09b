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


def color(name: str) -> str:
    """Colour of a method or activation; grey for unknown names."""
    return COLORS.get(name, COLORS["reference"])


def setup(dpi: int = 100) -> None:
    """Matplotlib defaults for the book: sensible DPI for PNGs, white figure backgrounds (readable in dark mode)."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.dpi": dpi,
        "savefig.dpi": dpi,
        "figure.figsize": (6.4, 4.0),
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "font.size": 10,
    })


def subplots(*args: Any, **kwargs: Any):
    """``plt.subplots`` with the book style applied and a constrained layout."""
    import matplotlib.pyplot as plt

    setup()
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(*args, **kwargs)
