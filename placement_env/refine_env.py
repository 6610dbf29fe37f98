"""The macro-refinement Gymnasium environment: improve a complete legal placement, one move at a
time.

Registered as ``placement_env/MacroRefine-v0`` (and ``MacroRefine-v0``, for the
``"placement_env:MacroRefine-v0"`` form); see :class:`MacroRefineEnv` for the full contract.

Where :class:`~placement_env.env.MacroPlacementEnv` *constructs* a placement, this env *improves*
one, as MaskRegulate (Xue et al., NeurIPS 2024) does: an episode starts from a complete legal
placement (the design's own, a random legal one, or any placement a placer produced) and every
move takes one hard macro somewhere better. A move is two steps -- pick a macro, then pick where
it goes -- so that one ``Discrete`` action space with a mask covers both choices (what
sb3-contrib's MaskablePPO needs) without a ``cells x macros`` product space. Each place step pays
the cost it removed, so the episode return is the start cost minus the end cost: a policy is paid
exactly for the improvement it makes, and the same env serves as the move proposer of a
Metropolis loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numba
import numpy as np
from gymnasium import spaces

from netlists import Design, Netlist, NodeKind, Placement
from placement_env.actions import discrete_action
from placement_env.arguments import typed
from placement_env.decoding import Decoder
from placement_env.designs import load_design
from placement_env.env import grid_shape, macro_graph
from placement_env.grid import Grid
from placement_env.incremental import nets_hpwl, position_mask, touching_nets, wire_mask
from placement_env.legality import DEFAULT_TOLERANCE, check_legality
from placement_env.maps import density_map, spread_rectangles
from placement_env.problem import MacroProblem, ProblemError
from placement_env.proxy_incremental import IncrementalProxy
from placement_env.rewards import hpwl_scale
from placement_env.viewer import GridViewer
from placement_env.wirelength import hpwl, net_hpwl

__all__ = [
    "COSTS",
    "PHASES",
    "REFINE_FEATURES",
    "STARTS",
    "IllegalActionError",
    "IllegalPlacementError",
    "MacroRefineEnv",
    "MaskedDiscrete",
]

COSTS = ("hpwl", "proxy")
STARTS = ("shipped", "random")
PHASES = ("select", "place")
#: Columns of ``macro_features``.
REFINE_FEATURES = ("x", "y", "width", "height", "chosen", "wirelength", "degree", "moved")
#: Highest value of the cost ratio in ``progress`` (a placement twice as bad as the start).
COST_RATIO_CAP = 2.0
#: Random legal starts tried before giving up (a largest-first random decode rarely dead-ends).
RANDOM_START_TRIES = 20  # half at cell centres, half snapped


class IllegalActionError(ValueError):
    """An action the current :meth:`MacroRefineEnv.action_masks` forbids."""


class IllegalPlacementError(ValueError):
    """A start placement that is incomplete, overlaps hard macros or leaves the die."""


class MaskedDiscrete(spaces.Discrete):
    """``Discrete(n)`` whose :meth:`sample` without a mask draws a legal action of its env.

    Random-action tools (Gymnasium's and SB3's env checkers, vector-env smoke tests) call
    ``action_space.sample()`` and step the result, sometimes after a ``reset()`` in between. The
    refine env raises on illegal actions, so the space draws among the actions that are legal now
    *and* after a reset: the macro actions of the mask (select, swap or stay), never a cell move.
    Use :meth:`MacroRefineEnv.action_masks` to sample among all legal actions. The mask source is
    dropped when the space is pickled (saved with a model), leaving a plain ``Discrete``.
    """

    def __init__(self, n: int, legal: Callable[[], np.ndarray] | None = None) -> None:
        super().__init__(n)
        self._legal = legal

    def sample(
        self, mask: np.ndarray | None = None, probability: np.ndarray | None = None
    ) -> np.int64:
        """A uniform action; legal for the env (see the class docstring) when no mask is given."""
        if mask is None and probability is None and self._legal is not None:
            mask = self._legal().astype(np.int8)
        return super().sample(mask=mask, probability=probability)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_legal"] = None
        return state


@numba.njit(cache=True)
def _fits_at(
    centres: np.ndarray,
    halves: np.ndarray,
    order: np.ndarray,
    sorted_x: np.ndarray,
    widest: float,
    big: np.ndarray,
    a: int,
    at: int,
    low: np.ndarray,
    high: np.ndarray,
    tol: float,
) -> bool:  # pragma: no cover - jitted
    """Whether macro ``a`` centred where macro ``at`` is lies inside the die and clears every
    macro but the two (overlaps no wider or taller than ``tol``).

    Only the macros of ``order`` (sorted by centre x, ``sorted_x``) within ``half width of a +
    widest`` of that centre in x, found by binary search, and the few ``big`` ones wider than
    ``widest`` can overlap it. Scalar indexing only: array views cost more than the tests.
    """
    cx, cy, hx, hy = centres[at, 0], centres[at, 1], halves[a, 0], halves[a, 1]
    if cx - hx < low[0] - tol or cy - hy < low[1] - tol:
        return False
    if cx + hx > high[0] + tol or cy + hy > high[1] + tol:
        return False
    if hx <= halves[at, 0] and hy <= halves[at, 1]:
        return True  # no larger than the macro that sat there, which cleared the others
    first = np.searchsorted(sorted_x, cx - hx - widest)
    stop = np.searchsorted(sorted_x, cx + hx + widest, side="right")
    for t in range(first, stop + len(big)):
        o = order[t] if t < stop else big[t - stop]
        if o == a or o == at:  # noqa: SIM109 - plain comparisons compile best in numba
            continue
        if (
            abs(cx - centres[o, 0]) < hx + halves[o, 0] - tol
            and abs(cy - centres[o, 1]) < hy + halves[o, 1] - tol
        ):
            return False
    return True


@numba.njit(cache=True)
def _swap_mask(
    centres: np.ndarray,
    halves: np.ndarray,
    rows: np.ndarray,
    chosen: int,
    low: np.ndarray,
    high: np.ndarray,
    tol: float,
) -> np.ndarray:  # pragma: no cover - jitted
    """(n,) bool: exchanging the centres of macro ``rows[chosen]`` and ``rows[i]`` stays legal.

    ``centres``/``halves`` (m, 2) are the hard macros of a legal placement; ``rows`` (n,) the
    movable ones. After a swap each macro must lie inside the die and clear (overlaps no wider
    or taller than ``tol``, as :func:`~placement_env.legality.check_legality` counts) of every
    other macro. The pair itself stays clear: the distance between their centres is unchanged.
    """
    out = np.zeros(len(rows), dtype=np.bool_)
    # A few huge macros would widen every search window: they are checked apart.
    limit = 4.0 * np.median(halves[:, 0])
    big = np.flatnonzero(halves[:, 0] > limit)
    small = np.flatnonzero(halves[:, 0] <= limit)
    order = small[np.argsort(centres[small, 0])]
    sorted_x = centres[order, 0]
    widest = halves[small, 0].max()
    j = rows[chosen]
    for i in range(len(rows)):
        k = rows[i]
        out[i] = k == j or (  # "stay", or both fit where the other was
            _fits_at(centres, halves, order, sorted_x, widest, big, j, k, low, high, tol)
            and _fits_at(centres, halves, order, sorted_x, widest, big, k, j, low, high, tol)
        )
    return out


class _NetLengths:
    """Weighted HPWL (microns) of every net of a netlist, kept up to date under macro moves.

    Rescoring only the nets of the moved macros is what
    :func:`~placement_env.incremental.hpwl_delta` does; keeping the per-net values also halves
    its work (the "before" lengths are known) and yields each macro's share for the features.

    Args:
        netlist: The netlist the lengths are measured on.
        nodes: (n,) its indices of the movable macros.
    """

    def __init__(self, netlist: Netlist, nodes: np.ndarray) -> None:
        self.netlist = netlist
        self.weights = netlist.net_weights.astype(np.float64)
        self.nets = [touching_nets(netlist, [int(v)]).astype(np.int64) for v in nodes]
        self.degree = np.array([len(nets) for nets in self.nets], dtype=np.float64)
        # Flat (macro, net) incidences: one bincount sums each macro's nets.
        self._owner = np.repeat(np.arange(len(nodes)), self.degree.astype(np.int64))
        self._net = np.concatenate(self.nets) if self.nets else np.zeros(0, np.int64)
        self.lengths = np.zeros(netlist.num_nets)

    def reset(self, placement: Placement) -> None:
        """Measures every net from scratch."""
        self.lengths = self.weights * net_hpwl(self.netlist, placement)

    def move(self, after: Placement, macros: Sequence[int]) -> float:
        """Rescores the nets of ``macros`` (indices into ``nodes``) at ``after``; returns the
        weighted HPWL change (microns)."""
        nets = self.nets[macros[0]]
        if len(macros) > 1:
            nets = np.union1d(nets, self.nets[macros[1]])
        if not len(nets):
            return 0.0
        new = self.weights[nets] * nets_hpwl(self.netlist, after, nets)
        delta = float(new.sum() - self.lengths[nets].sum())
        self.lengths[nets] = new
        return delta

    def per_macro(self) -> np.ndarray:
        """(n,) weighted HPWL of each macro's nets (microns; a shared net counts for each)."""
        return np.bincount(self._owner, self.lengths[self._net], minlength=len(self.nets))


