"""Density / RUDY maps and incremental scoring against naive full recomputation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import netlists
from netlists import NodeKind, Orientation, Placement
from placement_env.grid import Grid
from placement_env.incremental import hpwl_delta, position_mask, wire_mask
from placement_env.maps import density_map, rudy_map, top_fraction_mean
from placement_env.wirelength import hpwl


def _random_partial(netlist, rng, fraction=0.6):
    n = netlist.num_nodes
    canvas = netlist.canvas
    return Placement(
        rng.uniform([canvas.x_min, canvas.y_min], [canvas.x_max, canvas.y_max], size=(n, 2)),
        rng.integers(0, 8, n),
        rng.random(n) < fraction,
    )


def _overlap_1d(a0, a1, b0, b1):
    return max(0.0, min(a1, b1) - max(a0, b0))


def test_density_map__matches_a_per_bin_loop(rng):
    netlist = netlists.load("n30").netlist
    placement = _random_partial(netlist, rng, 0.9)
    grid = Grid.over(netlist.canvas, 7, 5)
    got = density_map(netlist, placement, grid, kinds=(NodeKind.HARD_MACRO,))
    xe, ye = grid.x_edges(), grid.y_edges()
    sizes = placement.footprints(netlist)
    want = np.zeros((7, 5))
    for i in range(netlist.num_nodes):
        if not placement.placed[i] or netlist.node_kinds[i] != NodeKind.HARD_MACRO:
            continue
        (x, y), (w, h) = placement.positions[i], sizes[i]
        for r in range(7):
            for c in range(5):
                want[r, c] += _overlap_1d(x - w / 2, x + w / 2, xe[c], xe[c + 1]) * _overlap_1d(
                    y - h / 2, y + h / 2, ye[r], ye[r + 1]
                )
    np.testing.assert_allclose(got, want / (grid.cell_width * grid.cell_height), atol=1e-12)


def test_rudy_map__matches_a_per_net_loop_and_conserves_wire(rng):
    netlist = netlists.load("ct_toy_macro_stdcell").netlist
    placement = _random_partial(netlist, rng, 0.8)
    grid = Grid.over(netlist.canvas, 6, 9)
    got = rudy_map(netlist, placement, grid)
    xe, ye = grid.x_edges(), grid.y_edges()
    pins = placement.pin_positions(netlist)
    want = np.zeros((6, 9))
    total_wire = 0.0
    for j in range(netlist.num_nets):
        members = [p for p in netlist.net_pin_indices(j) if placement.placed[netlist.pin_nodes[p]]]
        if len(members) < 2:
            continue
        xy = pins[members]
        w = max(np.ptp(xy[:, 0]), grid.cell_width)
        h = max(np.ptp(xy[:, 1]), grid.cell_height)
        cx, cy = (xy.min(axis=0) + xy.max(axis=0)) / 2
        density = netlist.net_weights[j] * (w + h) / (w * h)
        total_wire += netlist.net_weights[j] * (w + h)
        for r in range(6):
            for c in range(9):
                area = _overlap_1d(cx - w / 2, cx + w / 2, xe[c], xe[c + 1]) * _overlap_1d(
                    cy - h / 2, cy + h / 2, ye[r], ye[r + 1]
                )
                want[r, c] += density * area
    want /= grid.cell_width * grid.cell_height
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    inside = got.sum() * grid.cell_width * grid.cell_height
    assert inside <= total_wire + 1e-6  # wire outside the canvas is not counted


def test_top_fraction_mean__averages_the_largest_entries():
    values = np.arange(20, dtype=float)
    assert top_fraction_mean(values, 0.1) == 18.5
    assert top_fraction_mean(values, 0.01) == 19.0  # at least one entry
    with pytest.raises(ValueError, match="fraction"):
        top_fraction_mean(values, 0.0)


@pytest.mark.parametrize("name", ["n30", "ct_sample_clustered", "ariane133_ng45"])
def test_wire_mask__equals_full_recomputation_at_every_cell(name, rng):
    netlist = netlists.load(name).netlist
    grid = Grid.over(netlist.canvas, 9, 11)
    xs, ys = grid.cell_centres()
    macros = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    for node in rng.choice(macros, size=min(3, len(macros)), replace=False):
        placement = _random_partial(netlist, rng)
        orient = int(rng.integers(0, 8))
        mask = wire_mask(netlist, placement, node, grid, orientation=orient)
        without = placement.with_positions([node], [[0.0, 0.0]])
        without = Placement(
            without.positions,
            without.orientations,
            np.where(np.arange(netlist.num_nodes) == node, False, without.placed),
        )
        base = hpwl(netlist, without)
        for r in range(0, grid.rows, 2):
            for c in range(0, grid.cols, 3):
                placed = without.with_positions([node], [[xs[c], ys[r]]], [orient])
                assert mask[r, c] == pytest.approx(hpwl(netlist, placed) - base, abs=1e-6)


def _naive_position_mask(netlist, placement, node, grid, orient):
    xs, ys = grid.cell_centres()
    w, h = netlist.node_sizes[node]
    if Orientation(orient).swaps_sides:
        w, h = h, w
    canvas = netlist.canvas
    sizes = placement.footprints(netlist)
    mask = np.zeros((grid.rows, grid.cols), dtype=bool)
    for r, y in enumerate(ys):
        for c, x in enumerate(xs):
            ok = (
                x - w / 2 >= canvas.x_min - 1e-6
                and x + w / 2 <= canvas.x_max + 1e-6
                and y - h / 2 >= canvas.y_min - 1e-6
                and y + h / 2 <= canvas.y_max + 1e-6
            )
            for other in range(netlist.num_nodes):
                if (
                    not ok
                    or other == node
                    or not placement.placed[other]
                    or netlist.node_kinds[other] != NodeKind.HARD_MACRO
                ):
                    continue
                (ox, oy), (ow, oh) = placement.positions[other], sizes[other]
                if (
                    _overlap_1d(x - w / 2, x + w / 2, ox - ow / 2, ox + ow / 2) > 0
                    and _overlap_1d(y - h / 2, y + h / 2, oy - oh / 2, oy + oh / 2) > 0
                ):
                    ok = False
            mask[r, c] = ok
    return mask


@pytest.mark.parametrize("name", ["n30", "ami33"])
def test_position_mask__agrees_with_rectangle_tests_cell_by_cell(name, rng):
    netlist = netlists.load(name).netlist
    grid = Grid.over(netlist.canvas, 16, 16)
    for _ in range(3):
        placement = _random_partial(netlist, rng, 0.3)
        node = int(rng.choice(netlist.nodes_of_kind(NodeKind.HARD_MACRO)))
        orient = int(rng.integers(0, 8))
        got = position_mask(netlist, placement, node, grid, orientation=orient)
        np.testing.assert_array_equal(
            got, _naive_position_mask(netlist, placement, node, grid, orient)
        )


def test_position_mask__touching_a_placed_macro_is_allowed():
    netlist = netlists.load("n10").netlist
    grid = Grid.over(netlist.canvas, 8, 8)  # 100 x 100 micron cells
    xs, ys = grid.cell_centres()
    empty = Placement.empty(netlist)
    # A 100 x 100 blocker whose edges fall on cell boundaries cannot forbid its neighbours.
    sizes = netlist.node_sizes
    node = 0
    blocker = 1
    fake = replace(netlist, node_sizes=np.where(np.arange(len(sizes))[:, None] < 2, 100.0, sizes))
    placement = empty.with_positions([blocker], [[xs[3], ys[3]]])
    mask = position_mask(fake, placement, node, grid)
    assert not mask[3, 3]
    assert mask[3, 2] and mask[3, 4] and mask[2, 3] and mask[4, 3]


@pytest.mark.parametrize("name", ["ibm01", "ariane133_ng45"])
def test_hpwl_delta__move_swap_and_flip_match_full_recomputation(name, rng):
    design = netlists.load(name)
    netlist, placement = design.netlist, design.placement
    macros = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    before = hpwl(netlist, placement)
    a, b = (int(v) for v in rng.choice(macros, size=2, replace=False))
    target = rng.uniform(0, netlist.canvas.width, size=(1, 2))
    moves = [
        ([a], target, None),
        ([a, b], placement.positions[[b, a]], None),
        ([a], placement.positions[[a]], [Orientation.FS]),
    ]
    for nodes, positions, orientations in moves:
        after = placement.with_positions(nodes, positions, orientations)
        want = hpwl(netlist, after) - before
        got = hpwl_delta(netlist, placement, nodes, positions, orientations)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-6)
