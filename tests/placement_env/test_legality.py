"""Legality and area checks against an exact shapely oracle, on random and bundled placements."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import netlists
from netlists import Canvas, Netlist, Node, NodeKind, Orientation, Placement
from placement_env import legality
from placement_env.legality import (
    AreaReport,
    LegalityReport,
    area_report,
    box_overlaps,
    check_legality,
    find_overlaps,
    out_of_die,
    out_of_die_area,
    overlap_area,
    overlapping_pairs,
    union_area,
)

# -- the oracle: shapely geometry, independent of the module under test ----------------------------


def oracle_boxes(netlist: Netlist, placement: Placement, nodes: np.ndarray) -> np.ndarray:
    """(m, 4) x_lo, y_lo, x_hi, y_hi of the nodes, from the netlists package's own footprints."""
    half = placement.footprints(netlist)[nodes] / 2.0
    centres = placement.positions[nodes]
    return np.concatenate([centres - half, centres + half], axis=1)


def oracle_geometries(boxes: np.ndarray) -> np.ndarray:
    """Exact shapely shapes: a point, segment or rectangle according to the box's dimension."""
    shapes = []
    for x0, y0, x1, y1 in boxes:
        if x0 == x1 and y0 == y1:
            shapes.append(shapely.Point(x0, y0))
        elif x0 == x1 or y0 == y1:
            shapes.append(shapely.LineString([(x0, y0), (x1, y1)]))
        else:
            shapes.append(shapely.box(x0, y0, x1, y1))
    return np.array(shapes, dtype=object)


def oracle_overlaps(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, 2) local pairs with a positive-area intersection (STRtree query) and their areas."""
    geoms = oracle_geometries(boxes)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    positive = areas > 0
    pairs = np.stack([left[positive], right[positive]], axis=1).astype(np.int64).reshape(-1, 2)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    return pairs[order], areas[positive][order]


def oracle_outside(boxes: np.ndarray, die: tuple[float, float, float, float], tol: float = 0.0):
    """(m,) bool: the block is not covered by the die grown by ``tol``; (m,) area outside it."""
    geoms = oracle_geometries(boxes)
    grown = shapely.box(die[0] - tol, die[1] - tol, die[2] + tol, die[3] + tol)
    outside = ~shapely.covers(grown, geoms)
    area_out = shapely.area(shapely.difference(geoms, shapely.box(*die)))
    return outside, area_out


def oracle_union(boxes: np.ndarray, die: tuple[float, float, float, float]) -> float:
    geoms = oracle_geometries(boxes)
    return float(shapely.union_all(geoms).intersection(shapely.box(*die)).area)


def die_of(netlist: Netlist) -> tuple[float, float, float, float]:
    c = netlist.canvas
    return (c.x_min, c.y_min, c.x_max, c.y_max)


# -- building small designs ------------------------------------------------------------------------


def make_design(
    boxes: np.ndarray,
    canvas: Canvas,
    kinds: np.ndarray | None = None,
    orientations: np.ndarray | None = None,
    placed: np.ndarray | None = None,
) -> tuple[Netlist, Placement]:
    """A netlist without nets whose nodes, as placed, cover ``boxes`` (x_lo, y_lo, x_hi, y_hi).

    Rotated nodes (E, W, FE, FW) get their width and height swapped in the netlist, so that the
    placed footprint is still the box.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    n = len(boxes)
    kinds = np.zeros(n, dtype=int) if kinds is None else np.asarray(kinds)
    orientations = np.zeros(n, dtype=int) if orientations is None else np.asarray(orientations)
    sizes = boxes[:, 2:] - boxes[:, :2]
    nodes = []
    for i, (w, h) in enumerate(sizes):
        if Orientation(int(orientations[i])).swaps_sides:
            w, h = h, w
        nodes.append(Node(f"b{i}", NodeKind(int(kinds[i])), float(w), float(h)))
    netlist = Netlist.from_records("boxes", canvas, nodes, [])
    placement = Placement(
        positions=(boxes[:, :2] + boxes[:, 2:]) / 2.0,
        orientations=orientations,
        placed=np.ones(n, dtype=bool) if placed is None else placed,
    )
    return netlist, placement


