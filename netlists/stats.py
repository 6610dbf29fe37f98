"""Design statistics, as ``python -m netlists info`` prints them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from netlists.design import Design
from netlists.json_text import finite_json
from netlists.types import NodeKind


@dataclass(frozen=True)
class DesignStats:
    """Counts and sizes of one design (the keys of ``python -m netlists info --json``).

    Attributes:
        name: Design name.
        nodes: All nodes (macros, clusters, cells, ports).
        terminals: Fixed nodes (Bookshelf terminals: pads and fixed blocks; CT ports).
        hard_macros: Hard macros, movable or fixed.
        movable_hard_macros: Hard macros a placer may move.
        fixed_blocks: Fixed nodes that are not ports (fixed macros and cells).
        soft_macros: Soft macros (standard-cell clusters).
        std_cells: Standard cells.
        ports: Ports and pads.
        nets: Nets.
        pins: (net, pin) incidences: Bookshelf ``NumPins``; drivers plus sinks for CT.
        distinct_pins: Pins counted once even when shared by several nets.
        hard_macro_pins: Distinct pins on hard macros.
        soft_macro_pins: Distinct pins on soft macros.
        weighted_nets: Sum of net weights (CT normalises wirelength by it).
        die_width: Die width (microns).
        die_height: Die height (microns).
        rows: Placement rows (0 where the format has none).
        grid_cols: Circuit Training grid columns, or ``None``.
        grid_rows: Circuit Training grid rows, or ``None``.
        hard_macro_area_fraction: Total hard-macro area over die area.
    """

    name: str
    nodes: int
    terminals: int
    hard_macros: int
    movable_hard_macros: int
    fixed_blocks: int
    soft_macros: int
    std_cells: int
    ports: int
    nets: int
    pins: int
    distinct_pins: int
    hard_macro_pins: int
    soft_macro_pins: int
    weighted_nets: float
    die_width: float
    die_height: float
    rows: int
    grid_cols: int | None
    grid_rows: int | None
    hard_macro_area_fraction: float

    def to_dict(self) -> dict[str, object]:
        """The statistics as a JSON-ready dictionary."""
        return asdict(self)


def design_stats(design: Design) -> DesignStats:
    """Computes the statistics of ``design``."""
    netlist = design.netlist
    kinds = netlist.node_kinds
    fixed = netlist.node_fixed
    pin_kinds = kinds[netlist.pin_nodes]
    hard = kinds == NodeKind.HARD_MACRO
    die_area = netlist.canvas.area
    macro_area = float(np.prod(netlist.node_sizes[hard], axis=1).sum())
    return DesignStats(
        name=netlist.name,
        nodes=netlist.num_nodes,
        terminals=int(fixed.sum()),
        hard_macros=int(hard.sum()),
        movable_hard_macros=int((hard & ~fixed).sum()),
        fixed_blocks=int((fixed & (kinds != NodeKind.PORT)).sum()),
        soft_macros=int((kinds == NodeKind.SOFT_MACRO).sum()),
        std_cells=int((kinds == NodeKind.STD_CELL).sum()),
        ports=int((kinds == NodeKind.PORT).sum()),
        nets=netlist.num_nets,
        pins=netlist.num_net_pins,
        distinct_pins=netlist.num_pins,
        hard_macro_pins=int((pin_kinds == NodeKind.HARD_MACRO).sum()),
        soft_macro_pins=int((pin_kinds == NodeKind.SOFT_MACRO).sum()),
        weighted_nets=float(netlist.net_weights.sum()),
        die_width=netlist.canvas.width,
        die_height=netlist.canvas.height,
        rows=len(netlist.canvas.rows),
        grid_cols=design.plc.grid_cols if design.plc else None,
        grid_rows=design.plc.grid_rows if design.plc else None,
        hard_macro_area_fraction=macro_area / die_area if die_area > 0 else 0.0,
    )


def format_report(report: dict[str, object], *, as_json: bool = False) -> str:
    """A flat report as indented JSON, or as an aligned ``key  value`` table (floats to 6 digits).

    Every command line of the project prints its reports through this.
    """
    if as_json:
        return finite_json(report, indent=1)
    width = max((len(key) for key in report), default=0)
    lines = []
    for key, value in report.items():
        shown = f"{value:.6g}" if isinstance(value, float) else value
        lines.append(f"{key:<{width}}  {shown}")
    return "\n".join(lines)
