"""The ISPD 2008 readers and writers: round trips, located errors on bad files, fuzzing."""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netlists.errors import NetlistFormatError
from placement_env.routing.astar import route_sequential
from placement_env.routing.ispd08 import (
    format_ispd08,
    path_runs,
    read_ispd08,
    read_ispd08_solution,
    write_ispd08,
    write_ispd08_solution,
)
from placement_env.routing.problem import CapacityAdjustment, RoutingNet, RoutingProblem
from placement_env.routing.synthetic import SyntheticConfig, generate

FUZZ = settings(
    max_examples=int(os.environ.get("PARSER_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def layered_problem(name: str = "tiny") -> RoutingProblem:
    nets = (
        RoutingNet("a", 0, np.array([[5.0, 5.0, 1], [35.5, 15.0, 2], [12.0, 22.0, 3]]), 1.0),
        RoutingNet("b", 7, np.array([[1.25, 29.0, 1], [39.0, 1.0, 1]]), 2.0),
        RoutingNet("solo", 2, np.array([[3.0, 3.0, 2]]), 0.5),
    )
    return RoutingProblem(
        nx=4,
        ny=3,
        vertical_capacity=(0.0, 20.0, 0.0),
        horizontal_capacity=(20.0, 0.0, 12.5),
        min_width=(1.0, 1.0, 2.0),
        min_spacing=(1.0, 1.0, 0.5),
        via_spacing=(1.0, 1.0, 1.0),
        origin=(0.0, 0.0),
        tile_width=10.0,
        tile_height=10.0,
        nets=nets,
        adjustments=(
            CapacityAdjustment((1, 1, 1), (2, 1, 1), 4.0),
            CapacityAdjustment((0, 0, 2), (0, 1, 2), 0.0),
        ),
        name=name,
    )


def assert_same_problem(a: RoutingProblem, b: RoutingProblem) -> None:
    assert a == b
    for x, y in zip(a.tracks_2d(), b.tracks_2d(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_problems_and_nets_compare_by_value_pins_included():
    problem = layered_problem()
    assert problem == layered_problem() and problem.nets[0] == layered_problem().nets[0]
    net = problem.nets[0]
    moved = RoutingNet(net.name, net.net_id, net.pins + [1.0, 0.0, 0.0], net.min_width)
    assert net != moved
    assert problem != RoutingProblem(
        **{
            **{f: getattr(problem, f) for f in problem.__dataclass_fields__ if f != "_cache"},
            "nets": (moved, *problem.nets[1:]),
        }
    )
    assert problem != layered_problem(name="other")


@pytest.mark.parametrize("suffix", [".gr", ".gr.gz"])
def test_write_then_read_gives_an_equal_layered_problem(tmp_path, suffix):
    problem = layered_problem()
    path = write_ispd08(problem, tmp_path / f"tiny{suffix}")
    if suffix.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert_same_problem(read_ispd08(path), problem)


def test_write_then_read_gives_an_equal_synthetic_problem(tmp_path):
    problem = generate(SyntheticConfig(grid=6, num_nets=9, reduced_edges=4), seed=3)
    back = read_ispd08(write_ispd08(problem, tmp_path / "p.gr"))
    assert_same_problem(
        back,
        RoutingProblem(
            **{
                **{f: getattr(problem, f) for f in problem.__dataclass_fields__ if f != "_cache"},
                "name": "p",
            }
        ),
    )


def test_reader_accepts_a_file_without_adjustment_count(tmp_path):
    text = format_ispd08(layered_problem())
    body = text[: text.rindex("\n2\n") + 1]
    (tmp_path / "x.gr").write_text(body)
    assert read_ispd08(tmp_path / "x.gr").adjustments == ()


def test_writer_rejects_a_net_name_with_spaces(tmp_path):
    problem = RoutingProblem.two_layer(
        np.ones((1, 2)), np.ones((2, 1)), [("a b", [[0, 0], [1, 1]])]
    )
    with pytest.raises(ValueError, match="white space"):
        write_ispd08(problem, tmp_path / "x.gr")


# --------------------------------------------------------------------------- bad files

GOOD = format_ispd08(layered_problem())


def _mutate_line(text: str, line: int, new: str | None) -> str:
    lines = text.splitlines()
    if new is None:
        del lines[line - 1]
    else:
        lines[line - 1] = new
    return "\n".join(lines) + "\n"


BAD = {
    "bad grid number": (_mutate_line(GOOD, 1, "grid 4 x 3"), 1, "grid"),
    "missing grid keyword": (_mutate_line(GOOD, 1, "size 4 3 3"), 1, "grid"),
    "layer count mismatch": (
        _mutate_line(GOOD, 2, "vertical capacity 0 20"),
        2,
        "vertical capacity",
    ),
    "negative capacity": (
        _mutate_line(GOOD, 3, "horizontal capacity 20 -1 12.5"),
        3,
        "horizontal capacity",
    ),
    "zero tile": (_mutate_line(GOOD, 7, "0 0 0 10"), 7, "tile size"),
    "bad net count": (_mutate_line(GOOD, 8, "num net three"), 8, "num net"),
    "pin outside grid": (_mutate_line(GOOD, 10, "45 5 1"), 10, "net a pin 1"),
    "pin on missing layer": (_mutate_line(GOOD, 10, "5 5 4"), 10, "net a pin 1"),
    "pin fractional layer": (_mutate_line(GOOD, 10, "5 5 1.5"), 10, "net a pin 1"),
    "pin bad number": (_mutate_line(GOOD, 10, "5 nan 1"), 10, "net a pin 1"),
    "negative net width": (_mutate_line(GOOD, 9, "a 0 3 -1"), 9, "net a"),
    "more pins than declared": (_mutate_line(GOOD, 13, "b 7 2 2 extra"), 13, "net 2"),
    "adjustment not neighbours": (_mutate_line(GOOD, 19, "1 1 1 3 1 1 4"), 19, "adjustment 1"),
    "adjustment negative": (_mutate_line(GOOD, 19, "1 1 1 2 1 1 -4"), 19, "adjustment 1"),
    "trailing text": (GOOD + "junk\n", 21, "adjustments"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_raises_a_located_format_error(tmp_path, case):
    text, line, field = BAD[case]
    path = tmp_path / "bad.gr"
    path.write_text(text)
    with pytest.raises(NetlistFormatError) as info:
        read_ispd08(path)
    assert info.value.path == str(path)
    assert info.value.line == line
    assert info.value.field == field


@pytest.mark.parametrize("cut", [1, 5, 9, 12, 19])
def test_truncated_file_says_the_file_ends_early(tmp_path, cut):
    lines = GOOD.splitlines()
    text = "\n".join(lines[:cut]) + "\n"
    (tmp_path / "t.gr").write_text(text)
    with pytest.raises(NetlistFormatError, match="ends early|expected"):
        read_ispd08(tmp_path / "t.gr")


def test_missing_and_corrupt_gzip_files_raise_format_errors(tmp_path):
    with pytest.raises(NetlistFormatError, match="not found"):
        read_ispd08(tmp_path / "nope.gr")
    data = gzip.compress(GOOD.encode())
    (tmp_path / "c.gr.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(NetlistFormatError, match="gzip"):
        read_ispd08(tmp_path / "c.gr.gz")


def _mutations(draw, text: str) -> str:
    lines = text.splitlines() or [""]
    kind = draw(st.sampled_from(["delete", "duplicate", "swap", "token", "cut", "bytes"]))
    k = draw(st.integers(0, len(lines) - 1))
    if kind == "delete":
        del lines[k]
    elif kind == "duplicate":
        lines.insert(k, lines[k])
    elif kind == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[k], lines[j] = lines[j], lines[k]
    elif kind == "token":
        tokens = lines[k].split() or [""]
        t = draw(st.integers(0, len(tokens) - 1))
        tokens[t] = draw(
            st.one_of(
                st.sampled_from(
                    [
                        "-1",
                        "0",
                        "1e308",
                        "inf",
                        "nan",
                        "99999999999",
                        "1.5",
                        "",
                        "x",
                        "(1,2,3)",
                        "²",
                    ]
                ),
                st.text(max_size=6),
            )
        )
        lines[k] = " ".join(tokens)
    elif kind == "cut":
        joined = "\n".join(lines)
        return joined[: draw(st.integers(0, len(joined)))]
    else:
        lines[k] = draw(st.text(max_size=20))
    return "\n".join(lines) + "\n"


@FUZZ
@given(st.data(), st.booleans())
def test_fuzzed_files_read_or_raise_only_format_errors(data, compress):
    base = data.draw(
        st.sampled_from(
            [GOOD, format_ispd08(generate(SyntheticConfig(grid=4, num_nets=3, reduced_edges=2), 1))]
        )
    )
    text = _mutations(data.draw, base)
    if data.draw(st.booleans()):
        text = _mutations(data.draw, text)
    raw = text.encode("utf-8", errors="surrogatepass")
    if compress:
        raw = gzip.compress(raw)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.gr"
        path.write_bytes(raw)
        try:
            problem = read_ispd08(path)
        except NetlistFormatError as error:
            assert error.path == str(path)
        else:
            assert isinstance(problem, RoutingProblem)


# --------------------------------------------------------------------------- solutions


def test_path_runs_split_a_path_at_its_bends():
    runs = path_runs(np.array([[0, 0], [1, 0], [2, 0], [2, 1], [2, 2], [1, 2]]))
    assert [(a, s.tolist(), e.tolist()) for a, s, e in runs] == [
        (0, [0, 0], [2, 0]),
        (1, [2, 0], [2, 2]),
        (0, [2, 2], [1, 2]),
    ]
    with pytest.raises(ValueError, match="neighbours"):
        path_runs(np.array([[0, 0], [2, 0]]))


def test_solution_round_trip_counts_wire_and_vias_of_astar_routes(tmp_path):
    problem = generate(SyntheticConfig(grid=6, num_nets=8), seed=5)
    result = route_sequential(problem)
    path = write_ispd08_solution(problem, result.routes, tmp_path / "p.sol")
    segments = read_ispd08_solution(path)
    routed = {net.name for net, paths in zip(problem.nets, result.routes, strict=True) if paths}
    assert set(segments) == routed
    all_segments = np.concatenate(list(segments.values()))
    via = all_segments[:, 2] != all_segments[:, 5]
    assert via.sum() == result.vias
    length = np.abs(all_segments[~via, :2] - all_segments[~via, 3:5]).sum()
    assert length == sum(len(p) - 1 for paths in result.routes for p in paths)
    # Tile centres of unit tiles sit at half-integers; wires on layer 1 are horizontal.
    layer1 = all_segments[~via & (all_segments[:, 2] == 1)]
    np.testing.assert_array_equal(layer1[:, 1], layer1[:, 4])
    assert (all_segments[:, [0, 1, 3, 4]] % 1 == 0.5).all()


@pytest.mark.parametrize(
    "text",
    [
        "a 0 1\n(0.5,0.5,1)-(1.5,0.5,1)\n",  # no "!"
        "a 0 2\n(0.5,0.5,1)-(1.5,0.5,1)\n!\n",  # fewer segments than declared
        "a 0 1\n(0.5,0.5,1)-(1.5,0.5)\n!\n",  # malformed segment
        "a x 1\n(0.5,0.5,1)-(1.5,0.5,1)\n!\n",  # bad id
    ],
)
def test_bad_solution_files_raise_format_errors(tmp_path, text):
    (tmp_path / "s.sol").write_text(text)
    with pytest.raises(NetlistFormatError):
        read_ispd08_solution(tmp_path / "s.sol")
