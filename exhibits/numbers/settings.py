"""``[exhibits.numbers]``: what a curator may change in "Language of the Universe: Numbers".

Imports no pygame and no torch (``kiosk.py check`` loads this). Every field documents its unit and
range where it is declared; :meth:`NumbersSettings.check` adds the cross-field rules (a ``text``
sequence needs digits; caption templates may only use their own plain ``{placeholders}``, with no
format specs, conversions, attribute or index access). Every text has a length limit (the
``max_len`` of its field) that ``kiosk.py check`` enforces; :data:`TEXT_LIMITS` names them.

Example::

    [exhibits.numbers]
    sequence = "fibonacci"
    palette = "warm"
    digit_px = 300
    max_digits = 10
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from exhibits.numbers.look import PALETTES
from exhibits.numbers.sequences import SEQUENCES
from runtime.settings import setting, template_problems

#: template field -> the placeholders it may use
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "grew_ko": ("n",), "grew_en": ("n",),
    "today_ko": ("count",), "today_en": ("count",),
    "hint_ko": ("name",), "hint_en": ("name",),
    "info_ko": (), "info_en": (),
}

#: characters each text may hold: a caption is one line on screen, the "how it works" text a
#: short paragraph; longer texts would be cut off (or, unbounded, stall the renderer)
TEXT_LIMITS: dict[str, int] = {
    "text_digits": 200,
    "grew_ko": 80, "grew_en": 80, "today_ko": 80, "today_en": 80,
    "hint_ko": 120, "hint_en": 120, "info_ko": 300, "info_en": 300,
}


def _styles() -> tuple[str, ...]:
    from models.catalog import list_styles  # no torch

    return ("",) + tuple(list_styles())


@dataclass(frozen=True)
class NumbersSettings:
    """Living digits that visitors plant, damage and regrow (see ``exhibits/numbers``).

    Attract mode (the digits writing themselves) starts when the kiosk's visit tracker says
    nobody is there (``[visits] idle_s``); ``attract_seed_s`` paces it.
    """

    #: keys this section no longer has, with why: the config loader accepts them with a warning
    #: (so an older config.toml still loads) instead of refusing them as unknown
    RETIRED: ClassVar[dict[str, str]] = {
        "idle_s": "no longer used: [visits] idle_s decides when attract mode starts",
    }

    sequence: str = setting("pi", "which digits grow, in order: pi, e, phi, sqrt2, fibonacci "
                            "(1 1 2 3 5 8 13 …), primes (2 3 5 7 11 …) or text (text_digits)",
                            choices=SEQUENCES)
    text_digits: str = setting("", "the digits for sequence = \"text\", e.g. \"1980 05 18\" "
                               "(spaces, dots and dashes only group them on screen)",
                               max_len=TEXT_LIMITS["text_digits"])
    palette: str = setting("aurora", "colours of the digits and captions: "
                           + ", ".join(PALETTES), choices=tuple(PALETTES))
    cppn_style: str = setting("", "background pattern style; empty = the palette's own "
                              "(aurora, ink, ember, tide, moire)", choices=_styles)
    background_level: float = setting(0.4, "brightness of the background pattern, 0 (black) "
                                      "… 1 (full)", range=(0.0, 1.0))
    digit_px: int = setting(320, "height of a digit's growing area in pixels on a 1080-line "
                            "screen (32 cells; scales with the screen)", range=(160, 540))
    growth_s: float = setting(2.0, "seconds a digit takes to grow from its seed cell",
                              range=(1.0, 6.0))
    max_digits: int = setting(12, "living digits on screen at most; planting more fades the "
                              "oldest", range=(1, 30))
    damage_strength: float = setting(0.85, "how much walking or dragging through digits "
                                     "erases: 0 (nothing) … 1 (every cell under the visitor)",
                                     range=(0.0, 1.0))
    damage_radius_px: int = setting(60, "radius erased around a finger or walking visitor, in "
                                    "pixels on a 1080-line screen", range=(10, 300))
    still_s: float = setting(1.0, "seconds a camera visitor must stand still to plant a seed",
                             range=(0.3, 5.0))
    attract_seed_s: float = setting(3.5, "seconds between self-planted digits in attract mode",
                                    range=(1.0, 60.0))
    sound: bool = setting(True, "each grown digit plays a note; a clap makes the digits pulse")
    info_timeout_s: float = setting(25.0, "the \"how it works\" view closes by itself after "
                                    "this many seconds", range=(5.0, 300.0))
    grew_ko: str = setting("{n}번째 숫자를 키웠어요", "caption after a visitor's digit (Korean); "
                           "{n} = the digit's number in the sequence",
                           max_len=TEXT_LIMITS["grew_ko"])
    grew_en: str = setting("you grew digit #{n}", "caption after a visitor's digit (English)",
                           max_len=TEXT_LIMITS["grew_en"])
    today_ko: str = setting("오늘 키운 숫자 {count}개", "counter of digits visitors grew today "
                            "(Korean); {count} = how many", max_len=TEXT_LIMITS["today_ko"])
    today_en: str = setting("digits grown today: {count}", "the counter in English",
                            max_len=TEXT_LIMITS["today_en"])
    hint_ko: str = setting("화면을 터치하거나 손을 흔들어 {name}의 다음 숫자를 키워 보세요",
                           "attract-mode invitation (Korean); {name} = the sequence's name",
                           max_len=TEXT_LIMITS["hint_ko"])
    hint_en: str = setting("Touch or wave to write the next digit of {name}",
                           "attract-mode invitation (English)", max_len=TEXT_LIMITS["hint_en"])
    info_ko: str = setting("각 세포는 바로 옆 이웃만 봅니다. 그런데도 작은 신경망 규칙 하나로 "
                           "모두 함께 숫자를 키우고, 지워지면 다시 자라납니다.",
                           "\"how it works\" text (Korean, about two sentences)",
                           max_len=TEXT_LIMITS["info_ko"])
    info_en: str = setting("Each cell sees only its eight neighbours. One tiny neural rule, "
                           "copied into every cell, grows the whole digit and heals it when "
                           "it is damaged.", "\"how it works\" text (English)",
                           max_len=TEXT_LIMITS["info_en"])

    def check(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self.sequence == "text" and not any(ch.isdigit() for ch in self.text_digits):
            problems.append(("text_digits", "sequence = \"text\" needs at least one digit 0-9, "
                             f"got {self.text_digits!r}"))
        bad = [ch for ch in self.text_digits if not (ch.isdigit() or ch in " .-")]
        if bad:
            problems.append(("text_digits", "may hold only digits 0-9, spaces, dots and "
                             f"dashes, got {''.join(bad)!r}"))
        for key, allowed in PLACEHOLDERS.items():
            text = getattr(self, key)
            problems += template_problems(key, text, allowed)
            if not text.strip():
                problems.append((key, "must not be empty"))
        return problems
