"""Circuit Training: protobuf text netlists (``netlist.pb.txt[.gz]``) and ``.plc`` placements.

Netlist semantics (Circuit Training, as read by TILOS's open evaluator):

* Clustered netlists write types in upper case and use case to tell macros apart: ``MACRO`` is a
  hard macro, ``macro`` a soft macro (a standard-cell cluster), ``MACRO_PIN`` / ``macro_pin`` their
  pins (``macro_name``, ``x_offset``, ``y_offset``), ``PORT`` a port, ``STDCELL`` a standard cell.
  Flat and older netlists write every type in lower case; there ``macro`` is a hard macro. So a
  lower-case ``macro`` is soft only in a file that uses upper-case types.
* Every node that has ``input`` entries drives one net: the driver is that node (a pin, a port or
  a standard cell) and the sinks are the named inputs. The net weight is the driver's ``weight``
  attribute (default 1).
* Hard-macro pin offsets are stored as written (orientation N); the macro's ``orientation``
  attribute becomes the placement's orientation, which rotates them.
* ``__metadata__`` nodes are skipped. A ``.plc`` counts every other node, pins included, in file
  order: :attr:`Netlist.source_index` keeps that numbering.

``.plc`` files hold a commented header (grid, canvas, routing settings, blockages) and one line per
placed node: ``node_index x y orientation fixed`` with centre coordinates.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from netlists.design import Design
from netlists.errors import NetlistFormatError
from netlists.formats._text import format_number, parse_float, parse_int, read_text
from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import Canvas, NodeKind, Orientation, PinDirection, PlcSettings

_BLOCK_KINDS = {
    "MACRO": NodeKind.HARD_MACRO,
    "macro": NodeKind.SOFT_MACRO,
    "PORT": NodeKind.PORT,
    "port": NodeKind.PORT,
    "STDCELL": NodeKind.STD_CELL,
    "stdcell": NodeKind.STD_CELL,
}
_PIN_TYPES = {"MACRO_PIN", "macro_pin"}

# One statement of protobuf text format: 'name {' opens a message, '}' closes one, and
# 'key: "string"' or 'key: number' sets a field. Anything else is an error.
_STATEMENT = re.compile(
    r"[ \t\r\n]*(?:#[^\n]*|(\w+)[ \t]*:?[ \t]*\{|(\})|(\w+)[ \t]*:[ \t]*"
    r'(?:"((?:[^"\\\n]|\\.)*)"|([^\s{}"#]+))|(\S))'
)


class _Record:
    """One ``node { ... }`` message: its name, inputs, attributes and where each one is written.

    ``where`` maps ``"name"`` and each attribute key to the text offset of its value, and
    ``input_offsets`` holds the offset of each ``input``, so errors can name their exact line.
    """

    __slots__ = ("name", "inputs", "input_offsets", "attrs", "where", "offset", "_lines")

    def __init__(self, offset: int, lines: _LineIndex) -> None:
        self.name: str | None = None
        self.inputs: list[str] = []
        self.input_offsets: list[int] = []
        self.attrs: dict[str, str | float] = {}
        self.where: dict[str, int] = {}
        self.offset = offset
        self._lines = lines

    @property
    def line(self) -> int:
        """1-based line where the record starts (computed on demand: only errors need it)."""
        return self._lines(self.offset)

    def line_of(self, key: str) -> int:
        """1-based line of the name or attribute ``key``, or of the record when it is absent."""
        offset = self.where.get(key)
        return self.line if offset is None else self._lines(offset)


def _unescape(text: str) -> str:
    """Resolves backslash escapes; raises UnicodeDecodeError on a malformed one."""
    if "\\" not in text:
        return text
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


_FIELD_START = re.compile(r'(\w+)[ \t]*:[ \t]*("?)')


def _unexpected(text: str, offset: int) -> str:
    """Says what is wrong with the text at ``offset``, which no statement of the grammar matches."""
    field = _FIELD_START.match(text, offset)
    if field is None:
        return f"unexpected character {text[offset]!r}"
    if field.group(2):
        return f"unterminated string in field {field.group(1)!r} (a string must end on its line)"
    return f"field {field.group(1)!r} has no value"


def _parse_records(text: str, path: Path) -> list[_Record]:
    records: list[_Record] = []
    stack: list[str] = []  # open message names
    record: _Record | None = None
    attr_key: str | None = None
    attr_value: str | float | None = None
    attr_offset = 0
    line_of = _LineIndex(text)
    end = 0
    for match in _STATEMENT.finditer(text):
        end = match.end()
        opened, closed, key, string, number, bad = match.groups()
        if bad is not None:
            raise NetlistFormatError(
                path, _unexpected(text, match.start(6)), line=line_of(match.start(6))
            )
        if opened is not None:
            depth = len(stack)
            if depth == 0 and opened != "node":
                raise NetlistFormatError(
                    path, f"expected 'node {{', got '{opened} {{'", line=line_of(match.start(1))
                )
            if depth == 0:
                record = _Record(match.start(1), line_of)
            elif depth == 1 and opened == "attr":
                attr_key, attr_value = None, None
            elif opened == "node":
                raise NetlistFormatError(
                    path,
                    f"'node {{' inside '{stack[-1]}' (is a '}}' missing before it?)",
                    line=line_of(match.start(1)),
                )
            elif not (depth == 2 and opened == "value"):
                raise NetlistFormatError(
                    path, f"unexpected message '{opened}'", line=line_of(match.start(1))
                )
            stack.append(opened)
            continue
        if closed is not None:
            if not stack:
                raise NetlistFormatError(path, "unbalanced '}'", line=line_of(match.start(2)))
            done = stack.pop()
            if done == "attr":
                if attr_key is None or attr_value is None:
                    raise NetlistFormatError(
                        path, "attr without key or value", line=line_of(match.start(2))
                    )
                assert record is not None
                if attr_key in record.attrs:
                    raise NetlistFormatError(
                        path,
                        f"node {record.name!r} has attribute {attr_key!r} twice",
                        line=line_of(attr_offset),
                        field=attr_key,
                    )
                record.attrs[attr_key] = attr_value
                record.where[attr_key] = attr_offset
            elif done == "node":
                assert record is not None
                if record.name is None:
                    raise NetlistFormatError(path, "node without a name", line=record.line)
                records.append(record)
                record = None
            continue
        if key is None:
            continue  # whitespace or a comment
        depth = len(stack)
        value: str | float
        if string is not None:
            try:
                value = _unescape(string)
            except UnicodeDecodeError as error:
                raise NetlistFormatError(
                    path,
                    f"bad escape in string {string!r}: {error.reason}",
                    line=line_of(match.start(4)),
                    field=key,
                ) from None
        else:
            try:
                value = float(number)
            except ValueError:
                value = float("nan")
            if value != value or value in (float("inf"), float("-inf")):
                # Not a finite number: parse_float raises, naming the attribute when there is one.
                field = attr_key if depth == 3 and attr_key else key
                value = parse_float(number, path, line_of(match.start(5)), field)
        if depth == 1 and key == "input" and isinstance(value, str):
            record.inputs.append(value)  # type: ignore[union-attr]
            record.input_offsets.append(match.start(3))  # type: ignore[union-attr]
        elif depth == 1 and key == "name" and isinstance(value, str):
            assert record is not None
            if record.name is not None:
                raise NetlistFormatError(
                    path,
                    f"node {record.name!r} has a second name {value!r}",
                    line=line_of(match.start(3)),
                    field="name",
                )
            record.name = value
            record.where["name"] = match.start(3)
        elif depth == 2 and key == "key" and isinstance(value, str) and attr_key is None:
            attr_key = value
        elif depth == 3 and key in ("f", "i", "d", "placeholder", "s", "b") and attr_value is None:
            attr_value = value
            attr_offset = match.start(3)
        elif depth in (2, 3) and key in ("key", "f", "i", "d", "placeholder", "s", "b"):
            raise NetlistFormatError(
                path,
                f"attr {attr_key!r} has a second {'key' if depth == 2 else 'value'}",
                line=line_of(match.start(3)),
                field=key,
            )
        else:
            raise NetlistFormatError(
                path, f"unexpected field {key!r} here", line=line_of(match.start(3)), field=key
            )
    if stack or text[end:].strip():
        inside = stack[-1] if stack else "?"
        raise NetlistFormatError(
            path, f"file ends inside '{inside}' (truncated?)", line=line_of(end)
        )
    return records


class _LineIndex:
    """Maps a character offset to its 1-based line number (computed only on demand)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __call__(self, offset: int) -> int:
        return self._text.count("\n", 0, offset) + 1


