"""Forms generated from the config schema: one field per ``setting(...)``, the right widget for
its type, its doc as help text, its range, unit, choices and length limit.

The schema is the one ``kiosk.py check --explain`` walks (``runtime.settings.setting`` metadata on
frozen dataclasses), so a setting added to an exhibit appears in the Studio with no Studio change.
Widgets: on/off for ``bool``; a number box with min/max/step and the unit read from the name
(``_s`` seconds, ``_px`` pixels) for ``int``/``float``; radio buttons with colour swatches for a
``palette``; a list of colour pickers for a tuple of ``[r, g, b]``; a select for other choices; a
text box (or a text area for long texts, ``maxlength`` from ``max_len``) for strings; a line of
comma-separated values for other lists. Korean/English pairs (``grew_ko``/``grew_en``) are shown
side by side.

:func:`read_form` turns a posted form back into draft changes (only the values that differ from
the draft). A value that is not even of the field's type (``digit_px = "abc"``) is kept as typed,
so the validator names it beside its field instead of the form silently dropping it.
Pure Python, no pygame.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from typing import Any

from runtime.config import KioskConfig

UNITS = {"_s": "s", "_px": "px", "_hz": "Hz", "_db": "dB", "_ms": "ms"}
#: the Playlist page: the rotation and the sections a curator sets around it
PLAYLIST_SECTIONS = ("transition", "visits", "schedule")
TEXTAREA_AT = 121  # characters: longer texts get a text area


@dataclass
class Field:
    """One form field (see the module docstring)."""

    key: str
    name: str
    doc: str
    kind: str  # bool, int, float, palette, choice, text, textarea, colours, list
    value: Any
    default: Any
    is_set: bool
    range: tuple[float, float] | None = None
    unit: str = ""
    choices: tuple = ()
    max_len: int | None = None
    swatches: dict[str, list[str]] = field(default_factory=dict)
    partner: Field | None = None  # the _en field shown beside a _ko field

    @property
    def shown(self) -> str:
        """The value as the text box shows it."""
        v = self.value
        if self.kind == "list" and isinstance(v, (list, tuple)):
            return ", ".join(str(i) for i in v)
        if isinstance(v, float) and v.is_integer():
            return str(int(v)) if abs(v) < 1e15 else repr(v)
        return "" if v is None else str(v)

    @property
    def hex_colours(self) -> list[str]:
        if not isinstance(self.value, (list, tuple)):
            return []
        return [to_hex(c) for c in self.value if _is_rgb(c)]


def to_hex(rgb) -> str:
    return "#" + "".join(f"{max(0, min(255, int(c))):02x}" for c in rgb)


def _is_rgb(v: Any) -> bool:
    return (isinstance(v, (list, tuple)) and len(v) == 3
            and all(isinstance(c, int) and not isinstance(c, bool) for c in v))


def _rgbs(obj: Any, out: list[str]) -> list[str]:
    """Every [r, g, b] inside a palette object, in order, as hex (for swatches)."""
    if _is_rgb(obj):
        out.append(to_hex(obj))
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            _rgbs(getattr(obj, f.name), out)
    elif isinstance(obj, dict):
        for v in obj.values():
            _rgbs(v, out)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _rgbs(v, out)
    return out


def _palette_swatches(cls: type, choices: tuple) -> dict[str, list[str]]:
    import sys

    palettes = getattr(sys.modules.get(cls.__module__), "PALETTES", None)
    if not isinstance(palettes, dict):
        return {}
    return {c: list(dict.fromkeys(_rgbs(palettes[c], [])))[:8] for c in choices if c in palettes}


def _get(data: dict, path: list[str]) -> tuple[bool, Any]:
    d: Any = data
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return False, None
        d = d[p]
    return True, d


def section_fields(cls: type, prefix: str, data: dict) -> list[Field]:
    """The fields of section ``cls`` at key path ``prefix``, valued from the draft ``data``."""
    hints = typing.get_type_hints(cls)
    out: list[Field] = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if "doc" not in meta:
            continue
        tp = hints[f.name]
        if dataclasses.is_dataclass(f.default) or (
                isinstance(f.default, tuple) and f.default and
                dataclasses.is_dataclass(f.default[0])):
            continue  # nested sections have their own pages
        key = f"{prefix}.{f.name}"
        is_set, value = _get(data, key.split("."))
        default = f.default
        choices = meta.get("choices")
        choices = tuple(choices() if callable(choices) else choices) if choices is not None \
            else ()
        unit = next((u for suffix, u in UNITS.items() if f.name.endswith(suffix)), "")
        origin = typing.get_origin(tp)
        if tp is bool:
            kind = "bool"
        elif tp in (int, float):
            kind = tp.__name__
        elif tp is str and choices:
            kind = "palette" if f.name == "palette" else "choice"
        elif tp is str:
            limit = meta.get("max_len")
            kind = "textarea" if limit and limit >= TEXTAREA_AT else "text"
        elif origin is tuple and typing.get_args(tp)[-1] is Ellipsis and \
                typing.get_origin(typing.get_args(tp)[0]) is tuple and meta.get("range") == \
                (0, 255):
            kind = "colours"
        else:
            kind = "list"
        fld = Field(key=key, name=f.name, doc=meta["doc"], kind=kind,
                    value=value if is_set else default, default=default, is_set=is_set,
                    range=meta.get("range") if kind in ("int", "float") else None, unit=unit,
                    choices=choices, max_len=meta.get("max_len"))
        if kind == "palette":
            fld.swatches = _palette_swatches(cls, choices)
        out.append(fld)
    # Korean and English side by side: the _en field rides along with its _ko field
    by_name = {f.name: f for f in out}
    paired = []
    for f in out:
        if f.name.endswith("_en") and f.name[:-3] + "_ko" in by_name:
            continue
        if f.name.endswith("_ko") and f.name[:-3] + "_en" in by_name:
            f.partner = by_name[f.name[:-3] + "_en"]
        paired.append(f)
    return paired


def page_sections(page: str, data: dict) -> list[tuple[str, str, list[Field]]]:
    """``(section key, its doc, fields)`` for a page: ``playlist`` or ``exhibit:NAME``."""
    from exhibits import REGISTRY

    if page == "playlist":
        hints = {f.name: f for f in dataclasses.fields(KioskConfig)}
        return [(name, hints[name].metadata["doc"],
                 section_fields(type(hints[name].default), name, data))
                for name in PLAYLIST_SECTIONS]
    name = page.split(":", 1)[1]
    spec = REGISTRY[name]
    return [(f"exhibits.{name}", spec.config_cls.__doc__ or "",
             section_fields(spec.config_cls, f"exhibits.{name}", data))]


def all_fields(sections: list[tuple[str, str, list[Field]]]) -> list[Field]:
    out = []
    for _, _, fields in sections:
        for f in fields:
            out.append(f)
            if f.partner is not None:
                out.append(f.partner)
    return out


def _number(text: str, kind: str) -> Any:
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        v = float(t)
    except ValueError:
        return text  # kept as typed: the validator names it beside the field
    return int(v) if kind == "int" and v.is_integer() else v


def _from_hex(text: str) -> list[int] | None:
    t = text.strip().lstrip("#")
    if len(t) != 6:
        return None
    try:
        return [int(t[i:i + 2], 16) for i in (0, 2, 4)]
    except ValueError:
        return None


def _list(text: str, f: Field) -> Any:
    t = text.strip()
    if t.startswith("["):
        try:
            return tomllib.loads("v = " + t)["v"]
        except tomllib.TOMLDecodeError:
            return text
    items = [i.strip() for i in t.split(",") if i.strip()]
    item_kind = type(f.default[0]) if isinstance(f.default, tuple) and f.default else str
    if item_kind in (int, float):
        return [_number(i, item_kind.__name__) for i in items]
    return items


def field_value(f: Field, form: Any) -> tuple[bool, Any]:
    """``(posted, value)`` of one field from a posted form."""
    if f.kind == "bool":
        return True, form.get(f.key) == "on"
    if f.kind == "colours":
        n = int(form.get(f"{f.key}.count", "0") or 0)
        colours = []
        for i in range(min(n, 64)):
            rgb = _from_hex(form.get(f"{f.key}[{i}]", ""))
            if rgb is not None and form.get(f"{f.key}[{i}].remove") != "on":
                colours.append(rgb)
        if form.get(f"{f.key}.add") == "on":
            rgb = _from_hex(form.get(f"{f.key}.new", "#ffffff"))
            colours.append(rgb or [255, 255, 255])
        return True, colours
    if f.key not in form:
        return False, None
    text = form.get(f.key)
    if f.kind in ("int", "float"):
        return True, _number(text, f.kind)
    if f.kind == "list":
        return True, _list(text, f)
    return True, text.replace("\r\n", "\n")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def read_form(fields: list[Field], form: Any) -> dict[tuple[str, ...], Any]:
    """Draft changes ``{key path: value}`` from a posted form: only values that differ."""
    posted = set(form.getlist("_field")) if hasattr(form, "getlist") else set()
    changes: dict[tuple[str, ...], Any] = {}
    for f in fields:
        if f.key not in posted:
            continue
        ok, value = field_value(f, form)
        if ok and not _same(value, f.value):
            changes[tuple(f.key.split("."))] = value
    return changes


# --- the playlist: an array of tables -------------------------------------------------------------
def playlist_rows(data: dict) -> list[dict]:
    rows = data.get("playlist")
    if isinstance(rows, list) and all(isinstance(r, dict) for r in rows):
        return [dict(r) for r in rows]
    return [{"exhibit": "diagnostic", "duration_s": 300}]


def read_playlist(form: Any, current: list[dict]) -> list[dict] | None:
    """The posted playlist after the pressed row action (add, remove N, up N); None: unchanged."""
    try:
        n = max(0, min(64, int(form.get("playlist.count", "0"))))
    except ValueError:
        return None
    rows = []
    for i in range(n):
        rows.append({"exhibit": form.get(f"playlist[{i}].exhibit", ""),
                     "duration_s": _number(form.get(f"playlist[{i}].duration_s", ""), "float")})
    action = form.get("row_action", "")
    verb, _, idx = action.partition(":")
    i = int(idx) if idx.isdigit() else -1
    if verb == "add":
        rows.append({"exhibit": rows[-1]["exhibit"] if rows else "numbers", "duration_s": 300})
    elif verb == "remove" and 0 <= i < len(rows):
        rows.pop(i)
    elif verb == "up" and 0 < i < len(rows):
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    return None if _same_rows(rows, current) else rows


def _same_rows(a: list[dict], b: list[dict]) -> bool:
    return len(a) == len(b) and all(
        set(x) == set(y) and all(_same(x[k], y[k]) for k in x) for x, y in zip(a, b, strict=True))
