"""``floorplan``: fixed-outline floorplanning of the hard macros, annealed on a sequence pair.

Dense block-level dies (the TPU chips are 79% full, ami49 87%) defeat placers that drop blocks
on a grid: random rollouts dead-end, and the legaliser repairs by packing around the centre. A
topological representation cannot produce an overlap, so the search never leaves the legal set.
The sequence pair (:mod:`agents.sequence_pair`) was chosen over a B*-tree for that reason, and
because any of its moves (a swap in one order or in both, a rotation) keeps every state valid
without repair. Packing costs O(n log n); packing and HPWL run as one compiled call per move.

Cost of a state: HPWL (:func:`placement_env.wirelength.hpwl` over the problem's sub-netlist:
the macros, ports and the context of :mod:`agents.base`) divided by the start's HPWL, plus
``area_weight`` x the packing's bounding-box area over the die's, plus a penalty on the packing's
relative excess over the die's width and height. The penalty's weight starts at
``outline_weight`` and adapts to how often the search lands inside the outline
(:class:`OutlineWeight`, after Fast-SA's adaptive weights), so the search hovers near the
outline's edge. Without fixed blocks the packing sits centred in the die's spare room. Only a state
that fits the outline can be the result. The greedy placement that the first sequence pair is
read from stays a candidate: when no packing that fits beats it (a tiny budget on a crowded
die), the result is that greedy placement, and the notes say so. The Metropolis loop, start
temperature and cooling are those of :mod:`agents.annealing` (one loop for all the annealers).
The sequence distance of a swap shrinks with the move radius, so that the last part of a run
makes local moves. The best packing's blocks are then slid to their least-HPWL spots inside the
die with its relations kept (:mod:`agents.topology_lp`, one LP per axis).

Fixed hard macros are pre-placed blocks of the sequence pair (:mod:`agents.sequence_pair`): a
packing that pushes one off its place is priced like an overflow of the outline, so only
packings that leave every fixed block where it is can be results. A design whose hard macros
cover more than the die is refused.
"""

from __future__ import annotations

import numba
import numpy as np

from agents.annealing import calibrate, metropolis
from agents.annealing_schedule import RADIUS_START, START_ACCEPTANCE
from agents.base import (
    Budget,
    MacroProblem,
    Meter,
    Placer,
    PlacerError,
    PlacerResult,
    PlacerStats,
    register,
)
from agents.greedy import greedy_sub_placement
from agents.sequence_pair import pack_axis
from agents.topology_lp import slide
from netlists import Design, NodeKind, Placement
from placement_env.wirelength import HpwlKernel, hpwl, hpwl_kernel

MOVES = ("swap_positive", "swap_negative", "swap_both", "rotate", "flip")
#: Orientations whose footprint is the block's as drawn (N, S, FN, FS) and turned (E, W, FE, FW).
UPRIGHT = np.array([0, 1, 4, 5])
TURNED = np.array([2, 3, 6, 7])
IS_TURNED = np.isin(np.arange(8), TURNED)