def _number(record: _Record, key: str, path: Path, default: float | None = None) -> float:
    value = record.attrs.get(key, default)
    if value is None:
        raise NetlistFormatError(
            path, f"{record.name!r} lacks attribute {key!r}", line=record.line, field=key
        )
    if not isinstance(value, float):
        raise NetlistFormatError(
            path,
            f"{record.name!r}: attribute {key!r} must be a number, got {value!r}",
            line=record.line_of(key),
            field=key,
        )
    return value


def _weight(record: _Record, path: Path) -> float:
    """The ``weight`` attribute of a net's driver: a non-negative number, 1 when absent."""
    weight = _number(record, "weight", path, 1.0)
    if weight < 0:
        raise NetlistFormatError(
            path,
            f"{record.name!r} has negative weight {weight}",
            line=record.line_of("weight"),
            field="weight",
        )
    return weight


def read_circuit_training(netlist_path: str | Path, plc_path: str | Path | None = None) -> Design:
    """Reads a Circuit Training netlist and, when given or found beside it, its ``.plc``.

    Args:
        netlist_path: ``netlist.pb.txt`` or ``netlist.pb.txt.gz``.
        plc_path: The placement; defaults to ``initial.plc`` in the same folder when it exists.

    Returns:
        The design. Without a ``.plc`` the canvas comes from a ``# FP bbox`` comment or, failing
        that, the bounding box of the nodes' coordinates.

    Raises:
        NetlistFormatError: A malformed netlist or ``.plc``, or a ``.plc`` of another design (its
            header counts other numbers of macros, ports or cells).
    """
    netlist_path = Path(netlist_path)
    text = read_text(netlist_path)
    records = _parse_records(text, netlist_path)
    netlist, placement = _build(records, netlist_path, text)
    found_beside = False
    if plc_path is None and netlist_path.name.startswith("netlist.pb.txt"):
        # Only a clustered ``netlist.pb.txt`` owns the ``initial.plc`` beside it: TILOS keeps
        # flat netlists in the same folder, and the .plc numbers the clustered nodes.
        candidate = netlist_path.parent / "initial.plc"
        found_beside = candidate.is_file()
        plc_path = candidate if found_beside else None
    settings = None
    if plc_path is not None:
        try:
            settings, placement = _apply_plc(Path(plc_path), netlist, placement)
        except NetlistFormatError as error:
            if not found_beside:
                raise
            raise NetlistFormatError(
                error.path,
                f"{error.reason} (read as the placement of {netlist_path.name} because it lies "
                "beside it; pass the right .plc explicitly or move this one)",
                line=error.line,
                field=error.field,
            ) from None
        if (
            settings is not None
            and settings.canvas_width is not None
            and settings.canvas_height is not None
        ):
            canvas = Canvas(settings.canvas_width, settings.canvas_height)
            netlist = replace(netlist, canvas=canvas)
    return Design(netlist, placement, plc=settings, source=str(netlist_path))


