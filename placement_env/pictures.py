"""Placement pictures with an optional heat map (density, RUDY or routing congestion) and nets.

:func:`save_placement_picture` draws the blocks with :func:`netlists.render.draw_placement` (the
same picture as :func:`netlists.render.save_placement_png`) and adds a heat map under them and,
optionally, the nets as stars from each net's pin centroid to its pins.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netlists import Netlist, Placement
from netlists.render import draw_placement, figure_size, save_figure
from placement_env.grid import Grid

HEATMAPS = (None, "density", "rudy", "congestion")

#: At most this many net segments are drawn (a deterministic subsample beyond it).
MAX_NET_SEGMENTS = 20000


def heatmap_values(
    netlist: Netlist,
    placement: Placement,
    kind: str,
    grid: Grid,
    settings: object | None = None,
) -> tuple[np.ndarray, str]:
    """(rows, cols) values of heat map ``kind`` on ``grid`` and the colour-bar label.

    ``"density"``: :func:`~placement_env.maps.density_map` (covered fraction of each bin);
    ``"rudy"``: :func:`~placement_env.maps.rudy_map`; ``"congestion"``: the larger of Circuit
    Training's H and V congestion (:func:`~placement_env.proxy_cost.routing_congestion_maps`,
    needs the ``.plc`` ``settings``; its own gcell grid replaces ``grid``).
    """
    from placement_env.maps import density_map, rudy_map

    if kind == "density":
        return density_map(netlist, placement, grid), "density (covered fraction)"
    if kind == "rudy":
        return rudy_map(netlist, placement, grid), "RUDY (1/µm)"
    if kind == "congestion":
        if settings is None:
            raise ValueError("heatmap='congestion' needs the design's .plc settings (settings=)")
        from placement_env.proxy_cost import routing_congestion_maps

        maps = routing_congestion_maps(netlist, placement, settings)
        return np.maximum(maps.horizontal, maps.vertical), "congestion (max of H, V)"
    raise ValueError(f"unknown heatmap {kind!r}; choose one of {HEATMAPS}")


def _net_segments(netlist: Netlist, placement: Placement) -> np.ndarray:
    """(k, 2, 2) segments from each net's pin centroid to its placed pins."""
    arrays = netlist.arrays
    keep = placement.placed[arrays.entry_node]
    pins = placement.pin_positions(netlist)[arrays.entry_pin[keep]]
    nets = arrays.entry_net[keep]
    count = np.bincount(nets, minlength=netlist.num_nets)
    sums = np.stack(
        [np.bincount(nets, weights=pins[:, k], minlength=netlist.num_nets) for k in (0, 1)], 1
    )
    centroid = sums / np.maximum(count, 1)[:, None]
    routed = count[nets] >= 2
    segments = np.stack([centroid[nets[routed]], pins[routed]], axis=1)
    if len(segments) > MAX_NET_SEGMENTS:
        segments = segments[:: int(np.ceil(len(segments) / MAX_NET_SEGMENTS))]
    return segments


def save_placement_picture(
    netlist: Netlist,
    placement: Placement,
    path: str | Path,
    *,
    nets: bool = False,
    heatmap: str | None = None,
    grid: int | tuple[int, int] = 32,
    settings: object | None = None,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Draws ``placement`` (blocks coloured by kind) with an optional heat map and nets; saves a
    PNG.

    Args:
        netlist: The design.
        placement: Its placement; unplaced nodes are not drawn.
        path: The PNG to write (parent folders are created).
        nets: Draw every net as thin lines from its pin centroid to its pins (at most
            ``MAX_NET_SEGMENTS`` segments).
        heatmap: ``None``, ``"density"``, ``"rudy"`` or ``"congestion"`` (see
            :func:`heatmap_values`), drawn under the blocks with a colour bar.
        grid: Bins of the density / RUDY map: an int (square) or ``(rows, cols)``.
        settings: The design's ``.plc`` settings (``design.plc``); needed for ``"congestion"``.
        title: Picture title (default: the netlist name, plus the heat map kind).
        dpi: Resolution.

    Returns:
        The path written.

    Raises:
        ValueError: Unknown ``heatmap``, or ``"congestion"`` without ``settings``.
    """
    if heatmap not in HEATMAPS:
        raise ValueError(f"unknown heatmap {heatmap!r}; choose one of {HEATMAPS}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Patch

    placement.check_matches(netlist)
    canvas = netlist.canvas
    rows, cols = (grid, grid) if isinstance(grid, int | np.integer) else tuple(grid)
    bins = Grid.over(canvas, int(rows), int(cols))
    fig, ax = plt.subplots(figsize=figure_size(netlist))
    if heatmap is not None:
        values, label = heatmap_values(netlist, placement, heatmap, bins, settings)
        image = ax.imshow(
            values,
            origin="lower",
            extent=(canvas.x_min, canvas.x_max, canvas.y_min, canvas.y_max),
            cmap="magma_r" if heatmap != "density" else "Greys",
            interpolation="nearest",
            zorder=0,
        )
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.02, label=label)
    handles = draw_placement(ax, netlist, placement)
    if nets:
        segments = _net_segments(netlist, placement)
        if len(segments):
            ax.add_collection(LineCollection(segments, colors="#3465a4", linewidths=0.2, alpha=0.3))
            handles.append(Patch(facecolor="#3465a4", label=f"net segments ({len(segments)})"))
    ax.set_title(title or (netlist.name + (f" — {heatmap}" if heatmap else "")))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.25, 1.0), fontsize=8)
    return save_figure(fig, path, dpi)
