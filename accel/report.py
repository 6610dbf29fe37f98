"""Which placement a chip report scores by default: the hand-made floor plan or a packing.

The report itself (:func:`placement_env.chip_report.chip_report`) scores a placement, so it lives
above this package.
"""

from __future__ import annotations

from netlists import Design, Placement

#: What :func:`default_placement_and_name` names each placement it may return.
REFERENCE_FLOOR_PLAN = "reference floor plan (accel.reference_placement)"
SHELF_PACKING = "shelf packing (accel.floorplan.packed_placement)"


def default_placement_and_name(design: Design) -> tuple[Placement, str]:
    """The hand-made floor plan for a single-core inference chip, else the shelf packing, and
    which of the two it is (:data:`REFERENCE_FLOOR_PLAN` or :data:`SHELF_PACKING`)."""
    from accel.floorplan import packed_placement, reference_placement

    try:
        return reference_placement(design), REFERENCE_FLOOR_PLAN
    except ValueError:
        return packed_placement(design), SHELF_PACKING


def default_placement(design: Design) -> Placement:
    """The placement of :func:`default_placement_and_name`."""
    return default_placement_and_name(design)[0]
