"""The netlist: nodes, pins and weighted multi-pin nets, stored as flat arrays.

A :class:`Netlist` keeps one array per field (columnar storage) so that designs with half a million
pins load in seconds and fast kernels read them without conversion. Per-object views
(:class:`Node`, :class:`Pin`, :class:`Net`) are built on demand for people and tests, and
:meth:`Netlist.from_records` builds a netlist from such objects.

Conventions: lengths in microns; a pin offset is measured from its owner's centre with the owner in
orientation ``N`` (the placement's orientation is applied when pin positions are computed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from netlists.errors import InvalidNetlistError
from netlists.timing import TimingGraph
from netlists.types import Canvas, NodeKind, PinDirection


@dataclass(frozen=True)
class Node:
    """One block of a netlist (a view; the netlist stores arrays).

    Attributes:
        name: Unique name.
        kind: Hard macro, soft macro, port or standard cell.
        width: Width in orientation N (microns).
        height: Height in orientation N (microns).
        fixed: True when a placer must not move it (ports, ``/FIXED`` and terminal blocks).
    """

    name: str
    kind: NodeKind
    width: float
    height: float
    fixed: bool = False

    @property
    def area(self) -> float:
        """Area in square microns."""
        return self.width * self.height


@dataclass(frozen=True)
class Pin:
    """A connection point on a node.

    Attributes:
        node: Name of the owner node.
        dx: Offset from the owner's centre, orientation N (microns).
        dy: Offset from the owner's centre, orientation N (microns).
        direction: Input, output or bidirectional.
        name: Pin name where the format has one (Circuit Training), else ``""``.
    """

    node: str
    dx: float = 0.0
    dy: float = 0.0
    direction: PinDirection = PinDirection.BIDIRECTIONAL
    name: str = ""


@dataclass(frozen=True)
class Net:
    """A weighted multi-pin net.

    Attributes:
        name: Net name.
        pins: Its pins; a pin shared with other nets appears in each of them.
        weight: Net weight (dimensionless, default 1).
        driver: Position in ``pins`` of the driving pin, or ``None`` when the format has no driver.
    """

    name: str
    pins: tuple[Pin, ...]
    weight: float = 1.0
    driver: int | None = None


def _frozen_array(values: object, dtype: type, shape_tail: tuple[int, ...], field_name: str):
    array = np.ascontiguousarray(values, dtype=dtype)
    if array.ndim != 1 + len(shape_tail) or array.shape[1:] != shape_tail:
        raise InvalidNetlistError(
            f"{field_name} must have shape (n{''.join(f', {k}' for k in shape_tail)}), "
            f"got {array.shape}"
        )
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Netlist:
    """A design's connectivity and block sizes, validated on construction.

    Attributes:
        name: Design name.
        canvas: The die.
        node_names: (n_nodes,) unique node names.
        node_kinds: (n_nodes,) int8 :class:`NodeKind` codes.
        node_sizes: (n_nodes, 2) float64 width and height in orientation N (microns).
        node_fixed: (n_nodes,) bool, True for nodes a placer must not move.
        pin_nodes: (n_pins,) int32 owner node of each pin.
        pin_offsets: (n_pins, 2) float64 offset of each pin from its owner's centre (microns).
        pin_directions: (n_pins,) int8 :class:`PinDirection` codes.
        pin_names: (n_pins,) pin names, ``""`` where the format has none.
        net_names: (n_nets,) net names.
        net_weights: (n_nets,) float64 net weights.
        net_starts: (n_nets + 1,) int64 CSR offsets: net ``j`` has pins
            ``net_pins[net_starts[j]:net_starts[j + 1]]``.
        net_pins: (n_net_pins,) int32 pin indices, net by net.
        net_drivers: (n_nets,) int32 index into ``pin_nodes`` of each net's driver, -1 if unknown.
        source_index: (n_nodes,) int64 index of each node in its source file's own numbering
            (a Circuit Training ``.plc`` counts pins as nodes), or ``None`` for 0..n_nodes-1.
        timing: Block-level timing arcs (:class:`~netlists.timing.TimingGraph`), if any.

    Raises:
        InvalidNetlistError: On inconsistent shapes, indices out of range, negative sizes or
            duplicate node names.
    """

    name: str
    canvas: Canvas
    node_names: tuple[str, ...]
    node_kinds: np.ndarray
    node_sizes: np.ndarray
    node_fixed: np.ndarray
    pin_nodes: np.ndarray
    pin_offsets: np.ndarray
    pin_directions: np.ndarray
    pin_names: tuple[str, ...]
    net_names: tuple[str, ...]
    net_weights: np.ndarray
    net_starts: np.ndarray
    net_pins: np.ndarray
    net_drivers: np.ndarray
    source_index: np.ndarray | None = None
    timing: TimingGraph | None = None
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "node_names", tuple(self.node_names))
        put(self, "pin_names", tuple(self.pin_names))
        put(self, "net_names", tuple(self.net_names))
        put(self, "node_kinds", _frozen_array(self.node_kinds, np.int8, (), "node_kinds"))
        put(self, "node_sizes", _frozen_array(self.node_sizes, np.float64, (2,), "node_sizes"))
        put(self, "node_fixed", _frozen_array(self.node_fixed, np.bool_, (), "node_fixed"))
        put(self, "pin_nodes", _frozen_array(self.pin_nodes, np.int32, (), "pin_nodes"))
        put(self, "pin_offsets", _frozen_array(self.pin_offsets, np.float64, (2,), "pin_offsets"))
        put(
            self,
            "pin_directions",
            _frozen_array(self.pin_directions, np.int8, (), "pin_directions"),
        )
        put(self, "net_weights", _frozen_array(self.net_weights, np.float64, (), "net_weights"))
        put(self, "net_starts", _frozen_array(self.net_starts, np.int64, (), "net_starts"))
        put(self, "net_pins", _frozen_array(self.net_pins, np.int32, (), "net_pins"))
        put(self, "net_drivers", _frozen_array(self.net_drivers, np.int32, (), "net_drivers"))
        if self.source_index is not None:
            put(
                self, "source_index", _frozen_array(self.source_index, np.int64, (), "source_index")
            )
            if len(self.source_index) != len(self.node_names):
                raise InvalidNetlistError("source_index must have one entry per node")
            if len(np.unique(self.source_index)) != len(self.source_index):
                raise InvalidNetlistError("source_index repeats an index")
        self._validate()
        if self.timing is not None:
            pin_nets: list[set[int]] = [set() for _ in range(len(self.pin_nodes))]
            entry_net = np.repeat(np.arange(len(self.net_names)), np.diff(self.net_starts))
            for pin, net in zip(self.net_pins.tolist(), entry_net.tolist(), strict=True):
                pin_nets[pin].add(net)
            self.timing.check_against(len(self.node_names), self.pin_nodes, pin_nets)

    def _validate(self) -> None:
        n_nodes, n_pins, n_nets = len(self.node_names), len(self.pin_nodes), len(self.net_names)
        lengths = {
            "node_kinds": (len(self.node_kinds), n_nodes),
            "node_sizes": (len(self.node_sizes), n_nodes),
            "node_fixed": (len(self.node_fixed), n_nodes),
            "pin_offsets": (len(self.pin_offsets), n_pins),
            "pin_directions": (len(self.pin_directions), n_pins),
            "pin_names": (len(self.pin_names), n_pins),
            "net_weights": (len(self.net_weights), n_nets),
            "net_drivers": (len(self.net_drivers), n_nets),
            "net_starts": (len(self.net_starts), n_nets + 1),
        }
        for name, (got, want) in lengths.items():
            if got != want:
                raise InvalidNetlistError(f"{name} has {got} entries, expected {want}")
        index: dict[str, int] = {}
        for i, node_name in enumerate(self.node_names):
            if index.setdefault(node_name, i) != i:
                raise InvalidNetlistError(f"duplicate node name {node_name!r}")
        object.__setattr__(self, "_index", index)
        if (self.node_sizes < 0).any() or not np.isfinite(self.node_sizes).all():
            bad = int(np.flatnonzero(~(self.node_sizes >= 0).all(axis=1))[0])
            raise InvalidNetlistError(
                f"node {self.node_names[bad]!r} has a negative or non-finite size "
                f"{tuple(self.node_sizes[bad])}"
            )
        kinds = set(np.unique(self.node_kinds).tolist())
        if not kinds <= {int(k) for k in NodeKind}:
            raise InvalidNetlistError(f"unknown node kind codes {sorted(kinds)}")
        if n_pins and (self.pin_nodes.min() < 0 or self.pin_nodes.max() >= n_nodes):
            raise InvalidNetlistError("pin_nodes refers to a node that does not exist")
        if not np.isfinite(self.pin_offsets).all():
            raise InvalidNetlistError("pin_offsets holds a non-finite value")
        starts = self.net_starts
        if starts[0] != 0 or starts[-1] != len(self.net_pins) or (np.diff(starts) < 0).any():
            raise InvalidNetlistError("net_starts is not a valid CSR offset array")
        if len(self.net_pins) and (self.net_pins.min() < 0 or self.net_pins.max() >= n_pins):
            raise InvalidNetlistError("net_pins refers to a pin that does not exist")
        if not np.isfinite(self.net_weights).all() or (self.net_weights < 0).any():
            raise InvalidNetlistError("net_weights must be finite and non-negative")
        if n_nets and (self.net_drivers.min() < -1 or self.net_drivers.max() >= n_pins):
            raise InvalidNetlistError("net_drivers refers to a pin that does not exist")

    # -- sizes -----------------------------------------------------------------------------------

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_names)

    @property
    def num_pins(self) -> int:
        """Number of distinct pins (a pin shared by several nets counts once)."""
        return len(self.pin_nodes)

    @property
    def num_nets(self) -> int:
        """Number of nets."""
        return len(self.net_names)

    @property
    def num_net_pins(self) -> int:
        """Number of (net, pin) incidences: the Bookshelf ``NumPins``."""
        return len(self.net_pins)

    # -- lookups and views -----------------------------------------------------------------------

    def index_of(self, node_name: str) -> int:
        """Returns the index of the node called ``node_name``.

        Raises:
            KeyError: No node has that name.
        """
        return self._index[node_name]

    def node(self, index: int) -> Node:
        """Returns node ``index`` as a :class:`Node`."""
        width, height = self.node_sizes[index]
        return Node(
            name=self.node_names[index],
            kind=NodeKind(int(self.node_kinds[index])),
            width=float(width),
            height=float(height),
            fixed=bool(self.node_fixed[index]),
        )

    def nodes(self) -> Iterator[Node]:
        """Iterates over all nodes as :class:`Node` views."""
        return (self.node(i) for i in range(self.num_nodes))

    def pin(self, index: int) -> Pin:
        """Returns pin ``index`` as a :class:`Pin`."""
        dx, dy = self.pin_offsets[index]
        return Pin(
            node=self.node_names[self.pin_nodes[index]],
            dx=float(dx),
            dy=float(dy),
            direction=PinDirection(int(self.pin_directions[index])),
            name=self.pin_names[index],
        )

    def net_pin_indices(self, index: int) -> np.ndarray:
        """(k,) pin indices of net ``index``."""
        return self.net_pins[self.net_starts[index] : self.net_starts[index + 1]]

    def net(self, index: int) -> Net:
        """Returns net ``index`` as a :class:`Net`."""
        pin_indices = self.net_pin_indices(index).tolist()
        driver_pin = int(self.net_drivers[index])
        driver = pin_indices.index(driver_pin) if driver_pin >= 0 else None
        return Net(
            name=self.net_names[index],
            pins=tuple(self.pin(p) for p in pin_indices),
            weight=float(self.net_weights[index]),
            driver=driver,
        )

    def nets(self) -> Iterator[Net]:
        """Iterates over all nets as :class:`Net` views."""
        return (self.net(j) for j in range(self.num_nets))

    def nodes_of_kind(self, kind: NodeKind, *, movable_only: bool = False) -> np.ndarray:
        """(k,) int64 indices of the nodes of one kind, optionally only the movable ones."""
        mask = self.node_kinds == kind
        if movable_only:
            mask &= ~self.node_fixed
        return np.flatnonzero(mask)

    @property
    def file_indices(self) -> np.ndarray:
        """(n_nodes,) int64 node indices in the source format's numbering (see ``source_index``)."""
        if self.source_index is None:
            return np.arange(self.num_nodes, dtype=np.int64)
        return self.source_index

    @cached_property
    def arrays(self) -> NetlistArrays:
        """The flat CSR view used by fast kernels (built once, then cached)."""
        return NetlistArrays.from_netlist(self)

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def from_records(
        cls, name: str, canvas: Canvas, nodes: Sequence[Node], nets: Sequence[Net]
    ) -> Netlist:
        """Builds a netlist from :class:`Node` and :class:`Net` objects.

        A pin that appears in several nets with the same non-empty name and owner is stored once
        (Circuit Training's shared sink pins); unnamed pins are distinct per net.

        Raises:
            InvalidNetlistError: A net names an unknown node, a driver index is out of range, or
                node names repeat.
        """
        index = {node.name: i for i, node in enumerate(nodes)}
        if len(index) != len(nodes):
            seen: set[str] = set()
            duplicate = next(n.name for n in nodes if n.name in seen or seen.add(n.name))
            raise InvalidNetlistError(f"duplicate node name {duplicate!r}")
        pin_nodes: list[int] = []
        pin_offsets: list[tuple[float, float]] = []
        pin_dirs: list[int] = []
        pin_names: list[str] = []
        named_pins: dict[tuple[str, str], int] = {}
        starts = [0]
        net_pins: list[int] = []
        drivers: list[int] = []
        for net in nets:
            this_net: list[int] = []
            for pin in net.pins:
                if pin.node not in index:
                    raise InvalidNetlistError(f"net {net.name!r} names unknown node {pin.node!r}")
                key = (pin.node, pin.name)
                if pin.name and key in named_pins:
                    this_net.append(named_pins[key])
                    continue
                pin_index = len(pin_nodes)
                pin_nodes.append(index[pin.node])
                pin_offsets.append((pin.dx, pin.dy))
                pin_dirs.append(int(pin.direction))
                pin_names.append(pin.name)
                if pin.name:
                    named_pins[key] = pin_index
                this_net.append(pin_index)
            if net.driver is not None and not 0 <= net.driver < len(this_net):
                raise InvalidNetlistError(f"net {net.name!r} has driver {net.driver} out of range")
            drivers.append(-1 if net.driver is None else this_net[net.driver])
            net_pins.extend(this_net)
            starts.append(len(net_pins))
        return cls(
            name=name,
            canvas=canvas,
            node_names=tuple(node.name for node in nodes),
            node_kinds=np.array([int(n.kind) for n in nodes], dtype=np.int8),
            node_sizes=np.array([(n.width, n.height) for n in nodes], dtype=np.float64).reshape(
                -1, 2
            ),
            node_fixed=np.array([n.fixed for n in nodes], dtype=bool),
            pin_nodes=np.array(pin_nodes, dtype=np.int32),
            pin_offsets=np.array(pin_offsets, dtype=np.float64).reshape(-1, 2),
            pin_directions=np.array(pin_dirs, dtype=np.int8),
            pin_names=tuple(pin_names),
            net_names=tuple(net.name for net in nets),
            net_weights=np.array([net.weight for net in nets], dtype=np.float64),
            net_starts=np.array(starts, dtype=np.int64),
            net_pins=np.array(net_pins, dtype=np.int32),
            net_drivers=np.array(drivers, dtype=np.int32),
        )

    def restricted_to(self, keep: np.ndarray) -> Netlist:
        """The sub-netlist of the nodes ``keep`` (sorted indices) with their pins and the nets
        that keep at least two pins. HPWL over it equals HPWL over this netlist when only ``keep``
        nodes are placed. Timing arcs are not carried over."""
        netlist = self
        local = np.full(netlist.num_nodes, -1, dtype=np.int64)
        local[keep] = np.arange(len(keep))
        pins = np.flatnonzero(local[netlist.pin_nodes] >= 0)
        pin_local = np.full(netlist.num_pins, -1, dtype=np.int64)
        pin_local[pins] = np.arange(len(pins))
        mapped = pin_local[netlist.net_pins]
        net_of = np.repeat(np.arange(netlist.num_nets), np.diff(netlist.net_starts))
        alive = mapped >= 0
        counts = np.bincount(net_of[alive], minlength=netlist.num_nets)
        nets = np.flatnonzero(counts >= 2)
        entry_keep = alive & (counts[net_of] >= 2)
        drivers = netlist.net_drivers[nets]
        drivers = np.where(drivers >= 0, pin_local[np.maximum(drivers, 0)], -1)
        return Netlist(
            name=netlist.name,
            canvas=netlist.canvas,
            node_names=tuple(netlist.node_names[i] for i in keep),
            node_kinds=netlist.node_kinds[keep],
            node_sizes=netlist.node_sizes[keep],
            node_fixed=netlist.node_fixed[keep],
            pin_nodes=local[netlist.pin_nodes[pins]],
            pin_offsets=netlist.pin_offsets[pins],
            pin_directions=netlist.pin_directions[pins],
            pin_names=tuple(netlist.pin_names[i] for i in pins),
            net_names=tuple(netlist.net_names[j] for j in nets),
            net_weights=netlist.net_weights[nets],
            net_starts=np.concatenate(([0], np.cumsum(counts[nets]))),
            net_pins=mapped[entry_keep],
            net_drivers=drivers,
        )

    def same_as(self, other: Netlist) -> bool:
        """True when both netlists hold exactly the same nodes, pins, nets and canvas."""
        if not isinstance(other, Netlist):
            return False
        scalars = ("name", "canvas", "node_names", "pin_names", "net_names")
        arrays = (
            "node_kinds",
            "node_sizes",
            "node_fixed",
            "pin_nodes",
            "pin_offsets",
            "pin_directions",
            "net_weights",
            "net_starts",
            "net_pins",
            "net_drivers",
        )
        return (
            all(getattr(self, a) == getattr(other, a) for a in scalars)
            and all(np.array_equal(getattr(self, a), getattr(other, a)) for a in arrays)
            and np.array_equal(self.file_indices, other.file_indices)
            and (self.timing is None if other.timing is None else self.timing.same_as(other.timing))
        )


