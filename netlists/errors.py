"""The exceptions raised by the ``netlists`` package.

Every failure has one documented type, and every message says what is wrong and where:

* :class:`NetlistFormatError` -- a file could not be read as the format it claims to be
  (malformed or truncated text, an unknown node in a net, a negative size, a duplicate name,
  a missing member of a Bookshelf ``.aux``...). It carries the file, the line (1-based, when
  known) and the field.
* :class:`UnknownDesignError` -- a name is neither a bundled design nor an existing file.
* :class:`UnsupportedFormatError` -- a path whose suffix no reader or writer handles.
* :class:`InvalidNetlistError` -- a netlist or placement built in code is inconsistent
  (arrays of the wrong shape, a pin on a node that does not exist, a duplicate name).

All of them derive from :class:`NetlistError`, so ``except NetlistError`` catches any of them.
"""

from __future__ import annotations

from pathlib import Path


class NetlistError(Exception):
    """Base class of every error raised by :mod:`netlists`."""


class NetlistFormatError(NetlistError, ValueError):
    """A design or placement file is malformed.

    Attributes:
        path: The file being read.
        line: 1-based line number of the offending text, or ``None`` when the problem is not
            tied to one line (a count that does not match, a truncated file).
        field: The field or record that is wrong (``"NumNodes"``, ``"net n42"``...), or ``None``.
        reason: What is wrong, in words.
    """

    def __init__(
        self,
        path: str | Path,
        reason: str,
        *,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = reason
        where = self.path if line is None else f"{self.path}:{line}"
        what = f" [{field}]" if field else ""
        super().__init__(f"{where}:{what} {reason}")


class UnknownDesignError(NetlistError, LookupError):
    """A design name is neither bundled nor the path of an existing file."""


class UnsupportedFormatError(NetlistError, ValueError):
    """No reader or writer handles this file type."""


class InvalidNetlistError(NetlistError, ValueError):
    """A netlist, placement or design assembled in code is inconsistent."""