def _build(records: list[_Record], path: Path, text: str) -> tuple[Netlist, Placement]:
    names: list[str] = []
    kinds: list[int] = []
    sizes: list[tuple[float, float]] = []
    positions: list[tuple[float, float]] = []
    placed: list[bool] = []
    orientations: list[int] = []
    source_index: list[int] = []
    node_of: dict[str, int] = {}
    pin_records: list[tuple[int, _Record]] = []  # (file index, record) of pin nodes
    file_index = 0
    seen: set[str] = set()
    upper_case_types = any(
        isinstance(r.attrs.get("type"), str) and r.attrs["type"].isupper() for r in records
    )
    for record in records:
        name = record.name
        assert name is not None
        if name == "__metadata__":
            continue
        if name in seen:
            raise NetlistFormatError(
                path, f"duplicate node name {name!r}", line=record.line_of("name"), field="name"
            )
        seen.add(name)
        kind_text = record.attrs.get("type")
        if not isinstance(kind_text, str):
            raise NetlistFormatError(
                path, f"node {name!r} has no type", line=record.line, field="type"
            )
        if kind_text in _PIN_TYPES:
            pin_records.append((file_index, record))
            file_index += 1
            continue
        if kind_text not in _BLOCK_KINDS:
            allowed = ", ".join(sorted({*_BLOCK_KINDS, *_PIN_TYPES}))
            raise NetlistFormatError(
                path,
                f"node {name!r} has unknown type {kind_text!r}; allowed: {allowed}",
                line=record.line_of("type"),
                field="type",
            )
        kind = _BLOCK_KINDS[kind_text]
        if kind == NodeKind.SOFT_MACRO and not upper_case_types:
            kind = NodeKind.HARD_MACRO
        if kind == NodeKind.PORT:
            width = height = 0.0
        else:
            width = _number(record, "width", path)
            height = _number(record, "height", path)
            if width < 0 or height < 0:
                bad = "width" if width < 0 else "height"
                raise NetlistFormatError(
                    path,
                    f"node {name!r} has negative size {width} x {height}",
                    line=record.line_of(bad),
                    field=bad,
                )
        has_xy = "x" in record.attrs and "y" in record.attrs
        x = _number(record, "x", path, 0.0)
        y = _number(record, "y", path, 0.0)
        orientation_text = record.attrs.get("orientation", "N")
        try:
            orientation = Orientation.parse(str(orientation_text))
        except ValueError as error:
            raise NetlistFormatError(
                path, str(error), line=record.line_of("orientation"), field="orientation"
            ) from None
        node_of[name] = len(names)
        names.append(name)
        kinds.append(int(kind))
        sizes.append((width, height))
        positions.append((x, y))
        placed.append(has_xy)
        orientations.append(int(orientation))
        source_index.append(file_index)
        file_index += 1

    # Pins: macro pins first (in file order), then the nodes that are their own pin.
    pin_of: dict[str, int] = {}
    pin_nodes: list[int] = []
    pin_offsets: list[tuple[float, float]] = []
    pin_names: list[str] = []
    pin_weights: list[float] = []
    for _, record in pin_records:
        owner_name = record.attrs.get("macro_name")
        if not isinstance(owner_name, str) or owner_name not in node_of:
            raise NetlistFormatError(
                path,
                f"pin {record.name!r} names unknown macro {owner_name!r}",
                line=record.line_of("macro_name"),
                field="macro_name",
            )
        pin_of[record.name] = len(pin_nodes)  # type: ignore[index]
        pin_nodes.append(node_of[owner_name])
        pin_offsets.append(
            (_number(record, "x_offset", path, 0.0), _number(record, "y_offset", path, 0.0))
        )
        pin_names.append(record.name)  # type: ignore[arg-type]
        pin_weights.append(_weight(record, path))
    block_records = {r.name: r for r in records if r.name in node_of}

    def pin_index(name: str, record: _Record, offset: int) -> int:
        found = pin_of.get(name)
        if found is not None:
            return found
        node = node_of.get(name)
        if node is None:
            raise NetlistFormatError(
                path,
                f"unknown node {name!r} in the inputs of {record.name!r}",
                line=record._lines(offset),
                field="input",
            )
        pin_of[name] = len(pin_nodes)
        pin_nodes.append(node)
        pin_offsets.append((0.0, 0.0))
        pin_names.append(name)
        pin_weights.append(_weight(block_records[name], path))
        return pin_of[name]

    net_names: list[str] = []
    net_weights: list[float] = []
    starts = [0]
    net_pins: list[int] = []
    drivers: list[int] = []
    for record in records:
        if not record.inputs or record.name == "__metadata__":
            continue
        driver = pin_index(record.name, record, record.offset)  # type: ignore[arg-type]
        members = [driver]
        for sink, offset in zip(record.inputs, record.input_offsets, strict=True):
            members.append(pin_index(sink, record, offset))
        net_names.append(record.name)  # type: ignore[arg-type]
        net_weights.append(pin_weights[driver])
        drivers.append(driver)
        net_pins.extend(members)
        starts.append(len(net_pins))
    directions = np.full(len(pin_nodes), PinDirection.INPUT, dtype=np.int8)
    directions[np.array(drivers, dtype=np.int64)] = PinDirection.OUTPUT

    canvas = _canvas_guess(text, np.array(positions).reshape(-1, 2), np.array(sizes).reshape(-1, 2))
    netlist = Netlist(
        name=path.parent.name if path.name.startswith("netlist") else path.name.split(".")[0],
        canvas=canvas,
        node_names=tuple(names),
        node_kinds=np.array(kinds, dtype=np.int8),
        node_sizes=np.array(sizes, dtype=np.float64).reshape(-1, 2),
        node_fixed=np.array(kinds) == NodeKind.PORT,
        pin_nodes=np.array(pin_nodes, dtype=np.int32),
        pin_offsets=np.array(pin_offsets, dtype=np.float64).reshape(-1, 2),
        pin_directions=directions,
        pin_names=tuple(pin_names),
        net_names=tuple(net_names),
        net_weights=np.array(net_weights, dtype=np.float64),
        net_starts=np.array(starts, dtype=np.int64),
        net_pins=np.array(net_pins, dtype=np.int32),
        net_drivers=np.array(drivers, dtype=np.int32),
        source_index=np.array(source_index, dtype=np.int64),
    )
    placement = Placement(
        np.array(positions, dtype=np.float64).reshape(-1, 2),
        np.array(orientations, dtype=np.int8),
        np.array(placed, dtype=bool),
    )
    return netlist, placement


