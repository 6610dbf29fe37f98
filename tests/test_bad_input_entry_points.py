"""Bad input at every entry point, drawn by hypothesis: each command line, ``gym.make`` of every
registered id, ``make_placer`` of every placer, and the readers of every file type.

Each outcome must be one of:

* a correct result: an env that resets and steps inside its spaces; a placer result that places
  every movable macro of the design at finite positions; a design or placement read; a command
  that exits 0 (training commands stop, by design of this test, where training would begin);
* a documented error with a message: a ``ValueError`` subclass (every error type of the project
  is one), :class:`~netlists.UnknownDesignError`, or Python's ``TypeError`` for a keyword the
  target does not take (gymnasium and ``make_placer`` name the target in it); a command line
  exits 2 with one ``error:`` line on stderr and writes nothing to ``--out``.

Never a raw ``KeyError``, ``IndexError``, ``AttributeError``, ``AssertionError`` or traceback.
``ENTRY_POINT_EXAMPLES`` scales the number of drawn cases (the README quotes the default run).
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import math
import os
import sys
import tempfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import agents
import netlists
import placement_env  # noqa: F401  (registers the env ids)
from netlists.errors import UnknownDesignError

SCALE = float(os.environ.get("ENTRY_POINT_EXAMPLES", "1"))
ROOT = Path(__file__).resolve().parent.parent


def _examples(n: int):
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


class AcceptedError(Exception):
    """Raised in place of training: the command line got past every check."""


# -- what an outcome may be -------------------------------------------------------------------


def _check_error(error: BaseException, where: str) -> None:
    """A documented error with a message; anything else fails the test."""
    message = str(error)
    if isinstance(error, TypeError) and not isinstance(error, ValueError):
        assert "keyword argument" in message, f"{where}: raw TypeError: {message}"
        return
    assert isinstance(error, (ValueError, UnknownDesignError)), (
        f"{where}: undocumented {type(error).__name__}: {message}"
    )
    assert not isinstance(error, (KeyError, IndexError)), f"{where}: raw {type(error).__name__}"
    assert message.strip(), f"{where}: {type(error).__name__} without a message"


# Values a caller might pass by mistake (and some right ones).
VALUES = st.sampled_from(
    [None, True, False, 0, 1, -1, 2, 8, 2.5, math.nan, math.inf, -math.inf, 1e300, "", "x",
     "16", "False", "n10", "hpwl", "proxy", "largest_first", (), (4, 4), (0, 3), [1, 2, 3], {}]
)  # fmt: skip


# ``viewer`` takes a window object; gymnasium's own make() reads ``render_mode`` before the env
# sees it (``render_mode=True`` fails inside gymnasium with an AttributeError).
SKIPPED = ("self", "viewer", "render_mode")


def _keywords(target, extra: tuple[str, ...] = ("bogus",)):
    """Up to two keywords of ``target``'s signature (or a bogus one), each with a drawn value."""
    names = [
        name
        for name, p in inspect.signature(target).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name not in SKIPPED
    ]
    return st.dictionaries(st.sampled_from(names + list(extra)), VALUES, max_size=2)


# -- gym.make of every registered id ------------------------------------------------------------

ENV_IDS = sorted(k for k in gym.registry if k.startswith("placement_env/"))
SMALL_ENV_IDS = [i for i in ENV_IDS if "ICCAD04" not in i]  # ibm designs: seconds per env
SMALL_DESIGN = {"placement_env/MacroPlacement-v0": "n10", "placement_env/MacroRefine-v0": "n10"}


def _entry_point(env_id: str):
    entry = gym.registry[env_id].entry_point
    module, _, name = entry.partition(":")
    return getattr(importlib.import_module(module), name)


def _exercise_env(env) -> None:
    """Resets and takes a few legal steps, checking observations and rewards."""
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    for _ in range(3):
        masks = getattr(env.unwrapped, "action_masks", None)
        legal = np.flatnonzero(masks()) if masks is not None else None
        if legal is not None and not len(legal):
            break
        action = int(legal[0]) if legal is not None else env.action_space.sample()
        obs, reward, terminated, truncated, _ = env.step(action)
        assert env.observation_space.contains(obs) and np.isfinite(reward)
        if terminated or truncated:
            break


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gym_make__every_registered_id_with_defaults__resets_and_steps(env_id):
    kwargs = {"netlist": SMALL_DESIGN[env_id]} if env_id in SMALL_DESIGN else {}
    env = gym.make(env_id, **kwargs)
    _exercise_env(env)
    env.close()


