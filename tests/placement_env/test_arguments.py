"""Arguments checked against their annotations: the golden cases of ``fits`` and the env ids."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import gymnasium as gym
import numpy as np
import pytest

import placement_env  # noqa: F401  (registers the env ids)
from placement_env.arguments import ArgumentTypeError, check_types, fits, typed

CASES = [
    (True, bool, True), (np.bool_(False), bool, True), (1, bool, False), ("False", bool, False),
    (3, int, True), (np.int64(3), int, True), (True, int, False), (2.5, int, False),
    ("16", int, False), (2.5, float, True), (2, float, True), (False, float, False),
    (np.float32(1), float, True), ("x", str, True), (3, str, False),
    (None, int | None, True), (None, int, False), ("a", int | str, True),
    ((4, 4), int | Sequence[int], True), ("16", int | Sequence[int], False),
    ([1, "a"], Sequence[int], False), ((1, 2), tuple[int, ...], True),
    ((1, "a"), tuple[int, str], True), ((1, 2), tuple[int, str], False),
    ({"a": 1}, Mapping[str, Any], True), ([], Mapping[str, Any], False),
    (len, Callable[[], int], True), (3, Callable[[], int], False),
    ("a", Literal["a", "b"], True), ("c", Literal["a", "b"], False), (object(), Any, True),
]  # fmt: skip


@pytest.mark.parametrize(("value", "hint", "expected"), CASES)
def test_fits__golden_cases(value, hint, expected):
    assert fits(value, hint) is expected


def _target(flag: bool = False, size: int | None = None, name: str = "x", other=None) -> None:
    """A function with annotations of each kind (and one without)."""


def test_check_types__names_the_argument_and_what_it_must_be():
    check_types(_target, {"flag": True, "size": None, "name": "y", "other": object()}, "t")
    with pytest.raises(ArgumentTypeError, match=r"t: flag='False' .* must be bool \(True or"):
        check_types(_target, {"flag": "False"}, "t")
    with pytest.raises(ValueError, match="size must be int | None"):  # also a ValueError
        check_types(_target, {"size": 2.5}, "t")


def test_typed__checks_every_call_and_names_the_class_for_an_unknown_keyword():
    class Thing:
        @typed
        def __init__(self, grid: int = 8) -> None:
            self.grid = grid

    assert Thing(grid=4).grid == 4
    with pytest.raises(ArgumentTypeError, match="Thing: grid"):
        Thing(grid="16")
    with pytest.raises(TypeError, match="Thing: .*bogus"):
        Thing(bogus=1)


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("placement_env/MacroPlacement-v0", {"snap": "False"}),  # was: snapping turned on
        ("placement_env/MacroPlacement-v0", {"ports": "False"}),
        ("placement_env/MacroPlacement-v0", {"grid": "16"}),  # was: a 1 x 6 grid
        ("placement_env/MacroRefine-v0", {"ports": "no"}),
        ("placement_env/GlobalRouting-v0", {"via_cost": None}),
        ("placement_env/TPUv1-v0", {"preset": None}),
    ],
)
def test_gym_make__a_value_of_the_wrong_type_is_refused(env_id, kwargs):
    with pytest.raises(ArgumentTypeError, match=next(iter(kwargs))):
        gym.make(env_id, **kwargs)
