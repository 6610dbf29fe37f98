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
from placement_env.designs import load_design
from placement_env.grid import Grid
from placement_env.incremental import (
    hpwl_delta,
    lookahead_mask,
    position_mask,
    snapped_position_mask,
    wire_mask,
)
from placement_env.maps import density_map, spread_rectangles
from placement_env.wirelength import hpwl

#: Cost added per unit of unplaced macro-area fraction when an episode ends early (dead end or
#: illegal action). With the fraction in [0, 1] the penalty is at most ``DEAD_END_PENALTY``.
DEAD_END_PENALTY = 1.0

REWARDS = ("hpwl", "proxy", "chip")
SCHEDULES = ("sparse", "dense")
SOFT_MACRO_MODES = ("force_directed", "as_shipped")

#: Default weights of the ``"chip"`` cost: normalised HPWL, -WNS / clock period, and the
#: bounding-box area of the hard macros / die area.
CHIP_WEIGHTS = {"w_wl": 1.0, "w_wns": 1.0, "w_area": 0.5}
ORDERS = ("largest_first", "index")

#: Columns of ``macro_features`` (and the first ones of ``current_macro``).
MACRO_FEATURES = ("width", "height", "placed", "x", "y")
CURRENT_FEATURES = ("width", "height", "area", "progress")

_COLOURS = {
    "background": (255, 255, 255),
    "fixed": (120, 120, 120),
    "macro": (52, 101, 164),
    "legal": (200, 235, 200),
    "port": (204, 0, 0),
}


def _macro_graph(netlist: Netlist, macros: np.ndarray, max_edges: int | None) -> dict:
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


