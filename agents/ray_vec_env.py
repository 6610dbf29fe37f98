"""A Stable-Baselines3 ``VecEnv`` whose environments live in Ray actors, one env per actor.

The learner (this process, on a GPU when there is one) steps ``n`` envs that may sit on other
nodes of a Ray cluster: :meth:`RayVecEnv.step_async` sends each actor its action and
:meth:`RayVecEnv.step_wait` gathers the results, so the envs step in parallel. Each actor resets
its env at the end of an episode exactly as ``DummyVecEnv`` does (the final observation in
``info["terminal_observation"]``, ``TimeLimit.truncated`` set), so that for the same seeds and
actions the two give the same episodes, step for step. ``env_method``, ``get_attr`` and
``set_attr`` reach the envs through their actors. MaskablePPO asks for ``action_masks`` before
every step; each actor sends its env's masks back with every step and reset, so that those
calls cost no second round trip (on a cluster, the round trip is most of a step's cost).

Actors are placed with Ray's ``SPREAD`` strategy, each holding ``cpus_per_env`` CPUs of the
cluster (by default an even share, at most one), so that on a cluster the envs fill the worker
nodes instead of piling onto the head.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices
from stable_baselines3.common.vec_env.util import dict_to_obs, obs_space_info

from agents.executors import ExecutorError, connect_ray

#: Seconds the first env actor may take to start (imports and the env's construction).
START_TIMEOUT_S = 300.0


class EnvActor:
    """One env inside a Ray actor (the class Ray wraps; usable directly in tests)."""

    def __init__(self, factory: Callable[[], gym.Env]) -> None:
        self.env = factory()

    def spaces(self) -> tuple[gym.Space, gym.Space, str | None, dict]:
        """Observation and action space, render mode and metadata of the env."""
        env = self.env
        return env.observation_space, env.action_space, env.render_mode, dict(env.metadata)

    def reset(self, seed: int | None, options: dict | None) -> tuple[Any, dict, Any]:
        """``env.reset`` with ``seed`` and, when given, ``options``; plus the action masks."""
        obs, info = self.env.reset(seed=seed, **({"options": options} if options else {}))
        return obs, info, self._masks()

    def step(self, action: Any) -> tuple[Any, float, bool, dict, dict | None, Any]:
        """One step in SB3's convention, ``(obs, reward, done, info, reset_info, masks)``: at
        the end of an episode the env is reset here and ``obs`` is the new episode's first one;
        ``masks`` are the env's action masks now (None for an env without them)."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        done = bool(terminated or truncated)
        info["TimeLimit.truncated"] = bool(truncated and not terminated)
        reset_info = None
        if done:
            info["terminal_observation"] = obs
            obs, reset_info = self.env.reset()
        return obs, float(reward), done, info, reset_info, self._masks()

    def _masks(self) -> Any:
        try:
            method = self.env.get_wrapper_attr("action_masks")
        except AttributeError:
            return None
        return method()

    def call(self, name: str, args: tuple, kwargs: dict) -> Any:
        """``env.<name>(*args, **kwargs)``, looked up through the wrappers."""
        return self.env.get_wrapper_attr(name)(*args, **kwargs)

    def get_attr(self, name: str) -> Any:
        """An attribute of the env, looked up through the wrappers."""
        return self.env.get_wrapper_attr(name)

    def set_attr(self, name: str, value: Any) -> None:
        """Sets an attribute of the outermost wrapper (as ``DummyVecEnv`` does)."""
        setattr(self.env, name, value)

    def is_wrapped(self, wrapper_class: type) -> bool:
        """Whether the env is wrapped in ``wrapper_class``."""
        from stable_baselines3.common import env_util

        return env_util.is_wrapped(self.env, wrapper_class)

    def render(self) -> Any:
        """``env.render()`` (an RGB array in ``rgb_array`` mode)."""
        return self.env.render()

    def close(self) -> None:
        """Closes the env."""
        self.env.close()