def random_boxes(
    rng: np.random.Generator, n: int, extent: float, max_size: float, grid: float | None
) -> np.ndarray:
    """(n, 4) random boxes, some poking out of [0, extent]^2; snapped to ``grid`` if given."""
    lo = rng.uniform(-0.05 * extent, extent, size=(n, 2))
    size = rng.uniform(0.0, max_size, size=(n, 2))
    size[rng.random(n) < 0.05, 0] = 0.0  # zero-width blocks
    size[rng.random(n) < 0.05] = 0.0  # points
    if grid:
        lo = np.round(lo / grid) * grid
        size = np.round(size / grid) * grid
    boxes = np.concatenate([lo, lo + size], axis=1)
    k = max(1, n // 20)
    boxes[rng.integers(0, n, k)] = boxes[rng.integers(0, n, k)]  # identical rectangles
    return boxes


def assert_matches_oracle(netlist: Netlist, placement: Placement, nodes: np.ndarray) -> None:
    """Every fast function agrees with the shapely oracle on ``nodes`` (all placed)."""
    boxes = oracle_boxes(netlist, placement, nodes)
    want_pairs, want_areas = oracle_overlaps(boxes)
    got = find_overlaps(netlist, placement, nodes, tol=0.0)
    np.testing.assert_array_equal(got.pairs, nodes[want_pairs].reshape(-1, 2))
    np.testing.assert_allclose(got.areas, want_areas, rtol=1e-9, atol=1e-9)
    outside, area_out = oracle_outside(boxes, die_of(netlist))
    np.testing.assert_array_equal(out_of_die(netlist, placement, nodes, tol=0.0), nodes[outside])
    assert out_of_die_area(netlist, placement, nodes) == pytest.approx(area_out.sum(), abs=1e-6)
    report = area_report(netlist, placement, nodes)
    assert report.covered_area == pytest.approx(oracle_union(boxes, die_of(netlist)), abs=1e-6)
    assert report.overlap_area == pytest.approx(want_areas.sum(), abs=1e-6)


# -- random placements against the oracle ----------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "max_size", "grid"),
    [(400, 60.0, 0.5), (300, 25.0, None), (60, 400.0, 1.0), (200, 5.0, 0.25)],
)
def test_random_placements_match_oracle(rng, n, max_size, grid):
    boxes = random_boxes(rng, n, 1000.0, max_size, grid)
    orientations = rng.integers(0, 8, n)
    netlist, placement = make_design(boxes, Canvas(1000.0, 1000.0), orientations=orientations)
    assert_matches_oracle(netlist, placement, np.arange(n))


def test_random_placement_on_offset_canvas_matches_oracle(rng):
    boxes = random_boxes(rng, 200, 300.0, 40.0, None) + np.array([-50.0, 20.0, -50.0, 20.0])
    netlist, placement = make_design(boxes, Canvas(300.0, 300.0, x_min=-50.0, y_min=20.0))
    assert_matches_oracle(netlist, placement, np.arange(200))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-3, 12), st.integers(-3, 12), st.integers(0, 6), st.integers(0, 6)),
        min_size=0,
        max_size=25,
    )
)
def test_small_integer_placements_match_oracle(raw):
    """Small integer boxes: many touching edges, identical, nested and zero-size blocks."""
    boxes = np.array([(x, y, x + w, y + h) for x, y, w, h in raw], dtype=np.float64)
    netlist, placement = make_design(boxes.reshape(-1, 4), Canvas(10.0, 10.0))
    assert_matches_oracle(netlist, placement, np.arange(len(raw)))


