"""Applying a Circuit Training grouping (``netlists.grouping``).

* The four TILOS NanGate45 flat netlists with their ``groups.final`` rebuild the bundled clustered
  netlists (``ct_modern/<d>_ng45``) byte for byte, and so node for node, pin for pin, net for net;
  TILOS's legalized ariane133 placement scores the published proxy cost on the rebuilt netlist.
* A hand-made flat netlist pins down each rule: wide nets cut, sinks merged and ordered, multi and
  single output pins, summed weights, soft-macro size and centroid, macro pins turned.
* Bad groups files raise :class:`NetlistFormatError` naming the file and line; fuzzed ones raise
  nothing else.

Rebuilding a TILOS design takes 12-25 s (mostly parsing the flat netlist); one rebuild per design
is shared by its tests. The byte-for-byte rebuilds and the proxy check are the acceptance tests of
the grouping, so they run by default; the array-by-array comparison (which the bytes already
imply, and which says where a difference lies) is marked slow.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from netlists.bundled import DATA_DIR
from netlists.design import Design
from netlists.errors import NetlistFormatError
from netlists.formats.circuit_training import read_circuit_training, read_plc
from netlists.grouping import (
    GroupingSettings,
    apply_grouping,
    format_float32,
    group_design,
    read_flat_netlist,
    read_groups,
)
from netlists.types import NodeKind
from placement_env.proxy_cost import proxy_cost

FLAT_STEMS = {
    "ariane133": "ariane133",
    "ariane136": "ariane136",
    "mempool_tile": "mempool_tile",
    "nvdla": "nvdla_partition_c",
}
DESIGNS = list(FLAT_STEMS)
# TILOS open evaluator on ct_modern/ariane133_ng45/legalized.plc (ct_reference_proxy.json).
ARIANE133_LEGALIZED_PROXY = 0.6859346216785913


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory):
    """``rebuilt(design)`` -> (netlist, initial.plc) written by :func:`group_design` (cached)."""
    done: dict[str, tuple[Path, Path]] = {}

    def build(design: str) -> tuple[Path, Path]:
        if design not in done:
            flat_dir = DATA_DIR / "tilos_ng45" / design
            done[design] = group_design(
                flat_dir / f"{FLAT_STEMS[design]}_flat.pb.txt.gz",
                tmp_path_factory.mktemp(design),
                groups_path=flat_dir / "groups.final.gz",
                plc_path=DATA_DIR / "ct_modern" / f"{design}_ng45" / "initial.plc",
            )
        return done[design]

    return build


@pytest.fixture(scope="module")
def rebuilt_design(rebuilt):
    """``rebuilt_design(design)`` -> the rebuilt netlist read with its initial.plc (cached)."""
    done: dict[str, Design] = {}

    def read(design: str) -> Design:
        if design not in done:
            done[design] = read_circuit_training(*rebuilt(design))
        return done[design]

    return read


def _bundled(design: str) -> Path:
    return DATA_DIR / "ct_modern" / f"{design}_ng45"


# -- the TILOS designs ----------------------------------------------------------------------------


@pytest.mark.parametrize("design", DESIGNS)
def test_rebuilt_netlist_is_byte_identical_to_the_bundled_clustered_netlist(design, rebuilt):
    netlist_path, plc_path = rebuilt(design)
    mine = gzip.decompress(netlist_path.read_bytes())
    theirs = gzip.decompress((_bundled(design) / "netlist.pb.txt.gz").read_bytes())
    assert mine == theirs
    # The .plc given numbers the clustered netlist, so it is copied unchanged.
    assert plc_path.read_bytes() == (_bundled(design) / "initial.plc").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("design", DESIGNS)
def test_rebuilt_netlist_reads_as_the_same_nodes_pins_and_nets(design, rebuilt_design):
    mine = rebuilt_design(design)
    theirs = read_circuit_training(_bundled(design) / "netlist.pb.txt.gz")
    a, b = mine.netlist, theirs.netlist
    assert a.node_names == b.node_names and a.pin_names == b.pin_names
    assert a.net_names == b.net_names
    for field in (
        "node_kinds",
        "node_sizes",  # exact: float32 values, no ulp of slack needed
        "node_fixed",
        "pin_nodes",
        "pin_offsets",
        "pin_directions",
        "net_weights",
        "net_starts",
        "net_pins",
        "net_drivers",
        "source_index",
    ):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    np.testing.assert_array_equal(mine.placement.positions, theirs.placement.positions)
    np.testing.assert_array_equal(mine.placement.orientations, theirs.placement.orientations)
    assert (a.node_kinds == NodeKind.SOFT_MACRO).sum() > 500
    assert not (a.node_kinds == NodeKind.STD_CELL).any()


def test_tilos_legalized_ariane133_scores_the_published_proxy_on_the_rebuilt_netlist(
    rebuilt_design,
):
    design = rebuilt_design("ariane133")
    plc, placement = read_plc(
        _bundled("ariane133") / "legalized.plc", design.netlist, design.placement
    )
    cost = proxy_cost(design.netlist, placement, plc)
    assert abs(cost.proxy - ARIANE133_LEGALIZED_PROXY) <= 1e-6, cost


def test_canvas_comes_from_the_full_precision_viewer_line():
    grouping = GroupingSettings.from_plc(_bundled("ariane133") / "initial.plc")
    assert grouping.canvas_width == 1433.405978506462  # '# Width :' says 1433.406
    assert (grouping.grid_cols, grouping.grid_rows) == (24, 21)
    assert format_float32(grouping.soft_macro_width) == "59.72525"


# -- the rules on a hand-made netlist ------------------------------------------------------------


def _node(name: str, inputs: tuple[str, ...] = (), **attrs: float | str) -> str:
    lines = ["node {", f'  name: "{name}"', *(f'  input: "{i}"' for i in inputs)]
    for key, value in attrs.items():
        text = f'placeholder: "{value}"' if isinstance(value, str) else f"f: {value}"
        lines.append(f'  attr {{ key: "{key}" value {{ {text} }} }}')
    return "\n".join([*lines, "}"])


def _cell(name: str, inputs: tuple[str, ...], w: float, h: float, x: float, y: float, **more):
    kind = {"type": "stdcell", "ref_name": "INV_X1"}
    return _node(name, inputs, **kind, width=w, height=h, x=x, y=y, **more)


# Flat order: 0 in, 1 out, 2 m, 3 m/a, 4 m/b, 5 c0, 6 c1, 7 c2, 8 c3.
TOY_FLAT = "\n".join(
    [
        _node("in", ("c0", "c1"), type="port", side="left", x=0.0, y=5.0),
        _node("out", ("out",), type="port", side="left", x=0.0, y=1.0),
        _node(
            "m",
            (),
            type="macro",
            ref_name="ram",
            width=4.0,
            height=4.0,
            x=10.0,
            y=10.0,
            orientation="S",
        ),
        _node("m/a", ("c2",), type="macro_pin", macro_name="m", x_offset=1.0, y_offset=2.0),
        _node("m/b", (), type="macro_pin", macro_name="m", x_offset=-1.0, y_offset=0.0),
        _cell("c0", ("c1", "m/b", "m/b"), 1.0, 2.0, 1.0, 1.0),
        _cell("c1", ("c2", "out"), 2.0, 1.0, 3.0, 3.0),
        _cell("c2", ("m/b",), 1.0, 1.0, 5.0, 5.0, weight=2.0),
        _cell("c3", ("m/b",), 1.0, 1.0, 7.0, 7.0),
    ]
)
TOY_GROUPS = "0\n0\n0\n0\n0\n4\n4\n1\n1\n"
TOY = GroupingSettings(canvas_width=20.0, canvas_height=20.0, grid_cols=4, grid_rows=2)


def _toy(tmp_path: Path, grouping: GroupingSettings = TOY):
    """The toy netlist grouped: {net name: (sink pins, weight)}, the design and the text."""
    flat_path = tmp_path / "toy_flat.pb.txt"
    flat_path.write_text(TOY_FLAT)
    (tmp_path / "groups.final").write_text(TOY_GROUPS)
    flat = read_flat_netlist(flat_path)
    text = apply_grouping(flat, read_groups(tmp_path / "groups.final", flat.num_nodes), grouping)
    out = tmp_path / "netlist.pb.txt"
    out.write_text(text)
    design = read_circuit_training(out)
    nl = design.netlist
    nets = {}
    for n, name in enumerate(nl.net_names):
        pins = nl.net_pins[nl.net_starts[n] : nl.net_starts[n + 1]]
        nets[name] = ([nl.pin_names[p] for p in pins[1:]], float(nl.net_weights[n]))
    return nets, design, text


def test_toy_nets_follow_the_grouping_rules(tmp_path):
    nets, _, _ = _toy(tmp_path)
    assert nets == {
        "in": (["Grp_4/Pinput"], 1.0),  # two cells of one group: one sink
        "out": (["out"], 1.0),  # a port may sink its own net, as in the TILOS files
        "m/a": (["Grp_1/Pinput"], 1.0),
        # c2 (weight 2) and c3 both drive only m/b: one single pin of weight 3
        "Grp_1/Poutput_single_0": (["m/b"], 3.0),
        # c1 reaches two sinks: groups first (descending id), then nodes in flat order
        "Grp_4/Poutput_multi_0": (["Grp_1/Pinput", "out"], 1.0),
        # c0's sink c1 is in its own group and m/b is listed twice: one sink left
        "Grp_4/Poutput_single_0": (["m/b"], 1.0),
    }


def test_toy_soft_macros_and_macro_pins(tmp_path):
    _, design, text = _toy(tmp_path)
    nl, placement = design.netlist, design.placement
    names = list(nl.node_names)
    assert names == ["in", "out", "m", "Grp_1", "Grp_4"]
    grp1, grp4 = names.index("Grp_1"), names.index("Grp_4")
    # width = 20 / 4 columns; height = cell area x 2 / width; centre = area-weighted centroid
    np.testing.assert_allclose(nl.node_sizes[[grp1, grp4]], [[5, 2 * 2 / 5], [5, 4 * 2 / 5]])
    np.testing.assert_allclose(placement.positions[[grp1, grp4]], [[6, 6], [2, 2]])
    assert text.startswith('node {\n  name: "__metadata__"')
    assert "ref_name" not in text and 'placeholder: "LEFT"' in text
    # m is turned S: pin m/a at (10 - 1, 10 - 2); its raw offset is kept
    block = text[text.index('name: "m/a"') :].split("\n}", 1)[0]
    assert 'key: "x"\n    value {\n      f: 9.0' in block
    assert 'key: "y"\n    value {\n      f: 8.0' in block
    assert 'key: "x_offset"\n    value {\n      f: 1.0' in block


def test_wide_nets_are_disconnected(tmp_path):
    narrow = GroupingSettings(20.0, 20.0, 4, 2, max_fanout=1)
    nets, _, _ = _toy(tmp_path, narrow)
    # in, c1 and c0 (c1 and m/b, listed twice) drive two distinct flat sinks each: cut, even
    # though c0's sink c1 would have vanished inside its group.
    assert nets == {
        "out": (["out"], 1.0),
        "m/a": (["Grp_1/Pinput"], 1.0),
        "Grp_1/Poutput_single_0": (["m/b"], 3.0),
    }


def test_a_plc_of_the_flat_design_gives_a_fresh_initial_plc(tmp_path):
    flat_path = tmp_path / "toy_flat.pb.txt"
    flat_path.write_text(TOY_FLAT)
    (tmp_path / "groups.final").write_text(TOY_GROUPS)
    (tmp_path / "initial.plc").write_text(
        "# Columns : 4  Rows : 2\n# Width : 20.0  Height : 20.0\n"
        "# Routes per micron, hor : 10  ver : 10\n# STDCELLs : 4\n"
        "0 0 5 - 1\n5 1 1 N 0\n"
    )
    netlist_path, plc_path = group_design(flat_path, tmp_path / "out")  # both found beside
    design = read_circuit_training(netlist_path, plc_path)
    assert (design.plc.grid_cols, design.plc.grid_rows) == (4, 2)
    assert design.plc.routes_per_micron_h == 10
    assert design.placement.placed.all()
    np.testing.assert_allclose(
        design.placement.positions, [[0, 5], [0, 1], [10, 10], [6, 6], [2, 2]]
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2.0"),
        (0.035, "0.035"),
        (float(np.float32(1363.7)) + float(np.float32(53.2)), "1416.8999"),
        (1e-5, "0.00001"),  # protobuf writes 1e-05, which TILOS's parser cannot read
        (-0.5, "-0.5"),
        (123456789.0, "123456790.0"),
    ],
)
def test_numbers_are_written_as_protobuf_float32_without_exponents(value, text):
    assert format_float32(value) == text
    assert np.float32(float(text)) == np.float32(value)


# -- bad groups files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("0\n1\nx\n", 3, "group id"),
        ("0\n1.5\n2\n", 2, "group id"),
        ("0\n-1\n2\n", 2, "negative"),
        ("0\n\n2\n", 2, "empty line"),
        ("0\n1\n", 2, "2 group ids for 3 nodes"),
        ("0\n1\n2\n3\n", 4, "4 group ids for 3 nodes"),
    ],
    ids=["word", "fraction", "negative", "blank", "too-few", "too-many"],
)
def test_bad_groups_file_names_file_and_line(tmp_path, content, line, words):
    path = tmp_path / "groups.final.gz"
    path.write_bytes(gzip.compress(content.encode(), mtime=0))
    with pytest.raises(NetlistFormatError) as caught:
        read_groups(path, num_nodes=3)
    assert caught.value.path == str(path) and caught.value.line == line
    assert words in caught.value.reason and str(caught.value).startswith(f"{path}:{line}:")


def test_groups_of_the_wrong_length_for_the_netlist_are_refused(tmp_path):
    flat_path = tmp_path / "toy_flat.pb.txt"
    flat_path.write_text(TOY_FLAT)
    (tmp_path / "groups.final").write_text("0\n" * 8)
    with pytest.raises(NetlistFormatError, match="8 group ids for 9 nodes"):
        group_design(flat_path, tmp_path / "out", plc_path=_bundled("ariane133") / "initial.plc")
    with pytest.raises(NetlistFormatError, match="one id per node"):
        apply_grouping(read_flat_netlist(flat_path), np.zeros(8, dtype=np.int64), TOY)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('input: "c2"', 'input: "nowhere"', "input"),
        (
            'macro_name" value { placeholder: "m"',
            'macro_name" value { placeholder: "c0"',
            "macro_name",
        ),
        ('placeholder: "stdcell"', 'placeholder: "gate"', "type"),
        ('key: "x" value { f: 10.0 }', 'key: "x" value { f: 1e39 }', "x"),  # beyond float32
    ],
)
def test_bad_flat_netlist_names_file_line_and_field(tmp_path, old, new, field):
    path = tmp_path / "flat.pb.txt"
    path.write_text(TOY_FLAT.replace(old, new, 1))
    with pytest.raises(NetlistFormatError) as caught:
        read_flat_netlist(path)
    assert caught.value.path == str(path) and caught.value.field == field
    assert caught.value.line is not None


FUZZ = settings(
    max_examples=int(os.environ.get("PARSER_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LINES = st.one_of(
    st.integers(-3, 10**6).map(str),
    st.sampled_from(["", " ", "1.0", "1e3", "+2", "٣", "²", "0x1", "-", "nan", " 7 ", "3\r"]),
    st.text(max_size=5),
)


@FUZZ
@given(
    lines=st.lists(LINES, max_size=12),
    tail=st.binary(max_size=3),
    packed=st.booleans(),
    num_nodes=st.one_of(st.none(), st.integers(0, 12)),
)
def test_read_groups__fuzzed_file_gives_ids_or_format_error(lines, tail, packed, num_nodes):
    data = "\n".join(lines).encode("utf-8", "surrogatepass") + tail
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("groups.final.gz" if packed else "groups.final")
        path.write_bytes(gzip.compress(data, mtime=0) if packed else data)
        try:
            ids = read_groups(path, num_nodes)
        except NetlistFormatError as error:
            assert type(error) is NetlistFormatError and error.path == str(path)
            assert error.line is None or 1 <= error.line <= data.count(b"\n") + 1
            event("format error")
        else:
            assert ids.dtype == np.int64 and (ids >= 0).all()
            assert num_nodes is None or len(ids) == num_nodes
            event("read ids")


def test_group_flat_design_with_given_groups_keeps_the_cell_utilization(tmp_path):
    from netlists.group_flow import group_flat_design

    flat_path = tmp_path / "toy_flat.pb.txt"
    flat_path.write_text(TOY_FLAT)
    (tmp_path / "groups.final").write_text(TOY_GROUPS)
    header = "# Columns : 4  Rows : 2\n# Width : 20.0  Height : 20.0\n"
    (tmp_path / "initial.plc").write_text(header)
    heights = []
    for ratio in (2.0, 1.0):
        netlist, _ = group_flat_design(
            flat_path,
            tmp_path / f"out{ratio}",
            groups_path=tmp_path / "groups.final",
            area_bloating_ratio=ratio,
        )
        nl = read_circuit_training(netlist).netlist
        heights.append(nl.node_sizes[nl.node_kinds == NodeKind.SOFT_MACRO][:, 1])
    np.testing.assert_allclose(heights[0], [2 * 2 / 5, 4 * 2 / 5])
    np.testing.assert_allclose(heights[1], heights[0] / 2)
