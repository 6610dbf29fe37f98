"""Circuit Training proxy cost: the TILOS reference values, a naive golden model, hand cases.

The golden model below is a plain loop-by-loop restatement of the open evaluator's rules (TILOS
``plc_client_os.py`` with the challenge's clamped grid lookup). The vectorised implementation must
agree with it on random small designs, including pins and macros off the canvas, every
orientation, fractional and zero net weights and smoothing. The real designs must reproduce
``ct_reference_proxy.json`` to 1e-6.
"""

from __future__ import annotations

import json
import math
from functools import cache

import numpy as np
import pytest

from netlists.bundled import DATA_DIR
from netlists.formats.circuit_training import read_circuit_training, read_plc
from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import Canvas, NodeKind, Orientation, PlcSettings
from placement_env import proxy_cost as proxy_cost_module
from placement_env.grid import Grid
from placement_env.proxy_cost import (
    CongestionMaps,
    ProxyCost,
    ProxyWeights,
    congestion_cost,
    density_cost,
    density_map,
    proxy_cost,
    routing_congestion_maps,
    wirelength_cost,
)

BENCHMARKS = DATA_DIR  # the bundled copy of the staged benchmarks (same relative layout)
REFERENCE = BENCHMARKS / "ct_reference_proxy.json"
PARTS = ("wirelength", "density", "congestion", "proxy")