class RayVecEnv(VecEnv):
    """``len(env_fns)`` envs, each built by its factory inside its own Ray actor.

    Args:
        env_fns: Factories of the envs (picklable: a ``functools.partial`` of a module-level
            function; they are built on the actors' nodes).
        address: Ray cluster to join; None uses this process's Ray connection, or starts Ray on
            this machine (:func:`agents.executors.connect_ray`).
        cpus_per_env: CPUs of the cluster each env's actor holds; None: an even share of the
            cluster's CPUs, at most 1.

    Raises:
        ExecutorError: Ray cannot start, or the cluster has fewer CPUs than the envs need (they
            would wait for one another forever).
    """

    def __init__(
        self,
        env_fns: Sequence[Callable[[], gym.Env]],
        address: str | None = None,
        cpus_per_env: float | None = None,
    ) -> None:
        if not env_fns:
            raise ExecutorError("RayVecEnv needs at least one env factory")
        if cpus_per_env is not None and not cpus_per_env > 0:
            raise ExecutorError(f"cpus_per_env must be positive, got {cpus_per_env}")
        self._ray = ray = connect_ray(address)
        have = ray.available_resources().get("CPU", 0.0)  # free now, not merely present
        if cpus_per_env is None:
            cpus_per_env = min(1.0, have / len(env_fns))
        need = len(env_fns) * cpus_per_env
        if need > have:
            raise ExecutorError(
                f"{len(env_fns)} Ray envs x {cpus_per_env:g} CPUs need {need:g} CPUs; the "
                f"cluster has {have:g} free. Give fewer envs or a smaller cpus_per_env."
            )
        actor = ray.remote(num_cpus=cpus_per_env, scheduling_strategy="SPREAD")(EnvActor)
        self.actors = [actor.remote(fn) for fn in env_fns]
        try:  # the first contact: actors that cannot be scheduled would wait forever
            observation_space, action_space, render_mode, metadata = ray.get(
                self.actors[0].spaces.remote(), timeout=START_TIMEOUT_S
            )
        except ray.exceptions.GetTimeoutError as error:
            for actor in self.actors:
                ray.kill(actor)
            raise ExecutorError(
                f"the Ray env actors did not start within {START_TIMEOUT_S:g} s (are the "
                "cluster's CPUs taken by other work?)"
            ) from error
        super().__init__(len(env_fns), observation_space, action_space)
        self.render_mode = render_mode
        self.metadata = metadata
        self.keys, shapes, dtypes = obs_space_info(observation_space)
        self._buffers = OrderedDict(
            (key, np.zeros((self.num_envs, *shapes[key]), dtype=dtypes[key])) for key in self.keys
        )
        self._pending: list[Any] = []
        self._masks: list[Any] | None = None  # each env's action masks since its last step
        self.closed = False

    # -- the VecEnv protocol -------------------------------------------------------------------

    def reset(self) -> Any:
        """Resets every env with its pending seed and options (used once, as DummyVecEnv)."""
        refs = [
            actor.reset.remote(self._seeds[i], self._options[i])
            for i, actor in enumerate(self.actors)
        ]
        results = self._ray.get(refs)
        for i, (obs, info, _) in enumerate(results):
            self._store(i, obs)
            self.reset_infos[i] = info
        self._masks = [masks for _, _, masks in results]
        self._reset_seeds()
        self._reset_options()
        return self._observations()

    def step_async(self, actions: np.ndarray) -> None:
        """Sends each actor its action; the envs step in parallel until :meth:`step_wait`."""
        self._pending = [
            actor.step.remote(a) for actor, a in zip(self.actors, actions, strict=True)
        ]

    def step_wait(self) -> tuple[Any, np.ndarray, np.ndarray, list[dict]]:
        """The observations, rewards, dones and infos of the step sent by :meth:`step_async`."""
        results = self._ray.get(self._pending)
        self._pending = []
        self._masks = [masks for *_, masks in results]
        rewards = np.zeros(self.num_envs, dtype=np.float32)
        dones = np.zeros(self.num_envs, dtype=bool)
        infos: list[dict] = []
        for i, (obs, reward, done, info, reset_info, _) in enumerate(results):
            self._store(i, obs)
            rewards[i], dones[i] = reward, done
            infos.append(info)
            if reset_info is not None:
                self.reset_infos[i] = reset_info
        return self._observations(), rewards, dones, infos

    def close(self) -> None:
        """Closes the envs and ends their actors."""
        if self.closed:
            return
        self._ray.get([actor.close.remote() for actor in self.actors])
        for actor in self.actors:
            self._ray.kill(actor)
        self.closed = True

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """An attribute of each env of ``indices``."""
        return self._ray.get(
            [self.actors[i].get_attr.remote(attr_name) for i in self._get_indices(indices)]
        )

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Sets an attribute on each env of ``indices``."""
        refs = [
            self.actors[i].set_attr.remote(attr_name, value) for i in self._get_indices(indices)
        ]
        self._ray.get(refs)
        self._masks = None  # the masks may depend on what was set

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs
    ) -> list[Any]:
        """Calls a method of each env of ``indices``; ``action_masks()`` is answered from the
        masks that came back with the last step or reset."""
        indices = self._get_indices(indices)
        if method_name == "action_masks" and not (method_args or method_kwargs):
            cached = self._cached_masks(indices)
            if cached is not None:
                return cached
        refs = [
            self.actors[i].call.remote(method_name, method_args, method_kwargs) for i in indices
        ]
        results = self._ray.get(refs)
        if method_name != "action_masks":
            self._masks = None  # any other method may change what the masks are
        return results

    def _cached_masks(self, indices: list[int]) -> list[Any] | None:
        masks = self._masks
        if masks is None or any(masks[i] is None for i in indices):
            return None
        return [masks[i].copy() for i in indices]

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        """Whether each env of ``indices`` is wrapped in ``wrapper_class``."""
        refs = [self.actors[i].is_wrapped.remote(wrapper_class) for i in self._get_indices(indices)]
        return self._ray.get(refs)

    def get_images(self) -> Sequence[np.ndarray | None]:
        """Each env's RGB frame (None for every env unless the render mode is ``rgb_array``)."""
        if self.render_mode != "rgb_array":
            return [None] * self.num_envs
        return self._ray.get([actor.render.remote() for actor in self.actors])

    # -- observation buffers --------------------------------------------------------------------

    def _store(self, i: int, obs: Any) -> None:
        for key in self.keys:
            self._buffers[key][i] = obs if key is None else obs[key]

    def _observations(self) -> Any:
        return dict_to_obs(self.observation_space, {k: v.copy() for k, v in self._buffers.items()})
