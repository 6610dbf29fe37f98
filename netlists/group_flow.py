"""The grouping flow: a flat design in; a clustered CT netlist and its ``initial.plc`` out.

:func:`group_flat_design` is what the command line runs. It follows Circuit Training's
``grouper.py``: choose the grid (unless a ``.plc`` gives it), group the standard cells (or apply a
given ``groups.final``), write the clustered netlist, and write ``initial.plc`` with the grid,
canvas and routing settings in its header and every node where the clustered netlist puts it
(hard macros and ports as in the flat design, soft macros at their cells' centroids).

Routing settings. The header's routes per micron and the routes hard macros use up are
technology figures (track pitches and layers, and how much of them macros block), which a flat
netlist does not carry, so they are parameters (:class:`RoutingSettings`). Their defaults are
Circuit Training's own (``placement_util.create_placement_cost``: 70.33 / 74.51 routes per micron,
51.79 / 51.79 used by macros, derived from public 7 nm figures with 18% of the tracks taken by
power, smoothing 2 in the release TILOS used, overlap threshold 0.004).
:data:`TILOS_ICCAD04_ROUTING` holds the values TILOS wrote for the ICCAD04 designs. A given
``.plc`` header's values win over both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from netlists.design import Design
from netlists.flat_design import flat_netlist_from_design
from netlists.formats.circuit_training import read_circuit_training, read_plc_header, write_plc
from netlists.grid_choice import GridSearch, choose_grid
from netlists.grouping import (
    FlatNetlist,
    GroupingSettings,
    apply_grouping,
    file_beside,
    group_design,
    read_flat_netlist,
    read_groups,
    write_grouped_netlist,
)
from netlists.partition import PartitionSettings, compute_groups
from netlists.types import NodeKind, PlcSettings

_log = logging.getLogger(__name__)

__all__ = ["TILOS_ICCAD04_ROUTING", "RoutingSettings", "group_flat_design"]


@dataclass(frozen=True)
class RoutingSettings:
    """The routing figures of a ``.plc`` header (technology inputs, not netlist data).

    Attributes:
        routes_per_micron_h: Horizontal routing tracks per micron.
        routes_per_micron_v: Vertical routing tracks per micron.
        macro_routes_h: Horizontal tracks per micron that hard macros block.
        macro_routes_v: Vertical tracks per micron that hard macros block.
        smoothing: Congestion smoothing range (grid cells).
        overlap_threshold: Macro overlap below which no overlap is counted (square microns).
    """

    routes_per_micron_h: float = 70.33
    routes_per_micron_v: float = 74.51
    macro_routes_h: float = 51.79
    macro_routes_v: float = 51.79
    smoothing: float = 2.0
    overlap_threshold: float = 0.004

    def plc_settings(
        self, layout: GroupingSettings, base: PlcSettings | None = None
    ) -> PlcSettings:
        """Header settings: this grid and canvas, ``base``'s routing figures where it has them,
        else these, and ``base``'s blockages."""

        def pick(mine: float, theirs: float | None) -> float:
            return theirs if theirs is not None else mine

        base = base or PlcSettings(grid_cols=layout.grid_cols, grid_rows=layout.grid_rows)
        return PlcSettings(
            grid_cols=layout.grid_cols,
            grid_rows=layout.grid_rows,
            routes_per_micron_h=pick(self.routes_per_micron_h, base.routes_per_micron_h),
            routes_per_micron_v=pick(self.routes_per_micron_v, base.routes_per_micron_v),
            macro_routes_h=pick(self.macro_routes_h, base.macro_routes_h),
            macro_routes_v=pick(self.macro_routes_v, base.macro_routes_v),
            smoothing=pick(self.smoothing, base.smoothing),
            overlap_threshold=pick(self.overlap_threshold, base.overlap_threshold),
            canvas_width=layout.canvas_width,
            canvas_height=layout.canvas_height,
            blockages=base.blockages,
        )


#: The routing figures of TILOS's ICCAD04 ``.plc`` files (``tilos_ct_clustered_initial.plc``).
TILOS_ICCAD04_ROUTING = RoutingSettings(65.957, 106.957, 30.304, 71.304, 2.0, 0.004)


