"""A parameterised model of the TPU-like target chip: technology, area, performance, netlist.

Quick start::

    from accel import TPU_V1, build_chip, chip_area, peak_tops, reference_placement
    design = build_chip(TPU_V1)                    # a netlists.Design with timing arcs
    placement = reference_placement(design)        # the hand-made TPUv1 floor plan
    print(chip_area(TPU_V1).die_area_mm2, peak_tops(TPU_V1))

Layering: ``accel`` imports :mod:`netlists` and numpy; :mod:`placement_env` only inside
functions (the wire model) so that ``netlists <- accel <- placement_env`` holds.
"""

from accel.area import AreaReport, BlockArea, chip_area
from accel.chip import Bus, ChipNetlistSpec, Macro, build_chip, chip_spec, load_design
from accel.floorplan import reference_design, reference_placement
from accel.params import PRESETS, TPU_V1, TPU_V2, TPU_V3, ChipParams, preset, preset_name
from accel.performance import (
    SystolicEstimate,
    buffer_bytes_per_cycle,
    peak_ops_per_s,
    peak_tops,
    ridge_point,
    roofline_ops_per_s,
    systolic_estimate,
    weight_tile_bytes,
)
from accel.tech import (
    NUMBER_FORMATS,
    TECH_7NM,
    TECH_16NM,
    TECH_28NM,
    TECHNOLOGIES,
    NumberFormat,
    Technology,
    number_format,
    technology,
)

__all__ = [
    "NUMBER_FORMATS",
    "PRESETS",
    "TECHNOLOGIES",
    "TECH_16NM",
    "TECH_28NM",
    "TECH_7NM",
    "TPU_V1",
    "TPU_V2",
    "TPU_V3",
    "AreaReport",
    "BlockArea",
    "Bus",
    "ChipNetlistSpec",
    "ChipParams",
    "Macro",
    "NumberFormat",
    "SystolicEstimate",
    "Technology",
    "buffer_bytes_per_cycle",
    "build_chip",
    "chip_area",
    "chip_spec",
    "load_design",
    "number_format",
    "peak_ops_per_s",
    "peak_tops",
    "preset",
    "preset_name",
    "reference_design",
    "reference_placement",
    "ridge_point",
    "roofline_ops_per_s",
    "systolic_estimate",
    "technology",
    "weight_tile_bytes",
]