def sequence_pair_of(centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A sequence pair that keeps the left/below relations of blocks at ``centres``: positive
    by x - y, negative by x + y (a block left of another on the same row comes first in both;
    one below another in the same column comes later in positive and first in negative)."""
    x, y = centres[:, 0], centres[:, 1]
    positive = np.lexsort((np.arange(len(x)), x - y))
    negative = np.lexsort((np.arange(len(x)), x + y))
    return positive.astype(np.int64), negative.astype(np.int64)


@register
class FloorplanPlacer(Placer):
    """Sequence-pair annealing of the movable hard macros inside the die.

    Args:
        rotate: Allow 90-degree rotations (width and height swap); flips that keep the footprint
            are always allowed.
        outline_weight: Cost of exceeding the die by its whole width or height, in units of the
            start's HPWL, at the start of the run (then adapted, never lower).
        area_weight: Weight of the packing's area over the die's (0: wirelength only; raise it
            to pack tightly, e.g. for an area benchmark).
        move_weights: Relative frequencies of the moves of :data:`MOVES` (a rotation's weight is
            ignored without ``rotate``).
        context: ``"placed"`` or ``"macros"`` (see :mod:`agents.base`).
        start_acceptance: Probability of accepting an average uphill move at the start.
        grid: Cells per side of the greedy placement the first sequence pair comes from.
        default_evaluations: Budget in evaluations when the caller gives none.
        slide: Slide the best packing's blocks to their least-HPWL spots inside the die, its
            relations kept (:mod:`agents.topology_lp`), when that shortens the wires; only with
            ``area_weight`` 0, since sliding spreads the packing over the die.
    """

    name = "floorplan"

    def __init__(
        self,
        rotate: bool = False,
        outline_weight: float = 4.0,
        area_weight: float = 0.0,
        move_weights: tuple[float, float, float, float, float] = (0.3, 0.3, 0.2, 0.1, 0.1),
        context: str = "placed",
        start_acceptance: float = START_ACCEPTANCE,
        grid: int = 64,
        default_evaluations: int = 5000,
        slide: bool = True,
    ) -> None:
        weights = np.asarray(move_weights, dtype=float)
        if weights.shape != (len(MOVES),) or (weights < 0).any() or not weights.sum() > 0:
            raise PlacerError(f"move_weights takes {len(MOVES)} weights >= 0 for {MOVES}")
        if not rotate:
            weights[MOVES.index("rotate")] = 0.0
        if not weights.sum() > 0:
            raise PlacerError("move_weights leaves no move once rotations are off")
        if not outline_weight > 0:
            raise PlacerError(f"outline_weight must be positive, got {outline_weight}")
        if not area_weight >= 0:
            raise PlacerError(f"area_weight must be >= 0, got {area_weight}")
        if not 0.0 < start_acceptance < 1.0:
            raise PlacerError(f"start_acceptance must be in (0, 1), got {start_acceptance}")
        self.rotate = rotate
        self.outline_weight = float(outline_weight)
        self.area_weight = float(area_weight)
        self._move_cdf = np.cumsum(weights / weights.sum())
        self.context = context
        self.start_acceptance = start_acceptance
        self.grid_size = grid
        self.default_evaluations = default_evaluations
        self.slide = slide

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        meter = Meter(budget.or_default(self.default_evaluations))
        problem = MacroProblem(design, self.context)
        sub = problem.sub
        local = problem.local
        fixed = np.flatnonzero((sub.node_kinds == int(NodeKind.HARD_MACRO)) & sub.node_fixed)
        blocks = np.concatenate([local, fixed])
        canvas = sub.canvas
        sizes = np.concatenate(
            [sub.node_sizes[local].astype(np.float64), problem.start.footprints(sub, fixed)]
        )
        if sizes.prod(axis=1).sum() > canvas.width * canvas.height:
            raise PlacerError(
                f"the hard macros of {design.netlist.name!r} cover more than the die's area"
            )
        corner = np.array([canvas.x_min, canvas.y_min])
        floors = np.zeros((len(blocks), 2))
        floors[len(local) :] = problem.start.positions[fixed] - sizes[len(local) :] / 2 - corner
        state = Packing(problem, sizes, floors, self.area_weight)
        n = len(blocks)
        greedy: Placement | None = None
        try:  # the greedy placement's left/below relations, compacted
            greedy, _, _ = greedy_sub_placement(problem, self.grid_size)
            first = sequence_pair_of(greedy.positions[blocks])
        except PlacerError:  # a die too full for the greedy placer: any order will do
            first = (rng.permutation(n), rng.permutation(n))
        meter.spend(1)
        current = state.evaluate(*first, np.zeros(n, dtype=np.int64))
        run = {"now": current, "best": current if current.fits else None}

        def propose(radius: float) -> Layout | None:
            return self._propose(rng, run["now"], radius, len(local))

        weight = OutlineWeight(self.outline_weight)

        def delta_of(candidate: Layout) -> float:
            state.score(candidate)
            weight.observe(candidate.fits)
            now = weight.value
            return state.cost(candidate, now) - state.cost(run["now"], now)

        def accept(candidate: Layout) -> None:
            run["now"] = candidate
            best = run["best"]
            # Among packings that fit, the best by the cost without its (zero) penalty.
            if candidate.fits and (best is None or state.cost(candidate, 0) < state.cost(best, 0)):
                run["best"] = candidate

        start_cost = state.cost(current, weight.value)
        t_start = calibrate(meter, propose, delta_of, cost=start_cost,
                            accept=self.start_acceptance)  # fmt: skip
        accepted, proposed = metropolis(
            rng, meter, propose, delta_of, accept, lambda move: None, lambda: None,
            cost=start_cost, t_start=t_start, tolerance=1e-12,
        )  # fmt: skip
        found = run["best"]
        if found is None or (
            greedy is not None and self.area_weight == 0 and hpwl(sub, greedy) < found.hpwl
        ):
            if greedy is None:
                now = run["now"]
                raise PlacerError(
                    f"floorplan found no packing inside the {canvas.width:g} x "
                    f"{canvas.height:g} die within the budget (last: {now.width:g} x "
                    f"{now.height:g}) and the greedy placer found no start; give a larger budget"
                )
            result, what = greedy, "greedy start (no better packing fit the outline)"
        else:
            result, what = state.placement(found), f"packing {found.width:.6g} x {found.height:.6g}"
            if self.slide and self.area_weight == 0:  # sliding spreads the packing
                slid = slide(sub, result, blocks, found.positive, found.negative,
                             state.oriented_sizes(found), state.pinned)  # fmt: skip
                if slid is not None and hpwl(sub, slid) < found.hpwl:
                    result = slid
                    what += f" (HPWL {found.hpwl:.6g}), slid by LP"
        stats = PlacerStats(
            evaluations=meter.evaluations,
            seconds=meter.seconds,
            notes=(
                f"start_hpwl={current.hpwl:.6g}",
                f"result={what}",
                f"result_hpwl={hpwl(sub, result):.6g}",
                f"accepted={accepted}/{proposed}",
            ),
        )
        return PlacerResult(problem.to_full(result), stats)

    def _propose(
        self, rng: np.random.Generator, now: Layout, radius: float, movable: int
    ) -> Layout | None:
        """A neighbour of ``now``: two blocks swapped in one order or both (pre-placed blocks
        too), or one of the first ``movable`` blocks turned or flipped."""
        kind = MOVES[
            min(int(np.searchsorted(self._move_cdf, rng.random(), "right")), len(MOVES) - 1)
        ]
        positive, negative, orient = now.positive, now.negative, now.orientations
        n = len(positive)
        if kind in ("rotate", "flip"):
            block = int(rng.integers(movable))
            turned = bool(IS_TURNED[orient[block]])
            choices = (
                (UPRIGHT if turned else TURNED)
                if kind == "rotate"
                else (TURNED if turned else UPRIGHT)
            )
            choices = choices[choices != orient[block]]
            orient = orient.copy()
            orient[block] = rng.choice(choices)
            return Layout(positive, negative, orient)
        if n < 2:
            return None
        # Swap partners at most `reach` places apart: the whole order at the start, neighbours
        # at the end (the radius falls from RADIUS_START to RADIUS_END over the run).
        reach = max(1, int(round(n * min(1.0, radius / RADIUS_START))))
        i = int(rng.integers(n))
        j = i + int(rng.integers(1, reach + 1)) * (1 if rng.random() < 0.5 else -1)
        j = min(max(j, 0), n - 1)
        if j == i:
            j = (i + 1) % n
        if kind in ("swap_positive", "swap_both"):
            positive = positive.copy()
            a, b = positive[i], positive[j]
            positive[i], positive[j] = b, a
            if kind == "swap_both":
                negative = negative.copy()
                ia, ib = np.flatnonzero(negative == a)[0], np.flatnonzero(negative == b)[0]
                negative[ia], negative[ib] = b, a
        else:
            negative = negative.copy()
            negative[i], negative[j] = negative[j], negative[i]
        return Layout(positive, negative, orient)


@numba.njit(cache=True)
def _score_kernel(
    positive: np.ndarray,
    negative: np.ndarray,
    orientations: np.ndarray,
    is_turned: np.ndarray,
    sizes: np.ndarray,
    floor_x: np.ndarray,
    floor_y: np.ndarray,
    pinned: np.ndarray,
    centre: bool,
    die: np.ndarray,
    local: np.ndarray,
    positions: np.ndarray,
    node_orientations: np.ndarray,
    placed: np.ndarray,
    centres: np.ndarray,
    net_starts: np.ndarray,
    entry_node: np.ndarray,
    entry_offset: np.ndarray,
    weights: np.ndarray,
    matrices: np.ndarray,
) -> tuple[float, float, float, float]:  # pragma: no cover - jitted
    """Packs a sequence pair (:func:`agents.sequence_pair.pack`), writes the first
    ``len(local)`` blocks' centres into ``centres`` and into ``positions`` (at the nodes
    ``local``), and returns the width, height, pre-placed push and HPWL
    (:func:`placement_env.wirelength.hpwl_kernel`). ``die`` is x_min, y_min, width, height;
    ``centre`` puts the packing in the middle of the die's spare room."""
    n = len(positive)
    w = np.empty(n)
    h = np.empty(n)
    for b in range(n):
        turned = is_turned[orientations[b]]
        w[b] = sizes[b, 1] if turned else sizes[b, 0]
        h[b] = sizes[b, 0] if turned else sizes[b, 1]
    rank = np.empty(n, dtype=np.int64)
    for i in range(n):
        rank[negative[i]] = i
    x = np.empty(n)
    y = np.empty(n)
    width, push_x = pack_axis(positive, rank, w, floor_x, pinned, x)
    height, push_y = pack_axis(positive[::-1].copy(), rank, h, floor_y, pinned, y)
    left, bottom = die[0], die[1]
    if centre:
        left += max(0.0, (die[2] - width) / 2)
        bottom += max(0.0, (die[3] - height) / 2)
    for i in range(len(local)):
        centres[i, 0] = left + x[i] + w[i] / 2
        centres[i, 1] = bottom + y[i] + h[i] / 2
        positions[local[i], 0] = centres[i, 0]
        positions[local[i], 1] = centres[i, 1]
        node_orientations[local[i]] = orientations[i]
    wirelength = hpwl_kernel(
        positions, node_orientations, placed, net_starts, entry_node, entry_offset, weights,
        matrices,
    )  # fmt: skip
    return width, height, push_x + push_y, wirelength


