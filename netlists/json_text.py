"""JSON text that every JSON reader accepts: a non-finite number becomes ``null``.

Python's :func:`json.dumps` writes ``Infinity`` and ``NaN`` by default, which are not JSON; a
summary with an infinite cost (a failed rollout, an empty design) then breaks ``jq`` and most
JSON parsers. Every report, summary and ``--json`` output of the toolkit goes through
:func:`finite_json`.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


def finite(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made plain, and non-finite floats made None."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    if isinstance(value, np.ndarray):
        return finite(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def finite_json(value: Any, **kwargs: Any) -> str:
    """:func:`json.dumps` of :func:`finite` ``(value)``, never writing Infinity or NaN."""
    return json.dumps(finite(value), allow_nan=False, **kwargs)
