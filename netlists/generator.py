"""Seeded synthetic macro-placement designs, for training and testing placers on fresh problems.

:func:`generate` turns a :class:`GeneratorConfig` and a seed into a :class:`~netlists.Design`
(Jumanji's generator idea: the problem distribution is an object, a draw is a pure function of
its seed). Each design is built in four steps, all drawn from one ``np.random.Generator``:

1. **Macros.** Side lengths are lognormal around ``macro_side`` (spread ``size_sigma``) and
   aspect ratios lognormal around 1 (spread ``aspect_sigma``); both are clipped at 2.5 sigma so
   that one outlier cannot dominate the die.
2. **Die.** Its area is the macro area over ``utilisation``, its shape ``die_aspect``.
3. **Hidden placement.** The die is cut recursively (a slicing floorplan: shuffled macros split
   into halves of equal area, each cut across the longer side) into one region per macro whose
   area is that macro's area over ``utilisation``; each macro sits at a random spot inside its own
   region, so no two overlap. A macro whose drawn aspect ratio does not fit its region is
   reshaped, keeping its area (this only bites at high utilisation or large ``aspect_sigma``).
4. **Nets.** ``nets_per_macro`` nets per macro start at a seed macro (every macro seeds at least
   one, so none is left unconnected) and one net per port starts at the port; each adds macros
   drawn without replacement with weight ``exp(-locality * distance / pitch)`` in the hidden
   placement (Manhattan distance between centres; ``pitch`` is the die side per macro). Net
   degrees follow a geometric distribution on ``2..max_net_degree`` whose mean is
   ``mean_net_degree``. The net's first pin drives it.

The design's placement is the hidden one, so every generated design ships a known legal and
wire-friendly reference. Ports are fixed, zero-size points spread around the die boundary; macro
pins sit at uniform random offsets inside their macro. Units are microns.

A design's name encodes its config and seed (:func:`design_name`, :func:`parse_design_name`)::

    synth-m<macros>[-<code><value>]...-s<seed>

with one ``-<code><value>`` per field that differs from its default, in field order; the codes
are in :data:`FIELD_CODES` (``synth-m32-s7`` is the default config with 32 macros and seed 7,
``synth-m32-u0.5-d4-s7`` the same with utilisation 0.5 and mean net degree 4).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from numbers import Integral, Real

import numpy as np

from netlists.design import Design
from netlists.errors import InvalidNetlistError
from netlists.netlist import Netlist
from netlists.placement import Placement
from netlists.types import Canvas, NodeKind, PinDirection

#: Highest utilisation accepted: above it the hidden placement has too little room to be a
#: sensible reference, and macros must be squeezed into their regions.
MAX_UTILISATION = 0.7

#: Normal draws of sizes and aspect ratios are clipped at this many standard deviations.
_CLIP_SIGMAS = 2.5

#: Gap (fraction of the region side) kept between a macro and its region's edge, so that float
#: rounding never turns touching neighbours into overlapping ones.
_REGION_MARGIN = 1e-6

#: One-letter code of each config field in a design name (the seed's code is ``s``).
FIELD_CODES: dict[str, str] = {
    "num_macros": "m",
    "macro_side": "c",
    "size_sigma": "z",
    "aspect_sigma": "a",
    "utilisation": "u",
    "mean_net_degree": "d",
    "max_net_degree": "x",
    "nets_per_macro": "n",
    "locality": "l",
    "num_ports": "p",
    "die_aspect": "r",
}

NAME_PREFIX = "synth"

#: The name grammar, as error messages state it.
NAME_FORM = (
    f"{NAME_PREFIX}-m<macros>[-<code><value>]...-s<seed> (e.g. {NAME_PREFIX}-m32-s7; codes: "
    + ", ".join(f"{code} {name}" for name, code in FIELD_CODES.items() if code != "m")
    + ")"
)

_NAME_PATTERN = re.compile(
    rf"{NAME_PREFIX}-m(?P<m>\d+)(?P<rest>(?:-[a-z][0-9.]+)*)-s(?P<seed>\d+)", re.ASCII
)


@dataclass(frozen=True)
class GeneratorConfig:
    """The distribution of synthetic designs that :func:`generate` draws from.

    Attributes:
        num_macros: Number of movable hard macros (2 to 10000).
        macro_side: Geometric mean of the macro side lengths (microns, > 0).
        size_sigma: Standard deviation of the log side length (dimensionless, 0 to 1.5): 0 makes
            every macro the same size, 1 spreads areas over about two orders of magnitude.
        aspect_sigma: Standard deviation of the log aspect ratio width / height (0 to 1).
        utilisation: Total macro area over die area (dimensionless, in (0, 0.7]).
        mean_net_degree: Mean number of pins per net (2 to ``max_net_degree``); a net never has
            more pins than it has nodes to join, which lowers the mean of tiny designs.
        max_net_degree: Largest number of pins on one net (2 to 1000).
        nets_per_macro: Nets seeded per macro (1 to 100); ports add one net each.
        locality: How strongly a net prefers macros near its seed in the hidden placement
            (dimensionless, 0 to 100): the weight of a macro falls by ``e`` per macro pitch of
            distance times ``locality``; 0 joins macros uniformly at random.
        num_ports: Number of fixed I/O ports on the die boundary (0 to 10000).
        die_aspect: Die width over die height (0.25 to 4).

    Raises:
        InvalidNetlistError: A field has the wrong type or lies outside its range (the message
            names the field and the allowed values).
    """

    num_macros: int = 32
    macro_side: float = 100.0
    size_sigma: float = 0.5
    aspect_sigma: float = 0.3
    utilisation: float = 0.4
    mean_net_degree: float = 3.0
    max_net_degree: int = 12
    nets_per_macro: float = 2.0
    locality: float = 1.0
    num_ports: int = 16
    die_aspect: float = 1.0

    def __post_init__(self) -> None:
        for name, (kind, low, high, low_open) in _BOUNDS.items():
            value = _checked(name, getattr(self, name), kind, low, high, low_open)
            object.__setattr__(self, name, value)
        if self.mean_net_degree > self.max_net_degree:
            raise InvalidNetlistError(
                f"GeneratorConfig.mean_net_degree ({self.mean_net_degree:g}) must not exceed "
                f"max_net_degree ({self.max_net_degree})"
            )


# field -> (type, low, high, low bound excluded); high is always included.
_BOUNDS: dict[str, tuple[type, float, float, bool]] = {
    "num_macros": (int, 2, 10_000, False),
    "macro_side": (float, 0.0, math.inf, True),
    "size_sigma": (float, 0.0, 1.5, False),
    "aspect_sigma": (float, 0.0, 1.0, False),
    "utilisation": (float, 0.0, MAX_UTILISATION, True),
    "mean_net_degree": (float, 2.0, 1000.0, False),
    "max_net_degree": (int, 2, 1000, False),
    "nets_per_macro": (float, 1.0, 100.0, False),
    "locality": (float, 0.0, 100.0, False),
    "num_ports": (int, 0, 10_000, False),
    "die_aspect": (float, 0.25, 4.0, False),
}


def _checked(name: str, value: object, kind: type, low: float, high: float, low_open: bool):
    """``value`` as ``kind`` if it is one and lies in range; else an error naming the field."""
    opening = "(" if low_open else "["
    allowed = f"{'an integer' if kind is int else 'a number'} in {opening}{low:g}, {high:g}]"
    is_number = isinstance(value, Integral if kind is int else Real) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value):
        raise InvalidNetlistError(f"GeneratorConfig.{name} must be {allowed}, got {value!r}")
    if value > high or value < low or (low_open and value == low):
        raise InvalidNetlistError(f"GeneratorConfig.{name} must be {allowed}, got {value!r}")
    return kind(value)


# -- names ---------------------------------------------------------------------------------------


def _format_value(value: float) -> str:
    """The shortest plain decimal that reads back as ``value`` (no exponent: ``-`` separates)."""
    return np.format_float_positional(value, trim="-")


def design_name(config: GeneratorConfig, seed: int) -> str:
    """The name of the design ``generate(config, seed)`` makes (see the module docstring)."""
    default = GeneratorConfig()
    parts = [f"{NAME_PREFIX}-m{config.num_macros}"]
    for field in fields(GeneratorConfig):
        value = getattr(config, field.name)
        if field.name != "num_macros" and value != getattr(default, field.name):
            parts.append(f"{FIELD_CODES[field.name]}{_format_value(value)}")
    parts.append(f"s{_checked_seed(seed)}")
    return "-".join(parts)


def parse_design_name(name: str) -> tuple[GeneratorConfig, int]:
    """The config and seed a design name spells (the inverse of :func:`design_name`).

    Fields may come in any order but only once each; values are plain decimals.

    Raises:
        InvalidNetlistError: ``name`` does not follow :data:`NAME_FORM`, or a value is out of
            range (the message says which and gives the form).
    """
    match = _NAME_PATTERN.fullmatch(name)
    if match is None:
        raise InvalidNetlistError(f"bad synthetic design name {name!r}: the form is {NAME_FORM}")
    by_code = {code: field for field, code in FIELD_CODES.items()}
    values: dict[str, int | float] = {"num_macros": int(match["m"])}
    for token in filter(None, match["rest"].split("-")):
        field = by_code.get(token[0])
        if field is None or field in values:
            what = "unknown" if field is None else "repeated"
            raise InvalidNetlistError(
                f"bad synthetic design name {name!r}: {what} field code {token[0]!r}; "
                f"the form is {NAME_FORM}"
            )
        values[field] = _parse_value(name, token[1:], _BOUNDS[field][0])
    try:
        return GeneratorConfig(**values), int(match["seed"])
    except InvalidNetlistError as error:
        raise InvalidNetlistError(
            f"bad synthetic design name {name!r}: {error}; the form is {NAME_FORM}"
        ) from None


def _parse_value(name: str, text: str, kind: type) -> int | float:
    pattern = r"\d+" if kind is int else r"\d+(\.\d*)?|\.\d+"
    if re.fullmatch(pattern, text, re.ASCII) is None:
        wanted = "an integer" if kind is int else "a plain decimal"
        raise InvalidNetlistError(
            f"bad synthetic design name {name!r}: {text!r} is not {wanted}; the form is {NAME_FORM}"
        )
    return kind(text)


def _checked_seed(seed: object) -> int:
    if not isinstance(seed, Integral) or isinstance(seed, bool) or seed < 0:
        raise InvalidNetlistError(f"the seed must be a non-negative integer, got {seed!r}")
    return int(seed)


# -- generation ----------------------------------------------------------------------------------


def generate(config: GeneratorConfig, seed: int) -> Design:
    """Draws one synthetic design: macros, die, a hidden legal placement, ports and nets.

    The same config and seed give an identical design; the design's name is
    :func:`design_name` of both, and its placement the hidden legal placement.

    Args:
        config: The distribution to draw from.
        seed: A non-negative integer; the only source of randomness.

    Returns:
        A :class:`~netlists.Design` with ``config.num_macros`` movable hard macros (``m0``...),
        ``config.num_ports`` fixed ports (``p0``...) and every node placed.

    Raises:
        InvalidNetlistError: ``seed`` is not a non-negative integer.
    """
    name = design_name(config, seed)
    rng = np.random.default_rng(_checked_seed(seed))
    areas, aspects = _draw_macros(config, rng)
    canvas = _die(config, float(areas.sum()))
    regions = _slice_die(canvas, areas, rng)
    sizes, centres = _fit_in_regions(areas, aspects, regions, rng)
    ports = _port_ring(canvas, config.num_ports, rng)
    pitch = math.sqrt(canvas.area / config.num_macros)
    nets = _draw_nets(config, centres, ports, pitch, rng)
    netlist = _assemble(name, canvas, sizes, len(ports), nets, rng)
    positions = np.concatenate([centres, ports])
    placement = Placement(
        positions, np.zeros(len(positions), dtype=np.int8), np.ones(len(positions), dtype=bool)
    )
    return Design(netlist, placement, source=name)


def _clipped_normal(rng: np.random.Generator, size: int) -> np.ndarray:
    return np.clip(rng.standard_normal(size), -_CLIP_SIGMAS, _CLIP_SIGMAS)


def _draw_macros(config: GeneratorConfig, rng: np.random.Generator):
    """(n,) areas (square microns) and (n,) aspect ratios width / height."""
    sides = config.macro_side * np.exp(config.size_sigma * _clipped_normal(rng, config.num_macros))
    aspects = np.exp(config.aspect_sigma * _clipped_normal(rng, config.num_macros))
    return sides**2, aspects


def _die(config: GeneratorConfig, macro_area: float) -> Canvas:
    area = macro_area / config.utilisation
    width = math.sqrt(area * config.die_aspect)
    return Canvas(width=width, height=area / width)


def _slice_die(canvas: Canvas, areas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 4) one region (x0, y0, w, h) per macro, tiling the die, each of area proportional to
    its macro's; the macros are shuffled first so that size does not decide position."""
    regions = np.empty((len(areas), 4))
    die = np.array([canvas.x_min, canvas.y_min, canvas.width, canvas.height])
    _slice(die, rng.permutation(len(areas)), areas, regions)
    return regions


