"""save_placement_picture: a PNG for every heat map kind, nets optional, argument errors."""

from __future__ import annotations

import pytest

import netlists
from placement_env.pictures import HEATMAPS, save_placement_picture

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("heatmap", HEATMAPS)
def test_picture__png_for_each_heatmap(tmp_path, heatmap):
    design = netlists.load("ct_sample_clustered")
    path = save_placement_picture(
        design.netlist,
        design.placement,
        tmp_path / "sub" / f"{heatmap}.png",
        heatmap=heatmap,
        nets=True,
        grid=16,
        settings=design.plc,
    )
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_picture__bad_arguments(tmp_path):
    design = netlists.load("n10")
    with pytest.raises(ValueError, match="unknown heatmap"):
        save_placement_picture(design.netlist, design.placement, tmp_path / "a.png", heatmap="x")
    with pytest.raises(ValueError, match="settings"):
        save_placement_picture(
            design.netlist, design.placement, tmp_path / "a.png", heatmap="congestion"
        )
