"""The macro-placement Gymnasium environment: one hard macro per step on a grid of cell centres.

Registered as ``placement_env/MacroPlacement-v0`` (and ``MacroPlacement-v0``, so that
``"placement_env:MacroPlacement-v0"`` works in subprocess vector envs); see
:class:`MacroPlacementEnv` for the full contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from netlists import Design, Netlist, NodeKind, Placement
from placement_env.actions import discrete_action
from placement_env.arguments import typed
from placement_env.decoding import Decoder
from placement_env.designs import load_design
from placement_env.grid import Grid
from placement_env.maps import density_map, spread_rectangles
from placement_env.problem import ORDERS, MacroProblem, ProblemError
from placement_env.rewards import (
    ChipReward,
    HpwlReward,
    ProxyReward,
    Reward,
    hpwl_scale,
    make_reward,
)
from placement_env.viewer import GridViewer
from placement_env.wirelength import hpwl

#: An early end costs ``DEAD_END_PENALTY x (unplaced macro area fraction) x`` the env's
#: :attr:`~MacroPlacementEnv.penalty_unit` (the cost of every macro piled at the die centre), so
#: that one value means the same on every design (plain normalised-cost units differ about 50x).
DEAD_END_PENALTY = 1.0

#: Columns of ``macro_features`` (and the first ones of ``current_macro``).
MACRO_FEATURES = ("width", "height", "placed", "x", "y")
CURRENT_FEATURES = ("width", "height", "area", "progress")

__all__ = [
    "CURRENT_FEATURES",
    "DEAD_END_PENALTY",
    "MACRO_FEATURES",
    "ORDERS",
    "ChipReward",
    "HpwlReward",
    "MacroPlacementEnv",
    "ProxyReward",
]


def check_max_edges(max_edges: Any) -> None:
    """Raises ValueError unless ``max_edges`` is None or an int >= 1."""
    if max_edges is not None and (
        isinstance(max_edges, bool) or not isinstance(max_edges, int | np.integer) or max_edges < 1
    ):
        raise ValueError(f"max_edges must be an int >= 1 or None, got {max_edges!r}")


def macro_graph(netlist: Netlist, macros: np.ndarray, max_edges: int | None) -> dict:
    """Padded macro-to-macro connectivity for graph policies (static over an episode).

    Each net joins the macros among its pins by a path through them in placement order (a
    net of k macros gives k - 1 edges, not a clique); parallel edges add their net weights.

    Returns:
        ``graph_edges`` (E, 2) float32 macro positions in placement order, ``graph_edge_weights``
        (E,) float32 weights over the largest, ``graph_edge_mask`` (E,) float32, 1 for real
        edges; E is ``max_edges`` (heaviest edges kept) or the number of edges (at least 1).
    """
    arrays = netlist.arrays
    position = np.full(netlist.num_nodes, -1, dtype=np.int64)
    position[macros] = np.arange(len(macros))
    on_macro = position[arrays.entry_node] >= 0
    weights: dict[tuple[int, int], float] = {}
    nets = arrays.entry_net[on_macro]
    members = position[arrays.entry_node[on_macro]]
    for net in np.unique(nets):
        chain = np.unique(members[nets == net])
        for a, b in zip(chain[:-1], chain[1:], strict=True):
            key = (int(a), int(b))
            weights[key] = weights.get(key, 0.0) + float(arrays.net_weights[net])
    pairs = sorted(weights, key=lambda k: (-weights[k], k))
    check_max_edges(max_edges)
    size = max(1, len(pairs) if max_edges is None else int(max_edges))
    pairs = pairs[:size]
    edges = np.zeros((size, 2), dtype=np.float32)
    edge_weights = np.zeros(size, dtype=np.float32)
    mask = np.zeros(size, dtype=np.float32)
    if pairs:
        edges[: len(pairs)] = np.array(pairs, dtype=np.float32)
        values = np.array([weights[k] for k in pairs])
        edge_weights[: len(pairs)] = values / values.max() if values.max() > 0 else 0.0
        mask[: len(pairs)] = 1.0
    return {"graph_edges": edges, "graph_edge_weights": edge_weights, "graph_edge_mask": mask}


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def grid_shape(grid: int | Sequence[int]) -> tuple[int, int]:
    """``(rows, cols)`` of a grid given as one side or a pair of ints; raises ValueError
    otherwise (a float, a string or a bool is not a side)."""
    if _is_int(grid):
        rows = cols = int(grid)
    else:
        pair = isinstance(grid, Sequence | np.ndarray) and not isinstance(grid, str)
        if not pair or len(grid) != 2 or not all(_is_int(v) for v in grid):
            raise ValueError(f"grid must be an int or a (rows, cols) pair of ints, got {grid!r}")
        rows, cols = (int(v) for v in grid)
    if rows <= 0 or cols <= 0:
        raise ValueError(f"grid must have positive rows and cols, got {rows} x {cols}")
    return rows, cols


class MacroPlacementEnv(gym.Env):
    """Place the movable hard macros of a design one per step on the cells of a grid.

    ## Description

    The canvas of the design is divided into a ``rows x cols`` grid (:class:`~placement_env.grid.
    Grid`). At every step the agent picks the grid cell whose centre becomes the centre of the
    next macro, in a fixed order (largest area first by default, ties by node index). Ports and
    fixed blocks stay where the design puts them from the start and hard macros among the fixed
    blocks block cells. Standard cells and soft macros are *not* placed in the env's placement:
    they neither block cells nor count in the HPWL reward (the ``"proxy"`` and ``"chip"`` rewards
    score :meth:`final_placement`, which places the soft macros by a force-directed step and puts
    standard cells at the design's own positions). A cell is legal when the macro centred on it lies
    inside the die and overlaps (with positive area) no placed hard macro
    (:func:`~placement_env.incremental.position_mask`). Macros keep their design orientation.

    ## Action Space

    ``Discrete(rows * cols)``: action ``a`` is the cell ``(row, col) = divmod(a, cols)``; row 0 is
    at the bottom of the canvas, column 0 at the left. :meth:`action_masks` returns the legal
    cells as an ``np.bool_`` array of shape ``(rows * cols,)`` (what sb3-contrib's MaskablePPO
    reads); it is valid before :meth:`reset` too, never all False while the episode runs (the
    constructor checks that the first macro has a legal cell and a dead end ends the episode),
    and all True once it has ended (see :meth:`action_masks`). An action that is not an integer
    (None, a string, a float, a bool) raises ``ValueError``.

    ## Observation Space

    A flat ``Dict`` of ``Box`` es (all float32), with ``n`` the number of movable hard macros:

    * ``"position_mask"`` ``(rows, cols)`` in {0, 1}: 1 where the current macro may go.
    * ``"wire_mask"`` ``(rows, cols)`` in [0, 1]: the weighted HPWL increase of placing the current
      macro at each cell (:func:`~placement_env.incremental.wire_mask`), measured where the macro
      would really go (with ``snap``, the snapped centre of each legal cell), min-max normalised
      over the whole grid, ``(w - w.min()) / (w.max() - w.min())``; all zeros when it is
      constant. Before normalising, ``w`` at the chosen cell is exactly what the step charges
      the ``"hpwl"`` cost.
    * ``"density"`` ``(rows, cols)`` in [0, 1]: fraction of each cell covered by placed hard
      macros (fixed ones included), clipped to 1.
    * ``"macro_features"`` ``(n, 5)`` in [0, 1], one row per macro in placement order: width /
      canvas width, height / canvas height, placed flag, centre x and centre y as fractions of
      the canvas (0 while unplaced).
    * ``"current_macro"`` ``(4,)`` in [0, 1]: width / canvas width, height / canvas height,
      area / canvas area, and the step index / n; all zeros once the episode has ended.
    * With ``graph_observation=True``, the padded macro graph (static over the episode):
      ``"graph_edges"`` ``(E, 2)`` in [0, n - 1] (macro positions in placement order),
      ``"graph_edge_weights"`` ``(E,)`` in [0, 1] (summed net weights over the largest) and
      ``"graph_edge_mask"`` ``(E,)`` in {0, 1} (1 for real edges); each net joins its macros by a
      path in placement order. ``E`` is ``max_edges`` (heaviest edges kept) or all edges.

    ## Rewards

    ``reward`` is a name or a reward object (:mod:`placement_env.rewards`), which carries the
    cost's own options. Every mode keeps the invariant **episode return == -(final cost)**, where
    the final cost is reported in ``info["cost"]`` at the end.

    * ``"hpwl"`` / :class:`~placement_env.rewards.HpwlReward` (always dense): the cost is the
      net-weighted HPWL (:func:`~placement_env.wirelength.hpwl`) of the env's placement -- pins
      of macros, fixed blocks and ports, nets restricted to placed owners -- divided by the constant
      ``hpwl_scale = (canvas width + canvas height) x (sum of net weights)``, so that it lies in
      about [0, 1]. Each step's reward is minus the increase of that cost; the first step also
      carries the HPWL of nets among the fixed nodes alone, and the last step absorbs the rounding
      difference with an exact recomputation.
    * ``"proxy"`` / :class:`~placement_env.rewards.ProxyReward`: the Circuit Training proxy cost
      (:func:`~placement_env.proxy_cost.proxy_cost`) of :meth:`final_placement` with the design's
      ``.plc`` settings: hard macros where the agent put them, the movable soft macros placed
      afterwards by the force-directed step :func:`~placement_env.soft_macros.place_soft_macros`
      (as Circuit Training does; with ``ProxyReward(soft_macros="as_shipped")`` they keep the
      ``.plc`` positions), standard cells at the design's positions. Only designs with ``.plc``
      settings support it.
    * ``"chip"`` / :class:`~placement_env.rewards.ChipReward`: for designs with timing arcs
      (``netlist.timing``), :func:`~placement_env.rewards.chip_cost` of :meth:`final_placement`:
      ``w_wl x HPWL / hpwl_scale + w_wns x (-WNS / clock period) + w_area x (bounding-box area of
      the placed hard macros / die area)``, the WNS (<= 0) from
      :func:`~placement_env.timing.analyse_timing` with the reward's ``wire_model``; unplaced
      macros (early end) sit at the design's positions. ``info`` adds ``chip`` (the weighted
      sum), ``chip_wirelength``, ``chip_wns`` (-WNS / period), ``chip_wns_ns``, ``chip_area`` and
      ``chip_fmax_mhz``.

    The schedule (``reward_schedule=`` with a reward name, else the reward object's ``schedule``)
    sets when ``"proxy"`` and ``"chip"`` pay; ``"hpwl"`` is always dense, and asking it for
    ``"sparse"`` is an error:

    * ``"dense"`` (:data:`~placement_env.rewards.DEFAULT_SCHEDULE`, for the env and the agents
      alike): potential-based shaping with the ``"hpwl"`` cost as potential ``phi`` (the
      normalised HPWL of the partial placement, unplaced macros, soft macros and standard cells
      excluded): step ``t`` pays ``phi(t-1) - phi(t)`` and the last step ``phi(T-1) - cost``, so
      the return is still exactly ``-cost``; the expensive final cost is computed once;
    * ``"sparse"``: zero until the last step, then minus the final cost.

    An early end adds ``dead_end_penalty x (unplaced macro area / total macro area) x
    penalty_unit`` to the cost (``info["penalty"]``), where :attr:`penalty_unit` is the env's own
    cost of the placement with every movable macro piled at the die centre (computed once, at the
    first early end; 1 if that cost is not positive). The unit makes one ``dead_end_penalty``
    mean the same on every design and reward; raise it where skipping small macros would
    otherwise pay. In ``"proxy"`` and ``"chip"`` modes the unplaced macros are then scored at the
    design's positions.

    ## Starting State

    No movable hard macro placed; ports and fixed blocks at the design's positions. There is no
    randomness: the seed only seeds ``np_random``, and every reset gives the same state.

    ## Episode End

    The episode terminates when every macro is placed; when the next macro has no legal cell
    (dead end, ``info["dead_end"] = True``); or on an illegal action -- a masked-out cell or an
    out-of-range index -- which leaves the placement unchanged (``info["invalid_action"] =
    True``). It is never truncated (at most ``n`` steps). The final ``info`` carries the cost
    breakdown: ``cost``, ``hpwl`` (microns), ``hpwl_cost``, ``penalty``, ``unplaced_area_fraction``,
    ``n_placed``, for ``"proxy"`` also ``proxy``, ``proxy_wirelength``, ``proxy_density`` and
    ``proxy_congestion``, and for ``"chip"`` the ``chip*`` keys above. :attr:`placement` holds the
    env's placement (std cells and soft macros unplaced); :meth:`final_placement` the one that is
    scored in ``"proxy"`` and ``"chip"`` modes.

    ## Arguments

    * ``netlist``: any design spec of :func:`placement_env.designs.resolve_design` -- a bundled
      design name, a path, an accel preset (``tpu_v1``, any spelling: the chip of
      :func:`accel.build_chip`), a ``netlists.Design`` or a ``netlists.Netlist`` (then nothing
      is pre-placed).
    * ``grid``: ``(rows, cols)`` or an int for a square grid (default 128).
    * ``order``: ``"largest_first"`` (default), ``"index"`` or an explicit sequence of the
      movable hard-macro node indices.
    * ``reward``: ``"hpwl"`` (default), ``"proxy"``, ``"chip"``, or a reward object of
      :mod:`placement_env.rewards` with its options: ``ProxyReward(schedule, soft_macros)``,
      ``ChipReward(schedule, soft_macros, w_wl, w_wns, w_area, wire_model)``. ``soft_macros`` is
      ``"force_directed"`` (default: soft macros placed by
      :func:`~placement_env.soft_macros.place_soft_macros` from a pile at the canvas centre, seed
      0) or ``"as_shipped"`` (the design's positions) in :meth:`final_placement`; the chip
      weights default to 1.0, 1.0 and 0.5 (:data:`~placement_env.rewards.CHIP_WEIGHTS`) and the
      wire model to :data:`netlists.wires.NANGATE45` (``placement_env/TPUv1-v0`` passes the
      chip's own, ``accel.technology("28nm").wire_model()``).
    * ``render_mode``: ``None``, ``"rgb_array"`` (numpy, an ``(H, W, 3)`` uint8 picture) or
      ``"human"`` (matplotlib window).
    * ``reward_schedule`` (keyword): ``"dense"`` or ``"sparse"`` with a reward name (``None``:
      :data:`~placement_env.rewards.DEFAULT_SCHEDULE`, dense); see Rewards.
    * ``viewer`` (keyword): the :class:`~placement_env.viewer.GridViewer` that draws
      :meth:`render` (default ``GridViewer()``: 256 pixels, 30 frames per second).
    * ``graph_observation`` (keyword, default False): add the padded macro graph to the
      observation; ``max_edges`` (keyword) pads or truncates it to a fixed size, so that designs
      of one family share an observation space.
    * ``dead_end_penalty`` (keyword, >= 0): see Rewards.
    * ``snap`` (keyword, default False): a cell is legal when the macro fits *anywhere* inside it
      (:func:`~placement_env.incremental.snapped_position_mask`), and the macro goes to the legal
      centre nearest the cell centre -- abutting a neighbour or the die edge where the centre
      itself overlaps. Needed for dense floor plans such as TPUv1-v0, where no centre-snapped
      grid packs the blocks. The wire mask and the ``"hpwl"`` reward both use the exact HPWL
      increase at that point.
    * ``ports`` (keyword, default True): ``False`` leaves the ports out of the env -- the wire
      mask, the HPWL potential and the ``"hpwl"`` cost -- so that nets count only their macro
      (and fixed-block) pins: on designs without fixed blocks the ``"hpwl"`` cost of a complete
      placement is then protocol MH's macro HPWL (:func:`~placement_env.wirelength.macro_hpwl`)
      over ``hpwl_scale``. The ``"proxy"`` and ``"chip"`` costs score the whole design, ports
      included, so they refuse ``ports=False``.
    * ``lookahead`` (keyword, default False): keep only the cells after which every later macro
      still has a legal cell (:func:`~placement_env.incremental.lookahead_mask`; checked one
      macro at a time, so dead ends become rarer, not impossible). When no cell passes, all
      legal cells stay allowed and that step's ``info["lookahead_relaxed"]`` is True (it is
      False otherwise). Not combinable with ``snap``.

    Raises at construction: :class:`netlists.UnknownDesignError` for an unknown name,
    ``ValueError`` for an unknown ``reward``/``reward_schedule``/``soft_macros``/``render_mode``,
    ``"sparse"`` with ``"hpwl"``, a negative weight or penalty, a ``"proxy"`` reward on a design
    without ``.plc`` settings, a ``"chip"`` reward on a design without timing arcs, ``ports=False``
    with ``"proxy"`` or ``"chip"``, and :class:`~placement_env.problem.ProblemError` (a
    ``ValueError``) for an unknown ``order``, ``snap`` with ``lookahead``, a design without
    movable hard macros, or a grid on which some macro has no legal cell even on the starting
    canvas.

    ## Version History

    * v0: initial version (reward options moved into reward objects, dense the default schedule,
      the wire mask measured at the snapped centre with ``snap``, the dead-end penalty in units of
      :attr:`penalty_unit`, ``info["lookahead_relaxed"]``).
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 30}

    @typed
    def __init__(
        self,
        netlist: str | Path | Design | Netlist = "n10",
        grid: int | Sequence[int] | np.ndarray = 128,
        order: str | Sequence[int] = "largest_first",
        reward: str | Reward = "hpwl",
        render_mode: str | None = None,
        *,
        reward_schedule: str | None = None,
        graph_observation: bool = False,
        max_edges: int | None = None,
        dead_end_penalty: float = DEAD_END_PENALTY,
        lookahead: bool = False,
        snap: bool = False,
        ports: bool = True,
        viewer: GridViewer | None = None,
    ) -> None:
        if not np.isfinite(dead_end_penalty) or dead_end_penalty < 0:
            raise ValueError(f"dead_end_penalty must be finite and >= 0, got {dead_end_penalty!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"unknown render_mode {render_mode!r}; choose None or one of "
                f"{self.metadata['render_modes']}"
            )
        self.reward = make_reward(reward, reward_schedule)
        self.design = load_design(netlist)
        self.netlist = self.design.netlist
        self.reward.check(self.design)
        if not ports and not self.reward.allows_no_ports:
            raise ValueError(
                f"ports=False applies to the 'hpwl' cost only; the {self.reward.name!r} cost "
                "scores the whole design, ports included"
            )
        self.dead_end_penalty = float(dead_end_penalty)
        self.render_mode = render_mode
        self.viewer = GridViewer(fps=self.metadata["render_fps"]) if viewer is None else viewer
        rows, cols = grid_shape(grid)
        self.grid = Grid.over(self.netlist.canvas, rows, cols)
        self.problem = MacroProblem(self.design, context="macros", order=order, ports=ports)
        self.macros = self.problem.macros
        self.decoder = Decoder(self.problem, self.grid, snap=snap, lookahead=lookahead)
        self._check_grid_fits()
        n = len(self.macros)

        nl, sub = self.netlist, self.problem.sub
        canvas = nl.canvas
        self._canvas_wh = np.array([canvas.width, canvas.height])
        self._canvas_xy = np.array([canvas.x_min, canvas.y_min])
        self._footprints = self.problem.start.footprints(sub, self.problem.local)
        self._areas = self._footprints.prod(axis=1)
        self._total_area = float(self._areas.sum()) or 1.0
        self.hpwl_scale = hpwl_scale(nl)
        self._static_features = np.zeros((n, len(MACRO_FEATURES)), dtype=np.float32)
        self._static_features[:, :2] = self._footprints / self._canvas_wh
        self._penalty_unit: float | None = None

        self.action_space = spaces.Discrete(rows * cols)
        grid_box = spaces.Box(0.0, 1.0, shape=(rows, cols), dtype=np.float32)
        check_max_edges(max_edges)  # also when there is no graph: a bad value is a mistake
        self._graph = macro_graph(nl, self.macros, max_edges) if graph_observation else None
        graph_spaces = {}
        if self._graph is not None:
            edges = len(self._graph["graph_edge_mask"])
            graph_spaces = {
                "graph_edges": spaces.Box(0.0, max(n - 1, 0), shape=(edges, 2), dtype=np.float32),
                "graph_edge_weights": spaces.Box(0.0, 1.0, shape=(edges,), dtype=np.float32),
                "graph_edge_mask": spaces.Box(0.0, 1.0, shape=(edges,), dtype=np.float32),
            }
        self.observation_space = spaces.Dict(
            {
                **graph_spaces,
                "position_mask": grid_box,
                "wire_mask": grid_box,
                "density": grid_box,
                "macro_features": spaces.Box(
                    0.0, 1.0, shape=(n, len(MACRO_FEATURES)), dtype=np.float32
                ),
                "current_macro": spaces.Box(
                    0.0, 1.0, shape=(len(CURRENT_FEATURES),), dtype=np.float32
                ),
            }
        )
        start = self.problem.start
        self._start_density = density_map(sub, start, self.grid, kinds=(NodeKind.HARD_MACRO,))
        self._start_hpwl = hpwl(sub, start)
        self._reset_state()

    # -- construction helpers ----------------------------------------------------------------

    def _check_grid_fits(self) -> None:
        problem, decoder = self.problem, self.decoder
        for i, node in enumerate(problem.local):
            alone = Decoder(problem, self.grid, [node], snap=decoder.snap)
            if not alone.legal.any():
                w, h = problem.start.footprints(problem.sub, np.array([node]))[0]
                raise ProblemError(
                    f"grid {self.grid.rows} x {self.grid.cols} has no legal cell for macro "
                    f"{self.netlist.node_names[problem.macros[i]]!r} ({w:g} x {h:g}) on the "
                    f"{self.netlist.canvas.width:g} x {self.netlist.canvas.height:g} canvas "
                    "(no cell centre keeps it inside the die, clear of fixed macros); use a "
                    "finer grid"
                )

    # -- options, read back --------------------------------------------------------------------

    @property
    def reward_mode(self) -> str:
        """The reward's name: ``"hpwl"``, ``"proxy"`` or ``"chip"``."""
        return self.reward.name

    @property
    def reward_schedule(self) -> str:
        """``"dense"`` or ``"sparse"`` (``"hpwl"`` is always dense)."""
        return self.reward.schedule

    @property
    def snap(self) -> bool:
        return self.decoder.snap

    @property
    def lookahead(self) -> bool:
        return self.decoder.lookahead

    @property
    def penalty_unit(self) -> float:
        """The env's cost of every movable macro piled at the die centre (1 if not positive):
        the unit of ``dead_end_penalty``. Computed on first use."""
        if self._penalty_unit is None:
            problem = self.problem
            pile = problem.start.with_positions(
                problem.local, np.tile(problem.centre, (len(problem.local), 1))
            )
            cost, _ = self.reward.score(problem, pile)
            self._penalty_unit = float(cost) if cost > 0 else 1.0
        return self._penalty_unit

    # -- state -------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.decoder.reset()
        self._done = False
        self._hpwl = self._start_hpwl
        self._charged = 0.0
        self._density = self._start_density.copy()
        self._features = self._static_features.copy()
        self._final: tuple[int, Placement] | None = None

    @property
    def sub_placement(self) -> Placement:
        """The decode's placement of :attr:`problem`'s sub-netlist (macros and context)."""
        return self.decoder.placement

    def action_masks(self) -> np.ndarray:
        """(rows * cols,) np.bool_: the legal cells for the current macro.

        Once the episode has ended it is all True: no step is legal then, but vector envs with
        next-step autoreset (``gymnasium.vector``) sample one action that the reset ignores, and an
        all-False mask would break masked sampling.
        """
        if self._done:
            return np.ones(self.grid.num_cells, dtype=np.bool_)
        return self.decoder.legal.reshape(-1).copy()

    @property
    def current_macro(self) -> int | None:
        """Node index of the macro to place next, or None once the episode has ended."""
        return None if self._done else int(self.macros[self.decoder.step])

    # -- observation -------------------------------------------------------------------------

    def _observation(self) -> dict[str, np.ndarray]:
        rows, cols = self.grid.rows, self.grid.cols
        if self._done:
            pmask = np.zeros((rows, cols), dtype=np.float32)
            wmask = np.zeros((rows, cols), dtype=np.float32)
            current = np.zeros(len(CURRENT_FEATURES), dtype=np.float32)
        else:
            pmask = self.decoder.legal.astype(np.float32)
            w = self.decoder.wire_increase
            low, high = w.min(), w.max()
            if high > low:
                wmask = ((w - low) / (high - low)).astype(np.float32)
            else:
                wmask = np.zeros((rows, cols), dtype=np.float32)
            i = self.decoder.step
            current = np.array(
                [
                    *self._static_features[i, :2],
                    min(self._areas[i] / (self._canvas_wh[0] * self._canvas_wh[1]), 1.0),
                    i / len(self.macros),
                ],
                dtype=np.float32,
            )
        graph = {k: v.copy() for k, v in self._graph.items()} if self._graph is not None else {}
        return {
            **graph,
            "position_mask": pmask,
            "wire_mask": wmask,
            "density": np.clip(self._density, 0.0, 1.0).astype(np.float32),
            "macro_features": self._features.copy(),
            "current_macro": current,
        }

    # -- gymnasium API -------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Starts a new episode (always the same starting state; see the class docstring)."""
        super().reset(seed=seed)
        self._reset_state()
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._step_info()

    def _step_info(self) -> dict[str, Any]:
        return {
            "invalid_action": False,
            "dead_end": False,
            "lookahead_relaxed": self.decoder.lookahead_relaxed,
        }

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Places the current macro at cell ``action``; see the class docstring."""
        if self._done:
            raise RuntimeError("the episode has ended; call reset() before step()")
        cell = discrete_action(action, self.grid.num_cells)
        decoder = self.decoder
        if not 0 <= cell < self.grid.num_cells or not decoder.legal.flat[cell]:
            info = self._step_info()
            info["invalid_action"] = True
            return self._finish(info)
        i = decoder.step
        self._hpwl += float(decoder.wire_increase.flat[cell])
        centre = decoder.place(cell)
        half = self._footprints[i] / 2
        self._density += (
            spread_rectangles(
                self.grid, (centre - half)[None, :], (centre + half)[None, :], np.ones(1)
            )
            / self.grid.cell_area
        )
        self._features[i, 2] = 1.0
        self._features[i, 3:5] = np.clip((centre - self._canvas_xy) / self._canvas_wh, 0.0, 1.0)
        info = self._step_info()
        if decoder.done:
            return self._finish(info)
        if not decoder.legal.any():
            info["dead_end"] = True
            return self._finish(info)
        reward = 0.0
        if self.reward_schedule == "dense":
            cost = self._hpwl / self.hpwl_scale
            reward = self._charged - cost
            self._charged = cost
        if self.render_mode == "human":
            self.render()
        return self._observation(), float(reward), False, False, info

    def _finish(
        self, info: dict[str, Any]
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        self._done = True
        placed = self.decoder.step
        unplaced = float(self._areas[placed:].sum()) / self._total_area
        penalty = self.dead_end_penalty * unplaced * self.penalty_unit if unplaced else 0.0
        exact = hpwl(self.problem.sub, self.sub_placement)
        info.update(
            hpwl=exact,
            hpwl_cost=exact / self.hpwl_scale,
            penalty=penalty,
            unplaced_area_fraction=unplaced,
            n_placed=placed,
        )
        final = self.final_placement() if self.reward.needs_final else None
        cost, parts = self.reward.score(self.problem, self.sub_placement, final)
        info.update(parts)
        info["cost"] = cost + penalty
        reward = self._charged - info["cost"]
        self._charged = info["cost"]
        if self.render_mode == "human":
            self.render()
        return self._observation(), float(reward), True, False, info

    def final_placement(self) -> Placement:
        """The design's placement with the hard macros where the agent put them: what the
        ``"proxy"`` and ``"chip"`` rewards score
        (:meth:`~placement_env.problem.MacroProblem.final_placement`, with the reward's
        ``soft_macros`` mode; ``"force_directed"`` for ``"hpwl"``). Cached per step."""
        key = self.decoder.step
        if self._final is None or self._final[0] != key:
            mode = getattr(self.reward, "soft_macros", "force_directed")
            self._final = (key, self.problem.final_placement(self.sub_placement, mode))
        return self._final[1]

    @property
    def placement(self) -> Placement:
        """The env's placement of the whole netlist: placed macros, ports and fixed blocks only."""
        return self.problem.placement_of(self.sub_placement)

    # -- rendering ---------------------------------------------------------------------------

    def render(self) -> np.ndarray | None:
        """``"rgb_array"``: the picture; ``"human"``: draws it with matplotlib; else None."""
        if self.render_mode is None:
            return None
        legal = None if self._done else self.decoder.legal
        image = self.viewer.picture(self.problem, self.grid, self.sub_placement, legal)
        if self.render_mode == "rgb_array":
            return image
        self.viewer.show(image, f"MacroPlacement: {self.netlist.name}")
        return None

    def close(self) -> None:
        """Closes the matplotlib window, if any."""
        self.viewer.close()