def test_chunked_sweep_and_union_match_unchunked(rng, monkeypatch):
    boxes = random_boxes(rng, 300, 200.0, 50.0, 0.5)
    want_pairs, want_areas = box_overlaps(boxes, 0.0)
    want_union = union_area(boxes)
    monkeypatch.setattr(legality, "_CANDIDATE_CHUNK", 7)
    monkeypatch.setattr(legality, "_GRID_CHUNK", 50)
    got_pairs, got_areas = box_overlaps(boxes, 0.0)
    np.testing.assert_array_equal(got_pairs, want_pairs)
    np.testing.assert_array_equal(got_areas, want_areas)
    assert union_area(boxes) == pytest.approx(want_union, rel=1e-12)
    assert want_union == pytest.approx(oracle_union(boxes, (-1e9, -1e9, 1e9, 1e9)), rel=1e-12)


# -- edge cases ------------------------------------------------------------------------------------


def test_touching_edges_and_corners_do_not_overlap():
    boxes = [(0, 0, 2, 2), (2, 0, 4, 2), (0, 2, 2, 4), (2, 2, 4, 4), (4, 4, 5, 5)]
    netlist, placement = make_design(np.array(boxes), Canvas(5.0, 5.0))
    assert overlapping_pairs(netlist, placement).shape == (0, 2)
    assert overlap_area(netlist, placement) == 0.0
    report = check_legality(netlist, placement)
    assert report.is_legal and report.n_blocks == 5


def test_identical_nested_and_zero_size_blocks():
    boxes = [
        (1, 1, 3, 3),  # 0
        (1, 1, 3, 3),  # 1: identical to 0
        (1.5, 1.5, 2.5, 2),  # 2: inside 0 and 1
        (2, 2, 2, 2),  # 3: a point inside 0 and 1
        (2, 0, 2, 4),  # 4: a vertical segment through 0, 1 and 2
    ]
    netlist, placement = make_design(np.array(boxes), Canvas(5.0, 5.0))
    found = find_overlaps(netlist, placement)
    np.testing.assert_array_equal(found.pairs, [[0, 1], [0, 2], [1, 2]])
    np.testing.assert_allclose(found.areas, [4.0, 0.5, 0.5])
    assert found.total_area == pytest.approx(5.0)
    np.testing.assert_array_equal(found.nodes, [0, 1, 2])
    report = area_report(netlist, placement)
    assert report.block_area == pytest.approx(8.5)
    assert report.covered_area == pytest.approx(4.0)
    assert report.whitespace == pytest.approx(21.0)


def test_tolerance_of_overlaps_and_die():
    boxes = [(0, 0, 2, 2), (1.9995, 0, 4, 2), (4.0, -0.0005, 5.0005, 1)]
    netlist, placement = make_design(np.array(boxes), Canvas(5.0, 5.0))
    # Boxes 1 and 2 share the edge x = 4, but centre - width / 2 rounds box 2's left edge to
    # 3.9999999999999996: a 4e-16 micron sliver that only a zero tolerance reports.
    assert overlapping_pairs(netlist, placement, tol=0.0).tolist() == [[0, 1], [1, 2]]
    assert overlapping_pairs(netlist, placement).tolist() == [[0, 1]]  # default 1e-9 micron
    assert overlapping_pairs(netlist, placement, tol=1e-3).shape == (0, 2)
    assert out_of_die(netlist, placement, tol=0.0).tolist() == [2]
    assert out_of_die(netlist, placement, tol=1e-3).tolist() == []
    assert out_of_die(netlist, placement).tolist() == [2]  # default 1e-9 micron
    assert out_of_die_area(netlist, placement) == pytest.approx(
        1.0005 * 1.0005 - 1.0 * 1.0, rel=1e-9
    )


