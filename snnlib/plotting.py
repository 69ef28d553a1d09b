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


def subplots(*args: Any, letters: bool = True, **kwargs: Any):
    """``plt.subplots`` with the book style, a constrained layout, and type that stays legible: a figure wider than
    :data:`COLUMN_INCHES` is shown scaled down to the column, so its fonts are scaled up by the same factor.

    With several panels and ``letters``, each panel is lettered (a), (b), ... in reading order (a bold title at its
    left), so that captions name panels by letter: on a phone the panels are stacked (:func:`phone_version`) and
    "left" and "right" would be wrong."""
    import matplotlib.pyplot as plt
    import numpy as np

    width = kwargs.get("figsize", (COLUMN_INCHES, 4.0))[0]
    setup(scale=max(1.0, width / COLUMN_INCHES))
    kwargs.setdefault("layout", "constrained")
    fig, axes = plt.subplots(*args, **kwargs)
    register_figure_html()  # after the first figure: the inline backend, set up then, drops Figure formatters
    panels = list(np.ravel(axes))
    if letters and len(panels) > 1:
        for i, ax in enumerate(panels):
            ax.set_title(f"({'abcdefghijklmnopqrstuvwxyz'[i % 26]})", loc="left", fontweight="bold")
    return fig, axes


#: Width (inches) of the phone version of every figure (:func:`figure_html`): at :data:`DPI` 580 px, which a
#: phone's 342 px text column (a 390 px screen) shows at 0.59 of its size, so 9 pt ticks read as 14.7 px; a
#: colour bar or a long label that sticks out by up to 60 px still leaves them above 13.3 px (10 pt).
PHONE_INCHES = 2.9

#: Screens narrower than this (CSS px) get the phone version: from 768 px on, the column shows the side-by-side
#: version at >= 0.56 of its natural size, which keeps 9 pt type at >= 14 px.
PHONE_BREAKPOINT_PX = 768


def keep_height(fig: Any) -> Any:
    """Mark ``fig`` so that its :func:`phone_version` keeps its panels' height in inches instead of the usual
    landscape proportions: for figures whose height is set by rows of text (a bar chart with a label above each
    bar), which need the same height at any width. Returns ``fig``."""
    fig._snnlib_keep_height = True
    return fig


def _font_scale(fig: Any) -> float:
    """The factor :func:`subplots` multiplied the type sizes of ``fig`` by."""
    return max(1.0, float(fig.get_size_inches()[0]) / COLUMN_INCHES)


