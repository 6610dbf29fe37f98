"""Train a MaskablePPO agent to place the macros of one or several designs.

Every option is a field of :class:`agents.ppo_run.TrainingRun` (``Args`` here), and its help is
that field's docstring; ``--help`` lists them. What a run writes is in :mod:`agents.ppo_run`.

    python scripts/train_agent.py --design TPUv1 --grid 48 --timesteps 4000 --compare-baselines
    python scripts/train_agent.py --design ibm01 --grid 32 --policy gnn --max-minutes 5
    python scripts/train_agent.py --design n10 n30 --grid 16 --n-envs 2 --out pretrain
    python scripts/train_agent.py --design ami33 --grid 16 --init-from pretrain/model.zip
    python scripts/train_agent.py --design n10 --grid 16 --resume pretrain/model.zip

``--design`` takes any spelling :func:`placement_env.designs.resolve_design` knows: accel
presets (``tpu_v1``, ``TPUv1``), env ids (``TPUv1-v0``, ``ICCAD04-ibm01-v0``), bundled names
(``python -m netlists list``) or paths. Several designs are trained together (they must share a
grid); the graph policy (``--policy gnn``, default) has no weight tied to the design's size.
The routing env trains with ``scripts/train_router.py``.
"""

from __future__ import annotations

import logging
import sys

from agents.cli import dataclass_parser, parse_into
from agents.ppo_run import TrainingRun, train
from agents.ppo_training import TrainingError
from agents.rl_env import EnvOptionsError
from netlists import NetlistError

Args = TrainingRun

#: Options that were removed, and what to write instead.
REMOVED = {
    "--anchor": "--anchor is gone: the KL-to-anchor weight has its own option. "
    "`--anchor --ent-coef X` is now `--anchor-coef X --ent-coef 0` "
    "(--ent-coef is always the entropy bonus)",
    "--init-temperature": "--init-temperature is now --soften (one name: PPOConfig.soften, "
    "the ppo placer's soften=, PlacementPolicy.soften)",
}


def parse_args(argv: list[str] | None = None) -> Args:
    """The command line as :class:`Args` (every field is an option, ``_`` written ``-``)."""
    parser = dataclass_parser(Args, __doc__.split("\n")[0])
    for token in sys.argv[1:] if argv is None else argv:
        flag = token.split("=", 1)[0]
        if flag in REMOVED or flag.replace("--no-", "--") in REMOVED:
            parser.error(REMOVED[flag.replace("--no-", "--")])
    return parse_into(Args, argv, parser, (TrainingError,))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    try:
        summary = train(args)
    except (TrainingError, EnvOptionsError, NetlistError, ValueError) as error:
        print(f"train_agent.py: error: {error}", file=sys.stderr)
        return 2
    for label, row in summary["designs"].items():
        print(
            f"{label}: final cost {row['final_cost']:.6g} (complete={row['final_complete']}), "
            f"best {row['best_cost']:.6g}; {summary['timesteps']} steps in "
            f"{summary['train_seconds']:.1f} s -> {args.out}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
