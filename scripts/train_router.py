"""Train MaskablePPO on the routing env (``placement_env/GlobalRouting-v0``) and compare with A*.

Each episode routes a fresh synthetic problem (:class:`placement_env.routing.SyntheticConfig`,
set by ``--grid`` and ``--env-arg num_nets=20 capacity=4 ...``). Writes ``model.zip`` and
``summary.json`` to ``--out``: the trained policy against sequential A* on ``--eval-problems``
held-out problems (seeds 1,000,000 + i). Every option's help is its field's docstring.

    python scripts/train_router.py --timesteps 100000 --env-arg num_nets=20 --out route_out
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from agents.cli import check_keywords, dataclass_parser, key_values, parse_into
from agents.ppo_training import TrainingError
from agents.routing_agent import RoutingTraining, compare_with_astar, train_routing_agent
from netlists.json_text import finite_json
from placement_env.routing import SyntheticConfig


class RouterArgsError(ValueError):
    """Bad command-line values (zero timesteps, an unknown problem keyword)."""


@dataclass(frozen=True)
class Args:
    """Everything a routing training run depends on (the command line, parsed)."""

    grid: int = 8
    """Gcells per side of the synthetic problems."""
    env_arg: tuple[str, ...] = ()
    """Further SyntheticConfig fields KEY=VALUE, e.g. num_nets=20 capacity=4 reduced_edges=3."""
    timesteps: int = 100_000
    """Env steps to train, all envs together."""
    max_minutes: float | None = None
    """Stop training after this many minutes of wall-clock time (default: no limit)."""
    n_envs: int = 4
    """Parallel envs (in one process)."""
    seed: int = 0
    """Seeds the envs and the model."""
    reward_scale: float = 0.1
    """Multiplies every reward (keeps PPO's value targets small)."""
    eval_problems: int = 20
    """Held-out problems on which the policy and sequential A* are compared."""
    device: str = "auto"
    """Torch device: auto (CUDA when present) | cpu | cuda."""
    threads: int = 1
    """Torch CPU threads (1: more made PPO slower on shared cores)."""
    out: str = "router_out"
    """Output folder."""

    def __post_init__(self) -> None:
        for name in ("timesteps", "n_envs", "eval_problems"):
            if getattr(self, name) < 1:
                option = "--" + name.replace("_", "-")
                raise RouterArgsError(f"{option} must be at least 1, got {getattr(self, name)}")
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise RouterArgsError(f"--max-minutes must be positive, got {self.max_minutes}")

    def config(self) -> SyntheticConfig:
        """The synthetic problems' settings."""
        kwargs: dict = {"grid": self.grid, **key_values(self.env_arg, RouterArgsError)}
        check_keywords(SyntheticConfig, kwargs, RouterArgsError, "--env-arg")
        try:
            return SyntheticConfig(**kwargs)
        except (TypeError, ValueError) as error:
            raise RouterArgsError(f"--env-arg for GlobalRouting-v0: {error}") from None


def train(args: Args) -> dict:
    """Trains, compares with A*, writes ``model.zip`` and ``summary.json``; returns the summary."""
    import torch

    from agents.ppo_run import resolve_device

    started = time.perf_counter()
    torch.set_num_threads(max(1, args.threads))  # 2 shared cores: more threads made PPO slower
    device = resolve_device(args.device)  # before anything is written
    config = args.config()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    setup = RoutingTraining(
        config=config,
        timesteps=args.timesteps,
        seconds=None if args.max_minutes is None else args.max_minutes * 60,
        n_envs=args.n_envs,
        seed=args.seed,
        reward_scale=args.reward_scale,
        device=device,
    )
    model, train_s, steps = train_routing_agent(setup)
    model.save(out / "model.zip")
    summary = {
        "task": "GlobalRouting-v0",
        "args": asdict(args),
        "config": asdict(setup.config),
        "device": setup.device,
        "timesteps": steps,
        "train_seconds": train_s,
        "held_out_problems": args.eval_problems,
        "results": compare_with_astar(model, setup, args.eval_problems),
        "wall_seconds": time.perf_counter() - started,
    }
    (out / "summary.json").write_text(finite_json(summary, indent=2))
    return summary


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = dataclass_parser(Args, __doc__.split("\n")[0])
    args = parse_into(Args, argv, parser, (RouterArgsError,))
    try:
        summary = train(args)
    except (RouterArgsError, TrainingError) as error:
        print(f"train_router.py: error: {error}", file=sys.stderr)
        return 2
    for name, row in summary["results"].items():
        print(f"{name}: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items()))
    print(f"{summary['timesteps']} steps in {summary['train_seconds']:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
