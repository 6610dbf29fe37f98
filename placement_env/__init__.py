"""Placement environments and their scoring.

Import the parts from their modules, for example
``from placement_env.proxy_cost import proxy_cost`` (Circuit Training's proxy cost) or
``from placement_env.grid import Grid`` (its gcell grid). The package itself re-exports nothing,
so that a function never hides a submodule of the same name, and importing it loads no heavy
dependency (no torch).
"""

from placement_env import registration as _registration  # noqa: F401, E402
