"""Declarative, validated, frozen configuration sections.

A config section is a frozen dataclass whose fields are declared with :func:`setting`: the
default, a docstring-like ``doc`` (the field's documentation lives where it is declared), and its
allowed range or choices. :func:`build` turns a parsed TOML table into that dataclass, collecting
*every* problem instead of stopping at the first, each with its full key path::

    exhibits.numbers.digit_px: must be 8..128, got 500

Supported field types: ``bool``, ``int``, ``float``, ``str``, fixed-length tuples of those
(``tuple[int, int]``), variable tuples (``tuple[float, ...]``), a nested section, and a tuple of
sections (TOML arrays of tables). Unknown keys are errors, and so are a section's internal
fields (dataclass fields not declared with :func:`setting`, such as the config's ``source``);
a key the section has *retired* (its ``RETIRED`` class table, see :func:`retired_keys`) is
accepted with a warning that names it and says why, its value ignored. Every
string has a length limit (``max_len``, else :data:`MAX_TEXT`), so a 50 MB caption is refused by
``kiosk.py check`` instead of reaching the renderer. A section may define
``check(self) -> list[tuple[str, str]]`` for cross-field rules; it returns ``(key, message)``.
:func:`template_problems` validates caption templates (only their named ``{fields}``, no format
specs, conversions, attribute or index access) and :func:`fill_template` fills one without
``str.format``'s mini-language.

Failure modes: :func:`build` never raises on bad *data*; it appends :class:`Problem` values and
returns ``None`` for the section. Bad *declarations* (a programming error) raise ``TypeError``.
Values quoted in messages are shortened (:func:`_fmt`), so a huge value makes a short message.
"""

from __future__ import annotations

import dataclasses
import math
import re
import string
import types
import typing
from collections.abc import Callable
from typing import Any, NamedTuple

#: characters any string setting may hold unless it declares ``max_len`` (paths, device names,
#: URLs fit; a text shown on screen declares its own, smaller limit)
MAX_TEXT = 1024


class Problem(NamedTuple):
    """One thing wrong with a config: ``path`` like ``display.fps``, a message, the TOML line."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.path}: {self.message}{where}" if self.path else f"{self.message}{where}"


class ConfigError(Exception):
    """A config was refused; ``problems`` lists every reason, each naming its key path."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(str(p) for p in self.problems))


def setting(
    default: Any,
    doc: str,
    *,
    range: tuple[float, float] | None = None,  # noqa: A002 - reads best at the call site
    choices: typing.Iterable[Any] | Callable[[], typing.Iterable[Any]] | None = None,
    min_items: int | None = None,
    max_items: int | None = None,
    max_len: int | None = None,
) -> Any:
    """Declare a config field.

    Args:
        default: value used when the key is absent (must be immutable: tuples, not lists).
        doc: what the field means, with units; listed by ``kiosk.py check --explain``.
        range: inclusive ``(low, high)`` for numbers, or for every element of a numeric tuple.
        choices: allowed values, or a zero-argument callable returning them (for registries
            that must not be imported at declaration time).
        min_items / max_items: length bounds for variable-length tuples.
        max_len: most characters of a string (or of each string in a tuple); default
            :data:`MAX_TEXT`.
    """
    meta = {"doc": doc, "range": range, "choices": choices, "min_items": min_items,
            "max_items": max_items, "max_len": max_len}
    return dataclasses.field(default=default, metadata=meta)


def _choices(meta: dict) -> tuple | None:
    ch = meta.get("choices")
    if ch is None:
        return None
    return tuple(ch() if callable(ch) else ch)


def _fmt(v: Any, limit: int = 60) -> str:
    """``v`` as a message quotes it, at most about ``limit`` characters (values may be huge)."""
    if isinstance(v, (list, dict)):
        # repr of a big or deeply nested value is slow and unreadable; its kind is enough
        text = f"a list of {len(v)} items" if isinstance(v, list) else "a table"
        return text
    if isinstance(v, str):
        text = repr(v if len(v) <= limit else v[:limit])
        return text if len(v) <= limit else f"{text[:-1]}…{text[-1]} ({len(v)} characters)"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    try:
        text = str(v)
    except ValueError:  # an int of more than 4300 digits
        return "a very large number"
    return text if len(text) <= limit else text[:limit] + "…"


def _type_name(tp: Any) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        tp, getattr(tp, "__name__", str(tp)))


