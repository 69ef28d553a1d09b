"""The book's one figure style (snnlib.plotting): sharp PNGs, legible type at the rendered width, visible colours."""

import matplotlib
import pytest

matplotlib.use("Agg")

from snnlib import plotting  # noqa: E402


def test_figures_are_stored_at_200_dpi_and_never_upscaled_in_the_column():
    fig, _ = plotting.subplots()
    width_px = fig.get_size_inches()[0] * fig.dpi
    assert fig.dpi == plotting.DPI == 200 and width_px >= 768  # the text column is 768 px wide


@pytest.mark.parametrize("width", [4.0, 6.4, 9.0, 12.8])
def test_type_is_at_least_10_points_where_the_column_shows_the_figure(width):
    """A figure wider than the column is shown shrunk to 768 px: its fonts grow so that labels stay >= 10 pt
    (13.3 px) and ticks/legends >= 9 pt at the size the reader sees."""
    fig, _ = plotting.subplots(figsize=(width, 3))
    shown = min(1.0, plotting.COLUMN_INCHES / width)  # fraction of its natural size the column shows
    rc = matplotlib.rcParams
    assert rc["axes.labelsize"] * shown >= 10 - 1e-9 and rc["font.size"] * shown >= 10 - 1e-9
    assert rc["xtick.labelsize"] * shown >= 9 - 1e-9 and rc["legend.fontsize"] * shown >= 9 - 1e-9


def test_shades_stop_before_viridis_pale_yellow():
    from matplotlib.colors import to_rgb

    colours = plotting.shades(5)
    assert len(set(colours)) == 5
    luminance = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in map(to_rgb, colours)]
    assert max(luminance) < 0.7  # viridis' last colour (#fde725) has luminance 0.87: invisible on white
    with pytest.raises(ValueError, match="n"):
        plotting.shades(0)


def test_every_method_has_its_colour_and_unknown_names_are_grey():
    assert plotting.color("SNN") == plotting.color("SELU") != plotting.color("BatchNorm")
    assert plotting.color("no such method") == plotting.COLORS["reference"]


def _three_panels(**kwargs):
    import numpy as np

    fig, axes = plotting.subplots(1, 3, figsize=(9, 3.2), **kwargs)
    x = np.linspace(0, 1, 20)
    for i, ax in enumerate(axes):
        for k in range(4):
            ax.plot(x, x ** (i + 1) + k, label=f"curve {k}")
        ax.set_title(f"panel {i}")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4)
    return fig, axes


def test_phone_version_stacks_the_panels_in_reading_order_at_phone_width_and_base_type_sizes():
    import matplotlib.pyplot as plt

    fig, axes = _three_panels(sharey=True)
    before = (tuple(fig.get_size_inches()), [ax.get_position().bounds for ax in axes])
    phone = plotting.phone_version(fig)
    phone.canvas.draw()
    panels = [ax for ax in phone.axes if ax.get_subplotspec() is not None]
    # in reading order, each panel's letter and title on one line at its left
    assert [ax.get_title(loc="left") for ax in panels] == ["(a) panel 0", "(b) panel 1", "(c) panel 2"]
    assert [ax.get_title() for ax in panels] == ["", "", ""]
    assert [ax.get_subplotspec().get_geometry()[:2] for ax in panels] == [(3, 1)] * 3
    tops = [ax.get_position().y1 for ax in panels]
    assert tops == sorted(tops, reverse=True)  # panel 0 on top
    assert phone.get_size_inches()[0] == pytest.approx(plotting.PHONE_INCHES)
    # the side-by-side figure had its type scaled up by 9 / 6.4; the phone version is back at 9 pt ticks
    assert plotting._smallest_type_pt(fig) == pytest.approx(9 * 9 / 6.4)
    assert plotting._smallest_type_pt(phone) == pytest.approx(9)
    # tick labels of the shared y axis show on every stacked panel, not on the first one only
    assert all(any(t.get_visible() and t.get_text() for t in ax.get_yticklabels()) for ax in panels)
    (legend,) = phone.legends
    assert legend._ncols == 2 and [t.get_text() for t in legend.get_texts()] == [f"curve {k}" for k in range(4)]
    # the original is untouched
    assert (tuple(fig.get_size_inches()), [ax.get_position().bounds for ax in axes]) == before
    assert fig.legends[0]._ncols == 4
    plt.close("all")


