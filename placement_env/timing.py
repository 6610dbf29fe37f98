"""Block-level static timing: slack per arc, worst and total negative slack, f_max, critical path.

The design's :class:`netlists.timing.TimingGraph` gives the arcs; the placement gives each arc's
wire length (Manhattan distance between its two pins, or routed lengths passed in); a
:class:`WireModel` turns length into delay. Timing then propagates on arrays:

* a sequential block launches at ``clock_to_q``; a combinational block's output time is the
  latest arrival over its incoming arcs (0 when it has none);
* an arc without pipeline registers delays by ``before + wire(L) + after``; an arc with ``s``
  registers is cut into ``s + 1`` segments of length ``L / (s + 1)``: the first ends at a register
  (``before + wire``), middle ones run register to register, the last starts at a register
  (``clock_to_q + wire + after``);
* endpoints are sequential blocks, blocks with no outgoing arc, and the inserted registers; each
  must see its data ``setup`` before the clock edge.

``min_period = max over endpoints of (arrival + setup)``, ``f_max = 1 / min_period``; slack is
``period - setup - arrival`` at endpoints and propagates backwards as required times.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from netlists import InvalidNetlistError, Netlist, Placement
from netlists.wires import NANGATE45, WireModel


@dataclass(frozen=True, eq=False)
class TimingReport:
    """Timing of one placement.

    Attributes:
        period_ns: The target clock period (ns).
        min_period_ns: Shortest period every endpoint meets (ns).
        fmax_mhz: 1000 / ``min_period_ns`` (MHz).
        worst_slack_ns: Smallest slack over all endpoints (ns; positive when timing is met).
        wns_ns: Worst negative slack, ``min(0, worst_slack_ns)`` (ns).
        tns_ns: Total negative slack over endpoints (ns, <= 0).
        arc_slack_ns: (n_arcs,) worst slack of any path through each arc (ns).
        arc_length_um: (n_arcs,) wire length of each arc (microns).
        arc_wire_ns: (n_arcs,) wire delay of each arc's longest segment (ns).
        critical_path: Node names along the worst path, launch to capture.
        critical_arcs: Arc names along the worst path.
    """

    period_ns: float
    min_period_ns: float
    fmax_mhz: float
    worst_slack_ns: float
    wns_ns: float
    tns_ns: float
    arc_slack_ns: np.ndarray
    arc_length_um: np.ndarray
    arc_wire_ns: np.ndarray
    critical_path: tuple[str, ...]
    critical_arcs: tuple[str, ...]


def _levels(
    netlist: Netlist, combinational_arcs: np.ndarray, sources: np.ndarray, targets: np.ndarray
) -> list[np.ndarray]:
    """Arc indices grouped so that every arc's source time is final before its group runs."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(netlist.num_nodes))
    # Only arcs that end in a combinational block pass time on; order their sources first.
    for k in combinational_arcs:
        graph.add_edge(int(sources[k]), int(targets[k]))
    try:
        generation = {}
        for level, nodes in enumerate(nx.topological_generations(graph)):
            for node in nodes:
                generation[node] = level
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(graph)
        names = " -> ".join(netlist.node_names[u] for u, _ in cycle)
        raise InvalidNetlistError(f"combinational cycle in the timing graph: {names}") from None
    arc_level = np.array([generation[int(s)] for s in sources], dtype=np.int64)
    return (
        [np.flatnonzero(arc_level == level) for level in range(int(arc_level.max()) + 1)]
        if len(arc_level)
        else []
    )


