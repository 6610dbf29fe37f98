"""The sequence-pair packing against its O(n^2) golden version, and the floorplan placer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agents
import netlists
from agents.floorplan import TURNED, sequence_pair_of
from agents.sequence_pair import pack, pack_naive
from placement_env.legality import check_legality


@st.composite
def sequence_pairs(draw):
    n = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 9, size=(n, 2)).astype(float)  # integers: ties between ends happen
    pinned = rng.random(n) < draw(st.sampled_from([0.0, 0.3]))
    floors = rng.integers(0, 20, size=(n, 2)).astype(float)
    return rng.permutation(n), rng.permutation(n), sizes[:, 0], sizes[:, 1], floors, pinned


def _overlaps(x, y, w, h) -> bool:
    for a in range(len(x)):
        for b in range(a + 1, len(x)):
            if min(x[a] + w[a], x[b] + w[b]) - max(x[a], x[b]) > 0 and (
                min(y[a] + h[a], y[b] + h[b]) - max(y[a], y[b]) > 0
            ):
                return True
    return False


@settings(max_examples=200, deadline=None)
@given(sequence_pairs())
def test_pack__equals_the_constraint_graph_longest_paths_and_never_overlaps(pair):
    positive, negative, w, h, floors, pinned = pair
    x, y, width, height, push = pack(positive, negative, w, h, floors, pinned)
    golden = pack_naive(positive, negative, w, h, floors, pinned)
    assert np.array_equal(x, golden[0]) and np.array_equal(y, golden[1])
    assert (width, height, push) == golden[2:]
    assert not _overlaps(x, y, w, h)
    assert width == np.max(x + w) and height == np.max(y + h)
    # A pinned block sits at its floor exactly when nothing pushes it (push 0 for all of them).
    at_floor = (x[pinned] == floors[pinned, 0]) & (y[pinned] == floors[pinned, 1])
    assert (push == 0) == bool(at_floor.all())
    assert (x >= np.where(pinned, floors[:, 0], 0)).all()


def test_pack__the_textbook_relations():
    # a left of b: before in both; c below a: after a in positive, before a in negative.
    x, y, width, height, push = pack(
        np.array([0, 1, 2]), np.array([2, 0, 1]), np.array([2.0, 3.0, 4.0]), np.ones(3)
    )
    assert x.tolist() == [0.0, 2.0, 0.0] and y.tolist() == [1.0, 1.0, 0.0]
    assert (width, height, push) == (5.0, 2.0, 0.0)
    # Pin block 1 at x = 6: it moves right; pinned at x = 1, block 0 pushes it by 1.
    floors = np.array([[0.0, 0.0], [6.0, 1.0], [0.0, 0.0]])
    pinned = np.array([False, True, False])
    x, y, width, _, push = pack(
        np.array([0, 1, 2]), np.array([2, 0, 1]), np.array([2.0, 3.0, 4.0]), np.ones(3),
        floors, pinned,
    )  # fmt: skip
    assert (x[1], y[1], width, push) == (6.0, 1.0, 9.0, 0.0)
    floors[1] = [1.0, 1.0]
    assert pack(
        np.array([0, 1, 2]), np.array([2, 0, 1]), np.array([2.0, 3.0, 4.0]), np.ones(3),
        floors, pinned,
    )[4] == 1.0  # fmt: skip


def test_sequence_pair_of__a_grid_of_blocks_packs_back_to_the_same_grid():
    centres = np.array([[i + 0.5, j + 0.5] for j in range(3) for i in range(3)])
    positive, negative = sequence_pair_of(centres)
    x, y, width, height, _ = pack(positive, negative, np.ones(9), np.ones(9))
    assert np.array_equal(np.column_stack((x + 0.5, y + 0.5)), centres)
    assert (width, height) == (3.0, 3.0)


@pytest.mark.parametrize("rotate", [False, True])
def test_floorplan__legal_inside_the_outline_and_rotates_only_when_allowed(rotate):
    design = netlists.load("n30")
    result = agents.make_placer("floorplan", rotate=rotate).place(
        design, np.random.default_rng(0), agents.Budget(evaluations=800)
    )
    placement = result.placement
    assert check_legality(design.netlist, placement).is_legal  # no legaliser involved
    macros = np.flatnonzero(design.netlist.node_kinds == int(netlists.NodeKind.HARD_MACRO))
    turned = np.isin(placement.orientations[macros], TURNED)
    assert turned.any() == rotate  # seed 0 keeps some turned blocks when they are allowed
    footprints = placement.footprints(design.netlist, macros)
    sizes = design.netlist.node_sizes[macros]
    assert np.array_equal(footprints[turned], sizes[turned][:, ::-1])
    corners = placement.positions[macros] - footprints / 2
    canvas = design.netlist.canvas
    assert (corners >= [canvas.x_min - 1e-9, canvas.y_min - 1e-9]).all()
    assert (corners + footprints <= [canvas.x_max + 1e-9, canvas.y_max + 1e-9]).all()


def test_floorplan__beats_greedy_on_wirelength_and_is_deterministic_for_a_seed():
    from placement_env.wirelength import hpwl

    design = netlists.load("n100")
    run = [
        agents.make_placer("floorplan").place(
            design, np.random.default_rng(3), agents.Budget(evaluations=1500)
        )
        for _ in range(2)
    ]
    assert run[0].placement.same_as(run[1].placement)
    greedy = agents.make_placer("greedy").place(
        design, np.random.default_rng(3), agents.Budget(evaluations=10)
    )
    assert hpwl(design.netlist, run[0].placement) < hpwl(design.netlist, greedy.placement)


def test_floorplan__packs_around_the_fixed_blocks_of_the_tpu_chip():
    from placement_env.designs import load_design

    design = load_design("tpu_v1")
    nl = design.netlist
    fixed = np.flatnonzero((nl.node_kinds == int(netlists.NodeKind.HARD_MACRO)) & nl.node_fixed)
    assert len(fixed)  # the chip's pre-placed blocks
    result = agents.make_placer("floorplan").place(
        design, np.random.default_rng(0), agents.Budget(evaluations=3000)
    )
    assert check_legality(nl, result.placement).is_legal
    assert np.array_equal(result.placement.positions[fixed], design.placement.positions[fixed])
    assert any(note.startswith("result=packing") for note in result.stats.notes)


def test_floorplan__bad_options_and_impossible_designs_are_placer_errors():
    with pytest.raises(agents.PlacerError, match="move_weights"):
        agents.make_placer("floorplan", move_weights=(1.0, 0.0))
    with pytest.raises(agents.PlacerError, match="no move once rotations are off"):
        agents.make_placer("floorplan", move_weights=(0.0, 0.0, 0.0, 1.0, 0.0))
    with pytest.raises(agents.PlacerError, match="outline_weight"):
        agents.make_placer("floorplan", outline_weight=0.0)


def test_floorplan__on_a_crowded_die_a_tiny_budget_returns_the_greedy_start_and_says_so():
    crowded = netlists.load("ami49")  # 87% full: 50 moves find no packing inside the die
    result = agents.make_placer("floorplan").place(
        crowded, np.random.default_rng(0), agents.Budget(evaluations=50)
    )
    greedy = agents.make_placer("greedy").place(
        crowded, np.random.default_rng(0), agents.Budget(evaluations=1)
    )
    assert "result=greedy start (no better packing fit the outline)" in result.stats.notes
    assert result.placement.same_as(greedy.placement)
    # With a budget, a packing that fits wins (seed 0, 20,000 moves; area weight to pack tight).
    packed = agents.make_placer("floorplan", rotate=True, area_weight=1.0).place(
        crowded, np.random.default_rng(0), agents.Budget(evaluations=20_000)
    )
    assert any(note.startswith("result=packing") for note in packed.stats.notes)
    assert check_legality(crowded.netlist, packed.placement).is_legal


def test_packing_score__equals_the_naive_packing_and_hpwl_on_random_layouts(rng):
    from agents.base import MacroProblem
    from agents.floorplan import Layout, Packing
    from placement_env.designs import load_design
    from placement_env.wirelength import hpwl

    for design in (netlists.load("n100"), load_design("tpu_v1")):
        problem = MacroProblem(design, "placed")
        sub, local = problem.sub, problem.local
        fixed = np.flatnonzero(
            (sub.node_kinds == int(netlists.NodeKind.HARD_MACRO)) & sub.node_fixed
        )
        sizes = np.concatenate(
            [sub.node_sizes[local].astype(float), problem.start.footprints(sub, fixed)]
        )
        n = len(sizes)
        corner = np.array([sub.canvas.x_min, sub.canvas.y_min])
        floors = np.zeros((n, 2))
        floors[len(local) :] = problem.start.positions[fixed] - sizes[len(local) :] / 2 - corner
        packing = Packing(problem, sizes, floors, 0.0)
        for _ in range(5):
            layout = Layout(rng.permutation(n), rng.permutation(n), rng.integers(0, 8, n))
            packing.score(layout)
            turned = np.isin(layout.orientations, TURNED)
            w = np.where(turned, sizes[:, 1], sizes[:, 0])
            h = np.where(turned, sizes[:, 0], sizes[:, 1])
            x, y, width, height, push = pack_naive(
                layout.positive, layout.negative, w, h, floors, packing.pinned
            )
            assert (layout.width, layout.height) == pytest.approx((width, height), rel=1e-12)
            expected_fit = width <= sub.canvas.width and height <= sub.canvas.height and push == 0
            assert layout.fits == expected_fit
            placement = packing.placement(layout)
            m = len(local)
            shift = corner.copy()
            if not len(fixed):
                shift += np.maximum(
                    0.0, (np.array([sub.canvas.width, sub.canvas.height]) - [width, height]) / 2
                )
            centres = shift + np.column_stack((x[:m] + w[:m] / 2, y[:m] + h[:m] / 2))
            assert np.allclose(placement.positions[local], centres, rtol=0, atol=1e-9)
            assert layout.hpwl == pytest.approx(hpwl(sub, placement), rel=1e-12)


def test_slide__keeps_the_relations_and_no_feasible_slide_beats_it(rng):
    from agents.base import MacroProblem
    from agents.floorplan import Layout, Packing
    from agents.topology_lp import relation_pairs, slide
    from placement_env.wirelength import hpwl

    design = netlists.load("n100")
    problem = MacroProblem(design, "placed")
    sub, local = problem.sub, problem.local
    sizes = sub.node_sizes[local].astype(float)
    n = len(local)
    # A generous die (the bundled one), so that the packing leaves room to slide.
    packing = Packing(problem, sizes, np.zeros((n, 2)), 0.0)
    rows = np.arange(n)  # ten rows of ten, in order: a loose packing with room to slide
    positive, negative = sequence_pair_of(np.column_stack((rows % 10, rows // 10)) * 1000.0)
    layout = packing.score(Layout(positive, negative, np.zeros(n, dtype=np.int64)))
    assert layout.fits
    packed = packing.placement(layout)
    slid = slide(sub, packed, local, positive, negative, sizes, np.zeros(n, dtype=bool))
    assert slid is not None
    assert check_legality(sub, slid).is_legal
    best = hpwl(sub, slid)
    assert best < hpwl(sub, packed)
    corner = slid.positions[local] - sizes / 2
    left, below = relation_pairs(positive, negative)
    assert (corner[left[:, 0], 0] + sizes[left[:, 0], 0] <= corner[left[:, 1], 0] + 1e-9).all()
    assert (corner[below[:, 0], 1] + sizes[below[:, 0], 1] <= corner[below[:, 1], 1] + 1e-9).all()
    # Random slides that keep the relations and the die never beat the LP's.
    canvas = sub.canvas
    origin = np.array([canvas.x_min, canvas.y_min])
    tried = 0
    for _ in range(40):
        floors = (corner - origin) + rng.uniform(-20, 20, size=(n, 2))
        floors = np.maximum(floors, 0.0)
        x, y, width, height, _ = pack(
            positive, negative, sizes[:, 0], sizes[:, 1], floors, np.ones(n, dtype=bool)
        )
        if width > canvas.width or height > canvas.height:
            continue
        tried += 1
        other = packed.with_positions(local, origin + np.column_stack((x, y)) + sizes / 2)
        assert hpwl(sub, other) >= best - 1e-6 * best
    assert tried >= 10


def test_outline_weight__grows_while_nothing_fits_and_never_falls_below_its_start():
    from agents.floorplan import OutlineWeight

    weight = OutlineWeight(4.0, window=10, low=0.1, high=0.5, step=2.0)
    for _ in range(30):
        weight.observe(False)
    assert weight.value == 32.0  # three windows without a fit
    for _ in range(10):
        weight.observe(True)
    assert weight.value == 16.0
    for _ in range(100):
        weight.observe(True)
    assert weight.value == 4.0
    for _ in range(10):
        weight.observe(bool(_ % 3 == 0))  # 4 of 10 fit: inside the band, unchanged
    assert weight.value == 4.0
