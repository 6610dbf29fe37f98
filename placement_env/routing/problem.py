"""The global-routing problem: a gcell grid with edge capacities, and nets given as gcell pins.

The model follows the ISPD 2008 global-routing contest so that contest files round-trip
(:mod:`placement_env.routing.ispd08`):

* the routing region is ``nx`` x ``ny`` gcells (tiles of ``tile_width`` x ``tile_height``
  microns with the lower-left corner at ``origin``) on ``num_layers`` metal layers;
* each layer has a default capacity per gcell edge in *capacity units*, for its vertical and its
  horizontal edges (a layer routes one direction; the other is 0), plus the layer's minimum wire
  width, minimum spacing and via spacing;
* a wire of a net crossing an edge consumes ``max(net min width, layer min width) + layer min
  spacing`` units, so an edge holds ``capacity // (min width + min spacing)`` default tracks;
* capacity adjustments override single 3-D edges (blockages);
* a net is a list of pins ``(x, y, layer)`` in microns.

The routers work on the two-layer projection of that model (:meth:`RoutingProblem.tracks_2d`):
every horizontal layer's tracks summed onto the horizontal gcell edges and every vertical layer's
onto the vertical ones; a via joins the horizontal and the vertical layer at one gcell.

Array conventions used everywhere in :mod:`placement_env.routing`:

* ``h_tracks[x, y]`` is the edge between gcells ``(x, y)`` and ``(x + 1, y)``, shape
  ``(nx - 1, ny)``;
* ``v_tracks[x, y]`` is the edge between gcells ``(x, y)`` and ``(x, y + 1)``, shape
  ``(nx, ny - 1)``;
* gcell coordinates of a pin are ``(floor((x - origin_x) / tile_width), floor(... / tile_height))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class InvalidRoutingProblemError(ValueError):
    """A routing problem built in code (or read from a file) is inconsistent.

    Raised for a pin outside the grid, a negative capacity, a grid smaller than 1 x 1, layer
    lists of the wrong length, or an adjustment that does not name one edge between neighbours.
    The message says which net, pin, layer or edge.
    """


@dataclass(frozen=True, eq=False)
class RoutingNet:
    """One net to route (equal to another net with the same fields and equal pin arrays).

    Attributes:
        name: Net name.
        net_id: The net's integer id (ISPD 2008 files number them).
        pins: ``(k, 3)`` float array of pin ``x, y`` (microns) and ``layer`` (1-based, as in the
            contest files).
        min_width: The net's minimum wire width (capacity units).
    """

    name: str
    net_id: int
    pins: np.ndarray
    min_width: float = 1.0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RoutingNet):
            return NotImplemented
        return (self.name, self.net_id, self.min_width) == (
            other.name,
            other.net_id,
            other.min_width,
        ) and np.array_equal(np.asarray(self.pins), np.asarray(other.pins))

    __hash__ = None  # type: ignore[assignment] - the pins array is mutable


@dataclass(frozen=True)
class CapacityAdjustment:
    """A single 3-D gcell edge whose capacity differs from its layer's default.

    Attributes:
        a: ``(x, y, layer)`` of one end (gcell coordinates, 1-based layer).
        b: ``(x, y, layer)`` of the other end; a neighbour of ``a`` on the same layer.
        capacity: The edge's capacity in capacity units.
    """

    a: tuple[int, int, int]
    b: tuple[int, int, int]
    capacity: float


@dataclass(frozen=True)
class RoutingProblem:
    """A global-routing instance in the ISPD 2008 model (see the module docstring).

    Attributes:
        nx: Gcell columns.
        ny: Gcell rows.
        vertical_capacity: Per layer, the default capacity of its vertical edges (units).
        horizontal_capacity: Per layer, the default capacity of its horizontal edges (units).
        min_width: Per layer minimum wire width (units).
        min_spacing: Per layer minimum spacing (units).
        via_spacing: Per layer via spacing (units; carried for the file format only).
        origin: Lower-left corner ``(x, y)`` of the grid, microns.
        tile_width: Gcell width, microns.
        tile_height: Gcell height, microns.
        nets: The nets.
        adjustments: Edges whose capacity differs from the default.
        name: A label (file stem, design name, generator seed...).
    """

    nx: int
    ny: int
    vertical_capacity: tuple[float, ...]
    horizontal_capacity: tuple[float, ...]
    min_width: tuple[float, ...]
    min_spacing: tuple[float, ...]
    via_spacing: tuple[float, ...]
    origin: tuple[float, float]
    tile_width: float
    tile_height: float
    nets: tuple[RoutingNet, ...]
    adjustments: tuple[CapacityAdjustment, ...] = ()
    name: str = "routing"
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.nx < 1 or self.ny < 1:
            raise InvalidRoutingProblemError(
                f"grid must be at least 1 x 1, got {self.nx} x {self.ny}"
            )
        n_layers = len(self.vertical_capacity)
        if n_layers < 1:
            raise InvalidRoutingProblemError("a routing problem needs at least one layer")
        for label in ("horizontal_capacity", "min_width", "min_spacing", "via_spacing"):
            if len(getattr(self, label)) != n_layers:
                raise InvalidRoutingProblemError(
                    f"{label} has {len(getattr(self, label))} values for {n_layers} layers"
                )
        for label in ("vertical_capacity", "horizontal_capacity", "min_width", "min_spacing"):
            for layer, value in enumerate(getattr(self, label), start=1):
                if not np.isfinite(value) or value < 0:
                    raise InvalidRoutingProblemError(
                        f"{label} of layer {layer} must be finite and >= 0, got {value}"
                    )
        for layer in range(n_layers):
            if self.min_width[layer] + self.min_spacing[layer] <= 0:
                raise InvalidRoutingProblemError(
                    f"layer {layer + 1}: min width + min spacing must be > 0"
                )
        if not (self.tile_width > 0 and self.tile_height > 0):
            raise InvalidRoutingProblemError(
                f"tile size must be positive, got {self.tile_width} x {self.tile_height}"
            )
        for net in self.nets:
            pins = np.asarray(net.pins, dtype=float)
            if pins.ndim != 2 or pins.shape[1] != 3:
                raise InvalidRoutingProblemError(
                    f"net {net.name!r}: pins must be a (k, 3) array of x, y, layer"
                )
            if net.min_width < 0:
                raise InvalidRoutingProblemError(f"net {net.name!r}: negative min width")
            gx, gy = self._gcells(pins)
            layer = pins[:, 2]
            bad = (gx < 0) | (gx >= self.nx) | (gy < 0) | (gy >= self.ny)
            bad |= (layer < 1) | (layer > n_layers)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise InvalidRoutingProblemError(
                    f"net {net.name!r} pin {k} at ({pins[k, 0]:g}, {pins[k, 1]:g}, layer "
                    f"{pins[k, 2]:g}) is outside the {self.nx} x {self.ny} x {n_layers} grid"
                )
        for adj in self.adjustments:
            (x1, y1, l1), (x2, y2, l2) = adj.a, adj.b
            neighbours = l1 == l2 and abs(x1 - x2) + abs(y1 - y2) == 1
            inside = all(0 <= x < self.nx for x in (x1, x2)) and all(
                0 <= y < self.ny for y in (y1, y2)
            )
            if not (neighbours and inside and 1 <= l1 <= n_layers):
                raise InvalidRoutingProblemError(
                    f"capacity adjustment {adj.a} - {adj.b} is not one edge between neighbouring "
                    f"gcells of one layer inside the {self.nx} x {self.ny} x {n_layers} grid"
                )
            if not np.isfinite(adj.capacity) or adj.capacity < 0:
                raise InvalidRoutingProblemError(
                    f"capacity adjustment {adj.a} - {adj.b}: capacity must be >= 0, "
                    f"got {adj.capacity}"
                )

    @property
    def num_layers(self) -> int:
        return len(self.vertical_capacity)

    def _gcells(self, pins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gx = np.floor((pins[:, 0] - self.origin[0]) / self.tile_width).astype(np.int64)
        gy = np.floor((pins[:, 1] - self.origin[1]) / self.tile_height).astype(np.int64)
        return gx, gy

    def net_gcells(self, index: int) -> np.ndarray:
        """Distinct gcells ``(x, y)`` of net ``index``'s pins, int64 ``(m, 2)``, in pin order."""
        pins = np.asarray(self.nets[index].pins, dtype=float)
        gx, gy = self._gcells(pins)
        cells = np.stack([gx, gy], axis=1)
        _, first = np.unique(cells, axis=0, return_index=True)
        return cells[np.sort(first)]

    def track_pitch(self, layer: int) -> float:
        """Capacity units one default-width wire uses on ``layer`` (1-based)."""
        return self.min_width[layer - 1] + self.min_spacing[layer - 1]

    def layer_capacities(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-layer edge capacities in capacity units, adjustments applied.

        Returns:
            ``(h, v)``: ``h[l, x, y]`` of shape ``(L, nx - 1, ny)`` and ``v[l, x, y]`` of shape
            ``(L, nx, ny - 1)``; ``l`` is 0-based.
        """
        if "layers" not in self._cache:
            n = self.num_layers
            h = np.empty((n, max(self.nx - 1, 0), self.ny))
            v = np.empty((n, self.nx, max(self.ny - 1, 0)))
            for layer in range(n):
                h[layer] = self.horizontal_capacity[layer]
                v[layer] = self.vertical_capacity[layer]
            for adj in self.adjustments:
                (x1, y1, l1), (x2, y2, _) = adj.a, adj.b
                if y1 == y2:
                    h[l1 - 1, min(x1, x2), y1] = adj.capacity
                else:
                    v[l1 - 1, x1, min(y1, y2)] = adj.capacity
            h.setflags(write=False)
            v.setflags(write=False)
            self._cache["layers"] = (h, v)
        return self._cache["layers"]

    def tracks_2d(self) -> tuple[np.ndarray, np.ndarray]:
        """The two-layer projection: tracks per gcell edge (float, floor per layer).

        Returns:
            ``(h_tracks, v_tracks)`` with shapes ``(nx - 1, ny)`` and ``(nx, ny - 1)``.
        """
        if "2d" not in self._cache:
            h_layers, v_layers = self.layer_capacities()
            pitch = np.array([self.track_pitch(layer + 1) for layer in range(self.num_layers)])
            h = np.floor(h_layers / pitch[:, None, None]).sum(axis=0)
            v = np.floor(v_layers / pitch[:, None, None]).sum(axis=0)
            h.setflags(write=False)
            v.setflags(write=False)
            self._cache["2d"] = (h, v)
        return self._cache["2d"]

    @classmethod
    def two_layer(
        cls,
        h_tracks: np.ndarray,
        v_tracks: np.ndarray,
        nets: list[tuple[str, np.ndarray]],
        *,
        name: str = "routing",
    ) -> RoutingProblem:
        """A unit-tile two-layer problem (layer 1 horizontal, layer 2 vertical) from track arrays.

        Each distinct edge track count becomes a capacity adjustment where it differs from the
        most common value, so the problem writes to and reads back from an ISPD 2008 file.

        Args:
            h_tracks: ``(nx - 1, ny)`` non-negative integer track counts of horizontal edges.
            v_tracks: ``(nx, ny - 1)`` track counts of vertical edges.
            nets: ``(name, cells)`` pairs, ``cells`` an ``(k, 2)`` int array of gcell pins.
            name: A label.
        """
        h = np.asarray(h_tracks, dtype=float)
        v = np.asarray(v_tracks, dtype=float)
        nx, ny = h.shape[0] + 1, v.shape[1] + 1
        if v.shape != (nx, ny - 1):
            raise InvalidRoutingProblemError(
                f"h_tracks {h.shape} and v_tracks {v.shape} do not describe one grid"
            )
        if (h < 0).any() or (v < 0).any():
            raise InvalidRoutingProblemError("track counts must be >= 0")

        h_default, v_default, adjustments = two_layer_capacities(h, v)
        routing_nets = []
        for net_id, (net_name, cells) in enumerate(nets):
            cells = np.asarray(cells, dtype=float).reshape(-1, 2)
            # Pins at gcell centres on layer 1.
            pins = np.column_stack([cells + 0.5, np.ones(len(cells))])
            routing_nets.append(RoutingNet(str(net_name), net_id, pins, 1.0))
        return cls(
            nx=nx,
            ny=ny,
            vertical_capacity=(0.0, v_default),
            horizontal_capacity=(h_default, 0.0),
            min_width=(1.0, 1.0),
            min_spacing=(0.0, 0.0),
            via_spacing=(0.0, 0.0),
            origin=(0.0, 0.0),
            tile_width=1.0,
            tile_height=1.0,
            nets=tuple(routing_nets),
            adjustments=adjustments,
            name=name,
        )


def two_layer_capacities(
    h_tracks: np.ndarray, v_tracks: np.ndarray
) -> tuple[float, float, tuple[CapacityAdjustment, ...]]:
    """Per-edge tracks of a two-layer grid as ISPD 2008 layer defaults plus adjustments.

    Args:
        h_tracks: ``(nx - 1, ny)`` tracks of horizontal edges (layer 1).
        v_tracks: ``(nx, ny - 1)`` tracks of vertical edges (layer 2).

    Returns:
        ``(h_default, v_default, adjustments)``: the most common value of each array (0 when
        empty) and one adjustment per edge that differs from its default.
    """
    h = np.asarray(h_tracks, dtype=float)
    v = np.asarray(v_tracks, dtype=float)

    def default(values: np.ndarray) -> float:
        if values.size == 0:
            return 0.0
        uniq, counts = np.unique(values, return_counts=True)
        return float(uniq[np.argmax(counts)])

    h_default, v_default = default(h), default(v)
    adjustments = [
        CapacityAdjustment((int(x), int(y), 1), (int(x) + 1, int(y), 1), float(h[x, y]))
        for x, y in zip(*np.nonzero(h != h_default), strict=True)
    ] + [
        CapacityAdjustment((int(x), int(y), 2), (int(x), int(y) + 1, 2), float(v[x, y]))
        for x, y in zip(*np.nonzero(v != v_default), strict=True)
    ]
    return h_default, v_default, tuple(adjustments)
