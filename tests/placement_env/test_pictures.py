"""save_placement_picture (and save_placement_png, which draws the same blocks): a PNG for every
heat map kind, nets optional, blocks drawn to scale where they are placed, argument errors.

The pictures are decoded and read: the colours come from :data:`netlists.render.COLOURS` (hard
macros drawn with alpha 0.7) and the heat maps' colour maps.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import colormaps
from png_checks import blobs, colour_counts, distinct_colours, matching, over, read_rgb, rgb

import netlists
from netlists import NodeKind, Orientation, Placement
from netlists.render import COLOURS, figure_size, save_placement_png
from placement_env.pictures import HEATMAPS, save_placement_picture

HARD = COLOURS[NodeKind.HARD_MACRO][0]
#: A hard macro over the white background.
HARD_ON_WHITE = over(HARD, 0.7)
#: Hard-macro-coloured regions larger than this are macros; the legend swatch is ~250 pixels.
MACRO_PIXELS = 1000


@pytest.fixture(scope="module")
def design():
    return netlists.load("ct_sample_clustered")


@pytest.fixture(scope="module")
def hard_macros(design):
    """ct_sample_clustered's two hard macros, largest first (120 x 120 and 80 x 40 um)."""
    nl = design.netlist
    hard = np.flatnonzero(nl.node_kinds == int(NodeKind.HARD_MACRO))
    area = np.prod(design.placement.footprints(nl, hard), axis=1)
    chosen = hard[np.argsort(-area)]
    assert len(chosen) == 2 and design.placement.placed[chosen].all()
    return chosen


def _over_colour_map(image: np.ndarray, cmap) -> int:
    """Pixels of ``image`` that show a hard macro over one of ``cmap``'s colours."""
    shades = np.array([over(HARD, 0.7, under=rgb(cmap(k))) for k in np.linspace(0, 1, 256)])
    colours, counts = colour_counts(image)
    near = (np.abs(colours[:, None, :] - shades[None, :, :]) <= 3).all(axis=-1).any(axis=1)
    return int(counts[near].sum())


@pytest.mark.parametrize("heatmap", HEATMAPS)
def test_picture__png_for_each_heatmap(tmp_path, heatmap, design):
    path = save_placement_picture(
        design.netlist,
        design.placement,
        tmp_path / "sub" / f"{heatmap}.png",
        heatmap=heatmap,
        nets=True,
        grid=16,
        settings=design.plc,
    )
    image = read_rgb(path)
    assert distinct_colours(image) > 50  # not a blank picture
    # The nets' legend swatch (opaque net colour) is there.
    assert matching(image, rgb("#3465a4"), tol=3).sum() > 100
    on_white = matching(image, HARD_ON_WHITE).sum()
    if heatmap is None:
        # Two macros of 120 x 120 and 80 x 40 um, ~1.2 pixels per um: ~25,000 pixels.
        assert on_white > 10 * MACRO_PIXELS
        return
    # The heat map covers the die under the blocks: no macro shows over white any more, only the
    # legend swatch does; the macros show over the map's colours instead.
    assert on_white < MACRO_PIXELS
    cmap = colormaps["Greys" if heatmap == "density" else "magma_r"]
    assert _over_colour_map(image, cmap) > 10 * MACRO_PIXELS
    if heatmap == "density":
        # Bins that a macro covers completely hold the largest density, drawn black (Greys):
        # the macros show over black there.
        on_black = over(HARD, 0.7, under=rgb(colormaps["Greys"](1.0)))
        assert matching(image, on_black).sum() > 2 * MACRO_PIXELS
    else:
        # Most of the die holds the map's smallest value, drawn in magma_r's lightest colour.
        lowest = matching(image, rgb(colormaps["magma_r"](0.0)), tol=3).sum()
        assert lowest > 0.1 * image.shape[0] * image.shape[1]


