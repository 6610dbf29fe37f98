"""KEY=VALUE options: Python spellings of booleans and None, and values checked against the
signature they go to."""

from __future__ import annotations

import pytest

from agents.cli import check_keywords, key_values


def test_key_values__python_spellings_are_their_values_not_strings():
    values = key_values(("snap=False", "ports=True", "order=None", "n=3", "name=abc"), ValueError)
    assert values == {"snap": False, "ports": True, "order": None, "n": 3, "name": "abc"}


def _target(snap: bool = False, grid: int = 64, share: float = 0.5, tag: str = "",
            limit: int | None = None, anything=None):  # fmt: skip
    """A stand-in for an env or placer constructor."""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"snap": "yes"}, "snap must be bool"), ({"snap": 1}, "snap must be bool"),
     ({"grid": 2.5}, "grid must be int"), ({"grid": True}, "grid must be int"),
     ({"share": "half"}, "share must be float"), ({"tag": 3}, "tag must be str"),
     ({"limit": "ten"}, "limit must be int | None")],
)  # fmt: skip
def test_check_keywords__refuses_a_value_of_the_wrong_type(kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_keywords(_target, kwargs, ValueError, "--env-arg")


def test_check_keywords__takes_fitting_values_and_leaves_the_rest_to_the_target():
    fitting = {"snap": True, "grid": 32, "share": 1, "tag": "x", "limit": None}
    check_keywords(_target, {**fitting, "anything": object(), "unknown": 5}, ValueError, "--env")
