"""Block-level static timing against hand-computed values and a path-enumerating golden model."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

import netlists
from netlists import Canvas, InvalidNetlistError, Net, Netlist, Node, NodeKind, Pin, Placement
from netlists.formats import read_design, write_design
from netlists.timing import TimingGraph
from netlists.wires import NANGATE45, WireModel
from placement_env.timing import analyse_timing

# A purely linear wire model makes hand computation easy: 1 ns per mm, no offset.
LINEAR = WireModel("linear", 0.0, 0.0, 1.0, 0.0, 1e12, 1e12)


def _design(blocks, sequential, arcs, period=2.0, tcq=0.1, setup=0.05):
    """Blocks are (name, x, y); arcs are (from, to, before, after, stages), one net each."""
    nodes = [Node(name, NodeKind.HARD_MACRO, 10.0, 10.0) for name, _, _ in blocks]
    nets = [
        Net(f"n{k}", (Pin(a, name=f"{a}/o{k}"), Pin(b, name=f"{b}/i{k}")), driver=0)
        for k, (a, b, *_rest) in enumerate(arcs)
    ]
    base = Netlist.from_records("timed", Canvas(10000.0, 10000.0), nodes, nets)
    names = [name for name, _, _ in blocks]
    timing = TimingGraph(
        clock_period_ns=period,
        clock_to_q_ns=tcq,
        setup_ns=setup,
        sequential=np.array([name in sequential for name in names]),
        arc_names=tuple(f"{a}->{b}" for a, b, *_ in arcs),
        arc_from_pin=np.arange(0, 2 * len(arcs), 2),
        arc_to_pin=np.arange(1, 2 * len(arcs), 2),
        arc_before_ns=[arc[2] for arc in arcs],
        arc_after_ns=[arc[3] for arc in arcs],
        arc_stages=[arc[4] for arc in arcs],
    )
    netlist = replace(base, timing=timing)
    positions = np.array([(x, y) for _, x, y in blocks], dtype=float)
    return netlist, Placement(positions, np.zeros(len(blocks)), np.ones(len(blocks), dtype=bool))


def test_register_to_register_arc__hand_computed():
    # A at (0,0), B at 1000 um away: wire 1 ns. Path: 0.1 + 0.2 + 1.0 + 0.3 = 1.6; + setup 1.65.
    netlist, placement = _design(
        [("A", 0, 0), ("B", 600, 400)], {"A", "B"}, [("A", "B", 0.2, 0.3, 0)]
    )
    report = analyse_timing(netlist, placement, LINEAR)
    assert report.min_period_ns == pytest.approx(1.65)
    assert report.worst_slack_ns == pytest.approx(0.35)
    assert report.fmax_mhz == pytest.approx(1000 / 1.65)
    assert report.wns_ns == 0.0 and report.tns_ns == 0.0
    assert report.arc_length_um[0] == pytest.approx(1000.0)
    assert report.critical_path == ("A", "B")


def test_combinational_chain__adds_up_and_reports_the_critical_path():
    # A(seq) -> C(comb) -> B(seq) and a short A -> B; the chain is critical.
    blocks = [("A", 0, 0), ("C", 500, 0), ("B", 500, 500)]
    arcs = [("A", "C", 0.1, 0.0, 0), ("C", "B", 0.0, 0.2, 0), ("A", "B", 0.0, 0.0, 0)]
    netlist, placement = _design(blocks, {"A", "B"}, arcs, period=1.0)
    report = analyse_timing(netlist, placement, LINEAR)
    chain = 0.1 + 0.1 + 0.5 + 0.0 + 0.5 + 0.2  # tcq, before, wire, ..., wire, after
    assert report.min_period_ns == pytest.approx(chain + 0.05)
    assert report.worst_slack_ns == pytest.approx(1.0 - 0.05 - chain)
    assert report.tns_ns == pytest.approx(report.worst_slack_ns)  # B is the one endpoint
    assert report.critical_path == ("A", "C", "B")
    assert report.critical_arcs == ("A->C", "C->B")
    np.testing.assert_allclose(report.arc_slack_ns[:2], report.worst_slack_ns)
    assert report.arc_slack_ns[2] == pytest.approx(1.0 - 0.05 - (0.1 + 1.0))


def test_pipeline_stages__split_the_wire():
    # 3000 um wire, two registers: three 1 ns segments.
    netlist, placement = _design(
        [("A", 0, 0), ("B", 3000, 0)], {"A", "B"}, [("A", "B", 0.4, 0.2, 2)], period=1.0
    )
    report = analyse_timing(netlist, placement, LINEAR)
    first = 0.1 + 0.4 + 1.0
    middle = 0.1 + 1.0
    last = 0.1 + 1.0 + 0.2
    assert report.min_period_ns == pytest.approx(max(first, middle, last) + 0.05)
    assert report.tns_ns == pytest.approx(sum(1.0 - 0.05 - t for t in (first, middle, last)))
    assert report.critical_path == ("A", "A->B:register")


def test_moving_blocks_apart__costs_the_buffered_slope_per_mm():
    netlist, near = _design([("A", 0, 0), ("B", 2000, 0)], {"A", "B"}, [("A", "B", 0, 0, 0)])
    far = near.with_positions([1], [[2500.0, 0.0]])
    delta = (
        analyse_timing(netlist, near).worst_slack_ns - analyse_timing(netlist, far).worst_slack_ns
    )
    assert delta == pytest.approx(NANGATE45.buffered_ns_per_mm * 0.5)


def test_wire_model__elmore_for_short_wires_buffered_for_long():
    lengths = np.array([10.0, 50.0, 5000.0])
    delay = NANGATE45.delay_ns(lengths)
    assert delay[0] == pytest.approx(NANGATE45.elmore_ns(10.0))
    assert delay[2] == pytest.approx(0.12 * 5 + 0.03)
    assert (np.diff(delay) > 0).all()


def _golden(netlist, placement, wire):
    """Enumerate every launch-to-capture path (fine for tiny graphs); worst slack per endpoint."""
    timing = netlist.timing
    pins = placement.pin_positions(netlist)
    src = netlist.pin_nodes[timing.arc_from_pin]
    dst = netlist.pin_nodes[timing.arc_to_pin]
    length = np.abs(pins[timing.arc_from_pin] - pins[timing.arc_to_pin]).sum(axis=1)
    seg = wire.delay_ns(length / (timing.arc_stages + 1))
    tcq, tsu, period = timing.clock_to_q_ns, timing.setup_ns, timing.clock_period_ns
    seq = timing.sequential
    outgoing = {u: [k for k in range(timing.num_arcs) if src[k] == u] for u in set(src.tolist())}
    endpoints: dict[object, float] = {}

    def record(key, arrival):
        endpoints[key] = min(endpoints.get(key, np.inf), period - tsu - arrival)

    def walk(arc, arrival):
        v = dst[arc]
        if seq[v] or v not in outgoing:
            record(("node", v), arrival)
            return
        for nxt in outgoing[v]:
            follow(nxt, arrival)

    def follow(k, start):
        if timing.arc_stages[k]:
            record(("first", k), start + timing.arc_before_ns[k] + seg[k])
        else:
            walk(k, start + timing.arc_before_ns[k] + seg[k] + timing.arc_after_ns[k])

    for k in range(timing.num_arcs):
        for stage in range(timing.arc_stages[k] - 1):
            record(("middle", k, stage), tcq + seg[k])
        if timing.arc_stages[k]:  # the last segment launches from its own register
            walk(k, tcq + seg[k] + timing.arc_after_ns[k])
        u = src[k]
        unpiped_inputs = any(
            dst[j] == u and not timing.arc_stages[j] for j in range(timing.num_arcs)
        )
        if seq[u]:
            follow(k, tcq)
        elif not unpiped_inputs:
            # A combinational block launches at 0, or when its pipelined inputs arrive.
            starts = [
                tcq + seg[j] + timing.arc_after_ns[j]
                for j in range(timing.num_arcs)
                if dst[j] == u and timing.arc_stages[j]
            ]
            follow(k, max(starts, default=0.0))
    slacks = np.array(list(endpoints.values()))
    return slacks.min(), np.minimum(slacks, 0).sum()


@pytest.mark.parametrize("seed", range(40))
def test_random_dags__worst_slack_matches_path_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = 7
    blocks = [(f"B{i}", *rng.uniform(0, 3000, 2)) for i in range(n)]
    sequential = {f"B{i}" for i in range(n) if rng.random() < 0.4} | {"B0"}
    arcs = [
        (f"B{i}", f"B{j}", rng.uniform(0, 0.3), rng.uniform(0, 0.3), int(rng.integers(0, 3)))
        for i, j in itertools.combinations(range(n), 2)
        if rng.random() < 0.35
    ]
    netlist, placement = _design(blocks, sequential, arcs, period=1.5)
    report = analyse_timing(netlist, placement)
    worst, tns = _golden(netlist, placement, NANGATE45)
    assert report.worst_slack_ns == pytest.approx(worst)
    assert report.tns_ns == pytest.approx(tns)
    assert report.arc_slack_ns.min() == pytest.approx(worst)
    assert report.fmax_mhz * report.min_period_ns == pytest.approx(1000.0)


def test_combinational_cycle__is_reported_with_its_blocks():
    netlist, placement = _design(
        [("A", 0, 0), ("B", 10, 0)], set(), [("A", "B", 0, 0, 0), ("B", "A", 0, 0, 0)]
    )
    with pytest.raises(InvalidNetlistError, match="combinational cycle"):
        analyse_timing(netlist, placement)


def test_timing_graph__rejects_arcs_between_unconnected_pins():
    netlist = Netlist.from_records(
        "two",
        Canvas(10, 10),
        [Node("A", NodeKind.HARD_MACRO, 1, 1), Node("B", NodeKind.HARD_MACRO, 1, 1)],
        [Net("n0", (Pin("A"),)), Net("n1", (Pin("B"),))],
    )
    unconnected = TimingGraph(1.0, 0.1, 0.05, [True, True], ("x",), [0], [1], [0.0], [0.0], [0])
    with pytest.raises(InvalidNetlistError, match="share no net"):
        replace(netlist, timing=unconnected)
    with pytest.raises(InvalidNetlistError, match="positive clock period"):
        TimingGraph(0.0, 0.1, 0.05, [True], (), [], [], [], [], [])
    with pytest.raises(InvalidNetlistError, match="3 entries, netlist has 2 nodes"):
        replace(netlist, timing=TimingGraph(1.0, 0.1, 0.05, [True] * 3, (), [], [], [], [], []))


def test_timing__without_arcs_is_a_clear_error():
    design = netlists.load("n10")
    with pytest.raises(InvalidNetlistError, match="no timing arcs"):
        analyse_timing(design.netlist, design.placement)


def test_json_round_trip__keeps_the_timing_graph(tmp_path):
    netlist, placement = _design(
        [("A", 0, 0), ("C", 500, 0), ("B", 500, 500)],
        {"A", "B"},
        [("A", "C", 0.1, 0.0, 0), ("C", "B", 0.0, 0.2, 1)],
    )
    path = write_design(netlists.Design(netlist, placement), tmp_path / "timed.json")
    again = read_design(path)
    assert again.netlist.same_as(netlist)
    assert analyse_timing(again.netlist, again.placement).worst_slack_ns == pytest.approx(
        analyse_timing(netlist, placement).worst_slack_ns
    )
