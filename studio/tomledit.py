"""The Studio's one writer of TOML: change values in a curator's file, keeping its comments.

:func:`set_values` changes keys (``exhibits.numbers.palette``) and whole arrays of tables
(``playlist``) in the text of ``config.toml`` line by line, so a published file keeps every comment
and the order a person wrote, and a diff shows only what changed. Every edit is verified: the new
text is parsed and must hold exactly the intended data; when it does not (a construct the line
editor does not understand, such as a multi-line array or dotted keys under a parent table), the
whole file is written afresh by :func:`dumps` (comments are then lost, the data is exact) and
``rewritten`` is True so the page can say so.

Failure modes: values that TOML cannot hold (``None``, other types) raise ``TypeError``; nothing
else raises for text that ``tomllib`` parses.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from typing import Any

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=(.*)$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}


def key_text(key: str) -> str:
    return key if _BARE.match(key) else '"' + "".join(_ESCAPES.get(c, c) for c in key) + '"'


def literal(value: Any) -> str:
    """``value`` as a TOML literal (bool, int, float, str, list/tuple of those)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        out = []
        for c in value:
            if c in _ESCAPES:
                out.append(_ESCAPES[c])
            elif ord(c) < 0x20 or ord(c) == 0x7F:
                out.append(f"\\u{ord(c):04x}")
            else:
                out.append(c)
        return '"' + "".join(out) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(i, dict) for i in v)


def dumps(data: dict) -> str:
    """The whole document as TOML text (no comments): scalars first, then tables."""
    lines: list[str] = []

    def table(d: dict, path: list[str]) -> None:
        for k, v in d.items():
            if not isinstance(v, dict) and not _is_table_array(v):
                lines.append(f"{key_text(k)} = {literal(v)}")
        for k, v in d.items():
            name = ".".join(key_text(p) for p in [*path, k])
            if isinstance(v, dict):
                if lines:
                    lines.append("")
                lines.append(f"[{name}]")
                table(v, [*path, k])
            elif _is_table_array(v):
                for item in v:
                    lines.append("")
                    lines.append(f"[[{name}]]")
                    table(item, [*path, k])

    table(data, [])
    return "\n".join(lines) + "\n"


def _header_name(raw: str) -> tuple[str, bool] | None:
    m = _HEADER.match(raw)
    if not m or _KEY.match(raw):
        return None
    name = ".".join(p.strip().strip('"').strip("'") for p in m.group(2).split("."))
    return name, m.group(1) == "[["


def _blocks(lines: list[str]) -> list[tuple[str, bool, int, int]]:
    """``(table name, is array item, first line, end line)``; the preamble is ``("", False)``."""
    heads = [(0, "", False)]
    for i, raw in enumerate(lines):
        h = _header_name(raw)
        if h is not None:
            heads.append((i, *h))
    out = []
    for n, (start, name, arr) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        out.append((name, arr, start, end))
    return out


def _value_and_comment(rest: str) -> tuple[str, str] | None:
    """Split what follows ``=`` into the value and a trailing comment; None: multi-line."""
    for i, c in enumerate(rest):
        if c == "#":
            try:
                tomllib.loads("k =" + rest[:i])
                return rest[:i], rest[i:]
            except tomllib.TOMLDecodeError:
                continue
    try:
        tomllib.loads("k =" + rest)
    except tomllib.TOMLDecodeError:
        return None
    return rest, ""


def _set_scalar(lines: list[str], table: str, key: str, value: Any) -> bool:
    """Edit or add ``key = value`` in ``[table]``; False if the line editor cannot."""
    blocks = [b for b in _blocks(lines) if b[0] == table and not b[1]]
    text = f"{key_text(key)} = {literal(value)}"
    if not blocks:
        if table == "":
            return False
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", f"[{table}]", text]
        return True
    _, _, start, end = blocks[0]
    last_key = start if table else -1
    for i in range(start, end):
        m = _KEY.match(lines[i])
        if m is None:
            continue
        last_key = i
        if m.group(1) == key:
            split = _value_and_comment(m.group(2))
            if split is None:
                return False
            _, comment = split
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            head = f"{indent}{text}"
            if comment:  # keep the comment in its column when the new value leaves room
                column = len(lines[i]) - len(comment)
                head = head.ljust(column) if len(head) < column else head + "  "
            lines[i] = (head + comment).rstrip()
            return True
    lines.insert(last_key + 1, text)
    return True


def _set_array(lines: list[str], name: str, items: list[dict]) -> bool:
    """Replace every ``[[name]]`` block by ``items`` (at the first block's place)."""
    blocks = [b for b in _blocks(lines) if b[0] == name and b[1]]
    new: list[str] = []
    for n, item in enumerate(items):
        if any(isinstance(v, dict) or _is_table_array(v) for v in item.values()):
            return False
        if n:
            new.append("")
        new.append(f"[[{name}]]")
        new += [f"{key_text(k)} = {literal(v)}" for k, v in item.items()]
    if not blocks:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ["", *new]
        return True
    start, end = blocks[0][2], blocks[-1][3]
    # keep what follows the last block's keys (blank lines, the next table's comments)
    while end > start and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    between = [b for b in _blocks(lines) if start <= b[2] < end and not (b[0] == name and b[1])]
    if between:
        return False  # another table sits between the blocks: rewrite the file instead
    lines[start:end] = new
    return True


def _apply(data: dict, path: tuple[str, ...], value: Any) -> None:
    d = data
    for p in path[:-1]:
        d = d.setdefault(p, {})
    d[path[-1]] = value


def set_values(text: str, changes: dict[tuple[str, ...], Any]) -> tuple[str, bool]:
    """``text`` with each key path set to its value; returns ``(new text, rewritten)``.

    A value that is a list of dicts replaces that array of tables (``("playlist",)``).
    ``rewritten`` is True when the comments could not be kept (see the module docstring).
    """
    data = tomllib.loads(text)
    want = copy.deepcopy(data)
    for path, value in changes.items():
        _apply(want, path, value)
    lines = text.splitlines()
    ok = True
    for path, value in changes.items():
        if _is_table_array(value):
            ok = _set_array(lines, ".".join(path), value)
        else:
            ok = _set_scalar(lines, ".".join(path[:-1]), path[-1], value)
        if not ok:
            break
    if ok:
        new = "\n".join(lines) + "\n"
        try:
            if tomllib.loads(new) == want:
                return new, False
        except tomllib.TOMLDecodeError:
            pass
    return dumps(want), True