def _grid_shape(grid: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(grid, int | np.integer):
        rows = cols = int(grid)
    else:
        shape = tuple(int(v) for v in grid)
        if len(shape) != 2:
            raise ValueError(f"grid must be an int or a (rows, cols) pair, got {grid!r}")
        rows, cols = shape
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
    and all True once it has ended (see :meth:`action_masks`).

    ## Observation Space

    A flat ``Dict`` of ``Box`` es (all float32), with ``n`` the number of movable hard macros:

    * ``"position_mask"`` ``(rows, cols)`` in {0, 1}: 1 where the current macro may go.
    * ``"wire_mask"`` ``(rows, cols)`` in [0, 1]: the weighted HPWL increase of placing the current
      macro at each cell (:func:`~placement_env.incremental.wire_mask`), min-max normalised over
      the whole grid, ``(w - w.min()) / (w.max() - w.min())``; all zeros when it is constant.
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

    Every mode keeps the invariant **episode return == -(final cost)**, where the final cost is
    reported in ``info["cost"]`` at the end.

    * ``"hpwl"`` (dense): the cost is the net-weighted HPWL
      (:func:`~placement_env.wirelength.hpwl`) of the env's placement -- pins of macros, fixed
      blocks and ports, nets restricted to placed owners -- divided by the constant
      ``hpwl_scale = (canvas width + canvas height) x (sum of net weights)``, so that it lies in
      about [0, 1]. Each step's reward is minus the increase of that cost; the first step also
      carries the HPWL of nets among the fixed nodes alone, and the last step absorbs the rounding
      difference with an exact recomputation.
    * ``"proxy"``: the Circuit Training proxy cost (:func:`~placement_env.proxy_cost.proxy_cost`)
      of :meth:`final_placement` with the design's ``.plc`` settings: hard macros where the agent
      put them, the movable soft macros placed afterwards by the force-directed step
      :func:`~placement_env.soft_macros.place_soft_macros` (as Circuit Training does; with
      ``soft_macros="as_shipped"`` they keep the ``.plc`` positions instead), standard cells at
      the design's positions. Only designs with ``.plc`` settings support it.
    * ``"chip"``: for designs with timing arcs (``netlist.timing``), the cost of
      :meth:`final_placement` is ``w_wl x HPWL / hpwl_scale + w_wns x (-WNS / clock period) +
      w_area x (bounding-box area of the placed hard macros / die area)``, the WNS (<= 0) from
      :func:`~placement_env.timing.analyse_timing` with ``wire_model``; unplaced macros (early
      end) sit at the design's positions (canvas centre when it has none). ``info`` adds ``chip``
      (the weighted sum), ``chip_wirelength``, ``chip_wns`` (-WNS / period), ``chip_wns_ns``,
      ``chip_area`` and ``chip_fmax_mhz``.

    ``reward_schedule`` sets when ``"proxy"`` and ``"chip"`` pay (``"hpwl"`` is always dense):

    * ``"sparse"`` (default): zero until the last step, then minus the final cost;
    * ``"dense"``: potential-based shaping with the ``"hpwl"`` cost as potential ``phi`` (the
      normalised HPWL of the partial placement, unplaced macros, soft macros and standard cells
      excluded): step ``t`` pays ``phi(t-1) - phi(t)`` and the last step ``phi(T-1) - cost``, so
      the return is still exactly ``-cost``; the expensive final cost is computed once.

    An early end adds ``dead_end_penalty`` (default ``DEAD_END_PENALTY``) ``x (unplaced macro area
    / total macro area)`` to the cost (``info["penalty"]``); raise it where skipping small macros
    would otherwise pay (the penalty must outweigh what their nets would add). In ``"proxy"`` and
    ``"chip"`` modes the unplaced macros are then scored at the design's positions.

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
    * ``reward``: ``"hpwl"`` (default), ``"proxy"`` or ``"chip"``.
    * ``render_mode``: ``None``, ``"rgb_array"`` (numpy, an ``(H, W, 3)`` uint8 picture) or
      ``"human"`` (matplotlib window).
    * ``reward_schedule`` (keyword): ``"sparse"`` (default) or ``"dense"``, for ``"proxy"`` and
      ``"chip"`` (ignored by ``"hpwl"``, which is always dense).
    * ``soft_macros`` (keyword): ``"force_directed"`` (default: soft macros placed by
      :func:`~placement_env.soft_macros.place_soft_macros` from a pile at the canvas centre, seed
      0) or ``"as_shipped"`` (the design's positions) in :meth:`final_placement`.
    * ``w_wl``, ``w_wns``, ``w_area`` (keywords, >= 0): weights of the ``"chip"`` cost, default
      1.0, 1.0 and 0.5 (:data:`CHIP_WEIGHTS`).
    * ``wire_model`` (keyword): the :class:`~netlists.wires.WireModel` of the ``"chip"``
      timing, default :data:`netlists.wires.NANGATE45`; for the accel chips use
      ``accel.technology("28nm").wire_model()`` (what ``placement_env/TPUv1-v0`` does).
    * ``graph_observation`` (keyword, default False): add the padded macro graph to the
      observation; ``max_edges`` (keyword) pads or truncates it to a fixed size, so that designs
      of one family share an observation space.
    * ``dead_end_penalty`` (keyword, >= 0): see Rewards.
    * ``snap`` (keyword, default False): a cell is legal when the macro fits *anywhere* inside it
      (:func:`~placement_env.incremental.snapped_position_mask`), and the macro goes to the legal
      centre nearest the cell centre -- abutting a neighbour or the die edge where the centre
      itself overlaps. Needed for dense floor plans such as TPUv1-v0, where no centre-snapped
      grid packs the blocks. The ``"hpwl"`` reward then uses the exact HPWL increase at that
      point (the wire mask observation stays at cell centres).
    * ``ports`` (keyword, default True): ``False`` leaves the ports out of the env, so that
      nets count only their macro (and fixed-block) pins: on designs without fixed blocks the
      ``"hpwl"`` cost of a complete placement is then protocol MH's macro HPWL
      (:func:`~placement_env.wirelength.macro_hpwl`) over ``hpwl_scale``.
    * ``lookahead`` (keyword, default False): keep only the cells after which every later macro
      still has a legal cell (:func:`~placement_env.incremental.lookahead_mask`; checked one
      macro at a time, so dead ends become rarer, not impossible). When no cell passes, all
      legal cells stay allowed. Not combinable with ``snap``.

    Raises at construction: :class:`netlists.UnknownDesignError` for an unknown name,
    ``ValueError`` for an unknown ``reward``/``reward_schedule``/``soft_macros``/``order``/
    ``render_mode``, a negative weight or penalty, ``snap`` with ``lookahead``, a ``"proxy"``
    reward on a design without ``.plc`` settings, a ``"chip"`` reward on a design without timing
    arcs, a design without movable hard macros, or a grid on which some macro has no legal cell
    even on the starting canvas.

    ## Version History

    * v0: initial version.
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 30}

    def __init__(
        self,
        netlist: str | Path | Design | Netlist = "n10",
        grid: int | Sequence[int] = 128,
        order: str | Sequence[int] = "largest_first",
        reward: str = "hpwl",
        render_mode: str | None = None,
        *,
        reward_schedule: str = "sparse",
        soft_macros: str = "force_directed",
        w_wl: float = CHIP_WEIGHTS["w_wl"],
        w_wns: float = CHIP_WEIGHTS["w_wns"],
        w_area: float = CHIP_WEIGHTS["w_area"],
        wire_model: Any = None,
        graph_observation: bool = False,
        max_edges: int | None = None,
        dead_end_penalty: float = DEAD_END_PENALTY,
        lookahead: bool = False,
        snap: bool = False,
        ports: bool = True,
    ) -> None:
        if lookahead and snap:
            raise ValueError(
                "lookahead reasons about cell centres; it cannot be combined with snap=True"
            )
        if not np.isfinite(dead_end_penalty) or dead_end_penalty < 0:
            raise ValueError(f"dead_end_penalty must be finite and >= 0, got {dead_end_penalty!r}")
        self.dead_end_penalty = float(dead_end_penalty)
        if reward not in REWARDS:
            raise ValueError(f"unknown reward {reward!r}; choose one of {REWARDS}")
        if reward_schedule not in SCHEDULES:
            raise ValueError(
                f"unknown reward_schedule {reward_schedule!r}; choose one of {SCHEDULES}"
            )
        if soft_macros not in SOFT_MACRO_MODES:
            raise ValueError(
                f"unknown soft_macros {soft_macros!r}; choose one of {SOFT_MACRO_MODES}"
            )
        for name, value in (("w_wl", w_wl), ("w_wns", w_wns), ("w_area", w_area)):
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite weight >= 0, got {value!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"unknown render_mode {render_mode!r}; choose None or one of "
                f"{self.metadata['render_modes']}"
            )
        self.design = load_design(netlist)
        self.netlist = self.design.netlist
        if reward == "proxy" and self.design.plc is None:
            raise ValueError(
                f"reward='proxy' needs Circuit Training .plc settings, which design "
                f"{self.netlist.name!r} lacks; use reward='hpwl' or a design with a .plc file"
            )
        if reward == "chip" and self.netlist.timing is None:
            raise ValueError(
                f"reward='chip' needs timing arcs, which design {self.netlist.name!r} lacks "
                "(netlist.timing is None); use reward='hpwl' or 'proxy', or a design with timing "
                "arcs such as accel.build_chip(accel.TPU_V1)"
            )
        if wire_model is None:
            from netlists.wires import NANGATE45

            wire_model = NANGATE45
        self.reward_mode = reward
        self.reward_schedule = "dense" if reward == "hpwl" else reward_schedule
        self.soft_macros = soft_macros
        self.chip_weights = {"w_wl": float(w_wl), "w_wns": float(w_wns), "w_area": float(w_area)}
        self.wire_model = wire_model
        self.render_mode = render_mode
        rows, cols = _grid_shape(grid)
        nl = self.netlist
        self.grid = Grid.over(nl.canvas, rows, cols)
        self._xs, self._ys = self.grid.cell_centres()
        self.macros = self._macro_order(order)
        n = len(self.macros)

        # The env's starting placement: ports (unless ports=False) and fixed nodes as in the
        # design, nothing else.
        design_placement = self.design.placement
        is_port = nl.node_kinds == int(NodeKind.PORT)
        context = (nl.node_fixed | is_port) if ports else (nl.node_fixed & ~is_port)
        keep = design_placement.placed & context
        keep[self.macros] = False
        self._start = Placement(design_placement.positions, design_placement.orientations, keep)
        # The kernels run on the sub-netlist of the nodes the env ever places (macros, ports,
        # fixed blocks): same HPWL, far fewer nodes for designs with standard cells.
        self._keep = np.union1d(np.flatnonzero(keep), self.macros)
        self._sub = nl.restricted_to(self._keep)
        self._local = np.searchsorted(self._keep, self.macros)
        self._sub_start = Placement(
            self._start.positions[self._keep],
            self._start.orientations[self._keep],
            self._start.placed[self._keep],
        )
        canvas = nl.canvas
        self._canvas_wh = np.array([canvas.width, canvas.height])
        self._canvas_xy = np.array([canvas.x_min, canvas.y_min])
        sizes = nl.node_sizes[self.macros]
        foot = self._start.footprints(nl, self.macros)
        self._footprints = foot
        self._areas = sizes[:, 0] * sizes[:, 1]
        self._total_area = float(self._areas.sum()) or 1.0
        self.hpwl_scale = float(canvas.width + canvas.height) * max(
            float(nl.net_weights.sum()), 1.0
        )
        self._static_features = np.zeros((n, len(MACRO_FEATURES)), dtype=np.float32)
        self._static_features[:, :2] = foot / self._canvas_wh
        self.lookahead = bool(lookahead)
        self.snap = bool(snap)
        self._snapped: np.ndarray | None = None
        self._check_grid_fits()
        self._pending = self._pending_footprints() if self.lookahead else None

        self.action_space = spaces.Discrete(rows * cols)
        grid_box = spaces.Box(0.0, 1.0, shape=(rows, cols), dtype=np.float32)
        self._graph = _macro_graph(nl, self.macros, max_edges) if graph_observation else None
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
        self._start_density = density_map(
            self._sub, self._sub_start, self.grid, kinds=(NodeKind.HARD_MACRO,)
        )
        self._start_hpwl = hpwl(self._sub, self._sub_start)
        self._figure = None
        self._reset_state()

    # -- construction helpers ----------------------------------------------------------------

    def _macro_order(self, order: str | Sequence[int]) -> np.ndarray:
        nl = self.netlist
        movable = np.flatnonzero((nl.node_kinds == int(NodeKind.HARD_MACRO)) & ~nl.node_fixed)
        if not len(movable):
            raise ValueError(f"design {nl.name!r} has no movable hard macro to place")
        if isinstance(order, str):
            if order == "largest_first":
                area = nl.node_sizes[movable].prod(axis=1)
                return movable[np.argsort(-area, kind="stable")]
            if order == "index":
                return movable
            raise ValueError(f"unknown order {order!r}; choose one of {ORDERS} or a sequence")
        given = np.asarray(order, dtype=np.int64)
        if given.ndim != 1 or sorted(given.tolist()) != movable.tolist():
            raise ValueError(
                "an explicit order must list every movable hard-macro node index exactly once "
                f"({len(movable)} nodes)"
            )
        return given

    def _check_grid_fits(self) -> None:
        for i, node in enumerate(self.macros):
            local = int(self._local[i])
            if self.snap:
                fits = snapped_position_mask(self._sub, self._sub_start, local, self.grid)[0]
            else:
                fits = position_mask(self._sub, self._sub_start, local, self.grid)
            if not fits.any():
                w, h = self._footprints[i]
                raise ValueError(
                    f"grid {self.grid.rows} x {self.grid.cols} has no legal cell for macro "
                    f"{self.netlist.node_names[node]!r} ({w:g} x {h:g}) on the "
                    f"{self.netlist.canvas.width:g} x {self.netlist.canvas.height:g} canvas "
                    "(no cell centre keeps it inside the die, clear of fixed macros); use a "
                    "finer grid"
                )

    def _pending_footprints(self) -> list[np.ndarray]:
        """For each step, one sub-netlist node per distinct footprint among the later macros."""
        pending: list[np.ndarray] = []
        seen: dict[tuple[float, float], int] = {}
        for i in range(len(self.macros) - 1, -1, -1):
            pending.append(np.array(sorted(seen.values()), dtype=np.int64))
            # Later macros are placed later: keep the earliest of each footprint.
            seen[tuple(self._footprints[i])] = int(self._local[i])
        return pending[::-1]

    # -- state -------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self._placement = self._sub_start
        self._step = 0
        self._done = False
        self._hpwl = self._start_hpwl
        self._charged = 0.0
        self._density = self._start_density.copy()
        self._features = self._static_features.copy()
        self._last_info: dict[str, Any] = {}
        self._final: tuple[int, Placement] | None = None
        self._compute_masks()

    def _compute_masks(self) -> None:
        node = int(self._local[self._step])
        if self.snap:
            self._pmask, self._snapped = snapped_position_mask(
                self._sub, self._placement, node, self.grid
            )
        else:
            self._pmask = position_mask(self._sub, self._placement, node, self.grid)
        if self._pending is not None and len(self._pending[self._step]):
            safe = lookahead_mask(
                self._sub, self._placement, node, self.grid, self._pending[self._step], self._pmask
            )
            if safe.any():  # else no cell keeps every later macro placeable: allow them all
                self._pmask = safe
        self._wmask = wire_mask(self._sub, self._placement, node, self.grid)

    def action_masks(self) -> np.ndarray:
        """(rows * cols,) np.bool_: the legal cells for the current macro.

        Once the episode has ended it is all True: no step is legal then, but vector envs with
        next-step autoreset (``gymnasium.vector``) sample one action that the reset ignores, and an
        all-False mask would break masked sampling.
        """
        if self._done:
            return np.ones(self.grid.num_cells, dtype=np.bool_)
        return self._pmask.reshape(-1).copy()

    @property
    def current_macro(self) -> int | None:
        """Node index of the macro to place next, or None once the episode has ended."""
        return None if self._done else int(self.macros[self._step])

    # -- observation -------------------------------------------------------------------------

    def _observation(self) -> dict[str, np.ndarray]:
        rows, cols = self.grid.rows, self.grid.cols
        if self._done:
            pmask = np.zeros((rows, cols), dtype=np.float32)
            wmask = np.zeros((rows, cols), dtype=np.float32)
            current = np.zeros(len(CURRENT_FEATURES), dtype=np.float32)
        else:
            pmask = self._pmask.astype(np.float32)
            w = self._wmask
            low, high = w.min(), w.max()
            if high > low:
                wmask = ((w - low) / (high - low)).astype(np.float32)
            else:
                wmask = np.zeros((rows, cols), dtype=np.float32)
            i = self._step
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
        return self._observation(), {"invalid_action": False, "dead_end": False}

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Places the current macro at cell ``action``; see the class docstring."""
        if self._done:
            raise RuntimeError("the episode has ended; call reset() before step()")
        cell = int(action)
        info: dict[str, Any] = {"invalid_action": False, "dead_end": False}
        if not 0 <= cell < self.grid.num_cells or not self._pmask.flat[cell]:
            info["invalid_action"] = True
            return self._finish(info)
        row, col = divmod(cell, self.grid.cols)
        i = self._step
        node = int(self._local[i])
        if self.snap:  # the legal centre nearest the cell's, and its exact HPWL increase
            centre = self._snapped[row, col].copy()
            self._hpwl += hpwl_delta(self._sub, self._placement, [node], centre[None, :])
        else:
            centre = np.array([self._xs[col], self._ys[row]])
            self._hpwl += float(self._wmask[row, col])
        self._placement = self._placement.with_positions([node], centre[None, :])
        half = self._footprints[i] / 2
        self._density += (
            spread_rectangles(
                self.grid, (centre - half)[None, :], (centre + half)[None, :], np.ones(1)
            )
            / self.grid.cell_area
        )
        self._features[i, 2] = 1.0
        self._features[i, 3:5] = np.clip((centre - self._canvas_xy) / self._canvas_wh, 0.0, 1.0)
        self._step += 1
        if self._step == len(self.macros):
            return self._finish(info)
        self._compute_masks()
        if not self._pmask.any():
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
        unplaced = float(self._areas[self._step :].sum()) / self._total_area
        penalty = self.dead_end_penalty * unplaced
        exact = hpwl(self._sub, self._placement)
        info.update(
            hpwl=exact,
            hpwl_cost=exact / self.hpwl_scale,
            penalty=penalty,
            unplaced_area_fraction=unplaced,
            n_placed=self._step,
        )
        self._final = None
        if self.reward_mode == "proxy":
            from placement_env.proxy_cost import proxy_cost

            parts = proxy_cost(self.netlist, self.final_placement(), self.design.plc)
            info.update(
                proxy=parts.proxy,
                proxy_wirelength=parts.wirelength,
                proxy_density=parts.density,
                proxy_congestion=parts.congestion,
            )
            cost = parts.proxy + penalty
        elif self.reward_mode == "chip":
            parts = self.chip_cost(self.final_placement())
            info.update(parts)
            cost = parts["chip"] + penalty
        else:
            cost = exact / self.hpwl_scale + penalty
        info["cost"] = cost
        reward = self._charged - cost
        self._charged = cost
        self._last_info = info
        if self.render_mode == "human":
            self.render()
        return self._observation(), float(reward), True, False, info

    def final_placement(self) -> Placement:
        """The design's placement with the hard macros where the agent put them.

        Standard cells and macros not placed (early end) keep the design's positions. Movable
        soft macros keep them too with ``soft_macros="as_shipped"``; with ``"force_directed"``
        (default) they start piled at the canvas centre and are placed around the hard macros
        by :func:`~placement_env.soft_macros.place_soft_macros` (seed 0, so the result depends on
        the hard macros only). This is what the ``"proxy"`` and ``"chip"`` rewards score.
        """
        key = self._step
        if self._final is not None and self._final[0] == key:
            return self._final[1]
        done = slice(0, self._step)
        result = self.design.placement
        if self._step:
            result = result.with_positions(
                self.macros[done], self._placement.positions[self._local[done]]
            )
        nl = self.netlist
        soft = np.flatnonzero((nl.node_kinds == int(NodeKind.SOFT_MACRO)) & ~nl.node_fixed)
        if self.soft_macros == "force_directed" and len(soft):
            from placement_env.soft_macros import place_soft_macros

            canvas = nl.canvas
            centre = [canvas.x_min + canvas.width / 2, canvas.y_min + canvas.height / 2]
            start = result.with_positions(soft, np.tile(centre, (len(soft), 1)))
            result = place_soft_macros(nl, start, rng=0)
        self._final = (key, result)
        return result

    def chip_cost(self, placement: Placement) -> dict[str, float]:
        """The ``"chip"`` cost of ``placement`` and its parts (see the class docstring)."""
        from placement_env.timing import analyse_timing

        nl = self.netlist
        report = analyse_timing(nl, placement, self.wire_model)
        wl = hpwl(nl, placement) / self.hpwl_scale
        wns = -report.wns_ns / report.period_ns
        hard = np.flatnonzero(placement.placed & (nl.node_kinds == int(NodeKind.HARD_MACRO)))
        area = 0.0
        if len(hard):
            half = placement.footprints(nl, hard) / 2
            low = (placement.positions[hard] - half).min(axis=0)
            high = (placement.positions[hard] + half).max(axis=0)
            area = float(np.prod(high - low)) / float(nl.canvas.width * nl.canvas.height)
        w = self.chip_weights
        return {
            "chip": w["w_wl"] * wl + w["w_wns"] * wns + w["w_area"] * area,
            "chip_wirelength": wl,
            "chip_wns_ns": report.wns_ns,
            "chip_wns": wns,
            "chip_area": area,
            "chip_fmax_mhz": report.fmax_mhz,
        }

    @property
    def placement(self) -> Placement:
        """The env's placement of the whole netlist: placed macros, ports and fixed blocks only."""
        done = slice(0, self._step)
        if not self._step:
            return self._start
        return self._start.with_positions(
            self.macros[done], self._placement.positions[self._local[done]]
        )

    # -- rendering ---------------------------------------------------------------------------

    def _picture(self, pixels: int = 256) -> np.ndarray:
        """(H, W, 3) uint8 picture: legal cells, fixed blocks, placed macros and ports."""
        nl = self._sub
        scale = pixels / max(self._canvas_wh)
        height = max(int(round(self._canvas_wh[1] * scale)), 1)
        width = max(int(round(self._canvas_wh[0] * scale)), 1)
        image = np.empty((height, width, 3), dtype=np.uint8)
        image[:] = _COLOURS["background"]
        if not self._done:
            rows = np.minimum(
                (np.arange(height)[::-1] + 0.5) * self.grid.rows // height, self.grid.rows - 1
            ).astype(np.int64)
            cols = np.minimum(
                (np.arange(width) + 0.5) * self.grid.cols // width, self.grid.cols - 1
            ).astype(np.int64)
            image[self._pmask[rows[:, None], cols[None, :]]] = _COLOURS["legal"]
        placement = self._placement
        blocks = np.flatnonzero(placement.placed & (nl.node_kinds != int(NodeKind.PORT)))
        is_macro = np.isin(blocks, self._local)
        foot = placement.footprints(nl, blocks)
        low = (placement.positions[blocks] - foot / 2 - self._canvas_xy) * scale
        high = (placement.positions[blocks] + foot / 2 - self._canvas_xy) * scale
        for (x0, y0), (x1, y1), macro in zip(low, high, is_macro, strict=True):
            c0, c1 = int(max(np.floor(x0), 0)), int(min(np.ceil(x1), width))
            r0, r1 = int(max(height - np.ceil(y1), 0)), int(min(height - np.floor(y0), height))
            if c1 > c0 and r1 > r0:
                image[r0:r1, c0:c1] = _COLOURS["macro" if macro else "fixed"]
                if macro and r1 - r0 > 2 and c1 - c0 > 2:  # outline so abutting macros show
                    image[r0, c0:c1] = image[r1 - 1, c0:c1] = 255
                    image[r0:r1, c0] = image[r0:r1, c1 - 1] = 255
        ports = np.flatnonzero(placement.placed & (nl.node_kinds == int(NodeKind.PORT)))
        if len(ports):
            xy = (placement.positions[ports] - self._canvas_xy) * scale
            px = np.clip(xy[:, 0].astype(np.int64), 0, width - 1)
            py = np.clip(height - 1 - xy[:, 1].astype(np.int64), 0, height - 1)
            image[py, px] = _COLOURS["port"]
        return image

    def render(self) -> np.ndarray | None:
        """``"rgb_array"``: the picture; ``"human"``: draws it with matplotlib; else None."""
        if self.render_mode == "rgb_array":
            return self._picture()
        if self.render_mode == "human":
            import matplotlib.pyplot as plt

            if self._figure is None:
                plt.ion()
                self._figure = plt.figure(f"MacroPlacement: {self.netlist.name}")
                self._axes_image = self._figure.gca().imshow(self._picture())
                self._figure.gca().set_axis_off()
            else:
                self._axes_image.set_data(self._picture())
            self._figure.canvas.draw_idle()
            plt.pause(1.0 / self.metadata["render_fps"])
        return None

    def close(self) -> None:
        """Closes the matplotlib window, if any."""
        if self._figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self._figure)
            self._figure = None
