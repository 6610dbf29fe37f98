"""The chip as a :mod:`netlists` design: blocks as hard macros, buses as nets, timing arcs.

Every block of :func:`accel.area.chip_area` becomes a hard macro; the matrix units, the activation
buffer and the accumulators can be cut into ``tiles`` strips (so a design has from about a dozen
to a few hundred macros). I/O PHYs are fixed on the die edge. Each bus is a two-pin net whose
weight is its width in bits, and carries one timing arc: logic in the driving block after launch,
the wire, logic in the receiving block before capture, with pipeline registers on long buses.
Each matrix unit also has a zero-length arc from itself to itself: its processing element's
multiply-accumulate path, which bounds f_max when the buses are short.

Shapes follow the published TPUv1 floor plan for the inference architecture: the unified buffer
is as tall as the matrix-unit column (the paper's pitch matching), the accumulators and the
activation pipeline are as wide as the matrix unit. Units: microns for lengths, ns for delays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accel.area import AreaReport, BlockArea, chip_area
from accel.params import ChipParams
from accel.tech import number_format
from netlists import (
    Canvas,
    Design,
    Net,
    Netlist,
    Node,
    NodeKind,
    Pin,
    PinDirection,
    Placement,
    PlcSettings,
)
from netlists.timing import TimingGraph

UM2_PER_MM2 = 1e6
#: Smallest depth of an I/O strip on the die edge (microns).
IO_DEPTH_UM = 1200.0
#: Clearance between neighbouring blocks in generated shapes and floor plans (microns).
GAP_UM = 20.0
#: Blocks that ``tiles`` cuts into pieces: matrix units into column strips, memories into banks.
TILED_CATEGORIES = ("matrix_unit", "unified_buffer", "accumulators")
#: Grid of the congestion and density estimates (bins per side).
GRID_BINS = 32
#: Share of the routing tracks that run over macros.
MACRO_ROUTE_SHARE = 0.6
#: Pipeline registers on buses from a DRAM PHY (they cross the die).
DRAM_STAGES = 3
#: Pipeline registers on control buses from the sequencer to the datapath blocks.
CONTROL_STAGES = 2

# Pin sides as fractions of a block's width and height from its centre.
NORTH, SOUTH, EAST, WEST, CENTRE = (0.0, 0.5), (0.0, -0.5), (0.5, 0.0), (-0.5, 0.0), (0.0, 0.0)
SOUTH_EAST, NORTH_WEST = (0.5, -0.5), (-0.5, 0.5)


@dataclass(frozen=True)
class Macro:
    """One macro of the chip netlist.

    Attributes:
        name: Node name.
        block: Name of the :class:`~accel.area.BlockArea` it is (part of).
        category: The block's area category.
        width_um: Width (microns).
        height_um: Height (microns).
        die_edge: Edge the macro is fixed on, or ``None`` when movable.
        tile: Index of this piece within its block (0 when not tiled).
    """

    name: str
    block: str
    category: str
    width_um: float
    height_um: float
    die_edge: str | None = None
    tile: int = 0


@dataclass(frozen=True)
class Bus:
    """A point-to-point bus between two macros and its timing arc.

    Attributes:
        name: Net and arc name.
        source: Driving macro.
        sink: Receiving macro.
        bits: Width (bits); the net weight.
        source_side: Pin position on the source, as fractions of its size from its centre.
        sink_side: Pin position on the sink.
        before_fo4: Logic after launch inside the source (FO4 delays).
        after_fo4: Logic before capture inside the sink (FO4 delays).
        stages: Pipeline registers along the wire.
    """

    name: str
    source: str
    sink: str
    bits: int
    source_side: tuple[float, float]
    sink_side: tuple[float, float]
    before_fo4: float
    after_fo4: float
    stages: int = 0


@dataclass(frozen=True)
class ChipNetlistSpec:
    """The macros and buses of a chip before they become a netlist.

    Attributes:
        params: The chip.
        area: Its area report.
        die_side_um: Side of the square die (microns).
        macros: Every macro.
        buses: Every bus, including the matrix units' internal arcs.
        fixed_positions: Centre of each fixed I/O macro (microns), by name.
    """

    params: ChipParams
    area: AreaReport
    die_side_um: float
    macros: tuple[Macro, ...]
    buses: tuple[Bus, ...]
    fixed_positions: dict[str, tuple[float, float]]


def _check_tiles(tiles: int) -> None:
    if isinstance(tiles, bool) or not isinstance(tiles, int) or not 1 <= tiles <= 64:
        raise ValueError(f"tiles must be an integer in [1, 64]; got {tiles!r}")


def _io_shapes(blocks: list[BlockArea], side: float) -> dict[str, tuple[float, float]]:
    shapes = {}
    for b in blocks:
        area = b.area_mm2 * UM2_PER_MM2
        depth = max(IO_DEPTH_UM, area / (0.45 * side))
        length = area / depth
        shapes[b.name] = (depth, length) if b.die_edge in ("W", "E") else (length, depth)
    return shapes


def _pack_edges(
    blocks: list[BlockArea], shapes: dict[str, tuple[float, float]], side: float
) -> dict[str, tuple[float, float]]:
    """Centres of the I/O strips: N/S edges packed from the west corner, W/E edges centred."""
    positions = {}
    for edge in ("N", "S", "W", "E"):
        on_edge = [b.name for b in blocks if b.die_edge == edge]
        if not on_edge:
            continue
        horizontal = edge in ("N", "S")
        lengths = [shapes[n][0] if horizontal else shapes[n][1] for n in on_edge]
        total = sum(lengths) + GAP_UM * (len(on_edge) - 1)
        room = side if horizontal else side - 2 * IO_DEPTH_UM - 2 * GAP_UM
        if total > room:
            raise ValueError(
                f"utilisation: the I/O blocks on the {edge} edge need {total:.0f} um of a "
                f"{room:.0f} um edge; lower utilisation (allowed range (0, 1]) or remove I/O"
            )
        cursor = 0.0 if horizontal else (side - total) / 2
        for name, length in zip(on_edge, lengths, strict=True):
            w, h = shapes[name]
            along = cursor + length / 2
            cursor += length + GAP_UM
            across = {"S": h / 2, "N": side - h / 2, "W": w / 2, "E": side - w / 2}[edge]
            positions[name] = (along, across) if horizontal else (across, along)
    return positions


def _core_shapes(params: ChipParams, blocks: list[BlockArea], side: float, io_depth: float):
    """Width and height of each core block (microns)."""
    area = {b.name: b.area_mm2 * UM2_PER_MM2 for b in blocks}
    shapes: dict[str, tuple[float, float]] = {}
    if params.architecture == "inference":
        # One row across the die between the W/E I/O strips: buffer | data setup | MXU column,
        # all as tall as the MXU column (pitch matching); accumulators and activation below.
        row_width = side - 2 * io_depth - 4 * GAP_UM
        top = [n for n in area if n.endswith(("ub", "sds", "mxu", "wfifo"))]
        height = sum(area[n] for n in top) / row_width
        column = sum(area[n] for n in top if n.endswith(("mxu", "wfifo"))) / height
        for name, a in area.items():
            if name.endswith(("ub", "sds")):
                shapes[name] = (a / height, height)
            elif name.endswith(("mxu", "wfifo", "acc", "act")):
                shapes[name] = (column, a / column)
            else:
                shapes[name] = (math.sqrt(a), math.sqrt(a))
    else:
        for name, a in area.items():
            shapes[name] = (math.sqrt(a), math.sqrt(a))
    return shapes


def _tile(macro_name: str, shape: tuple[float, float], block: BlockArea, tiles: int):
    w, h = shape
    if tiles == 1 or block.category not in TILED_CATEGORIES:
        return [Macro(macro_name, block.name, block.category, w, h)]
    if block.category == "unified_buffer":  # banks stacked top to bottom
        return [
            Macro(f"{macro_name}.t{i}", block.name, block.category, w, h / tiles, tile=i)
            for i in range(tiles)
        ]
    return [  # column strips, west to east
        Macro(f"{macro_name}.t{i}", block.name, block.category, w / tiles, h, tile=i)
        for i in range(tiles)
    ]


def _connect(
    pieces: dict[str, list[str]],
    name: str,
    source: str,
    sink: str,
    bits: int,
    sides: tuple[tuple[float, float], tuple[float, float]],
    fo4: tuple[float, float],
    stages: int = 0,
    pairwise: bool = False,
) -> list[Bus]:
    """Buses from block ``source`` to block ``sink``, split over their tiles."""
    sources, sinks = pieces[source], pieces[sink]
    if pairwise and len(sources) == len(sinks):
        pairs = list(zip(sources, sinks, strict=True))
    else:
        pairs = [(a, b) for a in sources for b in sinks]
    width = max(1, math.ceil(bits / len(pairs)))
    return [
        Bus(
            f"{name}" if len(pairs) == 1 else f"{name}.{k}",
            a,
            b,
            width,
            sides[0],
            sides[1],
            fo4[0],
            fo4[1],
            stages,
        )  # fmt: skip
        for k, (a, b) in enumerate(pairs)
    ]


def _inference_buses(params: ChipParams, pieces, p: str) -> list[Bus]:
    fmt = number_format(params.number_format)
    rows, cols = params.array_rows, params.array_cols
    feed = rows * fmt.bits
    psum = cols * fmt.accumulator_bits
    buses = _connect(pieces, f"{p}ub->sds", f"{p}ub", f"{p}sds", feed, (EAST, WEST), (12, 4))
    mxu = pieces[f"{p}mxu"]
    buses.append(Bus(f"{p}sds->mxu", f"{p}sds", mxu[0], feed, EAST, WEST, 4, 6))
    for i in range(len(mxu) - 1):  # inputs march east through the column strips
        buses.append(Bus(f"{p}mxu.t{i}->t{i + 1}", mxu[i], mxu[i + 1], feed, EAST, WEST, 4, 6))
    buses += _connect(pieces, f"{p}mxu->acc", f"{p}mxu", f"{p}acc", psum, (SOUTH, NORTH), (9, 23),
                      pairwise=True)  # fmt: skip
    buses += _connect(pieces, f"{p}acc->act", f"{p}acc", f"{p}act", psum, (SOUTH, NORTH), (12, 10))
    buses += _connect(pieces, f"{p}act->ub", f"{p}act", f"{p}ub", cols * fmt.bits,
                      (NORTH_WEST, SOUTH_EAST), (8, 10), 1)  # fmt: skip
    buses += _connect(pieces, f"{p}host->ub", "host_if", f"{p}ub", 128, (NORTH, SOUTH), (8, 10), 1)
    buses += _connect(
        pieces, f"{p}host->ctrl", "host_if", f"{p}ctrl", 128, (EAST, WEST), (8, 12), 1
    )
    if f"{p}wfifo" in pieces:
        buses += _connect(pieces, f"{p}wfifo->mxu", f"{p}wfifo", f"{p}mxu", cols * fmt.bits,
                          (SOUTH, NORTH), (10, 6))  # fmt: skip
        weights = f"{p}wfifo"
    else:
        weights = f"{p}mxu"
    for k in range(params.dram_channels):
        phy = f"ddr{k}_phy" if params.dram_kind != "HBM2" else f"hbm{k}_phy"
        side = EAST if k % 2 == 0 else WEST
        buses += _connect(pieces, f"{phy}->{weights}", phy, weights, 512, (side, CENTRE), (6, 10),
                          DRAM_STAGES)  # fmt: skip
    targets = [f"{p}{n}" for n in ("ub", "sds", "mxu", "acc", "act", "wfifo")]
    for target in targets:
        if target in pieces:
            buses += _connect(pieces, f"{p}ctrl->{target.removeprefix(p)}", f"{p}ctrl", target,
                              64, (NORTH, CENTRE), (8, 8), CONTROL_STAGES)  # fmt: skip
    return buses


def _training_buses(params: ChipParams, pieces, p: str, core: int) -> list[Bus]:
    fmt = number_format(params.number_format)
    rows, cols = params.array_rows, params.array_cols
    lanes = cols * 32
    buses = _connect(pieces, f"{p}vmem->vpu", f"{p}vmem", f"{p}vpu", lanes, (EAST, WEST), (12, 8))
    buses += _connect(pieces, f"{p}vpu->vmem", f"{p}vpu", f"{p}vmem", lanes, (WEST, EAST), (8, 10))
    buses += _connect(pieces, f"{p}vpu->trp", f"{p}vpu", f"{p}trp", lanes, (EAST, WEST), (8, 10))
    buses += _connect(pieces, f"{p}trp->vpu", f"{p}trp", f"{p}vpu", lanes, (WEST, EAST), (8, 10))
    for m in range(params.matrix_units_per_core):
        mxu = f"{p}mxu{m}" if params.matrix_units_per_core > 1 else f"{p}mxu"
        short = mxu.removeprefix(p)
        buses += _connect(pieces, f"{p}vpu->{short}", f"{p}vpu", mxu, 2 * rows * fmt.bits,
                          (NORTH, SOUTH), (8, 6))  # fmt: skip
        buses += _connect(pieces, f"{p}{short}->vpu", mxu, f"{p}vpu", cols * fmt.accumulator_bits,
                          (SOUTH, NORTH), (9, 12))  # fmt: skip
        buses += _connect(pieces, f"{p}seq->{short}", f"{p}seq", mxu, 322, (NORTH, CENTRE),
                          (8, 8), 1)  # fmt: skip
    for target in ("vpu", "vmem", "trp"):
        buses += _connect(pieces, f"{p}seq->{target}", f"{p}seq", f"{p}{target}", 322,
                          (NORTH, CENTRE), (8, 8), CONTROL_STAGES)  # fmt: skip
    for k in range(core, params.dram_channels, params.cores):
        phy = f"hbm{k}_phy" if params.dram_kind == "HBM2" else f"ddr{k}_phy"
        side = EAST if k % 2 == 0 else WEST
        buses += _connect(pieces, f"{phy}->{p}vmem", phy, f"{p}vmem", 2048, (side, CENTRE),
                          (6, 10), DRAM_STAGES)  # fmt: skip
    buses += _connect(pieces, f"host->{p}seq", "host_if", f"{p}seq", 128, (CENTRE, CENTRE),
                      (8, 12), 1)  # fmt: skip
    if "router" in pieces:
        buses += _connect(pieces, f"router->{p}vmem", "router", f"{p}vmem", 512,
                          (CENTRE, CENTRE), (8, 10), 1)  # fmt: skip
    return buses


def chip_spec(
    params: ChipParams, *, tiles: int = 1, utilisation: float | None = None
) -> ChipNetlistSpec:
    """The macros, buses and fixed I/O positions of a chip (see :func:`build_chip`)."""
    _check_tiles(tiles)
    area = chip_area(params, utilisation)
    side = area.die_width_um
    blocks = list(area.blocks)
    io = [b for b in blocks if b.die_edge is not None]
    io_shapes = _io_shapes(io, side)
    io_depth = max([min(io_shapes[b.name]) for b in io if b.die_edge in ("W", "E")], default=0.0)
    shapes = {**_core_shapes(params, [b for b in blocks if b.die_edge is None], side, io_depth),
              **io_shapes}  # fmt: skip
    for name, (w, h) in shapes.items():
        if w > side or h > side:
            raise ValueError(
                f"array_rows x array_cols: block {name!r} ({w:.0f} x {h:.0f} um) does not fit "
                f"the {side:.0f} um die; lower the array size or utilisation (allowed (0, 1])"
            )
    positions = _pack_edges(io, io_shapes, side)
    macros: list[Macro] = []
    pieces: dict[str, list[str]] = {}
    for b in blocks:
        if b.die_edge is not None:
            w, h = shapes[b.name]
            made = [Macro(b.name, b.name, b.category, w, h, b.die_edge)]
        else:
            made = _tile(b.name, shapes[b.name], b, tiles)
        macros += made
        pieces[b.name] = [m.name for m in made]
    buses: list[Bus] = []
    for core in range(params.cores):
        p = f"core{core}." if params.cores > 1 else ""
        if params.architecture == "inference":
            buses += _inference_buses(params, pieces, p)
        else:
            buses += _training_buses(params, pieces, p, core)
    buses += _connect(pieces, "pcie->host", "pcie_phy", "host_if", 256, (NORTH, SOUTH), (6, 10), 2)
    first_control = "ctrl" if params.architecture == "inference" else "seq"
    control = next(m.name for m in macros if m.name.endswith(first_control))
    buses += _connect(pieces, "misc->ctrl", "misc_io", control, 32, (CENTRE, CENTRE), (4, 4), 2)
    for k in range(params.links):
        buses += _connect(pieces, f"link{k}->router", f"link{k}_phy", "router", 512,
                          (SOUTH, CENTRE), (6, 10), 2)  # fmt: skip
    # Processing-element path inside every matrix-unit piece: a zero-length self arc.
    half = number_format(params.number_format).pe_logic_fo4 / 2
    for m in macros:
        if m.category == "matrix_unit":
            buses.append(Bus(f"{m.name}.pe", m.name, m.name, 1, CENTRE, CENTRE, half, half))
    return ChipNetlistSpec(params, area, side, tuple(macros), tuple(buses), positions)


def spec_to_design(spec: ChipNetlistSpec) -> Design:
    """Turns a :class:`ChipNetlistSpec` into a design with timing; fixed I/O is placed."""
    tech = spec.params.technology
    nodes = [
        Node(m.name, NodeKind.HARD_MACRO, m.width_um, m.height_um, fixed=m.die_edge is not None)
        for m in spec.macros
    ]
    size = {m.name: (m.width_um, m.height_um) for m in spec.macros}

    def pin(node: str, side: tuple[float, float], direction: PinDirection, label: str) -> Pin:
        w, h = size[node]
        return Pin(node, side[0] * w, side[1] * h, direction, f"{node}/{label}")

    nets = [
        Net(
            bus.name,
            (
                pin(bus.source, bus.source_side, PinDirection.OUTPUT, f"{bus.name}:o"),
                pin(bus.sink, bus.sink_side, PinDirection.INPUT, f"{bus.name}:i"),
            ),
            weight=float(bus.bits),
            driver=0,
        )
        for bus in spec.buses
    ]
    base = Netlist.from_records(spec.params.name, Canvas(spec.die_side_um, spec.die_side_um),
                                nodes, nets)  # fmt: skip
    n = len(spec.buses)
    fo4 = tech.fo4_ns
    timing = TimingGraph(
        clock_period_ns=1000.0 / spec.params.clock_mhz,
        clock_to_q_ns=tech.clock_to_q_ns,
        setup_ns=tech.setup_ns,
        sequential=np.ones(base.num_nodes, dtype=bool),
        arc_names=tuple(bus.name for bus in spec.buses),
        arc_from_pin=base.net_drivers.copy(),
        arc_to_pin=np.array([base.net_pin_indices(j)[1] for j in range(n)], dtype=np.int32),
        arc_before_ns=[bus.before_fo4 * fo4 for bus in spec.buses],
        arc_after_ns=[bus.after_fo4 * fo4 for bus in spec.buses],
        arc_stages=[bus.stages for bus in spec.buses],
    )
    fields = (
        "name", "canvas", "node_names", "node_kinds", "node_sizes", "node_fixed", "pin_nodes",
        "pin_offsets", "pin_directions", "pin_names", "net_names", "net_weights", "net_starts",
        "net_pins", "net_drivers",
    )  # fmt: skip
    netlist = Netlist(**{f: getattr(base, f) for f in fields}, timing=timing)
    placement = Placement.empty(netlist)
    fixed = [netlist.index_of(name) for name in spec.fixed_positions]
    if fixed:
        placement = placement.with_positions(
            fixed, np.array([spec.fixed_positions[netlist.node_names[i]] for i in fixed])
        )
    routes = tech.routes_per_micron
    plc = PlcSettings(
        grid_cols=GRID_BINS,
        grid_rows=GRID_BINS,
        routes_per_micron_h=routes,
        routes_per_micron_v=routes,
        macro_routes_h=MACRO_ROUTE_SHARE * routes,
        macro_routes_v=MACRO_ROUTE_SHARE * routes,
        smoothing=2.0,
        overlap_threshold=0.0,
        canvas_width=spec.die_side_um,
        canvas_height=spec.die_side_um,
    )
    return Design(netlist, placement, plc=plc, source=f"accel:{spec.params.name}")


def build_chip(params: ChipParams, *, tiles: int = 1, utilisation: float | None = None) -> Design:
    """Builds the chip's design: macros, weighted bus nets, timing arcs, fixed I/O placed.

    Args:
        params: The chip.
        tiles: Pieces each matrix unit, activation buffer and accumulator memory is cut into
            (1..64).
        utilisation: Block area over die area in (0, 1]; default ``params.utilisation``.

    Returns:
        A :class:`netlists.Design` whose placement holds the fixed I/O on the die edge and
        leaves every movable macro unplaced.

    Raises:
        ValueError: ``tiles`` or ``utilisation`` out of range, or a block cannot fit the die.
    """
    return spec_to_design(chip_spec(params, tiles=tiles, utilisation=utilisation))


def load_design(name: str) -> Design:
    """A preset's chip (``"tpu_v1"``, ``"tpu_v2"``, ``"tpu_v3"`` in any spelling
    :func:`accel.params.preset_name` accepts: :func:`build_chip` with its defaults) or, for any
    other name, :func:`netlists.load` (a bundled design or a path)."""
    from accel.params import preset, preset_name

    if preset_name(name) is not None:
        return build_chip(preset(name))
    import netlists

    return netlists.load(name)
