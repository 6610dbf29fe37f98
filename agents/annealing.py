"""Simulated annealing over hard-macro positions (Circuit Training / TILOS style moves).

Starts from the greedy wire-mask placement and keeps it legal throughout: a move is proposed,
checked cheaply against the other hard macros and the die, and only a legal move is scored
(incremental HPWL through :func:`placement_env.incremental.hpwl_delta`) and accepted by the
Metropolis rule. Moves: *shift* (a random step that shrinks as the temperature falls), *swap*
(two macros exchange centres), *move* (to a uniformly random spot in the die) and *flip* (an
orientation of the same footprint: N/S/FN/FS or E/W/FE/FW). The start temperature, geometric
cooling and shift radius follow :mod:`agents.annealing_schedule`; :mod:`agents.proxy_annealing`
shares them and the loops here (:func:`calibrate`, :func:`metropolis`).
The best placement seen is returned. Deterministic for a seed under an evaluation budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from agents.annealing_schedule import (
    CALIBRATION_ATTEMPTS,
    CALIBRATION_RADIUS,
    CALIBRATION_UPHILL,
    START_ACCEPTANCE,
    move_radius,
    start_temperature,
    temperature,
)
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
from netlists import Design, Netlist, NodeKind, Placement
from placement_env.incremental import hpwl_delta
from placement_env.wirelength import hpwl

MOVES = ("shift", "swap", "move", "flip")
#: A move: the nodes, their new centres (k, 2) and new orientations (or None: unchanged).
Move = tuple[list[int], np.ndarray, np.ndarray | None]
_FLIPS = {0: (1, 4, 5), 1: (0, 4, 5), 4: (0, 1, 5), 5: (0, 1, 4),
          2: (3, 6, 7), 3: (2, 6, 7), 6: (2, 3, 7), 7: (2, 3, 6)}  # fmt: skip


class MacroBoxes:
    """Centres and half-footprints of every placed hard macro, for O(m) legality checks."""

    def __init__(self, netlist: Netlist, placement: Placement, tol: float = 1e-9) -> None:
        hard = np.flatnonzero(placement.placed & (netlist.node_kinds == int(NodeKind.HARD_MACRO)))
        self.row = np.full(netlist.num_nodes, -1, dtype=np.int64)
        self.row[hard] = np.arange(len(hard))
        self.centre = placement.positions[hard].copy()
        self.half = placement.footprints(netlist, hard) / 2
        canvas = netlist.canvas
        self.low = np.array([canvas.x_min, canvas.y_min])
        self.high = np.array([canvas.x_max, canvas.y_max])
        self.tol = tol

    def fits(self, node: int, centre: np.ndarray, ignore: tuple[int, ...] = ()) -> bool:
        """Whether ``node`` centred at ``centre`` is inside the die and clear of the others."""
        k = self.row[node]
        half = self.half[k]
        if ((centre - half) < self.low - self.tol).any() or (
            (centre + half) > self.high + self.tol
        ).any():
            return False
        gap = np.abs(self.centre - centre) - (self.half + half)
        clash = (gap < -self.tol).all(axis=1)
        clash[k] = False
        for other in ignore:
            clash[self.row[other]] = False
        return not clash.any()


def propose_hard_move(
    rng: np.random.Generator,
    move_p: np.ndarray,
    macros: np.ndarray,
    positions: np.ndarray,
    orientations: np.ndarray,
    boxes: MacroBoxes,
    step: np.ndarray,
    macro_cdf: np.ndarray | None = None,
) -> Move | None:
    """One legal hard-macro move ``(nodes, new centres, new orientations or None)``, or None.

    Draws a move kind with probabilities ``move_p`` (over :data:`MOVES`) and a macro of
    ``macros`` (uniformly, or by the cumulative weights ``macro_cdf``, one per macro; a swap's
    partner is always uniform): *shift* by up to ``step`` (x, y microns), *swap* with another
    macro, *move* to a uniform spot in the die, *flip* to an orientation of the same footprint.
    None when the move would overlap another hard macro or leave the die (``boxes`` is not
    changed).
    """
    kind = MOVES[int(rng.choice(len(MOVES), p=move_p))]
    if macro_cdf is None:
        node = int(macros[rng.integers(len(macros))])
    else:
        pick = np.searchsorted(macro_cdf, rng.random() * macro_cdf[-1], side="right")
        node = int(macros[min(int(pick), len(macros) - 1)])
    pos = positions[node]
    if kind == "flip":
        options = _FLIPS[int(orientations[node])]
        new = options[int(rng.integers(len(options)))]
        return [node], pos[None, :].copy(), np.array([new])
    if kind == "swap":
        if len(macros) < 2:
            return None
        other = int(macros[rng.integers(len(macros))])
        if other == node:
            return None
        a, b = positions[other].copy(), pos.copy()
        ka, kb = boxes.row[node], boxes.row[other]
        saved = boxes.centre[[ka, kb]].copy()
        boxes.centre[ka], boxes.centre[kb] = a, b
        ok = boxes.fits(node, a) and boxes.fits(other, b)
        boxes.centre[[ka, kb]] = saved
        return ([node, other], np.stack([a, b]), None) if ok else None
    if kind == "shift":
        target = pos + rng.uniform(-1.0, 1.0, 2) * step
    else:  # move
        half = boxes.half[boxes.row[node]]
        target = rng.uniform(boxes.low + half, np.maximum(boxes.high - half, boxes.low + half))
    return ([node], target[None, :], None) if boxes.fits(node, target) else None


class GuidedPicks:
    """The cumulative macro weights of a guide (see :meth:`AnnealingPlacer.macro_guide`),
    refreshed every ``every`` proposals; always None (uniform picks) without a guide."""

    def __init__(self, guide: Callable[[Placement], np.ndarray] | None, every: int) -> None:
        self.guide, self.every = guide, every
        self.cdf: np.ndarray | None = None
        self.proposals = 0

    def next(self, current: Callable[[], Placement]) -> np.ndarray | None:
        """The weights for the next proposal; ``current()`` gives the full placement now."""
        if self.guide is not None and self.proposals % self.every == 0:
            self.cdf = np.cumsum(self.guide(current()))
        self.proposals += 1
        return self.cdf


def calibrate(
    meter: Meter,
    propose: Callable[[float], Move | None],
    delta_of: Callable[[Move], float],
    *,
    cost: float,
    accept: float = START_ACCEPTANCE,
) -> float:
    """Start temperature from the uphill deltas of a short random walk (no move is kept).

    Proposes up to :data:`~agents.annealing_schedule.CALIBRATION_ATTEMPTS` moves of radius
    :data:`~agents.annealing_schedule.CALIBRATION_RADIUS`, scoring each legal one (one evaluation
    of ``meter``) with ``delta_of``, which must leave the state as it found it, until
    :data:`~agents.annealing_schedule.CALIBRATION_UPHILL` uphill deltas are seen or the budget
    runs out; then :func:`~agents.annealing_schedule.start_temperature` of them.
    """
    ups: list[float] = []
    for _ in range(CALIBRATION_ATTEMPTS):
        move = propose(CALIBRATION_RADIUS)
        if move is None:
            continue
        delta = delta_of(move)
        meter.spend(1)
        if delta > 0:
            ups.append(delta)
        if len(ups) >= CALIBRATION_UPHILL or meter.exhausted():
            break
    return start_temperature(ups, cost, accept)


def metropolis(
    rng: np.random.Generator,
    meter: Meter,
    propose: Callable[[float], Move | None],
    delta_of: Callable[[Move], float],
    accept: Callable[[Move], None],
    reject: Callable[[Move], None],
    on_best: Callable[[], None],
    *,
    cost: float,
    t_start: float,
    tolerance: float,
) -> tuple[int, int]:
    """The annealing loop shared by the placers: Metropolis acceptance under geometric cooling.

    Until ``meter`` is exhausted, with the temperature and move radius (a fraction of the die)
    of :mod:`agents.annealing_schedule` at the budget used so far (the temperature from
    ``t_start``): ``propose(radius)`` gives a move (None: nothing legal, not counted), ``delta_of``
    scores it (cost change), and it is kept (``accept``) or not (``reject``) by the Metropolis
    rule. ``on_best`` is called whenever the running cost beats the best seen by more than
    ``tolerance`` x max(|best|, 1).

    Returns:
        Moves accepted and moves proposed.
    """
    best = cost
    accepted = proposed = attempts = 0
    while not meter.exhausted():
        attempts += 1
        if attempts > 50 * max(meter.evaluations, 100):
            break  # nothing legal to propose
        frac = meter.fraction()
        t = temperature(frac, t_start)
        move = propose(move_radius(frac))
        if move is None:
            continue
        meter.spend(1)
        proposed += 1
        delta = delta_of(move)
        if delta <= 0 or rng.random() < math.exp(-delta / t):
            accept(move)
            cost += delta
            accepted += 1
            if cost < best - tolerance * max(abs(best), 1.0):
                best = cost
                on_best()
        else:
            reject(move)
    return accepted, proposed


@register
class AnnealingPlacer(Placer):
    """Simulated annealing from the greedy placement.

    Args:
        grid: Cells per side of the greedy start's grid.
        move_weights: Relative frequencies of shift, swap, move, flip.
        start_acceptance: Probability of accepting an average uphill move at the start.
        context: ``"placed"`` or ``"macros"`` (see :mod:`agents.base`).
        default_evaluations: Budget when the caller gives none.
        ports: Count the ports in the HPWL (the ``"macros"`` context).
    """

    name = "annealing"
    #: Proposals between two calls of the macro guide (see :meth:`macro_guide`).
    guide_every = 1000

    def __init__(
        self,
        grid: int = 64,
        move_weights: tuple[float, float, float, float] = (0.5, 0.2, 0.2, 0.1),
        start_acceptance: float = START_ACCEPTANCE,
        context: str = "placed",
        default_evaluations: int = 2000,
        ports: bool = True,
    ) -> None:
        if not 0.0 < start_acceptance < 1.0:
            raise PlacerError(f"start_acceptance must be in (0, 1), got {start_acceptance}")
        self.start_acceptance = start_acceptance
        self.grid_size = grid
        weights = np.asarray(move_weights, dtype=float)
        self.move_p = weights / weights.sum()
        self.context = context
        self.default_evaluations = default_evaluations
        self.ports = ports

    def macro_guide(
        self, design: Design, problem: MacroProblem, start: Placement
    ) -> Callable[[Placement], np.ndarray] | None:
        """How often each macro is picked: None (uniformly, plain annealing) or a function of
        the current full placement giving one weight >= 0 per macro of ``problem.macros``,
        called every :attr:`guide_every` proposals. The hook of ``learned_annealing``'s
        ``"guided"`` proposals."""
        return None

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        meter = Meter(budget.or_default(self.default_evaluations))
        problem = MacroProblem(design, self.context, ports=self.ports)
        current, _, _ = greedy_sub_placement(problem, self.grid_size)
        meter.spend(1)
        sub = problem.sub
        start_cost = hpwl(sub, current)
        boxes = MacroBoxes(problem.sub, current)
        state = {"current": current}
        macros = problem.local
        canvas = sub.canvas
        span = np.array([canvas.width, canvas.height])
        picks = GuidedPicks(self.macro_guide(design, problem, current), self.guide_every)

        def propose(radius: float) -> Move | None:
            now = state["current"]
            cdf = picks.next(lambda: problem.to_full(now))
            return propose_hard_move(
                rng, self.move_p, macros, now.positions, now.orientations, boxes, radius * span,
                cdf,
            )  # fmt: skip

        t_start = calibrate(
            meter,
            propose,
            lambda move: hpwl_delta(sub, current, *move),
            cost=start_cost,
            accept=self.start_acceptance,
        )
        state["best"] = current

        def accept(move: Move) -> None:
            nodes, positions, orientations = move
            state["current"] = state["current"].with_positions(nodes, positions, orientations)
            for node, pos in zip(nodes, positions, strict=True):
                boxes.centre[boxes.row[node]] = pos

        def keep_best() -> None:
            state["best"] = state["current"]

        accepted, proposed = metropolis(
            rng,
            meter,
            propose,
            lambda move: hpwl_delta(sub, state["current"], *move),
            accept,
            lambda move: None,
            keep_best,
            cost=start_cost,
            t_start=t_start,
            tolerance=1e-9,
        )
        best = state["best"]
        final = hpwl(sub, best)
        stats = PlacerStats(
            evaluations=meter.evaluations,
            seconds=meter.seconds,
            notes=(
                f"start_hpwl={start_cost:.6g}",
                f"best_hpwl={final:.6g}",
                f"accepted={accepted}/{proposed}",
            ),
        )
        return PlacerResult(problem.to_full(best), stats)