@pytest.fixture(params=["numpy", "numba"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with each net-routing backend (numba only where it is installed)."""
    if request.param == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(proxy_cost_module, "NET_ROUTING_BACKEND", request.param)
    return request.param


# -- golden model ---------------------------------------------------------------------------------

# Offset (dx, dy) of an unrotated macro mapped to orientation o, as the evaluator rotates pins.
_ROTATE = {
    "N": lambda dx, dy: (dx, dy),
    "FN": lambda dx, dy: (-dx, dy),
    "S": lambda dx, dy: (-dx, -dy),
    "FS": lambda dx, dy: (dx, -dy),
    "E": lambda dx, dy: (dy, -dx),
    "FE": lambda dx, dy: (-dy, -dx),
    "W": lambda dx, dy: (-dy, dx),
    "FW": lambda dx, dy: (dy, dx),
}


class Golden:
    """The evaluator's definitions, one gcell and one net at a time (slow, obviously right)."""

    def __init__(self, netlist: Netlist, placement: Placement, settings: PlcSettings) -> None:
        self.nl = netlist
        self.pl = placement
        self.width = settings.canvas_width
        self.height = settings.canvas_height
        self.cols = settings.grid_cols
        self.rows = settings.grid_rows
        self.gw = self.width / self.cols
        self.gh = self.height / self.rows
        self.hroutes = settings.routes_per_micron_h
        self.vroutes = settings.routes_per_micron_v
        self.halloc = settings.macro_routes_h
        self.valloc = settings.macro_routes_v
        self.smooth = math.floor(settings.smoothing)

    # geometry
    def cell(self, x: float, y: float) -> tuple[int, int]:
        row = math.floor(y / self.gh)
        col = math.floor(x / self.gw)
        return min(max(row, 0), self.rows - 1), min(max(col, 0), self.cols - 1)

    def kind(self, node: int) -> int:
        return int(self.nl.node_kinds[node])

    def orientation(self, node: int) -> str:
        return Orientation(int(self.pl.orientations[node])).name

    def pin_position(self, pin: int) -> tuple[float, float]:
        node = int(self.nl.pin_nodes[pin])
        x, y = (float(v) for v in self.pl.positions[node])
        if self.kind(node) == NodeKind.SOFT_MACRO:
            return x, y  # soft-macro pins sit at the centre whatever their offset
        dx, dy = _ROTATE[self.orientation(node)](*(float(v) for v in self.nl.pin_offsets[pin]))
        return x + dx, y + dy

    def box(self, node: int) -> tuple[float, float, float, float]:
        w, h = (float(v) for v in self.nl.node_sizes[node])
        if self.orientation(node) in ("E", "W", "FE", "FW"):
            w, h = h, w
        x, y = (float(v) for v in self.pl.positions[node])
        return x - w / 2, y - h / 2, x + w / 2, y + h / 2  # x_min, y_min, x_max, y_max

    def cell_box(self, r: int, c: int) -> tuple[float, float, float, float]:
        return c * self.gw, r * self.gh, (c + 1) * self.gw, (r + 1) * self.gh

    def visited_cells(self, box: tuple[float, float, float, float]):
        bl_row, bl_col = self.cell(box[0], box[1])
        ur_row, ur_col = self.cell(box[2], box[3])
        return bl_row, bl_col, ur_row, ur_col

    @staticmethod
    def overlap(a, b) -> tuple[float, float]:
        dx = min(a[2], b[2]) - max(a[0], b[0])
        dy = min(a[3], b[3]) - max(a[1], b[1])
        return dx, dy

    # nets
    def nets(self):
        """(pins, driver, weight) per net; port-driven nets weigh 1."""
        for j in range(self.nl.num_nets):
            pins = [int(p) for p in self.nl.net_pin_indices(j)]
            driver = int(self.nl.net_drivers[j])
            weight = float(self.nl.net_weights[j])
            if self.kind(int(self.nl.pin_nodes[driver])) == NodeKind.PORT:
                weight = 1.0
            yield pins, driver, weight

    def wirelength(self) -> float:
        total = 0.0
        count = 0.0
        for pins, _, weight in self.nets():
            points = [self.pin_position(p) for p in pins]
            xs = [p[0] for p in points]
            ys = [p[1] for p in points]
            total += weight * ((max(xs) - min(xs)) + (max(ys) - min(ys)))
            count += weight
        return total / ((self.width + self.height) * (count or 1.0))

    def density_map(self) -> np.ndarray:
        occupied = np.zeros((self.rows, self.cols))
        for node in range(self.nl.num_nodes):
            if self.kind(node) not in (NodeKind.HARD_MACRO, NodeKind.SOFT_MACRO):
                continue
            box = self.box(node)
            bl_row, bl_col, ur_row, ur_col = self.visited_cells(box)
            for r in range(bl_row, ur_row + 1):
                for c in range(bl_col, ur_col + 1):
                    dx, dy = self.overlap(self.cell_box(r, c), box)
                    if dx >= 0 and dy >= 0:
                        occupied[r, c] += dx * dy
        return occupied / (self.gw * self.gh)

    def density(self) -> float:
        cells = sorted((v for v in self.density_map().ravel() if v != 0.0), reverse=True)
        n = self.rows * self.cols
        if n < 10:
            return 0.5 * sum(cells) / len(cells) if cells else 0.0
        top = math.floor(n * 0.1)
        return 0.5 * sum(cells[:top]) / top

    def route(self) -> tuple[np.ndarray, np.ndarray]:
        h = np.zeros((self.rows, self.cols))
        v = np.zeros((self.rows, self.cols))

        def h_run(row, c_from, c_to, w):
            for c in range(c_from, c_to):
                h[row, c] += w

        def v_run(col, r_from, r_to, w):
            for r in range(r_from, r_to):
                v[r, col] += w

        def two_cells(src, dst, w):
            h_run(src[0], min(src[1], dst[1]), max(src[1], dst[1]), w)
            v_run(dst[1], min(src[0], dst[0]), max(src[0], dst[0]), w)

        for pins, driver, weight in self.nets():
            w = weight if weight > 1 else 1.0
            src = self.cell(*self.pin_position(driver))
            cells = {self.cell(*self.pin_position(p)) for p in pins} | {src}
            if len(cells) == 2 or len(cells) > 3:
                for dst in cells - {src}:
                    two_cells(src, dst, w)
            elif len(cells) == 3:
                (y1, x1), (y2, x2), (y3, x3) = sorted(cells, key=lambda rc: (rc[1], rc[0]))
                if x1 < x2 < x3 and min(y1, y3) < y2 < max(y1, y3):
                    h_run(y1, x1, x2, w)
                    h_run(y2, x2, x3, w)
                    v_run(x2, min(y1, y2), max(y1, y2), w)
                    v_run(x3, min(y2, y3), max(y2, y3), w)
                elif x2 == x3 and x1 < x2 and y1 < min(y2, y3):
                    h_run(y1, x1, x2, w)
                    v_run(x2, y1, max(y2, y3), w)
                elif y2 == y3:
                    h_run(y1, x1, x2, w)
                    h_run(y2, x2, x3, w)
                    v_run(x2, min(y1, y2), max(y1, y2), w)
                else:  # T: by row, trunk in the middle row
                    (r1, c1), (r2, c2), (r3, c3) = sorted(cells)
                    h_run(r2, min(c1, c2, c3), max(c1, c2, c3), w)
                    v_run(c1, min(r1, r2), max(r1, r2), w)
                    v_run(c3, min(r2, r3), max(r2, r3), w)
        return h, v

    def macro_allocation(self) -> tuple[np.ndarray, np.ndarray]:
        h = np.zeros((self.rows, self.cols))
        v = np.zeros((self.rows, self.cols))
        for node in range(self.nl.num_nodes):
            if self.kind(node) != NodeKind.HARD_MACRO:
                continue
            box = self.box(node)
            bl_row, bl_col, ur_row, ur_col = self.visited_cells(box)

            def dist(r, c, box=box):
                dx, dy = self.overlap(box, self.cell_box(r, c))
                return (dx, dy) if dx > 0 and dy > 0 else (0.0, 0.0)

            part_v = part_h = False
            for r in range(bl_row, ur_row + 1):
                for c in range(bl_col, ur_col + 1):
                    dx, dy = dist(r, c)
                    if ur_row != bl_row and r in (bl_row, ur_row) and abs(dy - self.gh) > 1e-5:
                        part_v = True
                    if ur_col != bl_col and c in (bl_col, ur_col) and abs(dx - self.gw) > 1e-5:
                        part_h = True
                    v[r, c] += dx * self.valloc
                    h[r, c] += dy * self.halloc
            if part_v:
                for c in range(bl_col, ur_col + 1):
                    v[ur_row, c] -= dist(ur_row, c)[0] * self.valloc
            if part_h:
                for r in range(bl_row, ur_row + 1):
                    h[r, ur_col] -= dist(r, ur_col)[1] * self.halloc
        return h, v

    def congestion_maps(self) -> tuple[np.ndarray, np.ndarray]:
        h_supply = self.gh * self.hroutes
        v_supply = self.gw * self.vroutes
        h_net, v_net = self.route()
        h_net, v_net = h_net / h_supply, v_net / v_supply
        k = self.smooth
        v_s = np.zeros_like(v_net)
        h_s = np.zeros_like(h_net)
        for r in range(self.rows):
            for c in range(self.cols):
                lo, hi = max(c - k, 0), min(c + k, self.cols - 1)
                for cc in range(lo, hi + 1):
                    v_s[r, cc] += v_net[r, c] / (hi - lo + 1)
                lo, hi = max(r - k, 0), min(r + k, self.rows - 1)
                for rr in range(lo, hi + 1):
                    h_s[rr, c] += h_net[r, c] / (hi - lo + 1)
        h_mac, v_mac = self.macro_allocation()
        return h_s + h_mac / h_supply, v_s + v_mac / v_supply

    def congestion(self) -> float:
        h, v = self.congestion_maps()
        values = sorted(list(v.ravel()) + list(h.ravel()), reverse=True)
        top = math.floor(len(values) * 0.05)
        return max(values) if top == 0 else sum(values[:top]) / top


# -- random designs -------------------------------------------------------------------------------


def random_design(seed: int) -> tuple[Netlist, Placement, PlcSettings]:
    """A small CT-like design with deliberately awkward geometry and weights."""
    rng = np.random.default_rng(seed)
    width = float(rng.uniform(50, 400))
    height = float(rng.uniform(50, 400))
    cols = int(rng.choice([1, 2, 3, 5, 7, 10, 16]))
    rows = int(rng.choice([1, 2, 3, 4, 8, 11]))
    gw, gh = width / cols, height / rows
    n_hard, n_soft, n_port = (int(v) for v in rng.integers([0, 0, 1], [7, 9, 6]))
    kinds = (
        [NodeKind.HARD_MACRO] * n_hard + [NodeKind.SOFT_MACRO] * n_soft + [NodeKind.PORT] * n_port
    )
    n = len(kinds)
    sizes = np.zeros((n, 2))
    positions = np.zeros((n, 2))
    orientations = np.zeros(n, dtype=np.int8)
    for i, kind in enumerate(kinds):
        if kind == NodeKind.PORT:
            positions[i] = rng.uniform([-0.1 * width, -0.1 * height], [1.1 * width, 1.1 * height])
            continue
        style = rng.integers(4)
        if style == 0:  # aligned on whole gcells: no partial edge rows or columns
            cw, ch = rng.integers(1, 3, size=2)
            c0 = rng.integers(0, max(cols - cw + 1, 1))
            r0 = rng.integers(0, max(rows - ch + 1, 1))
            sizes[i] = (cw * gw, ch * gh)
            positions[i] = ((c0 + cw / 2) * gw, (r0 + ch / 2) * gh)
        else:
            sizes[i] = rng.uniform(0.05, 0.6, size=2) * (width, height)
            spread = 0.3 if style == 1 else 0.0  # style 1 strays off the canvas
            positions[i] = rng.uniform(-spread, 1 + spread, size=2) * (width, height)
        if kind == NodeKind.HARD_MACRO:
            orientations[i] = rng.integers(8)
    # Pins: several per macro (offsets may reach outside the macro), one per port.
    pin_nodes: list[int] = []
    offsets: list[tuple[float, float]] = []
    for i, kind in enumerate(kinds):
        if kind == NodeKind.PORT:
            pin_nodes.append(i)
            offsets.append((0.0, 0.0))
            continue
        for _ in range(int(rng.integers(1, 5))):
            pin_nodes.append(i)
            offsets.append(tuple(rng.uniform(-0.7, 0.7, size=2) * sizes[i]))
    n_pins = len(pin_nodes)
    starts = [0]
    net_pins: list[int] = []
    drivers: list[int] = []
    weights: list[float] = []
    for _ in range(int(rng.integers(1, 30))):
        degree = int(rng.choice([2, 2, 3, 3, 3, 4, 5, 9]))
        members = [int(p) for p in rng.integers(0, n_pins, size=degree)]  # repeats allowed
        drivers.append(members[0])
        net_pins.extend(members)
        starts.append(len(net_pins))
        weights.append(float(rng.choice([0.0, 0.5, 1.0, 1.0, 2.0, 3.0, 7.5])))
    netlist = Netlist(
        name=f"random{seed}",
        canvas=Canvas(width, height),
        node_names=tuple(f"n{i}" for i in range(n)),
        node_kinds=np.array(kinds, dtype=np.int8),
        node_sizes=sizes,
        node_fixed=np.array(kinds) == NodeKind.PORT,
        pin_nodes=np.array(pin_nodes),
        pin_offsets=np.array(offsets).reshape(-1, 2),
        pin_directions=np.zeros(n_pins, dtype=np.int8),
        pin_names=tuple(f"p{i}" for i in range(n_pins)),
        net_names=tuple(f"net{j}" for j in range(len(drivers))),
        net_weights=np.array(weights),
        net_starts=np.array(starts),
        net_pins=np.array(net_pins),
        net_drivers=np.array(drivers),
    )
    placement = Placement(positions, orientations, np.ones(n, dtype=bool))
    settings = PlcSettings(
        grid_cols=cols,
        grid_rows=rows,
        routes_per_micron_h=float(rng.uniform(5, 60)),
        routes_per_micron_v=float(rng.uniform(5, 60)),
        macro_routes_h=float(rng.uniform(0, 40)),
        macro_routes_v=float(rng.uniform(0, 40)),
        smoothing=float(rng.choice([0.0, 0.0, 1.0, 2.0, 2.7])),
        canvas_width=width,
        canvas_height=height,
    )
    return netlist, placement, settings


@pytest.mark.parametrize("seed", range(60))
def test_matches_golden_model_on_random_designs(seed: int, backend: str) -> None:
    netlist, placement, settings = random_design(seed)
    golden = Golden(netlist, placement, settings)
    atol = 1e-10

    np.testing.assert_allclose(
        density_map(netlist, placement, settings), golden.density_map(), rtol=1e-10, atol=atol
    )
    maps = routing_congestion_maps(netlist, placement, settings)
    h, v = golden.congestion_maps()
    np.testing.assert_allclose(maps.horizontal, h, rtol=1e-10, atol=atol)
    np.testing.assert_allclose(maps.vertical, v, rtol=1e-10, atol=atol)

    cost = proxy_cost(netlist, placement, settings)
    expected = {
        "wirelength": golden.wirelength(),
        "density": golden.density(),
        "congestion": golden.congestion(),
    }
    expected["proxy"] = (
        expected["wirelength"] + 0.5 * expected["density"] + 0.5 * expected["congestion"]
    )
    for part in PARTS:
        assert getattr(cost, part) == pytest.approx(expected[part], rel=1e-10, abs=atol), part
    assert wirelength_cost(netlist, placement, settings) == pytest.approx(cost.wirelength)
    assert density_cost(netlist, placement, settings) == pytest.approx(cost.density)
    assert congestion_cost(netlist, placement, settings) == pytest.approx(cost.congestion)


# -- hand-made cases ------------------------------------------------------------------------------


def tiny_netlist(
    kinds: list[NodeKind],
    sizes: list[tuple[float, float]],
    pins: list[tuple[int, float, float]],
    nets: list[tuple[list[int], float]],
    canvas: tuple[float, float] = (40.0, 40.0),
) -> Netlist:
    """Nodes of given kinds and sizes; pins (owner, dx, dy); nets (pins, driver first, weight)."""
    starts = np.cumsum([0] + [len(p) for p, _ in nets])
    return Netlist(
        name="tiny",
        canvas=Canvas(*canvas),
        node_names=tuple(f"n{i}" for i in range(len(kinds))),
        node_kinds=np.array(kinds, dtype=np.int8),
        node_sizes=np.array(sizes, dtype=float).reshape(-1, 2),
        node_fixed=np.array(kinds) == NodeKind.PORT,
        pin_nodes=np.array([p[0] for p in pins]),
        pin_offsets=np.array([p[1:] for p in pins], dtype=float).reshape(-1, 2),
        pin_directions=np.zeros(len(pins), dtype=np.int8),
        pin_names=tuple(f"p{i}" for i in range(len(pins))),
        net_names=tuple(f"net{j}" for j in range(len(nets))),
        net_weights=np.array([w for _, w in nets], dtype=float),
        net_starts=starts,
        net_pins=np.array([p for members, _ in nets for p in members]),
        net_drivers=np.array([members[0] for members, _ in nets]),
    )


def settings_4x4(**changes: float) -> PlcSettings:
    """A 4 x 4 grid of 10 um cells, one route per micron, no macro allocation, no smoothing."""
    values = dict(
        grid_cols=4,
        grid_rows=4,
        routes_per_micron_h=1.0,
        routes_per_micron_v=1.0,
        macro_routes_h=0.0,
        macro_routes_v=0.0,
        smoothing=0.0,
        canvas_width=40.0,
        canvas_height=40.0,
    )
    values.update(changes)
    return PlcSettings(**values)


def ports_at(points: list[tuple[float, float]]) -> tuple[list[NodeKind], Placement]:
    kinds = [NodeKind.PORT] * len(points)
    placement = Placement(
        np.array(points, dtype=float), np.zeros(len(points), np.int8), np.ones(len(points), bool)
    )
    return kinds, placement


def routed(points: list[tuple[float, float]], weight: float = 1.0) -> CongestionMaps:
    """Raw crossings of one net driven by its first point (10 um cells at 1 route/um, so x 10).

    The points are zero-size soft macros, so the net weight applies (port-driven nets weigh 1).
    """
    _, placement = ports_at(points)
    kinds = [NodeKind.SOFT_MACRO] * len(points)
    pins = [(i, 0.0, 0.0) for i in range(len(points))]
    nets = [(list(range(len(points))), weight)]
    netlist = tiny_netlist(kinds, [(0, 0)] * len(points), pins, nets)
    maps = routing_congestion_maps(netlist, placement, settings_4x4())
    return CongestionMaps(maps.horizontal * 10.0, maps.vertical * 10.0)


def cells(*rc: tuple[int, int]) -> np.ndarray:
    grid = np.zeros((4, 4))
    for r, c in rc:
        grid[r, c] += 1.0
    return grid


def test_two_gcell_net_runs_along_source_row_then_sink_column(backend: str) -> None:
    # Driver in cell (0, 0), sink in cell (2, 3).
    maps = routed([(5, 5), (35, 25)])
    np.testing.assert_allclose(maps.horizontal, cells((0, 0), (0, 1), (0, 2)), atol=1e-12)
    np.testing.assert_allclose(maps.vertical, cells((0, 3), (1, 3)), atol=1e-12)


def test_pins_in_one_gcell_add_nothing(backend: str) -> None:
    maps = routed([(1, 1), (9, 9), (5, 2)])
    assert not maps.horizontal.any() and not maps.vertical.any()


def test_off_canvas_pins_are_clamped_into_edge_cells(backend: str) -> None:
    # Beyond the top-right corner -> cell (3, 3); left of the canvas -> column 0.
    maps = routed([(-50, 15), (90, 1000)])
    np.testing.assert_allclose(maps.horizontal, cells((1, 0), (1, 1), (1, 2)), atol=1e-12)
    np.testing.assert_allclose(maps.vertical, cells((1, 3), (2, 3)), atol=1e-12)
    grid = Grid(cols=4, rows=4, width=40.0, height=40.0)
    row, col = grid.cell_of(np.array([-1.0, 40.0, 1e9]), np.array([-1e9, 39.999, 40.0]))
    assert row.tolist() == [0, 3, 3] and col.tolist() == [0, 3, 3]


def test_star_for_more_than_three_gcells(backend: str) -> None:
    # Driver (1, 1); sinks (0, 0), (3, 1), (1, 3): one L each from the driver.
    maps = routed([(15, 15), (5, 5), (15, 35), (35, 15)])
    np.testing.assert_allclose(maps.horizontal, cells((1, 0), (1, 1), (1, 2)), atol=1e-12)
    np.testing.assert_allclose(maps.vertical, cells((0, 0), (1, 1), (2, 1)), atol=1e-12)


@pytest.mark.parametrize(
    ("points", "h_cells", "v_cells"),
    [
        # Double L: columns 0 < 1 < 3, middle row 2 strictly between rows 0 and 3.
        ([(5, 5), (15, 25), (35, 35)], [(0, 0), (2, 1), (2, 2)], [(0, 1), (1, 1), (2, 3)]),
        # Hook: two points in column 2 above the first.
        ([(5, 5), (25, 15), (25, 35)], [(0, 0), (0, 1)], [(0, 2), (1, 2), (2, 2)]),
        # Flat: the two right points share row 3.
        ([(5, 5), (15, 35), (35, 35)], [(0, 0), (3, 1), (3, 2)], [(0, 1), (1, 1), (2, 1)]),
        # T: (row, col) = (0, 2), (2, 0), (3, 3): trunk in row 2, drops in columns 2 and 3.
        ([(25, 5), (5, 25), (35, 35)], [(2, 0), (2, 1), (2, 2)], [(0, 2), (1, 2), (2, 3)]),
    ],
)
def test_three_gcell_nets(points, h_cells, v_cells, backend: str) -> None:
    maps = routed(points)
    np.testing.assert_allclose(maps.horizontal, cells(*h_cells), atol=1e-12)
    np.testing.assert_allclose(maps.vertical, cells(*v_cells), atol=1e-12)


def test_net_weights(backend: str) -> None:
    # Routing weight is w when w > 1, else 1.
    np.testing.assert_allclose(routed([(5, 5), (35, 5)], 3.0).horizontal.sum(), 9.0)
    np.testing.assert_allclose(routed([(5, 5), (35, 5)], 0.5).horizontal.sum(), 3.0)
    # Wirelength weight is the driver's weight, except that a port-driven net weighs 1.
    kinds = [NodeKind.PORT, NodeKind.SOFT_MACRO, NodeKind.HARD_MACRO]
    placement = Placement(
        np.array([[0.0, 0.0], [10.0, 0.0], [30.0, 20.0]]), np.zeros(3, np.int8), np.ones(3, bool)
    )
    pins = [(0, 0.0, 0.0), (1, 0.0, 0.0), (2, 0.0, 0.0)]
    sizes = [(0, 0), (4, 4), (4, 4)]
    netlist = tiny_netlist(kinds, sizes, pins, [([0, 2], 5.0), ([1, 2], 4.0)])
    # Net 0: HPWL 50, weight 1 (port); net 1: HPWL 40, weight 4; net count 1 + 4.
    expected = (50.0 + 4 * 40.0) / ((40.0 + 40.0) * 5.0)
    assert wirelength_cost(netlist, placement, settings_4x4()) == pytest.approx(expected)
    zero = tiny_netlist(kinds, sizes, pins, [([1, 2], 0.0)])
    assert wirelength_cost(zero, placement) == 0.0  # net count 0 is taken as 1


def test_soft_macro_pin_offsets_are_ignored_and_hard_ones_rotated() -> None:
    kinds = [NodeKind.SOFT_MACRO, NodeKind.HARD_MACRO]
    pins = [(0, 3.0, 1.0), (1, 2.0, 1.0)]
    netlist = tiny_netlist(kinds, [(4, 4), (6, 4)], pins, [([0, 1], 1.0)])
    for name, (dx, dy) in [("N", (2, 1)), ("S", (-2, -1)), ("FN", (-2, 1)), ("E", (1, -2))]:
        orient = np.array([0, Orientation[name]], dtype=np.int8)
        placement = Placement(np.array([[10.0, 10.0], [20.0, 30.0]]), orient, np.ones(2, bool))
        hpwl = abs(20 + dx - 10) + abs(30 + dy - 10)
        assert wirelength_cost(netlist, placement) == pytest.approx(hpwl / 80.0), name


def test_density_of_soft_and_hard_macros_clipped_at_the_canvas() -> None:
    kinds = [NodeKind.SOFT_MACRO, NodeKind.HARD_MACRO, NodeKind.PORT]
    sizes = [(10, 10), (20, 10), (0, 0)]
    # Soft macro fills cell (0, 0); hard macro centred on the right edge, half outside.
    placement = Placement(
        np.array([[5.0, 5.0], [40.0, 15.0], [20.0, 20.0]]), np.zeros(3, np.int8), np.ones(3, bool)
    )
    netlist = tiny_netlist(kinds, sizes, [(2, 0.0, 0.0)], [])
    got = density_map(netlist, placement, settings_4x4())
    np.testing.assert_allclose(got, cells((0, 0), (1, 3)), atol=1e-12)
    # 16 cells: the top floor(1.6) = 1 cell; cost 0.5 * 1.0.
    assert density_cost(netlist, placement, settings_4x4()) == pytest.approx(0.5)
    # Fewer than 10 cells: 0.5 * mean over occupied cells. On a 2 x 2 grid of 20 um cells both
    # macros put 100 um^2 into one cell each of row 0; row 1 is empty.
    small = settings_4x4(grid_cols=2, grid_rows=2)
    assert density_cost(netlist, placement, small) == pytest.approx(0.5 * 0.25)


def test_macro_allocation_and_partial_edge_rule() -> None:
    kinds = [NodeKind.HARD_MACRO, NodeKind.SOFT_MACRO]
    # Hard macro covering cells (0..1, 0..1) exactly: full allocation everywhere.
    netlist = tiny_netlist(kinds, [(20, 20), (20, 20)], [], [])
    placement = Placement(
        np.array([[10.0, 10.0], [30.0, 30.0]]), np.zeros(2, np.int8), np.ones(2, bool)
    )
    settings = settings_4x4(macro_routes_h=2.0, macro_routes_v=3.0)
    maps = routing_congestion_maps(netlist, placement, settings)
    block = cells((0, 0), (0, 1), (1, 0), (1, 1))
    np.testing.assert_allclose(maps.horizontal, 2.0 * block, atol=1e-12)  # 10 um * 2 / 10
    np.testing.assert_allclose(maps.vertical, 3.0 * block, atol=1e-12)
    # Shifted by 5 um up and right: partial edge rows and columns -> no V in the top row and
    # no H in the right column.
    moved = Placement(
        np.array([[15.0, 15.0], [30.0, 30.0]]), np.zeros(2, np.int8), np.ones(2, bool)
    )
    maps = routing_congestion_maps(netlist, moved, settings)
    x_share = np.array([0.5, 1.0, 0.5, 0.0])  # overlap / 10 um per column
    y_share = x_share
    v_expected = np.outer(y_share > 0, x_share) * 3.0
    v_expected[2, :] = 0.0  # top visited row dropped
    h_expected = np.outer(y_share, x_share > 0) * 2.0
    h_expected[:, 2] = 0.0  # right visited column dropped
    np.testing.assert_allclose(maps.vertical, v_expected, atol=1e-12)
    np.testing.assert_allclose(maps.horizontal, h_expected, atol=1e-12)


def test_smoothing_spreads_v_along_rows_and_h_along_columns(backend: str) -> None:
    kinds, placement = ports_at([(5, 15), (15, 15), (15, 5)])
    # Two nets: an H run in row 1 over column 0; a V run in column 1 over row 0.
    netlist = tiny_netlist(
        kinds, [(0, 0)] * 3, [(i, 0.0, 0.0) for i in range(3)], [([0, 1], 1.0), ([2, 1], 1.0)]
    )
    maps = routing_congestion_maps(netlist, placement, settings_4x4(smoothing=1.0))
    h = np.zeros((4, 4))
    h[0:3, 0] = 1 / 3  # H of (1, 0) spread over rows 0..2 of column 0
    v = np.zeros((4, 4))
    v[0, 0:3] = 1 / 3  # V of (0, 1) spread over columns 0..2 of row 0
    np.testing.assert_allclose(maps.horizontal * 10, h, atol=1e-12)
    np.testing.assert_allclose(maps.vertical * 10, v, atol=1e-12)


def test_congestion_cost_is_mean_of_top_five_percent() -> None:
    netlist, placement, settings = random_design(3)
    maps = routing_congestion_maps(netlist, placement, settings)
    values = np.sort(np.concatenate([maps.vertical.ravel(), maps.horizontal.ravel()]))[::-1]
    top = math.floor(values.size * 0.05)
    expected = values[:top].mean() if top else values[0]
    assert congestion_cost(netlist, placement, settings) == pytest.approx(expected)


def test_weights_and_result_type() -> None:
    netlist, placement, settings = random_design(7)
    base = proxy_cost(netlist, placement, settings)
    custom = proxy_cost(netlist, placement, settings, ProxyWeights(2.0, 1.0, 0.25))
    assert isinstance(custom, ProxyCost)
    assert custom.wirelength == base.wirelength and custom.density == base.density
    assert custom.proxy == pytest.approx(
        2.0 * base.wirelength + 1.0 * base.density + 0.25 * base.congestion
    )


def test_changing_orientation_between_calls_is_seen() -> None:
    netlist, placement, settings = random_design(11)
    first = proxy_cost(netlist, placement, settings)
    hard = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    if hard.size == 0:
        pytest.skip("design without hard macros")
    flipped = placement.with_positions(
        hard, placement.positions[hard], (placement.orientations[hard] + 1) % 8
    )
    second = proxy_cost(netlist, flipped, settings)
    golden = Golden(netlist, flipped, settings)
    assert second.wirelength == pytest.approx(golden.wirelength(), rel=1e-10)
    assert proxy_cost(netlist, placement, settings) == first


def test_missing_settings_are_reported() -> None:
    netlist, placement, settings = random_design(1)
    with pytest.raises(ValueError, match="Routes per micron"):
        congestion_cost(netlist, placement, PlcSettings(grid_cols=2, grid_rows=2))


# -- the reference designs ------------------------------------------------------------------------


def _reference() -> dict:
    return json.loads(REFERENCE.read_text())["designs"]


def _evaluated_designs() -> list[str]:
    designs = json.loads(REFERENCE.read_text())["designs"]
    return [d for d, v in designs.items() if v.get("status") == "converted_and_evaluated"]


@cache
def _load(design: str):
    files = _reference()[design]["files"]
    loaded = read_circuit_training(BENCHMARKS / files["netlist"], BENCHMARKS / files["initial_plc"])
    variants = {"initial": (loaded.placement, loaded.plc)}
    if "legalized_plc" in files:
        settings, placement = read_plc(
            BENCHMARKS / files["legalized_plc"], loaded.netlist, loaded.placement
        )
        variants["legalized"] = (placement, settings)
    return loaded.netlist, variants


@pytest.mark.parametrize("variant", ["initial", "legalized"])
@pytest.mark.parametrize("design", _evaluated_designs())
def test_reference_values(design: str, variant: str) -> None:
    reference = _reference()[design]
    expected = (
        reference["initial"]["plc_float64"] if variant == "initial" else reference.get("legalized")
    )
    netlist, variants = _load(design)
    if variant not in variants or not isinstance(expected, dict):
        pytest.skip(f"{design} has no {variant} placement")
    placement, settings = variants[variant]
    cost = proxy_cost(netlist, placement, settings)
    for part in PARTS:
        assert abs(getattr(cost, part) - expected[part]) <= 1e-6, (part, getattr(cost, part))


@pytest.mark.parametrize("design", ["ariane133_ng45"])
def test_golden_model_on_a_reference_design(design: str, backend: str) -> None:
    netlist, variants = _load(design)
    placement, settings = variants["initial"]
    golden = Golden(netlist, placement, settings)
    maps = routing_congestion_maps(netlist, placement, settings)
    h, v = golden.congestion_maps()
    np.testing.assert_allclose(maps.horizontal, h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(maps.vertical, v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        density_map(netlist, placement, settings), golden.density_map(), rtol=1e-12, atol=1e-12
    )
    assert wirelength_cost(netlist, placement, settings) == pytest.approx(
        golden.wirelength(), rel=1e-12
    )
