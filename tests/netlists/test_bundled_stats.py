"""The statistics of every bundled design equal the published / staged figures.

Expected values are transcribed from the benchmark suite's README (shared/benchmarks/README.md),
which checked them against the ISPD'98 table, TILOS .plc headers and the challenge data.
"""

from __future__ import annotations

import numpy as np
import pytest

import netlists
from netlists import NodeKind, design_stats

# name, nodes, terminals (pads), movable, macros, std cells, nets, pins, die W, die H, rows
IBM = [
    ("ibm01", 12752, 246, 12506, 246, 12260, 14111, 50566, 2295, 2304, 144),
    ("ibm02", 19601, 259, 19342, 271, 19071, 19584, 81199, 3256, 3248, 203),
    ("ibm03", 23136, 283, 22853, 290, 22563, 27401, 93573, 3512, 3504, 219),
    ("ibm04", 27507, 287, 27220, 295, 26925, 31970, 105859, 3409, 3408, 213),
    ("ibm05", 29347, 1201, 28146, 0, 28146, 28446, 126308, 2360, 2368, 148),
    ("ibm06", 32498, 166, 32332, 178, 32154, 34826, 128182, 3265, 3264, 204),
    ("ibm07", 45926, 287, 45639, 291, 45348, 48117, 175639, 3851, 3840, 240),
    ("ibm08", 51309, 286, 51023, 301, 50722, 50513, 204890, 4105, 4096, 256),
    ("ibm09", 53395, 285, 53110, 253, 52857, 60902, 222088, 4674, 4688, 293),
    ("ibm10", 69429, 744, 68685, 786, 67899, 75196, 297567, 7705, 7712, 482),
    ("ibm11", 70558, 406, 70152, 373, 69779, 81454, 280786, 5153, 5152, 322),
    ("ibm12", 71076, 637, 70439, 651, 69788, 77240, 317760, 6797, 6800, 425),
    ("ibm13", 84199, 490, 83709, 424, 83285, 99666, 357075, 5594, 5600, 350),
    ("ibm14", 147605, 517, 147088, 614, 146474, 152772, 546816, 5985, 6000, 375),
]

# name, canvas, grid (cols, rows), hard, soft, ports, hard pins, soft pins, driver nets,
# weighted nets, net pins
CT_MODERN = [
    ("ariane133_ng45", 1433.406, (24, 21), 133, 782, 495, 7847, 10630, 12422, 22584, 44514),
    ("ariane136_ng45", 1446.359, (25, 21), 136, 772, 495, 8024, 10300, 12102, 23067, 42691),
    ("mempool_tile_ng45", 885.39, (29, 24), 20, 561, 1272, 2516, 13100, 14534, 32944, 43435),
    ("nvdla_ng45", 2127.922, (39, 36), 128, 671, 797, 25984, 15271, 23518, 40606, 70704),
    ("ariane136_asap7", 240.794, (27, 28), 136, 787, 495, 5848, 11936, 13723, 25862, 46537),
]

# name, hard macros, std cells, ports, macro pins, driver nets, sinks
TILOS_FLAT = [
    ("ariane133_flat_ng45", 133, 88411, 495, 7847, 90986, 290486),
    ("ariane136_flat_ng45", 136, 88368, 495, 8024, 90943, 288766),
    ("mempool_tile_flat_ng45", 20, 152241, 1272, 2516, 154237, 387297),
    ("nvdla_flat_ng45", 128, 155711, 797, 25984, 164630, 458303),
]

# name, blocks, terminals, nets, pins, outline W, outline H
MCNC_GSRC = [
    ("n10", 10, 69, 118, 248, 800, 800),
    ("n30", 30, 212, 349, 723, 800, 800),
    ("n50", 50, 209, 485, 1050, 800, 800),
    ("n100", 100, 334, 885, 1873, 800, 800),
    ("n200", 200, 564, 1585, 3599, 800, 800),
    ("n300", 300, 569, 1893, 4358, 800, 800),
    ("ami33", 33, 40, 121, 425, 1326, 1205),
    ("ami49", 49, 22, 396, 922, 5336, 7673),
    ("apte", 9, 73, 96, 278, 11894, 6314),
    ("hp", 11, 45, 70, 226, 5412, 3704),
    ("xerox", 10, 2, 182, 459, 6937, 5379),
]


