"""LEF/DEF: the bundled designs load with the counts their headers and staging notes give, pins
land where the LEF/DEF orientation rules put them, a DEF written back keeps every position and
orientation, and malformed files raise NetlistFormatError with file, line and field."""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import netlists
from netlists.errors import NetlistFormatError, UnsupportedFormatError
from netlists.formats import read_design, write_design
from netlists.formats.def_format import DefNotes, lef_files_beside, read_def, write_def
from netlists.formats.lef import read_lef
from netlists.types import NodeKind, Orientation, PinDirection

DATA = Path(netlists.__file__).parent / "data" / "lefdef"
ARIANE = DATA / "ariane" / "ariane.def.gz"
GCD = DATA / "gcd_mem1" / "gcd_mem1.def.gz"


@cache
def _read(path: Path):
    notes: list[DefNotes] = []
    return read_def(path, notes=notes), notes[0]


def _independent_counts(path: Path) -> dict[str, int]:
    """Counts taken from the raw text with regular expressions, not with the reader."""
    text = gzip.decompress(path.read_bytes()).decode()
    counts: dict[str, int] = {}
    for section in ("COMPONENTS", "PINS", "NETS"):
        body = re.search(rf"^{section} (\d+) ;(.*?)^END {section}", text, re.S | re.M)
        assert body is not None
        counts[f"{section}_header"] = int(body.group(1))
        counts[section] = len(re.findall(r"^\s*- ", body.group(2), re.M))
        if section == "NETS":
            counts["connections"] = len(re.findall(r"\( ", body.group(2)))
    return counts


# -- the bundled designs ---------------------------------------------------------------------------


def test_gcd_mem1__counts_match_the_header_and_the_staging_notes():
    design, notes = _read(GCD)
    netlist = design.netlist
    counts = _independent_counts(GCD)
    kinds = np.bincount(netlist.node_kinds, minlength=4)
    # staged: 307 components (1 macro + 306 std cells), 61 pins, 384 nets, 1185 connections
    assert counts["COMPONENTS"] == counts["COMPONENTS_header"] == 307
    assert kinds[NodeKind.HARD_MACRO] + kinds[NodeKind.STD_CELL] == 307
    assert (kinds[NodeKind.HARD_MACRO], kinds[NodeKind.STD_CELL]) == (1, 306)
    assert kinds[NodeKind.PORT] == counts["PINS"] == 61
    assert netlist.num_nets == counts["NETS"] == 384
    assert netlist.num_net_pins == counts["connections"] == 1185
    assert (netlist.canvas.width, netlist.canvas.height) == (120.0, 80.0)
    assert notes.lines() == []


def test_gcd_mem1__the_memory_macro_has_its_lef_size_and_lies_inside_the_die():
    design, _ = _read(GCD)
    netlist = design.netlist
    mem = netlist.index_of("mem0")
    assert netlist.node_kinds[mem] == NodeKind.HARD_MACRO
    np.testing.assert_allclose(netlist.node_sizes[mem], (53.77, 56.0))
    assert design.placement.placed[mem] and not netlist.node_fixed[mem]
    (x, y), (w, h) = design.placement.positions[mem], netlist.node_sizes[mem]
    assert x - w / 2 >= 0 and y - h / 2 >= 0 and x + w / 2 <= 120 and y + h / 2 <= 80


def test_ariane__counts_match_the_header_and_the_staging_notes():
    design, notes = _read(ARIANE)
    netlist = design.netlist
    counts = _independent_counts(ARIANE)
    kinds = np.bincount(netlist.node_kinds, minlength=4)
    # staged: 82,954 components = 133 macros (CLASS BLOCK) + 82,821 std cells; 1,231 I/O pins;
    # 85,193 nets with 320,820 connections; die 356.592 x 356.64 um at 2000 units per micron
    assert counts["COMPONENTS"] == counts["COMPONENTS_header"] == 82954
    assert (kinds[NodeKind.HARD_MACRO], kinds[NodeKind.STD_CELL]) == (133, 82821)
    assert kinds[NodeKind.PORT] == counts["PINS"] == counts["PINS_header"] == 1231
    assert netlist.num_nets == counts["NETS"] == counts["NETS_header"] == 85193
    assert netlist.num_net_pins == counts["connections"] == 320820
    assert (netlist.canvas.width, netlist.canvas.height) == (356.592, 356.64)
    assert notes.repeated_net_names > 0  # TILOS's conversion reuses net names