@pytest.mark.parametrize("draw", [save_placement_png, save_placement_picture])
def test_picture__macros_drawn_to_scale_where_placed(tmp_path, draw, design, hard_macros):
    nl, shipped = design.netlist, design.placement
    big, small = hard_macros
    size = shipped.footprints(nl, hard_macros)

    def macros(placement: Placement, name: str) -> list:
        found = blobs(matching(read_rgb(draw(nl, placement, tmp_path / name)), HARD_ON_WHITE))
        return [blob for blob in found if blob.pixels > MACRO_PIXELS]

    first, second = macros(shipped, "shipped.png")
    # The small macro sits 250 um to the right of the big one, at the same height: that distance
    # gives the scale, which the macros' sizes must share (their black edges trim a pixel).
    dx, dy = shipped.positions[small] - shipped.positions[big]
    assert (dx, dy) == (250.0, 0.0)
    offset = second.centre - first.centre  # (row, col); rows grow downwards
    scale = offset[1] / dx  # pixels per micron
    assert 0.5 < scale < 3 and abs(offset[0]) <= 1
    for blob, (width, height) in zip((first, second), size, strict=True):
        assert blob.width == pytest.approx(width * scale, abs=3)
        assert blob.height == pytest.approx(height * scale, abs=3)

    # Moving the small macro down by 275 um moves its rectangle down on the picture, alone.
    moved = shipped.with_positions([small], shipped.positions[[small]] - [0.0, 275.0])
    still, down = macros(moved, "moved.png")
    assert (still.rows, still.cols) == (first.rows, first.cols)
    np.testing.assert_allclose(down.centre - second.centre, [275.0 * scale, 0.0], atol=2)
    assert (down.width, down.height) == (second.width, second.height)

    # Turned by 90 degrees, the 80 x 40 um macro is drawn 40 x 80 um.
    turned = shipped.with_positions(
        [small], shipped.positions[[small]], orientations=[int(Orientation.E)]
    )
    _, upright = macros(turned, "turned.png")
    assert (upright.width, upright.height) == pytest.approx((second.height, second.width), abs=2)
    np.testing.assert_allclose(upright.centre, second.centre, atol=2)

    # Unplaced macros are not drawn (and get no legend entry).
    placed = shipped.placed.copy()
    placed[hard_macros] = False
    hidden = Placement(shipped.positions, shipped.orientations, placed)
    image = read_rgb(draw(nl, hidden, tmp_path / "hidden.png"))
    assert not matching(image, HARD_ON_WHITE, tol=20).any()


def test_picture__size_follows_figure_size_and_dpi(tmp_path, design):
    nl = design.netlist
    low = read_rgb(save_placement_png(nl, design.placement, tmp_path / "60.png", dpi=60))
    high = read_rgb(save_placement_png(nl, design.placement, tmp_path / "120.png", dpi=120))
    # The tight bounding box trims the figure's margins and adds the legend, in inches: twice
    # the dots per inch give twice the pixels, up to rounding.
    assert abs(high.shape[0] - 2 * low.shape[0]) <= 3
    assert abs(high.shape[1] - 2 * low.shape[1]) <= 3
    height_px = figure_size(nl)[1] * 120
    assert 0.75 * height_px <= high.shape[0] <= 1.05 * height_px


def test_picture__bad_arguments(tmp_path):
    design = netlists.load("n10")
    with pytest.raises(ValueError, match="unknown heatmap"):
        save_placement_picture(design.netlist, design.placement, tmp_path / "a.png", heatmap="x")
    with pytest.raises(ValueError, match="settings"):
        save_placement_picture(
            design.netlist, design.placement, tmp_path / "a.png", heatmap="congestion"
        )


def test_save_placement_png__a_bare_name_returns_the_file_it_wrote(tmp_path):
    design = netlists.load("n10")
    path = save_placement_png(design.netlist, design.placement, tmp_path / "pic")
    assert path == tmp_path / "pic.png" and path.stat().st_size > 0