@_examples(60)
@given(data=st.data())
def test_gym_make__drawn_keywords__give_a_working_env_or_a_documented_error(data):
    env_id = data.draw(st.sampled_from(SMALL_ENV_IDS), label="id")
    kwargs = data.draw(_keywords(_entry_point(env_id)), label="kwargs")
    if env_id in SMALL_DESIGN and "netlist" not in kwargs:
        kwargs["netlist"] = SMALL_DESIGN[env_id]
    if isinstance(kwargs.get("grid"), int) and kwargs["grid"] > 64:
        kwargs["grid"] = 64
    try:
        env = gym.make(env_id, **kwargs)
        _exercise_env(env)
    except Exception as error:  # noqa: BLE001 -- sorting documented errors from the rest
        _check_error(error, f"gym.make({env_id!r}, **{kwargs!r})")
    else:
        env.close()


@pytest.mark.parametrize("env_id", [i for i in ENV_IDS if "ICCAD04" in i][:1])
def test_gym_make__a_design_env_refuses_bad_keywords(env_id):
    for kwargs in ({"grid": 2.5}, {"grid": "16"}, {"snap": "False"}, {"order": "x"}):
        with pytest.raises((ValueError, TypeError)) as caught:
            gym.make(env_id, **kwargs)
        _check_error(caught.value, f"{env_id} {kwargs}")


# -- make_placer of every placer ------------------------------------------------------------------


@_examples(60)
@given(data=st.data())
def test_make_placer__drawn_keywords__place_every_macro_or_give_a_documented_error(data):
    name = data.draw(st.sampled_from(sorted(agents.PLACERS)), label="placer")
    kwargs = data.draw(_keywords(agents.PLACERS[name]), label="kwargs")
    design = netlists.load(data.draw(st.sampled_from(["n10", "ami33"]), label="design"))
    budget = agents.Budget(evaluations=data.draw(st.sampled_from([1, 20, 200]), label="budget"))
    try:
        placer = agents.make_placer(name, **kwargs)
        result = placer.place(design, np.random.default_rng(0), budget)
    except Exception as error:  # noqa: BLE001
        _check_error(error, f"make_placer({name!r}, **{kwargs!r})")
        return
    movable = (design.netlist.node_kinds == netlists.NodeKind.HARD_MACRO) & ~(
        design.netlist.node_fixed
    )
    placement = result.placement
    assert placement.placed[movable].all(), f"{name} {kwargs}: a movable macro left unplaced"
    assert np.isfinite(placement.positions[placement.placed]).all()


def test_make_placer__unknown_or_mistyped_keyword__is_a_placer_error():
    with pytest.raises(agents.PlacerError, match="annealing.*bogus"):
        agents.make_placer("annealing", bogus=1)
    with pytest.raises(agents.PlacerError, match="must be"):
        agents.make_placer("annealing", **{_first_typed_keyword("annealing"): "x"})


def _first_typed_keyword(placer: str) -> str:
    for name, p in inspect.signature(agents.PLACERS[placer]).parameters.items():
        if str(p.annotation).replace(" ", "") in ("int", "float", "bool", "int|None", "float|None"):
            return name
    raise AssertionError(f"{placer} has no typed keyword")


# -- the readers, on arbitrary bytes ------------------------------------------------------------

SUFFIXES = [".aux", ".pb.txt", ".json", ".json.gz", ".block", ".pl", ".plc", ".txt", ".def"]


@_examples(150)
@given(
    suffix=st.sampled_from(SUFFIXES),
    content=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        st.sampled_from(
            [b"", b"{}", b"[]", b'{"nodes": 1}', b"UCLA pl 1.0\nx 1 2\n", b"0 1 2 N 0"]
        ),
    ),
)
def test_readers__arbitrary_bytes__give_a_result_or_a_documented_error(suffix, content):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"x{suffix}"
        path.write_bytes(content)
        netlist = netlists.load("n10").netlist
        for read in (netlists.read_design, lambda p: netlists.read_placement(p, netlist)):
            try:
                read(path)
            except Exception as error:  # noqa: BLE001
                _check_error(error, f"{read} on {content[:40]!r} as {suffix}")
                assert isinstance(error, netlists.NetlistError), f"{type(error).__name__}: {error}"


# -- the command lines ------------------------------------------------------------------------

