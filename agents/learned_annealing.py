"""Simulated annealing whose moves a trained policy proposes (``"learned_annealing"``).

The Metropolis loop, start temperature and cooling are the ones :mod:`agents.annealing` and
:mod:`agents.proxy_annealing` use (:func:`agents.annealing.calibrate`,
:func:`agents.annealing.metropolis`); only the proposals differ. The policy is a
:class:`agents.refine_policy.RefinePolicy` trained on ``MacroRefine-v0`` (or untrained: its
priors), and its inference counts in the wall-clock budget like everything else. Three kinds of
proposals:

* ``"guided"`` (default) -- ``annealing`` itself (its state, its shift/swap/move/flip moves and
  their speed), except that the macro to move is drawn from the policy's select phase: every
  ``guide_every`` proposals the policy reads the current placement (through a
  :class:`placement_env.refine_env.MacroRefineEnv`) and gives a distribution over the macros,
  mixed with the uniform one (``uniform_share``). One read costs a few milliseconds, against
  about half a millisecond per annealing move, so the policy's share of the time stays small.
* ``"policy"`` -- every move is a move of a refine env started from the greedy placement: the
  policy samples a macro, then a target cell (within the schedule's move radius) or a macro to
  swap with; the env scores it incrementally and :meth:`MacroRefineEnv.undo` takes back a
  rejected one. Two forward passes per move make it about 45x slower per move than annealing.
* ``"uniform"`` -- the same refine-env moves drawn uniformly: the ablation that says what the
  policy adds over that move set.
"""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from agents.annealing import AnnealingPlacer, calibrate, metropolis
from agents.base import (
    Budget,
    MacroProblem,
    Meter,
    Placer,
    PlacerError,
    PlacerResult,
    PlacerStats,
    register,
)
from agents.greedy import greedy_sub_placement
from agents.proxy_annealing import ProxyAnnealingPlacer
from netlists import Design, Placement
from placement_env.incremental import touching_nets
from placement_env.refine_env import MacroRefineEnv

PROPOSALS = ("guided", "policy", "uniform")
COSTS = ("hpwl", "proxy")
#: Starting weights of the untrained policy's priors (see :mod:`agents.refine_policy`): a move to
#: a cell of low wirelength, macros with long nets picked more often, swaps and "stay" rare.
DEFAULT_PRIORS = {"wire_prior": 30.0, "select_prior": 3.0, "swap_prior": 5.0, "centre_prior": 0.0}
#: Moves the env allows (the loop, not the env, decides when to stop).
_ENDLESS = 10**9


def _checked_device(device: str) -> str:
    """``device`` if torch (or SB3, for ``"auto"``) knows it; else :class:`PlacerError` (torch
    itself raises a RuntimeError, which would reach the caller undocumented)."""
    import torch

    if device == "auto":
        return device
    try:
        torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise PlacerError(f"unknown device {device!r}; use auto, cpu or cuda[:N]") from None
    return device


def load_refine_policy(checkpoint: str | Path | None, env: MacroRefineEnv, device: str = "cpu"):
    """A :class:`~agents.refine_policy.RefinePolicy` for ``env``: the checkpoint's weights
    (a MaskablePPO ``.zip`` trained on ``MacroRefine-v0``, any design on the same grid) or, with
    ``None``, the untrained priors of :data:`DEFAULT_PRIORS`."""
    from agents.policies import transfer_weights
    from agents.refine_policy import RefinePolicy

    kwargs: dict[str, Any] = {"features_extractor_kwargs": dict(DEFAULT_PRIORS)}
    if checkpoint is not None:
        from sb3_contrib import MaskablePPO

        try:
            source = MaskablePPO.load(str(checkpoint), device=device)
        except (OSError, ValueError, KeyError, AssertionError, zipfile.BadZipFile) as error:
            raise PlacerError(
                f"cannot load refine checkpoint {str(checkpoint)!r}: {error}"
            ) from None
        if not isinstance(source.policy, RefinePolicy):
            raise PlacerError(f"{str(checkpoint)!r} is not a MacroRefine-v0 (RefinePolicy) model")
        kwargs = dict(source.policy_kwargs)
    policy = RefinePolicy(env.observation_space, env.action_space, lambda _: 0.0, **kwargs)
    if checkpoint is not None:
        copied, skipped = transfer_weights(source.policy, policy)
        if skipped:
            raise PlacerError(
                f"{str(checkpoint)!r} does not fit this design's grid: {len(skipped)} weights "
                f"differ ({skipped[:3]}...); train on the same grid"
            )
    policy.set_training_mode(False)
    return policy.to(device)


