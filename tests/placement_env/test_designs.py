"""One name per design: every spelling of a design resolves to the same thing everywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import accel
import netlists
from netlists import UnknownDesignError
from placement_env.designs import load_design, resolve_design

ROOT = Path(__file__).resolve().parents[2]

TPU_V1_SPELLINGS = ("tpu_v1", "TPUv1", "tpu-v1", "TPU_V1", "tpuv1", "TPUv1-v0",
                    "placement_env/TPUv1-v0", "placement_env:TPUv1-v0")  # fmt: skip


@pytest.mark.parametrize("spec", TPU_V1_SPELLINGS)
def test_every_spelling_of_a_preset_names_the_chip_and_its_env(spec):
    ref = resolve_design(spec)
    assert (ref.label, ref.env_id, ref.preset) == ("TPUv1", "placement_env/TPUv1-v0", "tpu_v1")


def test_preset_spellings_build_the_same_chip():
    reference = accel.build_chip(accel.TPU_V1).netlist
    for spec in ("tpu_v1", "TPUv1", "TPUv1-v0"):
        nl = load_design(spec).netlist
        assert nl.name == reference.name and nl.num_nodes == reference.num_nodes
        np.testing.assert_array_equal(nl.node_sizes, reference.node_sizes)
    assert accel.preset("TPU-v3") is accel.TPU_V3 and accel.preset_name("tpu_v9") is None


def test_iccad04_env_ids_name_the_bundled_design_and_the_bare_name_the_plain_env():
    for spec in ("ICCAD04-ibm01-v0", "ICCAD04-ibm01", "placement_env/ICCAD04-ibm01-v0"):
        ref = resolve_design(spec)
        assert (ref.label, ref.env_id, ref.source) == (
            "ICCAD04-ibm01", "placement_env/ICCAD04-ibm01-v0", "ibm01"
        )  # fmt: skip
    plain = resolve_design("ibm01")
    assert (plain.label, plain.env_id, plain.preset) == ("ibm01", None, None)
    assert load_design("ICCAD04-ibm01-v0").netlist.name == load_design("ibm01").netlist.name


def test_paths_designs_and_netlists_resolve(tmp_path):
    design = netlists.load("n10")
    path = tmp_path / "copy.json"
    netlists.write_design(design, path)
    assert resolve_design(path).label == "copy" and resolve_design(str(path)).env_id is None
    assert load_design(path).netlist.num_nodes == design.netlist.num_nodes
    assert load_design(design) is design
    from_netlist = load_design(design.netlist)
    assert from_netlist.netlist is design.netlist and not from_netlist.placement.placed.any()


def test_unknown_design_lists_every_accepted_form():
    with pytest.raises(UnknownDesignError) as caught:
        resolve_design("tpu_v9")
    message = str(caught.value)
    assert "tpu_v1" in message and "TPUv1-v0" in message and "python -m netlists list" in message
    with pytest.raises(TypeError, match="got int"):
        resolve_design(3)


def test_gym_make_takes_any_spelling_as_the_netlist():
    env = gym.make("placement_env/MacroPlacement-v0", netlist="tpu_v1", grid=16, snap=True)
    assert env.unwrapped.netlist.name == accel.build_chip(accel.TPU_V1).netlist.name


def test_train_agent_accepts_the_preset_spelling_compare_placers_uses(tmp_path):
    """Regression: `train_agent.py --design tpu_v1` failed with "unknown design"."""
    out = tmp_path / "run"
    cmd = [sys.executable, str(ROOT / "scripts" / "train_agent.py"), "--design", "tpu_v1",
           "--reward", "hpwl", "--grid", "16", "--env-arg", "snap=true", "--timesteps", "32",
           "--n-steps", "16", "--batch-size", "16", "--eval-every", "16", "--eval-samples", "1",
           "--no-progress", "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert (out / "best_TPUv1.png").is_file() and list(out.glob("best_TPUv1.plc"))
    assert "TPUv1: final cost" in done.stdout


def test_design_labels__unique_and_named_after_the_netlist_for_files(tmp_path):
    import netlists
    from placement_env.designs import design_labels

    design = netlists.load("n10")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        netlists.write_design(design, tmp_path / folder / "netlist.json")
    files = [str(tmp_path / "a" / "netlist.json"), str(tmp_path / "b" / "netlist.json")]
    labels = design_labels([*files, "tpu_v1", "TPUv1-v0", files[0]])
    assert labels == [design.netlist.name, f"{design.netlist.name}_2", "TPUv1", "TPUv1_2",
                      design.netlist.name]  # fmt: skip


def test_synth_spec__names_the_generated_design():
    from netlists.generator import GeneratorConfig, generate

    ref = resolve_design("synth-m40-s3")
    assert (ref.label, ref.env_id, ref.preset) == ("synth-m40-s3", None, None)
    design = load_design("synth-m40-s3")
    assert design.netlist.same_as(generate(GeneratorConfig(num_macros=40), 3).netlist)
    assert design.placement.placed.all()
    assert load_design("synth-m40-u0.5-s3").netlist.name == "synth-m40-u0.5-s3"
    assert resolve_design("synth-m40-u0.50-s3").label == "synth-m40-u0.5-s3"  # canonical label


@pytest.mark.parametrize("spec", ["synth-mX-s1", "synth-m0-s1", "synth-m3", "synth-m3-q1-s1"])
def test_malformed_synth_spec__unknown_design_with_the_form(spec):
    with pytest.raises(UnknownDesignError, match=r"synth-m<macros>.*-s<seed>") as caught:
        resolve_design(spec)
    assert spec in str(caught.value)


def test_synth_spec__env_builds_and_a_masked_random_rollout_places_every_macro():
    from placement_env.env import MacroPlacementEnv

    env = MacroPlacementEnv(netlist="synth-m20-s1", grid=32)
    assert env.netlist.name == "synth-m20-s1" and len(env.macros) == 20
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    total, done, info = 0.0, False, {}
    while not done:
        legal = np.flatnonzero(env.action_masks())
        assert len(legal)
        _, reward, terminated, truncated, info = env.step(int(rng.choice(legal)))
        total += reward
        done = terminated or truncated
    assert not info["invalid_action"] and not info["dead_end"] and info["n_placed"] == 20
    assert total == pytest.approx(-info["cost"])
