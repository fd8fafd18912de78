"""Do captions fit their space on screen? Measured in the kiosk's own font at 1920×1080.

Each caption the exhibits draw on one line has a rule here: its font height and the width it may
take, as fractions of the screen, mirroring the exhibit's drawing code (Numbers draws its message
line "한국어 · English" at 2.5 % of the height across the band; City centres its hint at 3 % of the
height). Placeholders are filled with long sample values (``{n}`` = 1234, the longest sequence
name) so a caption that fits here fits on the kiosk. Texts that wrap (the "how it works"
paragraphs, card descriptions) have no rule and are not measured.

Uses pygame's font module only (no display). Failure modes: without a Korean font the measure is
pygame's bundled Latin font (Hangul would show as boxes on the kiosk too); ``doctor`` says so.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from runtime.settings import fill_template

REF_W, REF_H = 1920, 1080
SAMPLE = {"n": 1234, "count": 999, "name": "피보나치 수열", "found": 12, "total": 12}
SAMPLE_EN = {**SAMPLE, "name": "the Fibonacci numbers"}


@dataclass(frozen=True)
class Rule:
    """``height`` and ``room`` as fractions of the screen; ``joined``: drawn as "ko · en"."""

    height: float
    room: float
    bold: bool = False
    joined: str = ""


RULES: dict[str, Rule] = {
    "exhibits.numbers.grew": Rule(0.025, 0.93, joined=" · "),
    "exhibits.numbers.hint": Rule(0.025, 0.93, joined=" · "),
    "exhibits.numbers.today": Rule(0.025, 0.40, joined=" · "),
    "exhibits.city.title_ko": Rule(0.042, 0.60, bold=True),
    "exhibits.city.title_en": Rule(0.022, 0.60),
    "exhibits.city.hint_ko": Rule(0.030, 0.94, bold=True),
    "exhibits.city.hint_en": Rule(0.024, 0.94),
    "exhibits.city.celebrate_ko": Rule(0.030, 0.94, bold=True),
    "exhibits.city.celebrate_en": Rule(0.024, 0.94),
    "exhibits.city.progress": Rule(0.030, 0.94, joined="  ·  "),
}

_lock = threading.Lock()
_fonts: dict[tuple[int, bool], object] = {}


def _font(px: int, bold: bool):
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from runtime.assets import find_font

    with _lock:
        if not pygame.font.get_init():
            pygame.font.init()
        font = _fonts.get((px, bold))
        if font is None:
            path = find_font(bold) or find_font(False)
            font = pygame.font.Font(str(path) if path else None, px)
            _fonts[(px, bold)] = font
        return font


def measure(key_ko: str, ko: str, en: str | None = None) -> dict | None:
    """How wide a caption (or a ko/en pair) is on a 1080-line screen against its room.

    ``key_ko`` is the Korean field's key path (``exhibits.numbers.grew_ko``); returns None when no
    rule applies. The dict holds ``width_px``, ``room_px``, ``fits`` and, for a pair measured
    separately, the English line's figures under ``en``.
    """
    base = key_ko.removesuffix("_ko")
    joined = RULES.get(base)
    if joined is not None:
        text = (fill_template(ko, **SAMPLE) + joined.joined
                + fill_template(en or "", **SAMPLE_EN))
        return _one(joined, text)
    rule = RULES.get(key_ko)
    if rule is None:
        return None
    out = _one(rule, fill_template(ko, **SAMPLE))
    rule_en = RULES.get(base + "_en")
    if en is not None and rule_en is not None:
        out["en"] = _one(rule_en, fill_template(en, **SAMPLE_EN))
        out["fits"] = out["fits"] and out["en"]["fits"]
    return out


def _one(rule: Rule, text: str) -> dict:
    font = _font(max(8, round(rule.height * REF_H)), rule.bold)
    width = font.size(text[:400])[0]
    room = round(rule.room * REF_W)
    return {"width_px": width, "room_px": room, "fits": width <= room,
            "percent": round(100 * width / room)}