def test_phone_version_moves_crowded_panel_legends_below_the_panels():
    import matplotlib.pyplot as plt
    import numpy as np

    x = np.linspace(0, 1, 20)
    fig, axes = plotting.subplots(1, 2, figsize=(9, 3.6))
    for ax in axes:
        for k in range(5):
            ax.plot(x, x + k, label=f"curve {k}")
        ax.legend()
    phone = plotting.phone_version(fig)
    assert all(ax.get_legend() is None for ax in phone.axes)  # one figure legend for the shared entries
    assert [t.get_text() for t in phone.legends[0].get_texts()] == [f"curve {k}" for k in range(5)]
    axes[1].lines[0].set_label("other")
    axes[1].legend()
    phone = plotting.phone_version(fig)  # different entries: each legend moves below its own panel
    assert not phone.legends and all(ax.get_legend().get_bbox_to_anchor().y0 < ax.bbox.y0 for ax in phone.axes)
    plt.close("all")


def test_phone_version_refuses_figures_it_cannot_stack():
    import matplotlib.pyplot as plt

    bare = plt.figure()
    bare.add_axes((0.1, 0.1, 0.8, 0.8))  # an axes placed by hand, on no grid
    with pytest.raises(ValueError, match="no panels"):
        plotting.phone_version(bare)
    fig, _ = plotting.subplots()
    with pytest.raises(ValueError, match="width"):
        plotting.phone_version(fig, width=0)
    plt.close("all")


def test_figure_html_offers_the_phone_version_below_the_breakpoint_with_legible_type():
    import re

    import matplotlib.pyplot as plt

    fig, _ = _three_panels()
    out = plotting.figure_html(fig)
    assert out.startswith('<picture class="snnlib-figure">') and out.endswith("</picture>")
    source = re.search(r'<source media="\(max-width: ([\d.]+)px\)" srcset="data:image/png;base64,[^"]+" '
                       r'width="(\d+)" height="(\d+)" data-type-px="([\d.]+)">', out)
    img = re.search(r'<img src="data:image/png;base64,[^"]+" width="(\d+)" height="(\d+)" '
                    r'data-type-px="([\d.]+)" alt="Figure: panel 0; panel 1; panel 2">', out)
    assert source and img
    assert float(source.group(1)) < plotting.PHONE_BREAKPOINT_PX
    # the side-by-side version too names each panel "(a) title" at its left: a centred title ran into the letter
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["(a) panel 0", "(b) panel 1", "(c) panel 2"]
    phone_w, phone_h, phone_type = int(source.group(2)), int(source.group(3)), float(source.group(4))
    wide_w, wide_h, wide_type = int(img.group(1)), int(img.group(2)), float(img.group(3))
    assert phone_w < wide_w / 2 and phone_h > wide_h  # narrow and tall: stacked
    # the type a reader sees: a 390 px phone shows the column 342 px wide, a desktop 768 px
    assert phone_type * min(1, 342 / phone_w) >= 13.3  # 10 CSS pt
    assert wide_type * min(1, 768 / wide_w) >= 13.3
    plt.close("all")


def test_every_notebook_figure_is_shown_through_figure_html_and_drawn_once_for_both_outputs(monkeypatch):
    """In a kernel, a figure's display is :func:`plotting.figure_bundle`: the ``<picture>`` and, for tools without
    HTML, the PNG that the inline backend would have drawn (the same bytes), instead of the inline backend's own
    PNG formatter, which would draw the figure a second time."""
    import base64
    from types import SimpleNamespace

    import IPython
    import matplotlib.pyplot as plt
    from IPython.core.formatters import DisplayFormatter
    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    display = DisplayFormatter()
    display.formatters["image/png"].for_type(Figure, lambda fig: "the inline backend's PNG")
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(display_formatter=display))
    fig, axes = plotting.subplots(1, 2)
    axes[0].plot([0, 1], [1, 0])
    data, _ = display.format(fig)
    assert display.mimebundle_formatter.lookup_by_type(Figure) is plotting.figure_bundle
    assert data["text/html"].startswith('<picture class="snnlib-figure"><source media=')
    assert base64.b64decode(data["image/png"]) == base64.b64decode(print_figure(fig, "png", base64=True))
    plt.close(fig)


def test_panels_are_lettered_in_reading_order_so_captions_need_no_left_or_right():
    import matplotlib.pyplot as plt

    fig, axes = plotting.subplots(2, 2)
    assert [ax.get_title(loc="left") for ax in axes.flat] == ["(a)", "(b)", "(c)", "(d)"]
    phone = plotting.phone_version(fig)
    assert [ax.get_title(loc="left") for ax in phone.axes] == ["(a)", "(b)", "(c)", "(d)"]
    _, one = plotting.subplots()
    _, bare = plotting.subplots(1, 2, letters=False)
    assert one.get_title(loc="left") == "" and [ax.get_title(loc="left") for ax in bare] == ["", ""]
    plt.close("all")