class _HpwlCost:
    """The ``"hpwl"`` cost: weighted HPWL of the macros and their context over ``hpwl_scale``,
    the units of :class:`~placement_env.env.MacroPlacementEnv`'s ``"hpwl"`` reward."""

    def __init__(self, problem: MacroProblem) -> None:
        self.netlist = problem.sub
        self.scale = hpwl_scale(problem.netlist)
        self._hpwl = 0.0  # microns

    def reset(self, placement: Placement) -> float:
        """The cost of ``placement`` (sub-netlist), from scratch."""
        self._hpwl = hpwl(self.netlist, placement)
        return self._hpwl / self.scale

    def move(self, delta: float, nodes: np.ndarray, positions: np.ndarray) -> float:
        """The cost after a move that changed the weighted HPWL by ``delta`` microns."""
        self._hpwl += delta
        return self._hpwl / self.scale

    def exact(self, placement: Placement) -> float:
        """The cost of ``placement`` from scratch (sheds the rounding of the updates)."""
        return self.reset(placement)


class _ProxyCost:
    """The ``"proxy"`` cost: Circuit Training's proxy of the full placement, kept by
    :class:`~placement_env.proxy_incremental.IncrementalProxy`."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self._proxy: IncrementalProxy | None = None

    def reset(self, placement: Placement) -> float:
        """The proxy of ``placement`` (full netlist, every node placed), from scratch."""
        self._proxy = IncrementalProxy(self.design.netlist, placement, self.design.plc)
        return float(self._proxy.cost.proxy)

    def move(self, delta: float, nodes: np.ndarray, positions: np.ndarray) -> float:
        """The proxy after moving ``nodes`` to ``positions`` (the HPWL ``delta`` is unused)."""
        return float(self._proxy.move(nodes, positions))

    def exact(self, placement: Placement) -> float:
        """The proxy of the current placement from scratch."""
        return float(self._proxy.resync())


def _normalised(values: np.ndarray) -> np.ndarray:
    """Min-max normalised float32 copy (all zeros when constant), as the placement env's mask."""
    low, high = values.min(), values.max()
    if high > low:
        return ((values - low) / (high - low)).astype(np.float32)
    return np.zeros(values.shape, dtype=np.float32)


