"""The ISPD 2008 global-routing contest formats: problems (``.gr``) and solutions.

Problem file (plain text, or gzip-compressed; blank lines are ignored)::

    grid X Y L
    vertical capacity c1 ... cL
    horizontal capacity c1 ... cL
    minimum width w1 ... wL
    minimum spacing s1 ... sL
    via spacing v1 ... vL
    llx lly tileWidth tileHeight
    num net N
    <name> <id> <numPins> <minWidth>      (N times, each followed by numPins lines "x y layer")
    <numAdjustments>
    x1 y1 l1 x2 y2 l2 capacity            (numAdjustments lines, gcell coordinates)

Pin coordinates are microns, layers 1-based; adjustment coordinates are gcell indices. A file
that ends right after the last net has no adjustments (the contest files always write the count).

Solution file: per routed net ``<name> <id> <#segments>``, then one line per segment
``(x1,y1,l1)-(x2,y2,l2)`` in microns (tile centres), then ``!``.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from netlists.errors import NetlistFormatError
from netlists.formats._text import format_number, parse_float, parse_int, read_text
from placement_env.routing.problem import (
    CapacityAdjustment,
    InvalidRoutingProblemError,
    RoutingNet,
    RoutingProblem,
)

_LAYER_LINES = (
    ("vertical capacity", "vertical_capacity"),
    ("horizontal capacity", "horizontal_capacity"),
    ("minimum width", "min_width"),
    ("minimum spacing", "min_spacing"),
    ("via spacing", "via_spacing"),
)


class _Lines:
    """Non-blank lines of a file as token lists, with 1-based line numbers for errors."""

    def __init__(self, text: str, path: Path) -> None:
        self.path = path
        self.items = [
            (number, line.split())
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.items)

    def next(self, what: str) -> tuple[int, list[str]]:
        if self.at_end():
            raise NetlistFormatError(
                self.path, f"file ends early: expected {what}", field=what.split(" (")[0]
            )
        item = self.items[self.pos]
        self.pos += 1
        return item

    def fail(self, line: int, reason: str, field: str | None = None) -> NetlistFormatError:
        return NetlistFormatError(self.path, reason, line=line, field=field)


def _numbers(lines: _Lines, line: int, tokens: list[str], count: int, field: str) -> list[float]:
    if len(tokens) != count:
        raise lines.fail(line, f"expected {count} values, got {len(tokens)}", field)
    return [parse_float(token, lines.path, line, field) for token in tokens]


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".gr"):
        name = name.removesuffix(suffix)
    return name or path.name


def read_ispd08(path: str | Path) -> RoutingProblem:
    """Reads an ISPD 2008 global-routing problem (``.gr``, plain or gzipped).

    Args:
        path: The file. The problem's ``name`` is the file name without ``.gr``/``.gz``.

    Returns:
        The problem, with every pin, net and adjustment of the file, in file order.

    Raises:
        NetlistFormatError: The file is missing, not text, truncated, or malformed: a bad number,
            a count that does not match, a pin or adjustment outside the grid, a negative
            capacity, width or spacing, a non-positive tile size. The error names the line and
            field where it can.
    """
    path = Path(path)
    lines = _Lines(read_text(path), path)

    line, tokens = lines.next("the 'grid X Y L' line")
    if len(tokens) != 4 or tokens[0].lower() != "grid":
        raise lines.fail(line, f"expected 'grid X Y L', got {' '.join(tokens)!r}", "grid")
    nx, ny, n_layers = (parse_int(t, path, line, "grid") for t in tokens[1:])
    if nx < 1 or ny < 1 or n_layers < 1:
        raise lines.fail(line, f"grid must be at least 1 x 1 x 1, got {nx} x {ny} x {n_layers}")

    layer_values: dict[str, tuple[float, ...]] = {}
    for keyword, attribute in _LAYER_LINES:
        line, tokens = lines.next(f"the '{keyword}' line")
        words = keyword.split()
        if [t.lower() for t in tokens[:2]] != words:
            raise lines.fail(line, f"expected '{keyword} ...', got {' '.join(tokens)!r}", keyword)
        values = _numbers(lines, line, tokens[2:], n_layers, keyword)
        if any(v < 0 for v in values):
            raise lines.fail(line, f"{keyword} values must be >= 0, got {values}", keyword)
        layer_values[attribute] = tuple(values)
    for layer in range(n_layers):
        if layer_values["min_width"][layer] + layer_values["min_spacing"][layer] <= 0:
            raise NetlistFormatError(
                path,
                f"layer {layer + 1}: minimum width + minimum spacing must be > 0",
                field="minimum width",
            )

    line, tokens = lines.next("the 'llx lly tileWidth tileHeight' line")
    llx, lly, tile_w, tile_h = _numbers(lines, line, tokens, 4, "origin and tile size")
    if tile_w <= 0 or tile_h <= 0:
        raise lines.fail(line, f"tile size must be positive, got {tile_w} x {tile_h}", "tile size")

    line, tokens = lines.next("the 'num net N' line")
    if len(tokens) != 3 or [t.lower() for t in tokens[:2]] != ["num", "net"]:
        raise lines.fail(line, f"expected 'num net N', got {' '.join(tokens)!r}", "num net")
    n_nets = parse_int(tokens[2], path, line, "num net")

    nets = []
    for index in range(n_nets):
        line, tokens = lines.next(f"net {index + 1} of {n_nets} (name id numPins minWidth)")
        if len(tokens) != 4:
            raise lines.fail(
                line,
                f"expected 'name id numPins minWidth', got {len(tokens)} fields",
                f"net {index + 1}",
            )
        name = tokens[0]
        field = f"net {name}"
        net_id = parse_int(tokens[1], path, line, field)
        n_pins = parse_int(tokens[2], path, line, field)
        min_width = parse_float(tokens[3], path, line, field)
        if min_width < 0:
            raise lines.fail(line, f"negative minimum width {min_width}", field)
        pins = []  # a list: a corrupt numPins must not allocate before the file runs out
        for k in range(n_pins):
            line, tokens = lines.next(f"pin {k + 1} of {n_pins} of net {name} (x y layer)")
            x, y, layer = _numbers(lines, line, tokens, 3, f"{field} pin {k + 1}")
            gx, gy = math.floor((x - llx) / tile_w), math.floor((y - lly) / tile_h)
            if not (
                0 <= gx < nx and 0 <= gy < ny and layer.is_integer() and 1 <= layer <= n_layers
            ):
                raise lines.fail(
                    line,
                    f"pin ({x:g}, {y:g}, layer {layer:g}) is outside the {nx} x {ny} x "
                    f"{n_layers} grid",
                    f"{field} pin {k + 1}",
                )
            pins.append((x, y, layer))
        nets.append(RoutingNet(name, net_id, np.array(pins, dtype=float).reshape(-1, 3), min_width))

    adjustments = []
    if not lines.at_end():
        line, tokens = lines.next("the number of capacity adjustments")
        if len(tokens) != 1:
            raise lines.fail(
                line,
                f"expected the number of capacity adjustments, got "
                f"{' '.join(tokens)!r} (more nets than 'num net' says?)",
                "adjustments",
            )
        n_adjust = parse_int(tokens[0], path, line, "adjustments")
        for k in range(n_adjust):
            line, tokens = lines.next(f"capacity adjustment {k + 1} of {n_adjust}")
            field = f"adjustment {k + 1}"
            if len(tokens) != 7:
                raise lines.fail(
                    line, f"expected 'x1 y1 l1 x2 y2 l2 capacity', got {len(tokens)} fields", field
                )
            x1, y1, l1, x2, y2, l2 = (parse_int(t, path, line, field) for t in tokens[:6])
            capacity = parse_float(tokens[6], path, line, field)
            if capacity < 0:
                raise lines.fail(line, f"negative capacity {capacity:g}", field)
            neighbours = l1 == l2 and abs(x1 - x2) + abs(y1 - y2) == 1
            inside = max(x1, x2) < nx and max(y1, y2) < ny and 1 <= l1 <= n_layers
            if not (neighbours and inside):
                raise lines.fail(
                    line,
                    "not one edge between neighbouring gcells of one layer "
                    f"inside the {nx} x {ny} x {n_layers} grid",
                    field,
                )
            adjustments.append(CapacityAdjustment((x1, y1, l1), (x2, y2, l2), capacity))
        if not lines.at_end():
            line, tokens = lines.next("end of file")
            raise lines.fail(
                line,
                f"unexpected text after the {n_adjust} capacity "
                f"adjustments: {' '.join(tokens)[:40]!r}",
                "adjustments",
            )

    try:
        return RoutingProblem(
            nx=nx,
            ny=ny,
            **layer_values,
            origin=(llx, lly),
            tile_width=tile_w,
            tile_height=tile_h,
            nets=tuple(nets),
            adjustments=tuple(adjustments),
            name=_stem(path),
        )
    except InvalidRoutingProblemError as error:  # checked above; kept as a safety net
        raise NetlistFormatError(path, str(error)) from None


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        path.write_text(text)
    return path


def format_ispd08(problem: RoutingProblem) -> str:
    """The text of ``problem`` as an ISPD 2008 ``.gr`` file (see :func:`write_ispd08`)."""
    f = format_number
    out = [f"grid {problem.nx} {problem.ny} {problem.num_layers}"]
    for keyword, attribute in _LAYER_LINES:
        out.append(f"{keyword} " + " ".join(f(v) for v in getattr(problem, attribute)))
    out.append(" ".join(f(v) for v in (*problem.origin, problem.tile_width, problem.tile_height)))
    out.append(f"num net {len(problem.nets)}")
    for net in problem.nets:
        pins = np.asarray(net.pins, dtype=float).reshape(-1, 3)
        out.append(f"{net.name} {net.net_id} {len(pins)} {f(net.min_width)}")
        out.extend(f"{f(x)} {f(y)} {f(layer)}" for x, y, layer in pins)
    out.append(str(len(problem.adjustments)))
    for adj in problem.adjustments:
        out.append(" ".join(str(int(v)) for v in (*adj.a, *adj.b)) + f" {f(adj.capacity)}")
    return "\n".join(out) + "\n"


def write_ispd08(problem: RoutingProblem, path: str | Path) -> Path:
    """Writes ``problem`` as an ISPD 2008 ``.gr`` file; a path ending in ``.gz`` is gzipped.

    Numbers are written exactly (shortest round-tripping text), so :func:`read_ispd08` gives back
    an equal problem (the name becomes the file stem). Returns the path written.

    Raises:
        ValueError: A net name contains white space (the format separates fields by spaces).
    """
    for net in problem.nets:
        if not net.name or any(ch.isspace() for ch in net.name):
            raise ValueError(f"net name {net.name!r} is empty or contains white space")
    return _write(Path(path), format_ispd08(problem))


# --------------------------------------------------------------------------- solutions

#: Layers of the two-layer solution model: horizontal wires, vertical wires.
H_LAYER, V_LAYER = 1, 2


def path_runs(path: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Splits a gcell path into maximal straight runs.

    Args:
        path: ``(m, 2)`` int array of consecutive (4-neighbour) gcells.

    Returns:
        ``(axis, start, end)`` per run, ``axis`` 0 for horizontal (x changes) and 1 for vertical.

    Raises:
        ValueError: Two consecutive cells are not neighbours.
    """
    path = np.asarray(path, dtype=np.int64).reshape(-1, 2)
    steps = np.diff(path, axis=0)
    if len(steps) and (np.abs(steps).sum(axis=1) != 1).any():
        k = int(np.flatnonzero(np.abs(steps).sum(axis=1) != 1)[0])
        raise ValueError(
            f"path cells {k} {path[k].tolist()} and {k + 1} {path[k + 1].tolist()} "
            "are not neighbours"
        )
    runs: list[tuple[int, np.ndarray, np.ndarray]] = []
    start = 0
    for k in range(1, len(steps) + 1):
        if k == len(steps) or (steps[k, 0] != 0) != (steps[start, 0] != 0):
            axis = 0 if steps[start, 0] != 0 else 1
            runs.append((axis, path[start], path[k]))
            start = k
    return runs


