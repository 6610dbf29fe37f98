"""LEF libraries: the sites, and the masters' sizes, classes and pins, that a DEF refers to.

Only what placement needs is read: ``SITE`` size, class and symmetry; ``MACRO`` class, ``ORIGIN``,
``SIZE``, ``SYMMETRY``, ``SITE`` and, per ``PIN``, its direction, use and the centre of its
shapes. Technology sections (``LAYER``, ``VIA``, ``VIARULE``, ``NONDEFAULTRULE``, ``SPACING``,
``PROPERTYDEFINITIONS``, extensions) are skipped whole. LEF lengths are in microns.

A pin's offset is the centre of the bounding box of every ``RECT`` and ``POLYGON`` of its
``PORT``\\ s, measured from the master's lower-left corner in orientation ``N`` (the ``ORIGIN``
shift applied). A pin without shapes sits at the master's centre.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from netlists.errors import NetlistFormatError
from netlists.formats._lefdef_text import LineIndex, parse_number, tokenize
from netlists.formats._text import read_text
from netlists.types import PinDirection

_DIRECTIONS = {
    "INPUT": PinDirection.INPUT,
    "OUTPUT": PinDirection.OUTPUT,
    "INOUT": PinDirection.BIDIRECTIONAL,
    "FEEDTHRU": PinDirection.BIDIRECTIONAL,
}
# Named blocks skipped whole: they end with 'END <name>'.
_NAMED_BLOCKS = {"LAYER", "VIA", "VIARULE", "NONDEFAULTRULE", "ARRAY"}
# Unnamed blocks skipped whole, and the token that ends each.
_KEYWORD_BLOCKS = {
    "UNITS": ("END", "UNITS"),
    "SPACING": ("END", "SPACING"),
    "PROPERTYDEFINITIONS": ("END", "PROPERTYDEFINITIONS"),
    "BEGINEXT": ("ENDEXT",),
}


@dataclass(frozen=True)
class LefSite:
    """A placement site (``SITE``).

    Attributes:
        name: Site name.
        width: Site width (microns).
        height: Site height, the row height (microns).
        site_class: ``CORE`` or ``PAD``.
        symmetry: Symmetry as written (``Y``, ``X Y``...), ``""`` when absent.
    """

    name: str
    width: float
    height: float
    site_class: str = "CORE"
    symmetry: str = ""


@dataclass(frozen=True)
class LefPin:
    """One pin of a master.

    Attributes:
        name: Pin name.
        direction: Input, output or bidirectional (``INOUT``, ``FEEDTHRU``, or no direction).
        use: ``SIGNAL``, ``CLOCK``, ``POWER``, ``GROUND``... (``SIGNAL`` when absent).
        x: Centre of the pin's shapes from the master's lower-left corner, orientation N (microns).
        y: Same, vertically (microns).
    """

    name: str
    direction: PinDirection
    use: str
    x: float
    y: float


@dataclass(frozen=True)
class LefMacro:
    """A master cell or block (``MACRO``).

    Attributes:
        name: Master name (what a DEF component names as its model).
        macro_class: The class keyword, ``BLOCK``, ``CORE``, ``PAD``, ``ENDCAP``... (``CORE``
            when absent).
        width: Width in orientation N (microns).
        height: Height in orientation N (microns).
        symmetry: Symmetry as written, ``""`` when absent.
        site: The site it sits on, ``""`` when absent.
        pins: Its pins by name.
    """

    name: str
    macro_class: str
    width: float
    height: float
    symmetry: str = ""
    site: str = ""
    pins: Mapping[str, LefPin] = field(default_factory=dict)

    @property
    def is_block(self) -> bool:
        """True for a ``CLASS BLOCK`` master: a hard macro."""
        return self.macro_class == "BLOCK"


@dataclass(frozen=True)
class LefLibrary:
    """The sites and masters of one or more LEF files.

    Attributes:
        sites: Sites by name.
        macros: Masters by name.
        sources: The files read, in order.
        duplicates: Names defined by more than one file; the first definition is kept (as
            OpenROAD does).
    """

    sites: Mapping[str, LefSite]
    macros: Mapping[str, LefMacro]
    sources: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()


class _Cursor:
    """Walks the tokens of one LEF file; every error names the file and the line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.tokens, self.offsets = tokenize(text)
        self.position = 0
        self._lines = LineIndex(text)

    def line(self, index: int | None = None) -> int:
        index = self.position if index is None else index
        if not self.offsets:
            return 1
        return self._lines(self.offsets[min(index, len(self.offsets) - 1)])

    def error(self, reason: str, field: str | None = None, index: int | None = None):
        return NetlistFormatError(self.path, reason, line=self.line(index), field=field)

    @property
    def done(self) -> bool:
        return self.position >= len(self.tokens)

    def take(self, what: str) -> str:
        if self.done:
            where = self.line(len(self.tokens) - 1)
            raise NetlistFormatError(self.path, f"file ends where {what} was expected", line=where)
        token = self.tokens[self.position]
        self.position += 1
        return token

    def statement(self) -> list[str]:
        """The tokens up to the next ``;`` (consumed, not returned)."""
        start = self.position
        while not self.done and self.tokens[self.position] != ";":
            self.position += 1
        if self.done:
            raise self.error("statement has no closing ';'", index=start)
        words = self.tokens[start : self.position]
        self.position += 1
        return words

    def skip_to(self, *closing: str, what: str) -> None:
        """Skips past the token sequence ``closing`` (a block's end)."""
        start = self.position
        n = len(closing)
        while self.position + n <= len(self.tokens):
            if tuple(self.tokens[self.position : self.position + n]) == closing:
                self.position += n
                return
            self.position += 1
        raise self.error(f"{what} has no '{' '.join(closing)}'", index=max(start - 1, 0))

    def number(self, token: str, field: str, index: int) -> float:
        return parse_number(token, self.path, self.line(index), field)