def _smallest_type_pt(fig: Any) -> float:
    """Size (pt) of the smallest visible text of ``fig`` (titles, labels, ticks, legends, annotations)."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return float(min(sizes)) if sizes else float("inf")


def phone_version(fig: Any, width: float = PHONE_INCHES) -> Any:
    """A copy of ``fig`` laid out for a phone: its panels stacked in one column (in reading order: rows, then
    columns), ``width`` inches wide, with the book's base type sizes (10 pt text, 9 pt ticks and legends), tick
    labels on every panel of a shared axis, figure legends of at most two columns and panel legends of one (a
    panel legend of more than three entries moves below the panels), the panel letter and title on one line.
    ``fig`` is not changed.

    Works for figures made by :func:`subplots` (one grid of panels; colour bars, twin axes and figure legends
    follow their panels); raises ``ValueError`` for a figure without panels or whose panels lie on several grids.
    """
    import warnings

    if width <= 0:
        raise ValueError(f"width (inches) must be > 0, got {width}")
    with warnings.catch_warnings():  # the drafts drawn while the figure is resized may not fit; the last one must
        warnings.filterwarnings("ignore", message="constrained_layout not applied", category=UserWarning)
        phone = _stacked(fig, width)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="constrained_layout not applied", category=UserWarning)
        try:
            phone.draw_without_rendering()
        except UserWarning as err:
            import matplotlib.pyplot as plt

            plt.close(phone)
            raise ValueError("fig does not fit a phone's width: its panels collapse in the stacked layout") from err
    return phone


def _stacked(fig: Any, width: float) -> Any:
    """The body of :func:`phone_version`."""
    import pickle

    from matplotlib.gridspec import GridSpec

    panels = [ax for ax in fig.axes if ax.get_subplotspec() is not None]
    if not panels:
        raise ValueError("fig has no panels (axes on a grid): make it with snnlib.plotting.subplots")
    grids = {id(ax.get_subplotspec().get_topmost_subplotspec().get_gridspec()) for ax in panels}
    if len(grids) > 1:
        raise ValueError(f"fig has panels on {len(grids)} grids; phone_version stacks the panels of one grid")
    nrows, ncols = panels[0].get_subplotspec().get_gridspec().get_geometry()
    old_w, old_h = (float(v) for v in fig.get_size_inches())
    shrink = 1.0 / _font_scale(fig)

    phone = pickle.loads(pickle.dumps(fig))
    panels = [ax for ax in phone.axes if ax.get_subplotspec() is not None]

    def place(ax: Any) -> tuple[int, int]:
        spec = ax.get_subplotspec()
        return spec.rowspan.start, spec.colspan.start

    slots = sorted({place(ax) for ax in panels})
    aspect = min(0.9, max(0.62, (old_h / nrows) / (old_w / ncols)))
    if getattr(fig, "_snnlib_keep_height", False):  # rows of text set the height (see keep_height)
        aspect = old_h / nrows / width
    panels_height = width * aspect * len(slots) + (0.35 if phone._suptitle is not None else 0.0)
    phone.set_size_inches(width, panels_height)
    grid = GridSpec(len(slots), 1, figure=phone)
    row = {ax: slots.index(place(ax)) for ax in panels}
    for ax in panels:
        ax.set_subplotspec(grid[row[ax]])
    for text in phone.findobj(lambda a: hasattr(a, "set_fontsize") and hasattr(a, "get_text")):
        text.set_fontsize(text.get_fontsize() * shrink)
    for ax in phone.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = axis.get_ticklabels(which="both")
            if labels:
                axis.set_tick_params(which="both", labelsize=labels[0].get_fontsize())
    if ncols > 1:  # a y axis shared along a row showed its tick labels on the first panel only
        for ax in panels:
            if len(ax.get_shared_y_axes().get_siblings(ax)) > 1 and ax.yaxis.get_label_position() == "left":
                ax.yaxis.set_tick_params(which="both", labelleft=True)
    join_letters_and_titles(phone)
    # a panel legend of more than three entries would cover a narrow panel's data: the panels' legends become one
    # figure legend below them when all name the same entries, else each moves below its panel
    crowded = [ax for ax in panels if ax.get_legend() is not None and len(ax.get_legend().get_texts()) > 3]
    entries = {tuple(t.get_text() for t in ax.get_legend().get_texts()) for ax in crowded}
    if crowded and len(entries) == 1 and not phone.legends:
        first = crowded[0].get_legend()
        size = first.get_texts()[0].get_fontsize()
        phone.legend(first.legend_handles, [t.get_text() for t in first.get_texts()], loc="outside lower center",
                     ncols=min(2, first._ncols) if first._ncols > 1 else 2, fontsize=size)
        for ax in crowded:
            ax.get_legend().remove()
    else:
        for ax in crowded:
            old = ax.get_legend()
            old.remove()
            ax.legend(old.legend_handles, [t.get_text() for t in old.get_texts()], loc="upper center",
                      bbox_to_anchor=(0.5, -0.28), ncols=1, fontsize=old.get_texts()[0].get_fontsize())
    for legend in list(phone.legends):  # two columns, or one where two are wider than the figure
        legend = _refit_legend(phone, legend, ncols=2)
        phone.draw_without_rendering()
        if legend.get_window_extent().width > phone.bbox.width:
            _refit_legend(phone, legend, ncols=1)
    if phone.legends:  # figure legends sit below or beside the panels: add their height
        phone.draw_without_rendering()
        legends = sum(legend.get_window_extent().height for legend in phone.legends) / phone.dpi
        phone.set_size_inches(width, panels_height + legends + 0.1 * len(phone.legends))
    for ax in phone.axes:
        if ax.get_legend() is not None and ax not in crowded:
            _refit_legend(ax, ax.get_legend(), ncols=1)
    phone.draw_without_rendering()
    for ax in panels:  # titles and axis labels longer than their narrower axes break into lines
        box = ax.get_window_extent()
        _wrap(ax.title if ax.get_title() else ax._left_title, box.width)
        _wrap(ax.xaxis.label, box.width)
        _wrap(ax.yaxis.label, box.height * 0.9)
    for ax in panels:  # category names that now run into each other are set at a slant
        boxes = sorted((t.get_window_extent() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()),
                       key=lambda b: b.x0)
        if any(a.x1 > b.x0 - 2 for a, b in zip(boxes, boxes[1:])):
            ax.tick_params(axis="x", labelrotation=30)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
                label.set_rotation_mode("anchor")
    # grow the figure by what titles, labels and legends took from the plot areas (one correction suffices)
    phone.draw_without_rendering()
    rows = {row[ax]: ax.get_position().height * phone.get_size_inches()[1] for ax in panels}
    wanted = 0.7 * width * aspect
    deficit = sum(max(0.0, wanted - height) for height in rows.values())
    if deficit > 0:
        phone.set_size_inches(width, phone.get_size_inches()[1] + deficit)
    return phone


def join_letters_and_titles(fig: Any) -> Any:
    """Put each panel's letter (:func:`subplots`) and title on one line at its left, "(b) the three with ...":
    a centred title longer than about half its panel runs into the letter. Done by :func:`figure_html` before a
    notebook figure is drawn and by :func:`phone_version`. Returns ``fig``."""
    for ax in fig.axes:
        letter, title = ax.get_title(loc="left"), ax.get_title()
        if letter and title and len(letter) <= 4 and letter.startswith("("):
            ax.set_title(f"{letter} {title}", loc="left", fontsize=ax.title.get_fontsize())
            ax.set_title("")
    return fig


def _wrap(label: Any, length_px: float) -> None:
    """Break ``label`` at spaces into lines of at most ``length_px`` (its rendered length); a formula
    (``$...$``) is never broken."""
    text = label.get_text()
    extent = label.get_window_extent()
    size = max(extent.width, extent.height)
    if size <= length_px or " " not in text or text.count("$") % 2:
        return
    per_char = size / len(text)
    words: list[str] = []
    for word in text.split(" "):  # rejoin the words of a formula
        if words and words[-1].count("$") % 2:
            words[-1] += " " + word
        elif word:
            words.append(word)
    lines: list[str] = []
    for word in words:
        if lines and (len(lines[-1]) + 1 + len(word)) * per_char <= length_px:
            lines[-1] += " " + word
        else:
            lines.append(word)
    label.set_text("\n".join(lines))


def _refit_legend(owner: Any, legend: Any, ncols: int) -> Any:
    """Draw ``legend`` (of a figure or axes ``owner``) again with at most ``ncols`` columns, at the same place
    and type size (a legend's columns are fixed when it is made); returns the legend now shown."""
    from matplotlib.legend import Legend

    if legend._ncols <= ncols:
        return legend
    texts = legend.get_texts()
    name = {code: key for key, code in Legend.codes.items()}[legend._loc] if isinstance(legend._loc, int) else "best"
    side = legend._outside_loc
    if side in ("left", "right"):
        loc = f"outside {side} {name.split()[0]}"
    elif side:
        loc = f"outside {name}"
    else:
        loc = legend._loc
    title = legend.get_title().get_text()
    legend.remove()
    frame = legend.get_frame()
    return owner.legend(legend.legend_handles, [t.get_text() for t in texts], loc=loc, ncols=ncols,
                        fontsize=texts[0].get_fontsize() if texts else None, title=title or None,
                        frameon=legend.get_frame_on(), facecolor=frame.get_facecolor(),
                        edgecolor=frame.get_edgecolor())


def _png(fig: Any) -> tuple[bytes, int, int]:
    """``fig`` as the PNG the notebook shows (book dpi, tight bounding box, white), with its size in pixels."""
    import io
    import struct

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    data = buf.getvalue()
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk of every PNG
    return data, width, height


def figure_html(fig: Any) -> str:
    """``fig`` as a ``<picture>``: the figure as drawn (side by side) and, on screens narrower than
    :data:`PHONE_BREAKPOINT_PX`, its :func:`phone_version` (panels stacked). Both images are inline PNGs (the
    book's build moves them to files) and carry ``data-type-px``, the pixel size of their smallest type at natural
    size, which the browser tests turn into the size a reader sees. Panel letters and titles are joined first
    (:func:`join_letters_and_titles`, which changes ``fig``). Every matplotlib figure a notebook shows goes through
    it (:func:`figure_bundle`, registered by :func:`subplots`)."""
    return _figure_outputs(fig)[0]


def figure_bundle(fig: Any) -> dict[str, str]:
    """The outputs of a figure shown in a notebook: ``text/html``, :func:`figure_html`, and ``image/png``, its
    side-by-side PNG (base64), for tools that cannot show HTML: the same bytes as the inline backend's PNG, drawn
    once for both."""
    import base64

    html, png = _figure_outputs(fig)
    return {"text/html": html, "image/png": base64.b64encode(png).decode("ascii")}


def _figure_outputs(fig: Any) -> tuple[str, bytes]:
    """:func:`figure_html` and the side-by-side PNG it holds."""
    import base64
    import html

    import matplotlib.pyplot as plt

    def tag(f: Any) -> tuple[str, bytes]:
        data, width, height = _png(f)
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        type_px = round(_smallest_type_pt(f) * DPI / 72, 2)
        return f'srcset="{src}" width="{width}" height="{height}" data-type-px="{type_px}"', data

    titles = [ax.get_title() or ax.get_ylabel() for ax in fig.axes if ax.get_subplotspec() is not None]
    join_letters_and_titles(fig)  # the PNG output, drawn after this, shows the same titles
    alt = html.escape("Figure: " + "; ".join(t for t in titles if t) if any(titles) else "Figure")
    wide, png = tag(fig)
    img = f'<img {wide.replace("srcset=", "src=", 1)} alt="{alt}">'
    try:
        phone = phone_version(fig)
    except ValueError:  # not a grid of panels: the phone gets the figure as drawn
        return f'<picture class="snnlib-figure">{img}</picture>', png
    try:
        small = tag(phone)[0]
    finally:
        plt.close(phone)
    media = f"(max-width: {PHONE_BREAKPOINT_PX - 0.02}px)"
    return f'<picture class="snnlib-figure"><source media="{media}" {small}>{img}</picture>', png


def register_figure_html() -> None:
    """Show every matplotlib figure of the running IPython kernel through :func:`figure_bundle`: its
    :func:`figure_html` and its PNG, drawn once (the inline backend's own PNG formatter, which would draw the
    figure again, is taken off). Outside IPython, nothing happens."""
    import sys

    ipython = sys.modules.get("IPython")  # loaded in every kernel; snnlib itself does not depend on it
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    from matplotlib.figure import Figure

    display = shell.display_formatter
    for mime in ("text/html", "image/png"):  # a per-type formatter of a MIME type would override the bundle's
        display.formatters[mime].pop(Figure, None)
    display.mimebundle_formatter.for_type(Figure, figure_bundle)