DESIGNS = ["n10", "ibm1", "nope", "", "/no/such.aux", "BADFILE", "NOTADESIGN"]
NUMBERS = ["0", "-1", "1", "2.5", "nan", "inf", "1e999", "abc", ""]
KEY_VALUES = ["grid=2.5", "grid=16", "snap=False", "bogus=1", "=", "a", "ports=None"]
DEVICES = ["cpu", "cuda", "foo", "cuda:7", ""]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _mains():
    from accel.__main__ import main as accel_main
    from netlists.__main__ import main as netlists_main

    return {
        "netlists": netlists_main,
        "accel": accel_main,
        **{
            name: _script(name).main
            for name in (
                "evaluate_placement",
                "compare_placers",
                "train_agent",
                "train_refiner",
                "train_router",
                "sweep",
            )
        },
    }


MAINS = _mains()
MAINS["sweep_ppo"] = MAINS["sweep"]  # the PPO sweep, drawn apart from the placer sweep


@st.composite
def command_lines(draw, folder: Path):
    """(command, argv): a command line with one to three drawn options, fixed options first (a
    later repeat of an option wins in argparse) so that a drawn value is what the command sees."""
    out = str(folder / "out")
    design = st.sampled_from(DESIGNS)
    number = st.sampled_from(NUMBERS)
    options = {
        "netlists": (
            [],
            {
                "info": design,
                "info --lef": st.builds(lambda d: ["info", d, "--lef", "x.txt"], design),
                "convert": st.builds(
                    lambda d, s: ["convert", d, f"{out}/x{s}"],
                    st.sampled_from(DESIGNS + ["gcd_mem1"]),
                    st.sampled_from(
                        [".json", ".def", ".def.gz", ".aux", ".xyz", ".plc", ".pb.txt", ""]
                    ),
                ),
                "group": st.builds(
                    lambda d, g: ["group", d, "--out", out, *g],
                    st.sampled_from(DESIGNS + ["ariane133_flat_ng45", "gcd_mem1"]),
                    st.sampled_from(
                        [[], ["--groups", "x.txt"], ["--plc", "EMPTYPLC"], ["--scale", "-1"]]
                        + [["--cell-utilization", "0"], ["--seed", "x"], ["--lef", "x.txt"]]
                    ),
                ),
                "demo": st.builds(lambda d: ["demo", "--design", d, "--out", out], design),
            },
        ),
        "accel": (
            [],
            {
                "report": st.builds(
                    lambda p, t: ["report", p, "--tiles", t],
                    st.sampled_from(["tpu_v1", "tpu_v9", ""]),
                    number,
                ),
                "build": st.builds(
                    lambda p, u: ["build", p, "--utilisation", u, "--out", f"{out}/x.json"],
                    st.sampled_from(["tpu_v1", "x"]),
                    number,
                ),
            },
        ),
        "evaluate_placement": (
            ["--netlist", "n10"],
            {
                "--netlist": design,
                "--placement": st.sampled_from(["BADFILE", "/no/such.plc", "EMPTYPLC", "x.txt"]),
                "--grid": number,
                "--wire-model": st.sampled_from(["28nm", "none", ""]),
            },
        ),
        "compare_placers": (
            [
                "--designs",
                "n10",
                "--placers",
                "greedy",
                "--seeds",
                "1",
                "--budget-seconds",
                "0.2",
                "--no-route",
                "--no-progress",
                "--workers",
                "1",
                "--out",
                out,
            ],  # fmt: skip
            {
                "--designs": design,
                "--placers": st.sampled_from(["greedy", "nope", ""]),
                "--seeds": number,
                "--budget-seconds": number,
                "--budget-evaluations": number,
                "--workers": number,
                "--placer-arg": st.sampled_from(
                    ["greedy:bogus=1", "annealing:x", "nope:a=1", "greedy:=", "random:mode=1"]
                ),
            },
        ),
        "train_agent": (
            ["--design", "n10", "--grid", "8", "--out", out, "--no-progress"],
            {
                "--design": design,
                "--grid": number,
                "--timesteps": number,
                "--n-envs": number,
                "--device": st.sampled_from(DEVICES),
                "--env-arg": st.sampled_from(KEY_VALUES),
                "--policy": st.sampled_from(["cnn", "gnn", "mlp"]),
                "--eval-every": number,
                "--resume": st.sampled_from(["BADFILE", "/no/such.zip"]),
            },
        ),
        "train_refiner": (
            ["--design", "n10", "--grid", "8", "--out", out, "--no-progress"],
            {
                "--design": design,
                "--grid": number,
                "--cost": st.sampled_from(["hpwl", "proxy", "x"]),
                "--n-envs": number,
                "--moves": number,
                "--device": st.sampled_from(DEVICES),
            },
        ),
        "sweep": (
            [
                "placer",
                "--placer",
                "annealing",
                "--designs",
                "n10",
                "--budget-evaluations",
                "10",
                "--grid",
                "start_acceptance=[0.1]",
                "--out",
                out,
                "--no-progress",
            ],  # fmt: skip
            {
                "--designs": design,
                "--seeds": number,
                "--samples": number,
                "--placer": st.sampled_from(["greedy", "nope", ""]),
                "--grid": st.sampled_from(
                    ["start_acceptance=[2]", "x=[1]", "grid=[]", "grid", "seed=[1]", "grid=[8"]
                ),
                "--uniform": st.sampled_from(["start_acceptance=0.5:0.1", "grid=1", "x=0:1"]),
                "--set": st.sampled_from(KEY_VALUES + ["grid=x", "out=y"]),
            },
        ),
        "sweep_ppo": (
            [
                "ppo",
                "--designs",
                "n10",
                "--grid",
                "learning_rate=[0.001]",
                "--set",
                "grid=8",
                "--out",
                out,
                "--no-progress",
            ],  # fmt: skip
            {
                "--designs": design,
                "--grid": st.sampled_from(
                    ['learning_rate=["x"]', "n_envs=[0]", "ent_coef=[0.0,0.01]", "bogus=[1]"]
                ),
                "--loguniform": st.sampled_from(["learning_rate=0:1", "ent_coef=0.001:0.1"]),
                "--set": st.sampled_from(KEY_VALUES + ["policy=mlp", "timesteps=0"]),
                "--grace-evaluations": number,
            },
        ),
        "train_router": (
            ["--grid", "8", "--out", out],
            {
                "--grid": number,
                "--n-envs": number,
                "--env-arg": st.sampled_from(KEY_VALUES),
                "--device": st.sampled_from(DEVICES),
                "--eval-problems": number,
            },
        ),
    }
    command = draw(st.sampled_from(sorted(options)))
    fixed, drawn = options[command]
    keys = draw(st.lists(st.sampled_from(sorted(drawn)), min_size=1, max_size=3, unique=True))
    argv = list(fixed)
    for key in keys:
        value = draw(drawn[key])
        argv += value if isinstance(value, list) else [key, value]
    return command, argv


