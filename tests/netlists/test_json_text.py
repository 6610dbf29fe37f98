"""finite_json: reports and summaries are JSON that strict readers accept."""

from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from netlists.json_text import finite, finite_json


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_finite_json__non_finite_numbers_become_null_and_numpy_becomes_plain():
    value = {
        "cost": math.inf,
        "rows": [np.float64(-np.inf), np.nan, 1.5],
        "count": np.int64(3),
        "ok": np.bool_(True),
        "map": np.array([[1.0, np.inf]]),
    }
    assert json.dumps(value["cost"]) == "Infinity"  # what plain json.dumps would have written
    assert _strict(finite_json(value)) == {
        "cost": None,
        "rows": [None, None, 1.5],
        "count": 3,
        "ok": True,
        "map": [[1.0, None]],
    }


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
))  # fmt: skip
def test_finite_json__any_value_gives_strict_json_that_keeps_every_finite_number(value):
    text = finite_json(value)
    assert _strict(text) == finite(value)