def _scalar(tp: type, value: Any, path: str, meta: dict, out: list[Problem]) -> Any:
    """Check one scalar against its type, range and choices; returns the value or ``None``."""
    ok = (
        (tp is bool and isinstance(value, bool))
        or (tp is int and isinstance(value, int) and not isinstance(value, bool))
        or (tp is float and isinstance(value, (int, float)) and not isinstance(value, bool))
        or (tp is str and isinstance(value, str))
    )
    if not ok:
        out.append(Problem(path, f"must be {_type_name(tp)}, got {_fmt(value)}"))
        return None
    if tp is str:
        limit = meta.get("max_len") or MAX_TEXT
        if len(value) > limit:
            out.append(Problem(path, f"must be at most {limit} characters, got {len(value)}"))
            return None
    if tp is float:
        try:
            value = float(value)
        except OverflowError:  # an integer too large for a float
            value = math.inf
        if not math.isfinite(value):
            out.append(Problem(path, f"must be a finite number, got {value}"))
            return None
    rng = meta.get("range")
    if rng is not None and tp in (int, float) and not rng[0] <= value <= rng[1]:
        out.append(Problem(path, f"must be {_fmt(rng[0])}..{_fmt(rng[1])}, got {_fmt(value)}"))
        return None
    choices = _choices(meta)
    if choices is not None and value not in choices:
        allowed = ", ".join(_fmt(c) for c in choices)
        out.append(Problem(path, f"must be one of {allowed}; got {_fmt(value)}"))
        return None
    return value


