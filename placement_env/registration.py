"""Gymnasium ids of the placement environments, registered on ``import placement_env``.

* ``placement_env/MacroPlacement-v0`` -- :class:`placement_env.env.MacroPlacementEnv`; pass
  ``netlist=``, ``grid=``, ``order=``, ``reward=`` (a name or a reward object of
  :mod:`placement_env.rewards`), ``render_mode=`` and the keyword options (``reward_schedule=``,
  ``snap=``, ``lookahead=``, ``ports=``, ``dead_end_penalty=``, ``graph_observation=``, ...).
* ``placement_env/TPUv1-v0`` -- the TPUv1-like chip of :mod:`accel`
  (``accel.build_chip(accel.TPU_V1)``: 8 movable macros, fixed I/O) on a 128 x 128 grid with the
  ``"chip"`` reward (dense) and the wire model of its process (28 nm,
  ``accel.technology("28nm").wire_model()``); the chip's ``tiles=`` and ``utilisation=`` (see
  :func:`accel.build_chip`) and every env argument can be overridden as keyword arguments of
  ``gymnasium.make``.
* ``placement_env/TPUv2-v0`` and ``placement_env/TPUv3-v0`` -- the same for the training chips
  (``accel.TPU_V2``: two cores, 12 movable macros; ``accel.TPU_V3``: two matrix units per core,
  14 movable macros; both 16 nm).
* ``placement_env/ICCAD04-ibm01-v0`` ... ``placement_env/ICCAD04-ibm14-v0`` (no ibm05, which has
  no macros) -- the ICCAD04 design of that name (``netlist="ibmNN"``) on a 128 x 128 grid with the
  ``"hpwl"`` reward; any env argument can be overridden.
* ``placement_env/MacroRefine-v0`` -- :class:`placement_env.refine_env.MacroRefineEnv`: improve a
  complete legal placement one macro move at a time (default: ``n10`` from a random legal start on
  a 64 x 64 grid with the ``"hpwl"`` cost); pass ``netlist=``, ``grid=``, ``cost=``, ``moves=``,
  ``start=``, ``ports=``, ``max_edges=``, ``render_mode=``.
* The same ids without the ``placement_env/`` namespace, so that the ``"placement_env:Name"``
  form (import the module, then make the id) works, for example in subprocess vector envs.
"""

from __future__ import annotations

from typing import Any

from gymnasium.envs.registration import register, registry

from placement_env.arguments import typed

ENTRY_POINT = "placement_env.env:MacroPlacementEnv"
ICCAD04_DESIGNS = tuple(f"ibm{i:02d}" for i in range(1, 15) if i != 5)


@typed
def make_tpu(
    preset: str = "tpu_v1",
    tiles: int = 1,
    utilisation: float | None = None,
    reward: Any = "chip",
    reward_schedule: str | None = None,
    **kwargs: Any,
) -> Any:  # MacroPlacementEnv; annotated loosely to keep this module light
    """A ``TPUv*-v0`` env: ``accel.build_chip(accel.preset(preset), tiles, utilisation)`` placed
    on a 128 x 128 grid (unless ``kwargs`` say otherwise) with ``reward`` (default ``"chip"``,
    timed with the wire model of the chip's process when the reward names no other)."""
    import accel
    from placement_env.env import MacroPlacementEnv
    from placement_env.rewards import make_reward

    params = accel.preset(preset)
    design = accel.build_chip(params, tiles=tiles, utilisation=utilisation)
    kwargs.setdefault("grid", 128)
    reward = make_reward(reward, reward_schedule, wire_model=params.technology.wire_model())
    return MacroPlacementEnv(netlist=design, reward=reward, **kwargs)


#: id (without namespace) -> (entry point, default kwargs)
SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "MacroPlacement-v0": (ENTRY_POINT, {}),
    **{
        f"TPUv{v}-v0": ("placement_env.registration:make_tpu", {"preset": f"tpu_v{v}"})
        for v in (1, 2, 3)
    },
    **{
        f"ICCAD04-{name}-v0": (ENTRY_POINT, {"netlist": name, "grid": 128, "reward": "hpwl"})
        for name in ICCAD04_DESIGNS
    },
}

IDS = tuple(f"{prefix}{name}" for name in SPECS for prefix in ("placement_env/", ""))

for _name, (_entry, _kwargs) in SPECS.items():
    for _env_id in (f"placement_env/{_name}", _name):
        if _env_id not in registry:
            register(id=_env_id, entry_point=_entry, kwargs=dict(_kwargs))

# Not in SPECS: SPECS names the envs whose id also names a design (placement_env.designs).
for _env_id in ("placement_env/MacroRefine-v0", "MacroRefine-v0"):
    if _env_id not in registry:
        register(id=_env_id, entry_point="placement_env.refine_env:MacroRefineEnv")

# placement_env/GlobalRouting-v0 -- :class:`placement_env.routing.env.GlobalRoutingEnv` (a new
# Liao-style 8 x 8 synthetic problem per reset unless ``problem=`` or ``generator=`` say otherwise).
for _env_id in ("placement_env/GlobalRouting-v0", "GlobalRouting-v0"):
    if _env_id not in registry:
        register(id=_env_id, entry_point="placement_env.routing.env:GlobalRoutingEnv")