def test_ariane__the_133_macros_are_one_block_master_all_placed():
    design, _ = _read(ARIANE)
    netlist = design.netlist
    macros = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    assert len(macros) == 133
    np.testing.assert_allclose(netlist.node_sizes[macros], [[29.355, 19.26]] * 133)
    assert design.placement.placed[macros].all()
    library = read_lef(DATA / "ariane" / "ariane.lef.gz")
    blocks = [m for m in library.macros.values() if m.is_block]
    assert [m.name for m in blocks] == ["sacrls0g4l1p256x16m2b1w0c0p1d0l1rm3sdrw00"]


def test_bundled_names__load_and_match_read_def():
    for name, path in (("gcd_mem1", GCD), ("ariane_lefdef", ARIANE)):
        loaded = netlists.load(name)
        direct, _ = _read(path)
        assert loaded.name == name
        assert loaded.netlist.num_nodes == direct.netlist.num_nodes
        assert loaded.placement.same_as(direct.placement)


# -- geometry: orientation, units, ports -----------------------------------------------------------

LEF = """VERSION 5.8 ;
UNITS
  DATABASE MICRONS 1000 ;
END UNITS
SITE core
  CLASS CORE ;
  SIZE 0.5 BY 2 ;
  SYMMETRY Y ;
END core
LAYER m1
  TYPE ROUTING ;
  PROPERTY LEF58_X "a ; b # c" ;
END m1
MACRO RAM
  CLASS BLOCK ;
  ORIGIN 0 0 ;
  SIZE 10 BY 4 ;
  PIN A # a comment ; with a semicolon
    DIRECTION INPUT ;
    PORT
      LAYER m1 ;
      RECT 1 0.5 2 1.5 ;
    END
  END A
  PIN Q
    DIRECTION OUTPUT ;
    PORT
      LAYER m1 ;
      POLYGON 8 3 9 3 9 4 8 4 ;
    END
  END Q
  OBS
    LAYER m1 ;
    RECT 0 0 10 4 ;
  END
END RAM
MACRO INV
  CLASS CORE ;
  SIZE 1 BY 2 ;
  SITE core ;
  PIN I DIRECTION INPUT ; PORT LAYER m1 ; RECT 0.1 0.9 0.3 1.1 ; END END I
  PIN O DIRECTION OUTPUT ; PORT LAYER m1 ; RECT 0.7 0.9 0.9 1.1 ; END END O
END INV
END LIBRARY
"""


def _def_text(orientations: list[str]) -> str:
    components = "\n".join(
        f"  - r{k} RAM + PLACED ( {k * 20000} 10000 ) {o} ;" for k, o in enumerate(orientations)
    )
    nets = "\n".join(
        f"  - n{k} ( r{k} Q ) ( u0 I ) + USE SIGNAL ;" for k in range(len(orientations))
    )
    return f"""VERSION 5.8 ;
DESIGN tiny ;
UNITS DISTANCE MICRONS 1000 ;
DIEAREA ( 0 0 ) ( {20000 * len(orientations)} 40000 ) ;
ROW r0 core 0 0 N DO 40 BY 1 STEP 500 0 ;
COMPONENTS {len(orientations) + 2} ;
{components}
  - u0 INV + FIXED ( 1000 30000 ) FS ;
  - u1 INV + UNPLACED ;
END COMPONENTS
PINS 1 ;
  - clk + NET clk + DIRECTION INPUT + USE SIGNAL
    + PORT + LAYER m1 ( -100 -100 ) ( 100 300 )
    + FIXED ( 500 0 ) N ;
END PINS
SPECIALNETS 1 ;
  - VDD ( * VDD ) + USE POWER ;
END SPECIALNETS
NETS {len(orientations) + 1} ;
  - clk ( PIN clk ) ( u0 I ) ( u1 I ) + USE CLOCK + WEIGHT 2 ;
{nets}
END NETS
END DESIGN
"""


