"""Bad input gets one clear error: NetlistFormatError naming the file, the line and the fault.

Each hand-made file under ``bad_files/`` breaks one thing in an otherwise valid small design:

* ``bad_files/bookshelf/good/`` is a valid Bookshelf design (``tiny.aux`` and its five members);
  ``bad_files/bookshelf/<case>.<suffix>`` replaces the member with that suffix.
* ``bad_files/ct/good/`` is a valid Circuit Training netlist and ``initial.plc``;
  ``bad_files/ct/netlist_<case>.pb.txt`` replaces the netlist, ``bad_files/ct/plc_<case>.plc`` the
  placement.

Every case states the line the error must name (``None`` where the fault is not on one line, such as
a count that does not match), a text that line holds (so the table cannot drift from the files) and
a substring of the reason.
"""

from __future__ import annotations

import gzip
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import netlists
from netlists.bundled import DATA_DIR
from netlists.errors import NetlistFormatError
from netlists.formats import read_design
from netlists.formats.bookshelf import read_bookshelf
from netlists.formats.circuit_training import read_circuit_training, read_plc

BAD_FILES = Path(__file__).parent / "bad_files"
BOOKSHELF = BAD_FILES / "bookshelf"
CT = BAD_FILES / "ct"


@dataclass(frozen=True)
class Case:
    """One bad file and the error it must raise."""

    file: str  # under BOOKSHELF or CT
    line: int | None  # the line the error names
    at: str | None  # text on that line
    reason: str  # substring of the error's reason
    field: str | None = None  # the error's field, when the case checks it


def _params(cases: list[Case]) -> list:
    return [pytest.param(case, id=Path(case.file).name.split(".")[0]) for case in cases]


def _check(error: NetlistFormatError, case: Case, path: Path, text: str) -> None:
    """The error is exactly a NetlistFormatError that names ``path``, the line and the fault."""
    assert type(error) is NetlistFormatError
    assert Path(error.path) == path
    assert error.line == case.line
    assert case.reason in error.reason, error.reason
    if case.field is not None:
        assert error.field == case.field
    where = str(path) if case.line is None else f"{path}:{case.line}:"
    assert str(error).startswith(where)
    if case.line is not None:
        assert case.at in text.split("\n")[case.line - 1]


def _raises(read, *args) -> NetlistFormatError:
    with pytest.raises(NetlistFormatError) as info:
        read(*args)
    return info.value


# -- Bookshelf ------------------------------------------------------------------------------------

