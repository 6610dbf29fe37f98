"""One name per design: every command line and ``gymnasium.make`` resolves a design here.

A *design spec* is any of:

* an accel preset in any spelling -- ``tpu_v1``, ``TPUv1``, ``tpu-v1`` (the chip of
  :func:`accel.build_chip`, and the ``TPUv1-v0`` env);
* a registered env id, with or without the ``placement_env/`` namespace and the ``-v0``
  version -- ``TPUv2-v0``, ``placement_env/ICCAD04-ibm01-v0``, ``ICCAD04-ibm03``;
* a bundled design name (``python -m netlists list``) or the path of a design file;
* a synthetic design of :mod:`netlists.generator`: ``synth-m<macros>-s<seed>`` (the default
  config with that many macros, drawn with that seed -- ``synth-m40-s3``), optionally with
  ``-<code><value>`` fields for other settings before the seed (``synth-m40-u0.5-s3``, see
  :data:`netlists.generator.NAME_FORM`);
* a :class:`netlists.Design` or :class:`netlists.Netlist` object.

:func:`resolve_design` says what a spec names (:class:`DesignRef`), :func:`load_design` builds
its :class:`~netlists.Design`. A spec that names an env id makes that env, with its registered
defaults (grid, reward, wire model); a bundled name or a path makes the plain env.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import netlists
from netlists import Design, Netlist, Placement, UnknownDesignError
from netlists.generator import NAME_PREFIX
from placement_env.registration import SPECS

_GENERIC = "MacroPlacement-v0"


@dataclass(frozen=True)
class DesignRef:
    """What a design spec names.

    Attributes:
        label: The design's one name, safe in file names: the env name without its version for
            env ids and presets (``TPUv1``, ``ICCAD04-ibm01``), else the bundled name, the file's
            stem, or the netlist's own name (the canonical ``synth-...`` name for synthetic
            designs).
        env_id: The registered env id (``placement_env/TPUv1-v0``), or ``None``.
        preset: The accel preset (``tpu_v1``), or ``None``.
        source: What :func:`netlists.load` takes (a bundled name or a path), a ``Design``, or
            ``None`` for presets.
    """

    label: str
    env_id: str | None = None
    preset: str | None = None
    source: str | Path | Design | None = None


def _env_name(text: str) -> str | None:
    """The registered env name (``TPUv1-v0``) a string spells, or ``None``."""
    base = text.removeprefix("placement_env/").removeprefix("placement_env:")
    for candidate in (base, f"{base}-v0"):
        if candidate in SPECS and candidate != _GENERIC:
            return candidate
    return None


def resolve_design(spec: Any) -> DesignRef:
    """What ``spec`` names (see the module docstring for the accepted forms).

    Raises:
        UnknownDesignError: A string that is no preset, env id, bundled name or existing file
            (the message lists the presets and env ids), or a malformed ``synth-`` name (the
            message gives the form).
        TypeError: ``spec`` is of another type.
    """
    import accel

    if isinstance(spec, Design):
        return DesignRef(label=spec.netlist.name, source=spec)
    if isinstance(spec, Netlist):
        return DesignRef(label=spec.name, source=Design(spec, Placement.empty(spec)))
    if not isinstance(spec, str | Path):
        raise TypeError(
            "a design is a bundled name, a path, an accel preset, an env id, a netlists.Design "
            f"or a netlists.Netlist, got {type(spec).__name__}"
        )
    text = str(spec)
    if text.startswith(f"{NAME_PREFIX}-") and not Path(text).exists():
        # Generated once here; the Design itself is the source, so loading does not redo it.
        design = netlists.load(text)  # raises UnknownDesignError with the form if malformed
        return DesignRef(label=design.name, source=design)
    env_name = _env_name(text)
    preset = accel.preset_name(text.removeprefix("placement_env/").removesuffix("-v0"))
    if preset is not None:
        env_name = f"TPUv{preset.removeprefix('tpu_v')}-v0"
    if env_name is not None:
        kwargs = SPECS[env_name][1]
        preset = kwargs.get("preset", preset)
        source = kwargs.get("netlist")
        return DesignRef(
            label=env_name.removesuffix("-v0"),
            env_id=f"placement_env/{env_name}",
            preset=preset,
            source=source,
        )
    if text in netlists.BUNDLED:
        return DesignRef(label=text, source=text)
    if Path(text).exists():
        return DesignRef(label=Path(text).name.split(".")[0] or "design", source=Path(text))
    try:
        netlists.load(text)  # raises with the closest bundled names
    except UnknownDesignError as error:
        ids = sorted(n for n in SPECS if n != _GENERIC)
        raise UnknownDesignError(
            f"unknown design {text!r}: not an accel preset ({', '.join(accel.PRESETS)}, any "
            f"spelling), not an env id ({', '.join(ids)}), and {error}"
        ) from None
    raise AssertionError("unreachable: netlists.load accepted a name resolve_design did not")


def load_design(spec: Any) -> Design:
    """The :class:`~netlists.Design` that ``spec`` names (a preset's chip with the defaults of
    :func:`accel.build_chip`).

    Raises:
        UnknownDesignError: see :func:`resolve_design`; the readers' errors for a bad file.
    """
    ref = resolve_design(spec)
    if ref.preset is not None:
        import accel

        return accel.build_chip(accel.preset(ref.preset))
    if isinstance(ref.source, Design):
        return ref.source
    return netlists.load(ref.source)


def design_labels(specs: Sequence[Any]) -> list[str]:
    """One unique, file-name-safe label per design spec, in order.

    A file's label is the netlist's own name (every Circuit Training design ships as
    ``netlist.pb.txt``, so file stems collide); other specs use :attr:`DesignRef.label`. A label
    taken by an earlier spec gets ``_2``, ``_3`` ...; the same spec twice gets the same label.

    Raises:
        UnknownDesignError: see :func:`resolve_design`; the readers' errors for a bad file.
    """
    labels: list[str] = []
    seen: dict[int, str] = {}
    taken: set[str] = set()
    for spec in specs:
        key = id(spec) if not isinstance(spec, str | Path) else hash(str(spec))
        if key in seen:
            labels.append(seen[key])
            continue
        ref = resolve_design(spec)
        base = ref.label
        if isinstance(ref.source, Path):
            base = load_design(spec).netlist.name or base
        label, k = base, 1
        while label in taken:
            k += 1
            label = f"{base}_{k}"
        seen[key] = label
        taken.add(label)
        labels.append(label)
    return labels