def _write_tiny(folder: Path, orientations: list[str]) -> Path:
    (folder / "tiny.lef").write_text(LEF)
    path = folder / "tiny.def"
    path.write_text(_def_text(orientations))
    return path


def _golden_point(orientation: str, x: float, y: float, w: float, h: float):
    """Where the LEF point (x, y) of a w x h master lands, measured from the DEF location (the
    lower-left corner of the oriented footprint), per the LEF/DEF orientation table."""
    return {
        "N": (x, y),
        "S": (w - x, h - y),
        "W": (h - y, x),
        "E": (y, w - x),
        "FN": (w - x, y),
        "FS": (x, h - y),
        "FW": (y, x),
        "FE": (h - y, w - x),
    }[orientation]


def test_pins__land_where_the_def_orientation_table_puts_them(tmp_path):
    names = [o.name for o in Orientation]
    design = read_def(_write_tiny(tmp_path, names))
    netlist, placement = design.netlist, design.placement
    pins = placement.pin_positions(netlist)
    for k, orientation in enumerate(names):
        node = netlist.index_of(f"r{k}")
        assert Orientation(int(placement.orientations[node])).name == orientation
        pin = next(i for i in range(netlist.num_pins) if netlist.pin_nodes[i] == node)
        assert netlist.pin_names[pin] == "Q"
        gx, gy = _golden_point(orientation, 8.5, 3.5, 10.0, 4.0)  # Q's polygon centre
        np.testing.assert_allclose(pins[pin], (k * 20 + gx, 10 + gy), atol=1e-9)


def test_def__status_units_ports_rows_and_drivers(tmp_path):
    notes: list[DefNotes] = []
    design = read_def(_write_tiny(tmp_path, ["N"]), notes=notes)
    netlist, placement = design.netlist, design.placement
    u0, u1, clk = (netlist.index_of(n) for n in ("u0", "u1", "clk"))
    assert netlist.node_fixed[u0] and not netlist.node_fixed[u1]
    assert placement.placed[u0] and not placement.placed[u1]
    np.testing.assert_allclose(placement.positions[u0], (1.5, 31.0))  # FS: no side swap
    assert netlist.node_kinds[clk] == NodeKind.PORT and netlist.node_fixed[clk]
    np.testing.assert_allclose(placement.positions[clk], (0.5, 0.1))  # rect centre (0, 0.1)
    row = netlist.canvas.rows[0]
    assert (row.height, row.num_sites, row.site_width, row.site_spacing) == (2.0, 40, 0.5, 0.5)
    net = netlist.net(0)
    assert net.name == "clk" and net.weight == 2.0
    assert net.pins[net.driver].node == "clk"  # the chip INPUT pin drives its net
    assert net.pins[net.driver].direction == PinDirection.OUTPUT
    net = netlist.net(1)
    assert net.pins[net.driver].node == "r0" and net.pins[net.driver].name == "Q"
    assert net.pins[net.driver].direction == PinDirection.OUTPUT
    assert notes[0].special_nets == 1 and "SPECIALNETS" in notes[0].lines()[0]


