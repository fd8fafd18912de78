"""Declarative, validated, frozen configuration sections.

A config section is a frozen dataclass whose fields are declared with :func:`setting`: the
default, a docstring-like ``doc`` (the field's documentation lives where it is declared), and its
allowed range or choices. :func:`build` turns a parsed TOML table into that dataclass, collecting
*every* problem instead of stopping at the first, each with its full key path::

    exhibits.numbers.digit_px: must be 8..128, got 500

Supported field types: ``bool``, ``int``, ``float``, ``str``, fixed-length tuples of those
(``tuple[int, int]``), variable tuples (``tuple[float, ...]``), a nested section, and a tuple of
sections (TOML arrays of tables). Unknown keys are errors. A section may define
``check(self) -> list[tuple[str, str]]`` for cross-field rules; it returns ``(key, message)``.

Failure modes: :func:`build` never raises on bad *data*; it appends :class:`Problem` values and
returns ``None`` for the section. Bad *declarations* (a programming error) raise ``TypeError``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Callable
from typing import Any, NamedTuple


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
) -> Any:
    """Declare a config field.

    Args:
        default: value used when the key is absent (must be immutable: tuples, not lists).
        doc: what the field means, with units; listed by ``kiosk.py check --explain``.
        range: inclusive ``(low, high)`` for numbers, or for every element of a numeric tuple.
        choices: allowed values, or a zero-argument callable returning them (for registries
            that must not be imported at declaration time).
        min_items / max_items: length bounds for variable-length tuples.
    """
    meta = {"doc": doc, "range": range, "choices": choices, "min_items": min_items,
            "max_items": max_items}
    return dataclasses.field(default=default, metadata=meta)


def _choices(meta: dict) -> tuple | None:
    ch = meta.get("choices")
    if ch is None:
        return None
    return tuple(ch() if callable(ch) else ch)


def _fmt(v: Any) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


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
    if tp is float:
        value = float(value)
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


def _value(tp: Any, value: Any, path: str, meta: dict, out: list[Problem]) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _value(args[0], value, path, meta, out)
    if _is_section(tp):
        if not isinstance(value, dict):
            out.append(Problem(path, f"must be a table, got {_fmt(value)}"))
            return None
        return build(tp, value, path, out)
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
            got = _value(item_tp, item, f"{path}[{i}]", meta, out)
            bad |= got is None
            items.append(got)
        return None if bad else tuple(items)
    if tp in (bool, int, float, str):
        return _scalar(tp, value, path, meta, out)
    raise TypeError(f"unsupported config field type {tp!r} at {path}")


def build(cls: type, data: dict, path: str, out: list[Problem]) -> Any:
    """Validate ``data`` (a parsed TOML table) into a frozen ``cls``.

    Appends every problem to ``out`` (key paths prefixed with ``path``) and returns ``None`` when
    there were any inside this section; otherwise the instance.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    before = len(out)
    for key in data:
        if key not in fields:
            allowed = ", ".join(fields) or "(none)"
            out.append(Problem(_join(path, key), f"unknown key; allowed keys here: {allowed}"))
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            continue
        got = _value(hints[name], data[name], _join(path, name), dict(f.metadata), out)
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