def _slice(region: np.ndarray, group: np.ndarray, areas: np.ndarray, out: np.ndarray) -> None:
    """Cuts ``region`` (x0, y0, w, h) into one region per macro of ``group``, area-proportional,
    and writes them into ``out`` (n, 4). The cut halves the group's area and runs across the
    region's longer side, which keeps regions close to square."""
    if len(group) == 1:
        out[group[0]] = region
        return
    cumulative = np.cumsum(areas[group])
    total = cumulative[-1]
    split = int(np.argmin(np.abs(cumulative[:-1] - total / 2))) + 1
    fraction = cumulative[split - 1] / total
    x0, y0, w, h = region
    if w >= h:
        first = np.array([x0, y0, w * fraction, h])
        second = np.array([x0 + first[2], y0, w - first[2], h])
    else:
        first = np.array([x0, y0, w, h * fraction])
        second = np.array([x0, y0 + first[3], w, h - first[3]])
    _slice(first, group[:split], areas, out)
    _slice(second, group[split:], areas, out)


def _fit_in_regions(
    areas: np.ndarray, aspects: np.ndarray, regions: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) macro sizes and (n, 2) centres, each macro at a random spot inside its region.

    The width is the drawn one clipped to what the region allows at the macro's area, so the
    area (hence the utilisation) is exact and only the aspect ratio gives way.
    """
    margin = _REGION_MARGIN * np.minimum(regions[:, 2], regions[:, 3])
    inner = regions[:, 2:] - 2 * margin[:, None]
    widths = np.clip(np.sqrt(areas * aspects), areas / inner[:, 1], inner[:, 0])
    sizes = np.stack([widths, areas / widths], axis=1)
    slack = np.maximum(inner - sizes, 0.0)
    lower_left = regions[:, :2] + margin[:, None] + rng.random(sizes.shape) * slack
    return sizes, lower_left + sizes / 2


def _port_ring(canvas: Canvas, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 2) points on the die boundary, evenly spaced along it with a random phase and
    jitter (counter-clockwise from the lower-left corner)."""
    width, height = canvas.width, canvas.height
    perimeter = 2 * (width + height)
    steps = rng.random() + np.arange(count) + rng.uniform(-0.3, 0.3, count)
    t = np.mod(steps * perimeter / max(count, 1), perimeter)
    # Walk the boundary: bottom edge, right edge, top edge (leftwards), left edge (downwards).
    sides = [t < width, t < width + height, t < 2 * width + height]
    x = np.select(sides, [t, width, 2 * width + height - t], 0.0)
    y = np.select(sides, [0.0, t - width, height], perimeter - t)
    return np.stack([x + canvas.x_min, y + canvas.y_min], axis=1)


