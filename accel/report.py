"""A placed chip as a report: area, wirelength, legality, timing and throughput.

Units: areas in mm2, wirelength in microns (bit-weighted HPWL: each net's weight is its width),
slack in picoseconds, clock in MHz, throughput in TOPS (or TFLOPS).
"""

from __future__ import annotations

from accel.area import chip_area
from accel.params import ChipParams
from accel.performance import peak_tops, ridge_point
from netlists import Design, Placement


def default_placement(design: Design) -> Placement:
    """The hand-made floor plan for a single-core inference chip, else the shelf packing."""
    from accel.floorplan import packed_placement, reference_placement

    try:
        return reference_placement(design)
    except ValueError:
        return packed_placement(design)


def chip_report(params: ChipParams, design: Design, placement: Placement) -> dict[str, object]:
    """Area, wirelength, legality, timing and throughput of ``placement`` of ``design``.

    Keys: ``design``, ``technology``, ``die_area_mm2``, ``block_area_mm2``, ``utilisation``,
    ``macros``, ``nets``, ``hpwl`` (bit-weighted, microns), ``legal``, ``fmax_mhz``,
    ``target_mhz``, ``wns_ps``, ``worst_slack_ps``, ``tns_ps``, ``critical_path``,
    ``peak_tops`` (at the clock the placement reaches: ``min(f_max, target)``),
    ``peak_tops_at_target``, ``dram_gb_per_s``, ``ridge_macs_per_byte``.
    """
    from placement_env.legality import check_legality
    from placement_env.timing import analyse_timing
    from placement_env.wirelength import hpwl

    netlist = design.netlist
    area = chip_area(params)
    timing = analyse_timing(netlist, placement, params.technology.wire_model())
    clock = min(timing.fmax_mhz, params.clock_mhz)
    return {
        "design": netlist.name,
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
        "peak_tops": peak_tops(params, clock),
        "peak_tops_at_target": peak_tops(params),
        "dram_gb_per_s": params.dram_gb_per_s,
        "ridge_macs_per_byte": ridge_point(params, clock),
    }
