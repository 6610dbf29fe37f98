"""Technology presets: what a bit of SRAM, a multiply-accumulate and a millimetre of wire cost.

Units: areas in square microns (um2), delays in nanoseconds (ns), lengths in microns or
millimetres as the attribute name says.

The multiplier of a multiply-accumulate (MAC) is modelled as an array of full adders: an
``n x n`` integer multiplier needs about ``n**2`` of them, a floating-point one multiplies the
significands, so ``(mantissa_bits + 1)**2`` (fp32 576, fp16 121, bf16 64). The adder, the pipeline
registers and, for floating point, the alignment shifter and normaliser are counted in the same
full-adder equivalents; a technology then says how much silicon one full-adder equivalent takes
once wiring and placement density are included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from netlists.wires import WireModel

#: Register bits cost about this many full-adder equivalents each (a flop is ~1.5 FA).
FLOP_FULL_ADDER_EQUIVALENT = 1.5


@dataclass(frozen=True)
class NumberFormat:
    """A number format of the matrix unit's inputs.

    Attributes:
        name: ``"int8"``, ``"bf16"``, ``"fp16"`` or ``"fp32"``.
        bits: Storage width of one value (bits).
        mantissa_bits: Stored fraction bits (floating point) or magnitude bits + sign (integer).
        is_float: True for floating-point formats.
        accumulator_bits: Width of the accumulator a product is added into (bits).
        pe_logic_fo4: Logic depth of the processing element's register-to-register path
            (multiply then accumulate), in fan-out-of-4 inverter delays.
    """

    name: str
    bits: int
    mantissa_bits: int
    is_float: bool
    accumulator_bits: int
    pe_logic_fo4: float

    @property
    def multiplier_full_adders(self) -> int:
        """Full adders of the significand multiplier: ``bits**2`` or ``(mantissa + 1)**2``."""
        width = self.mantissa_bits + 1 if self.is_float else self.bits
        return width * width

    @property
    def bytes(self) -> float:
        """Storage width of one value (bytes)."""
        return self.bits / 8

    def mac_full_adder_equivalents(self) -> float:
        """Size of one processing element (multiplier, adder, registers) in full adders.

        Counts the multiplier array, an accumulator-width adder, the registers a weight-stationary
        PE holds (two weights for double buffering, the passing input, the partial sum) and, for
        floating point, an alignment shifter and a normaliser (``2 x m x log2 m`` for an
        ``m``-bit accumulator significand).
        """
        register_bits = 3 * self.bits + self.accumulator_bits
        cells = (
            self.multiplier_full_adders
            + self.accumulator_bits
            + FLOP_FULL_ADDER_EQUIVALENT * register_bits
        )
        if self.is_float:
            significand = 24 if self.accumulator_bits == 32 else self.accumulator_bits // 2
            cells += 2 * significand * math.ceil(math.log2(significand))
        return float(cells)


NUMBER_FORMATS: dict[str, NumberFormat] = {
    f.name: f
    for f in (
        NumberFormat("int8", 8, 7, False, 32, 58.0),
        NumberFormat("bf16", 16, 7, True, 32, 64.0),
        NumberFormat("fp16", 16, 10, True, 32, 70.0),
        NumberFormat("fp32", 32, 23, True, 32, 90.0),
    )
}


def number_format(name: str) -> NumberFormat:
    """Returns the number format called ``name``.

    Raises:
        ValueError: Unknown format (the message lists the known ones).
    """
    try:
        return NUMBER_FORMATS[name]
    except KeyError:
        allowed = ", ".join(NUMBER_FORMATS)
        raise ValueError(f"number_format must be one of {allowed}; got {name!r}") from None


@dataclass(frozen=True)
class Technology:
    """A process node as the block model sees it.

    Attributes:
        name: Preset name, e.g. ``"28nm"``.
        node_nm: Feature size (nm).
        sram_um2_per_bit: Effective SRAM area per bit including periphery, banking, wide ports and
            ECC (um2/bit); 28 nm is calibrated so that TPUv1's 24 MiB buffer is 29% of its die.
        full_adder_um2: Placed area of one full-adder equivalent including local wiring (um2).
        fo4_ns: Fan-out-of-4 inverter delay (ns); logic depths in FO4 are converted with it.
        clock_to_q_ns: Register clock-to-output delay (ns).
        setup_ns: Register setup time (ns).
        wire_buffered_ns_per_mm: Delay of an optimally repeated intermediate-layer wire (ns/mm).
        wire_offset_ns: Fixed cost of driving a repeated wire (ns).
        wire_r_ohm_per_um: Wire resistance (ohm/um), for the unbuffered (Elmore) delay.
        wire_c_ff_per_um: Wire capacitance (fF/um).
        driver_ohm: Output resistance of a bus driver (ohm).
        load_ff: Input capacitance at a bus sink (fF).
        ddr_phy_mm2: Area of one DDR channel's PHY and pads (mm2).
        hbm_phy_mm2: Area of one HBM stack's PHY (mm2).
        pcie_mm2_per_lane: PCIe PHY area per lane (mm2).
        serdes_link_mm2: Area of one inter-chip link (SerDes and its share of the router) (mm2).
        misc_io_mm2: Clocks, PLLs, test and GPIO (mm2).
        routes_per_micron: Signal routing tracks per micron in each direction over free area, for
            the congestion estimate (macros block about 40% of them).
    """

    name: str
    node_nm: int
    sram_um2_per_bit: float
    full_adder_um2: float
    fo4_ns: float
    clock_to_q_ns: float
    setup_ns: float
    wire_buffered_ns_per_mm: float
    wire_offset_ns: float
    wire_r_ohm_per_um: float
    wire_c_ff_per_um: float
    driver_ohm: float
    load_ff: float
    ddr_phy_mm2: float
    hbm_phy_mm2: float
    pcie_mm2_per_lane: float
    serdes_link_mm2: float
    misc_io_mm2: float
    routes_per_micron: float

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, float) and not (math.isfinite(value) and value > 0):
                raise ValueError(f"Technology.{name} must be a positive finite number; got {value}")

    def mac_um2(self, fmt: NumberFormat | str) -> float:
        """Area of one processing element of the systolic array (um2)."""
        fmt = number_format(fmt) if isinstance(fmt, str) else fmt
        return fmt.mac_full_adder_equivalents() * self.full_adder_um2

    def wire_delay_ns(self, length_mm: float, *, buffered: bool = True) -> float:
        """Delay of a wire (ns): repeated (linear in length) or driven directly (Elmore).

        Both come from :meth:`wire_model`, the one wire-delay implementation of the project.
        """
        model = self.wire_model()
        length_um = 1000.0 * length_mm
        return float(model.buffered_ns(length_um) if buffered else model.elmore_ns(length_um))

    def wire_model(self) -> WireModel:
        """This node's :class:`netlists.wires.WireModel`."""
        return WireModel(
            f"accel_{self.name}",
            self.wire_r_ohm_per_um,
            self.wire_c_ff_per_um,
            self.wire_buffered_ns_per_mm,
            self.wire_offset_ns,
            self.driver_ohm,
            self.load_ff,
        )


