"""Block areas from first principles, and the die they need.

Memories cost ``bits x sram_um2_per_bit`` (times a port factor for multi-ported arrays); logic
costs full-adder equivalents (see :mod:`accel.tech`) times the node's area per full adder; PHYs
cost a fixed area per channel, stack or lane. A handful of logic blocks whose size the papers give
only as a share of the die (activation lane, control, host interface) carry calibrated sizes in
full-adder equivalents, chosen so that TPUv1 lands on its published floor-plan fractions.

Units: areas in mm2 unless a name says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accel.params import ChipParams
from accel.tech import FLOP_FULL_ADDER_EQUIVALENT, number_format

MIB_BITS = 8 * 1024 * 1024
UM2_PER_MM2 = 1e6

#: Read-modify-write accumulator memories need a read and a write port each cycle.
ACCUMULATOR_PORT_FACTOR = 1.25
#: A training core's vector memory has eight ports per lane (two loads, stores, DMA...).
VECTOR_MEMORY_PORT_FACTOR = 1.6
#: One lane of TPUv1's activation pipeline (nonlinearities, normalise, pool), in full adders.
ACTIVATION_LANE_FULL_ADDERS = 11_650
#: One fp32 vector ALU of a training core, in full adders.
VECTOR_ALU_FULL_ADDERS = 700
#: Vector registers per sublane (32 x 32 bits).
VECTOR_REGISTER_BITS = 32 * 32
#: The core sequencer / control unit, in full adders (TPUv1: 2% of the die).
CONTROL_FULL_ADDERS = 1_000_000
#: Host interface with DMA engine and instruction buffer, in full adders.
HOST_INTERFACE_FULL_ADDERS = 840_000
#: Inter-chip router, in full adders.
ROUTER_FULL_ADDERS = 1_500_000

#: Categories used for the area fractions, by block role.
CATEGORIES = (
    "unified_buffer",
    "matrix_unit",
    "accumulators",
    "activation",
    "data_setup",
    "weight_fifo",
    "vector_unit",
    "io",
    "control",
    "host_interface",
    "router",
)


@dataclass(frozen=True)
class BlockArea:
    """One block of the chip and its area.

    Attributes:
        name: Block name, unique on the chip (``core1.mxu0`` in multi-core chips).
        category: One of :data:`CATEGORIES`.
        area_mm2: Area (mm2).
        core: Core index, or ``None`` for chip-level blocks.
        die_edge: ``"N"``, ``"S"``, ``"E"`` or ``"W"`` for I/O blocks that sit on the die edge,
            else ``None``.
    """

    name: str
    category: str
    area_mm2: float
    core: int | None = None
    die_edge: str | None = None


@dataclass(frozen=True)
class AreaReport:
    """Areas of a chip's blocks and of its die.

    Attributes:
        blocks: Every block.
        block_area_mm2: Sum of the block areas (mm2).
        die_area_mm2: ``block_area_mm2 / utilisation`` (mm2).
        die_width_um: Side of the square die (microns).
        utilisation: Block area over die area.
    """

    blocks: tuple[BlockArea, ...]
    block_area_mm2: float
    die_area_mm2: float
    die_width_um: float
    utilisation: float

    def category_mm2(self, category: str) -> float:
        """Total area of one category (mm2)."""
        return sum(b.area_mm2 for b in self.blocks if b.category == category)

    def fraction(self, category: str) -> float:
        """Share of the die taken by one category (0..1)."""
        return self.category_mm2(category) / self.die_area_mm2

    def fractions(self) -> dict[str, float]:
        """Share of the die of each category that the chip has."""
        present = {b.category for b in self.blocks}
        return {c: self.fraction(c) for c in CATEGORIES if c in present}


def _logic_mm2(full_adders: float, params: ChipParams) -> float:
    return full_adders * params.technology.full_adder_um2 / UM2_PER_MM2


def _sram_mm2(bits: float, params: ChipParams, port_factor: float = 1.0) -> float:
    return bits * params.technology.sram_um2_per_bit * port_factor / UM2_PER_MM2


def _prefix(params: ChipParams, core: int) -> str:
    return f"core{core}." if params.cores > 1 else ""


def matrix_unit_mm2(params: ChipParams) -> float:
    """Area of one systolic matrix unit (mm2)."""
    cells = params.array_rows * params.array_cols
    return cells * params.technology.mac_um2(params.number_format) / UM2_PER_MM2


def _core_blocks(params: ChipParams, core: int) -> list[BlockArea]:
    fmt = number_format(params.number_format)
    p = _prefix(params, core)
    rows, cols = params.array_rows, params.array_cols
    blocks = [
        BlockArea(f"{p}mxu{m}" if params.matrix_units_per_core > 1 else f"{p}mxu",
                  "matrix_unit", matrix_unit_mm2(params), core)
        for m in range(params.matrix_units_per_core)
    ]  # fmt: skip
    if params.architecture == "inference":
        adders = cols * fmt.accumulator_bits * (1 + FLOP_FULL_ADDER_EQUIVALENT)
        # The data setup skews the inputs with a triangle of registers: rows (rows - 1) / 2 values.
        skew_bits = rows * (rows - 1) / 2 * fmt.bits
        blocks += [
            BlockArea(f"{p}ub", "unified_buffer",
                      _sram_mm2(params.unified_buffer_mib * MIB_BITS, params), core),
            BlockArea(f"{p}acc", "accumulators",
                      _sram_mm2(params.accumulator_mib * MIB_BITS, params, ACCUMULATOR_PORT_FACTOR)
                      + _logic_mm2(adders, params), core),
            BlockArea(f"{p}act", "activation",
                      _logic_mm2(cols * params.vector_sublanes * ACTIVATION_LANE_FULL_ADDERS,
                                 params), core),
            BlockArea(f"{p}sds", "data_setup",
                      _logic_mm2(skew_bits * FLOP_FULL_ADDER_EQUIVALENT, params), core),
            BlockArea(f"{p}ctrl", "control", _logic_mm2(CONTROL_FULL_ADDERS, params), core),
        ]  # fmt: skip
        if params.weight_fifo_tiles:
            bits = params.weight_fifo_tiles * rows * cols * fmt.bits
            blocks.append(BlockArea(f"{p}wfifo", "weight_fifo", _sram_mm2(bits, params), core))
    else:
        sublanes = cols * params.vector_sublanes
        vpu_fa = sublanes * (
            2 * VECTOR_ALU_FULL_ADDERS + VECTOR_REGISTER_BITS * FLOP_FULL_ADDER_EQUIVALENT
        )
        vpu = _logic_mm2(vpu_fa, params)
        blocks += [
            BlockArea(f"{p}vmem", "unified_buffer",
                      _sram_mm2(params.unified_buffer_mib * MIB_BITS, params,
                                VECTOR_MEMORY_PORT_FACTOR), core),
            BlockArea(f"{p}vpu", "vector_unit", vpu, core),
            BlockArea(f"{p}trp", "vector_unit", 0.15 * vpu, core),
            BlockArea(f"{p}seq", "control", _logic_mm2(CONTROL_FULL_ADDERS, params), core),
        ]  # fmt: skip
    return blocks


def _io_blocks(params: ChipParams) -> list[BlockArea]:
    tech = params.technology
    hbm = params.dram_kind == "HBM2"
    phy = tech.hbm_phy_mm2 if hbm else tech.ddr_phy_mm2
    blocks = []
    for k in range(params.dram_channels):
        # DDR channels alternate west/east; HBM stacks sit two per side likewise.
        edge = "W" if k % 2 == 0 else "E"
        label = f"hbm{k}" if hbm else f"ddr{k}"
        blocks.append(BlockArea(f"{label}_phy", "io", phy, None, edge))
    blocks.append(
        BlockArea("pcie_phy", "io", params.pcie_lanes * tech.pcie_mm2_per_lane, None, "S")
    )
    for k in range(params.links):
        blocks.append(BlockArea(f"link{k}_phy", "io", tech.serdes_link_mm2, None, "N"))
    misc_edge = "W" if params.architecture == "inference" else "S"
    blocks.append(BlockArea("misc_io", "io", tech.misc_io_mm2, None, misc_edge))
    blocks.append(
        BlockArea("host_if", "host_interface", _logic_mm2(HOST_INTERFACE_FULL_ADDERS, params))
    )
    if params.links:
        blocks.append(BlockArea("router", "router", _logic_mm2(ROUTER_FULL_ADDERS, params)))
    return blocks


def chip_area(params: ChipParams, utilisation: float | None = None) -> AreaReport:
    """Areas of every block of ``params`` and the square die they need.

    Args:
        params: The chip.
        utilisation: Block area over die area; default ``params.utilisation``.

    Raises:
        ValueError: ``utilisation`` outside (0, 1].
    """
    util = params.utilisation if utilisation is None else utilisation
    if not (isinstance(util, int | float) and 0.0 < util <= 1.0):
        raise ValueError(f"utilisation must be a number in (0, 1]; got {util!r}")
    blocks = [b for core in range(params.cores) for b in _core_blocks(params, core)]
    blocks += _io_blocks(params)
    total = sum(b.area_mm2 for b in blocks)
    die = total / util
    return AreaReport(tuple(blocks), total, die, 1000.0 * math.sqrt(die), float(util))
