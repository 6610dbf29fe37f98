"""The learned_annealing placer, its refine policy's priors, and refiner training."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import netlists
from agents import Budget, PlacerError, make_placer
from agents.annealing import MacroBoxes, propose_hard_move
from agents.base import MacroProblem
from agents.greedy import greedy_sub_placement
from agents.learned_annealing import (
    DEFAULT_PRIORS,
    _GuidedAnnealing,
    load_refine_policy,
    move_effort,
)
from agents.ppo_training import TrainingError
from agents.refine_training import RefineRun, train_refiner
from placement_env.legality import check_legality
from placement_env.proxy_cost import proxy_cost
from placement_env.refine_env import MacroRefineEnv
from placement_env.wirelength import hpwl

torch.set_num_threads(1)
GRID = 32


def _place(design, seed=0, evaluations=300, **options):
    placer = make_placer("learned_annealing", grid=GRID, **options)
    return placer.place(design, np.random.default_rng(seed), Budget(evaluations=evaluations))


@pytest.mark.parametrize("proposals", ["guided", "policy", "uniform"])
def test_learned_annealing__legal_improves_on_its_start_and_is_deterministic(proposals):
    design = netlists.load("n30")
    first = _place(design, proposals=proposals)
    again = _place(design, proposals=proposals)
    assert check_legality(design.netlist, first.placement).is_legal
    assert first.placement.same_as(again.placement)
    notes = dict(n.split("=", 1) for n in first.stats.notes)
    assert notes["proposals"] == proposals
    name = "hpwl" if proposals == "guided" else "cost"  # guided reports annealing's notes
    assert float(notes[f"best_{name}"]) < float(notes[f"start_{name}"])
    assert first.stats.evaluations <= 300


def test_propose_hard_move__draws_the_macro_by_its_weights():
    design = netlists.load("n30")
    problem = MacroProblem(design, "macros")
    start, _, _ = greedy_sub_placement(problem, GRID)
    boxes = MacroBoxes(problem.sub, start)
    macros = problem.local
    rng = np.random.default_rng(0)
    only = np.zeros(len(macros))
    only[4] = 1.0
    step = np.array([problem.sub.canvas.width, problem.sub.canvas.height]) * 0.05
    shift_swap = np.array([0.5, 0.5, 0.0, 0.0])
    moved = []
    for _ in range(200):
        move = propose_hard_move(rng, shift_swap, macros, start.positions, start.orientations,
                                 boxes, step, np.cumsum(only))  # fmt: skip
        if move is not None:
            moved.append(move[0][0])
    assert moved and set(moved) == {macros[4]}  # a swap's first node is the drawn macro


def test_learned_annealing__guide_reads_the_policy_every_so_many_proposals():
    design = netlists.load("n30")
    placer = make_placer("learned_annealing", grid=GRID, uniform_share=0.25, guide_every=40)
    guided = _GuidedAnnealing(placer)
    problem = MacroProblem(design, "macros")
    start, _, _ = greedy_sub_placement(problem, GRID)
    weights = guided.macro_guide(design, problem, start)(start)
    # The untrained policy's select logits are its wirelength prior (see the test above).
    env = MacroRefineEnv(design, grid=GRID)
    obs, _ = env.reset(options={"placement": problem.to_full(start)})
    logits = DEFAULT_PRIORS["select_prior"] * obs["macro_features"][:, 5].astype(float)
    policy_p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(weights, 0.75 * policy_p + 0.25 / len(logits), atol=1e-5)
    calls = []

    class Counting(_GuidedAnnealing):
        def macro_guide(self, design, problem, start):
            read = super().macro_guide(design, problem, start)

            def counted(now):
                calls.append(now)
                return read(now)

            return counted

    result = Counting(placer).place(design, np.random.default_rng(0), Budget(evaluations=300))
    proposed = int(dict(n.split("=", 1) for n in result.stats.notes)["accepted"].split("/")[1])
    assert len(calls) >= -(-proposed // 40)  # at least one read per 40 legal proposals


def test_move_effort__counts_the_pins_of_the_nets_a_macro_touches():
    design = netlists.load("n30")
    netlist = design.netlist
    macros = MacroProblem(design, "macros").macros
    naive = []
    for m in macros:  # golden: walk every net
        pins = 0
        for j in range(netlist.num_nets):
            owners = netlist.pin_nodes[netlist.net_pin_indices(j)]
            if int(m) in owners.tolist():
                pins += len(owners)
        naive.append(max(1, pins))
    np.testing.assert_array_equal(move_effort(design, macros), naive)


def test_learned_annealing__per_effort_divides_the_policy_weights_by_the_move_effort():
    design = netlists.load("n30")
    problem = MacroProblem(design, "macros")
    start, _, _ = greedy_sub_placement(problem, GRID)
    plain = make_placer("learned_annealing", grid=GRID, uniform_share=0.0)
    cheap = make_placer("learned_annealing", grid=GRID, uniform_share=0.0, per_effort=True)
    p = _GuidedAnnealing(plain).macro_guide(design, problem, start)(start)
    q = _GuidedAnnealing(cheap).macro_guide(design, problem, start)(start)
    expected = p / move_effort(design, problem.macros)
    np.testing.assert_allclose(q, expected / expected.sum(), rtol=1e-9)
    result = cheap.place(design, np.random.default_rng(0), Budget(evaluations=200))
    assert "per_effort=True" in result.stats.notes
    assert check_legality(design.netlist, result.placement).is_legal


@pytest.mark.parametrize(
    ("option", "value"), [("uniform_share", 1.5), ("guide_every", 0), ("threads", 0)]
)
def test_learned_annealing__refuses_bad_guide_options(option, value):
    with pytest.raises(PlacerError, match=option):
        make_placer("learned_annealing", **{option: value})


def test_refine_policy__untrained_logits_are_its_priors():
    env = MacroRefineEnv("n30", grid=GRID)
    obs, _ = env.reset(seed=0)
    policy = load_refine_policy(None, env)
    cells = env.grid.num_cells

    def logits(o):
        with torch.no_grad():
            return policy.action_logits({k: torch.as_tensor(v[None]) for k, v in o.items()})[0]

    select = logits(obs).numpy()
    shares = obs["macro_features"][:, 5]
    np.testing.assert_allclose(select[cells:], DEFAULT_PRIORS["select_prior"] * shares, atol=1e-5)
    obs, *_ = env.step(cells + 3)
    place = logits(obs).numpy()
    np.testing.assert_allclose(
        place[:cells], -DEFAULT_PRIORS["wire_prior"] * obs["wire_mask"].ravel(), atol=1e-4
    )
    np.testing.assert_allclose(place[cells:], -DEFAULT_PRIORS["swap_prior"], atol=1e-6)


def test_learned_annealing__runs_a_trained_checkpoint_and_refuses_bad_ones(tmp_path):
    run = RefineRun(design="n30", grid=GRID, timesteps=512, n_envs=2, n_steps=64,
                    batch_size=64, progress=False, out=str(tmp_path / "refine"))  # fmt: skip
    summary = train_refiner(run)
    assert summary["timesteps"] >= 512 and summary["episodes"] >= 1
    model = tmp_path / "refine" / "model.zip"
    for name in ("model.zip", "curve.csv", "learning_curve.png", "summary.json"):
        assert (tmp_path / "refine" / name).stat().st_size > 0
    design = netlists.load("n30")
    result = _place(design, checkpoint=model, evaluations=60)
    assert check_legality(design.netlist, result.placement).is_legal
    other = netlists.load("n10")  # another number of macros: no weight depends on it
    result = _place(other, checkpoint=model, evaluations=40)
    assert check_legality(other.netlist, result.placement).is_legal
    with pytest.raises(PlacerError, match="grid"):
        make_placer("learned_annealing", grid=16, checkpoint=model).place(
            design, np.random.default_rng(0), Budget(evaluations=20)
        )
    (tmp_path / "junk.zip").write_bytes(b"not a model")
    with pytest.raises(PlacerError, match="cannot load"):
        _place(design, checkpoint=tmp_path / "junk.zip", evaluations=20)
    with zipfile.ZipFile(tmp_path / "nodata.zip", "w") as archive:  # a zip, but not SB3's
        archive.writestr("readme.txt", "hello")
    with pytest.raises(PlacerError, match="cannot load"):
        _place(design, checkpoint=tmp_path / "nodata.zip", evaluations=20)
    # The refiner's checkpoint is no placement policy: the ppo placer says so.
    with pytest.raises(PlacerError, match="does not hold a placement policy"):
        make_placer("ppo", checkpoint=model).place(
            design, np.random.default_rng(0), Budget(evaluations=5)
        )
    with pytest.raises(PlacerError, match="not a MaskablePPO model"):
        make_placer("ppo", checkpoint=tmp_path / "nodata.zip").place(
            design, np.random.default_rng(0), Budget(evaluations=5)
        )


def test_learned_annealing__refuses_unknown_proposals():
    with pytest.raises(PlacerError, match="unknown proposals"):
        make_placer("learned_annealing", proposals="smart")


def test_learned_annealing__result_hpwl_matches_its_reported_best():
    design = netlists.load("n30")
    result = _place(design, evaluations=100, proposals="policy")
    env = MacroRefineEnv(design, grid=GRID)
    env.reset(options={"placement": result.placement})
    notes = dict(n.split("=", 1) for n in result.stats.notes)
    assert env.cost() == pytest.approx(float(notes["best_cost"]), rel=1e-5)
    assert hpwl(design.netlist, result.placement) > 0


def test_learned_annealing__proxy_cost_guides_proxy_annealing():
    design = netlists.load("mempool_tile_ng45")
    placer = make_placer("learned_annealing", grid=GRID, cost="proxy", guide_every=200)
    first = placer.place(design, np.random.default_rng(1), Budget(evaluations=600))
    again = placer.place(design, np.random.default_rng(1), Budget(evaluations=600))
    assert first.placement.same_as(again.placement)
    assert check_legality(design.netlist, first.placement).is_legal
    notes = dict(n.split("=", 1) for n in first.stats.notes)
    assert notes["proposals"] == "guided"
    true = proxy_cost(design.netlist, first.placement, design.plc).proxy
    assert float(notes["best_proxy"]) == pytest.approx(true, abs=1e-9)
    assert true < float(notes["start_proxy"])
    with pytest.raises(PlacerError, match=".plc"):
        placer.place(netlists.load("n30"), np.random.default_rng(0), Budget(evaluations=20))
    with pytest.raises(PlacerError, match="unknown cost"):
        make_placer("learned_annealing", cost="area")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("cost", "area", "--cost"), ("max_minutes", 0.0, "--max-minutes"), ("n_envs", 0, "n_envs")],
)
def test_refine_run__refuses_bad_options(field, value, message):
    with pytest.raises(TrainingError, match=message):
        RefineRun(**{field: value})


def test_refine_run__refuses_a_file_as_out(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    with pytest.raises(TrainingError, match="is a file"):
        RefineRun(out=str(taken))
    assert taken.read_text() == "keep me"


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--design", "nope"], "unknown design 'nope'"),
     (["--design", "n10", "--cost", "proxy"], ".plc"),
     (["--design", "n10", "--device", "foo"], "unknown --device")],
)  # fmt: skip
def test_train_refiner_cli__bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    script = Path(__file__).resolve().parents[2] / "scripts" / "train_refiner.py"
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, str(script), *args, "--out", str(out), "--no-progress"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