def read_lef(paths: str | Path | Iterable[str | Path]) -> LefLibrary:
    """Reads the sites and masters of one or more LEF files (plain or gzipped).

    Args:
        paths: One path or several; a technology LEF and cell LEFs may come in any order.

    Returns:
        The merged library.

    Raises:
        NetlistFormatError: A file is missing or malformed (the message names file, line and
            field), or a master or site repeats inside one file.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    sites: dict[str, LefSite] = {}
    macros: dict[str, LefMacro] = {}
    sources: list[str] = []
    duplicates: list[str] = []
    for path in map(Path, paths):
        file_sites, file_macros = _read_one(path)
        sources.append(str(path))
        for table, found in ((sites, file_sites), (macros, file_macros)):
            for name, item in found.items():
                if name in table:
                    duplicates.append(name)
                else:
                    table[name] = item
    return LefLibrary(
        MappingProxyType(sites), MappingProxyType(macros), tuple(sources), tuple(duplicates)
    )


def _read_one(path: Path) -> tuple[dict[str, LefSite], dict[str, LefMacro]]:
    cursor = _Cursor(path, read_text(path))
    sites: dict[str, LefSite] = {}
    macros: dict[str, LefMacro] = {}
    while not cursor.done:
        start = cursor.position
        keyword = cursor.take("a statement")
        if keyword == "MACRO":
            macro = _read_macro(cursor)
            if macro.name in macros:
                raise cursor.error(f"master {macro.name!r} defined twice", "MACRO", start)
            macros[macro.name] = macro
        elif keyword == "SITE":
            site = _read_site(cursor)
            if site.name in sites:
                raise cursor.error(f"site {site.name!r} defined twice", "SITE", start)
            sites[site.name] = site
        elif keyword in _NAMED_BLOCKS:
            name = cursor.take(f"the {keyword} name")
            cursor.skip_to("END", name, what=f"{keyword} {name}")
        elif keyword in _KEYWORD_BLOCKS:
            cursor.skip_to(*_KEYWORD_BLOCKS[keyword], what=keyword)
        elif keyword == "END":
            if cursor.take("LIBRARY after END") != "LIBRARY":
                raise cursor.error("unexpected END outside a block", "END", start)
            break
        elif keyword == ";":
            continue
        else:
            cursor.position = start
            cursor.statement()  # VERSION, BUSBITCHARS, MANUFACTURINGGRID...: nothing to keep
    return sites, macros


def _read_site(cursor: _Cursor) -> LefSite:
    name = cursor.take("the site name")
    width = height = None
    site_class, symmetry = "CORE", ""
    while True:
        start = cursor.position
        if cursor.take(f"the end of SITE {name}") == "END":
            if cursor.take(f"END {name}") != name:
                raise cursor.error(f"SITE {name} ends with another name", "END", start)
            break
        cursor.position = start
        words = cursor.statement() or [""]
        if words[0] == "SIZE":
            if len(words) != 4 or words[2] != "BY":
                raise cursor.error("expected 'SIZE width BY height ;'", f"SITE {name}", start)
            width = cursor.number(words[1], f"SITE {name} SIZE", start)
            height = cursor.number(words[3], f"SITE {name} SIZE", start)
        elif words[0] == "CLASS" and len(words) > 1:
            site_class = words[1]
        elif words[0] == "SYMMETRY":
            symmetry = " ".join(words[1:])
    if width is None or height is None or width <= 0 or height <= 0:
        raise cursor.error(f"SITE {name} has no positive SIZE", f"SITE {name}")
    return LefSite(name, width, height, site_class, symmetry)


def _read_macro(cursor: _Cursor) -> LefMacro:
    begin = cursor.position
    name = cursor.take("the master name")
    macro_class, symmetry, site = "CORE", "", ""
    size: tuple[float, float] | None = None
    origin = (0.0, 0.0)
    raw_pins: list[tuple[str, PinDirection, str, tuple[float, float, float, float] | None]] = []
    while True:
        start = cursor.position
        keyword = cursor.take(f"the end of MACRO {name}")
        if keyword == "END":
            if cursor.take(f"END {name}") != name:
                raise cursor.error(f"MACRO {name} ends with another name", "END", start)
            break
        if keyword == "PIN":
            raw_pins.append(_read_pin(cursor, name))
            continue
        if keyword in ("OBS", "DENSITY"):
            _skip_shapes(cursor, f"{keyword} of MACRO {name}")
            continue
        cursor.position = start
        words = cursor.statement()
        field = f"MACRO {name} {keyword}"
        if keyword == "CLASS":
            if len(words) < 2:
                raise cursor.error("CLASS without a class", field, start)
            macro_class = words[1].upper()
        elif keyword == "SIZE":
            if len(words) != 4 or words[2] != "BY":
                raise cursor.error("expected 'SIZE width BY height ;'", field, start)
            size = (cursor.number(words[1], field, start), cursor.number(words[3], field, start))
        elif keyword == "ORIGIN":
            if len(words) != 3:
                raise cursor.error("expected 'ORIGIN x y ;'", field, start)
            origin = (cursor.number(words[1], field, start), cursor.number(words[2], field, start))
        elif keyword == "SYMMETRY":
            symmetry = " ".join(words[1:])
        elif keyword == "SITE" and len(words) > 1:
            site = words[1]
    if size is None:
        raise cursor.error(f"MACRO {name} has no SIZE", f"MACRO {name}", begin)
    if size[0] < 0 or size[1] < 0:
        raise cursor.error(f"MACRO {name} has a negative SIZE {size}", f"MACRO {name}", begin)
    pins: dict[str, LefPin] = {}
    names = [raw[0] for raw in raw_pins]
    if len(set(names)) < len(names):
        twice = next(n for i, n in enumerate(names) if n in names[:i])
        raise cursor.error(f"MACRO {name} defines PIN {twice} twice", f"MACRO {name}", begin)
    for pin_name, direction, use, box in raw_pins:
        if box is None:
            x, y = size[0] / 2, size[1] / 2
        else:
            x = (box[0] + box[2]) / 2 + origin[0]
            y = (box[1] + box[3]) / 2 + origin[1]
        pins[pin_name] = LefPin(pin_name, direction, use, x, y)
    return LefMacro(name, macro_class, size[0], size[1], symmetry, site, MappingProxyType(pins))


def _read_pin(
    cursor: _Cursor, macro: str
) -> tuple[str, PinDirection, str, tuple[float, float, float, float] | None]:
    name = cursor.take(f"a pin name in MACRO {macro}")
    direction, use = PinDirection.BIDIRECTIONAL, "SIGNAL"
    box: list[float] | None = None
    while True:
        start = cursor.position
        keyword = cursor.take(f"the end of PIN {name}")
        if keyword == "END":
            if cursor.take(f"END {name}") != name:
                raise cursor.error(
                    f"PIN {name} of MACRO {macro} ends with another name", "END", start
                )
            break
        if keyword == "PORT":
            box = _read_port(cursor, f"PIN {name} of MACRO {macro}", box)
            continue
        cursor.position = start
        words = cursor.statement()
        if keyword == "DIRECTION" and len(words) > 1:
            if words[1] not in _DIRECTIONS:
                raise cursor.error(
                    f"unknown direction {words[1]!r}; allowed: {', '.join(_DIRECTIONS)}",
                    f"PIN {name} DIRECTION",
                    start,
                )
            direction = _DIRECTIONS[words[1]]
        elif keyword == "USE" and len(words) > 1:
            use = words[1]
    return name, direction, use, None if box is None else (box[0], box[1], box[2], box[3])


def _read_port(cursor: _Cursor, what: str, box: list[float] | None) -> list[float] | None:
    """Reads one ``PORT ... END``, growing ``box`` [x_min, y_min, x_max, y_max] by its shapes."""
    while True:
        start = cursor.position
        if cursor.take(f"the END of a PORT of {what}") == "END":
            return box
        cursor.position = start
        words = cursor.statement() or [""]
        if words[0] not in ("RECT", "POLYGON"):
            continue  # LAYER, WIDTH, VIA, CLASS: no shape of their own to measure
        numbers = words[1:]
        if numbers[:1] == ["MASK"]:
            numbers = numbers[2:]
        if words[0] == "RECT" and len(numbers) != 4 or len(numbers) < 4 or len(numbers) % 2:
            raise cursor.error(f"{words[0]} needs x y pairs", f"{what} {words[0]}", start)
        values = [cursor.number(t, f"{what} {words[0]}", start) for t in numbers]
        xs, ys = values[0::2], values[1::2]
        if box is None:
            box = [min(xs), min(ys), max(xs), max(ys)]
        else:
            box = [min(box[0], *xs), min(box[1], *ys), max(box[2], *xs), max(box[3], *ys)]


def _skip_shapes(cursor: _Cursor, what: str) -> None:
    """Skips an ``OBS`` or ``DENSITY`` block: statements up to a bare ``END``."""
    while True:
        start = cursor.position
        if cursor.take(f"the END of {what}") == "END":
            return
        cursor.position = start
        cursor.statement()
