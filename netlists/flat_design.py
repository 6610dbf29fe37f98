"""Any flat design (Bookshelf, LEF/DEF, JSON...) as a Circuit Training flat netlist for grouping.

:func:`flat_netlist_from_design` turns a :class:`~netlists.Design` whose blocks are hard macros,
standard cells and ports into the :class:`~netlists.grouping.FlatNetlist` that
:func:`~netlists.partition.compute_groups` and :func:`~netlists.grouping.apply_grouping` read:

* Nodes, in this order: ports (``PORT``), then each hard macro (``MACRO``) followed by its pins
  (``MACRO_PIN``, named ``<macro>/<pin name>``, or ``<macro>/P<k>`` for the ``k``-th pin of a
  macro when the format names no pins), then standard cells (``STDCELL``), each group in netlist
  order. A macro pin keeps its offset as stored (orientation ``N``); the macro's orientation
  comes from the placement, and the pin's position is the macro's centre plus the offset turned
  to that orientation.
* Nets: each net's driver drives the net's other pins: a standard cell or port drives through
  its node, a macro pin through its own node. A net without a known driver (``net_drivers`` is
  -1, e.g. a Bookshelf net whose pins are all ``B`` or ``I``) is driven by its first
  bidirectional pin, else by its first pin. A node driving several nets (a cell with two outputs,
  a port on two nets) drives the union of their sinks, in net order, with the first net's
  weight, since a Circuit Training node drives one net. Sinks on the driver's own node are
  dropped; repeated sinks are kept once.
* Geometry: coordinates are shifted so the canvas starts at ``(0, 0)`` and multiplied by
  ``scale`` (microns per design unit): TILOS fed the ICCAD04 Bookshelf designs to Circuit
  Training at ``scale = 0.01`` (ibm01's 2295 x 2304 die became a 22.95 x 23.04 canvas). Sizes and
  offsets scale alike. Unplaced nodes get no position. Numbers are rounded to float32, as a
  netlist file would store them.

Soft macros are refused: a design that has them is already clustered.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from netlists.design import Design
from netlists.grouping import FlatNetlist, node_lines
from netlists.types import NodeKind, Orientation, PinDirection

__all__ = ["flat_netlist_from_design", "write_flat_netlist"]


def _f32(value: float) -> float:
    return float(np.float32(value))


def flat_netlist_from_design(design: Design, *, scale: float = 1.0) -> FlatNetlist:
    """Converts ``design`` to a flat Circuit Training netlist (see the module docstring).

    Args:
        design: A flat design: hard macros, standard cells and ports.
        scale: Microns per design unit (0.01 for TILOS's ICCAD04 setup).

    Returns:
        The flat netlist; its canvas is ``design.netlist.canvas`` times ``scale``, from (0, 0).

    Raises:
        ValueError: ``scale`` is not positive, or the design has soft macros.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    netlist, placement = design.netlist, design.placement
    kinds = netlist.node_kinds
    if (kinds == NodeKind.SOFT_MACRO).any():
        name = netlist.node_names[int(np.flatnonzero(kinds == NodeKind.SOFT_MACRO)[0])]
        raise ValueError(
            f"{netlist.name}: soft macro {name!r}: a clustered design cannot be grouped again"
        )
    canvas = netlist.canvas
    origin = np.array([canvas.x_min, canvas.y_min])
    macro_pins: dict[int, list[int]] = {}
    for pin in np.flatnonzero(kinds[netlist.pin_nodes] == NodeKind.HARD_MACRO).tolist():
        macro_pins.setdefault(int(netlist.pin_nodes[pin]), []).append(pin)

    # Flat nodes: ("node", netlist node) or ("pin", netlist pin).
    order: list[tuple[str, int]] = [
        ("node", int(v)) for v in np.flatnonzero(kinds == NodeKind.PORT)
    ]
    for macro in np.flatnonzero(kinds == NodeKind.HARD_MACRO).tolist():
        order.append(("node", macro))
        order.extend(("pin", p) for p in macro_pins.get(macro, []))
    order.extend(("node", int(v)) for v in np.flatnonzero(kinds == NodeKind.STD_CELL))
    flat_of_node = {v: i for i, (what, v) in enumerate(order) if what == "node"}
    flat_of_pin = {p: i for i, (what, p) in enumerate(order) if what == "pin"}

    def flat_index(pin: int) -> int:
        return flat_of_pin.get(pin, flat_of_node[int(netlist.pin_nodes[pin])])

    sinks: list[dict[int, None]] = [{} for _ in order]
    weights = [1.0] * len(order)
    has_net = [False] * len(order)
    for net in range(netlist.num_nets):
        pins = netlist.net_pins[netlist.net_starts[net] : netlist.net_starts[net + 1]]
        if not len(pins):
            continue
        driver = _driver(netlist.net_drivers[net], pins, netlist.pin_directions)
        source = flat_index(driver)
        if not has_net[source]:
            has_net[source] = True
            weights[source] = _f32(netlist.net_weights[net])
        for pin in pins.tolist():
            sink = flat_index(pin)
            if sink != source:
                sinks[source][sink] = None

    names, types, xy, offsets, sizes, owners, orientations = [], [], [], [], [], [], []
    used: set[str] = set(netlist.node_names)
    pin_number: dict[int, int] = {}
    for what, index in order:
        if what == "pin":
            macro = int(netlist.pin_nodes[index])
            number = pin_number.get(macro, 0)
            pin_number[macro] = number + 1
            names.append(
                _pin_name(netlist.node_names[macro], netlist.pin_names[index], number, used)
            )
            types.append("MACRO_PIN")
            offset = tuple(_f32(v * scale) for v in netlist.pin_offsets[index])
            offsets.append(offset)
            sizes.append(None)
            owners.append(flat_of_node[macro])
            orientations.append(None)
            xy.append(_pin_xy(placement, macro, offset, origin, scale))
            continue
        kind = NodeKind(int(kinds[index]))
        names.append(netlist.node_names[index])
        types.append(_TYPES[kind])
        offsets.append(None)
        owners.append(-1)
        size = netlist.node_sizes[index]
        sizes.append(
            None if kind == NodeKind.PORT else (_f32(size[0] * scale), _f32(size[1] * scale))
        )
        if kind == NodeKind.HARD_MACRO:
            orientations.append(Orientation(int(placement.orientations[index])).name)
        else:
            orientations.append(None)
        if placement.placed[index]:
            x, y = (placement.positions[index] - origin) * scale
            xy.append((_f32(x), _f32(y)))
        else:
            xy.append(None)
    return FlatNetlist(
        path=Path(design.source or netlist.name),
        names=tuple(names),
        types=tuple(types),
        sinks=tuple(tuple(s) for s in sinks),
        weights=tuple(weights),
        xy=tuple(xy),
        offsets=tuple(offsets),
        sizes=tuple(sizes),
        sides=(None,) * len(order),
        owners=tuple(owners),
        orientations=tuple(orientations),
    )


_TYPES = {NodeKind.PORT: "PORT", NodeKind.HARD_MACRO: "MACRO", NodeKind.STD_CELL: "STDCELL"}


def _driver(driver: int, pins: np.ndarray, directions: np.ndarray) -> int:
    """The net's driver pin: as given, else its first bidirectional pin, else its first pin."""
    if driver >= 0:
        return int(driver)
    both = pins[directions[pins] == PinDirection.BIDIRECTIONAL]
    return int(both[0]) if len(both) else int(pins[0])


def _pin_name(macro: str, pin: str, number: int, used: set[str]) -> str:
    """``macro/pin`` (``macro/P<number>`` for an unnamed pin), made unique among ``used``."""
    base = f"{macro}/{pin}" if pin else f"{macro}/P{number}"
    name, extra = base, 1
    while name in used:
        name = f"{base}_{extra}"
        extra += 1
    used.add(name)
    return name


def _pin_xy(
    placement, macro: int, offset: tuple[float, float], origin: np.ndarray, scale: float
) -> tuple[float, float] | None:
    if not placement.placed[macro]:
        return None
    cx, cy = (placement.positions[macro] - origin) * scale
    dx, dy = Orientation(int(placement.orientations[macro])).transform(*offset)
    return _f32(_f32(cx) + dx), _f32(_f32(cy) + dy)


def write_flat_netlist(flat: FlatNetlist, path: str | Path) -> Path:
    """Writes a flat Circuit Training netlist (``.pb.txt``, or gzipped ``.pb.txt.gz``) in the
    layout of TILOS's flat files: lower-case types (``port``, ``macro``, ``macro_pin``,
    ``stdcell``), each driver's sinks as ``input`` entries, a ``weight`` where it is not 1.

    :func:`~netlists.grouping.read_flat_netlist` reads it back to ``flat`` (port sides aside:
    they are written only when known), and
    :func:`~netlists.formats.circuit_training.read_circuit_training` reads it as a design: this
    is how a LEF/DEF or Bookshelf design becomes a Circuit Training netlist.

    Returns:
        The path written.
    """
    lines: list[str] = []
    for i, name in enumerate(flat.names):
        kind = flat.types[i]
        attrs: dict[str, float | str] = {"type": kind.lower()}
        if flat.sizes[i] is not None:
            attrs["width"], attrs["height"] = flat.sizes[i]
        if flat.xy[i] is not None:
            attrs["x"], attrs["y"] = flat.xy[i]
        if flat.offsets[i] is not None:
            attrs["x_offset"], attrs["y_offset"] = flat.offsets[i]
        if flat.owners[i] >= 0:
            attrs["macro_name"] = flat.names[flat.owners[i]]
        if flat.orientations[i] is not None:
            attrs["orientation"] = flat.orientations[i]
        if flat.sides[i] is not None:
            attrs["side"] = flat.sides[i].lower()
        if flat.weights[i] != 1.0 and flat.sinks[i]:
            attrs["weight"] = flat.weights[i]
        lines.extend(node_lines(name, [flat.names[j] for j in flat.sinks[i]], attrs))
    text = "\n".join(lines) + "\n"
    path = Path(path)
    data = text.encode("utf-8")
    if path.name.lower().endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)
    return path