BOOKSHELF_CASES = [
    # .aux
    Case("aux_missing_member.aux", 2, "missing.scl", "member 'missing.scl' not found", ".scl"),
    Case("aux_without_nodes.aux", None, None, "the .aux lists no .nodes file", ".nodes"),
    Case("aux_without_colon.aux", 1, "RowBasedPlacement", "expected 'RowBasedPlacement : <files>'"),
    Case("aux_member_listed_twice.aux", 1, "tiny.pl tiny.pl", "two .pl files listed"),
    # .nodes
    Case("nodes_negative_size.nodes", 6, "b -2 1", "negative size", "node b"),
    Case("nodes_duplicate_name.nodes", 6, "a 2 1", "duplicate node name 'a'", "node a"),
    Case("nodes_truncated.nodes", None, None, "NumNodes says 4 but 3 nodes are listed", "NumNodes"),
    Case("nodes_wrong_num_terminals.nodes", None, None, "NumTerminals says 2", "NumTerminals"),
    Case("nodes_non_numeric_width.nodes", 6, "wide", "got 'wide'", "node b width"),
    Case("nodes_nan_height.nodes", 5, "nan", "number 'nan' is not finite", "node a height"),
    Case("nodes_unknown_flag.nodes", 8, "terminl", "unknown node flag 'terminl'", "node p"),
    Case("nodes_too_many_fields.nodes", 7, "extra", "expected 'name width height"),
    Case("nodes_non_ascii_count.nodes", 3, "²", "expected a non-negative integer, got '²'"),
    Case("nodes_unknown_keyword.nodes", 3, "NumNods", "unknown keyword 'NumNods'", "NumNods"),
    Case("nodes_wrong_header.nodes", 1, "UCLA nets", "expected the header 'UCLA nodes 1.0'"),
    Case("nodes_empty.nodes", None, None, "empty file; expected the header 'UCLA nodes 1.0'"),
    # .nets
    Case("nets_unknown_node.nets", 6, "z I", "unknown node 'z'", "net n0"),
    Case("nets_net_lists_fewer_pins.nets", 4, "NetDegree : 3 n0", "declares more pins than"),
    Case("nets_truncated.nets", 8, "NetDegree : 2 n1", "file ends inside net 'n1': 1 pins missing"),
    Case("nets_wrong_num_pins.nets", None, None, "NumPins says 6 but 5 pins are listed", "NumPins"),
    Case("nets_wrong_num_nets.nets", None, None, "NumNets says 3 but 2 nets are listed", "NumNets"),
    Case("nets_bad_offset.nets", 5, "0.5 up", "expected a number, got 'up'"),
    Case("nets_offset_missing_dy.nets", 5, "a O : 0.5", "expected 'node [I|O|B] [: dx dy]'"),
    Case("nets_offset_without_colon.nets", 5, "a 0.5 0", "expected 'node [I|O|B] [: dx dy]'"),
    Case("nets_infinite_offset.nets", 9, "inf", "pin offset is not finite"),
    Case("nets_non_numeric_degree.nets", 8, "two", "expected a non-negative integer, got 'two'"),
    Case("nets_extra_text_after_name.nets", 8, "n1 n2", "expected 'NetDegree : k [name]'"),
    Case("nets_duplicate_net_name.nets", 8, "n0", "duplicate net name 'n0'", "net n0"),
    Case("nets_unknown_keyword.nets", 3, "NumPinz", "unknown keyword 'NumPinz'"),
    # .pl
    Case("pl_unknown_node.pl", 3, "z 2 0", "unknown node 'z'"),
    Case("pl_bad_orientation.pl", 4, "NE", "unknown orientation 'NE'", "m"),
    Case("pl_bad_flag.pl", 5, "/FIXD", "unknown flag '/FIXD'", "p"),
    Case("pl_non_numeric_x.pl", 2, "x0", "expected a number, got 'x0'", "a x"),
    Case("pl_missing_y.pl", 2, "a 0", "expected 'name x y"),
    Case("pl_node_placed_twice.pl", 3, "a 2 0", "node 'a' placed twice"),
    # .scl
    Case("scl_truncated_row.scl", 12, "CoreRow", "file ends inside a CoreRow"),
    Case("scl_row_without_coordinate.scl", 12, "CoreRow", "row lacks 'Coordinate'", "Coordinate"),
    Case("scl_wrong_num_rows.scl", None, None, "NumRows says 4 but 3 rows are listed", "NumRows"),
    Case("scl_unknown_row_field.scl", 5, "Hieght", "unknown row field 'Hieght'", "Hieght"),
    Case("scl_text_between_pairs.scl", 10, "junk", "expected 'key : value' pairs"),
    Case("scl_negative_num_sites.scl", 10, "-8", "Numsites must be a non-negative integer"),
    Case("scl_misspelt_end.scl", 11, "Ends", "unexpected text 'Ends'"),
    # .wts
    Case("wts_unknown_net.wts", 3, "n9", "'n9' is neither a net nor a node", "n9"),
    Case("wts_negative_weight.wts", 3, "-2", "negative weight", "n1"),
]


def _bookshelf_with(tmp_path: Path, member: str, content: bytes, *, compress: bool = False):
    """A copy of the good design with ``tiny<member>`` replaced; returns (aux, replaced file)."""
    design = tmp_path / "design"
    shutil.copytree(BOOKSHELF / "good", design)
    target = design / f"tiny{member}"
    if compress:
        target.unlink()
        target = target.with_name(target.name + ".gz")
        content = gzip.compress(content)
    target.write_bytes(content)
    return design / "tiny.aux", target


def test_good_bookshelf_design__reads(tmp_path):
    design = read_bookshelf(BOOKSHELF / "good" / "tiny.aux")
    netlist = design.netlist
    assert (netlist.num_nodes, netlist.num_nets, netlist.num_net_pins) == (4, 2, 5)
    assert design.placement.placed.all()


def test_bad_bookshelf_cases__cover_every_bad_file():
    listed = {case.file for case in BOOKSHELF_CASES}
    on_disk = {path.name for path in BOOKSHELF.glob("*.*")}
    assert listed == on_disk


@pytest.mark.parametrize("case", _params(BOOKSHELF_CASES))
def test_bad_bookshelf_member__raises_format_error_naming_file_line_and_fault(case, tmp_path):
    bad = BOOKSHELF / case.file
    aux, target = _bookshelf_with(tmp_path, bad.suffix, bad.read_bytes())
    error = _raises(read_bookshelf, aux)
    _check(error, case, target, bad.read_text())