@dataclass(frozen=True, eq=False)
class NetlistArrays:
    """Flat arrays for kernels, one entry per (net, pin) incidence (DREAMPlace's layout).

    Attributes:
        net_starts: (n_nets + 1,) int64 CSR offsets into the entry arrays.
        entry_pin: (n_entries,) int32 pin of each incidence.
        entry_node: (n_entries,) int32 owner node of each incidence.
        entry_offset: (n_entries, 2) float64 pin offset (orientation N, microns).
        entry_net: (n_entries,) int32 net of each incidence.
        net_weights: (n_nets,) float64.
        node_sizes: (n_nodes, 2) float64 width, height (orientation N, microns).
        node_net_starts: (n_nodes + 1,) int64 CSR offsets into ``node_nets``.
        node_nets: (k,) int32 the nets touching each node (each net once per node).
    """

    net_starts: np.ndarray
    entry_pin: np.ndarray
    entry_node: np.ndarray
    entry_offset: np.ndarray
    entry_net: np.ndarray
    net_weights: np.ndarray
    node_sizes: np.ndarray
    node_net_starts: np.ndarray
    node_nets: np.ndarray

    @classmethod
    def from_netlist(cls, netlist: Netlist) -> NetlistArrays:
        """Gathers the per-incidence arrays of ``netlist``."""
        entry_pin = netlist.net_pins
        entry_node = netlist.pin_nodes[entry_pin]
        degrees = np.diff(netlist.net_starts)
        entry_net = np.repeat(np.arange(netlist.num_nets, dtype=np.int32), degrees)
        pairs = np.unique(
            entry_node.astype(np.int64) * max(netlist.num_nets, 1) + entry_net, return_index=False
        )
        pair_nodes = pairs // max(netlist.num_nets, 1)
        node_nets = (pairs % max(netlist.num_nets, 1)).astype(np.int32)
        node_net_starts = np.zeros(netlist.num_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(pair_nodes, minlength=netlist.num_nodes), out=node_net_starts[1:])
        arrays = cls(
            net_starts=netlist.net_starts,
            entry_pin=entry_pin,
            entry_node=entry_node.astype(np.int32),
            entry_offset=netlist.pin_offsets[entry_pin],
            entry_net=entry_net,
            net_weights=netlist.net_weights,
            node_sizes=netlist.node_sizes,
            node_net_starts=node_net_starts,
            node_nets=node_nets,
        )
        for value in vars(arrays).values():
            value.setflags(write=False)
        return arrays
