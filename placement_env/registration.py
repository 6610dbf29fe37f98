"""Gymnasium ids of the placement environments, registered on ``import placement_env``.

* ``placement_env/MacroPlacement-v0`` -- :class:`placement_env.env.MacroPlacementEnv`; pass
  ``netlist=``, ``grid=``, ``order=``, ``reward=``, ``render_mode=``.
* ``MacroPlacement-v0`` -- the same env without the namespace, so that the
  ``"placement_env:MacroPlacement-v0"`` form (import the module, then make the id) works, for
  example in subprocess vector envs.
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

ENTRY_POINT = "placement_env.env:MacroPlacementEnv"
IDS = ("placement_env/MacroPlacement-v0", "MacroPlacement-v0")

for _env_id in IDS:
    if _env_id not in registry:
        register(id=_env_id, entry_point=ENTRY_POINT)