def degree_probabilities(mean: float, cap: int) -> np.ndarray:
    """(cap + 1,) probabilities of net degrees 0..cap: geometric on ``2..cap`` with the given
    mean (ratio found by bisection; a ratio above 1 favours large degrees when the mean is past
    the midpoint)."""
    extra = np.arange(cap - 1, dtype=np.float64)  # degree - 2

    def pmf(log_ratio: float) -> np.ndarray:
        logs = extra * log_ratio
        weights = np.exp(logs - logs.max())
        return weights / weights.sum()

    low, high = -60.0, 60.0
    for _ in range(100):
        middle = (low + high) / 2
        if 2 + pmf(middle) @ extra < mean:
            low = middle
        else:
            high = middle
    return np.concatenate([[0.0, 0.0], pmf((low + high) / 2)])


def _nearest_by_locality(
    centres: np.ndarray,
    origin: np.ndarray,
    count: int,
    weight_per_pitch: float,
    rng: np.random.Generator,
    exclude: int = -1,
) -> np.ndarray:
    """``count`` macro indices drawn without replacement with weight ``exp(-weight_per_pitch *
    distance)`` (distance in pitches). Gumbel top-k: exact, and immune to weights that underflow."""
    keys = -weight_per_pitch * np.abs(centres - origin).sum(axis=1) + rng.gumbel(size=len(centres))
    if exclude >= 0:
        keys[exclude] = -np.inf
        count = min(count, len(centres) - 1)
    if count >= len(centres):
        return np.argsort(-keys, kind="stable")
    chosen = np.argpartition(-keys, count - 1)[:count]  # O(n) per net, not O(n log n)
    return chosen[np.argsort(-keys[chosen], kind="stable")]