def _centre(problem: RoutingProblem, cell: np.ndarray) -> tuple[str, str]:
    x = problem.origin[0] + (int(cell[0]) + 0.5) * problem.tile_width
    y = problem.origin[1] + (int(cell[1]) + 0.5) * problem.tile_height
    return format_number(x), format_number(y)


def solution_segments(
    problem: RoutingProblem, paths: Sequence[np.ndarray]
) -> list[tuple[tuple[str, str, int], tuple[str, str, int]]]:
    """The segments of one net's gcell paths on the two-layer model, as written to a solution.

    Horizontal runs go on layer 1, vertical runs on layer 2, a via ``(x,y,1)-(x,y,2)`` joins them
    at each bend, and a path that leaves or reaches its end cell vertically gets a via there too
    (pins sit on layer 1): the via count is :func:`placement_env.routing.metrics.path_vias`.
    """
    segments = []
    for path in paths:
        runs = path_runs(path)
        for k, (axis, start, end) in enumerate(runs):
            layer = H_LAYER if axis == 0 else V_LAYER
            if layer == V_LAYER and k == 0:
                segments.append(
                    ((*_centre(problem, start), H_LAYER), (*_centre(problem, start), V_LAYER))
                )
            segments.append(((*_centre(problem, start), layer), (*_centre(problem, end), layer)))
            last = k == len(runs) - 1
            if not last and runs[k + 1][0] != axis or last and layer == V_LAYER:
                segments.append(
                    ((*_centre(problem, end), H_LAYER), (*_centre(problem, end), V_LAYER))
                )
    return segments