class Layout:
    """A sequence pair with orientations and, once scored, its packing, HPWL and fit."""

    __slots__ = ("centres", "excess", "fits", "height", "hpwl", "negative", "orientations",
                 "positive", "width")  # fmt: skip

    def __init__(self, positive: np.ndarray, negative: np.ndarray, orientations: np.ndarray):
        self.positive, self.negative, self.orientations = positive, negative, orientations
        self.hpwl = self.width = self.height = self.excess = float("nan")
        self.fits = False
        self.centres: np.ndarray | None = None


class OutlineWeight:
    """The outline penalty's weight, adapted to how often the search lands inside the outline
    (as Fast-SA adapts its weights to the feasible fraction): every ``window`` scored layouts,
    it grows by ``step`` when fewer than ``low`` of them fit and shrinks by ``step`` (never below
    its start) when more than ``high`` do. The search so hovers near the outline's edge, where
    the short packings are, instead of settling far inside or far outside it."""

    def __init__(
        self, start: float, window: int = 200, low: float = 0.02, high: float = 0.1,
        step: float = 1.25,
    ) -> None:  # fmt: skip
        self.start = self.value = start
        self.window, self.low, self.high, self.step = window, low, high, step
        self._seen = self._fits = 0

    def observe(self, fits: bool) -> None:
        """Counts one scored layout; adapts the weight at the end of a window."""
        self._seen += 1
        self._fits += fits
        if self._seen < self.window:
            return
        share = self._fits / self._seen
        if share < self.low:
            self.value *= self.step
        elif share > self.high:
            self.value = max(self.start, self.value / self.step)
        self._seen = self._fits = 0


