"""Density / RUDY maps and incremental scoring against naive full recomputation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import netlists
from netlists import NodeKind, Orientation, Placement
from placement_env.grid import Grid
from placement_env.incremental import (
    hpwl_delta,
    lookahead_mask,
    position_mask,
    snapped_position_mask,
    wire_mask,
)
from placement_env.maps import density_map, rudy_map, spread_rectangles, top_fraction_mean, top_mean
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


def test_top_mean__equals_the_sorted_golden_version(rng):
    for size in (1, 7, 1000):
        values = rng.normal(size=size)
        for count in (1, 3, size, size + 5):
            golden = float(np.sort(values)[::-1][:count].sum()) / count
            assert top_mean(values, count) == pytest.approx(golden, rel=1e-12, abs=1e-15)
    with pytest.raises(ValueError, match="count >= 1"):
        top_mean(np.ones(3), 0)


def test_spread_rectangles__weights_and_counts_boxes_off_the_grid(rng):
    grid = Grid.over(netlists.load("n30").netlist.canvas, 4, 6)
    low = rng.uniform([grid.x0 - 50, grid.y0 - 50], [grid.x0 + grid.width, grid.y0 + 100], (40, 2))
    high = low + rng.uniform(1.0, 400.0, size=(40, 2))
    values = rng.uniform(0.5, 2.0, size=40)
    xe, ye = grid.x_edges(), grid.y_edges()
    want = np.zeros((4, 6))
    for (x0, y0), (x1, y1), v in zip(low, high, values, strict=True):
        for r in range(4):
            for c in range(6):
                want[r, c] += (
                    v
                    * _overlap_1d(x0, x1, xe[c], xe[c + 1])
                    * _overlap_1d(y0, y1, ye[r], ye[r + 1])
                )
    np.testing.assert_allclose(spread_rectangles(grid, low, high, values), want, rtol=1e-12)
    unweighted = spread_rectangles(grid, low, high)
    np.testing.assert_allclose(unweighted, spread_rectangles(grid, low, high, np.ones(40)))


def test_density_map__explicit_nodes_count_unplaced_ones_too(rng):
    netlist = netlists.load("n30").netlist
    placement = _random_partial(netlist, rng, 0.5)
    grid = Grid.over(netlist.canvas, 5, 5)
    hard = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    everything = Placement(
        placement.positions, placement.orientations, np.ones_like(placement.placed)
    )
    np.testing.assert_allclose(
        density_map(netlist, placement, grid, nodes=hard),
        density_map(netlist, everything, grid, kinds=(NodeKind.HARD_MACRO,)),
        rtol=1e-12,
    )


@pytest.mark.parametrize("name", ["n30", "ct_sample_clustered"])
def test_wire_mask__at_given_centres_equals_hpwl_delta(name, rng):
    netlist = netlists.load(name).netlist
    grid = Grid.over(netlist.canvas, 5, 4)
    canvas = netlist.canvas
    node = int(netlist.nodes_of_kind(NodeKind.HARD_MACRO)[0])
    placement = _random_partial(netlist, rng)
    placement = Placement(
        placement.positions,
        placement.orientations,
        np.where(np.arange(netlist.num_nodes) == node, False, placement.placed),
    )
    centres = rng.uniform(
        [canvas.x_min, canvas.y_min], [canvas.x_max, canvas.y_max], size=(5, 4, 2)
    )
    got = wire_mask(netlist, placement, node, grid, centres=centres)
    for r in range(5):
        for c in range(4):
            want = hpwl_delta(netlist, placement, [node], centres[r, c][None])
            assert got[r, c] == pytest.approx(want, abs=1e-6)


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


def _legal_centre(netlist, placement, node, x, y, tol=1e-6):
    """Naive: ``node`` centred at (x, y) is inside the die and overlaps no placed hard macro."""
    w, h = placement.footprints(netlist, np.array([node]))[0]
    canvas = netlist.canvas
    if not (
        x - w / 2 >= canvas.x_min - tol
        and x + w / 2 <= canvas.x_max + tol
        and y - h / 2 >= canvas.y_min - tol
        and y + h / 2 <= canvas.y_max + tol
    ):
        return False
    sizes = placement.footprints(netlist)
    for other in np.flatnonzero(placement.placed & (netlist.node_kinds == NodeKind.HARD_MACRO)):
        if other == node:
            continue
        (ox, oy), (ow, oh) = placement.positions[other], sizes[other]
        if (
            _overlap_1d(x - w / 2, x + w / 2, ox - ow / 2, ox + ow / 2) > tol
            and _overlap_1d(y - h / 2, y + h / 2, oy - oh / 2, oy + oh / 2) > tol
        ):
            return False
    return True


def _unplaced_macro(netlist, placement, rng):
    macros = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    node = int(rng.choice(macros))
    placed = placement.placed.copy()
    placed[node] = False
    return node, Placement(placement.positions, placement.orientations, placed)


@pytest.mark.parametrize("name", ["n30", "ami33"])
def test_snapped_position_mask__agrees_with_dense_sampling_of_every_cell(name, rng):
    netlist = netlists.load(name).netlist
    grid = Grid.over(netlist.canvas, 8, 8)
    xs, ys = grid.cell_centres()
    cw, ch = grid.width / grid.cols, grid.height / grid.rows
    frac = np.linspace(0.0, 1.0, 21)
    for _ in range(3):
        node, placement = _unplaced_macro(netlist, _random_partial(netlist, rng, 0.25), rng)
        mask, where = snapped_position_mask(netlist, placement, node, grid)
        centre_ok = position_mask(netlist, placement, node, grid)
        assert not (centre_ok & ~mask).any()  # a legal centre stays legal...
        np.testing.assert_allclose(where[centre_ok][:, 0], np.broadcast_to(xs, centre_ok.shape)
                                   [centre_ok])  # fmt: skip
        for r in range(grid.rows):
            for c in range(grid.cols):
                x0, y0 = grid.x0 + c * cw, grid.y0 + r * ch
                sampled = [
                    (x, y)
                    for x in x0 + frac * cw
                    for y in y0 + frac * ch
                    if _legal_centre(netlist, placement, node, x, y)
                ]
                if sampled:  # complete: a cell with any legal point is legal
                    assert mask[r, c]
                if not mask[r, c]:
                    continue
                x, y = where[r, c]
                assert _legal_centre(netlist, placement, node, x, y)  # sound
                assert x0 - 1e-9 <= x <= x0 + cw + 1e-9 and y0 - 1e-9 <= y <= y0 + ch + 1e-9
                nearest = min(((px - xs[c]) ** 2 + (py - ys[r]) ** 2 for px, py in sampled),
                              default=np.inf)  # fmt: skip
                assert (x - xs[c]) ** 2 + (y - ys[r]) ** 2 <= nearest + 1e-6  # nearest


def test_snapped_position_mask__abuts_a_macro_where_no_cell_centre_fits():
    netlist = netlists.load("n10").netlist
    grid = Grid.over(netlist.canvas, 8, 8)  # 100 x 100 micron cells on an 800 x 800 canvas
    sizes = netlist.node_sizes.copy()
    sizes[0] = (130.0, 100.0)  # the macro to place
    sizes[1] = (520.0, 800.0)  # leaves a 280-wide strip on the right
    fake = replace(netlist, node_sizes=sizes)
    placement = Placement.empty(fake).with_positions([1], [[260.0, 400.0]])
    assert not position_mask(fake, placement, 0, grid)[:, 5].any()  # centre 550: overlaps
    mask, where = snapped_position_mask(fake, placement, 0, grid)
    assert mask[:, 5].all()
    np.testing.assert_allclose(where[:, 5, 0], 520.0 + 65.0)  # abutting the blocker's right side


@pytest.mark.parametrize(("name", "fraction"), [("ami33", 0.6), ("ami49", 0.4)])
def test_lookahead_mask__equals_placing_the_macro_and_checking_every_pending_one(name, fraction):
    rng = np.random.default_rng(0)  # crowded enough that some cells are excluded (checked)
    netlist = netlists.load(name).netlist
    grid = Grid.over(netlist.canvas, 12, 12)
    xs, ys = grid.cell_centres()
    macros = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    largest = macros[np.argsort(-netlist.node_sizes[macros].prod(axis=1))][:8]
    excluded = kept = 0
    for _ in range(3):
        base = _random_partial(netlist, rng, fraction)
        placed = base.placed.copy()
        pending = rng.choice(largest, size=4, replace=False)
        placed[pending] = False
        placement = Placement(base.positions, base.orientations, placed)
        node, rest = int(pending[0]), pending[1:]
        got = lookahead_mask(netlist, placement, node, grid, rest)
        mask = position_mask(netlist, placement, node, grid)
        for r, c in np.argwhere(mask):
            after = placement.with_positions([node], [[xs[c], ys[r]]])
            expect = all(position_mask(netlist, after, int(o), grid).any() for o in rest)
            assert got[r, c] == expect
        assert not (got & ~mask).any()
        excluded += int((mask & ~got).sum())
        kept += int(got.sum())
    assert excluded > 0 and kept > 0