def write_ispd08_solution(
    problem: RoutingProblem, routes: Sequence[Sequence[np.ndarray]], path: str | Path
) -> Path:
    """Writes routes as an ISPD 2008 solution file (``.gz`` suffix: gzipped).

    Args:
        problem: The problem the routes solve (names, ids, tile geometry).
        routes: Per net of ``problem.nets``, a sequence of gcell paths, each an ``(m, 2)`` int
            array of consecutive gcells. Nets with no path of at least two cells (local nets) are
            left out of the file, as in the contest.
        path: Output file.

    Returns:
        The path written.
    """
    if len(routes) != len(problem.nets):
        raise ValueError(f"routes has {len(routes)} entries for {len(problem.nets)} nets")
    out = []
    for net, paths in zip(problem.nets, routes, strict=True):
        segments = solution_segments(problem, [p for p in paths if len(p) >= 2])
        if not segments:
            continue
        out.append(f"{net.name} {net.net_id} {len(segments)}")
        out.extend(f"({a[0]},{a[1]},{a[2]})-({b[0]},{b[1]},{b[2]})" for a, b in segments)
        out.append("!")
    return _write(Path(path), "\n".join(out) + "\n" if out else "")


_SEGMENT = re.compile(
    r"^\(\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*\)\s*-\s*"
    r"\(\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*\)$"
)