def test_lef__comments_and_quoted_semicolons_do_not_split_statements(tmp_path):
    (tmp_path / "a.lef").write_text(LEF)
    library = read_lef(tmp_path / "a.lef")
    assert set(library.macros) == {"RAM", "INV"} and set(library.sites) == {"core"}
    ram = library.macros["RAM"]
    assert ram.is_block and (ram.width, ram.height) == (10.0, 4.0)
    assert (ram.pins["A"].x, ram.pins["A"].y) == (1.5, 1.0)
    assert ram.pins["Q"].direction == PinDirection.OUTPUT


def test_lef__a_master_in_two_files_keeps_the_first(tmp_path):
    (tmp_path / "a.lef").write_text(LEF)
    (tmp_path / "b.lef").write_text(LEF.replace("SIZE 10 BY 4", "SIZE 11 BY 4"))
    library = read_lef([tmp_path / "a.lef", tmp_path / "b.lef"])
    assert library.macros["RAM"].width == 10.0
    assert "RAM" in library.duplicates


def test_lef_files_beside__finds_plain_and_gzipped(tmp_path):
    (tmp_path / "x.lef").write_text(LEF)
    (tmp_path / "tech.lef.gz").write_bytes(gzip.compress(LEF.encode()))
    (tmp_path / "x.def").write_text("")
    assert [p.name for p in lef_files_beside(tmp_path / "x.def")] == ["tech.lef.gz", "x.lef"]


# -- writing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [GCD, ARIANE], ids=["gcd_mem1", "ariane"])
def test_write_def__unchanged_placement_writes_the_same_bytes(path, tmp_path):
    design, _ = _read(path)
    out = write_def(design, tmp_path / "out.def.gz", components="all")
    assert gzip.decompress(out.read_bytes()) == gzip.decompress(path.read_bytes())


def test_write_def__round_trip_keeps_moved_and_turned_macros(tmp_path):
    design, _ = _read(ARIANE)
    netlist = design.netlist
    rng = np.random.default_rng(7)
    macros = netlist.nodes_of_kind(NodeKind.HARD_MACRO)
    positions = design.placement.positions.copy()
    orientations = design.placement.orientations.copy()
    # new lower-left corners on the 1/2000 um grid, centres from the oriented sizes
    orientations[macros] = rng.integers(0, 8, len(macros))
    sizes = netlist.node_sizes[macros].copy()
    turned = np.isin(orientations[macros], [int(o) for o in Orientation if o.swaps_sides])
    sizes[turned] = sizes[turned][:, ::-1]
    corners = rng.integers(0, 600_000, (len(macros), 2)) / 2000
    positions[macros] = corners + sizes / 2
    moved = design.placement.with_positions(
        macros, positions[macros], orientations=orientations[macros]
    )
    out = write_def(design, tmp_path / "moved.def", placement=moved, fix_macros=True)
    again = read_def(out, lef_files_beside(ARIANE))
    np.testing.assert_allclose(again.placement.positions, moved.positions, rtol=0, atol=1e-9)
    assert (again.placement.orientations == moved.orientations).all()
    assert again.netlist.node_fixed[macros].all()  # written FIXED, as a flow wants them
    cells = netlist.nodes_of_kind(NodeKind.STD_CELL)
    assert not again.netlist.node_fixed[cells].any()


def test_write_design__def_needs_a_def_source(tmp_path):
    design = netlists.load("ibm01")
    with pytest.raises(UnsupportedFormatError, match="copies the DEF"):
        write_design(design, tmp_path / "x.def")


def test_write_def__a_template_of_another_design_is_refused(tmp_path):
    design, _ = _read(ARIANE)
    with pytest.raises(NetlistFormatError, match="another design"):
        write_def(design, tmp_path / "x.def", template=GCD)


def test_read_design__dispatches_def_and_takes_lef_paths(tmp_path):
    path = _write_tiny(tmp_path, ["N"])
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "tiny.def").write_text(path.read_text())
    with pytest.raises(NetlistFormatError, match="no LEF file"):
        read_design(moved / "tiny.def")
    design = read_design(moved / "tiny.def", lef_paths=[tmp_path / "tiny.lef"])
    assert design.name == "tiny"
    with pytest.raises(UnsupportedFormatError, match="LEF files go with a DEF"):
        read_design(netlists.bundled.BUNDLED["n10"].path, lef_paths=[tmp_path / "tiny.lef"])