_FP_BBOX = re.compile(r"#\s*FP bbox:\s*\{\s*(\S+)\s+(\S+)\s*\}\s*\{\s*(\S+)\s+(\S+)\s*\}")


def _canvas_guess(text: str, positions: np.ndarray, sizes: np.ndarray) -> Canvas:
    match = _FP_BBOX.search(text[:4096])
    if match:
        try:
            x0, y0, x1, y1 = (float(v) for v in match.groups())
            if x1 > x0 and y1 > y0 and math.isfinite(x1 - x0) and math.isfinite(y1 - y0):
                return Canvas(x1 - x0, y1 - y0, x0, y0)
        except ValueError:
            pass
    if len(positions) == 0:
        return Canvas(0.0, 0.0)
    high = (positions + sizes / 2).max(axis=0)
    return Canvas(float(max(high[0], 0.0)), float(max(high[1], 0.0)))


# -- .plc ---------------------------------------------------------------------------------------

_HEADER_NUMBERS = {
    "columns": re.compile(r"Columns\s*:\s*(\S+)\s+Rows\s*:\s*(\S+)"),
    "size": re.compile(r"Width\s*:\s*(\S+)\s+Height\s*:\s*(\S+)"),
    "routes": re.compile(r"Routes per micron, hor\s*:\s*(\S+)\s+ver\s*:\s*(\S+)"),
    "macro_routes": re.compile(r"Routes used by macros, hor\s*:\s*(\S+)\s+ver\s*:\s*(\S+)"),
    "smoothing": re.compile(r"Smoothing factor\s*:\s*(\S+)"),
    "overlap": re.compile(r"Overlap threshold\s*:\s*(\S+)"),
    "blockage": re.compile(r"Blockage\s*:\s*(.*)"),
    # Files without an "Overlap threshold" line give it on the viewer command line.
    "viewer_overlap": re.compile(r"--overlap_threshold[ =](\S+)"),
}