@pytest.mark.parametrize(
    "case",
    _params([c for c in BOOKSHELF_CASES if c.file.startswith(("nodes_negative", "nets_unknown"))]),
)
def test_gzipped_bad_member__names_the_gz_file_and_the_line_inside_it(case, tmp_path):
    bad = BOOKSHELF / case.file
    aux, target = _bookshelf_with(tmp_path, bad.suffix, bad.read_bytes(), compress=True)
    assert target.suffix == ".gz"
    error = _raises(read_bookshelf, aux)
    _check(error, case, target, bad.read_text())


@pytest.mark.parametrize("cut", [3, 12, -9, -1], ids=["header", "body", "trailer", "last-byte"])
def test_truncated_gzip_member__raises_format_error(cut, tmp_path):
    good = (BOOKSHELF / "good" / "tiny.nets").read_bytes()
    aux, target = _bookshelf_with(tmp_path, ".nets", good, compress=True)
    target.write_bytes(target.read_bytes()[:cut])
    error = _raises(read_bookshelf, aux)
    assert type(error) is NetlistFormatError
    assert Path(error.path) == target
    assert "corrupt or truncated gzip data" in error.reason


def test_corrupt_gzip_member__raises_format_error(tmp_path):
    good = (BOOKSHELF / "good" / "tiny.pl").read_bytes()
    aux, target = _bookshelf_with(tmp_path, ".pl", good, compress=True)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte in the deflate stream or its CRC
    data[-8] ^= 0xFF  # and a wrong CRC, so the corruption is always detected
    target.write_bytes(bytes(data))
    error = _raises(read_bookshelf, aux)
    assert type(error) is NetlistFormatError and Path(error.path) == target
    assert "corrupt or truncated gzip data" in error.reason


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (b"UCLA nodes 1.0\nNumNodes : 4\na 2 1\n\xff\xfe 1 1\n", 4, "not UTF-8 text"),
        (b"UCLA nodes 1.0\nNumNodes : 4\na 2\x00 1\n", 3, "binary data (NUL byte)"),
    ],
    ids=["not-utf8", "nul-byte"],
)
def test_binary_member__raises_format_error_with_line(content, line, reason, tmp_path):
    aux, target = _bookshelf_with(tmp_path, ".nodes", content)
    error = _raises(read_bookshelf, aux)
    assert type(error) is NetlistFormatError and Path(error.path) == target
    assert error.line == line and reason in error.reason


def test_missing_aux__raises_format_error(tmp_path):
    error = _raises(read_bookshelf, tmp_path / "nothing.aux")
    assert type(error) is NetlistFormatError
    assert Path(error.path) == tmp_path / "nothing.aux" and "file not found" in error.reason


def test_aux_member_named_with_gz__is_read_not_skipped(tmp_path):
    good = (BOOKSHELF / "good" / "tiny.wts").read_bytes()
    aux, _ = _bookshelf_with(tmp_path, ".wts", good, compress=True)
    aux.write_text("RowBasedPlacement : tiny.nodes tiny.nets tiny.wts.gz tiny.pl tiny.scl\n")
    design = read_bookshelf(aux)
    np.testing.assert_array_equal(design.netlist.net_weights, [1.0, 2.0])


def test_aux_member_name_too_long__raises_format_error(tmp_path):
    aux, _ = _bookshelf_with(tmp_path, ".aux", b"")
    long_name = "x" * 300 + ".pl"
    aux.write_text(f"RowBasedPlacement : tiny.nodes tiny.nets {long_name}\n")
    error = _raises(read_bookshelf, aux)
    assert type(error) is NetlistFormatError and Path(error.path) == aux
    assert error.line == 1 and error.field == ".pl"


def test_position_that_overflows__raises_format_error(tmp_path):
    good = BOOKSHELF / "good"
    nodes = (good / "tiny.nodes").read_text().replace("\na 2 1\n", "\na 1e308 1\n")
    pl = (good / "tiny.pl").read_text().replace("\na 0 0 : N\n", "\na 1.7e308 0 : N\n")
    aux, _ = _bookshelf_with(tmp_path, ".nodes", nodes.encode())
    (aux.parent / "tiny.pl").write_text(pl)
    error = _raises(read_bookshelf, aux)
    assert type(error) is NetlistFormatError and Path(error.path) == aux.parent / "tiny.pl"
    assert "overflows" in error.reason and error.field == "node a"


# -- Circuit Training -----------------------------------------------------------------------------