# -- bad input ------------------------------------------------------------------------------------

BAD_DEF = [
    ("  - u0 INV + FIXED", "  - u0 NAND + FIXED", "master 'NAND' is not in the LEF", 8),
    ("( u0 I ) ( u1 I )", "( u0 I ) ( u1 Z )", "has no pin 'Z'", 20),
    ("( u0 I ) ( u1 I )", "( u0 I ) ( u9 I )", "'u9' is not in COMPONENTS", 20),
    ("COMPONENTS 3 ;", "COMPONENTS 4 ;", "declares 4 entries but has 3", 6),
    ("END DESIGN\n", "", "no 'END DESIGN'", None),
    ("UNITS DISTANCE MICRONS 1000 ;", "UNITS DISTANCE MICRONS 0 ;", "must be positive", 3),
    ("+ FIXED ( 1000 30000 ) FS", "+ FIXED ( 1000 30000 ) Q", "unknown orientation", 8),
    ("+ FIXED ( 1000 30000 )", "+ FIXED ( 1000 x )", "expected a number", 8),
    ("ROW r0 core", "ROW r0 nosite", "row site 'nosite'", 5),
    ("- u1 INV + UNPLACED ;", "- u0 INV + UNPLACED ;", "used twice", 9),
    ("END COMPONENTS", "END PINS", "'END PINS' inside section COMPONENTS", 10),
    ("( 1000 30000 ) FS", "( １０ 30000 ) FS", "expected a number", 8),
    ("( 1000 30000 ) FS", "( 1_000 30000 ) FS", "expected a number", 8),
    ("DO 40 BY 1 STEP 500 0", "DO 0 BY 1 STEP 500 0", "a row of 0 x 1 sites", 5),
    ("DO 40 BY 1 STEP 500 0", "DO 40 BY 1 STEP -500 0", "negative row STEP", 5),
    ("ROW r0 core 0 0 N", "ROW r0 core 0 0 QQ", "unknown orientation", 5),
]


@pytest.mark.parametrize(("old", "new", "message", "line"), BAD_DEF)
def test_bad_def__raises_with_file_line_and_reason(tmp_path, old, new, message, line):
    path = _write_tiny(tmp_path, ["N"])
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(NetlistFormatError, match=re.escape(message)) as caught:
        read_def(path)
    assert caught.value.path == str(path)
    assert caught.value.line == line


BAD_LEF = [
    ("SIZE 10 BY 4 ;", "SIZE 10 4 ;", "expected 'SIZE width BY height ;'", 17),
    ("END RAM", "END RAX", "MACRO RAM ends with another name", 36),
    ("DIRECTION INPUT ;\n    PORT", "DIRECTION SIDEWAYS ;\n    PORT", "unknown direction", 19),
    ("RECT 1 0.5 2 1.5 ;", "RECT 1 0.5 2 ;", "RECT needs x y pairs", 22),
    ("END LIBRARY\n", "", None, None),
    ("END m1\n", "", "LAYER m1 has no 'END m1'", 10),
]


@pytest.mark.parametrize(("old", "new", "message", "line"), BAD_LEF)
def test_bad_lef__raises_with_file_line_and_reason(tmp_path, old, new, message, line):
    path = tmp_path / "a.lef"
    assert old in LEF
    path.write_text(LEF.replace(old, new, 1))
    if message is None:  # END LIBRARY is optional
        assert set(read_lef(path).macros) == {"RAM", "INV"}
        return
    with pytest.raises(NetlistFormatError, match=re.escape(message)) as caught:
        read_lef(path)
    assert caught.value.path == str(path)
    assert caught.value.line == line


