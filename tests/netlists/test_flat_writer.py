"""The flat Circuit Training writer: a LEF/DEF or Bookshelf design becomes a flat ``.pb.txt`` that
the grouping flow and the Circuit Training reader read back to the same netlist."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import netlists
from netlists.errors import UnsupportedFormatError
from netlists.flat_design import flat_netlist_from_design, write_flat_netlist
from netlists.formats import read_design, write_design
from netlists.grouping import read_flat_netlist

FIELDS = ("names", "types", "sinks", "weights", "xy", "offsets", "sizes", "owners", "orientations")


@pytest.mark.parametrize("name", ["gcd_mem1", "n10", "ct_toy_macro_stdcell"])
def test_written_flat_netlist_reads_back_to_the_same_flat_netlist(name, tmp_path):
    design = netlists.load(name)
    if (design.netlist.node_kinds == netlists.NodeKind.SOFT_MACRO).any():
        pytest.skip("clustered")
    flat = flat_netlist_from_design(design)
    again = read_flat_netlist(write_flat_netlist(flat, tmp_path / "flat.pb.txt.gz"))
    for field in FIELDS:
        ours, theirs = getattr(again, field), getattr(flat, field)
        if field == "xy":  # the reader sums a macro pin's centre and offset in float64
            ours, theirs = (
                np.array([p or (np.nan, np.nan) for p in v], np.float32) for v in (ours, theirs)
            )
            np.testing.assert_array_equal(ours, theirs)
            continue
        assert ours == theirs, field


def test_def_to_pb_txt__nodes_sizes_and_positions_survive(tmp_path, caplog):
    design = netlists.load("gcd_mem1")
    with caplog.at_level(logging.WARNING):
        path = write_design(design, tmp_path / "gcd.pb.txt")
    assert "merged" in caplog.text  # flip-flops drive Q and QN: one net per node in CT
    again = read_design(path).netlist
    a = design.netlist
    ours = [n for n in a.node_names]
    theirs = {n: i for i, n in enumerate(again.node_names)}
    assert set(ours) <= set(theirs)  # plus one MACRO_PIN node per macro pin
    rows = [theirs[n] for n in ours]
    np.testing.assert_array_equal(again.node_kinds[rows], a.node_kinds)
    np.testing.assert_allclose(again.node_sizes[rows], a.node_sizes, rtol=1e-6)
    placed = read_design(path).placement
    np.testing.assert_allclose(
        placed.positions[rows], design.placement.positions - [a.canvas.x_min, a.canvas.y_min],
        rtol=1e-6, atol=1e-4,
    )  # fmt: skip


def test_pb_txt_writer_refuses_a_clustered_design(tmp_path):
    with pytest.raises(UnsupportedFormatError, match="flat designs"):
        write_design(netlists.load("ariane133_ng45"), tmp_path / "x.pb.txt")
