"""PPO agents: the spatial policies, training, determinism, checkpoints, the training script and
the ``"ppo"`` placer, on the tiny design n10 (10 macros) on an 8 x 8 grid."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.vec_env import DummyVecEnv

import agents.ppo_run
import netlists
from agents import Budget, PlacerError, make_placer
from agents.policies import POLICIES, PolicyError, transfer_weights
from agents.ppo_training import (
    PPOConfig,
    TrainingError,
    init_from,
    load_model,
    new_model,
    start_anchor,
)
from agents.rl_env import EnvOptions, make_env, rollout
from netlists import NodeKind
from placement_env.legality import check_legality

ROOT = Path(__file__).resolve().parents[2]
GRID = 8
SMALL = PPOConfig(n_steps=64, batch_size=32, n_epochs=2, channels=8, hidden=16)

torch.set_num_threads(1)


def _vec(design: str = "n10", graph: bool = True) -> DummyVecEnv:
    return DummyVecEnv([partial(make_env, EnvOptions(design, grid=GRID, graph=graph))])


def _model(policy: str, seed: int = 0, design: str = "n10", wire_skip: bool = False):
    config = PPOConfig(**{**SMALL.__dict__, "policy": policy, "wire_skip": wire_skip})
    return new_model(config, _vec(design, graph=policy == "gnn"), seed)


def _obs_batch(env, size: int = 3) -> tuple[dict, np.ndarray]:
    obs, _ = env.reset()
    masks = [env.unwrapped.action_masks()]
    batch = [obs]
    for _ in range(size - 1):  # later states: a few macros placed
        obs, *_ = env.step(int(np.flatnonzero(masks[-1])[0]))
        batch.append(obs)
        masks.append(env.unwrapped.action_masks())
    tensors = {k: torch.as_tensor(np.stack([o[k] for o in batch])) for k in batch[0]}
    return tensors, np.stack(masks)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A GNN MaskablePPO trained for 256 steps on n10, saved."""
    model = _model("gnn", seed=0)
    model.learn(256)
    path = tmp_path_factory.mktemp("ppo") / "model.zip"
    model.save(path)
    return model, path


def test_maskable_ppo__trains_a_few_hundred_steps_on_a_tiny_design(trained):
    model, _ = trained
    assert model.num_timesteps >= 256
    episode = rollout(model.policy, make_env(EnvOptions("n10", grid=GRID)))
    assert np.isfinite(episode.cost) and episode.info["n_placed"] >= 1


@pytest.mark.parametrize(("policy", "wire_skip"), [("cnn", False), ("gnn", False), ("gnn", True)])
def test_policy__one_logit_per_cell_and_masks_respected(policy, wire_skip):
    assert policy in POLICIES
    model = _model(policy, wire_skip=wire_skip)
    obs, masks = _obs_batch(make_env(EnvOptions("n10", grid=GRID, graph=policy == "gnn")))
    logits = model.policy.cell_logits(obs)
    assert logits.shape == (3, GRID * GRID)
    dist = model.policy.get_distribution(obs, masks)
    probs = dist.distribution.probs.detach().numpy()
    assert np.all(probs[~masks] < 1e-12)
    assert np.allclose(probs.sum(axis=1), 1.0)
    actions = dist.get_actions(deterministic=False).numpy()
    assert all(masks[i, a] for i, a in enumerate(actions))


def test_same_seed__same_model_output():
    outputs = []
    for _ in range(2):
        model = _model("gnn", seed=7)
        model.learn(128)
        obs, _ = _obs_batch(make_env(EnvOptions("n10", grid=GRID)))
        outputs.append(model.policy.cell_logits(obs).detach().numpy())
    assert np.array_equal(outputs[0], outputs[1])


def test_save_load_predict__with_masks(trained):
    model, path = trained
    loaded = MaskablePPO.load(path)
    env = make_env(EnvOptions("n10", grid=GRID))
    obs, _ = env.reset()
    mask = env.unwrapped.action_masks()
    action, _ = loaded.predict(obs, action_masks=mask, deterministic=True)
    assert mask[int(action)]
    batch = {k: torch.as_tensor(v[None]) for k, v in obs.items()}
    assert torch.equal(loaded.policy.cell_logits(batch), model.policy.cell_logits(batch))


