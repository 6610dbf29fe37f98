"""The project's own readable design format (JSON, microns, centre coordinates).

Layout (``version`` 1)::

    {
      "format": "placement-gym-design", "version": 1, "name": "two_macros",
      "canvas": {"width": 10, "height": 10, "x_min": 0, "y_min": 0, "rows": [...optional...]},
      "nodes": [
        {"name": "M0", "kind": "hard_macro", "width": 2, "height": 2,
         "fixed": false, "x": 3, "y": 3, "orientation": "N"},
        {"name": "P0", "kind": "port", "x": 0, "y": 5}
      ],
      "pins": [{"node": "M0", "dx": 1, "dy": 0, "direction": "output", "name": "M0/o"}],
      "nets": [
        {"name": "n0", "weight": 1, "pins": [0, {"node": "P0"}], "driver": 0}
      ],
      "plc": {"grid_cols": 4, "grid_rows": 4, ...optional PlcSettings fields...}
    }

* ``kind`` is one of ``hard_macro``, ``soft_macro``, ``port``, ``std_cell``; ports default to size
  0 and ``fixed`` true, everything else to movable.
* A node with ``x`` and ``y`` is placed there; without them it is unplaced.
* A net's pin is either an index into ``pins`` (pins shared by several nets) or an inline object
  ``{"node", "dx", "dy", "direction", "name"}`` that creates a new pin.
* ``driver`` is the position of the driving pin in the net's ``pins`` list (optional).
* ``source_index`` (optional, one integer per node) keeps a source format's node numbering.
* ``timing`` (optional): ``clock_period_ns``, ``clock_to_q_ns``, ``setup_ns``, ``sequential``
  (names of registered blocks) and ``arcs``, each ``{"name", "from_pin", "to_pin", "before_ns",
  "after_ns", "stages"}`` with pin indices in the final numbering: the ``pins`` list first, then
  inline net pins in the order they appear (see :class:`netlists.timing.TimingGraph`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from netlists.design import Design
from netlists.errors import InvalidNetlistError, NetlistFormatError
from netlists.formats._text import read_text
from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.timing import TimingGraph
from netlists.types import Canvas, NodeKind, Orientation, PinDirection, PlcSettings, Row

FORMAT_NAME = "placement-gym-design"
_KINDS = {kind.name.lower(): kind for kind in NodeKind}
_DIRECTIONS = {d.name.lower(): d for d in PinDirection}


class _Reader:
    """Validates fields one by one, naming the JSON path of anything wrong."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, reason: str) -> NetlistFormatError:
        return NetlistFormatError(self.path, reason, field=where)

    def obj(self, value: object, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {type(value).__name__}")
        return value

    def arr(self, value: object, where: str) -> list:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {type(value).__name__}")
        return value

    def num(self, data: dict, key: str, where: str, default: float | None = None) -> float:
        value = data.get(key, default)
        if value is None:
            raise self.fail(f"{where}.{key}", "missing required number")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(f"{where}.{key}", f"expected a finite number, got {value!r}")
        return float(value)

    def text(self, data: dict, key: str, where: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"expected a string, got {value!r}")
        return value

    def flag(self, data: dict, key: str, where: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", f"expected true or false, got {value!r}")
        return value

    def choice(self, data: dict, key: str, where: str, allowed: dict, default: str):
        value = self.text(data, key, where, default).lower()
        if value not in allowed:
            raise self.fail(
                f"{where}.{key}", f"unknown value {value!r}; allowed: {', '.join(allowed)}"
            )
        return allowed[value]


def read_json(path: str | Path) -> Design:
    """Reads a design written in the project's JSON format (plain or gzipped).

    Raises:
        NetlistFormatError: Invalid JSON (with its line) or a field that is missing, of the wrong
            type, or inconsistent; the error's ``field`` is the JSON path (``nodes[3].width``).
    """
    path = Path(path)
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise NetlistFormatError(path, f"invalid JSON: {error.msg}", line=error.lineno) from None
    r = _Reader(path)
    data = r.obj(data, "$")
    if data.get("format", FORMAT_NAME) != FORMAT_NAME:
        raise r.fail("format", f"expected {FORMAT_NAME!r}, got {data.get('format')!r}")
    if data.get("version", 1) != 1:
        raise r.fail("version", f"unsupported version {data.get('version')!r}; allowed: 1")
    name = r.text(data, "name", "$", path.name.split(".")[0])
    canvas_data = r.obj(data.get("canvas"), "canvas")
    rows = tuple(
        _read_row(r, r.obj(row, f"canvas.rows[{i}]"), f"canvas.rows[{i}]")
        for i, row in enumerate(r.arr(canvas_data.get("rows", []), "canvas.rows"))
    )
    canvas = Canvas(
        width=r.num(canvas_data, "width", "canvas"),
        height=r.num(canvas_data, "height", "canvas"),
        x_min=r.num(canvas_data, "x_min", "canvas", 0.0),
        y_min=r.num(canvas_data, "y_min", "canvas", 0.0),
        rows=rows,
    )
    if canvas.width < 0 or canvas.height < 0:
        raise r.fail("canvas", "width and height must be non-negative")

    node_list = r.arr(data.get("nodes"), "nodes")
    n = len(node_list)
    names: list[str] = []
    index: dict[str, int] = {}
    kinds = np.zeros(n, dtype=np.int8)
    sizes = np.zeros((n, 2))
    fixed = np.zeros(n, dtype=bool)
    positions = np.zeros((n, 2))
    orientations = np.zeros(n, dtype=np.int8)
    placed = np.zeros(n, dtype=bool)
    for i, raw in enumerate(node_list):
        where = f"nodes[{i}]"
        node = r.obj(raw, where)
        node_name = r.text(node, "name", where)
        if node_name in index:
            raise r.fail(f"{where}.name", f"duplicate node name {node_name!r}")
        index[node_name] = i
        names.append(node_name)
        kind = r.choice(node, "kind", where, _KINDS, "hard_macro")
        kinds[i] = kind
        sizes[i] = (
            r.num(node, "width", where, 0.0 if kind == NodeKind.PORT else None),
            r.num(node, "height", where, 0.0 if kind == NodeKind.PORT else None),
        )
        if (sizes[i] < 0).any():
            raise r.fail(where, f"negative size {tuple(sizes[i])}")
        fixed[i] = r.flag(node, "fixed", where, kind == NodeKind.PORT)
        if ("x" in node) != ("y" in node):
            raise r.fail(where, "give both x and y, or neither")
        if "x" in node:
            positions[i] = (r.num(node, "x", where), r.num(node, "y", where))
            placed[i] = True
        try:
            orientations[i] = Orientation.parse(r.text(node, "orientation", where, "N"))
        except ValueError as error:
            raise r.fail(f"{where}.orientation", str(error)) from None

    pin_nodes: list[int] = []
    pin_offsets: list[tuple[float, float]] = []
    pin_dirs: list[int] = []
    pin_names: list[str] = []

    def add_pin(raw: object, where: str) -> int:
        pin = r.obj(raw, where)
        owner = r.text(pin, "node", where)
        if owner not in index:
            raise r.fail(f"{where}.node", f"unknown node {owner!r}")
        pin_nodes.append(index[owner])
        pin_offsets.append((r.num(pin, "dx", where, 0.0), r.num(pin, "dy", where, 0.0)))
        pin_dirs.append(r.choice(pin, "direction", where, _DIRECTIONS, "bidirectional"))
        pin_names.append(r.text(pin, "name", where, ""))
        return len(pin_nodes) - 1

    for k, raw in enumerate(r.arr(data.get("pins", []), "pins")):
        add_pin(raw, f"pins[{k}]")
    n_shared = len(pin_nodes)

    net_names: list[str] = []
    weights: list[float] = []
    starts = [0]
    net_pins: list[int] = []
    drivers: list[int] = []
    for j, raw in enumerate(r.arr(data.get("nets", []), "nets")):
        where = f"nets[{j}]"
        net = r.obj(raw, where)
        net_names.append(r.text(net, "name", where, f"net{j}"))
        weight = r.num(net, "weight", where, 1.0)
        if weight < 0:
            raise r.fail(f"{where}.weight", f"negative weight {weight}")
        weights.append(weight)
        members: list[int] = []
        for k, entry in enumerate(r.arr(net.get("pins"), f"{where}.pins")):
            if isinstance(entry, int) and not isinstance(entry, bool):
                if not 0 <= entry < n_shared:
                    raise r.fail(
                        f"{where}.pins[{k}]", f"pin index {entry} not in 0..{n_shared - 1}"
                    )
                members.append(entry)
            else:
                members.append(add_pin(entry, f"{where}.pins[{k}]"))
        driver = net.get("driver")
        if driver is None:
            drivers.append(-1)
        elif (
            isinstance(driver, int) and not isinstance(driver, bool) and 0 <= driver < len(members)
        ):
            drivers.append(members[driver])
        else:
            raise r.fail(f"{where}.driver", f"expected a position in 0..{len(members) - 1}")
        net_pins.extend(members)
        starts.append(len(net_pins))

    source_index = data.get("source_index")
    if source_index is not None:
        source_index = r.arr(source_index, "source_index")
        if len(source_index) != n or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in source_index
        ):
            raise r.fail("source_index", "expected one non-negative integer per node")
        if len(set(source_index)) != n:
            raise r.fail("source_index", "indices repeat")

    timing = None
    if "timing" in data:
        timing = _read_timing(r, r.obj(data["timing"], "timing"), index, len(pin_nodes))

    plc = None
    if "plc" in data:
        plc = _read_plc_settings(r, r.obj(data["plc"], "plc"))

    netlist = Netlist(
        name=name,
        canvas=canvas,
        node_names=tuple(names),
        node_kinds=kinds,
        node_sizes=sizes,
        node_fixed=fixed,
        pin_nodes=np.array(pin_nodes, dtype=np.int32),
        pin_offsets=np.array(pin_offsets, dtype=np.float64).reshape(-1, 2),
        pin_directions=np.array(pin_dirs, dtype=np.int8),
        pin_names=tuple(pin_names),
        net_names=tuple(net_names),
        net_weights=np.array(weights, dtype=np.float64),
        net_starts=np.array(starts, dtype=np.int64),
        net_pins=np.array(net_pins, dtype=np.int32),
        net_drivers=np.array(drivers, dtype=np.int32),
        source_index=None if source_index is None else np.array(source_index, dtype=np.int64),
        timing=timing,
    )
    return Design(netlist, Placement(positions, orientations, placed), plc=plc, source=str(path))


def _read_timing(r: _Reader, data: dict, index: dict[str, int], n_pins: int) -> TimingGraph:
    sequential = np.zeros(len(index), dtype=bool)
    for k, name in enumerate(r.arr(data.get("sequential", []), "timing.sequential")):
        if not isinstance(name, str) or name not in index:
            raise r.fail(f"timing.sequential[{k}]", f"unknown node {name!r}")
        sequential[index[name]] = True
    names, starts, ends, before, after, stages = [], [], [], [], [], []
    for k, raw in enumerate(r.arr(data.get("arcs", []), "timing.arcs")):
        where = f"timing.arcs[{k}]"
        arc = r.obj(raw, where)
        names.append(r.text(arc, "name", where, f"arc{k}"))
        for key, out in (("from_pin", starts), ("to_pin", ends)):
            value = arc.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n_pins:
                raise r.fail(f"{where}.{key}", f"expected a pin index in 0..{n_pins - 1}")
            out.append(value)
        before.append(r.num(arc, "before_ns", where, 0.0))
        after.append(r.num(arc, "after_ns", where, 0.0))
        count = r.num(arc, "stages", where, 0.0)
        if count < 0 or not count.is_integer():
            raise r.fail(f"{where}.stages", "expected a non-negative integer")
        stages.append(int(count))
    try:
        return TimingGraph(
            clock_period_ns=r.num(data, "clock_period_ns", "timing"),
            clock_to_q_ns=r.num(data, "clock_to_q_ns", "timing", 0.0),
            setup_ns=r.num(data, "setup_ns", "timing", 0.0),
            sequential=sequential,
            arc_names=tuple(names),
            arc_from_pin=np.array(starts, dtype=np.int32),
            arc_to_pin=np.array(ends, dtype=np.int32),
            arc_before_ns=np.array(before, dtype=np.float64),
            arc_after_ns=np.array(after, dtype=np.float64),
            arc_stages=np.array(stages, dtype=np.int32),
        )
    except InvalidNetlistError as error:
        raise r.fail("timing", str(error)) from None


def _timing_to_dict(netlist: Netlist) -> dict:
    timing = netlist.timing
    assert timing is not None
    return {
        "clock_period_ns": timing.clock_period_ns,
        "clock_to_q_ns": timing.clock_to_q_ns,
        "setup_ns": timing.setup_ns,
        "sequential": [netlist.node_names[i] for i in np.flatnonzero(timing.sequential)],
        "arcs": [
            {
                "name": timing.arc_names[k],
                "from_pin": int(timing.arc_from_pin[k]),
                "to_pin": int(timing.arc_to_pin[k]),
                "before_ns": float(timing.arc_before_ns[k]),
                "after_ns": float(timing.arc_after_ns[k]),
                "stages": int(timing.arc_stages[k]),
            }
            for k in range(timing.num_arcs)
        ],
    }


def _read_row(r: _Reader, row: dict, where: str) -> Row:
    num_sites = r.num(row, "num_sites", where)
    if num_sites < 0 or not num_sites.is_integer():
        raise r.fail(f"{where}.num_sites", "expected a non-negative integer")
    return Row(
        y=r.num(row, "y", where),
        height=r.num(row, "height", where),
        x=r.num(row, "x", where),
        num_sites=int(num_sites),
        site_width=r.num(row, "site_width", where, 1.0),
        site_spacing=r.num(row, "site_spacing", where, 1.0),
        site_orient=r.text(row, "site_orient", where, "N"),
        site_symmetry=r.text(row, "site_symmetry", where, "Y"),
    )


def _read_plc_settings(r: _Reader, data: dict) -> PlcSettings:
    known = {f.name for f in fields(PlcSettings)}
    unknown = set(data) - known
    if unknown:
        raise r.fail("plc", f"unknown keys {sorted(unknown)}; allowed: {sorted(known)}")
    values: dict[str, object] = {}
    for key in ("grid_cols", "grid_rows"):
        value = r.num(data, key, "plc")
        if value <= 0 or not value.is_integer():
            raise r.fail(f"plc.{key}", "expected a positive integer")
        values[key] = int(value)
    for key in known - {"grid_cols", "grid_rows", "blockages"}:
        if data.get(key) is not None:
            values[key] = r.num(data, key, "plc")
    blockages = []
    for i, item in enumerate(r.arr(data.get("blockages", []), "plc.blockages")):
        item = r.arr(item, f"plc.blockages[{i}]")
        if len(item) != 5:
            raise r.fail(f"plc.blockages[{i}]", "expected [x_min, y_min, x_max, y_max, rate]")
        blockages.append(tuple(r.num({"v": v}, "v", f"plc.blockages[{i}]") for v in item))
    values["blockages"] = tuple(blockages)
    return PlcSettings(**values)  # type: ignore[arg-type]


def design_to_dict(design: Design) -> dict:
    """The JSON-ready dictionary of ``design`` (every pin listed once, nets by pin index)."""
    netlist, placement = design.netlist, design.placement
    nodes = []
    for i, name in enumerate(netlist.node_names):
        kind = NodeKind(int(netlist.node_kinds[i]))
        node: dict[str, object] = {
            "name": name,
            "kind": kind.name.lower(),
            "width": float(netlist.node_sizes[i, 0]),
            "height": float(netlist.node_sizes[i, 1]),
            "fixed": bool(netlist.node_fixed[i]),
        }
        if placement.placed[i]:
            node["x"] = float(placement.positions[i, 0])
            node["y"] = float(placement.positions[i, 1])
        if placement.orientations[i]:
            node["orientation"] = Orientation(int(placement.orientations[i])).name
        nodes.append(node)
    pins = []
    for p in range(netlist.num_pins):
        pin: dict[str, object] = {"node": netlist.node_names[netlist.pin_nodes[p]]}
        dx, dy = netlist.pin_offsets[p]
        if dx or dy:
            pin["dx"], pin["dy"] = float(dx), float(dy)
        direction = PinDirection(int(netlist.pin_directions[p]))
        if direction != PinDirection.BIDIRECTIONAL:
            pin["direction"] = direction.name.lower()
        if netlist.pin_names[p]:
            pin["name"] = netlist.pin_names[p]
        pins.append(pin)
    nets = []
    for j, name in enumerate(netlist.net_names):
        members = netlist.net_pin_indices(j).tolist()
        net: dict[str, object] = {"name": name, "pins": members}
        if netlist.net_weights[j] != 1.0:
            net["weight"] = float(netlist.net_weights[j])
        if netlist.net_drivers[j] >= 0:
            net["driver"] = members.index(int(netlist.net_drivers[j]))
        nets.append(net)
    canvas = netlist.canvas
    result: dict[str, object] = {
        "format": FORMAT_NAME,
        "version": 1,
        "name": netlist.name,
        "canvas": {
            "width": canvas.width,
            "height": canvas.height,
            "x_min": canvas.x_min,
            "y_min": canvas.y_min,
            **({"rows": [asdict(row) for row in canvas.rows]} if canvas.rows else {}),
        },
        "nodes": nodes,
        "pins": pins,
        "nets": nets,
    }
    if netlist.timing is not None:
        result["timing"] = _timing_to_dict(netlist)
    if netlist.source_index is not None:
        result["source_index"] = netlist.source_index.tolist()
    if design.plc is not None:
        plc = {k: v for k, v in asdict(design.plc).items() if v is not None}
        plc["blockages"] = [list(b) for b in design.plc.blockages]
        result["plc"] = plc
    return result


def write_json(design: Design, path: str | Path, *, indent: int | None = 1) -> Path:
    """Writes ``design`` (netlist, placement, ``.plc`` settings) in the JSON format.

    A path ending in ``.gz`` is gzip-compressed. Returns the path written.
    """
    path = Path(path)
    text = json.dumps(design_to_dict(design), indent=indent)
    if path.suffix == ".gz":
        import gzip

        path.write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        path.write_text(text + "\n")
    return path
