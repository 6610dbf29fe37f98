"""The Circuit Training proxy cost, kept up to date under moves of a few blocks.

:func:`placement_env.proxy_cost.proxy_cost` rescores every net (about 2 ms on the modern designs).
A placer that tries a million moves needs the cost of *one* move: :class:`IncrementalProxy` keeps
the parts of the cost that are sums over blocks or nets and updates only what a move touches:

* the weighted HPWL of every net (the nets of the moved blocks are rescored);
* the raw routing demand maps (the moved nets' demand is taken out with the old pin gcells and put
  back with the new ones, by the same kernel as the full cost: demand is additive over nets);
* the area covered in each gcell (density) and the hard macros' routing allocation (both
  additive over blocks).

What is not additive — smoothing, normalising, the top-10% and top-5% means — is recomputed on
the small gcell grid after every move. :meth:`IncrementalProxy.move` applies a move and returns
the new cost; :meth:`IncrementalProxy.undo` takes the last move back. Results agree with the full
evaluator to rounding (the tests compare after thousands of random moves);
:meth:`IncrementalProxy.resync` recomputes everything from scratch to shed accumulated rounding.
"""

from __future__ import annotations

import numpy as np

from netlists import Netlist, NodeKind, Placement, PlcSettings
from netlists.types import ORIENTATION_MATRICES
from placement_env import proxy_cost as pc
from placement_env.proxy_cost import DEFAULT_WEIGHTS, ProxyCost, ProxyWeights