def test_gnn_policy__runs_and_transfers_to_a_design_of_another_size(trained, tmp_path):
    model, path = trained
    env = make_env(EnvOptions("n30", grid=GRID))  # 30 macros; trained on 10
    episode = rollout(model.policy, env, np.random.default_rng(0), deterministic=False)
    assert episode.info["n_placed"] >= 1
    target = _model("gnn", seed=1, design="n30")
    copied, skipped = init_from(target, path)
    assert copied and not skipped  # no weight depends on the design's size


def test_cnn_policy__macro_mlp_does_not_transfer_across_sizes():
    source, target = _model("cnn", design="n10"), _model("cnn", design="n30")
    copied, skipped = transfer_weights(source.policy, target.policy)
    assert any("macros" in name for name in skipped) and copied


def test_train_agent_script__runs_end_to_end_and_writes_its_outputs(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, str(ROOT / "scripts" / "train_agent.py"), "--design", "n10",
           "--grid", str(GRID), "--timesteps", "64", "--n-steps", "32", "--batch-size", "32",
           "--eval-every", "32", "--eval-samples", "1", "--no-progress",
           "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    for name in ("model.zip", "best_n10.json", "best_n10.png", "learning_curve.png",
                 "summary.json", "curve.csv", "logs/progress.csv"):  # fmt: skip
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["timesteps"] >= 64 and summary["designs"]["n10"]["best_cost"] > 0
    best = netlists.read_design(out / "best_n10.json")
    assert best.netlist.num_nodes == netlists.load("n10").netlist.num_nodes