def test_rotation_swaps_the_footprint():
    netlist, placement = make_design(
        np.array([(0, 0, 1, 4), (0.5, 3.5, 4.5, 4.5)]), Canvas(5.0, 5.0), orientations=[2, 3]
    )
    assert netlist.node_sizes.tolist() == [[4.0, 1.0], [1.0, 4.0]]
    np.testing.assert_allclose(find_overlaps(netlist, placement).areas, [0.25])


def test_kinds_nodes_and_unplaced_selection():
    boxes = np.array([(0, 0, 2, 2)] * 4 + [(1, 1, 3, 3)] + [(8, 8, 12, 12)])
    kinds = [
        NodeKind.HARD_MACRO,
        NodeKind.SOFT_MACRO,
        NodeKind.STD_CELL,
        NodeKind.PORT,
        NodeKind.HARD_MACRO,
        NodeKind.HARD_MACRO,
    ]
    placed = np.array([True, True, True, True, True, False])
    netlist, placement = make_design(boxes, Canvas(10.0, 10.0), kinds=kinds, placed=placed)
    assert overlapping_pairs(netlist, placement).tolist() == [[0, 4]]
    assert len(overlapping_pairs(netlist, placement, kinds=None)) == 10
    soft_and_hard = overlapping_pairs(netlist, placement, kinds=(NodeKind.HARD_MACRO, 1))
    assert soft_and_hard.tolist() == [[0, 1], [0, 4], [1, 4]]
    assert overlapping_pairs(netlist, placement, nodes=[3, 2]).tolist() == [[2, 3]]
    mask = np.array([False, False, True, True, False, False])
    assert overlapping_pairs(netlist, placement, nodes=mask).tolist() == [[2, 3]]
    assert out_of_die(netlist, placement).tolist() == []  # node 5 is unplaced
    report = check_legality(netlist, placement)
    assert report == LegalityReport(
        is_legal=False,
        n_blocks=2,
        n_unplaced=1,
        n_overlapping_pairs=1,
        overlap_area=1.0,
        n_out_of_die=0,
        out_of_die_area=0.0,
    )
    assert not check_legality(netlist, placement, nodes=[0, 5]).is_legal
    assert check_legality(netlist, placement, nodes=[0, 5], allow_unplaced=True).is_legal
    with pytest.raises(IndexError):
        overlapping_pairs(netlist, placement, nodes=[6])
    with pytest.raises(IndexError):
        overlapping_pairs(netlist, placement, nodes=mask[:5])


def test_empty_and_single_block():
    netlist, placement = make_design(np.zeros((0, 4)), Canvas(10.0, 10.0))
    assert overlapping_pairs(netlist, placement).shape == (0, 2)
    report = area_report(netlist, placement)
    assert report.n_blocks == 0 and report.whitespace == 100.0 and report.bbox_area == 0.0
    assert report.bbox_utilisation == 0.0
    assert check_legality(netlist, placement).is_legal
    netlist, placement = make_design(np.array([(2, 3, 6, 5)]), Canvas(10.0, 10.0))
    report = area_report(netlist, placement)
    assert report == AreaReport(
        die_area=100.0,
        n_blocks=1,
        block_area=8.0,
        overlap_area=0.0,
        covered_area=8.0,
        whitespace=92.0,
        whitespace_ratio=0.92,
        utilisation=0.08,
        bbox=(2.0, 3.0, 6.0, 5.0),
        bbox_width=4.0,
        bbox_height=2.0,
        bbox_area=8.0,
        bbox_utilisation=1.0,
    )


