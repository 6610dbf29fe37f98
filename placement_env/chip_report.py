"""A placed accelerator chip as a report: area, wirelength, legality, timing and throughput.

Units: areas in mm2, wirelength in microns (bit-weighted HPWL: each net's weight is its width),
slack in picoseconds, clock in MHz, throughput in TOPS (or TFLOPS).
"""

from __future__ import annotations

from accel.area import chip_area
from accel.params import ChipParams
from accel.performance import peak_tops, ridge_point
from netlists import Design, Placement
from placement_env.legality import check_legality
from placement_env.timing import analyse_timing
from placement_env.wirelength import hpwl


def chip_report(
    params: ChipParams, design: Design, placement: Placement, placement_name: str
) -> dict[str, object]:
    """Area, wirelength, legality, timing and throughput of ``placement`` of ``design``.

    Args:
        params: The chip's parameters (its published clock and peak).
        design: The chip as a design.
        placement: The placement scored.
        placement_name: What ``placement`` is (a file path, or the name from
            :func:`accel.report.default_placement_and_name`); reported as ``placement`` so that
            every placement-dependent figure says where it comes from.

    Keys: ``design``, ``placement``, ``technology``, ``die_area_mm2``, ``block_area_mm2``,
    ``utilisation``, ``macros``, ``nets``, ``hpwl`` (bit-weighted, microns), ``legal``,
    ``fmax_mhz``, ``target_mhz``, ``wns_ps``, ``worst_slack_ps``, ``tns_ps``, ``critical_path``,
    ``clock_mhz`` (the clock this placement runs at: ``min(f_max, target)``),
    ``peak_tops_at_placed_clock`` (the peak at ``clock_mhz``: depends on the placement),
    ``peak_tops_at_target_clock`` (the published peak, at ``target_mhz``: placement-free),
    ``dram_gb_per_s``, ``ridge_macs_per_byte`` (at ``clock_mhz``).
    """
    netlist = design.netlist
    area = chip_area(params)
    timing = analyse_timing(netlist, placement, params.technology.wire_model())
    clock = min(timing.fmax_mhz, params.clock_mhz)
    return {
        "design": netlist.name,
        "placement": placement_name,
        "technology": params.technology.name,
        "die_area_mm2": netlist.canvas.area / 1e6,
        "block_area_mm2": area.block_area_mm2,
        "utilisation": area.block_area_mm2 / (netlist.canvas.area / 1e6),
        "macros": netlist.num_nodes,
        "nets": netlist.num_nets,
        "hpwl": float(hpwl(netlist, placement)),
        "legal": bool(check_legality(netlist, placement).is_legal),
        "fmax_mhz": float(timing.fmax_mhz),
        "target_mhz": params.clock_mhz,
        "wns_ps": 1000.0 * timing.wns_ns,
        "worst_slack_ps": 1000.0 * timing.worst_slack_ns,
        "tns_ps": 1000.0 * timing.tns_ns,
        "critical_path": list(timing.critical_path),
        "clock_mhz": float(clock),
        "peak_tops_at_placed_clock": peak_tops(params, clock),
        "peak_tops_at_target_clock": peak_tops(params),
        "dram_gb_per_s": params.dram_gb_per_s,
        "ridge_macs_per_byte": ridge_point(params, clock),
    }