def test_train_agent_script__bad_input_gives_a_clear_error(tmp_path):
    script = str(ROOT / "scripts" / "train_agent.py")
    for extra, message in ((["--policy", "mlp"], "unknown --policy"),
                           (["--timesteps", "0"], "--timesteps must be at least 1")):  # fmt: skip
        done = subprocess.run(
            [sys.executable, script, "--design", "n10", "--out", str(tmp_path), *extra],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 2 and message in done.stderr


def test_bad_input__unknown_policy_zero_steps_missing_graph():
    with pytest.raises(TrainingError, match="unknown policy"):
        PPOConfig(policy="transformer")
    with pytest.raises(PlacerError, match="unknown policy"):
        make_placer("ppo", policy="transformer")
    with pytest.raises(PlacerError, match="train_steps"):
        make_placer("ppo", train_steps=0)
    with pytest.raises(PlacerError, match="does not exist"):
        make_placer("ppo", checkpoint="no/such/model.zip")
    with pytest.raises(PolicyError, match="graph_observation"):
        new_model(SMALL, _vec(graph=False), 0)


def _check_legal_complete(design, placement) -> None:
    nl = design.netlist
    movable = (nl.node_kinds == int(NodeKind.HARD_MACRO)) & ~nl.node_fixed
    assert placement.placed[movable].all()
    assert check_legality(nl, placement).is_legal


def test_ppo_placer__trains_within_budget_legal_and_deterministic():
    design = netlists.load("n10")
    budget = Budget(evaluations=12)
    first = make_placer("ppo", grid=GRID).place(design, np.random.default_rng(5), budget)
    second = make_placer("ppo", grid=GRID).place(design, np.random.default_rng(5), budget)
    _check_legal_complete(design, first.placement)
    assert first.placement.same_as(second.placement)
    assert first.stats.evaluations <= 12
    assert first.extra["final_hpwl"] <= first.extra["rl_hpwl"] + 1e-6  # clean-up never worsens


def test_ppo_placer__from_checkpoint_with_fine_tuning(trained, monkeypatch):
    _, path = trained
    design = netlists.load("n10")
    plain = make_placer("ppo", checkpoint=path, cleanup=False)
    result = plain.place(design, np.random.default_rng(0), Budget(evaluations=4))
    _check_legal_complete(design, result.placement)
    assert result.extra["rl_hpwl"] == result.extra["final_hpwl"]
    tuned = make_placer("ppo", checkpoint=path, fine_tune_steps=32)
    result = tuned.place(design, np.random.default_rng(0), Budget(evaluations=10))
    _check_legal_complete(design, result.placement)
    assert any(note.startswith("fine_tuned=") for note in result.stats.notes)
    assert (
        make_placer("ppo", checkpoint=path, fine_tune_steps=32)
        .place(design, np.random.default_rng(0), Budget(evaluations=10))
        .placement.same_as(result.placement)
    )
    temperatures = []
    soften = POLICIES["gnn"].soften
    monkeypatch.setattr(POLICIES["gnn"], "soften",
                        lambda self, t: (temperatures.append(t), soften(self, t))[1])  # fmt: skip
    softened = make_placer("ppo", checkpoint=path, fine_tune_steps=32, soften=5.0)
    result = softened.place(design, np.random.default_rng(0), Budget(evaluations=10))
    _check_legal_complete(design, result.placement)
    assert temperatures == [5.0]  # the checkpoint was softened before fine-tuning
    with pytest.raises(PlacerError, match="soften"):
        make_placer("ppo", checkpoint=path, soften=0.0)


def _train_script():
    import importlib.util

    path = ROOT / "scripts" / "train_agent.py"
    spec = importlib.util.spec_from_file_location("train_agent", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_agent"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_train__resume_continues_and_init_from_fine_tunes_on_another_design(
    trained, tmp_path, monkeypatch
):
    _, path = trained
    script = _train_script()
    small = {"grid": GRID, "timesteps": 64, "n_steps": 32, "batch_size": 32, "eval_every": 64,
             "eval_samples": 0, "progress": False}  # fmt: skip
    resumed = script.train(script.Args(design=("n10",), resume=str(path),
                                       out=str(tmp_path / "resume"), **small))  # fmt: skip
    assert resumed["total_timesteps"] >= 256 + 64 and resumed["resumed_from"] == str(path)
    anchored = []

    def recording_start_anchor(model, config):
        done = start_anchor(model, config)
        anchored.append(model.policy.anchor.state_dict())
        return done

    monkeypatch.setattr(agents.ppo_run, "start_anchor", recording_start_anchor)
    tuned = script.train(script.Args(design=("n30",), init_from=str(path), anchor_coef=0.01,
                                     ent_coef=0.0, out=str(tmp_path / "tune"),
                                     **small))  # fmt: skip
    assert tuned["skipped"] == [] and tuned["copied"] > 0 and tuned["anchored"]
    pretrained = load_model(path).policy.state_dict()  # the anchor is the fine-tuning start
    assert all(torch.equal(anchored[0][k], v) for k, v in pretrained.items())
    with pytest.raises(TrainingError, match="--init-from") as caught:
        script.train(script.Args(design=("n30",), resume=str(path), out=str(tmp_path / "x"),
                                 **small))  # fmt: skip
    assert len(str(caught.value)) < 400  # not SB3's dump of both observation spaces


def test_resume_of_a_cnn_run__takes_the_checkpoints_policy_kind(tmp_path):
    """Resuming a cnn run without --policy cnn used to build a graph env and fail with SB3's
    dump of both observation spaces and a hint to use --init-from."""
    path = tmp_path / "cnn.zip"
    model = _model("cnn", seed=0)
    model.learn(32)
    model.save(path)
    script = _train_script()
    small = {"grid": GRID, "timesteps": 32, "n_steps": 32, "batch_size": 32, "eval_every": 32,
             "eval_samples": 0, "progress": False}  # fmt: skip
    resumed = script.train(script.Args(design=("n10",), resume=str(path),
                                       out=str(tmp_path / "resume"), **small))  # fmt: skip
    assert resumed["resumed_from"] == str(path) and resumed["architecture"]["policy"] == "cnn"


def test_wire_prior__untrained_policy_picks_the_least_wire_legal_cell():
    config = PPOConfig(**{**SMALL.__dict__, "wire_skip": True, "wire_prior": 100.0})
    model = new_model(config, _vec("ibm01"), 0)
    obs, masks = _obs_batch(make_env(EnvOptions("ibm01", grid=GRID)), size=4)
    logits = model.policy.cell_logits(obs).detach().numpy()
    wire = obs["wire_mask"].numpy().reshape(len(masks), -1)
    for i, mask in enumerate(masks[1:], start=1):  # after the first macro the wire mask varies
        assert np.ptp(wire[i][mask]) > 0
        chosen = int(np.argmax(np.where(mask, logits[i], -np.inf)))
        assert wire[i][chosen] == pytest.approx(wire[i][mask].min(), abs=1e-6)
    plain = _model("gnn", wire_skip=True).policy.cell_logits(obs).detach().numpy()
    assert np.allclose(plain, plain[:, :1])  # without the prior the first policy is uniform


def test_wire_prior__needs_the_wire_skip():
    with pytest.raises(TrainingError, match="wire_skip"):
        PPOConfig(wire_prior=10.0)
    with pytest.raises(TrainingError, match="wire_prior"):
        PPOConfig(wire_skip=True, wire_prior=-1.0)


def test_ppo_placer__runs_a_checkpoint_in_a_snapping_env(trained, monkeypatch):
    import agents.learned

    made = []

    def recording_make_env(options, *args):
        env = make_env(options, *args)
        made.append(env.unwrapped)
        return env

    monkeypatch.setattr(agents.learned, "make_env", recording_make_env)
    _, path = trained
    design = netlists.load("n10")
    placer = make_placer("ppo", checkpoint=path, cleanup=False, env_kwargs={"snap": True})
    result = placer.place(design, np.random.default_rng(0), Budget(evaluations=3))
    _check_legal_complete(design, result.placement)
    assert made and all(env.snap for env in made)


def test_ppo_placer__reads_the_training_env_kwargs_beside_the_checkpoint(trained, tmp_path):
    _, path = trained
    model = tmp_path / "model.zip"
    model.write_bytes(path.read_bytes())
    assert make_placer("ppo", checkpoint=model).env_kwargs == {}
    (tmp_path / "summary.json").write_text(json.dumps({"env_kwargs": {"snap": True}}))
    assert make_placer("ppo", checkpoint=model).env_kwargs == {"snap": True}
    assert make_placer("ppo", checkpoint=model, env_kwargs={}).env_kwargs == {}
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(PlacerError, match="summary.json"):
        make_placer("ppo", checkpoint=model)


def test_centre_prior__flat_wire_mask_goes_to_the_cell_nearest_the_centre():
    config = PPOConfig(**{**SMALL.__dict__, "wire_skip": True, "wire_prior": 100.0,
                          "centre_prior": 0.1})  # fmt: skip
    model = new_model(config, _vec("ibm03"), 0)
    obs, masks = _obs_batch(make_env(EnvOptions("ibm03", grid=GRID)), size=1)
    assert np.ptp(obs["wire_mask"].numpy()) == 0  # nothing placed yet: no wire preference
    logits = model.policy.cell_logits(obs).detach().numpy()[0]
    chosen = int(np.argmax(np.where(masks[0], logits, -np.inf)))
    rows, cols = np.divmod(np.arange(GRID * GRID), GRID)
    dist = np.hypot(rows + 0.5 - GRID / 2, cols + 0.5 - GRID / 2)
    assert dist[chosen] == pytest.approx(dist[masks[0]].min())
    with pytest.raises(TrainingError, match="centre_prior"):
        PPOConfig(centre_prior=-0.5)


def _entropy_and_kl(model, obs, masks) -> tuple[torch.Tensor, torch.Tensor]:
    actions = torch.as_tensor([int(np.flatnonzero(m)[0]) for m in masks])
    masks = torch.as_tensor(masks)
    with torch.no_grad():
        _, _, negative_kl = model.policy.evaluate_actions(obs, actions, masks)
        entropy = model.policy.get_distribution(obs, masks).entropy()
    return entropy, negative_kl


def test_anchor__against_a_uniform_start_is_the_entropy_up_to_log_legal_cells():
    """Golden check: without priors the first policy is uniform over the legal cells, so
    -KL(pi || pi_0) = H(pi) - log(number of legal cells), state by state."""
    config = PPOConfig(**{**SMALL.__dict__, "anchor_coef": 0.01, "ent_coef": 0.0})
    model = new_model(config, _vec(), 0)
    assert start_anchor(model, config) and model.policy.anchor is not None
    obs, masks = _obs_batch(make_env(EnvOptions("n10", grid=GRID)), size=4)
    entropy, negative_kl = _entropy_and_kl(model, obs, masks)
    assert torch.allclose(negative_kl, torch.zeros_like(negative_kl), atol=1e-6)
    model.learn(128)  # the policy moves away from uniform
    entropy, negative_kl = _entropy_and_kl(model, obs, masks)
    expected = entropy - torch.log(torch.as_tensor(masks.sum(axis=1), dtype=torch.float32))
    assert torch.allclose(negative_kl, expected, atol=1e-4)
    assert (negative_kl < 0).any()


def test_anchor__frozen_kept_out_of_training_and_checkpoints(tmp_path):
    config = PPOConfig(**{**SMALL.__dict__, "wire_skip": True, "wire_prior": 100.0,
                          "anchor_coef": 0.01})  # fmt: skip
    model = new_model(config, _vec("ibm01"), 0)
    start_anchor(model, config)
    before = {k: v.clone() for k, v in model.policy.anchor.state_dict().items()}
    model.learn(128)
    after = model.policy.anchor.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the anchor did not train
    assert any(not torch.equal(before[k], v) for k, v in model.policy.state_dict().items())
    assert list(model.policy.state_dict()) == list(before)  # not a sub-module
    model.save(tmp_path / "model.zip")
    assert load_model(tmp_path / "model.zip").policy.anchor is None
    plain = new_model(SMALL, _vec(), 0)
    assert not start_anchor(plain, SMALL) and plain.policy.anchor is None
    obs, masks = _obs_batch(make_env(EnvOptions("n10", grid=GRID)), size=2)
    entropy, third = _entropy_and_kl(plain, obs, masks)
    assert torch.allclose(entropy, third)  # no anchor: SB3's entropy, unchanged


def test_soften__divides_every_logit_by_the_temperature_keeping_the_argmax():
    """Golden check on a trained policy with all three logit terms (head, wire skip, centre)."""
    config = PPOConfig(**{**SMALL.__dict__, "wire_skip": True, "wire_prior": 100.0,
                          "centre_prior": 0.5})  # fmt: skip
    model = new_model(config, _vec("ibm01"), 0)
    model.learn(64)  # the head's output layer moves off zero
    obs, masks = _obs_batch(make_env(EnvOptions("ibm01", grid=GRID)), size=3)
    before = model.policy.cell_logits(obs).detach()
    entropy_before = model.policy.get_distribution(obs, torch.as_tensor(masks)).entropy()
    model.policy.soften(4.0)
    after = model.policy.cell_logits(obs).detach()
    assert torch.allclose(after, before / 4.0, atol=1e-5)
    legal = torch.as_tensor(masks)
    pick = lambda x: torch.where(legal, x, -torch.inf).argmax(1)  # noqa: E731
    assert torch.equal(pick(after), pick(before))
    entropy_after = model.policy.get_distribution(obs, legal).entropy()
    assert (entropy_after > entropy_before).all()
    with pytest.raises(PolicyError, match="temperature"):
        model.policy.soften(0.0)


def test_train__soften_softens_the_fine_tuning_start(trained, tmp_path, monkeypatch):
    _, path = trained
    script = _train_script()
    small = {"grid": GRID, "timesteps": 32, "n_steps": 32, "batch_size": 32, "eval_every": 64,
             "eval_samples": 0, "progress": False, "init_from": str(path)}  # fmt: skip
    starts = []

    def recording_start_anchor(model, config):
        starts.append({k: v.clone() for k, v in model.policy.action_net.state_dict().items()})
        return start_anchor(model, config)

    monkeypatch.setattr(agents.ppo_run, "start_anchor", recording_start_anchor)
    tuned = script.train(script.Args(design=("n30",), soften=2.0,
                                     out=str(tmp_path / "soft"), **small))  # fmt: skip
    assert tuned["soften"] == 2.0
    head = load_model(path).policy.action_net.state_dict()
    assert torch.allclose(starts[0]["out.weight"], head["out.weight"] / 2.0)
    parsed = script.parse_args(["--init-from", str(path), "--soften", "2.5"])
    assert parsed.soften == 2.5
    with pytest.raises(TrainingError, match="--init-from"):
        script.Args(design=("n30",), soften=2.0)
    with pytest.raises(TrainingError, match="positive"):
        script.Args(design=("n30",), init_from=str(path), soften=-1.0)


SMALL_RUN = {"grid": GRID, "timesteps": 32, "n_steps": 32, "batch_size": 32, "eval_every": 64,
             "eval_samples": 0, "progress": False}  # fmt: skip


def test_init_from__refuses_a_prior_flag_the_checkpoint_would_override(trained, tmp_path):
    """The checkpoint fixes the architecture and priors: a differing flag cannot take effect."""
    _, path = trained  # gnn, no wire skip, no centre prior
    script = _train_script()
    for flag, name in (({"wire_skip": True}, "wire_skip"), ({"centre_prior": 2.0}, "centre_prior"),
                       ({"policy": "cnn"}, "policy")):  # fmt: skip
        with pytest.raises(TrainingError, match=f"{name}=.*the checkpoint has"):
            script.train(script.Args(design=("n30",), init_from=str(path),
                                     out=str(tmp_path / name), **flag, **SMALL_RUN))  # fmt: skip
    tuned = script.train(script.Args(design=("n30",), init_from=str(path),
                                     out=str(tmp_path / "ok"), **SMALL_RUN))  # fmt: skip
    assert tuned["architecture"] == {"policy": "gnn", "channels": 8, "hidden": 16,
                                     "wire_skip": False, "wire_prior": 0.0,
                                     "centre_prior": 0.0, "head": "full"}  # fmt: skip
    with pytest.raises(PlacerError, match="gnn policy"):
        make_placer("ppo", checkpoint=path, policy="cnn").place(
            netlists.load("n10"), np.random.default_rng(0), Budget(evaluations=3)
        )


def test_resume__applies_the_ppo_settings_refuses_the_architecture(trained, tmp_path):
    _, path = trained  # SMALL: n_steps 64, n_epochs 2, learning rate 3e-4, ent_coef 0.01
    script = _train_script()
    out = tmp_path / "resume"
    run = script.Args(design=("n10",), resume=str(path), out=str(out), learning_rate=1e-4,
                      n_epochs=1, ent_coef=0.05, **SMALL_RUN)  # fmt: skip
    summary = script.train(run)
    assert summary["changed"]["learning_rate"] == [3e-4, 1e-4]
    assert summary["changed"]["n_epochs"] == [2, 1]
    assert summary["changed"]["n_steps"] == [64, 32]
    assert summary["changed"]["regulariser_coef"] == [0.01, 0.05]
    resumed = load_model(out / "model.zip")
    assert (resumed.learning_rate, resumed.n_epochs, resumed.ent_coef) == (1e-4, 1, 0.05)
    assert resumed.policy.optimizer.param_groups[0]["lr"] == 1e-4  # it trained with it
    assert resumed.rollout_buffer.buffer_size == 32
    for flag, name in (({"wire_skip": True}, "wire_skip"), ({"policy": "cnn"}, "policy")):
        with pytest.raises(TrainingError, match=f"--resume.*{name}="):
            script.train(script.Args(design=("n10",), resume=str(path), out=str(tmp_path / name),
                                     **flag, **SMALL_RUN))  # fmt: skip
    anchored = script.train(script.Args(design=("n10",), resume=str(path), anchor_coef=0.2,
                                        out=str(tmp_path / "anchored"), **SMALL_RUN))  # fmt: skip
    assert anchored["anchored"] and anchored["anchored_to"] == "the resumed weights"
    assert load_model(tmp_path / "anchored" / "model.zip").ent_coef == 0.2  # the KL weight


def test_anchor_coef__its_own_weight_beside_the_entropy_bonus():
    """The loss gets anchor_coef x KL - ent_coef x entropy: SB3's single entropy slot carries
    anchor_coef, the policy returns (ent_coef / anchor_coef) x entropy - KL."""
    assert new_model(SMALL, _vec(), 0).ent_coef == SMALL.ent_coef  # no anchor: the entropy
    config = PPOConfig(**{**SMALL.__dict__, "anchor_coef": 0.5, "ent_coef": 0.1})
    model = new_model(config, _vec(), 0)
    assert model.ent_coef == 0.5
    obs, masks = _obs_batch(make_env(EnvOptions("n10", grid=GRID)), size=3)
    start_anchor(model, config)
    model.learn(64)  # away from the anchor, so that the KL is not zero
    entropy, regulariser = _entropy_and_kl(model, obs, masks)
    model.policy.__dict__["_entropy_weight"] = 0.0  # the same anchor, the KL alone
    _, negative_kl = _entropy_and_kl(model, obs, masks)
    assert torch.allclose(regulariser, 0.2 * entropy + negative_kl, atol=1e-6)
    assert (negative_kl < 0).any()
    with pytest.raises(TrainingError, match="anchor_coef"):
        PPOConfig(anchor_coef=-1.0)


def test_train_agent__removed_flags_say_the_new_ones(capsys):
    script = _train_script()
    for argv, new in ((["--anchor", "--ent-coef", "0.5"], "--anchor-coef 0.5"),
                      (["--no-anchor"], "--anchor-coef"),
                      (["--init-temperature", "2"], "--soften")):  # fmt: skip
        with pytest.raises(SystemExit) as exit_:
            script.parse_args(argv)
        assert exit_.value.code == 2
        assert new.split()[0] in capsys.readouterr().err
    assert script.parse_args(["--anchor-coef", "0.5", "--ent-coef", "0"]).ppo().anchor_coef == 0.5


def test_train_agent__every_option_has_help_from_its_field_docstring():
    from agents.cli import dataclass_parser, field_docs

    script = _train_script()
    docs = field_docs(script.Args)
    parser = dataclass_parser(script.Args)
    options = [a for a in parser._actions if a.dest != "help"]
    assert {a.dest for a in options} == {f.name for f in fields(script.Args)} == set(docs)
    for action in options:
        assert action.help and action.help.startswith(docs[action.dest]), action.dest

    @dataclass(frozen=True)
    class Undocumented:
        seed: int = 0

    with pytest.raises(TypeError, match="no docstring"):
        dataclass_parser(Undocumented)


def test_ppo_placer__soften_and_anchor_only_where_they_take_effect(trained):
    _, path = trained
    with pytest.raises(PlacerError, match="fine_tune_steps"):
        make_placer("ppo", checkpoint=path, soften=3.0)  # no fine-tuning: nothing to soften
    with pytest.raises(PlacerError, match="checkpoint"):
        make_placer("ppo", soften=3.0)
    with pytest.raises(PlacerError, match="fine_tune_steps"):
        make_placer("ppo", checkpoint=path, anchor_coef=0.1)


def test_training__leaves_no_sb3_folder_in_the_temp_dir(trained, tmp_path, monkeypatch):
    """SB3 makes an SB3-<date> folder in the temp dir for every learn() without a logger."""
    import tempfile

    from agents.routing_agent import RoutingTraining, train_routing_agent
    from placement_env.routing import SyntheticConfig

    _, path = trained
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.delenv("SB3_LOGDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    assert tempfile.gettempdir() == str(temp)
    _model("gnn").learn(32)
    design = netlists.load("n10")
    make_placer("ppo", grid=GRID).place(design, np.random.default_rng(0), Budget(evaluations=6))
    make_placer("ppo", checkpoint=path, fine_tune_steps=16).place(
        design, np.random.default_rng(0), Budget(evaluations=6)
    )
    load_model(path, env=_vec()).learn(32)
    train_routing_agent(RoutingTraining(SyntheticConfig(num_nets=2), timesteps=8, n_envs=1))
    script = _train_script()
    script.train(script.Args(design=("n10",), out=str(tmp_path / "run"), **SMALL_RUN))
    assert not [p.name for p in temp.iterdir() if p.name.startswith("SB3-")]


@pytest.mark.parametrize(
    ("options", "message"),
    [({"eval_every": 0}, "--eval-every"), ({"eval_samples": -1}, "--eval-samples"),
     ({"out": "FILE"}, "is a file")],
)  # fmt: skip
def test_training_run__refuses_bad_evaluation_settings_and_a_file_as_out(
    tmp_path, options, message
):
    if options.get("out") == "FILE":
        taken = tmp_path / "taken"
        taken.write_text("keep me")
        options = {"out": str(taken)}
    with pytest.raises(TrainingError, match=message):
        agents.ppo_run.TrainingRun(design=("n10",), **options)


def test_resolve_device__refuses_unknown_names_and_absent_cuda():
    from agents.ppo_run import resolve_device

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(TrainingError, match="unknown --device 'foo'"):
        resolve_device("foo")
    if not torch.cuda.is_available():
        with pytest.raises(TrainingError, match="no CUDA"):
            resolve_device("cuda")


def test_training_run__env_args_are_typed_by_the_env():
    run = agents.ppo_run.TrainingRun(design=("n10",), env_arg=("snap=False", "ports=True"))
    assert run.env_kwargs() == {"snap": False, "ports": True}  # "False" was the string "False"
    with pytest.raises(TrainingError, match="snap must be bool"):
        agents.ppo_run.TrainingRun(design=("n10",), env_arg=("snap=yes",))


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--design", "nope"], "unknown design 'nope'"),
     (["--design", "n10", "--device", "foo"], "unknown --device"),
     (["--design", "n10", "--env-arg", "snap=yes"], "snap must be bool")],
)  # fmt: skip
def test_train_agent_cli__bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    script = Path(__file__).resolve().parents[2] / "scripts" / "train_agent.py"
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, str(script), *args, "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