def _files(folder: Path) -> dict[str, str]:
    """Paths the token pools name: a malformed design, an empty .plc, a text file."""
    bad = folder / "bad.aux"
    bad.write_text("RowBasedPlacement : missing.nodes missing.nets\n")
    (folder / "empty.plc").write_text("")
    (folder / "x.txt").write_text("hello\n")
    return {"BADFILE": str(bad), "EMPTYPLC": str(folder / "empty.plc"),
            "x.txt": str(folder / "x.txt"), "NOTADESIGN": str(folder / "x.txt")}  # fmt: skip


def _refuse_training(*args, **kwargs):
    raise AcceptedError


@_examples(80)
@given(data=st.data())
def test_command_lines__drawn_options__run_or_exit_2_with_one_error_line(data, monkeypatch):
    from sb3_contrib import MaskablePPO

    monkeypatch.setattr(MaskablePPO, "learn", _refuse_training)
    monkeypatch.setitem(MAINS["sweep"].__globals__, "run_sweep", _refuse_training)  # no Ray
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _files(folder)
        command, argv = data.draw(command_lines(folder), label="command line")
        argv = [files.get(token, token) for token in argv]
        stdout, stderr = io.StringIO(), io.StringIO()
        where = f"{command} {' '.join(argv)}"
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                status = MAINS[command](argv)
            except SystemExit as exit_:  # argparse
                status = exit_.code
            except AcceptedError:
                event(f"{command}: reached training")
                return
            except Exception as error:  # noqa: BLE001
                raise AssertionError(f"{where}: {type(error).__name__}: {error}") from error
        text = stderr.getvalue()
        event(f"{command}: exit {status}")
        assert "Traceback" not in text, f"{where}: {text}"
        if command == "compare_placers" and status == 1:
            assert "failed" in (stdout.getvalue() + text).lower(), where
            return
        assert status in (0, 2, None), f"{where}: exit status {status!r}"
        if status == 2:
            lines = [line for line in text.splitlines() if "error" in line]
            assert lines, f"{where}: exit 2 without an error line: {text!r}"
            assert not (folder / "out").exists(), f"{where}: wrote --out before refusing"
