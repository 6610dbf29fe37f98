"""The synthetic design generator: deterministic, legal by construction, and every knob bites."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netlists
from netlists import Design, InvalidNetlistError, NodeKind
from netlists.generator import (
    NAME_FORM,
    GeneratorConfig,
    degree_probabilities,
    design_name,
    generate,
    parse_design_name,
)

ARRAYS = ("node_kinds", "node_sizes", "node_fixed", "pin_nodes", "pin_offsets", "pin_directions",
          "net_weights", "net_starts", "net_pins", "net_drivers")  # fmt: skip


def overlapping_pairs(design: Design) -> list[tuple[int, int]]:
    """Golden O(n^2) check: pairs of hard macros whose interiors intersect (touching is fine)."""
    nl, pos = design.netlist, design.placement.positions
    macros = np.flatnonzero(nl.node_kinds == NodeKind.HARD_MACRO)
    low = pos[macros] - nl.node_sizes[macros] / 2
    high = pos[macros] + nl.node_sizes[macros] / 2
    pairs = []
    for a in range(len(macros)):
        for b in range(a + 1, len(macros)):
            if (np.minimum(high[a], high[b]) - np.maximum(low[a], low[b]) > 0).all():
                pairs.append((int(macros[a]), int(macros[b])))
    return pairs


def net_members(design: Design) -> list[np.ndarray]:
    nl = design.netlist
    return [nl.pin_nodes[nl.net_pin_indices(j)] for j in range(nl.num_nets)]


def macro_utilisation(design: Design) -> float:
    nl = design.netlist
    return float(nl.node_sizes[:, 0] @ nl.node_sizes[:, 1]) / nl.canvas.area


def assert_valid(design: Design, config: GeneratorConfig) -> None:
    """Everything a generated design promises, checked from its arrays."""
    nl, placement = design.netlist, design.placement
    canvas, n, p = nl.canvas, config.num_macros, config.num_ports
    macros = nl.nodes_of_kind(NodeKind.HARD_MACRO)
    ports = nl.nodes_of_kind(NodeKind.PORT)
    assert len(macros) == n and len(ports) == p and nl.num_nodes == n + p
    assert not nl.node_fixed[macros].any() and nl.node_fixed[ports].all()
    assert placement.placed.all() and not placement.orientations.any()
    # The shipped placement is legal: inside the die and overlap-free.
    pos, sizes = placement.positions, nl.node_sizes
    assert (pos[macros] - sizes[macros] / 2 >= [canvas.x_min, canvas.y_min]).all()
    assert (pos[macros] + sizes[macros] / 2 <= [canvas.x_max, canvas.y_max]).all()
    assert overlapping_pairs(design) == []
    assert (sizes[macros] > 0).all()
    assert macro_utilisation(design) == pytest.approx(config.utilisation, rel=1e-9)
    # Ports lie on the boundary.
    x, y = pos[ports, 0], pos[ports, 1]
    scale = max(canvas.width, canvas.height) * 1e-12
    inside = (x >= canvas.x_min - scale) & (x <= canvas.x_max + scale)
    inside &= (y >= canvas.y_min - scale) & (y <= canvas.y_max + scale)
    gap = np.min(np.abs([x - canvas.x_min, x - canvas.x_max, y - canvas.y_min, y - canvas.y_max]),
                 axis=0)  # fmt: skip
    assert inside.all() and (gap <= scale).all()
    # Nets: 2..max pins, distinct nodes, every macro and port on one, a driver on the net.
    members = net_members(design)
    degrees = np.diff(nl.net_starts)
    assert degrees.min() >= 2 and degrees.max() <= config.max_net_degree
    assert all(len(np.unique(m)) == len(m) for m in members)
    assert np.isin(np.arange(n + p), np.concatenate(members)).all()
    assert (nl.net_drivers == nl.net_starts[:-1]).all()
    assert nl.num_nets == round(config.nets_per_macro * n) + p
    # Pins sit on their node.
    assert (np.abs(nl.pin_offsets) <= sizes[nl.pin_nodes] / 2).all()
    assert nl.name == design_name(config, parse_design_name(nl.name)[1])


def test_default_design__valid_named_and_square():
    config = GeneratorConfig()
    design = generate(config, 7)
    assert design.name == "synth-m32-s7" and design.source == "synth-m32-s7"
    assert_valid(design, config)
    assert design.netlist.canvas.width == pytest.approx(design.netlist.canvas.height)


def test_same_seed__identical_design():
    config = GeneratorConfig(num_macros=25, num_ports=9, locality=2.5)
    a, b = generate(config, 11), generate(config, 11)
    assert a.netlist.same_as(b.netlist)
    for field in ARRAYS:  # same_as compares these too; spelt out so a failure names the field
        np.testing.assert_array_equal(getattr(a.netlist, field), getattr(b.netlist, field))
    np.testing.assert_array_equal(a.placement.positions, b.placement.positions)
    assert a.netlist.canvas == b.netlist.canvas


def test_different_seeds__different_designs():
    config = GeneratorConfig(num_macros=20)
    a, b = generate(config, 1), generate(config, 2)
    assert a.name != b.name
    assert not np.array_equal(a.netlist.node_sizes, b.netlist.node_sizes)
    assert not np.array_equal(a.placement.positions, b.placement.positions)
    assert not np.array_equal(a.netlist.pin_nodes, b.netlist.pin_nodes)


@settings(max_examples=20, deadline=None)
@given(
    num_macros=st.integers(2, 40),
    size_sigma=st.floats(0.0, 1.5),
    aspect_sigma=st.floats(0.0, 1.0),
    utilisation=st.floats(0.01, 0.7),
    degree=st.tuples(st.floats(0.0, 1.0), st.integers(2, 20)),
    nets_per_macro=st.floats(1.0, 4.0),
    locality=st.floats(0.0, 100.0),
    num_ports=st.integers(0, 24),
    die_aspect=st.floats(0.25, 4.0),
    seed=st.integers(0, 2**32),
)
def test_any_config__valid_design_and_name_round_trips(degree, seed, **fields):
    fraction, cap = degree
    config = GeneratorConfig(mean_net_degree=2 + fraction * (cap - 2), max_net_degree=cap, **fields)
    design = generate(config, seed)
    assert_valid(design, config)
    assert parse_design_name(design.name) == (config, seed)
    assert design.netlist.canvas.width / design.netlist.canvas.height == pytest.approx(
        config.die_aspect
    )


def test_json_round_trip__keeps_the_design(tmp_path):
    design = generate(GeneratorConfig(num_macros=12, num_ports=5), 4)
    path = netlists.write_design(design, tmp_path / "synth.json")
    back = netlists.read_design(path)
    assert back.netlist.name == design.name
    np.testing.assert_allclose(back.placement.positions, design.placement.positions)
    np.testing.assert_array_equal(
        np.diff(back.netlist.net_starts), np.diff(design.netlist.net_starts)
    )


# -- the knobs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("utilisation", [0.1, 0.4, 0.7])
def test_utilisation__sets_the_macro_area_fraction(utilisation):
    design = generate(GeneratorConfig(utilisation=utilisation), 0)
    assert macro_utilisation(design) == pytest.approx(utilisation, rel=1e-9)
    assert overlapping_pairs(design) == []


def test_mean_net_degree__raises_the_measured_mean():
    means = []
    for mean in (2.5, 4.0, 6.0):
        config = GeneratorConfig(num_macros=150, mean_net_degree=mean, max_net_degree=16)
        degrees = np.diff(generate(config, 3).netlist.net_starts)
        assert degrees.mean() == pytest.approx(mean, abs=0.35)
        means.append(degrees.mean())
    assert means[0] < means[1] < means[2]


def test_max_net_degree__caps_every_net():
    config = GeneratorConfig(num_macros=60, mean_net_degree=2.9, max_net_degree=3)
    degrees = np.diff(generate(config, 5).netlist.net_starts)
    assert degrees.max() == 3 and set(np.unique(degrees)) == {2, 3}


def test_degree_probabilities__have_the_requested_mean():
    for mean, cap in ((2.0, 12), (3.0, 12), (7.5, 8), (9.0, 9), (2.0, 2)):
        probabilities = degree_probabilities(mean, cap)
        assert probabilities.shape == (cap + 1,) and probabilities[:2].sum() == 0
        assert probabilities.sum() == pytest.approx(1.0)
        assert probabilities @ np.arange(cap + 1) == pytest.approx(mean, abs=1e-6)
    # Geometric: each degree is a fixed fraction of the one below.
    probabilities = degree_probabilities(3.0, 12)
    np.testing.assert_allclose(
        probabilities[3:] / probabilities[2:-1], probabilities[3] / probabilities[2]
    )


def test_locality__shortens_the_nets_of_the_hidden_placement():
    def mean_span(locality: float) -> float:
        design = generate(GeneratorConfig(num_macros=80, num_ports=0, locality=locality), 9)
        pos = design.placement.positions
        spans = [np.ptp(pos[m], axis=0).sum() for m in net_members(design)]
        return float(np.mean(spans)) / design.netlist.canvas.width

    assert mean_span(0.0) > 1.5 * mean_span(2.0) > 1.5 * 1.2 * mean_span(8.0)


def test_size_and_aspect_sigma__spread_the_macro_shapes():
    def shapes(**fields):
        sizes = generate(GeneratorConfig(num_macros=50, utilisation=0.2, **fields), 1).netlist
        sizes = sizes.node_sizes[:50]
        return np.log(sizes.prod(axis=1)).std(), np.log(sizes[:, 0] / sizes[:, 1]).std()

    area_spread, aspect_spread = shapes(size_sigma=0.0, aspect_sigma=0.0)
    assert area_spread == pytest.approx(0.0, abs=1e-9) and aspect_spread == pytest.approx(
        0, abs=1e-9
    )
    area_spread, aspect_spread = shapes(size_sigma=1.0, aspect_sigma=0.5)
    assert 1.4 < area_spread < 2.6 and 0.35 < aspect_spread < 0.65  # log area sd is 2 * size_sigma


def test_ports__spread_around_the_whole_ring():
    design = generate(GeneratorConfig(num_ports=16), 2)
    nl = design.netlist
    ports = design.placement.positions[nl.nodes_of_kind(NodeKind.PORT)]
    w, h = nl.canvas.width, nl.canvas.height
    edges = [ports[:, 1] == 0, ports[:, 0] == w, ports[:, 1] == h, ports[:, 0] == 0]
    assert all(edge.sum() >= 2 for edge in edges)
    assert generate(GeneratorConfig(num_ports=0), 2).netlist.num_nodes == 32


# -- names and validation --------------------------------------------------------------------------


def test_design_name__encodes_only_the_non_default_fields():
    assert design_name(GeneratorConfig(num_macros=40), 3) == "synth-m40-s3"
    config = GeneratorConfig(utilisation=0.5, mean_net_degree=4, macro_side=0.00001)
    assert design_name(config, 7) == "synth-m32-c0.00001-u0.5-d4-s7"
    assert parse_design_name("synth-m32-d4-u0.5-c.00001-s7") == (config, 7)


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("synth-mX-s1", "the form is"),
        ("synth-m32", "the form is"),
        ("synth-m0-s1", "num_macros must be an integer in [2, 10000], got 0"),
        ("synth-m4-q1-s1", "unknown field code 'q'"),
        ("synth-m4-u0.5-u0.6-s1", "repeated field code 'u'"),
        ("synth-m4-x2.5-s1", "'2.5' is not an integer"),
        ("synth-m4-u0.5.1-s1", "'0.5.1' is not a plain decimal"),
        ("synth-m4-u0.9-s1", "utilisation must be a number in (0, 0.7]"),
    ],
)
def test_parse_design_name__malformed_names_say_what_and_give_the_form(name, fragment):
    with pytest.raises(InvalidNetlistError) as caught:
        parse_design_name(name)
    message = str(caught.value)
    assert fragment in message and NAME_FORM in message and name in message


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("num_macros", 1, "num_macros must be an integer in [2, 10000], got 1"),
        ("num_macros", 3.5, "num_macros must be an integer"),
        ("num_macros", True, "got True"),
        ("num_ports", -1, "num_ports must be an integer in [0, 10000]"),
        ("macro_side", 0.0, "macro_side must be a number in (0, inf]"),
        ("macro_side", math.inf, "got inf"),
        ("size_sigma", -0.1, "size_sigma must be a number in [0, 1.5]"),
        ("aspect_sigma", float("nan"), "got nan"),
        ("utilisation", 0.0, "utilisation must be a number in (0, 0.7]"),
        ("utilisation", 0.71, "got 0.71"),
        ("mean_net_degree", 1.5, "mean_net_degree must be a number in [2, 1000]"),
        ("mean_net_degree", 13.0, "must not exceed max_net_degree (12)"),
        ("nets_per_macro", 0.5, "nets_per_macro must be a number in [1, 100]"),
        ("locality", -1.0, "locality must be a number in [0, 100]"),
        ("die_aspect", 5.0, "die_aspect must be a number in [0.25, 4]"),
        ("utilisation", "0.4", "got '0.4'"),
    ],
)
def test_config__rejects_bad_values_naming_the_field(field, value, fragment):
    with pytest.raises(InvalidNetlistError, match="GeneratorConfig") as caught:
        GeneratorConfig(**{field: value})
    assert fragment in str(caught.value)


def test_config__integers_are_accepted_for_float_fields_and_normalised():
    config = GeneratorConfig(utilisation=np.float32(0.5), macro_side=50, num_macros=np.int64(8))
    assert type(config.macro_side) is float and type(config.num_macros) is int
    assert config == GeneratorConfig(
        utilisation=float(np.float32(0.5)), macro_side=50.0, num_macros=8
    )


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3"])
def test_generate__rejects_a_bad_seed(seed):
    with pytest.raises(InvalidNetlistError, match="seed must be a non-negative integer"):
        generate(GeneratorConfig(), seed)