def _draw_nets(
    config: GeneratorConfig,
    centres: np.ndarray,
    ports: np.ndarray,
    pitch: float,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Node indices of each net, driver first (ports are nodes ``n..n+p-1``)."""
    n = len(centres)
    macro_nets = max(n, round(config.nets_per_macro * n))
    seeds = np.concatenate([rng.permutation(n), rng.integers(0, n, macro_nets - n)])
    probabilities = degree_probabilities(config.mean_net_degree, config.max_net_degree)
    degrees = rng.choice(len(probabilities), size=macro_nets + len(ports), p=probabilities)
    per_pitch = config.locality / pitch
    nets = []
    for seed, degree in zip(seeds.tolist(), degrees[:macro_nets].tolist(), strict=True):
        others = _nearest_by_locality(centres, centres[seed], degree - 1, per_pitch, rng, seed)
        nets.append(np.concatenate([[seed], others]))
    for port, degree in enumerate(degrees[macro_nets:].tolist()):
        macros = _nearest_by_locality(centres, ports[port], degree - 1, per_pitch, rng)
        # Half the ports are inputs (the port drives), half outputs (the nearest macro drives).
        members = [[n + port], macros] if rng.random() < 0.5 else [macros, [n + port]]
        nets.append(np.concatenate(members))
    return nets


def _assemble(
    name: str,
    canvas: Canvas,
    sizes: np.ndarray,
    num_ports: int,
    nets: list[np.ndarray],
    rng: np.random.Generator,
) -> Netlist:
    """The netlist: macros then ports, one pin per (net, node) incidence, first pin drives."""
    n = len(sizes)
    node_sizes = np.concatenate([sizes, np.zeros((num_ports, 2))])
    kinds = np.array([NodeKind.HARD_MACRO] * n + [NodeKind.PORT] * num_ports, dtype=np.int8)
    degrees = np.array([len(net) for net in nets], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(degrees)])
    pin_nodes = np.concatenate(nets).astype(np.int32)
    # Pins anywhere on their macro (ports have size 0, so their pins sit at the port).
    offsets = (rng.random((len(pin_nodes), 2)) - 0.5) * node_sizes[pin_nodes]
    directions = np.full(len(pin_nodes), PinDirection.INPUT, dtype=np.int8)
    directions[starts[:-1]] = PinDirection.OUTPUT
    return Netlist(
        name=name,
        canvas=canvas,
        node_names=tuple(f"m{i}" for i in range(n)) + tuple(f"p{i}" for i in range(num_ports)),
        node_kinds=kinds,
        node_sizes=node_sizes,
        node_fixed=kinds == NodeKind.PORT,
        pin_nodes=pin_nodes,
        pin_offsets=offsets,
        pin_directions=directions,
        pin_names=("",) * len(pin_nodes),
        net_names=tuple(f"n{j}" for j in range(len(nets))),
        net_weights=np.ones(len(nets)),
        net_starts=starts,
        net_pins=np.arange(len(pin_nodes), dtype=np.int32),
        net_drivers=starts[:-1].astype(np.int32),
    )
