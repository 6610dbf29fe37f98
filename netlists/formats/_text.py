"""Shared helpers for the text readers: opening plain or gzipped files, numbers with locations."""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

from netlists.errors import NetlistFormatError

_GZIP_MAGIC = b"\x1f\x8b"


def read_text(path: Path) -> str:
    """Returns the text of ``path``, gunzipping it when it is gzip-compressed.

    Raises:
        NetlistFormatError: The file is missing, unreadable, a corrupt or truncated gzip stream,
            or not UTF-8 text.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NetlistFormatError(path, "file not found") from None
    except OSError as error:
        raise NetlistFormatError(path, f"cannot read file: {error.strerror or error}") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise NetlistFormatError(path, f"corrupt or truncated gzip data ({error})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise NetlistFormatError(path, "not UTF-8 text", line=line) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise NetlistFormatError(path, "binary data (NUL byte) in a text file", line=line)
    return text


def resolve_member(directory: Path, name: str) -> Path | None:
    """Finds ``name`` in ``directory``, or ``name.gz`` when only the compressed copy exists.

    Raises:
        OSError: The file system refused the lookup (a name too long, a folder without access).
    """
    plain = directory / name
    if plain.is_file():
        return plain
    compressed = directory / f"{name}.gz"
    if compressed.is_file():
        return compressed
    return None


def parse_float(token: str, path: Path, line: int, field: str) -> float:
    """Parses a finite decimal number (scientific notation allowed) or raises with its location."""
    try:
        value = float(token)
    except ValueError:
        raise NetlistFormatError(
            path, f"expected a number, got {token!r}", line=line, field=field
        ) from None
    if not math.isfinite(value):
        raise NetlistFormatError(path, f"number {token!r} is not finite", line=line, field=field)
    return value


def parse_int(token: str, path: Path, line: int, field: str) -> int:
    """Parses a non-negative integer (ASCII digits only) or raises with its location."""
    if not (token.isascii() and token.isdigit()):  # isdigit() alone accepts '²', int() does not
        raise NetlistFormatError(
            path, f"expected a non-negative integer, got {token!r}", line=line, field=field
        )
    return int(token)


def format_number(value: float) -> str:
    """Shortest text that reads back to exactly ``value`` (integers without a decimal point)."""
    value = float(value)  # numpy scalars would print as np.float64(...)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