class MacroRefineEnv(gym.Env):
    """Refine a complete legal placement by moving one hard macro per move (two steps a move).

    ## Description

    The canvas is divided into a ``rows x cols`` grid (:class:`~placement_env.grid.Grid`). An
    episode starts from a complete legal placement of the design's movable hard macros and makes
    ``moves`` moves. A move is two steps: the agent *selects* a macro, then *places* it: at the
    centre of a grid cell, or by exchanging centres with another macro, or where it is ("stay").
    Every move keeps the placement legal: each hard macro inside the die and overlapping (with
    positive area) no other hard macro, fixed ones included. Macros keep their orientation;
    ports, fixed blocks, soft macros and standard cells never move.

    ## Action Space

    :class:`MaskedDiscrete` ``(cells + n)`` with ``cells = rows * cols`` and ``n`` the number of
    movable hard macros (in :attr:`macros` order: largest first, as in the placement env):

    * *select* phase: action ``cells + j`` chooses macro ``j``; cell actions are masked off.
    * *place* phase: action ``c < cells`` moves the chosen macro's centre to the centre of cell
      ``(row, col) = divmod(c, cols)`` (row 0 at the bottom), legal where it then lies inside the
      die clear of every other hard macro (:func:`~placement_env.incremental.position_mask`);
      action ``cells + k`` exchanges the centres of the chosen macro and macro ``k``, legal when
      both then fit; ``cells + chosen`` is "stay", always legal, so the mask is never empty.

    :meth:`action_masks` returns the legal actions as an ``np.bool_`` array of shape
    ``(cells + n,)`` (safe before :meth:`reset`; all True once the episode has ended, for vector
    envs that step once more before resetting). An illegal action raises
    :class:`IllegalActionError` (a ``ValueError``) naming the action and the phase, and changes
    nothing; an action that is not an integer raises ``ValueError``.

    ## Observation Space

    A flat ``Dict`` of float32 ``Box`` es:

    * ``"position_mask"`` ``(rows, cols)`` in {0, 1}: the legal target cells of the chosen macro
      (place phase; zeros in the select phase).
    * ``"wire_mask"`` ``(rows, cols)`` in [0, 1]: the weighted HPWL increase of the chosen macro's
      nets with the macro at each cell (:func:`~placement_env.incremental.wire_mask`; on the nets
      the cost counts: macros and context for ``"hpwl"``, the whole design for ``"proxy"``),
      min-max normalised over the grid as in the placement env. The move's HPWL change at a cell
      is this value minus its value at the current position, so the normalised mask ranks the
      cells by exactly the ``"hpwl"`` reward. Zeros in the select phase.
    * ``"density"`` ``(rows, cols)`` in [0, 1]: fraction of each cell covered by hard macros
      (fixed ones included), clipped to 1.
    * ``"macro_features"`` ``(n, 8)`` in [0, 1], one row per macro (:data:`REFINE_FEATURES`):
      centre x and y as fractions of the canvas, width and height over the canvas's, the chosen
      flag, the weighted HPWL of its nets over the largest such value among the macros (which
      macro the wirelength blames most), its number of nets over the largest, and the number of
      times it moved this episode over ``moves``.
    * ``"graph_edges"`` ``(E, 2)``, ``"graph_edge_weights"`` ``(E,)``, ``"graph_edge_mask"``
      ``(E,)``: the padded macro graph of the placement env's ``graph_observation=True``
      (macro indices in :attr:`macros` order; ``E`` is ``max_edges`` or all edges).
    * ``"progress"`` ``(3,)``: the phase (0 select, 1 place), the fraction of moves left, and the
      current cost over the start cost, clipped to [0, 2] (1 when the start cost is 0).

    ## Rewards

    0 in the select phase; in the place phase the cost before the move minus the cost after it
    (0 for "stay"). The episode return is therefore the start cost minus the end cost, both in
    ``info``, to float rounding. Cost units:

    * ``"hpwl"``: the net-weighted HPWL (microns) of the macros and the context the placement env
      counts (ports and fixed blocks; ports left out with ``ports=False``), over
      :func:`~placement_env.rewards.hpwl_scale` -- the placement env's ``"hpwl"`` cost, so the
      numbers compare. Updated per move by rescoring the moved macros' nets.
    * ``"proxy"``: Circuit Training's proxy cost (:func:`~placement_env.proxy_cost.proxy_cost`)
      of :meth:`placement` with the design's ``.plc`` settings, kept by
      :class:`~placement_env.proxy_incremental.IncrementalProxy`. Soft macros and standard cells
      stay where the start placement has them (re-placing them after every move would cost a
      force-directed solve per step).

    The last move recomputes the cost from scratch (unless it is a "stay", which always pays
    exactly 0), so the final ``info["cost"]`` is the metric of the final placement itself, not
    a sum of updates.

    ## Starting State

    ``start="shipped"``: the design's own placement (which must be legal); ``"random"``: the
    macros one by one, largest first, at uniformly drawn legal cell centres (the placement env's
    :class:`~placement_env.decoding.Decoder`, drawn with :attr:`np_random`, so the seed fixes
    it). A dead end redraws; after 10 dead ends the draws snap (the legal point of a cell nearest
    its centre, the placement env's ``snap``) so that dense floor plans pack too, and after 10
    more :class:`~placement_env.problem.ProblemError` says to use a finer grid.

    ``reset(options={"placement": p})`` starts from the complete placement ``p`` of the design
    instead (a full ``netlists.Placement``: a placer's result, or :meth:`placement`): its movable
    hard macros (and, for ``"proxy"``, its other movable nodes); an incomplete or illegal one
    raises :class:`IllegalPlacementError` (a ``ValueError``).

    ## Episode End

    Terminates after ``moves`` place steps, i.e. ``2 x moves`` steps; never truncated. The final
    ``info`` adds ``"placement"``. Every ``info`` has ``"cost"`` (env units), ``"start_cost"``,
    ``"phase"`` (of the next action: ``"select"``, ``"place"``, or ``"done"``), ``"moves_done"``
    and ``"move"`` (what the step did: ``"reset"``, ``"select"``, ``"cell"``, ``"swap"`` or
    ``"stay"``).

    ## Arguments

    * ``netlist``: any design spec of :func:`placement_env.designs.load_design` (default ``"n10"``).
    * ``grid``: ``(rows, cols)`` or an int for a square grid (default 64).
    * ``cost``: ``"hpwl"`` (default) or ``"proxy"`` (designs with ``.plc`` settings only).
    * ``moves``: moves per episode (int >= 1); default the number of movable macros.
    * ``start``: ``"random"`` (default; most bundled designs ship no legal placement) or
      ``"shipped"`` (the Circuit Training test designs, for example).
    * ``render_mode``: ``None``, ``"rgb_array"`` or ``"human"``.
    * ``ports`` (keyword, default True): ``False`` leaves the ports out of the ``"hpwl"`` cost.
    * ``max_edges`` (keyword): pads or truncates the macro graph to this many edges.
    * ``viewer`` (keyword): the :class:`~placement_env.viewer.GridViewer` of :meth:`render`.

    Raises at construction: :class:`netlists.UnknownDesignError` for an unknown design;
    ``ValueError`` for an unknown ``cost``, ``start`` or ``render_mode``, a bad ``moves``,
    ``"proxy"`` on a design without ``.plc`` settings, ``ports=False`` with ``"proxy"``;
    :class:`IllegalPlacementError` for ``start="shipped"`` on a design whose own placement is not
    legal; :class:`~placement_env.problem.ProblemError` for a design without movable hard macros
    (and, at :meth:`reset`, when no random start packs; see Starting State).

    ## Version History

    * v0: initial version.
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 30}

    @typed
    def __init__(
        self,
        netlist: str | Path | Design | Netlist = "n10",
        grid: int | Sequence[int] | np.ndarray = 64,
        cost: str = "hpwl",
        moves: int | None = None,
        start: str = "random",
        render_mode: str | None = None,
        *,
        ports: bool = True,
        max_edges: int | None = None,
        viewer: GridViewer | None = None,
    ) -> None:
        self.design = load_design(netlist)
        self.netlist = self.design.netlist
        self._check_options(cost, start, render_mode, ports)
        if cost == "proxy" and self.design.plc is None:
            raise ValueError(
                f"cost='proxy' needs Circuit Training .plc settings, which design "
                f"{self.netlist.name!r} lacks; use cost='hpwl' or a design with a .plc file"
            )
        self.cost_name, self.start, self.render_mode = cost, start, render_mode
        self.viewer = GridViewer(fps=self.metadata["render_fps"]) if viewer is None else viewer
        rows, cols = grid_shape(grid)
        self.grid = Grid.over(self.netlist.canvas, rows, cols)
        self.problem = MacroProblem(self.design, context="macros", ports=ports)
        self.macros = self.problem.macros
        n = len(self.macros)
        self.moves = n if moves is None else self._check_moves(moves)
        # The working netlist: what the cost, the masks and the wire mask are computed on.
        proxy = cost == "proxy"
        self._work = self.netlist if proxy else self.problem.sub
        self._nodes = self.macros if proxy else self.problem.local
        self._lengths = _NetLengths(self._work, self._nodes)
        self._cost = _ProxyCost(self.design) if proxy else _HpwlCost(self.problem)
        self._setup_geometry()
        self._graph = macro_graph(self.netlist, self.macros, max_edges)
        self.action_space = MaskedDiscrete(self.grid.num_cells + n, self._sample_mask)
        self.observation_space = self._make_observation_space()
        self._shipped = self._shipped_start() if start == "shipped" else None
        self._placement: Placement | None = None
        self._done = False
        self._phase = 0
        # The last place step's (macros, their positions before it, the cost before it): undo().
        self._last: tuple[list[int], np.ndarray, float] | None = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A pickled (or deep-copied) env gets its action space's mask source back.
        self.__dict__.update(state)
        self.action_space._legal = self._sample_mask

    # -- construction helpers ----------------------------------------------------------------

    @staticmethod
    def _check_options(cost: str, start: str, render_mode: str | None, ports: bool) -> None:
        if cost not in COSTS:
            raise ValueError(f"unknown cost {cost!r}; choose one of {COSTS}")
        if start not in STARTS:
            raise ValueError(f"unknown start {start!r}; choose one of {STARTS}")
        modes = MacroRefineEnv.metadata["render_modes"]
        if render_mode is not None and render_mode not in modes:
            raise ValueError(f"unknown render_mode {render_mode!r}; choose None or one of {modes}")
        if cost == "proxy" and not ports:
            raise ValueError("ports=False applies to cost='hpwl' only; the proxy scores the ports")

    def _check_moves(self, moves: Any) -> int:
        if isinstance(moves, bool) or not isinstance(moves, int | np.integer) or moves < 1:
            raise ValueError(f"moves must be an int >= 1, got {moves!r}")
        return int(moves)

    def _setup_geometry(self) -> None:
        canvas = self.netlist.canvas
        self._canvas_xy = np.array([canvas.x_min, canvas.y_min])
        self._canvas_wh = np.array([canvas.width, canvas.height])
        self._die_low = self._canvas_xy.copy()
        self._die_high = self._canvas_xy + self._canvas_wh
        self._xs, self._ys = self.grid.cell_centres()
        self._hard = np.flatnonzero(self._work.node_kinds == int(NodeKind.HARD_MACRO))
        self._rows = np.searchsorted(self._hard, self._nodes)
        degree = self._lengths.degree
        self._degree = degree / degree.max() if degree.max() > 0 else degree

    def _make_observation_space(self) -> spaces.Dict:
        rows, cols, n = self.grid.rows, self.grid.cols, len(self.macros)
        grid_box = spaces.Box(0.0, 1.0, shape=(rows, cols), dtype=np.float32)
        edges = len(self._graph["graph_edge_mask"])
        return spaces.Dict(
            {
                "position_mask": grid_box,
                "wire_mask": grid_box,
                "density": grid_box,
                "macro_features": spaces.Box(
                    0.0, 1.0, shape=(n, len(REFINE_FEATURES)), dtype=np.float32
                ),
                "graph_edges": spaces.Box(0.0, max(n - 1, 0), shape=(edges, 2), dtype=np.float32),
                "graph_edge_weights": spaces.Box(0.0, 1.0, shape=(edges,), dtype=np.float32),
                "graph_edge_mask": spaces.Box(0.0, 1.0, shape=(edges,), dtype=np.float32),
                "progress": spaces.Box(
                    np.zeros(3, np.float32),
                    np.array([1.0, 1.0, COST_RATIO_CAP], np.float32),
                    dtype=np.float32,
                ),
            }
        )

    # -- start placements ----------------------------------------------------------------------

    def _working(
        self, full: Placement, what: str = "the start placement", hint: str = ""
    ) -> Placement:
        """The working placement of a full one: the macros (and, for the proxy, every movable
        node it places) from ``full``, the rest at the design's positions, all placed.

        Raises:
            IllegalPlacementError: ``full`` leaves a movable hard macro unplaced.
        """
        full.check_matches(self.netlist)
        missing = self.macros[~full.placed[self.macros]]
        if len(missing):
            names = ", ".join(self.netlist.node_names[v] for v in missing[:5])
            raise IllegalPlacementError(
                f"{what} leaves {len(missing)} movable hard macros unplaced "
                f"({names}{', ...' if len(missing) > 5 else ''}); it must place every one{hint}"
            )
        if self.cost_name == "hpwl":
            return self.problem.to_sub(full)
        shipped = self.design.placement
        take = full.placed & ~self.netlist.node_fixed
        positions = np.where(take[:, None], full.positions, shipped.positions)
        orientations = np.where(take, full.orientations, shipped.orientations)
        return Placement(positions, orientations, np.ones(self.netlist.num_nodes, dtype=bool))

    def _check_legal(self, placement: Placement, what: str, hint: str = "") -> None:
        report = check_legality(self._work, placement)
        if not report.is_legal:
            raise IllegalPlacementError(
                f"{what} is not legal: {report.n_overlapping_pairs} overlapping pairs of hard "
                f"macros ({report.overlap_area:g} square microns) and {report.n_out_of_die} "
                f"macros off the {self.netlist.canvas.width:g} x "
                f"{self.netlist.canvas.height:g} die{hint}"
            )

    def _shipped_start(self) -> Placement:
        what = f"the placement design {self.netlist.name!r} ships with"
        hint = "; use start='random' or reset(options={'placement': ...})"
        placement = self._working(self.design.placement, what, hint)
        self._check_legal(placement, what, hint)
        return placement

    def _random_start(self) -> Placement:
        """A legal placement at random cell centres, largest macro first (seeded by np_random)."""
        # Cell centres first; dense floor plans pack only with snapping (abutting neighbours).
        for snap in (False, True):
            decoder = Decoder(self.problem, self.grid, snap=snap)
            for _ in range(RANDOM_START_TRIES // 2):
                decoder.reset()
                while not decoder.done and decoder.legal.any():
                    cells = np.flatnonzero(decoder.legal)
                    decoder.place(int(cells[self.np_random.integers(len(cells))]))
                if decoder.done:
                    sub = decoder.placement
                    if self.cost_name == "hpwl":
                        return sub
                    return self._working(self.problem.to_full(sub))
        raise ProblemError(
            f"no random legal placement of design {self.netlist.name!r} on the "
            f"{self.grid.rows} x {self.grid.cols} grid in {RANDOM_START_TRIES} tries (the "
            "macros do not pack at random cell centres); use a finer grid, start='shipped' "
            "or reset(options={'placement': ...})"
        )

    def _start_placement(self, options: dict[str, Any] | None) -> Placement:
        options = dict(options or {})
        given = options.pop("placement", None)
        if options:
            raise ValueError(
                f"unknown reset options {sorted(options)}; the only one is 'placement'"
            )
        if given is not None:
            if not isinstance(given, Placement):
                raise TypeError(f"options['placement'] must be a netlists.Placement, got {given!r}")
            what = "the placement passed in reset(options=...)"
            placement = self._working(given, what)
            self._check_legal(placement, what)
            return placement
        return self._shipped if self.start == "shipped" else self._random_start()

    # -- state ---------------------------------------------------------------------------------

    def _begin(self, placement: Placement) -> None:
        self._placement = placement
        self._centres = placement.positions[self._hard].copy()
        self._halves = placement.footprints(self._work, self._hard) / 2
        self._density = density_map(self._work, placement, self.grid, kinds=(NodeKind.HARD_MACRO,))
        self._lengths.reset(placement)
        self._start_cost = self._current = self._cost.reset(placement)
        self._moved = np.zeros(len(self.macros))
        self._done_moves = 0
        self._phase = 0
        self._chosen = -1
        self._done = False
        self._last = None
        self._build_table()

    def _apply(self, macros: list[int], positions: np.ndarray) -> float:
        """Moves ``macros`` (indices into :attr:`macros`) to ``positions`` (m, 2); returns the new
        cost."""
        nodes = self._nodes[macros]
        rows = self._rows[macros]
        after = self._placement.with_positions(nodes, positions)
        delta = self._lengths.move(after, macros)
        cost = self._cost.move(delta, nodes, positions)
        half = self._halves[rows]
        old, new = self._centres[rows], positions
        signs = np.repeat([1.0, -1.0], len(rows))  # add the new boxes, take out the old ones
        boxes = np.concatenate((new, old))
        half = np.concatenate((half, half))
        self._density += (
            spread_rectangles(self.grid, boxes - half, boxes + half, signs) / self.grid.cell_area
        )
        self._centres[rows] = positions
        self._placement = after
        self._moved[macros] += 1
        self._refresh_table(macros)
        return cost

    def _prepare_place(self, j: int) -> None:
        """The chosen macro's legal cells, swaps and wire mask (computed once per move)."""
        node = int(self._nodes[j])
        self._cells = position_mask(self._work, self._placement, node, self.grid)
        self._swaps = _swap_mask(
            self._centres,
            self._halves,
            self._rows,
            j,
            self._die_low,
            self._die_high,
            DEFAULT_TOLERANCE,
        )
        self._wire = wire_mask(self._work, self._placement, node, self.grid)

    # -- masks ---------------------------------------------------------------------------------

    def action_masks(self) -> np.ndarray:
        """(cells + n,) np.bool_: the legal actions now (see the class docstring)."""
        cells, n = self.grid.num_cells, len(self.macros)
        if self._done:
            return np.ones(cells + n, dtype=np.bool_)
        if self._phase == 0:
            return np.concatenate((np.zeros(cells, np.bool_), np.ones(n, np.bool_)))
        return np.concatenate((self._cells.reshape(-1), self._swaps))

    def _sample_mask(self) -> np.ndarray:
        mask = self.action_masks()
        mask[: self.grid.num_cells] = False
        return mask

    # -- observation ---------------------------------------------------------------------------

    def _build_table(self) -> None:
        """The (n, 8) float32 macro features without the chosen flag, for a new episode."""
        table = np.zeros((len(self.macros), len(REFINE_FEATURES)), dtype=np.float32)
        table[:, 2:4] = np.clip(2 * self._halves[self._rows] / self._canvas_wh, 0.0, 1.0)
        table[:, 6] = self._degree
        self._table = table
        self._refresh_table(np.arange(len(self.macros)))

    def _refresh_table(self, macros: np.ndarray | list[int]) -> None:
        """Updates the features a move of ``macros`` changes: their centres and move counts, and
        every macro's wirelength share."""
        table = self._table
        positions = self._placement.positions[self._nodes[macros]]
        table[macros, 0:2] = np.clip((positions - self._canvas_xy) / self._canvas_wh, 0.0, 1.0)
        table[macros, 7] = self._moved[macros] / self.moves
        wl = self._lengths.per_macro()
        top = wl.max()
        table[:, 5] = wl / top if top > 0 else 0.0

    def _features(self) -> np.ndarray:
        features = self._table.copy()
        if self._phase == 1 and not self._done:
            features[self._chosen, 4] = 1.0
        return features

    def _observation(self) -> dict[str, np.ndarray]:
        rows, cols = self.grid.rows, self.grid.cols
        placing = self._phase == 1 and not self._done
        ratio = self._current / self._start_cost if self._start_cost > 0 else 1.0
        return {
            "position_mask": (
                self._cells.astype(np.float32) if placing else np.zeros((rows, cols), np.float32)
            ),
            "wire_mask": _normalised(self._wire) if placing else np.zeros((rows, cols), np.float32),
            "density": np.clip(self._density, 0.0, 1.0).astype(np.float32),
            "macro_features": self._features(),
            **{key: value.copy() for key, value in self._graph.items()},
            "progress": np.array(
                [
                    float(placing),
                    (self.moves - self._done_moves) / self.moves,
                    min(max(ratio, 0.0), COST_RATIO_CAP),
                ],
                dtype=np.float32,
            ),
        }

    def _info(self, move: str) -> dict[str, Any]:
        phase = "done" if self._done else PHASES[self._phase]
        return {
            "cost": self._current,
            "start_cost": self._start_cost,
            "phase": phase,
            "moves_done": self._done_moves,
            "move": move,
        }

    # -- gymnasium API -------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Starts an episode from the start placement, or from ``options["placement"]``."""
        super().reset(seed=seed)
        self._begin(self._start_placement(options))
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info("reset")

    def _illegal(self, action: int, why: str) -> IllegalActionError:
        phase = PHASES[self._phase]
        return IllegalActionError(
            f"action {action} is not legal in the {phase} phase: {why} (step only actions "
            "where action_masks() is True)"
        )

    def _select(self, action: int) -> str:
        cells, n = self.grid.num_cells, len(self.macros)
        if not cells <= action < cells + n:
            raise self._illegal(
                action, f"select a macro j with action {cells} + j, j in 0..{n - 1}"
            )
        self._chosen = action - cells
        self._prepare_place(self._chosen)
        self._phase = 1
        return "select"

    def _place(self, action: int) -> tuple[str, float]:
        cells, n, j = self.grid.num_cells, len(self.macros), self._chosen
        self._last = None
        if 0 <= action < cells:
            if not self._cells.flat[action]:
                raise self._illegal(action, f"macro {j} does not fit at cell {action}")
            row, col = divmod(action, self.grid.cols)
            self._last = ([j], self._centres[self._rows[[j]]].copy(), self._current)
            cost, kind = self._apply([j], np.array([[self._xs[col], self._ys[row]]])), "cell"
        elif cells <= action < cells + n:
            k = action - cells
            if k == j:
                cost, kind = self._current, "stay"
            elif not self._swaps[k]:
                raise self._illegal(action, f"macros {j} and {k} do not fit swapped")
            else:
                swapped = self._centres[self._rows[[k, j]]].copy()
                self._last = ([j, k], swapped[::-1].copy(), self._current)
                cost, kind = self._apply([j, k], swapped), "swap"
        else:
            raise self._illegal(action, f"actions are 0..{cells + n - 1}")
        return kind, cost

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Selects a macro or places the chosen one; see the class docstring."""
        if self._placement is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("the episode has ended; call reset() before step()")
        action = discrete_action(action, int(self.action_space.n))
        reward = 0.0
        if self._phase == 0:
            kind = self._select(action)
        else:
            kind, cost = self._place(action)
            self._done_moves += 1
            self._phase = 0
            if self._done_moves == self.moves:
                self._done = True
                cost = self._cost.exact(self._placement) if kind != "stay" else cost
            reward = self._current - cost
            self._current = cost
        info = self._info(kind)
        if self._done:
            info["placement"] = self.placement()
        if self.render_mode == "human":
            self.render()
        return self._observation(), float(reward), self._done, False, info

    def observation(self) -> dict[str, np.ndarray]:
        """The current observation (what the last :meth:`reset`, :meth:`step` or :meth:`undo`
        left), for callers that drive the env outside a rollout (a Metropolis loop)."""
        if self._placement is None:
            raise RuntimeError("call reset() before observation()")
        return self._observation()

    def undo(self) -> float:
        """Takes the last place step back (a Metropolis loop's rejected move): the moved macros
        return to where they were, the move no longer counts, and the next action is a select.
        Returns the cost after the undo (the cost before that move, to float rounding).

        Raises:
            RuntimeError: No place step to undo (none yet, a "stay", or one already undone).
        """
        last = self._last
        if last is None:
            raise RuntimeError("no move to undo: undo() follows a cell or swap place step")
        macros, positions, _ = last
        self._current = self._apply(macros, positions)
        self._moved[macros] -= 2  # the move and its undo
        self._refresh_table(macros)
        self._done_moves -= 1
        self._done = False
        self._phase = 0
        self._last = None
        return self._current

    # -- results -------------------------------------------------------------------------------

    def cost(self) -> float:
        """The current cost (env units; see Rewards)."""
        if self._placement is None:
            raise RuntimeError("call reset() before cost()")
        return self._current

    def placement(self) -> Placement:
        """The current placement of the whole design: for ``"proxy"`` every node, as scored; for
        ``"hpwl"`` the nodes the cost counts (macros and context), the rest unplaced, as the
        placement env's :attr:`~placement_env.env.MacroPlacementEnv.placement`."""
        if self._placement is None:
            raise RuntimeError("call reset() before placement()")
        if self.cost_name == "proxy":
            return self._placement
        return self.problem.placement_of(self._placement)

    # -- rendering -----------------------------------------------------------------------------

    def render(self) -> np.ndarray | None:
        """``"rgb_array"``: the picture; ``"human"``: draws it with matplotlib; else None."""
        if self.render_mode is None or self._placement is None:
            return None
        sub = self._placement
        if self.cost_name == "proxy":
            sub = self.problem.to_sub(self._placement)
        legal = self._cells if self._phase == 1 and not self._done else None
        image = self.viewer.picture(self.problem, self.grid, sub, legal)
        if self.render_mode == "rgb_array":
            return image
        self.viewer.show(image, f"MacroRefine: {self.netlist.name}")
        return None

    def close(self) -> None:
        """Closes the matplotlib window, if any."""
        self.viewer.close()