def read_plc(
    path: str | Path, netlist: Netlist, base: Placement | None = None
) -> tuple[PlcSettings | None, Placement]:
    """Reads a ``.plc`` onto ``netlist``.

    Args:
        path: The ``.plc`` file.
        netlist: The netlist it places (its :attr:`~Netlist.file_indices` resolve node indices).
        base: Placement for nodes the file does not list (default: :meth:`Placement.empty`).

    Returns:
        The header settings (``None`` when the header has no grid line) and the placement.

    Raises:
        NetlistFormatError: Malformed lines, unknown node indices, bad orientations, or header
            node counts (``HARD_MACROs``, ``PORTs``...) that are not the netlist's.
    """
    return _apply_plc(Path(path), netlist, base or Placement.empty(netlist))


def _apply_plc(
    path: Path, netlist: Netlist, base: Placement
) -> tuple[PlcSettings | None, Placement]:
    text = read_text(path)
    header: dict[str, object] = {}
    lookup = {int(f): i for i, f in enumerate(netlist.file_indices)}
    positions = base.positions.copy()
    orientations = base.orientations.copy()
    placed = base.placed.copy()
    seen: set[int] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            _read_header_line(stripped, header, path, number)
            continue
        tokens = stripped.split()
        if len(tokens) != 5:
            raise NetlistFormatError(
                path, "expected 'node_index x y orientation fixed'", line=number
            )
        if not (tokens[0].isascii() and tokens[0].isdigit()):
            raise NetlistFormatError(
                path, f"node index {tokens[0]!r} is not an integer", line=number, field="node_index"
            )
        node = lookup.get(int(tokens[0]))
        if node is None:
            raise NetlistFormatError(
                path,
                f"node index {tokens[0]} is not a macro, port or cell of {netlist.name!r}",
                line=number,
                field="node_index",
            )
        if node in seen:
            raise NetlistFormatError(path, f"node index {tokens[0]} listed twice", line=number)
        seen.add(node)
        x = parse_float(tokens[1], path, number, "x")
        y = parse_float(tokens[2], path, number, "y")
        if tokens[3] != "-":
            try:
                orientations[node] = Orientation.parse(tokens[3])
            except ValueError as error:
                raise NetlistFormatError(
                    path, str(error), line=number, field="orientation"
                ) from None
        if tokens[4] not in ("0", "1"):
            raise NetlistFormatError(
                path, f"fixed flag must be 0 or 1, got {tokens[4]!r}", line=number, field="fixed"
            )
        positions[node] = (x, y)
        placed[node] = True
    _check_counts(header, netlist, path)
    return _settings(header), Placement(positions, orientations, placed)


