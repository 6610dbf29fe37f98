"""The learned placer ``"ppo"``: a MaskablePPO policy places the macros, best of N rollouts.

Where the policy comes from:

* ``checkpoint=PATH`` (a ``model.zip`` of ``scripts/train_agent.py``): that policy, on the grid
  it was trained on. A graph-policy (``gnn``) checkpoint runs on any design, also one it never
  saw; a ``cnn`` one only on designs with its number of macros. With ``fine_tune_steps > 0`` it
  is first fine-tuned on this design for that many env steps.
* no checkpoint: a short policy is trained on this design first, within the budget (at most
  ``train_steps`` env steps).

Then one greedy (argmax) rollout and ``samples`` sampled ones are decoded and the best kept. A
rollout that hits a dead end is completed by the wire-mask greedy rule on finer grids (noted in
the stats). An optional clean-up pass (``cleanup=True``) moves each macro to its best legal cell
when that lowers the HPWL (:func:`~placement_env.incremental.wire_mask` to find the cell,
:func:`~placement_env.incremental.hpwl_delta` to accept it); the stats report the HPWL before and
after it (``rl_hpwl``, ``final_hpwl``), so the RL contribution stays visible.

Budget: one *evaluation* is one full placement decoded -- a training episode or a rollout. An
evaluation budget caps training episodes at ``evaluations - samples - 1``; a seconds budget
stops training at 70 % of it. With an evaluation budget (or a checkpoint and no fine-tuning) the
placer is deterministic for a seed (torch runs on ``threads`` threads; SB3 seeds torch's global
generator).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from agents.base import (
    Budget,
    MacroProblem,
    Placer,
    PlacerError,
    PlacerResult,
    PlacerStats,
    register,
)
from agents.rl_env import EnvOptions, Episode, env_size, make_env, rollout
from netlists import Design, Placement
from placement_env.grid import Grid
from placement_env.incremental import hpwl_delta, position_mask, wire_mask
from placement_env.wirelength import hpwl

#: Share of a seconds budget spent training (the rest decodes rollouts and cleans up).
TRAIN_SHARE = 0.7


@register
class PPOPlacer(Placer):
    """MaskablePPO placer (see the module docstring).

    Args:
        checkpoint: A trained ``model.zip``, or None to train on the design first.
        grid: Cells per side when training here (the coarsest grid at least this fine on which
            every macro fits); a checkpoint brings its own grid.
        policy: ``"gnn"`` or ``"cnn"`` when training here.
        samples: Sampled rollouts besides the greedy one.
        train_steps: Most env steps of training (no checkpoint) .
        fine_tune_steps: Env steps of fine-tuning a checkpoint on this design (0: none).
        soften: Divide the checkpoint's logits by this before fine-tuning (> 1: explore more;
            :meth:`agents.policies.PlacementPolicy.soften`, ``train_agent.py --soften``); needs
            a checkpoint and ``fine_tune_steps > 0``.
        ent_coef: Weight of the entropy bonus while training or fine-tuning here.
        anchor_coef: Weight of ``KL(policy || starting policy)`` while training or fine-tuning
            here (the checkpoint, after softening, or the fresh policy); 0: no anchor.
        cleanup: Run the local clean-up pass.
        context: ``"placed"`` or ``"macros"`` (see :mod:`agents.base`); the policy always sees
            the macros, ports and fixed blocks (the env's view), the clean-up the context.
        device: Torch device (``"auto"``: CUDA when present).
        threads: Torch CPU threads (set process-wide).
        env_kwargs: Further keywords of the env the policy runs in (e.g. ``{"snap": True}``).
            ``None`` (default): those a checkpoint was trained with, read from the
            ``summary.json`` that ``scripts/train_agent.py`` writes beside ``model.zip`` (none
            when there is no such file).
    """

    name = "ppo"

    def __init__(
        self,
        checkpoint: str | Path | None = None,
        grid: int = 16,
        policy: str = "gnn",
        samples: int = 2,
        train_steps: int = 512,
        fine_tune_steps: int = 0,
        soften: float = 1.0,
        ent_coef: float = 0.01,
        anchor_coef: float = 0.0,
        cleanup: bool = True,
        context: str = "placed",
        device: str = "cpu",
        threads: int = 1,
        env_kwargs: dict | None = None,
    ) -> None:
        from agents.policies import POLICIES  # lazily: SB3 loads only when a PPO placer is made

        if policy not in POLICIES:
            raise PlacerError(f"unknown policy {policy!r}; choose one of {sorted(POLICIES)}")
        if checkpoint is not None and not Path(checkpoint).is_file():
            raise PlacerError(f"checkpoint {str(checkpoint)!r} does not exist")
        if samples < 0 or train_steps < 1 or fine_tune_steps < 0:
            raise PlacerError(
                "samples and fine_tune_steps must be >= 0 and train_steps >= 1, got "
                f"{samples}, {fine_tune_steps}, {train_steps}"
            )
        if not (np.isfinite(soften) and soften > 0):
            raise PlacerError(f"soften must be finite and positive, got {soften}")
        if soften != 1.0 and (checkpoint is None or fine_tune_steps == 0):
            raise PlacerError(
                f"soften={soften} softens a checkpoint before fine-tuning: give checkpoint= and "
                "fine_tune_steps > 0 (or leave soften at 1)"
            )
        for name, value in (("ent_coef", ent_coef), ("anchor_coef", anchor_coef)):
            if not (np.isfinite(value) and value >= 0):
                raise PlacerError(f"{name} must be finite and >= 0, got {value}")
        if anchor_coef > 0 and checkpoint is not None and fine_tune_steps == 0:
            raise PlacerError(
                "anchor_coef weighs a pull during training, and a checkpoint without "
                "fine_tune_steps is not trained here: give fine_tune_steps > 0"
            )
        self.checkpoint = checkpoint
        self.grid_size = grid
        self.policy = policy
        self.samples = samples
        self.train_steps = train_steps
        self.fine_tune_steps = fine_tune_steps
        self.soften = float(soften)
        self.ent_coef = float(ent_coef)
        self.anchor_coef = float(anchor_coef)
        self.cleanup = cleanup
        self.context = context
        self.device = device
        self.threads = threads
        if env_kwargs is None and checkpoint is not None:
            env_kwargs = _trained_env_kwargs(Path(checkpoint))
        self.env_kwargs = dict(env_kwargs or {})

    def place(self, design: Design, rng: np.random.Generator, budget: Budget) -> PlacerResult:
        import torch

        from agents.ppo_training import (
            PPOConfig,
            TrainingError,
            checkpoint_architecture,
            fine_tune_start,
            load_model,
            model_grid,
            new_model,
            start_anchor,
        )

        start = time.perf_counter()
        torch.set_num_threads(max(1, self.threads))
        rng = np.random.default_rng(rng)
        problem = MacroProblem(design, self.context)
        budget = budget.or_default(200)
        n = len(problem.macros)
        device = "cuda" if self.device == "auto" and torch.cuda.is_available() else self.device
        device = "cpu" if device == "auto" else device
        notes: list[str] = []
        seed = int(rng.integers(2**31 - 1))

        try:  # a damaged file, or a checkpoint of another task (the routing agent, say)
            model = load_model(self.checkpoint, device=device) if self.checkpoint else None
            kind = checkpoint_architecture(model, self.checkpoint)["policy"] if model else None
        except TrainingError as error:
            raise PlacerError(f"ppo placer: {error}") from None
        if model is not None:
            if self.policy != "gnn" and self.policy != kind:  # gnn: the default, not a request
                raise PlacerError(
                    f"policy={self.policy!r} cannot take effect: the checkpoint holds a {kind} "
                    "policy; drop policy= with a checkpoint"
                )
            rows = model_grid(model)[0]
            graph = "graph_edges" in model.observation_space.spaces
        else:
            rows = problem.grid(self.grid_size).rows
            graph = self.policy == "gnn"
        options = EnvOptions(design, "hpwl", rows, graph=graph, env_kwargs=self.env_kwargs)
        try:
            env = make_env(options)
        except ValueError as error:  # e.g. a checkpoint's grid on which a macro fits nowhere
            raise PlacerError(f"design {design.name!r}: {error}") from None
        if model is not None and not graph:
            trained_n = model.observation_space["macro_features"].shape[0]
            if trained_n != env_size(env.unwrapped)[0] and not self.fine_tune_steps:
                raise PlacerError(
                    f"the cnn checkpoint was trained for {trained_n} macros; design "
                    f"{design.name!r} has {n}: use a gnn checkpoint or fine_tune_steps > 0"
                )

        steps = self.fine_tune_steps if model is not None else self.train_steps
        episodes = None
        if budget.evaluations is not None:
            episodes = max(0, budget.evaluations - self.samples - 1)
            steps = min(steps, episodes * n)
        evaluations = 0
        if steps > 0:
            from stable_baselines3.common.vec_env import DummyVecEnv

            from agents.ppo_training import StopTraining

            vec = DummyVecEnv([lambda: make_env(options)])
            vec.seed(seed)
            n_steps = int(min(256, max(steps, 16)))
            config = PPOConfig(self.policy, n_steps, batch_size=min(64, n_steps), n_epochs=2,
                               ent_coef=self.ent_coef, anchor_coef=self.anchor_coef,
                               soften=self.soften)  # fmt: skip
            if model is not None:  # fine-tuning: the checkpoint's architecture and weights
                try:
                    fresh, _ = fine_tune_start(config, vec, self.checkpoint, seed, device)
                except TrainingError as error:  # e.g. policy="cnn" for a gnn checkpoint
                    raise PlacerError(f"ppo placer: {error}") from None
                kind = "fine_tuned"
            else:
                fresh = new_model(config, vec, seed, device)
                kind = "trained"
            start_anchor(fresh, config)
            limit = None if budget.seconds is None else TRAIN_SHARE * budget.seconds
            fresh.learn(total_timesteps=steps, callback=StopTraining(limit, episodes))
            evaluations += len(vec.envs[0].get_episode_rewards())  # training episodes
            notes.append(f"{kind}={fresh.num_timesteps}")
            model = fresh
        if model is None:
            raise PlacerError(
                f"budget {budget} leaves no room to train on {design.name!r}; give a checkpoint "
                "or a larger budget"
            )

        samples = self.samples
        if budget.evaluations is not None:  # the greedy rollout always runs
            samples = max(0, min(samples, budget.evaluations - evaluations - 1))
        runs: list[Episode] = [rollout(model.policy, env, deterministic=True)]
        runs += [rollout(model.policy, env, rng, deterministic=False) for _ in range(samples)]
        evaluations += len(runs)
        best = min(runs, key=lambda e: (not e.complete, e.cost))
        notes += [f"grid={rows}", f"rl_cost={best.cost:.6g}", f"complete={best.complete}"]

        sub = _to_sub(problem, best.placement)
        if not best.complete:
            sub, how = _complete(problem, sub, rows, rng)
            notes.append(f"completed_by={how}")
        rl_hpwl = hpwl(problem.sub, sub)
        notes.append(f"rl_hpwl={rl_hpwl:.6g}")
        moves = 0
        if self.cleanup:
            sub, moves = _cleanup(problem, sub, problem.grid(2 * rows))
        final_hpwl = hpwl(problem.sub, sub)
        notes += [f"cleanup_moves={moves}", f"final_hpwl={final_hpwl:.6g}"]
        stats = PlacerStats(evaluations, time.perf_counter() - start, tuple(notes))
        extra = {"rl_cost": best.cost, "rl_hpwl": rl_hpwl, "final_hpwl": final_hpwl,
                 "cleanup_moves": moves, "rl_complete": best.complete}  # fmt: skip
        return PlacerResult(problem.to_full(sub), stats, extra)


def _trained_env_kwargs(checkpoint: Path) -> dict:
    """The ``env_kwargs`` of the training run's ``summary.json`` beside ``checkpoint``."""
    summary = checkpoint.parent / "summary.json"
    if not summary.is_file():
        return {}
    try:
        return dict(json.loads(summary.read_text()).get("env_kwargs") or {})
    except (json.JSONDecodeError, AttributeError, TypeError, ValueError) as error:
        raise PlacerError(f"{summary}: cannot read its env_kwargs ({error})") from None


def _to_sub(problem: MacroProblem, full: Placement) -> Placement:
    """The problem's sub-netlist placement with the macros ``full`` has placed."""
    placed = full.placed[problem.macros]
    sub = problem.start.with_positions(
        problem.local[placed], full.positions[problem.macros[placed]]
    )
    return sub


def _unplace(placement: Placement, node: int) -> Placement:
    placed = placement.placed.copy()
    placed[node] = False
    return Placement(placement.positions, placement.orientations, placed)


def _complete(
    problem: MacroProblem, sub: Placement, rows: int, rng: np.random.Generator
) -> tuple[Placement, str]:
    """Places the still unplaced macros by the wire-mask greedy rule (grid x1, x2, x4). When
    that dead-ends too (crowded designs), legalises: every macro targets its rollout position
    (the unplaced ones the least-HPWL cell, overlaps allowed) and
    :func:`agents.legalize.legalize` moves each as little as it can, largest first; only if that
    fails too, the greedy, then the random placer's result is used."""
    for factor in (1, 2, 4):
        grid = problem.grid(rows * factor)
        xs, ys = grid.cell_centres()
        current = sub
        for node in problem.local:
            node = int(node)
            if current.placed[node]:
                continue
            legal = position_mask(problem.sub, current, node, grid)
            if not legal.any():
                break
            cost = np.where(legal, wire_mask(problem.sub, current, node, grid), np.inf)
            row, col = divmod(int(np.argmin(cost)), grid.cols)
            current = current.with_positions([node], np.array([[xs[col], ys[row]]]))
        else:
            return current, f"greedy_completion_grid{grid.rows}"
    from agents.greedy import greedy_sub_placement
    from agents.legalize import legalize
    from agents.random_placer import RandomPlacer

    grid = problem.grid(rows)
    xs, ys = grid.cell_centres()
    targets = sub.positions[problem.local].copy()
    for i, node in enumerate(problem.local):
        if not sub.placed[node]:
            cost = wire_mask(problem.sub, sub, int(node), grid)
            row, col = divmod(int(np.argmin(cost)), grid.cols)
            targets[i] = (xs[col], ys[row])
    try:
        legal, method = legalize(problem, targets, restarts=0)
        return legal, f"legalised_{method}"
    except PlacerError:
        pass
    try:
        return greedy_sub_placement(problem, rows)[0], "fallback_greedy_placer"
    except PlacerError:
        full = RandomPlacer(grid=rows, context="placed").place(problem.design, rng, Budget())
        return _to_sub(problem, full.placement), "fallback_random_placer"


def _cleanup(problem: MacroProblem, sub: Placement, grid: Grid) -> tuple[Placement, int]:
    """One sweep: each macro to its least-HPWL legal cell when that lowers the HPWL."""
    xs, ys = grid.cell_centres()
    moves = 0
    for node in problem.local:
        node = int(node)
        alone = _unplace(sub, node)
        legal = position_mask(problem.sub, alone, node, grid)
        if not legal.any():
            continue
        cost = np.where(legal, wire_mask(problem.sub, alone, node, grid), np.inf)
        row, col = divmod(int(np.argmin(cost)), grid.cols)
        target = np.array([[xs[col], ys[row]]])
        if hpwl_delta(problem.sub, sub, [node], target) < -1e-9:
            sub = sub.with_positions([node], target)
            moves += 1
    return sub, moves