NETLIST_CASES = [
    Case("netlist_unbalanced_close.pb.txt", 19, "}", "unbalanced '}'"),
    Case("netlist_missing_close.pb.txt", 18, "node {", "'node {' inside 'node'"),
    Case("netlist_truncated.pb.txt", 37, "value {", "file ends inside 'value' (truncated?)"),
    Case("netlist_unknown_type.pb.txt", 12, "BLOCK", "unknown type 'BLOCK'", "type"),
    Case("netlist_node_without_type.pb.txt", 10, "node {", "node 'M0' has no type", "type"),
    Case("netlist_pin_names_unknown_macro.pb.txt", 23, "M9", "names unknown macro 'M9'"),
    Case("netlist_input_names_unknown_node.pb.txt", 29, "X0", "unknown node 'X0' in the inputs"),
    Case("netlist_duplicate_node_name.pb.txt", 28, "M0", "duplicate node name 'M0'", "name"),
    Case("netlist_negative_width.pb.txt", 13, "-10", "negative size -10.0 x 20.0", "width"),
    Case("netlist_macro_without_width.pb.txt", 10, "node {", "lacks attribute 'width'", "width"),
    Case("netlist_bad_orientation.pb.txt", 17, "NE", "unknown orientation 'NE'", "orientation"),
    Case("netlist_non_numeric_height.pb.txt", 14, "twenty", "expected a number", "height"),
    Case("netlist_infinite_height.pb.txt", 14, "1e999", "is not finite", "height"),
    Case("netlist_negative_weight.pb.txt", 38, "-2", "negative weight", "weight"),
    Case("netlist_duplicate_attribute.pb.txt", 16, '"x"', "has attribute 'x' twice", "x"),
    Case("netlist_node_with_two_names.pb.txt", 12, "M1", "has a second name 'M1'", "name"),
    Case("netlist_attribute_with_two_values.pb.txt", 39, "i: 3", "has a second value"),
    Case("netlist_bad_escape.pb.txt", 3, "\\xZZ", "bad escape in string", "name"),
    Case("netlist_unexpected_field.pb.txt", 15, "colour", "unexpected field 'colour'", "colour"),
    Case("netlist_top_level_not_node.pb.txt", 2, "graph", "expected 'node {', got 'graph {'"),
    Case("netlist_node_without_name.pb.txt", 19, "node {", "node without a name"),
    Case("netlist_attribute_without_key.pb.txt", 39, "}", "attr without key or value"),
    Case("netlist_stray_character.pb.txt", 24, ";", "unexpected character ';'"),
    Case("netlist_unterminated_string.pb.txt", 6, '"LEFT', "unterminated string"),
]

PLC_CASES = [
    Case("plc_pin_index.plc", 6, "2 30 40", "index 2 is not a macro, port or cell", "node_index"),
    Case("plc_unknown_index.plc", 6, "9 30 40", "node index 9 is not a macro", "node_index"),
    Case("plc_negative_index.plc", 6, "-1", "node index '-1' is not an integer", "node_index"),
    Case("plc_non_ascii_index.plc", 6, "¹", "is not an integer", "node_index"),
    Case("plc_wrong_column_count.plc", 6, "1 30 40 N", "expected 'node_index x y orientation"),
    Case("plc_bad_orientation.plc", 6, "Q", "unknown orientation 'Q'", "orientation"),
    Case("plc_non_numeric_x.plc", 6, "3O", "expected a number, got '3O'", "x"),
    Case("plc_bad_fixed_flag.plc", 6, "N 2", "fixed flag must be 0 or 1, got '2'", "fixed"),
    Case("plc_node_listed_twice.plc", 7, "1 70 70", "node index 1 listed twice"),
    Case("plc_non_numeric_columns.plc", 2, "four", "expected a number, got 'four'"),
    Case("plc_zero_columns.plc", 2, "Columns : 0", "Columns and Rows must be positive integers"),
    Case("plc_negative_canvas.plc", 3, "-100", "canvas size must be positive"),
    Case("plc_short_blockage.plc", 4, "Blockage", "expected 'Blockage : x_min y_min x_max y_max"),
    Case("plc_foreign_counts.plc", 4, "133", "counts 133 HARD_MACROs but", "HARD_MACROs"),
]


def test_good_circuit_training_design__reads():
    design = read_circuit_training(CT / "good" / "netlist.pb.txt")
    netlist = design.netlist
    assert (netlist.num_nodes, netlist.num_nets, netlist.num_net_pins) == (3, 3, 6)
    assert design.plc is not None and design.plc.grid_cols == 4


