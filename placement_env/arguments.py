"""Checking arguments against their annotations, so that a wrong type is refused where it enters.

``gym.make(id, snap="False")`` would otherwise turn snapping on (a non-empty string is true) and
``grid="16"`` would read as a 1 x 6 grid. :func:`check_types` compares values with the
annotations of a function's parameters (``bool``, ``int``, ``float``, ``str``, classes, unions,
``Sequence[int]``, ``Mapping``, ``Callable``, ``Literal``); :func:`typed` applies it to every call
of a constructor. Annotations it cannot resolve are left to the function.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import numbers
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


class ArgumentTypeError(TypeError, ValueError):
    """An argument whose type does not fit its parameter's annotation. It is a ``TypeError`` (the
    Python convention) and a ``ValueError`` (what the command lines catch as bad input)."""


_MAX_ELEMENTS_CHECKED = 64  # a Sequence[int] of a million entries is checked on its first ones


def _hints(function: Callable) -> dict[str, Any]:
    """The resolvable annotations of ``function``'s parameters (strings evaluated in its module)."""
    try:
        return typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 -- a name only imported for type checking: resolve one by one
        pass
    hints = {}
    namespace = getattr(function, "__globals__", {})
    for name, parameter in inspect.signature(function).parameters.items():
        annotation = parameter.annotation
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # noqa: S307 -- the module's own text
            except Exception:  # noqa: BLE001
                continue
        if annotation is not inspect.Parameter.empty:
            hints[name] = annotation
    return hints


def fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint`` (unknown kinds of annotation fit anything)."""
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, member) for member in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is bool:
        return isinstance(value, (bool, np.bool_))
    if hint is int:
        return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if origin is not None:
        return _fits_generic(value, origin, typing.get_args(hint))
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _fits_generic(value: Any, origin: Any, args: tuple) -> bool:
    if origin in (collections.abc.Callable,):
        return callable(value)
    if not isinstance(origin, type) or not isinstance(value, origin):
        return False
    if isinstance(value, str) and origin is not str:
        return False  # "16" is a Sequence of characters, never a Sequence[int]
    if issubclass(origin, Mapping) or not args or not isinstance(value, collections.abc.Iterable):
        return True
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):  # tuple[int, str]
        return len(value) == len(args) and all(fits(v, a) for v, a in zip(value, args, strict=True))
    return all(fits(v, args[0]) for v in list(value)[:_MAX_ELEMENTS_CHECKED])


def _spelled(hint: Any) -> str:
    text = hint.__name__ if isinstance(hint, type) else str(hint)
    return text.replace("typing.", "").replace("collections.abc.", "")


def check_types(
    function: Callable,
    arguments: Mapping[str, Any],
    where: str,
    error: type[Exception] = ArgumentTypeError,
) -> None:
    """Raises ``error`` for the first argument whose value does not fit its parameter's annotation.

    Args:
        function: Whose parameters (names and annotations) the arguments are for.
        arguments: Argument values by parameter name; names ``function`` lacks are skipped.
        where: What to name in the message (``"MacroPlacementEnv"``, ``"--env-arg"``).
        error: The exception type to raise.
    """
    hints = _hints(function)
    for name, value in arguments.items():
        if name in hints and not fits(value, hints[name]):
            allowed = _spelled(hints[name])
            raise error(
                f"{where}: {name}={value!r} does not fit; {name} must be {allowed}"
                + (" (True or False)" if hints[name] is bool else "")
            )


def typed(function: Callable) -> Callable:
    """Decorates a function (an ``__init__``) so that every call checks its arguments' types."""
    signature = inspect.signature(function)
    owner = function.__qualname__.removesuffix(".__init__")

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as problem:
            raise TypeError(f"{owner}: {problem}") from None
        given = {k: v for k, v in bound.arguments.items() if k != "self"}
        check_types(function, given, owner)
        return function(*args, **kwargs)

    return checked