def _settings(header: dict[str, object]) -> PlcSettings | None:
    settings = None
    if "columns" in header:
        cols, rows = header["columns"]  # type: ignore[misc]
        width_height = header.get("size", (None, None))
        routes = header.get("routes", (None, None))
        macro_routes = header.get("macro_routes", (None, None))
        settings = PlcSettings(
            grid_cols=int(cols),
            grid_rows=int(rows),
            routes_per_micron_h=routes[0],  # type: ignore[index]
            routes_per_micron_v=routes[1],  # type: ignore[index]
            macro_routes_h=macro_routes[0],  # type: ignore[index]
            macro_routes_v=macro_routes[1],  # type: ignore[index]
            smoothing=header.get("smoothing"),  # type: ignore[arg-type]
            overlap_threshold=header.get("overlap", header.get("viewer_overlap")),  # type: ignore[arg-type]
            canvas_width=width_height[0],  # type: ignore[index]
            canvas_height=width_height[1],  # type: ignore[index]
            blockages=tuple(header.get("blockages", ())),  # type: ignore[arg-type]
        )
    return settings


# The "Counts of node types" block; a .plc whose counts differ from the netlist's places another
# design (its node indices may still happen to fit).
_HEADER_COUNT = re.compile(r"#\s*(HARD_MACROs|SOFT_MACROs|MACROs|PORTs|STDCELLs)\s*:\s*(\S+)\s*$")
_COUNTED_KINDS = {
    "HARD_MACROs": (NodeKind.HARD_MACRO,),
    "SOFT_MACROs": (NodeKind.SOFT_MACRO,),
    "MACROs": (NodeKind.HARD_MACRO, NodeKind.SOFT_MACRO),
    "PORTs": (NodeKind.PORT,),
    "STDCELLs": (NodeKind.STD_CELL,),
}


def _check_counts(header: dict[str, object], netlist: Netlist, path: Path) -> None:
    """Raises when the header's node counts are not the netlist's."""
    counts: dict[str, tuple[int, int]] = header.get("counts", {})  # type: ignore[assignment]
    for name, (declared, number) in counts.items():
        actual = int(np.isin(netlist.node_kinds, _COUNTED_KINDS[name]).sum())
        if declared != actual:
            raise NetlistFormatError(
                path,
                f"the header counts {declared} {name} but {netlist.name!r} has {actual}: "
                "is it a placement of another design?",
                line=number,
                field=name,
            )