def test_bad_circuit_training_cases__cover_every_bad_file():
    listed = {case.file for case in NETLIST_CASES + PLC_CASES}
    on_disk = {path.name for path in CT.glob("*.*")}
    assert listed == on_disk


@pytest.mark.parametrize("case", _params(NETLIST_CASES))
def test_bad_circuit_training_netlist__raises_format_error_naming_file_line_and_fault(case):
    bad = CT / case.file
    error = _raises(read_circuit_training, bad, CT / "good" / "initial.plc")
    _check(error, case, bad, bad.read_text())


@pytest.mark.parametrize("case", _params(NETLIST_CASES[:4]))
def test_gzipped_bad_netlist__names_the_gz_file_and_the_line_inside_it(case, tmp_path):
    bad = CT / case.file
    target = tmp_path / "netlist.pb.txt.gz"
    target.write_bytes(gzip.compress(bad.read_bytes()))
    error = _raises(read_circuit_training, target, CT / "good" / "initial.plc")
    _check(error, case, target, bad.read_text())


@pytest.mark.parametrize("case", _params(PLC_CASES))
def test_bad_plc__raises_format_error_naming_file_line_and_fault(case):
    bad = CT / case.file
    error = _raises(read_circuit_training, CT / "good" / "netlist.pb.txt", bad)
    _check(error, case, bad, bad.read_text())


@pytest.mark.parametrize("case", _params(PLC_CASES[:3]))
def test_read_plc__raises_the_same_error(case):
    netlist = read_circuit_training(CT / "good" / "netlist.pb.txt").netlist
    bad = CT / case.file
    error = _raises(read_plc, bad, netlist)
    _check(error, case, bad, bad.read_text())


def test_foreign_initial_plc_beside_the_netlist__is_refused_not_picked_silently(tmp_path):
    """A .plc whose node counts are another design's, lying beside a netlist as its
    ``initial.plc``, used to be applied wherever its indices happened to fit."""
    shutil.copy(CT / "good" / "netlist.pb.txt", tmp_path / "netlist.pb.txt")
    shutil.copy(CT / "plc_foreign_counts.plc", tmp_path / "initial.plc")
    error = _raises(read_circuit_training, tmp_path / "netlist.pb.txt")
    assert type(error) is NetlistFormatError and Path(error.path) == tmp_path / "initial.plc"
    assert "another design" in error.reason and "beside" in error.reason
    assert (error.line, error.field) == (4, "HARD_MACROs")


def test_every_bundled_plc__counts_the_nodes_of_its_own_netlist():
    """The check that refuses foreign .plc files accepts every bundled one."""
    shipped = [bundled for bundled in netlists.bundled_designs() if bundled.placements]
    assert len(shipped) >= 10
    for bundled in shipped:
        design = netlists.load(bundled.name)
        for path in bundled.placements.values():
            netlists.read_placement(path, design.netlist)


def test_missing_plc__raises_format_error(tmp_path):
    missing = tmp_path / "none.plc"
    error = _raises(read_circuit_training, CT / "good" / "netlist.pb.txt", missing)
    assert type(error) is NetlistFormatError
    assert Path(error.path) == missing and "file not found" in error.reason


def test_truncated_gzip_netlist__raises_format_error(tmp_path):
    target = tmp_path / "netlist.pb.txt.gz"
    target.write_bytes(gzip.compress((CT / "good" / "netlist.pb.txt").read_bytes())[:-5])
    error = _raises(read_circuit_training, target)
    assert type(error) is NetlistFormatError and Path(error.path) == target
    assert "corrupt or truncated gzip data" in error.reason


@pytest.mark.parametrize("outline", ["0 100", "-5 100", "100 inf", "nan 100"])
def test_mcnc_block__an_outline_that_is_not_positive_and_finite_is_refused(tmp_path, outline):
    source = DATA_DIR / "mcnc_gsrc_floorplan" / "n10"
    block = (source / "n10.block").read_text()
    lines = [
        f"Outline : {outline}" if line.startswith("Outline") else line
        for line in block.splitlines()
    ]
    (tmp_path / "n10.block").write_text("\n".join(lines) + "\n")
    shutil.copy(source / "n10.nets", tmp_path / "n10.nets")
    with pytest.raises(NetlistFormatError, match="positive|not finite") as caught:
        read_design(tmp_path / "n10.block")
    assert caught.value.field == "Outline"