# Area per bit: 28 nm calibrated on TPUv1; other nodes scaled with the high-density bit cell
# (about 0.127, 0.074 and 0.027 um2). Full adders scale with logic density. Wire and flop figures
# follow the research notes (repeated intermediate wires ~125/200/250 ps/mm).
TECH_28NM = Technology(
    name="28nm", node_nm=28, sram_um2_per_bit=0.4715, full_adder_um2=6.62, fo4_ns=0.022,
    clock_to_q_ns=0.08, setup_ns=0.05, wire_buffered_ns_per_mm=0.125, wire_offset_ns=0.03,
    wire_r_ohm_per_um=3.0, wire_c_ff_per_um=0.2, driver_ohm=1000.0, load_ff=2.0,
    ddr_phy_mm2=9.78, hbm_phy_mm2=16.0, pcie_mm2_per_lane=0.611, serdes_link_mm2=5.0,
    misc_io_mm2=3.26, routes_per_micron=20.0,
)  # fmt: skip
TECH_16NM = Technology(
    name="16nm", node_nm=16, sram_um2_per_bit=0.275, full_adder_um2=3.3, fo4_ns=0.0145,
    clock_to_q_ns=0.045, setup_ns=0.024, wire_buffered_ns_per_mm=0.2, wire_offset_ns=0.02,
    wire_r_ohm_per_um=18.7, wire_c_ff_per_um=0.22, driver_ohm=1500.0, load_ff=1.5,
    ddr_phy_mm2=8.0, hbm_phy_mm2=11.0, pcie_mm2_per_lane=0.5, serdes_link_mm2=3.0,
    misc_io_mm2=3.0, routes_per_micron=28.0,
)  # fmt: skip
TECH_7NM = Technology(
    name="7nm", node_nm=7, sram_um2_per_bit=0.10, full_adder_um2=1.1, fo4_ns=0.009,
    clock_to_q_ns=0.032, setup_ns=0.017, wire_buffered_ns_per_mm=0.25, wire_offset_ns=0.016,
    wire_r_ohm_per_um=21.6, wire_c_ff_per_um=0.22, driver_ohm=2000.0, load_ff=1.0,
    ddr_phy_mm2=7.0, hbm_phy_mm2=8.3, pcie_mm2_per_lane=0.4, serdes_link_mm2=2.0,
    misc_io_mm2=2.5, routes_per_micron=40.0,
)  # fmt: skip
TECHNOLOGIES: dict[str, Technology] = {t.name: t for t in (TECH_28NM, TECH_16NM, TECH_7NM)}


def technology(name: str) -> Technology:
    """Returns the technology preset called ``name`` (``"28nm"``, ``"16nm"``, ``"7nm"``).

    Raises:
        ValueError: Unknown preset (the message lists the known ones).
    """
    try:
        return TECHNOLOGIES[name]
    except KeyError:
        raise ValueError(
            f"technology must be one of {', '.join(TECHNOLOGIES)}; got {name!r}"
        ) from None