def read_ispd08_solution(path: str | Path) -> dict[str, np.ndarray]:
    """Reads an ISPD 2008 solution file.

    Returns:
        Net name -> ``(s, 6)`` float array of segments ``x1, y1, l1, x2, y2, l2`` (microns,
        1-based layers), in file order.

    Raises:
        NetlistFormatError: Malformed header or segment line, a segment count that does not match,
            a missing ``!``, a truncated file.
    """
    path = Path(path)
    lines = _Lines(read_text(path), path)
    result: dict[str, np.ndarray] = {}
    while not lines.at_end():
        line, tokens = lines.next("a net header")
        if len(tokens) != 3:
            raise lines.fail(line, f"expected 'name id #segments', got {' '.join(tokens)!r}")
        name = tokens[0]
        field = f"net {name}"
        parse_int(tokens[1], path, line, field)
        count = parse_int(tokens[2], path, line, field)
        segments = []
        for k in range(count):
            line, tokens = lines.next(f"segment {k + 1} of {count} of net {name}")
            match = _SEGMENT.match("".join(tokens))
            if not match:
                raise lines.fail(line, "expected '(x1,y1,l1)-(x2,y2,l2)'", field)
            segments.append([parse_float(t, path, line, field) for t in match.groups()])
        line, tokens = lines.next(f"'!' closing net {name}")
        if tokens != ["!"]:
            raise lines.fail(line, f"expected '!' after {count} segments", field)
        result[name] = np.array(segments, dtype=float).reshape(-1, 6)
    return result