class IncrementalProxy:
    """The proxy cost of a placement under a sequence of moves.

    Args:
        netlist: The design.
        placement: The starting placement (copied; every node's position is used, as in
            :func:`~placement_env.proxy_cost.proxy_cost`).
        settings: The ``.plc`` header (grid, routes per micron, macro allocation, smoothing).
        weights: Weights of the three parts.
    """

    def __init__(
        self,
        netlist: Netlist,
        placement: Placement,
        settings: PlcSettings,
        weights: ProxyWeights = DEFAULT_WEIGHTS,
    ) -> None:
        placement.check_matches(netlist)
        self.netlist = netlist
        self.settings = settings
        self.weights = weights
        self.grid = pc._grid(netlist, settings)
        self.tables = pc._tables(netlist)
        h_routes, v_routes, self._h_rate, self._v_rate, smooth = pc._routes(settings)
        self._h_supply = self.grid.cell_height * h_routes
        self._v_supply = self.grid.cell_width * v_routes
        self._smooth_v = pc._smoothing_matrix(self.grid.cols, smooth) if smooth > 0 else None
        self._smooth_h = pc._smoothing_matrix(self.grid.rows, smooth).T if smooth > 0 else None
        kinds = netlist.node_kinds
        self._is_macro = (kinds == NodeKind.HARD_MACRO) | (kinds == NodeKind.SOFT_MACRO)
        self._is_hard = kinds == NodeKind.HARD_MACRO
        order = np.argsort(self.tables.pin_nodes, kind="stable")
        self._node_pins = order
        self._node_pin_starts = np.searchsorted(
            self.tables.pin_nodes[order], np.arange(netlist.num_nodes + 1)
        )
        self._wl_norm = (self.grid.width + self.grid.height) * self.tables.net_count
        self._kernel = pc._numba_kernel()
        if self._kernel is None:
            raise ImportError("IncrementalProxy needs numba (a dependency of this project)")
        self._subsets: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._undo: tuple | None = None
        self.positions = placement.positions.astype(np.float64).copy()
        self.orientations = placement.orientations.copy()
        self.resync()

    # -- full recomputation ---------------------------------------------------------------------

    def resync(self) -> float:
        """Recomputes every part from scratch; returns the proxy."""
        placement = self.placement()
        t = self.tables
        x, y = pc._pin_xy(self.netlist, placement, t)
        self._x, self._y = x.copy(), y.copy()
        row, col = self.grid.cell_of(self._x, self._y)
        self._cell = (row * self.grid.cols + col).astype(np.int64)
        self._net_wl = np.zeros(self.netlist.num_nets)
        for nets, pins in t.buckets:
            px, py = self._x[pins], self._y[pins]
            span = (px.max(axis=0) - px.min(axis=0)) + (py.max(axis=0) - py.min(axis=0))
            self._net_wl[nets] = t.wl_weight[nets] * span
        self._wl_sum = float(self._net_wl.sum())
        self._h_raw, self._v_raw = pc._net_demand(
            t, self.grid, self._x, self._y, self.netlist.net_pins, self.netlist.net_starts
        )
        self._area = pc.covered_area(self.grid, *pc._boxes(self.netlist, placement, t.macros))
        self._h_alloc, self._v_alloc = pc._macro_allocation(self.netlist, placement, t, self.grid)
        self._undo = None
        self.cost = self._evaluate()
        return self.cost.proxy

    def placement(self) -> Placement:
        """The current placement (every node marked placed)."""
        return Placement(
            self.positions.copy(),
            self.orientations.copy(),
            np.ones(self.netlist.num_nodes, dtype=bool),
        )

    # -- moves ----------------------------------------------------------------------------------

    def _nets_of(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nets touching ``nodes`` as a sub-CSR: (nets, starts, pins)."""
        if len(nodes) == 1 and int(nodes[0]) in self._subsets:
            return self._subsets[int(nodes[0])]
        arrays = self.netlist.arrays
        parts = [
            arrays.node_nets[arrays.node_net_starts[n] : arrays.node_net_starts[n + 1]]
            for n in nodes
        ]
        nets = np.unique(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, np.int64)
        starts_all = self.netlist.net_starts
        lens = starts_all[nets + 1] - starts_all[nets]
        starts = np.zeros(len(nets) + 1, dtype=np.int64)
        np.cumsum(lens, out=starts[1:])
        index = np.repeat(starts_all[nets] - starts[:-1], lens) + np.arange(starts[-1])
        pins = self.netlist.net_pins[index].astype(np.int64)
        subset = (nets, starts, pins)
        if len(nodes) == 1:
            self._subsets[int(nodes[0])] = subset
        return subset

    def connected_pin_mean(self, node: int) -> np.ndarray | None:
        """Mean ``(x, y)`` of the pins of other blocks on ``node``'s nets (None if it has none)."""
        _, _, pins = self._nets_of(np.array([node]))
        others = pins[self.tables.pin_nodes[pins] != node]
        if not len(others):
            return None
        return np.array([self._x[others].mean(), self._y[others].mean()])

    def _route(self, nets, starts, pins, sign: float, h: np.ndarray, v: np.ndarray) -> None:
        weight = sign * self.tables.route_weight[nets]
        source = self.tables.source_pin[nets]
        self._kernel(self._cell, starts, pins, source, weight, self.grid.cols, h, v)

    def _node_boxes(self, nodes: np.ndarray, orientations: np.ndarray, positions: np.ndarray):
        sizes = self.netlist.node_sizes[nodes]
        swap = ORIENTATION_MATRICES[orientations.astype(np.intp), 0, 0] == 0
        w, h = np.where(swap[:, None], sizes[:, ::-1], sizes).T
        x, y = positions[:, 0], positions[:, 1]
        return x - w / 2, x + w / 2, y - h / 2, y + h / 2

    def _blocks(self, nodes: np.ndarray, sign: float) -> None:
        """Adds (sign +1) or removes (-1) the area and allocation of ``nodes`` at their state."""
        macros = nodes[self._is_macro[nodes]]
        if len(macros):
            boxes = self._node_boxes(macros, self.orientations[macros], self.positions[macros])
            self._area += sign * pc.covered_area(self.grid, *boxes)
        hard = nodes[self._is_hard[nodes]]
        if len(hard):
            boxes = self._node_boxes(hard, self.orientations[hard], self.positions[hard])
            h_alloc, v_alloc = pc._allocation_of_boxes(self.grid, *boxes)
            self._h_alloc += sign * h_alloc
            self._v_alloc += sign * v_alloc

    def move(
        self,
        nodes: np.ndarray | list[int],
        positions: np.ndarray,
        orientations: np.ndarray | list[int] | None = None,
    ) -> float:
        """Moves ``nodes`` to the centres ``positions`` (and ``orientations``); returns the proxy.

        The move can be taken back with :meth:`undo` until the next move.
        """
        nodes = np.asarray(nodes, dtype=np.int64)
        positions = np.asarray(positions, dtype=np.float64).reshape(len(nodes), 2)
        nets, starts, pins = self._nets_of(nodes)
        bounds = self._node_pin_starts
        node_pins = np.concatenate([self._node_pins[bounds[n] : bounds[n + 1]] for n in nodes])
        self._undo = (
            nodes,
            self.positions[nodes].copy(),
            self.orientations[nodes].copy(),
            node_pins,
            self._x[node_pins].copy(),
            self._y[node_pins].copy(),
            self._cell[node_pins].copy(),
            nets,
            self._net_wl[nets].copy(),
            self._wl_sum,
            self._h_raw.copy(),
            self._v_raw.copy(),
            self._area.copy(),
            self._h_alloc.copy(),
            self._v_alloc.copy(),
            self.cost,
        )
        self._route(nets, starts, pins, -1.0, self._h_raw, self._v_raw)
        self._blocks(nodes, -1.0)
        self.positions[nodes] = positions
        if orientations is not None:
            self.orientations[nodes] = np.asarray(orientations, dtype=self.orientations.dtype)
        # New pin positions of the moved blocks.
        owners = self.tables.pin_nodes[node_pins]
        offsets = self.tables.pin_offsets[node_pins]
        rot = ORIENTATION_MATRICES[self.orientations[owners].astype(np.intp)].astype(np.float64)
        dx = rot[:, 0, 0] * offsets[:, 0] + rot[:, 0, 1] * offsets[:, 1]
        dy = rot[:, 1, 0] * offsets[:, 0] + rot[:, 1, 1] * offsets[:, 1]
        self._x[node_pins] = self.positions[owners, 0] + dx
        self._y[node_pins] = self.positions[owners, 1] + dy
        row, col = self.grid.cell_of(self._x[node_pins], self._y[node_pins])
        self._cell[node_pins] = row * self.grid.cols + col
        self._route(nets, starts, pins, 1.0, self._h_raw, self._v_raw)
        self._blocks(nodes, 1.0)
        if len(nets):
            px, py = self._x[pins], self._y[pins]
            first = starts[:-1]
            span = (np.maximum.reduceat(px, first) - np.minimum.reduceat(px, first)) + (
                np.maximum.reduceat(py, first) - np.minimum.reduceat(py, first)
            )
            new_wl = self.tables.wl_weight[nets] * span
            self._wl_sum += float(new_wl.sum() - self._net_wl[nets].sum())
            self._net_wl[nets] = new_wl
        self.cost = self._evaluate()
        return self.cost.proxy

    def undo(self) -> float:
        """Takes back the last :meth:`move`; returns the proxy before it."""
        if self._undo is None:
            raise RuntimeError("no move to undo")
        (nodes, pos, ori, node_pins, x, y, cell, nets, net_wl, wl_sum,
         h_raw, v_raw, area, h_alloc, v_alloc, cost) = self._undo  # fmt: skip
        self.positions[nodes] = pos
        self.orientations[nodes] = ori
        self._x[node_pins], self._y[node_pins], self._cell[node_pins] = x, y, cell
        self._net_wl[nets] = net_wl
        self._wl_sum = wl_sum
        self._h_raw, self._v_raw, self._area = h_raw, v_raw, area
        self._h_alloc, self._v_alloc = h_alloc, v_alloc
        self.cost = cost
        self._undo = None
        return cost.proxy

    # -- cost from the kept parts ---------------------------------------------------------------

    def congestion_maps(self) -> pc.CongestionMaps:
        """The current H and V congestion maps (see ``proxy_cost.routing_congestion_maps``)."""
        h_net = self._h_raw / self._h_supply
        v_net = self._v_raw / self._v_supply
        if self._smooth_v is not None:
            v_net = v_net @ self._smooth_v
            h_net = self._smooth_h @ h_net
        return pc.CongestionMaps(
            horizontal=h_net + (self._h_alloc * self._h_rate) / self._h_supply,
            vertical=v_net + (self._v_alloc * self._v_rate) / self._v_supply,
        )

    def density_map(self) -> np.ndarray:
        """The current (rows, cols) density map."""
        # Take-out-and-put-back leaves rounding residue where a cell is empty; the cost of grids
        # under 10 cells averages the non-empty cells, so residue must read as exactly empty.
        area = np.where(np.abs(self._area) < 1e-9 * self.grid.cell_area, 0.0, self._area)
        return area / self.grid.cell_area

    def _evaluate(self) -> ProxyCost:
        wirelength = self._wl_sum / self._wl_norm
        density = pc._density_cost(self.density_map())
        congestion = pc._congestion_cost(self.congestion_maps())
        w = self.weights
        proxy = w.wirelength * wirelength + w.density * density + w.congestion * congestion
        return ProxyCost(wirelength, density, congestion, proxy)
