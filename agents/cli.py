"""Command lines from frozen dataclasses whose fields carry their own docstrings (CleanRL style).

A field's help is the string literal written right after it in the class body::

    @dataclass(frozen=True)
    class Args:
        seed: int = 0
        \"\"\"Seeds numpy, torch and the envs.\"\"\"

:func:`field_docs` reads those strings from the class source (``ast``), and
:func:`dataclass_parser` turns every field into an option: ``--name-with-dashes``, a
``--flag/--no-flag`` pair for booleans, a repeatable list for tuples, and the type of the
annotation (``int | None`` takes an int) for the rest, with the default appended to the help.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import textwrap
import types
import typing
from dataclasses import MISSING, fields
from typing import Any

from placement_env.arguments import check_types


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> the docstring written under it in ``cls``'s body (fields without one are
    left out). Only the class's own body is read, not its bases'."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body
    docs: dict[str, str] = {}
    for node, after in zip(body, body[1:], strict=False):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        value = after.value if isinstance(after, ast.Expr) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            docs[node.target.id] = inspect.cleandoc(value.value)
    return docs


def _value_type(hint: Any) -> Any:
    """The type argparse converts with: ``X | None`` -> X, ``tuple[X, ...]`` -> X."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value_type(args[0]) if len(args) == 1 else str
    if origin is tuple:
        return _value_type(typing.get_args(hint)[0])
    return hint if hint in (int, float, str) else str


def dataclass_parser(cls: type, description: str = "") -> argparse.ArgumentParser:
    """An argument parser with one option per field of the dataclass ``cls``.

    Raises:
        TypeError: A field has no docstring (every option must say what it does) or no default.
    """
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    parser = argparse.ArgumentParser(description=description)
    for f in fields(cls):
        if f.name not in docs:
            raise TypeError(f"{cls.__name__}.{f.name} has no docstring: its option needs help")
        if f.default is MISSING:
            raise TypeError(f"{cls.__name__}.{f.name} needs a default to be an option")
        flag = "--" + f.name.replace("_", "-")
        text = docs[f.name].replace("%", "%%")  # argparse formats help with %
        shown = " ".join(map(str, f.default)) if isinstance(f.default, tuple) else f.default
        if "default" not in text and not isinstance(f.default, bool):  # argparse adds bools'
            text += f" (default: {shown if shown != '' else 'none'})"
        if isinstance(f.default, bool):
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=f.default, help=text
            )
        elif isinstance(f.default, tuple):  # repeating the flag adds to the list
            parser.add_argument(
                flag, nargs="+", action="extend", type=_value_type(hints[f.name]),
                default=None, help=text,
            )  # fmt: skip
        else:
            parser.add_argument(flag, type=_value_type(hints[f.name]), default=f.default, help=text)
    return parser


def key_values(items: tuple[str, ...], error: type[Exception], flag: str = "--env-arg") -> dict:
    """``KEY=VALUE`` items as keywords, each value parsed as JSON where it is JSON.

    Raises:
        error: An item without ``=`` or without a key.
    """
    kwargs: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise error(f"{flag} takes KEY=VALUE, got {item!r}")
        if value in _PYTHON_WORDS:  # "False" must not become the (truthy) string "False"
            kwargs[key] = _PYTHON_WORDS[value]
            continue
        try:
            kwargs[key] = json.loads(value)
        except json.JSONDecodeError:
            kwargs[key] = value
    return kwargs


_PYTHON_WORDS = {"True": True, "False": False, "None": None}


def check_keywords(target: Any, kwargs: dict, error: type[Exception], flag: str) -> None:
    """Raises ``error`` for a keyword whose value does not fit the annotation of the same
    parameter of ``target`` (a class or function; :func:`placement_env.arguments.check_types`).
    Keywords that ``target`` does not name are left to ``target`` itself."""
    function = target.__init__ if isinstance(target, type) else target
    check_types(function, kwargs, flag, error)


def parse_into(
    cls: type, argv: list[str] | None, parser: argparse.ArgumentParser, errors: tuple = ()
) -> Any:
    """``cls`` built from ``argv``; an exception of ``errors`` raised while building it (the
    dataclass's own checks) becomes a usage error (exit status 2) that prints its message."""
    values = vars(parser.parse_args(argv))
    defaults = {f.name: f.default for f in fields(cls)}
    kwargs = {
        k: defaults[k] if v is None and isinstance(defaults[k], tuple) else v
        for k, v in values.items()
    }
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    try:
        return cls(**kwargs)
    except errors as error:
        parser.error(str(error))
        raise  # unreachable: parser.error exits
