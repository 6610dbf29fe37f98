"""Property-based fuzzing of the Bookshelf and Circuit Training readers.

* Mutated files (lines deleted, duplicated, swapped or truncated, tokens replaced by random or
  awkward text, random bytes, cuts at random offsets, gzip of the result, truncated gzip): a reader
  returns a design or raises :class:`NetlistFormatError` naming one of the files read and a line
  inside it; no other exception escapes.
* Nothing is silently dropped: random designs written with ``write_bookshelf`` read back with the
  same nodes, nets and pins, and placements written with ``write_plc`` read back unchanged.

The temporary folders come from :mod:`tempfile`, one per example: Hypothesis runs many examples
per test call, and a function-scoped ``tmp_path`` would be shared between them.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import netlists
from netlists.design import Design
from netlists.errors import NetlistFormatError
from netlists.formats.bookshelf import read_bookshelf, write_bookshelf
from netlists.formats.circuit_training import read_circuit_training, read_plc, write_plc
from netlists.formats.def_format import read_def
from netlists.netlist import Net, Netlist, Node, Pin
from netlists.placement import Placement
from netlists.types import Canvas, NodeKind, Orientation, PinDirection, Row

BAD_FILES = Path(__file__).parent / "bad_files"
CT_TESTDATA = Path(netlists.__file__).parent / "data" / "ct_testdata"

# PARSER_FUZZ_EXAMPLES=5000 runs a deeper search than the default run's.
FUZZ = settings(
    max_examples=int(os.environ.get("PARSER_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _read_texts(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir()) if path.is_file()}


def _written_design_texts(with_rows: bool = True) -> dict[str, str]:
    """The files ``write_bookshelf`` makes for a small design (a second style to mutate); without
    rows, and with a soft macro, they include a ``.kinds`` member."""
    nodes = [
        Node("c0", NodeKind.STD_CELL, 2, 1),
        Node("c1", NodeKind.STD_CELL if with_rows else NodeKind.SOFT_MACRO, 3, 1),
        Node("mac", NodeKind.HARD_MACRO, 4.5, 4),
        Node("pad", NodeKind.PORT, 1, 1, fixed=True),
    ]
    nets = [
        Net("w0", (Pin("c0", 0.5, 0, PinDirection.OUTPUT), Pin("mac", -1, 1.25), Pin("pad"))),
        Net("w1", (Pin("c1", direction=PinDirection.INPUT), Pin("c0", -0.5, 0.5)), weight=2.5),
    ]
    rows = tuple(Row(y=float(y), height=1.0, x=0.0, num_sites=10) for y in range(6))
    netlist = Netlist.from_records("w", Canvas(10, 6, rows=rows if with_rows else ()), nodes, nets)
    placement = Placement(
        [[1, 0.5], [4, 0.5], [7, 3], [0.5, 5.5]], [0, 1, 2, 0], [True, True, True, True]
    )
    with tempfile.TemporaryDirectory() as tmp:
        write_bookshelf(Design(netlist, placement), tmp)
        return _read_texts(Path(tmp))


BOOKSHELF_BASES = [
    _read_texts(BAD_FILES / "bookshelf" / "good"),
    _written_design_texts(),
    _written_design_texts(with_rows=False),
]
assert any(name.endswith(".kinds") for name in BOOKSHELF_BASES[2])


def _ct_base(folder: Path) -> tuple[str, str]:
    netlist = next(folder.glob("netlist.pb.txt*"))
    raw = netlist.read_bytes()
    text = gzip.decompress(raw) if netlist.suffix == ".gz" else raw
    return text.decode(), (folder / "initial.plc").read_text()


CT_BASES = [_ct_base(BAD_FILES / "ct" / "good")] + [
    _ct_base(CT_TESTDATA / name)
    for name in (
        "sample_clustered",
        "toy_macro_stdcell",
        "simple_grouped_with_coords_with_blockage",
    )
    if (CT_TESTDATA / name).is_dir()
]

# -- mutations ------------------------------------------------------------------------------------

AWKWARD_TOKENS = [
    "",
    " ",
    ":",
    "::",
    "{",
    "}",
    '"',
    "\\",
    "#",
    "-",
    "-1",
    "0",
    "1",
    "3",
    "1.5",
    "1_0",
    "-0",
    "1e999",
    "-1e308",
    "1.7e308",
    "nan",
    "inf",
    "²",
    "١",
    "٣",
    "\t",
    "\r",
    "\x0b",
    "\u2028",
    "\ufeff",
    "NetDegree",
    "NetDegree :",
    "NumNodes :",
    "NumPins :",
    "NumNets :",
    "NumRows :",
    "terminal",
    "terminal_NI",
    "/FIXED",
    "/FIXED_NI",
    "CoreRow",
    "End",
    "UCLA",
    "UCLA nodes 1.0",
    "I",
    "O",
    "B",
    "N",
    "FS",
    "W",
    "node {",
    "attr {",
    "value {",
    "key:",
    "name:",
    "input:",
    'placeholder: "',
    '"MACRO"',
    '"macro"',
    '"PORT"',
    '"MACRO_PIN"',
    "f:",
    "\\x",
    "\\N{",
    '\\"',
    "a",
    "b",
    "m",
    "p",
    "n0",
    "M0",
    "P0",
    "S0",
    "Height :",
    "Numsites :",
    "Coordinate :",
    "# Columns : 2 Rows : 2",
    "# Width : 0 Height : 5",
    "# Blockage : 1 2 3",
]
TOKENS = st.one_of(
    st.sampled_from(AWKWARD_TOKENS),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
    st.floats().map(repr),
    st.integers(-(10**20), 10**20).map(str),
)
LINE_OPS = [
    "delete",
    "duplicate",
    "swap",
    "truncate",
    "replace_token",
    "insert_token",
    "insert_line",
]


@st.composite
def mutated(draw, text: str, tokens: st.SearchStrategy[str] | None = None) -> bytes:
    """``text`` with one to four random edits, as bytes (maybe cut, maybe with random bytes);
    replaced and inserted tokens come from ``tokens`` (default :data:`TOKENS`)."""
    tokens = TOKENS if tokens is None else tokens
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        lines = lines or [""]
        op = draw(st.sampled_from(LINE_OPS))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "truncate":
            lines = lines[:i]
        elif op in ("replace_token", "insert_token"):
            words = lines[i].split(" ")
            k = draw(st.integers(0, len(words) - 1))
            if op == "replace_token":
                words[k] = draw(tokens)
            else:
                words.insert(k, draw(tokens))
            lines[i] = " ".join(words)
        elif op == "insert_line":
            lines.insert(i, " ".join(draw(st.lists(tokens, min_size=1, max_size=4))))
    data = "\n".join(lines).encode()
    byte_op = draw(st.sampled_from(["none", "none", "cut", "insert_bytes", "flip"]))
    if data and byte_op == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    elif byte_op == "insert_bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    elif data and byte_op == "flip":
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    return data


@st.composite
def maybe_gzipped(draw, data: bytes) -> tuple[bytes, bool]:
    """(bytes to write, whether they are gzip): plain, gzip, or gzip cut short."""
    how = draw(st.sampled_from(["plain", "plain", "gzip", "gzip-cut"]))
    if how == "plain":
        return data, False
    packed = gzip.compress(data, mtime=0)
    if how == "gzip-cut":
        packed = packed[: draw(st.integers(0, len(packed) - 1))]
    return packed, True


def _check_error(error: NetlistFormatError, files: dict[Path, bytes]) -> None:
    """The error is exactly a NetlistFormatError that names a file read and a line inside it."""
    assert type(error) is NetlistFormatError
    path = Path(error.path)
    assert path in files, f"{error.path} is not one of {sorted(map(str, files))}"
    event(f"error in {''.join(path.suffixes)}")
    assert error.reason and str(error).startswith(str(path))
    if error.line is not None:
        raw = files[path]
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)  # the error names a line, so the data did decompress
        lines = raw.decode(errors="replace").split("\n")
        assert 1 <= error.line <= len(lines)
        assert lines[error.line - 1].strip(), f"line {error.line} is blank: {error}"


def _write(folder: Path, texts: dict[str, str], name: str, data: bytes, packed: bool):
    """Writes the design into ``folder`` with ``name`` replaced; returns {path: bytes written}."""
    files: dict[Path, bytes] = {}
    for other, text in texts.items():
        if other != name:
            files[folder / other] = text.encode()
    files[folder / (f"{name}.gz" if packed else name)] = data
    for path, content in files.items():
        path.write_bytes(content)
    return files


# -- (a) mutated input: a design or a NetlistFormatError, nothing else ----------------------------


@FUZZ
@given(base=st.sampled_from(BOOKSHELF_BASES), data=st.data())
def test_bookshelf_reader__mutated_member_gives_design_or_format_error(base, data):
    name = data.draw(st.sampled_from(sorted(base)), label="member")
    content = data.draw(mutated(base[name]), label="content")
    if name.endswith(".aux"):
        written, packed = content, False  # the .aux itself is read as named
    else:
        written, packed = data.draw(maybe_gzipped(content), label="written")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _write(folder, base, name, written, packed)
        aux = next(path for path in files if path.suffix == ".aux")
        try:
            design = read_bookshelf(aux)
        except NetlistFormatError as error:
            _check_error(error, files)
        else:
            assert isinstance(design, Design)
            event("read a design")


@FUZZ
@given(base=st.sampled_from(CT_BASES), data=st.data())
def test_circuit_training_reader__mutated_netlist_gives_design_or_format_error(base, data):
    content = data.draw(mutated(base[0]), label="content")
    written, packed = data.draw(maybe_gzipped(content), label="written")
    with tempfile.TemporaryDirectory() as tmp:
        files = _write(Path(tmp), {}, "netlist.pb.txt", written, packed)
        try:
            design = read_circuit_training(next(iter(files)))
        except NetlistFormatError as error:
            _check_error(error, files)
        else:
            assert isinstance(design, Design)
            event("read a design")


@FUZZ
@given(base=st.sampled_from(CT_BASES), data=st.data())
def test_plc_reader__mutated_plc_gives_design_or_format_error(base, data):
    content = data.draw(mutated(base[1]), label="content")
    written, packed = data.draw(maybe_gzipped(content), label="written")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _write(folder, {"netlist.pb.txt": base[0]}, "initial.plc", written, packed)
        plc = next(path for path in files if path.name.startswith("initial.plc"))
        try:
            design = read_circuit_training(folder / "netlist.pb.txt", plc)
        except NetlistFormatError as error:
            _check_error(error, files)
        else:
            assert isinstance(design, Design)
            event("read a design")


# -- (b) nothing silently dropped -----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_bookshelf_reader__deleting_a_node_or_pin_line_is_an_error(data):
    """.nodes and .nets declare their counts, so losing any node or pin line cannot go unnoticed."""
    base = data.draw(st.sampled_from(BOOKSHELF_BASES))
    name = data.draw(st.sampled_from([n for n in base if n.endswith((".nodes", ".nets"))]))
    lines = base[name].split("\n")
    records = [
        i
        for i, line in enumerate(lines)
        if line.split() and not line.startswith(("#", "UCLA", "Num")) and ":" not in line.split()[0]
    ]
    if name.endswith(".nets"):  # pin lines only: a NetDegree line is a header, not data
        records = [i for i in records if not lines[i].startswith("NetDegree")]
    i = data.draw(st.sampled_from(records))
    with tempfile.TemporaryDirectory() as tmp:
        files = _write(Path(tmp), base, name, "\n".join(lines[:i] + lines[i + 1 :]).encode(), False)
        aux = next(path for path in files if path.suffix == ".aux")
        try:
            read_bookshelf(aux)
        except NetlistFormatError as error:
            _check_error(error, files)
        else:
            raise AssertionError(f"deleting line {i + 1} of {name} ({lines[i]!r}) went unnoticed")


NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_/.\[\]-]{0,7}", fullmatch=True)
LENGTHS = st.one_of(
    st.integers(0, 64).map(float), st.floats(0, 1e6, allow_nan=False, allow_infinity=False)
)
STEMS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True)  # the files' stem
COORDS = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def designs(draw) -> Design:
    """A random small design: nodes, nets (any degree, repeated nodes), weights and a placement."""
    node_names = draw(st.lists(NAMES, max_size=12, unique=True))
    nodes = [
        Node(
            name, draw(st.sampled_from(NodeKind)), draw(LENGTHS), draw(LENGTHS), draw(st.booleans())
        )
        for name in node_names
    ]
    nets = []
    for net_name in draw(st.lists(NAMES, max_size=10, unique=True)):
        degree = draw(st.integers(0, 6)) if node_names else 0
        pins = tuple(
            Pin(
                draw(st.sampled_from(node_names)),
                draw(COORDS),
                draw(COORDS),
                draw(st.sampled_from(PinDirection)),
            )
            for _ in range(degree)
        )
        nets.append(Net(net_name, pins, draw(st.floats(0, 1e3, allow_nan=False))))
    width, height = draw(st.floats(1, 1e5)), draw(st.floats(1, 1e5))
    canvas = Canvas(width, height, draw(COORDS), draw(COORDS))
    netlist = Netlist.from_records(draw(STEMS), canvas, nodes, nets)
    n = len(nodes)
    placement = Placement(
        np.array(draw(st.lists(st.tuples(COORDS, COORDS), min_size=n, max_size=n))).reshape(-1, 2),
        draw(st.lists(st.sampled_from(Orientation), min_size=n, max_size=n)),
        draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    )
    return Design(netlist, placement)


@settings(max_examples=150, deadline=None)
@given(design=designs())
def test_bookshelf_round_trip__keeps_every_node_net_and_pin(design):
    with tempfile.TemporaryDirectory() as tmp:
        again = read_bookshelf(write_bookshelf(design, tmp))
    a, b = design.netlist, again.netlist
    assert (b.num_nodes, b.num_nets, b.num_net_pins) == (a.num_nodes, a.num_nets, a.num_net_pins)
    assert b.node_names == a.node_names and b.net_names == a.net_names
    assert b.canvas == a.canvas
    np.testing.assert_array_equal(b.node_kinds, a.node_kinds)
    np.testing.assert_array_equal(b.node_sizes, a.node_sizes)
    np.testing.assert_array_equal(b.node_fixed, a.node_fixed)
    np.testing.assert_array_equal(b.net_starts, a.net_starts)
    np.testing.assert_array_equal(b.pin_nodes[b.net_pins], a.pin_nodes[a.net_pins])
    np.testing.assert_array_equal(b.pin_offsets[b.net_pins], a.pin_offsets[a.net_pins])
    np.testing.assert_array_equal(b.pin_directions[b.net_pins], a.pin_directions[a.net_pins])
    np.testing.assert_array_equal(b.net_weights, a.net_weights)
    np.testing.assert_array_equal(again.placement.placed, design.placement.placed)
    placed = design.placement.placed
    np.testing.assert_array_equal(
        again.placement.orientations[placed], design.placement.orientations[placed]
    )
    np.testing.assert_allclose(
        again.placement.positions[placed],
        design.placement.positions[placed],
        rtol=1e-12,
        atol=1e-6,
    )


CT_NETLISTS = [
    read_circuit_training(BAD_FILES / "ct" / "good" / "netlist.pb.txt").netlist,
    *(
        read_circuit_training(CT_TESTDATA / name / "netlist.pb.txt.gz").netlist
        for name in ("sample_clustered", "toy_macro_stdcell")
        if (CT_TESTDATA / name).is_dir()
    ),
]


@st.composite
def ct_placements(draw) -> tuple[Netlist, Placement]:
    netlist = draw(st.sampled_from(CT_NETLISTS))
    n = netlist.num_nodes
    ports = netlist.node_kinds == NodeKind.PORT
    orientations = np.array(draw(st.lists(st.sampled_from(Orientation), min_size=n, max_size=n)))
    orientations[ports] = Orientation.N  # a .plc writes '-' for a port's orientation
    placement = Placement(
        np.array(draw(st.lists(st.tuples(COORDS, COORDS), min_size=n, max_size=n))).reshape(-1, 2),
        orientations,
        draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    )
    return netlist, placement


@settings(max_examples=100, deadline=None)
@given(case=ct_placements())
def test_plc_round_trip__keeps_every_placed_node(case):
    netlist, placement = case
    assume(netlist.num_nodes > 0)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_plc(netlist, placement, Path(tmp) / "placed.plc")
        _, again = read_plc(path, netlist)
    np.testing.assert_array_equal(again.placed, placement.placed)
    np.testing.assert_array_equal(
        again.positions[placement.placed], placement.positions[placement.placed]
    )
    np.testing.assert_array_equal(
        again.orientations[placement.placed], placement.orientations[placement.placed]
    )


# -- LEF/DEF --------------------------------------------------------------------------------------

LEFDEF_BASE = _read_texts(BAD_FILES / "lefdef" / "good")
LEFDEF_TOKENS = st.one_of(
    TOKENS,
    st.sampled_from(
        ["END", "(", ")", ";", "+", "-", "*", "PLACED", "FIXED", "UNPLACED", "COMPONENTS 1 ;"]
        + ["NETS", "PINS", "PIN", "MACRO", "SIZE", "BY", "RECT", "POLYGON", "PORT", "LAYER"]
        + ["END DESIGN", "END LIBRARY", "DO", "STEP", "UNITS", "CLASS BLOCK", '"', '";"']
    ),
)


@FUZZ
@given(member=st.sampled_from(sorted(LEFDEF_BASE)), data=st.data())
def test_lefdef_reader__mutated_lef_or_def_gives_design_or_format_error(member, data):
    content = data.draw(mutated(LEFDEF_BASE[member], LEFDEF_TOKENS), label="content")
    written, packed = data.draw(maybe_gzipped(content), label="written")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _write(folder, LEFDEF_BASE, member, written, packed)
        def_path = next(path for path in files if ".def" in path.name)
        try:
            design = read_def(def_path)
        except NetlistFormatError as error:
            _check_error(error, files)
        else:
            assert isinstance(design, Design)
            event("read a design")
