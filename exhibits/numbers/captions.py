"""Numbers' caption band: the sequence so far, what the visitor did, today's count, the title.

The band at the bottom (a translucent gradient, 15 % of the height) holds, Korean first:

* the sequence up to the newest digit (the newest highlighted and a little larger), cut from the
  left with "…" to fit, and today's counter at its right;
* below it the invitation (attract mode, or before anyone planted in this visit; it breathes)
  or "42번째 숫자를 키웠어요 · you grew digit #42";
* the exhibit's title at the top left of the screen.

Texts come from the settings' templates, filled with :func:`runtime.settings.fill_template`.
Rendered text is cached (:class:`exhibits.kit.TextCache`); the band once per size.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame

from exhibits.kit import TextCache
from exhibits.numbers.layout import Layout
from exhibits.numbers.look import Palette
from exhibits.numbers.planting import Planting
from exhibits.numbers.settings import NumbersSettings
from runtime.settings import fill_template

TITLE = "수의 언어 · Language of the Universe: Numbers"


class Captions:
    """The band's texts and drawing; see the module docstring."""

    def __init__(self, settings: NumbersSettings, palette: Palette, layout: Layout, assets: Any,
                 texts: TextCache) -> None:
        self.settings, self.palette, self.layout = settings, palette, layout
        self.assets, self.texts = assets, texts
        self._band: pygame.Surface | None = None

    def lines(self, planting: Planting, attract: bool,
              max_chars: int = 40) -> tuple[str, str, str, str]:
        """(sequence up to the newest digit, newest digit, message line, today's counter).

        The message is the invitation (attract mode, or before anyone planted in this visit) or
        "you grew digit #n" for the latest visitor digit; Korean first, then English.
        """
        s = self.settings
        seq = planting.sequence
        if seq is None:
            return "", "", "", ""
        count = planting.next_index
        head, newest = seq.caption(count, max(12, max_chars - len(seq.prefix)))
        grown = planting.visitor_count
        # fill_template, not str.format: settings built in code skip the config's template check
        today = f"{fill_template(s.today_ko, count=grown)} · " \
                f"{fill_template(s.today_en, count=grown)}"
        if attract or planting.last_grown is None:
            msg = (f"{fill_template(s.hint_ko, name=seq.name_ko)} · "
                   f"{fill_template(s.hint_en, name=seq.name_en)}")
        else:
            n = planting.last_grown.number
            msg = f"{fill_template(s.grew_ko, n=n)} · {fill_template(s.grew_en, n=n)}"
        return seq.prefix + head + ("" if newest else "…"), newest, msg, today

    def _band_surface(self, size: tuple[int, int]) -> pygame.Surface:
        w, _ = size
        bh = self.layout.band_h
        if self._band is None or self._band.get_size() != (w, bh):
            ramp = np.clip(np.linspace(0.0, 1.6, bh), 0, 1) ** 0.8 * 225
            band = pygame.Surface((w, bh), pygame.SRCALPHA)
            band.fill((*self.palette.band, 0))
            alpha = pygame.surfarray.pixels_alpha(band)
            alpha[:] = ramp.astype(np.uint8)[None, :]
            del alpha
            self._band = band
        return self._band

    def draw(self, surface: pygame.Surface, planting: Planting, attract: bool, t: float) -> None:
        """The band: the sequence (newest digit highlighted) with today's counter at its right,
        then the invitation or "you grew digit #n" below; the title at the top left."""
        w, h = surface.get_size()
        pal = self.palette
        text = self.texts
        band = self._band_surface((w, h))
        top = h - band.get_height()
        surface.blit(band, (0, top))
        big = max(10, round(0.046 * h))
        small = max(8, round(0.025 * h))
        margin = round(0.035 * w)
        right = self.lines(planting, attract)[3]
        right_s = text(right, small, pal.dim)
        digit_w = max(1, self.assets.font(big, True).size("0")[0])
        room = w - 2 * margin - right_s.get_width() - 2 * digit_w
        head, newest, msg, _ = self.lines(planting, attract, max(12, room // digit_w - 2))
        y1 = top + round(0.2 * self.layout.band_h)
        head_s = text(head, big, pal.text, True)
        surface.blit(head_s, (margin, y1))
        if newest:
            new_s = text(newest, round(big * 1.15), pal.highlight, True)
            surface.blit(new_s, (margin + head_s.get_width() + round(0.1 * big),
                                 y1 + head_s.get_height() - new_s.get_height()))
        surface.blit(right_s, (w - margin - right_s.get_width(),
                               y1 + head_s.get_height() - right_s.get_height()))
        y2 = y1 + head_s.get_height() + round(0.3 * small)
        msg_s = text(msg, small, pal.highlight if attract else pal.text)
        # the invitation breathes (surface alpha on the cached text: no re-render)
        msg_s.set_alpha(round(255 * (0.7 + 0.3 * math.sin(t * 2.2))) if attract else 255)
        surface.blit(msg_s, (margin, y2))
        title = text(TITLE, small, pal.dim)
        surface.blit(title, (margin, round(0.045 * h)))

    def forget(self) -> None:
        """Drop render caches (the exhibit leaves)."""
        self._band = None
