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