@pytest.mark.parametrize("row", IBM, ids=[r[0] for r in IBM])
def test_iccad04_statistics__match_the_published_table(row):
    name, nodes, pads, movable, macros, cells, nets, pins, width, height, rows = row
    stats = design_stats(netlists.load(name))
    assert (stats.nodes, stats.terminals, stats.ports) == (nodes, pads, pads)
    assert stats.nodes - stats.terminals == movable
    assert (stats.movable_hard_macros, stats.std_cells) == (macros, cells)
    assert (stats.nets, stats.pins) == (nets, pins)
    assert (stats.die_width, stats.die_height, stats.rows) == (width, height, rows)


def test_iccad04_ibm01__macro_area_fraction_matches_the_challenge_figure():
    assert design_stats(netlists.load("ibm01")).hard_macro_area_fraction == pytest.approx(
        0.428, abs=5e-4
    )


@pytest.mark.parametrize("row", CT_MODERN, ids=[r[0] for r in CT_MODERN])
def test_ct_modern_statistics__match_the_plc_headers_and_evaluator_counts(row):
    name, canvas, grid, hard, soft, ports, hard_pins, soft_pins, drivers, weighted, net_pins = row
    design = netlists.load(name)
    stats = design_stats(design)
    assert (stats.die_width, stats.die_height) == (canvas, canvas)
    assert (stats.grid_cols, stats.grid_rows) == grid
    assert (stats.hard_macros, stats.soft_macros, stats.ports) == (hard, soft, ports)
    assert (stats.hard_macro_pins, stats.soft_macro_pins) == (hard_pins, soft_pins)
    assert (stats.nets, stats.weighted_nets, stats.pins) == (drivers, weighted, net_pins)
    assert design.plc.routes_per_micron_h == 57.031 and design.plc.routes_per_micron_v == 56.818
    assert design.plc.macro_routes_h == 39.583 and design.plc.macro_routes_v == 30.303
    # Every node of the clustered netlist is placed by initial.plc.
    assert design.placement.placed.all()


@pytest.mark.parametrize("row", TILOS_FLAT, ids=[r[0] for r in TILOS_FLAT])
def test_tilos_flat_statistics__match_the_staged_table(row):
    name, hard, cells, ports, macro_pins, drivers, sinks = row
    stats = design_stats(netlists.load(name))
    assert (stats.hard_macros, stats.std_cells, stats.ports) == (hard, cells, ports)
    assert stats.hard_macro_pins == macro_pins
    assert (stats.nets, stats.pins) == (drivers, drivers + sinks)


@pytest.mark.parametrize("row", MCNC_GSRC, ids=[r[0] for r in MCNC_GSRC])
def test_mcnc_gsrc_statistics__match_the_staged_table(row):
    name, blocks, terminals, nets, pins, width, height = row
    stats = design_stats(netlists.load(name))
    assert (stats.hard_macros, stats.ports, stats.nets, stats.pins) == (
        blocks,
        terminals,
        nets,
        pins,
    )
    assert (stats.die_width, stats.die_height) == (width, height)


@pytest.mark.parametrize(
    "name", [d.name for d in netlists.bundled_designs() if d.suite == "ct_testdata"]
)
def test_ct_testdata__loads_with_every_block_placed(name):
    design = netlists.load(name)
    blocks = design.netlist.node_kinds != NodeKind.STD_CELL
    assert design.plc is not None
    assert design.placement.placed[blocks].all()


def test_ct_testdata_blockage__header_blockages_are_read():
    design = netlists.load("ct_simple_grouped_with_coords_with_blockage")
    assert design.plc.blockages == ((0, 0, 10, 10, 1.0), (490, 490, 500, 500, 1.0))


def test_ct_modern_legalized__reference_placement_is_inside_the_canvas():
    design = netlists.load("ariane133_ng45")
    legal = netlists.read_placement(design.reference_placements["legalized"], design.netlist)
    hard = design.netlist.node_kinds == NodeKind.HARD_MACRO
    half = legal.footprints(design.netlist)[hard] / 2
    centres = legal.positions[hard]
    canvas = design.netlist.canvas
    assert (centres - half >= -1e-9).all()
    assert (centres + half <= np.array([canvas.width, canvas.height]) + 1e-9).all()


def test_bundled_registry__every_listed_design_has_its_files():
    for entry in netlists.bundled_designs():
        assert entry.path.is_file(), entry.path
        for path in entry.placements.values():
            assert path.is_file(), path


@pytest.mark.parametrize("name", [row[0] for row in CT_MODERN])
def test_ct_modern_settings__overlap_threshold_and_smoothing_match_the_reference(name):
    import json

    reference = json.loads((netlists.bundled.DATA_DIR / "ct_reference_proxy.json").read_text())
    expected = reference["designs"][name]
    plc = netlists.load(name).plc
    assert plc.overlap_threshold == expected["overlap_threshold"]
    assert plc.smoothing == expected["smoothing_factor"]