def test_reports_are_frozen():
    netlist, placement = make_design(np.array([(0, 0, 1, 1)]), Canvas(10.0, 10.0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        check_legality(netlist, placement).is_legal = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        area_report(netlist, placement).whitespace = 0.0  # type: ignore[misc]


# -- bundled designs -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ariane() -> netlists.Design:
    return netlists.load("ariane133_ng45")


@pytest.fixture(scope="module")
def nvdla() -> netlists.Design:
    return netlists.load("nvdla_ng45")


@pytest.mark.parametrize("name", ["ariane", "nvdla"])
def test_legalized_hard_macros_are_legal(request, name):
    design = request.getfixturevalue(name)
    netlist = design.netlist
    legal = netlists.read_placement(design.reference_placements["legalized"], netlist)
    report = check_legality(netlist, legal)
    hard = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    assert report.is_legal
    assert report.n_blocks == len(hard) and report.n_unplaced == 0
    assert report.n_overlapping_pairs == 0 and report.n_out_of_die == 0
    assert_matches_oracle(netlist, legal, hard)
    areas = area_report(netlist, legal)
    block_area = float(np.prod(netlist.node_sizes[hard], axis=1).sum())
    assert areas.block_area == pytest.approx(block_area, rel=1e-12)
    assert areas.covered_area == pytest.approx(block_area, rel=1e-12)
    assert areas.whitespace == pytest.approx(netlist.canvas.area - block_area, rel=1e-12)
    assert areas.utilisation == pytest.approx(block_area / netlist.canvas.area, rel=1e-12)
    bounds = shapely.bounds(
        shapely.union_all(oracle_geometries(oracle_boxes(netlist, legal, hard)))
    )
    np.testing.assert_allclose(areas.bbox, bounds, rtol=0, atol=1e-9)
    assert areas.bbox_area <= netlist.canvas.area


def test_initial_ariane_has_18_hard_macros_over_the_edge(ariane):
    """The published initial placement of ariane133_ng45 is not legal: 18 macros stick out."""
    netlist, placement = ariane.netlist, ariane.placement
    hard = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    outside = out_of_die(netlist, placement)
    assert len(outside) == 18
    want_outside, want_area = oracle_outside(
        oracle_boxes(netlist, placement, hard), die_of(netlist), tol=1e-9
    )
    np.testing.assert_array_equal(outside, hard[want_outside])
    report = check_legality(netlist, placement)
    assert not report.is_legal and report.n_out_of_die == 18
    assert report.out_of_die_area == pytest.approx(want_area.sum(), rel=1e-9)
    assert_matches_oracle(netlist, placement, hard)


def test_all_block_kinds_of_initial_nvdla_match_oracle(nvdla):
    """Hard and soft macros of the initial placement (soft macros overlap a lot)."""
    netlist, placement = nvdla.netlist, nvdla.placement
    nodes = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    nodes = np.union1d(nodes, netlist.nodes_of_kind(NodeKind.SOFT_MACRO))
    assert len(overlapping_pairs(netlist, placement, kinds=(0, 1))) > 0
    assert_matches_oracle(netlist, placement, nodes)


def test_n100_all_at_the_centre_overlaps_everywhere():
    design = netlists.load("n100")
    netlist = design.netlist
    hard = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    canvas = netlist.canvas
    centre = (canvas.x_min + canvas.width / 2, canvas.y_min + canvas.height / 2)
    stacked = Placement.empty(netlist).with_positions(hard, np.tile(centre, (len(hard), 1)))
    found = find_overlaps(netlist, stacked)
    n = len(hard)
    assert found.count == n * (n - 1) // 2
    sizes = netlist.node_sizes[hard]
    i, j = found.pairs.T
    a, b = np.searchsorted(hard, i), np.searchsorted(hard, j)
    want = np.minimum(sizes[a], sizes[b]).prod(axis=1)
    np.testing.assert_allclose(found.areas, want, rtol=1e-12)
    report = area_report(netlist, stacked)
    largest = sizes.prod(axis=1).max()
    assert report.covered_area == pytest.approx(
        oracle_union(oracle_boxes(netlist, stacked, hard), die_of(netlist)), rel=1e-9
    )
    assert report.covered_area >= largest
    # Many blocks cover the same spots: the pairwise sum over-counts (a Bonferroni lower bound).
    assert report.block_area - report.overlap_area < report.covered_area
    assert not check_legality(netlist, stacked).is_legal