class _Proposer:
    """Draws one move of the refine env: the policy's sample, or a uniform one."""

    def __init__(self, env: MacroRefineEnv, policy: Any, rng: np.random.Generator, uniform: bool):
        self.env, self.policy, self.rng, self.uniform = env, policy, rng, uniform
        grid = env.grid
        self.cells = grid.num_cells
        self.n = len(env.macros)
        self.cell_x = np.tile((np.arange(grid.cols) + 0.5) / grid.cols, grid.rows)
        self.cell_y = np.repeat((np.arange(grid.rows) + 0.5) / grid.rows, grid.cols)
        self.obs = env.observation()

    def _choose(self, mask: np.ndarray) -> int:
        legal = np.flatnonzero(mask)
        if self.uniform:
            return int(legal[self.rng.integers(len(legal))])
        import torch

        batch = {k: torch.as_tensor(v[None]) for k, v in self.obs.items()}
        with torch.no_grad():
            logits = self.policy.action_logits(batch)[0].double().numpy()[legal]
        p = np.exp(logits - logits.max())
        return int(legal[self.rng.choice(len(legal), p=p / p.sum())])

    def propose(self, radius: float) -> int | None:
        """Selects a macro (an env step) and returns a place action, or None (nothing legal
        within ``radius``, a fraction of the die; the env is back in its select phase)."""
        env = self.env
        j = self._choose(env.action_masks()) - self.cells
        self.obs, *_ = env.step(self.cells + j)
        mask = env.action_masks()
        x, y = self.obs["macro_features"][j, :2]
        near = (np.abs(self.cell_x - x) <= radius) & (np.abs(self.cell_y - y) <= radius)
        mask[: self.cells] &= near
        mask[self.cells + j] = False  # "stay" is no move
        if not mask.any():
            self.obs, *_ = env.step(self.cells + j)
            return None
        return self._choose(mask)

    def apply(self, action: int) -> float:
        """Plays the place action; returns the cost change."""
        self.obs, reward, *_ = self.env.step(action)
        return -float(reward)

    def undo(self, _action: int) -> None:
        self.env.undo()
        self.obs = self.env.observation()

    def trial(self, action: int) -> float:
        """The cost change of ``action``, leaving the state as it was (for calibration)."""
        delta = self.apply(action)
        self.undo(action)
        return delta


def _softmax(logits: np.ndarray) -> np.ndarray:
    p = np.exp(logits - logits.max())
    return p / p.sum()


def move_effort(design: Design, macros: np.ndarray) -> np.ndarray:
    """What one move of each macro costs to score incrementally: the pins of the nets it touches
    (each touched net's bounding box is measured again), at least 1."""
    netlist = design.netlist
    degree = np.diff(netlist.net_starts)
    return np.array(
        [max(1, int(degree[touching_nets(netlist, [int(m)])].sum())) for m in macros],
        dtype=np.float64,
    )


def _policy_guide(owner: LearnedAnnealingPlacer, design: Design, problem: MacroProblem):
    """The ``"guided"`` macro weights: the policy's select phase on the current full placement
    (read through a refine env with ``owner``'s cost), mixed with ``owner.uniform_share`` of
    the uniform distribution."""
    import torch

    env = MacroRefineEnv(
        design, grid=owner.grid_size, cost=owner.cost, moves=_ENDLESS, ports=owner.env_ports
    )
    if not np.array_equal(env.macros, problem.macros):
        raise PlacerError("the refine env orders the macros differently from the placer")
    policy = load_refine_policy(owner.checkpoint, env, owner.device)
    cells = env.grid.num_cells
    share = owner.uniform_share
    effort = move_effort(design, problem.macros) if owner.per_effort else None

    def weights(now: Placement) -> np.ndarray:
        env.reset(options={"placement": now})
        batch = {k: torch.as_tensor(v[None]) for k, v in env.observation().items()}
        with torch.no_grad():
            logits = policy.action_logits(batch)[0, cells:].double().numpy()
        chosen = _softmax(logits)
        if effort is not None:  # gain per unit of time, not per move
            chosen = chosen / effort
            chosen /= chosen.sum()
        return (1 - share) * chosen + share / len(logits)

    return weights


class _GuidedAnnealing(AnnealingPlacer):
    """``annealing`` (its moves, state and speed) picking macros by the policy's select phase."""

    def __init__(self, owner: LearnedAnnealingPlacer) -> None:
        super().__init__(
            grid=owner.grid_size,
            context=owner.context,
            default_evaluations=owner.default_evaluations,
            ports=owner.ports,
        )
        self.owner = owner
        self.guide_every = owner.guide_every

    def macro_guide(self, design: Design, problem: MacroProblem, start: Placement):
        return _policy_guide(self.owner, design, problem)


class _GuidedProxyAnnealing(ProxyAnnealingPlacer):
    """``proxy_annealing`` picking hard macros by the policy's select phase."""

    def __init__(self, owner: LearnedAnnealingPlacer) -> None:
        super().__init__(grid=owner.grid_size, default_evaluations=owner.default_evaluations)
        self.owner = owner
        self.guide_every = owner.guide_every

    def macro_guide(self, design: Design, problem: MacroProblem, start: Placement):
        return _policy_guide(self.owner, design, problem)