def _is_section(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _value(tp: Any, value: Any, path: str, meta: dict, out: list[Problem],
           warnings: list[Problem] | None = None) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _value(args[0], value, path, meta, out, warnings)
    if _is_section(tp):
        if not isinstance(value, dict):
            out.append(Problem(path, f"must be a table, got {_fmt(value)}"))
            return None
        return build(tp, value, path, out, warnings=warnings)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            out.append(Problem(path, f"must be a list, got {_fmt(value)}"))
            return None
        variable = len(args) == 2 and args[1] is Ellipsis
        if not variable and len(value) != len(args):
            out.append(Problem(path, f"must be a list of {len(args)} items, got {len(value)}"))
            return None
        lo, hi = meta.get("min_items"), meta.get("max_items")
        if variable and lo is not None and len(value) < lo:
            out.append(Problem(path, f"must have at least {lo} items, got {len(value)}"))
            return None
        if variable and hi is not None and len(value) > hi:
            out.append(Problem(path, f"must have at most {hi} items, got {len(value)}"))
            return None
        items, bad = [], False
        for i, item in enumerate(value):
            item_tp = args[0] if variable else args[i]
            got = _value(item_tp, item, f"{path}[{i}]", meta, out, warnings)
            bad |= got is None
            items.append(got)
        return None if bad else tuple(items)
    if tp in (bool, int, float, str):
        return _scalar(tp, value, path, meta, out)
    raise TypeError(f"unsupported config field type {tp!r} at {path}")


def retired_keys(cls: type) -> dict[str, str]:
    """``cls.RETIRED``: keys the section no longer has, each with why (``{}`` when none).

    A section declares ``RETIRED: ClassVar[dict[str, str]] = {"idle_s": "no longer used: …"}``
    when it drops a key, so that a config written for an older kiosk still loads: the key is
    accepted, its value ignored, and the reason reported as a warning. Raises ``TypeError`` (a
    programming error) when a retired key is still a setting or the table is not ``str → str``.
    """
    retired = getattr(cls, "RETIRED", None) or {}
    if not isinstance(retired, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in retired.items()):
        raise TypeError(f"{cls.__name__}.RETIRED must map key names to non-empty reasons")
    live = {f.name for f in dataclasses.fields(cls) if "doc" in f.metadata}
    if live & set(retired):
        raise TypeError(f"{cls.__name__}.RETIRED names settings it still has: "
                        f"{', '.join(sorted(live & set(retired)))}")
    return retired


def build(cls: type, data: dict, path: str, out: list[Problem],
          also: tuple[str, ...] = (), *, warnings: list[Problem] | None = None) -> Any:
    """Validate ``data`` (a parsed TOML table) into a frozen ``cls``.

    Appends every problem to ``out`` (key paths prefixed with ``path``) and returns ``None`` when
    there were any inside this section; otherwise the instance. ``also`` names keys the caller
    validates itself (listed as allowed in messages; ``data`` must not hold them). A retired key
    (:func:`retired_keys`) is no problem: its value is ignored and a :class:`Problem` naming the
    key and the reason goes to ``warnings`` (nowhere when ``None``).
    """
    hints = typing.get_type_hints(cls)
    # Only fields declared with setting() are keys a config may set; the others are internal
    # (KioskConfig.source is filled in by the loader and must not be set from the file).
    fields = {f.name: f for f in dataclasses.fields(cls) if "doc" in f.metadata}
    retired = retired_keys(cls)
    before = len(out)
    for key in data:
        if key in retired:
            if warnings is not None:
                warnings.append(Problem(_join(path, key), f"retired, value ignored "
                                        f"({retired[key]})"))
            continue
        if key not in fields:
            allowed = ", ".join((*fields, *also)) or "(none)"
            out.append(Problem(_join(path, short_text(key, 60)),
                               f"unknown key; allowed keys here: {allowed}"))
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            continue
        got = _value(hints[name], data[name], _join(path, name), dict(f.metadata), out,
                     warnings)
        if got is not None:
            kwargs[name] = got
    if len(out) > before:
        return None
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        for key, message in check():
            out.append(Problem(_join(path, key), message))
    return None if len(out) > before else obj


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+(\[\d+\])*$")


def _join(path: str, key: str) -> str:
    """``path.key``, quoting keys that are not TOML bare keys (``display."a b"``)."""
    key = key if _BARE_KEY.match(key) else f'"{key}"'
    return f"{path}.{key}" if path else key


# --- caption templates ---------------------------------------------------------------------------

def template_problems(key: str, text: str, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """Problems of a caption template ``text`` as ``(key, message)``; empty when it is fine.

    A template may use only its own plain ``{name}`` fields from ``allowed`` and ``{{``/``}}``
    for literal braces: no positional ``{}``, no format spec (``{found:>50000000}`` would build a
    50 MB string in the renderer), no conversion (``!r``), no attribute or index access
    (``{n.__class__}``). Checked with :class:`string.Formatter`'s parser, never by formatting.
    """
    known = ", ".join("{" + a + "}" for a in allowed) or "none"
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as err:
        return [(key, f"is not a valid template ({err}); write {{{{ and }}}} for braces")]
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name == "":
            return [(key, f"has an empty placeholder {{}}; allowed: {known}")]
        if any(c in name for c in ".[]"):
            return [(key, f"placeholder {{{short_text(name)}}} may not use attribute or "
                          f"index access; allowed: {known}")]
        if name not in allowed:
            return [(key, f"unknown placeholder {{{short_text(name)}}}; allowed: {known}")]
        if conversion:
            return [(key, f"placeholder {{{name}!{conversion}}} may not use a conversion; "
                          f"write just {{{name}}}")]
        if spec:
            return [(key, f"placeholder {{{name}:{short_text(spec)}}} may not use a format "
                          f"spec; write just {{{name}}}")]
    return []


def short_text(text: str, limit: int = 24) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis), for messages."""
    return text if len(text) <= limit else text[:limit] + "…"


def fill_template(text: str, **values: Any) -> str:
    """``text`` with each plain ``{name}`` replaced by ``str(values[name])``; never raises.

    The renderer's counterpart of :func:`template_problems`: a template that was not validated
    (settings built in code) still cannot run ``str.format``'s mini-language; any placeholder that
    is not a plain known name stays as written.
    """
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return text
    out = []
    for literal, name, spec, conversion in parts:
        out.append(literal)  # the parser has already turned {{ and }} into braces
        if name is None:
            continue
        if name in values and not spec and not conversion:
            out.append(str(values[name]))
        else:
            out.append("{" + name + (f"!{conversion}" if conversion else "")
                       + (f":{spec}" if spec else "") + "}")
    return "".join(out)


# --- locating key paths in TOML text, so errors can name a line --------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def toml_key_lines(text: str) -> dict[str, int]:
    """Map key paths (``display.fps``, ``playlist[1].duration_s``) to 1-based line numbers.

    A light scanner, not a parser: it understands table headers, arrays of tables and
    ``key = value`` lines, which is all a curator's file uses. Unknown constructs are skipped.
    """
    lines: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    in_multiline = False
    for no, raw in enumerate(text.splitlines(), start=1):
        if raw.count('"""') % 2 == 1 or raw.count("'''") % 2 == 1:
            in_multiline = not in_multiline
            if not in_multiline:
                continue
        elif in_multiline:
            continue
        m = _HEADER.match(raw)
        if m and not _KEY.match(raw):
            name = m.group(2).replace('"', "").replace("'", "").replace(" ", "")
            if m.group(1) == "[[":
                idx = counts.get(name, 0)
                counts[name] = idx + 1
                table = f"{name}[{idx}]"
            else:
                table = name
            lines.setdefault(table, no)
            continue
        k = _KEY.match(raw)
        if k:
            key = k.group(1).replace('"', "").replace("'", "")
            lines.setdefault(f"{table}.{key}" if table else key, no)
    return lines


def locate(problems: list[Problem], key_lines: dict[str, int]) -> list[Problem]:
    """Attach TOML line numbers to problems whose path (or a parent path) is found."""
    located = []
    for p in problems:
        line = None
        path = re.sub(r"\[\d+\]$", "", p.path) if p.path not in key_lines else p.path
        while path and line is None:
            line = key_lines.get(path)
            if line is None:
                path = path.rpartition(".")[0]
        located.append(p._replace(line=line))
    return located