def analyse_timing(
    netlist: Netlist,
    placement: Placement,
    wire: WireModel = NANGATE45,
    lengths_um: np.ndarray | None = None,
) -> TimingReport:
    """Static timing of ``placement`` (see the module docstring for the model).

    Args:
        netlist: A netlist with a :attr:`~netlists.Netlist.timing` graph.
        placement: Positions and orientations of its nodes.
        wire: The wire delay model.
        lengths_um: Optional (n_arcs,) wire lengths (e.g. routed); default Manhattan distance
            between each arc's pins.

    Raises:
        InvalidNetlistError: The netlist has no timing graph, the placement does not match it, or
            the arcs form a combinational cycle.
    """
    timing = netlist.timing
    if timing is None:
        raise InvalidNetlistError(f"netlist {netlist.name!r} has no timing arcs")
    placement.check_matches(netlist)
    period, tcq, tsu = timing.clock_period_ns, timing.clock_to_q_ns, timing.setup_ns
    sources = netlist.pin_nodes[timing.arc_from_pin].astype(np.int64)
    targets = netlist.pin_nodes[timing.arc_to_pin].astype(np.int64)
    if lengths_um is None:
        pins = placement.pin_positions(netlist)
        lengths = np.abs(pins[timing.arc_from_pin] - pins[timing.arc_to_pin]).sum(axis=1)
    else:
        lengths = np.asarray(lengths_um, dtype=np.float64)
        if lengths.shape != (timing.num_arcs,) or not np.isfinite(lengths).all():
            raise InvalidNetlistError(f"lengths_um must be {timing.num_arcs} finite lengths")
    segments = timing.arc_stages + 1
    wire_ns = wire.delay_ns(lengths / segments)
    piped = timing.arc_stages > 0
    before, after = timing.arc_before_ns, timing.arc_after_ns
    # Delay from the source block's output time to the target (unpiped), or from the last
    # inserted register (piped, independent of the source).
    to_target = np.where(piped, tcq + wire_ns + after, before + wire_ns + after)
    sequential = timing.sequential
    has_out = np.zeros(netlist.num_nodes, dtype=bool)
    has_out[sources] = True
    endpoint = sequential | ~has_out  # nodes that capture
    passes_on = ~piped & ~sequential[targets]

    best_arc = np.full(netlist.num_nodes, -1, dtype=np.int64)  # latest arc into each block
    arrival_in = np.full(netlist.num_nodes, -np.inf)  # latest arrival at each block's inputs

    def arrive(k: int, time: float) -> None:
        v = targets[k]
        if time > arrival_in[v]:
            arrival_in[v], best_arc[v] = time, k

    for k in np.flatnonzero(piped).tolist():  # the last segment starts at its own register
        arrive(k, to_target[k])
    # (n_nodes,) time data leaves each block; combinational blocks are updated level by level.
    out_time = np.where(sequential, tcq, np.maximum(arrival_in, 0.0))
    levels = _levels(netlist, np.flatnonzero(passes_on), sources, targets)
    for arcs in levels:
        for k in arcs[~piped[arcs]].tolist():
            arrive(k, out_time[sources[k]] + to_target[k])
        reached = targets[arcs][~sequential[targets[arcs]]]
        out_time[reached] = np.maximum(arrival_in[reached], 0.0)

    arrive_all = np.where(piped, to_target, out_time[sources] + to_target)
    first_segment = np.where(piped, out_time[sources] + before + wire_ns, -np.inf)
    middle = np.where(timing.arc_stages >= 2, tcq + wire_ns, -np.inf)
    required_end = period - tsu
    # Backward pass: required time at each block's output.
    required_out = np.full(netlist.num_nodes, np.inf)
    required_in = np.where(endpoint, required_end, np.inf)
    for arcs in reversed(levels):
        for k in arcs.tolist():
            u, v = sources[k], targets[k]
            limit = (
                required_end - before[k] - wire_ns[k]
                if piped[k]
                else (required_in[v] - to_target[k])
            )
            if limit < required_out[u]:
                required_out[u] = limit
            if not sequential[u] and required_out[u] < required_in[u]:
                required_in[u] = required_out[u]
    capture = np.where(piped, required_end, required_in[targets]) - arrive_all
    launch = np.where(piped, required_end - first_segment, np.inf)
    mid = np.where(timing.arc_stages >= 2, required_end - middle, np.inf)
    arc_slack = np.minimum(np.minimum(capture, launch), mid)
    # Endpoint slacks: arcs into capturing blocks, plus every inserted register.
    # Endpoint slacks: each capturing block once (its latest arrival), plus every inserted
    # register (the first of each piped arc, and stages - 1 register-to-register ones).
    into_endpoint = endpoint[targets]
    node_slack = np.full(netlist.num_nodes, np.inf)
    np.minimum.at(node_slack, targets[into_endpoint], (required_end - arrive_all)[into_endpoint])
    repeats = np.maximum(timing.arc_stages - 1, 0)
    endpoint_slacks = np.concatenate(
        [
            node_slack[np.isfinite(node_slack)],
            (required_end - first_segment)[piped],
            np.repeat(required_end - middle, repeats),
        ]
    )
    if len(endpoint_slacks):
        worst = float(endpoint_slacks.min())
        tns = float(np.minimum(endpoint_slacks, 0.0).sum())
    else:
        worst, tns = period - tsu, 0.0
    min_period = period - worst
    path, arc_names = _critical_path(
        netlist,
        timing,
        sources,
        targets,
        arrive_all,
        first_segment,
        middle,
        into_endpoint,
        best_arc,
        sequential,
    )
    return TimingReport(
        period_ns=period,
        min_period_ns=min_period,
        fmax_mhz=1000.0 / min_period if min_period > 0 else np.inf,
        worst_slack_ns=worst,
        wns_ns=min(0.0, worst),
        tns_ns=tns,
        arc_slack_ns=arc_slack,
        arc_length_um=lengths,
        arc_wire_ns=wire_ns,
        critical_path=path,
        critical_arcs=arc_names,
    )


def _critical_path(
    netlist,
    timing,
    sources,
    targets,
    arrive_all,
    first_segment,
    middle,
    into_endpoint,
    best_arc,
    sequential,
):
    """Walks back from the latest-arriving endpoint along the latest incoming arcs."""
    if not timing.num_arcs:
        return (), ()
    candidates = np.stack(
        [
            np.where(into_endpoint, arrive_all, -np.inf),
            first_segment,
            middle,
        ]
    )
    kind, arc = np.unravel_index(int(np.argmax(candidates)), candidates.shape)
    names = timing.arc_names
    if kind == 2:  # register to register inside a pipelined wire
        return (f"{names[arc]}:register", f"{names[arc]}:register"), (names[arc],)
    nodes = [netlist.node_names[targets[arc]] if kind == 0 else f"{names[arc]}:register"]
    arcs = [names[arc]]
    current = arc
    if kind == 0 and timing.arc_stages[current] > 0:
        nodes.append(f"{names[current]}:register")
        return tuple(reversed(nodes)), tuple(reversed(arcs))
    while True:
        u = sources[current]
        nodes.append(netlist.node_names[u])
        previous = best_arc[u]
        if sequential[u] or previous < 0:
            break
        arcs.append(names[previous])
        current = previous
        if timing.arc_stages[current] > 0:
            nodes.append(f"{names[current]}:register")
            break
    return tuple(reversed(nodes)), tuple(reversed(arcs))
