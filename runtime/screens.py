"""Built-in screens the engine shows by itself: safe, closed, and the visit-ending warning.

None of them needs a model or a camera, and none can show an error: they are what visitors see
when something is wrong (safe), outside opening hours (closed), or just before a visit resets.
"""

from __future__ import annotations

import math
from typing import Any

import pygame

from runtime.exhibit import BaseExhibit, ExhibitContext


class _CalmScreen(BaseExhibit):
    """A slow breathing glow with two centred lines of text (Korean first)."""

    lines: tuple[str, str] = ("", "")
    glow_rgb: tuple[int, int, int] = (30, 40, 70)

    def __init__(self, ctx: ExhibitContext, settings: Any = None):
        super().__init__(ctx, settings)
        self.t = 0.0
        self._text: list[pygame.Surface] = []

    def enter(self) -> None:
        h = self.ctx.size[1]
        big, small = self.ctx.assets.font(max(14, h // 20)), self.ctx.assets.font(max(10, h // 40))
        self._text = [big.render(self.lines[0], True, (225, 230, 245)),
                      small.render(self.lines[1], True, (150, 160, 185))]

    def update(self, dt: float) -> None:
        self.t += dt

    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        w, h = self.ctx.size
        surface.fill((8, 10, 20))
        k = 0.5 + 0.5 * math.sin(self.t * 0.8)
        r, g, b = self.glow_rgb
        pygame.draw.circle(surface, (int(r * (0.6 + 0.4 * k)), int(g * (0.6 + 0.4 * k)),
                                     int(b * (0.6 + 0.4 * k))),
                           (w // 2, h // 2 - h // 10), max(8, int(h * (0.09 + 0.01 * k))))
        if not self._text:
            self.enter()
        y = h // 2 + h // 12
        for line in self._text:
            surface.blit(line, ((w - line.get_width()) // 2, y))
            y += line.get_height() + 8


class SafeScreen(_CalmScreen):
    """Shown when no exhibit can run."""

    lines = ("잠시만 기다려 주세요", "Please wait a moment")


class ClosedScreen(_CalmScreen):
    """Shown outside opening hours; ``settings`` is today's hours text (or "closed")."""

    glow_rgb = (20, 26, 50)

    def enter(self) -> None:
        hours = self.settings or ""
        if hours and hours != "closed":
            self.lines = ("지금은 운영 시간이 아닙니다 · 운영 시간 " + hours,
                          "We are closed now · Opening hours " + hours)
        else:
            self.lines = ("오늘은 휴관입니다", "Closed today — see you soon")
        super().enter()


def draw_still_there(surface: pygame.Surface, ctx_assets: Any, fraction: float) -> None:
    """The "are you still there?" fade: the picture dims and a bilingual question rises."""
    if fraction <= 0:
        return
    w, h = surface.get_size()
    shade = pygame.Surface((w, h), pygame.SRCALPHA)
    shade.fill((0, 0, 0, int(170 * fraction)))
    surface.blit(shade, (0, 0))
    big, small = ctx_assets.font(max(14, h // 18)), ctx_assets.font(max(10, h // 36))
    alpha = int(255 * min(1.0, fraction * 3))
    for i, (text, font, colour) in enumerate((
            ("아직 계신가요? 화면을 터치하세요", big, (240, 240, 250)),
            ("Still there? Touch the screen to keep going", small, (180, 188, 210)))):
        label = font.render(text, True, colour)
        label.set_alpha(alpha)
        surface.blit(label, ((w - label.get_width()) // 2, int(h * 0.42) + i * int(h * 0.09)))