def _read_header_line(line: str, header: dict[str, object], path: Path, number: int) -> None:
    count = _HEADER_COUNT.match(line)
    if count is not None:
        value = parse_int(count.group(2), path, number, count.group(1))
        header.setdefault("counts", {})[count.group(1)] = (value, number)  # type: ignore[index]
        return
    for key, pattern in _HEADER_NUMBERS.items():
        match = pattern.search(line)
        if match is None:
            continue
        if key == "blockage":
            values = match.group(1).split()
            if len(values) != 5:
                raise NetlistFormatError(
                    path,
                    "expected 'Blockage : x_min y_min x_max y_max rate'",
                    line=number,
                    field="Blockage",
                )
            blockage = tuple(parse_float(v, path, number, "Blockage") for v in values)
            header.setdefault("blockages", []).append(blockage)  # type: ignore[union-attr]
            return
        values = [parse_float(v, path, number, key) for v in match.groups()]
        if key == "columns" and not all(v.is_integer() and v > 0 for v in values):
            raise NetlistFormatError(
                path, "Columns and Rows must be positive integers", line=number, field="Columns"
            )
        if key == "size" and any(v <= 0 for v in values):
            raise NetlistFormatError(
                path, "canvas size must be positive", line=number, field="Width"
            )
        header[key] = values if len(values) > 1 else values[0]
        return


def read_plc_header(path: str | Path) -> PlcSettings | None:
    """Reads only the header settings of a ``.plc`` (``None`` when it has no grid line)."""
    path = Path(path)
    header: dict[str, object] = {}
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            _read_header_line(stripped, header, path, number)
    return _settings(header)


def write_plc(
    netlist: Netlist,
    placement: Placement,
    path: str | Path,
    settings: PlcSettings | None = None,
) -> Path:
    """Writes ``placement`` as a Circuit Training ``.plc`` with a full header.

    Every placed hard macro, soft macro, port and standard cell gets a line; ports and fixed nodes
    are written fixed (``1``). Node indices use :attr:`Netlist.file_indices`.

    Args:
        netlist: The netlist placed.
        placement: The placement to write.
        path: Output file.
        settings: Header settings; defaults to a 1x1 grid on the netlist's canvas.

    Returns:
        The path written.
    """
    placement.check_matches(netlist)
    canvas = netlist.canvas
    settings = settings or PlcSettings(grid_cols=1, grid_rows=1)
    fmt = format_number
    width = settings.canvas_width if settings.canvas_width is not None else canvas.width
    height = settings.canvas_height if settings.canvas_height is not None else canvas.height
    kinds = netlist.node_kinds
    counts = {kind: int((kinds == kind).sum()) for kind in NodeKind}
    lines = [
        "# Placement file for Circuit Training",
        f"# Written by placement-gym for : {netlist.name}",
        f"# Columns : {settings.grid_cols}  Rows : {settings.grid_rows}",
        f"# Width : {fmt(width)}  Height : {fmt(height)}",
    ]
    if settings.routes_per_micron_h is not None:
        lines.append(
            f"# Routes per micron, hor : {fmt(settings.routes_per_micron_h)}  "
            f"ver : {fmt(settings.routes_per_micron_v or 0.0)}"
        )
    if settings.macro_routes_h is not None:
        lines.append(
            f"# Routes used by macros, hor : {fmt(settings.macro_routes_h)}  "
            f"ver : {fmt(settings.macro_routes_v or 0.0)}"
        )
    if settings.smoothing is not None:
        lines.append(f"# Smoothing factor : {fmt(settings.smoothing)}")
    if settings.overlap_threshold is not None:
        lines.append(f"# Overlap threshold : {fmt(settings.overlap_threshold)}")
    for blockage in settings.blockages:
        lines.append("# Blockage : " + " ".join(fmt(v) for v in blockage))
    lines += [
        f"# HARD_MACROs : {counts[NodeKind.HARD_MACRO]}",
        f"# SOFT_MACROs : {counts[NodeKind.SOFT_MACRO]}",
        f"# PORTs : {counts[NodeKind.PORT]}",
        f"# STDCELLs : {counts[NodeKind.STD_CELL]}",
        "# node_index x y orientation fixed",
    ]
    indices = netlist.file_indices
    for i in np.flatnonzero(placement.placed):
        x, y = placement.positions[i]
        is_port = kinds[i] == NodeKind.PORT
        orient = "-" if is_port else Orientation(int(placement.orientations[i])).name
        fixed = 1 if (is_port or netlist.node_fixed[i]) else 0
        lines.append(f"{indices[i]} {fmt(x)} {fmt(y)} {orient} {fixed}")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path
