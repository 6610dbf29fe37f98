"""Wire delay from wire length: the :class:`WireModel` and the presets of the open PDKs.

The timing engine (:mod:`placement_env.timing`) uses a wire model to turn the placed length of
each timing arc (:mod:`netlists.timing`) into delay; :meth:`accel.tech.Technology.wire_model`
builds one per process node of the accelerator model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WireModel:
    """Wire delay from length: buffered-linear, with unbuffered Elmore for short wires.

    ``delay(L) = min(elmore(L), buffered_ns_per_mm * L + buffered_offset_ns)`` where
    ``elmore(L) = 0.69 R_d (c L + C_L) + r L (0.38 c L + 0.69 C_L)``: a short wire is driven
    directly, a long one is repeated (optimally repeated delay grows linearly, about
    ``1.5 sqrt(FO4 r c)`` per unit length).

    Attributes:
        name: Preset name.
        r_ohm_per_um: Wire resistance (ohm / micron).
        c_ff_per_um: Wire capacitance (fF / micron).
        buffered_ns_per_mm: Delay of an optimally repeated wire (ns / mm).
        buffered_offset_ns: Fixed cost of a repeated wire: one driver / repeater (ns).
        driver_ohm: Output resistance of the driving gate (ohm).
        load_ff: Input capacitance at the sink (fF).
    """

    name: str
    r_ohm_per_um: float
    c_ff_per_um: float
    buffered_ns_per_mm: float
    buffered_offset_ns: float
    driver_ohm: float
    load_ff: float

    def elmore_ns(self, length_um: np.ndarray) -> np.ndarray:
        """Unbuffered 50% delay of wires of the given lengths (ns)."""
        length = np.asarray(length_um, dtype=np.float64)
        r, c, rd, cl = self.r_ohm_per_um, self.c_ff_per_um, self.driver_ohm, self.load_ff
        ohm_ff = 0.69 * rd * (c * length + cl) + r * length * (0.38 * c * length + 0.69 * cl)
        return ohm_ff * 1e-6  # ohm x fF = 1e-15 s = 1e-6 ns

    def buffered_ns(self, length_um: np.ndarray) -> np.ndarray:
        """Delay of optimally repeated wires of the given lengths (ns)."""
        length = np.asarray(length_um, dtype=np.float64)
        return self.buffered_ns_per_mm * length / 1000.0 + self.buffered_offset_ns

    def delay_ns(self, length_um: np.ndarray) -> np.ndarray:
        """Delay of wires of the given lengths (ns): the faster of unbuffered and repeated."""
        return np.minimum(self.elmore_ns(length_um), self.buffered_ns(length_um))


# Wire RC from the open PDKs' set_wire_rc values; repeated-wire slopes from 1.5 sqrt(FO4 r c) with
# assumed FO4 delays (NanGate45 20 ps, ASAP7 8 ps); driver and load are assumptions (a mid-size
# gate driving one input), kept as parameters.
NANGATE45 = WireModel("nangate45_metal3", 3.571, 0.0889, 0.12, 0.03, 1000.0, 2.0)
NANGATE45_TOP = WireModel("nangate45_metal7", 0.1875, 0.10, 0.03, 0.03, 1000.0, 2.0)
ASAP7 = WireModel("asap7_signal", 32.3, 0.173, 0.32, 0.016, 2000.0, 1.0)
WIRE_MODELS = {model.name: model for model in (NANGATE45, NANGATE45_TOP, ASAP7)}
