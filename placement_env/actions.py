"""Checking the actions the envs are given (one rule for every env of the package)."""

from __future__ import annotations

from typing import Any

import numpy as np


def discrete_action(action: Any, n: int) -> int:
    """``action`` as an int, when it is an integer (Python, numpy, or a 0-d integer array).

    Only the type is checked here; the envs say what an out-of-range value means.

    Raises:
        ValueError: ``action`` is not an integer (None, a string, a float, a bool, an array of
            several values...), naming the allowed range ``0..n-1``.
    """
    scalar = isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu"
    if isinstance(action, bool | np.bool_) or not (isinstance(action, int | np.integer) or scalar):
        raise ValueError(f"action must be an int in 0..{n - 1}, got {action!r}")
    return int(action)