def test_read_placement__a_def_places_the_netlist_by_name_without_lefs(tmp_path):
    design, _ = _read(GCD)
    netlist = design.netlist
    mem = netlist.index_of("mem0")
    moved = design.placement.with_positions(
        [mem], [[40.0, 40.0]], orientations=[int(Orientation.E)]
    )
    path = write_def(design, tmp_path / "moved.def", placement=moved)  # no LEF beside it
    again = netlists.read_placement(path, netlist)
    np.testing.assert_allclose(again.positions, moved.positions, rtol=0, atol=1e-9)
    assert (again.orientations == moved.orientations).all()
    assert (again.placed == moved.placed).all()


def test_read_placement__a_def_of_another_design_is_refused():
    with pytest.raises(NetlistFormatError, match="another design"):
        netlists.read_placement(GCD, netlists.load("n10").netlist)


def test_write_def__a_status_in_a_comment_or_a_string_is_left_alone(tmp_path):
    path = _write_tiny(tmp_path, ["N"])
    text = path.read_text().replace(
        "  - r0 RAM + PLACED ( 0 10000 ) N ;",
        '  - r0 RAM # was + FIXED ( 5 5 ) S\n    + PROPERTY note "+ COVER ( 7 7 ) W"'
        " + PLACED ( 0 10000 ) N ;",
    )
    path.write_text(text)
    design = read_def(path)
    r0 = design.netlist.index_of("r0")
    out = write_def(design, tmp_path / "same.def", components="all")
    assert out.read_text() == text  # nothing moved: the same bytes
    moved = design.placement.with_positions([r0], [[6.0, 12.0]])
    out = write_def(design, tmp_path / "moved.def", placement=moved)
    written = out.read_text()
    assert "# was + FIXED ( 5 5 ) S" in written and '"+ COVER ( 7 7 ) W"' in written
    assert "+ PLACED ( 1000 10000 ) N ;" in written  # centre (6, 12) of a 10 x 4 block
    np.testing.assert_allclose(read_def(out).placement.positions[r0], (6.0, 12.0))


def test_lef__origin_shifts_the_pins(tmp_path):
    (tmp_path / "a.lef").write_text(LEF.replace("ORIGIN 0 0 ;", "ORIGIN 1 2 ;"))
    pin = read_lef(tmp_path / "a.lef").macros["RAM"].pins["A"]
    assert (pin.x, pin.y) == (2.5, 3.0)  # RECT 1 0.5 2 1.5 centred at (1.5, 1) plus (1, 2)


def test_def__a_pin_listed_twice_in_a_net_is_one_connection(tmp_path):
    path = _write_tiny(tmp_path, ["N"])
    path.write_text(path.read_text().replace("( u0 I ) ( u1 I )", "( u0 I ) ( u0 I ) ( u1 I )"))
    net = read_def(path).netlist.net(0)
    assert [(p.node, p.name) for p in net.pins] == [("clk", "clk"), ("u0", "I"), ("u1", "I")]


def test_bad_lef__a_pin_defined_twice(tmp_path):
    twice = LEF.replace("  END Q\n", "  END Q\n  PIN Q\n    DIRECTION OUTPUT ;\n  END Q\n")
    (tmp_path / "a.lef").write_text(twice)
    with pytest.raises(NetlistFormatError, match="defines PIN Q twice"):
        read_lef(tmp_path / "a.lef")


def test_write_def__a_template_without_units_is_refused(tmp_path):
    path = _write_tiny(tmp_path, ["N"])
    design = read_def(path)
    bad = tmp_path / "nounits.def"
    bad.write_text(path.read_text().replace("UNITS DISTANCE MICRONS 1000 ;\n", ""))
    with pytest.raises(NetlistFormatError, match="before UNITS"):
        write_def(design, tmp_path / "out.def", template=bad)
    assert not (tmp_path / "out.def").exists()