def group_flat_design(
    source: str | Path | Design,
    out_dir: str | Path,
    *,
    groups_path: str | Path | None = None,
    plc_path: str | Path | None = None,
    settings: PartitionSettings = PartitionSettings(),  # noqa: B008 - frozen, shared safely
    routing: RoutingSettings = RoutingSettings(),  # noqa: B008
    seed: int = 0,
    scale: float = 1.0,
    grid: tuple[int, int] | None = None,
    search: GridSearch = GridSearch(),  # noqa: B008
    area_bloating_ratio: float = 2.0,
) -> tuple[Path, Path]:
    """Clusters a flat design into ``OUT/netlist.pb.txt.gz`` and ``OUT/initial.plc``.

    Args:
        source: A flat Circuit Training netlist (``.pb.txt[.gz]``) or a loaded flat
            :class:`~netlists.Design` (Bookshelf, DEF...; converted by
            :func:`~netlists.flat_design.flat_netlist_from_design`).
        out_dir: Output folder (created when missing).
        groups_path: A grouping to apply (``groups.final``); without one, a grouping is computed
            (:func:`~netlists.partition.compute_groups`).
        plc_path: A ``.plc`` whose header gives canvas, grid and routing figures. For a netlist
            file it defaults to ``initial.plc`` beside it; a design's canvas is its die.
        settings: How a grouping is computed.
        routing: Routing figures the ``.plc`` header lacks.
        seed: The partitioner's seed.
        scale: Microns per design unit of a :class:`~netlists.Design` (0.01 for ICCAD04 as
            TILOS ran it); ignored for a netlist file.
        grid: ``(cols, rows)``; by default the ``.plc``'s, else chosen from the movable hard
            macros (:func:`~netlists.grid_choice.choose_grid`; every macro of a netlist file,
            which marks none fixed).
        search: The grid candidates when the grid is chosen.
        area_bloating_ratio: Soft-macro area / cell area (CT's default 2, i.e. 50% cell
            utilisation; TILOS used 1 for ICCAD04).

    Returns:
        The netlist and ``.plc`` written.

    Raises:
        NetlistFormatError: A malformed netlist, groups file or ``.plc``.
        NetlistFormatError: Also (field ``plc``) for a netlist file without a ``.plc`` given or
            beside it.
        ValueError: The grid cannot be chosen (no hard macros) and none is given.
    """
    out_dir = Path(out_dir)
    if not isinstance(source, Design) and groups_path is not None and grid is None:
        return group_design(
            source,
            out_dir,
            groups_path=groups_path,
            plc_path=plc_path,
            area_bloating_ratio=area_bloating_ratio,
        )
    flat, layout, header = _flat_and_layout(source, plc_path, scale, grid, search)
    layout = replace(layout, area_bloating_ratio=area_bloating_ratio)
    if groups_path is not None:
        groups = read_groups(groups_path, flat.num_nodes)
    else:
        groups = compute_groups(flat, layout, settings, seed)
    is_cell = np.array([kind == "STDCELL" for kind in flat.types])
    _log.info(
        "%s: %d standard cells in %d groups (grid %dx%d)",
        flat.path,
        int(is_cell.sum()),
        len(np.unique(groups[is_cell])),
        layout.grid_cols,
        layout.grid_rows,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    netlist_path = write_grouped_netlist(
        apply_grouping(flat, groups, layout), out_dir / "netlist.pb.txt.gz"
    )
    plc_out = out_dir / "initial.plc"
    plc_out.unlink(missing_ok=True)  # read_circuit_training would read a stale one
    clustered = read_circuit_training(netlist_path)
    write_plc(clustered.netlist, clustered.placement, plc_out, routing.plc_settings(layout, header))
    return netlist_path, plc_out


def _flat_and_layout(
    source: str | Path | Design,
    plc_path: str | Path | None,
    scale: float,
    grid: tuple[int, int] | None,
    search: GridSearch,
) -> tuple[FlatNetlist, GroupingSettings, PlcSettings | None]:
    """The flat netlist, its canvas and grid, and the ``.plc`` header (if any)."""
    if isinstance(source, Design):
        flat = flat_netlist_from_design(source, scale=scale)
        netlist = source.netlist
        canvas = (netlist.canvas.width * scale, netlist.canvas.height * scale)
        movable = (netlist.node_kinds == NodeKind.HARD_MACRO) & ~netlist.node_fixed
        sizes = netlist.node_sizes[movable] * scale
    else:
        source = Path(source)
        flat = read_flat_netlist(source)
        if plc_path is None:
            plc_path = file_beside(source, "initial.plc", "plc")
        canvas = None
        sizes = np.array(
            [s for s, kind in zip(flat.sizes, flat.types, strict=True) if kind == "MACRO"],
            dtype=float,
        ).reshape(-1, 2)
    header = None
    if plc_path is not None:
        from_plc = GroupingSettings.from_plc(plc_path)
        header = read_plc_header(plc_path)
        canvas = (from_plc.canvas_width, from_plc.canvas_height)
        if grid is None:
            grid = (from_plc.grid_cols, from_plc.grid_rows)
    assert canvas is not None
    if grid is None:
        grid = choose_grid(sizes, canvas[0], canvas[1], search)
    return flat, GroupingSettings(canvas[0], canvas[1], grid[0], grid[1]), header