@register
class LearnedAnnealingPlacer(Placer):
    """Annealing from the greedy placement with policy-proposed moves (module docstring).

    Args:
        checkpoint: A MaskablePPO model trained on ``MacroRefine-v0`` (same grid), or ``None``
            for the untrained policy (its priors).
        proposals: ``"guided"``, ``"policy"`` or ``"uniform"`` (module docstring).
        grid: Cells per side of the refine env (and of the greedy start).
        cost: ``"hpwl"`` (protocol MH; ``"guided"`` is then ``annealing``) or ``"proxy"`` (the
            Circuit Training proxy of designs with ``.plc`` settings; ``"guided"`` is then
            ``proxy_annealing``, soft macros included).
        ports: Count the ports in the HPWL (``"hpwl"`` only; the ``"macros"`` context of
            :mod:`agents.base`).
        default_evaluations: Budget when the caller gives none.
        device: Torch device of the policy.
        uniform_share: ``"guided"`` only: the share of macro picks drawn uniformly (the rest
            from the policy), in [0, 1].
        guide_every: ``"guided"`` only: proposals between two policy reads (>= 1).
        per_effort: ``"guided"`` only: divide the policy's macro weights by each macro's
            :func:`move_effort`, so that a time budget favours cheap moves (the policy prefers
            macros with many pins, whose moves take longest to score).
        threads: Torch threads for the policy's forward passes (>= 1). One by default: with
            two workers on two cores, torch's default of one thread per core made the guided
            loop of each worker compete with the other's.
    """

    name = "learned_annealing"

    def __init__(
        self,
        checkpoint: str | Path | None = None,
        proposals: str = "guided",
        grid: int = 64,
        cost: str = "hpwl",
        ports: bool = True,
        default_evaluations: int = 2000,
        device: str = "cpu",
        uniform_share: float = 0.5,
        guide_every: int = 1000,
        per_effort: bool = False,
        threads: int = 1,
    ) -> None:
        if proposals not in PROPOSALS:
            raise PlacerError(f"unknown proposals {proposals!r}; choose one of {PROPOSALS}")
        if cost not in COSTS:
            raise PlacerError(f"unknown cost {cost!r}; choose one of {COSTS}")
        if not 0.0 <= float(uniform_share) <= 1.0:
            raise PlacerError(f"uniform_share must be in [0, 1], got {uniform_share!r}")
        if int(guide_every) < 1:
            raise PlacerError(f"guide_every must be >= 1, got {guide_every!r}")
        if int(threads) < 1:
            raise PlacerError(f"threads must be >= 1, got {threads!r}")
        self.uniform_share = float(uniform_share)
        self.guide_every = int(guide_every)
        self.threads = int(threads)
        self.per_effort = bool(per_effort)
        self.cost = cost
        self.checkpoint = checkpoint
        self.proposals = proposals
        self.grid_size = grid
        self.ports = ports
        self.default_evaluations = default_evaluations
        self.device = _checked_device(device)
        self.context = "macros"

    @property
    def env_ports(self) -> bool:
        """The refine env's ``ports``: the proxy always counts them."""
        return True if self.cost == "proxy" else self.ports

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        import torch

        torch.set_num_threads(self.threads)
        if self.cost == "proxy" and design.plc is None:
            raise PlacerError(
                f"design {design.netlist.name!r} has no .plc settings; cost='proxy' needs them"
            )
        if self.proposals == "guided":
            guided = _GuidedProxyAnnealing if self.cost == "proxy" else _GuidedAnnealing
            result = guided(self).place(design, rng, budget)
            notes = ("proposals=guided", f"per_effort={self.per_effort}", *result.stats.notes)
            return PlacerResult(result.placement, replace(result.stats, notes=notes))
        meter = Meter(budget.or_default(self.default_evaluations))
        problem = MacroProblem(design, self.context, ports=self.ports)
        start, _, _ = greedy_sub_placement(problem, self.grid_size)
        meter.spend(1)
        env = MacroRefineEnv(
            design, grid=self.grid_size, cost=self.cost, moves=_ENDLESS, ports=self.env_ports
        )
        env.reset(options={"placement": problem.to_full(start)})
        uniform = self.proposals == "uniform"
        policy = None if uniform else load_refine_policy(self.checkpoint, env, self.device)
        proposer = _Proposer(env, policy, rng, uniform)
        start_cost = env.cost()
        t_start = calibrate(meter, proposer.propose, proposer.trial, cost=start_cost)
        state = {"best": env.placement(), "best_cost": start_cost}

        def keep_best() -> None:
            state["best"], state["best_cost"] = env.placement(), env.cost()

        accepted, proposed = metropolis(
            rng,
            meter,
            proposer.propose,
            proposer.apply,
            lambda action: None,
            proposer.undo,
            keep_best,
            cost=start_cost,
            t_start=t_start,
            tolerance=1e-9,
        )
        stats = PlacerStats(
            evaluations=meter.evaluations,
            seconds=meter.seconds,
            notes=(
                f"proposals={self.proposals}",
                f"start_cost={start_cost:.6g}",
                f"best_cost={state['best_cost']:.6g}",
                f"accepted={accepted}/{proposed}",
            ),
        )
        return PlacerResult(state["best"], stats)