class Packing:
    """Scores layouts of one problem: packs them into the die, prices them.

    Blocks are the problem's movable macros (``problem.local``) followed by its fixed hard
    macros, which are pinned at ``floors`` (lower-left corners relative to the die's).
    """

    def __init__(
        self,
        problem: MacroProblem,
        sizes: np.ndarray,
        floors: np.ndarray,
        area_weight: float,
    ) -> None:
        self.problem = problem
        self.sizes = sizes
        self.floors = floors
        self.movable = len(problem.local)
        self.pinned = np.arange(len(sizes)) >= self.movable
        self.area_weight = area_weight
        self.scale = 1.0
        start = problem.start
        self._hpwl = HpwlKernel(problem.sub)
        self._positions = start.positions.astype(np.float64)
        self._orientations = start.orientations.astype(np.int64)
        self._placed = start.placed.copy()
        self._placed[problem.local] = True
        self._local = problem.local.astype(np.int64)
        self._floor_x = np.ascontiguousarray(floors[:, 0], dtype=np.float64)
        self._floor_y = np.ascontiguousarray(floors[:, 1], dtype=np.float64)
        canvas = problem.sub.canvas
        self._die = np.array([canvas.x_min, canvas.y_min, canvas.width, canvas.height])

    def evaluate(self, positive: np.ndarray, negative: np.ndarray, orient: np.ndarray) -> Layout:
        """The first layout, scored; its HPWL becomes the cost's unit."""
        layout = self.score(Layout(positive, negative, orient))
        self.scale = max(layout.hpwl, 1e-9)
        return layout

    def cost(self, layout: Layout, outline_weight: float) -> float:
        """The annealed cost of a scored layout, its excess priced at ``outline_weight``."""
        canvas = self.problem.sub.canvas
        area = layout.width * layout.height / (canvas.width * canvas.height)
        penalty = outline_weight * layout.excess
        return layout.hpwl / self.scale + self.area_weight * area + penalty

    def oriented_sizes(self, layout: Layout) -> np.ndarray:
        """(n, 2) width and height of every block as ``layout`` turns it."""
        turned = IS_TURNED[layout.orientations]
        return np.where(turned[:, None], self.sizes[:, ::-1], self.sizes)

    def score(self, layout: Layout) -> Layout:
        """Packs ``layout`` and fills in its centres, HPWL, excess and fit. The excess is the
        packing's overflow of the die's width and height plus the pre-placed blocks' push, each
        relative to the die; the layout fits when it is zero. One compiled call
        (:func:`_score_kernel`); the tests hold it to :func:`agents.sequence_pair.pack_naive`
        and :func:`placement_env.wirelength.hpwl`."""
        canvas = self.problem.sub.canvas
        layout.centres = np.empty((self.movable, 2))
        width, height, push, layout.hpwl = _score_kernel(
            layout.positive, layout.negative, layout.orientations, IS_TURNED, self.sizes,
            self._floor_x, self._floor_y, self.pinned, not self.pinned.any(), self._die,
            self._local, self._positions, self._orientations, self._placed, layout.centres,
            *self._hpwl.static,
        )  # fmt: skip
        layout.width, layout.height = width, height
        layout.excess = (
            max(0.0, width - canvas.width) / canvas.width
            + max(0.0, height - canvas.height) / canvas.height
            + push / (canvas.width + canvas.height)
        )
        layout.fits = layout.excess <= 1e-9
        return layout

    def placement(self, layout: Layout) -> Placement:
        """The sub-netlist placement of a scored layout."""
        m = self.movable
        return self.problem.start.with_positions(
            self.problem.local, layout.centres, layout.orientations[:m]
        )
