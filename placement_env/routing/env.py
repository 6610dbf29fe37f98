"""A Gymnasium environment in which an agent routes two-pin connections move by move.

Registered as ``placement_env/GlobalRouting-v0`` (and ``GlobalRouting-v0`` for the
``"placement_env:GlobalRouting-v0"`` form); see :class:`GlobalRoutingEnv`. It follows Liao et al.
(arXiv 1906.08809) -- a head that walks from one pin to the other on the gcell graph, -1 per
step and a bonus on arrival -- with action masks in the style of Jumanji's Connector, and it
scores episodes with the package's metrics, as the sequential A* baseline is scored
(:func:`placement_env.routing.metrics.evaluate_routes`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from scipy import ndimage

from placement_env.actions import discrete_action
from placement_env.arguments import typed
from placement_env.routing.astar import AStarCosts, UsageGrid, two_pin_connections
from placement_env.routing.metrics import RouteMetrics, evaluate_routes, path_vias
from placement_env.routing.problem import RoutingProblem
from placement_env.routing.synthetic import SyntheticConfig, generate

#: Action -> (dx, dy).
MOVES = ((1, 0), (-1, 0), (0, 1), (0, -1))
ACTION_NAMES = ("+x", "-x", "+y", "-y")
#: Columns of the ``"features"`` observation.
FEATURES = (
    "head_x",
    "head_y",
    "target_x",
    "target_y",
    "dx",
    "dy",
    "cap_+x",
    "cap_-x",
    "cap_+y",
    "cap_-y",
    "step_fraction",
    "progress",
)
_MAPS = ("h_capacity", "v_capacity", "path", "net", "head", "target")


class GlobalRoutingEnv(gym.Env):
    """Route the two-pin connections of a global-routing problem, one gcell step at a time.

    ## Description

    A problem (:class:`~placement_env.routing.problem.RoutingProblem`, routed on its two-layer
    projection) is decomposed into two-pin connections
    (:func:`~placement_env.routing.decompose.decompose`), in the order of the sequential A*
    baseline (:func:`~placement_env.routing.astar.two_pin_connections`: nets by HPWL, then id).
    For each connection a *head* starts on the first pin and the agent moves it
    to a neighbouring gcell per step until it reaches the second pin; the wire crosses the edges
    the head walks over. A net uses an edge once, however many of its connections cross it. When a
    connection takes more than its step limit (``ceil(step_limit_factor * manhattan) +
    step_limit_extra`` steps) its partial wire is ripped up and it is routed by A* under the
    current usage (a *fallback*, :class:`~placement_env.routing.astar.UsageGrid`), so that every
    episode ends with every connection routed.

    ## Action Space

    ``Discrete(4)``: 0 = +x, 1 = -x, 2 = +y, 3 = -y. :meth:`action_masks` (what sb3-contrib's
    MaskablePPO reads) is False for moves that leave the grid, revisit a cell of the current
    connection's path, or enter a cell from which the target cannot be reached without crossing
    that path (a dead end); it is never all False during an episode, and all True before
    :meth:`reset` and after the episode ends. A masked action is a no-op that costs
    ``illegal_penalty`` and counts towards the step limit; an action that is not an integer in
    0..3 raises ``ValueError``.

    ## Observation Space

    A flat ``Dict`` of float32 ``Box`` es; maps are ``(ny, nx)`` indexed ``[y, x]``:

    * ``"h_capacity"`` in [-1, 1]: (tracks - usage) of the edge from each gcell to its +x
      neighbour, divided by the problem's largest edge tracks (0 in the last column);
    * ``"v_capacity"`` in [-1, 1]: the same for the edge to the +y neighbour;
    * ``"path"`` in {0, 1}: gcells of the current connection's path (head included);
    * ``"net"`` in {0, 1}: gcells of the current net's pins and already routed paths;
    * ``"head"``, ``"target"`` in {0, 1}: one-hot positions;
    * ``"features"`` ``(12,)`` in [-1, 1] (:data:`FEATURES`): head and target positions and their
      difference over the grid size, the normalised remaining capacity of the four edges at the
      head (-1 where there is no edge), steps taken / step limit, connections done / total.

    ## Rewards

    With ``cost = wirelength + via_cost * vias + overflow_penalty * total_overflow`` of the
    partial routing (the metrics of :func:`~placement_env.routing.metrics.evaluate_routes`; the
    running count takes every wire as one track, exact for default-width nets), a step
    earns ``-(change of cost) + connect_bonus`` (when it reaches the target) ``- limit_penalty -
    cost of the ripped-up partial wire`` (when it triggers a fallback) ``- illegal_penalty``
    (masked action), times ``reward_scale``. So a step over a free new edge earns -1, one that
    overflows the edge -1 - overflow_penalty, and the undiscounted return is ``reward_scale *
    (-final cost + bonuses - penalties)`` (penalties including the ripped-up wires).

    ## Starting State

    The first connection's head on its first pin. With a ``generator`` config every
    :meth:`reset` draws a new problem from the env's seeded generator (``reset(options=
    {"problem": p})`` routes ``p`` instead, of the same grid size).

    ## Episode End

    Terminates when every connection is routed; never truncates (the step limit with its
    fallback bounds the length). A step after the end raises ``RuntimeError`` (call
    :meth:`reset`). The last ``info`` holds ``total_overflow``, ``max_overflow``,
    ``overflowed_edges``, ``wirelength``, ``vias``, ``connected``, ``solved`` (all connected and
    zero overflow), ``fallbacks``, ``illegal_actions`` and ``connections``.

    ## Arguments

    * ``problem``: a fixed problem, or ``None``.
    * ``generator``: a :class:`~placement_env.routing.synthetic.SyntheticConfig` (or a dict of
      its fields) drawing a new problem per reset; the default when ``problem`` is ``None``.
    * ``step_limit_factor``, ``step_limit_extra``: the per-connection step limit.
    * ``overflow_penalty``, ``via_cost``, ``connect_bonus``, ``limit_penalty``,
      ``illegal_penalty``, ``reward_scale``: the reward (see Rewards).
    * ``fallback_costs``: :class:`~placement_env.routing.astar.AStarCosts` of the fallback A*.
    * ``render_mode``: ``"rgb_array"`` (usage-coloured edges, the current path, pins) or
      ``"ansi"`` (text).

    ## Version History

    * v0: initial version.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 8}

    @typed
    def __init__(
        self,
        problem: RoutingProblem | None = None,
        generator: SyntheticConfig | Mapping[str, Any] | None = None,
        *,
        step_limit_factor: float = 2.0,
        step_limit_extra: int = 4,
        overflow_penalty: float = 10.0,
        via_cost: float = 1.0,
        connect_bonus: float = 1.0,
        limit_penalty: float = 10.0,
        illegal_penalty: float = 1.0,
        reward_scale: float = 1.0,
        fallback_costs: AStarCosts | None = None,
        render_mode: str | None = None,
    ) -> None:
        if problem is not None and generator is not None:
            raise ValueError("pass a fixed problem or a generator config, not both")
        if isinstance(generator, Mapping):
            generator = SyntheticConfig(**generator)
        if problem is None and generator is None:
            generator = SyntheticConfig()
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or "
                f"None, got {render_mode!r}"
            )
        if not 1 <= step_limit_factor < math.inf or step_limit_extra < 0:
            raise ValueError(
                "step_limit_factor must be finite and >= 1, and step_limit_extra >= 0; got "
                f"{step_limit_factor!r} and {step_limit_extra!r}"
            )
        weights = {"overflow_penalty": overflow_penalty, "via_cost": via_cost,
                   "connect_bonus": connect_bonus, "limit_penalty": limit_penalty,
                   "illegal_penalty": illegal_penalty, "reward_scale": reward_scale}  # fmt: skip
        for name, value in weights.items():
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
        self.generator = generator
        self.render_mode = render_mode
        self.step_limit_factor = float(step_limit_factor)
        self.step_limit_extra = int(step_limit_extra)
        self.overflow_penalty = float(overflow_penalty)
        self.via_cost = float(via_cost)
        self.connect_bonus = float(connect_bonus)
        self.limit_penalty = float(limit_penalty)
        self.illegal_penalty = float(illegal_penalty)
        self.reward_scale = float(reward_scale)
        self.fallback_costs = fallback_costs or AStarCosts(via_cost=self.via_cost)

        if problem is not None:
            self._check_problem(problem)
            self.nx, self.ny = problem.nx, problem.ny
        else:
            self.nx = self.ny = generator.grid
        self.problem: RoutingProblem | None = problem

        self.action_space = spaces.Discrete(4)
        grid_shape = (self.ny, self.nx)
        self.observation_space = spaces.Dict(
            {
                "h_capacity": spaces.Box(-1.0, 1.0, grid_shape, np.float32),
                "v_capacity": spaces.Box(-1.0, 1.0, grid_shape, np.float32),
                "path": spaces.Box(0.0, 1.0, grid_shape, np.float32),
                "net": spaces.Box(0.0, 1.0, grid_shape, np.float32),
                "head": spaces.Box(0.0, 1.0, grid_shape, np.float32),
                "target": spaces.Box(0.0, 1.0, grid_shape, np.float32),
                "features": spaces.Box(-1.0, 1.0, (len(FEATURES),), np.float32),
            }
        )
        self._started = False
        self._done = True

    # ------------------------------------------------------------------ setup

    @staticmethod
    def _check_problem(problem: RoutingProblem) -> None:
        if problem.nx < 2 and problem.ny < 2:
            raise ValueError("a routing env needs a grid of at least two gcells")
        if len(two_pin_connections(problem)) == 0:
            raise ValueError(f"problem {problem.name!r} has no two-pin connection to route")

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        problem = (options or {}).get("problem")
        if problem is not None:
            self._check_problem(problem)
            if (problem.nx, problem.ny) != (self.nx, self.ny):
                raise ValueError(
                    f"problem is {problem.nx} x {problem.ny}, the env's observation "
                    f"space is {self.nx} x {self.ny}"
                )
        elif self.generator is not None:
            problem = generate(self.generator, int(self.np_random.integers(2**63 - 1)))
        else:
            problem = self.problem
        self.problem = problem
        self._grid = UsageGrid(problem, self.fallback_costs)
        self._scale = max(
            1.0, float(max(self._grid.h_tracks.max(initial=0), self._grid.v_tracks.max(initial=0)))
        )
        self._connections = two_pin_connections(problem)
        self._routes: list[list[np.ndarray]] = [[] for _ in problem.nets]
        self._net_cells = np.zeros((self.nx, self.ny), dtype=bool)
        self._wirelength, self._vias, self._overflow = 0, 0, 0.0
        self._fallbacks = self._illegal = 0
        self._index = -1
        self._done = False
        self._started = True
        self._next_connection()
        return self._observation(), {"connections": len(self._connections)}

    def _next_connection(self) -> None:
        self._index += 1
        if self._index >= len(self._connections):
            self._done = True
            return
        net, x1, y1, x2, y2 = (int(v) for v in self._connections[self._index])
        if self._index == 0 or self._connections[self._index - 1, 0] != net:
            self._net_cells[:] = False
            self._net_cells[tuple(self.problem.net_gcells(net).T)] = True
        self._net = net
        self._head = (x1, y1)
        self._target = (x2, y2)
        self._path = [(x1, y1)]
        self._on_path = np.zeros((self.nx, self.ny), dtype=bool)
        self._on_path[x1, y1] = True
        self._new_edges: list[tuple[int, int, int, int]] = []  # (axis, x, y, previous mark)
        self._path_vias = 0
        self._steps = 0
        manhattan = abs(x2 - x1) + abs(y2 - y1)
        self._limit = math.ceil(self.step_limit_factor * manhattan) + self.step_limit_extra
        self._mask: np.ndarray | None = None

    # ------------------------------------------------------------------ transition

    def _cost(self) -> float:
        vias = self._vias + self._path_vias
        return self._wirelength + self.via_cost * vias + self.overflow_penalty * self._overflow

    def _add_edge(self, a: tuple[int, int], b: tuple[int, int]) -> None:
        grid, stamp = self._grid, self._net + 1
        if a[1] == b[1]:
            axis, x, y = 0, min(a[0], b[0]), a[1]
            mark, usage, tracks = grid.h_mark, grid.h_usage, grid.h_tracks
        else:
            axis, x, y = 1, a[0], min(a[1], b[1])
            mark, usage, tracks = grid.v_mark, grid.v_usage, grid.v_tracks
        if mark[x, y] == stamp:
            return  # the net already uses this edge: no new wire
        self._new_edges.append((axis, x, y, int(mark[x, y])))
        mark[x, y] = stamp
        before = max(0.0, usage[x, y] - tracks[x, y])
        usage[x, y] += 1.0
        self._overflow += max(0.0, usage[x, y] - tracks[x, y]) - before
        self._wirelength += 1

    def _rip_up(self) -> None:
        grid = self._grid
        for axis, x, y, previous in reversed(self._new_edges):
            mark, usage, tracks = (
                (grid.h_mark, grid.h_usage, grid.h_tracks)
                if axis == 0
                else (grid.v_mark, grid.v_usage, grid.v_tracks)
            )
            before = max(0.0, usage[x, y] - tracks[x, y])
            usage[x, y] -= 1.0
            self._overflow += max(0.0, usage[x, y] - tracks[x, y]) - before
            mark[x, y] = previous
            self._wirelength -= 1
        self._new_edges = []
        self._path_vias = 0

    def _finish(self, path: np.ndarray) -> None:
        self._vias += self._path_vias
        self._path_vias = 0
        self._routes[self._net].append(np.asarray(path, dtype=np.int64).reshape(-1, 2))
        self._net_cells[tuple(np.asarray(path).reshape(-1, 2).T)] = True
        self._next_connection()

    def step(self, action: int) -> tuple[dict[str, np.ndarray], float, bool, bool, dict]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("the episode has ended; call reset() before step()")
        action = discrete_action(action, len(MOVES))
        if not 0 <= action < 4:
            raise ValueError(f"action must be in 0..3, got {action}")
        cost_before = self._cost()
        bonus = 0.0
        info: dict[str, Any] = {"connected": False, "fallback": False, "illegal_action": False}
        self._steps += 1
        if self.action_masks()[action]:
            dx, dy = MOVES[action]
            head = (self._head[0] + dx, self._head[1] + dy)
            vertical = dy != 0
            if len(self._path) == 1:
                self._path_vias += int(vertical)  # leaving a layer-1 pin vertically
            else:
                previous_vertical = self._path[-1][0] == self._path[-2][0]
                self._path_vias += int(vertical != previous_vertical)
            self._add_edge(self._head, head)
            self._head = head
            self._path.append(head)
            self._on_path[head] = True
            self._mask = None
            if head == self._target:
                self._path_vias += int(vertical)  # arriving at a layer-1 pin vertically
                bonus += self.connect_bonus
                info["connected"] = True
                self._finish(np.array(self._path))
        else:
            info["illegal_action"] = True
            self._illegal += 1
            bonus -= self.illegal_penalty
        if not info["connected"] and not self._done and self._steps >= self._limit:
            # The ripped-up partial wire is charged too: otherwise wandering until the limit
            # would be refunded and cost next to nothing.
            bonus -= self.limit_penalty + self._fallback()
            info["fallback"] = True
        reward = (cost_before - self._cost() + bonus) * self.reward_scale
        terminated = self._done
        if terminated:
            info.update(self._final_info())
        return self._observation(), float(reward), terminated, False, info

    def _fallback(self) -> float:
        """Rips up the partial wire, routes the connection by A* under the current usage.

        Returns:
            The cost of the partial wire that was ripped up.
        """
        before = self._cost()
        self._rip_up()
        ripped = before - self._cost()
        self._fallbacks += 1
        source = self._path[0]
        path = self._grid.search(self._net, source, self._target)
        self._new_edges = []
        for a, b in zip(path[:-1], path[1:], strict=True):
            self._add_edge(tuple(int(v) for v in a), tuple(int(v) for v in b))
        self._path_vias = path_vias(path)
        self._finish(path)
        return ripped

    # ------------------------------------------------------------------ masks and observation

    def action_masks(self) -> np.ndarray:
        """Legal moves of the head, ``(4,)`` bool (see the class docstring)."""
        if not self._started or self._done:
            return np.ones(4, dtype=bool)
        if self._mask is None:
            # Cells the target still reaches without crossing the current path.
            labels, _ = ndimage.label(~self._on_path)
            goal = labels[self._target]
            mask = np.zeros(4, dtype=bool)
            for a, (dx, dy) in enumerate(MOVES):
                x, y = self._head[0] + dx, self._head[1] + dy
                if 0 <= x < self.nx and 0 <= y < self.ny:
                    mask[a] = not self._on_path[x, y] and labels[x, y] == goal
            self._mask = mask
        return self._mask.copy()

    def _remaining(self) -> tuple[np.ndarray, np.ndarray]:
        grid = self._grid
        h = np.clip((grid.h_tracks - grid.h_usage) / self._scale, -1.0, 1.0)
        v = np.clip((grid.v_tracks - grid.v_usage) / self._scale, -1.0, 1.0)
        return h, v

    def _observation(self) -> dict[str, np.ndarray]:
        shape = (self.ny, self.nx)
        obs = {key: np.zeros(shape, dtype=np.float32) for key in _MAPS}
        features = np.zeros(len(FEATURES), dtype=np.float32)
        if not self._started:
            obs["features"] = features
            return obs
        h, v = self._remaining()
        obs["h_capacity"][:, :-1] = h.T
        obs["v_capacity"][:-1, :] = v.T
        if not self._done:
            obs["path"][:] = self._on_path.T
            obs["net"][:] = self._net_cells.T
            (hx, hy), (tx, ty) = self._head, self._target
            obs["head"][hy, hx] = 1.0
            obs["target"][ty, tx] = 1.0
            sx, sy = max(self.nx - 1, 1), max(self.ny - 1, 1)
            caps = [
                h[hx, hy] if hx < self.nx - 1 else -1.0,
                h[hx - 1, hy] if hx > 0 else -1.0,
                v[hx, hy] if hy < self.ny - 1 else -1.0,
                v[hx, hy - 1] if hy > 0 else -1.0,
            ]
            features[:] = [
                hx / sx,
                hy / sy,
                tx / sx,
                ty / sy,
                (tx - hx) / sx,
                (ty - hy) / sy,
                *caps,
                min(self._steps / self._limit, 1.0),
                self._index / len(self._connections),
            ]
        else:
            features[-1] = 1.0
        obs["features"] = features
        return obs

    # ------------------------------------------------------------------ results

    def routes(self) -> tuple[tuple[np.ndarray, ...], ...]:
        """Per net, the paths of its connections routed so far."""
        if not self._started:
            return ()
        return tuple(tuple(paths) for paths in self._routes)

    def metrics(self) -> RouteMetrics:
        """:func:`~placement_env.routing.metrics.evaluate_routes` of :meth:`routes`."""
        if not self._started:
            raise RuntimeError("call reset() first")
        return evaluate_routes(self.problem, self.routes())

    def _final_info(self) -> dict[str, Any]:
        metrics = self.metrics()
        return {
            **metrics.summary(),
            "fallbacks": self._fallbacks,
            "illegal_actions": self._illegal,
            "connections": len(self._connections),
        }

    # ------------------------------------------------------------------ rendering

    def render(self) -> np.ndarray | str | None:
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode= to the env")
            return None
        if not self._started:
            return np.zeros((8, 8, 3), np.uint8) if self.render_mode == "rgb_array" else ""
        return self._render_rgb() if self.render_mode == "rgb_array" else self._render_ansi()

    def _render_ansi(self) -> str:
        grid = self._grid
        path = self._on_path if not self._done else np.zeros((self.nx, self.ny), bool)

        def edge(usage: float, tracks: float, char: str) -> str:
            return " " if usage == 0 else ("#" if usage > tracks else char)

        rows = []
        for y in range(self.ny - 1, -1, -1):
            cells = []
            for x in range(self.nx):
                if not self._done and (x, y) == self._head:
                    cells.append("H")
                elif not self._done and (x, y) == self._target:
                    cells.append("T")
                elif path[x, y]:
                    cells.append("*")
                else:
                    cells.append("o" if not self._done and self._net_cells[x, y] else ".")
                if x < self.nx - 1:
                    cells.append(edge(grid.h_usage[x, y], grid.h_tracks[x, y], "-"))
            rows.append("".join(cells))
            if y > 0:
                rows.append(
                    " ".join(
                        edge(grid.v_usage[x, y - 1], grid.v_tracks[x, y - 1], "|")
                        for x in range(self.nx)
                    )
                )
        status = (
            f"connection {min(self._index, len(self._connections))}/"
            f"{len(self._connections)}  wirelength {self._wirelength}  vias {self._vias}  "
            f"overflow {self._overflow:g}  fallbacks {self._fallbacks}"
        )
        return "\n".join(rows) + "\n" + status + "\n"

    def _render_rgb(self, cell: int = 24) -> np.ndarray:
        grid = self._grid
        image = np.full((self.ny * cell, self.nx * cell, 3), 255, dtype=np.uint8)
        image[::cell, :] = image[:, ::cell] = 225

        def rows(y: int) -> slice:  # pixel rows of gcell row y (y grows upwards)
            top = (self.ny - 1 - y) * cell
            return slice(top, top + cell)

        def colour(usage: float, tracks: float) -> tuple[int, int, int]:
            if usage > tracks:
                return (204, 0, 0)
            t = usage / max(tracks, 1.0)
            return (int(80 + 170 * t), int(170 - 20 * t), 60)

        half, w = cell // 2, 2
        for x in range(self.nx - 1):
            for y in range(self.ny):
                if grid.h_usage[x, y] > 0:
                    r = rows(y).start + half
                    image[r - w : r + w, x * cell + half : (x + 1) * cell + half] = colour(
                        grid.h_usage[x, y], grid.h_tracks[x, y]
                    )
        for x in range(self.nx):
            for y in range(self.ny - 1):
                if grid.v_usage[x, y] > 0:
                    top = rows(y + 1).start + half
                    image[top : top + cell, x * cell + half - w : x * cell + half + w] = colour(
                        grid.v_usage[x, y], grid.v_tracks[x, y]
                    )
        if not self._done:
            for x, y in self._path:
                r = rows(y)
                image[
                    r.start + half - 3 : r.start + half + 3,
                    x * cell + half - 3 : x * cell + half + 3,
                ] = (52, 101, 164)
            for (x, y), c in ((self._target, (204, 0, 0)), (self._head, (32, 74, 135))):
                r = rows(y)
                image[r.start + 4 : r.stop - 4, x * cell + 4 : (x + 1) * cell - 4] = c
        return image
