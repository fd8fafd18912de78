"""Numbers' ⓘ: "how do the digits grow?", a live close-up of the cells.

The ⓘ button (top right) opens a panel with a close-up of :data:`CROP` × :data:`CROP` cells
around the newest digit, one living cell outlined with the eight neighbours it sees, four of
the hidden channels beside it, and two sentences (Korean, then English) on how each cell sees
only its neighbours. Any touch closes it, and it closes by itself after ``info_timeout_s``.

While open, the grower is asked for a crop of its state every :data:`SNAPSHOT_EVERY_S`
(:meth:`~exhibits.numbers.growth.Garden.request_snapshot`: ``(4 + HIDDEN_SHOWN, CROP, CROP)``
float32, RGBA then hidden channels). The panel's text is drawn once per size; the live part
once per new snapshot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pygame

from exhibits.kit import TextCache
from exhibits.numbers.growth import HIDDEN_SHOWN
from exhibits.numbers.layout import Digit, Layout
from exhibits.numbers.look import Palette
from exhibits.numbers.settings import NumbersSettings

CROP = 24  # cells per side of the close-up
SNAPSHOT_EVERY_S = 0.1  # the close-up's refresh
FOCUS_EVERY_S = 1.5  # the outlined cell moves on this often
CHANNEL_COLOURS = ((90, 220, 255), (255, 110, 200), (255, 200, 80), (140, 255, 140))


class InfoPanel:
    """Whether ⓘ is open, the snapshots it asks for, and its drawing; see the module docstring."""

    def __init__(self, settings: NumbersSettings, palette: Palette, layout: Layout, assets: Any,
                 texts: TextCache) -> None:
        self.settings, self.palette, self.layout = settings, palette, layout
        self.assets, self.texts = assets, texts
        self.open_t: float | None = None
        self._next_snapshot_t = 0.0
        # render caches (draw only)
        self._panel: pygame.Surface | None = None
        self._live: pygame.Surface | None = None
        self._live_key: tuple = ()
        self._grids: dict[int, pygame.Surface] = {}

    # --- state (from update and input) -------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.open_t is not None

    def open(self, t: float) -> None:
        self.open_t = t
        self._next_snapshot_t = t

    def close(self) -> None:
        self.open_t = None

    def update(self, t: float, garden: Any, newest: Digit | None) -> None:
        """Close after ``info_timeout_s``; while open, ask ``garden`` for fresh snapshots."""
        if self.open_t is None:
            return
        if t - self.open_t >= self.settings.info_timeout_s:
            self.open_t = None
        elif t >= self._next_snapshot_t and garden is not None:
            self._next_snapshot_t = t + SNAPSHOT_EVERY_S
            garden.request_snapshot(self.crop_box(newest))

    def crop_box(self, newest: Digit | None) -> tuple[int, int, int, int]:
        """The close-up's cells: around ``newest``'s seed, or the grid's centre."""
        gw, gh = self.layout.grid
        cx, cy = (newest.cx, newest.cy) if newest is not None else (gw // 2, gh // 2)
        x0 = min(max(0, cx - CROP // 2), gw - CROP)
        y0 = min(max(0, cy - CROP // 2), gh - CROP)
        return x0, y0, x0 + CROP, y0 + CROP

    # --- drawing --------------------------------------------------------------------------------
    def draw_button(self, surface: pygame.Surface) -> None:
        bx, by, r = self.layout.button
        col = self.palette.highlight if self.open_t is not None else self.palette.text
        pygame.draw.aacircle(surface, col, (bx, by), r, max(1, r // 12))
        glyph = self.texts("i", round(1.3 * r), col, True)
        surface.blit(glyph, glyph.get_rect(center=(bx, by + 1)))

    def draw(self, surface: pygame.Surface, snap: np.ndarray | None, newest: Digit | None,
             t: float) -> None:
        """The open panel; ``snap`` is the garden's newest snapshot (None before the first)."""
        size = surface.get_size()
        g = self._geometry(size)
        if self._panel is None or self._panel.get_size() != (g["pw"], g["ph"]):
            self._panel = self._static(size, g)
        surface.blit(self._panel, (g["px"], g["py"]))
        focus = self._focus_cell(snap, t)
        key = (id(snap), focus, size)
        if key != self._live_key or self._live is None:
            self._live_key = key
            live = pygame.Surface((g["live_w"], g["big"]), 0, surface)
            live.fill(self.palette.band)
            colour = newest.colour if newest else self.palette.digits[0]
            self._draw_closeup(live, snap, colour, focus, (0, 0), g["big"])
            tx = g["big"] + g["pad"]
            for i in range(HIDDEN_SHOWN):
                ox = tx + (i % 2) * (g["tile"] + g["pad"] // 2)
                oy = (i // 2) * (g["tile"] + g["pad"] // 2)
                self._draw_channel(live, snap, i, (ox, oy), g["tile"])
            self._live = live
        surface.blit(self._live, (g["px"] + g["pad"], g["py"] + g["top"]))

    def forget(self) -> None:
        """Drop render caches (the exhibit leaves)."""
        self._panel = self._live = None
        self._grids.clear()

    @staticmethod
    def _geometry(size: tuple[int, int]) -> dict[str, int]:
        w, h = size
        pw, ph = round(0.74 * w), round(0.72 * h)
        pad = round(0.03 * h)
        title_px = max(10, round(0.036 * h))
        top = pad + round(title_px * 1.3) + pad // 2
        big = round(0.40 * h)
        tile = (big - pad // 2) // 2
        return {"px": (w - pw) // 2, "py": round(0.06 * h), "pw": pw, "ph": ph, "pad": pad,
                "title_px": title_px, "top": top, "big": big, "tile": tile,
                "live_w": big + pad + 2 * tile + pad // 2}

    def _static(self, size: tuple[int, int], g: dict[str, int]) -> pygame.Surface:
        w, h = size
        pal = self.palette
        font = self.assets.font
        pw, ph, pad = g["pw"], g["ph"], g["pad"]
        panel = pygame.Surface((pw, ph), pygame.SRCALPHA)
        panel.fill((*pal.band, 235))
        pygame.draw.rect(panel, pal.dim, (0, 0, pw, ph), 1)
        title = font(g["title_px"], True).render(
            "어떻게 자라나요? · How do the digits grow?", True, pal.text)
        panel.blit(title, (pad, pad))
        small = max(8, round(0.02 * h))
        cap = font(small).render("숨은 채널 4개 · 4 hidden channels", True, pal.dim)
        panel.blit(cap, (pad + g["big"] + pad, g["top"] + g["big"] + round(0.01 * h)))
        body_px = max(8, round(0.024 * h))
        body = font(body_px)
        y = g["top"] + g["big"] + round(0.05 * h)
        for line in self._wrap(self.settings.info_ko, body_px, pw - 2 * pad) + \
                self._wrap(self.settings.info_en, body_px, pw - 2 * pad):
            text = body.render(line, True, pal.text)
            panel.blit(text, (pad, y))
            y += round(text.get_height() * 1.1)
        hint = font(small).render("화면을 터치하면 닫혀요 · touch to close", True, pal.dim)
        panel.blit(hint, (pw - pad - hint.get_width(), pad))
        return panel

    def _wrap(self, text: str, px: int, width: int) -> list[str]:
        font = self.assets.font(px)
        lines, line = [], ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if line and font.size(trial)[0] > width:
                lines.append(line)
                line = word
            else:
                line = trial
        return [*lines, line] if line else lines

    def _grid(self, size: int) -> pygame.Surface:
        g = self._grids.get(size)
        if g is None:
            g = pygame.Surface((size, size), pygame.SRCALPHA)
            step = size / CROP
            for i in range(CROP + 1):
                p = round(i * step)
                pygame.draw.line(g, (255, 255, 255, 40), (p, 0), (p, size))
                pygame.draw.line(g, (255, 255, 255, 40), (0, p), (size, p))
            self._grids[size] = g
        return g

    def _draw_closeup(self, surface: pygame.Surface, snap: np.ndarray | None,
                      digit_colour: tuple[int, int, int], focus: tuple[int, int],
                      at: tuple[int, int], size: int) -> None:
        pal = self.palette
        colour = np.asarray(digit_colour, np.float32)
        if snap is not None:
            a = np.clip(snap[3], 0, 1)
            rgb = np.clip(snap[:3], 0, 1).transpose(1, 2, 0) * colour + \
                (1 - a)[..., None] * np.asarray(pal.band, np.float32)
        else:
            rgb = np.zeros((CROP, CROP, 3), np.float32) + np.asarray(pal.band, np.float32)
        small = pygame.surfarray.make_surface(np.clip(rgb, 0, 255).astype(np.uint8)
                                              .transpose(1, 0, 2))
        surface.blit(pygame.transform.scale(small, (size, size)), at)
        surface.blit(self._grid(size), at)
        # one cell and the eight neighbours it sees
        step = size / CROP
        cx, cy = focus
        rect = pygame.Rect(at[0] + round((cx - 1) * step), at[1] + round((cy - 1) * step),
                           round(3 * step), round(3 * step))
        pygame.draw.rect(surface, pal.highlight, rect, max(1, round(step / 6)))
        pygame.draw.rect(surface, pal.highlight, rect.inflate(-round(2 * step),
                                                               -round(2 * step)))

    @staticmethod
    def _focus_cell(snap: np.ndarray | None, t: float) -> tuple[int, int]:
        """A living cell near the edge of the pattern, changing every FOCUS_EVERY_S."""
        if snap is None:
            return CROP // 2, CROP // 2
        alive = np.argwhere(snap[3] > 0.1)
        if len(alive) == 0:
            return CROP // 2, CROP // 2
        inner = alive[(alive[:, 0] > 0) & (alive[:, 0] < CROP - 1) & (alive[:, 1] > 0)
                      & (alive[:, 1] < CROP - 1)]
        pick = inner if len(inner) else alive
        k = int(t / FOCUS_EVERY_S) * 7919 % len(pick)
        y, x = pick[k]
        return int(x), int(y)

    def _draw_channel(self, surface: pygame.Surface, snap: np.ndarray | None, i: int,
                      at: tuple[int, int], size: int) -> None:
        col = np.asarray(CHANNEL_COLOURS[i], np.float32)
        if snap is not None and snap.shape[0] > 4 + i:
            v = np.tanh(snap[4 + i] * 1.5)
            alive = (snap[3] > 0.05)[..., None]
            pos = np.clip(v, 0, 1)[..., None] * col
            neg = np.clip(-v, 0, 1)[..., None] * (255 - col) * 0.6
            rgb = (pos + neg) * alive + 12
        else:
            rgb = np.full((CROP, CROP, 3), 12, np.float32)
        small = pygame.surfarray.make_surface(np.clip(rgb, 0, 255).astype(np.uint8)
                                              .transpose(1, 0, 2))
        surface.blit(pygame.transform.scale(small, (size, size)), at)
        if size >= 4 * CROP:
            surface.blit(self._grid(size), at)
        label = self.texts(f"{i + 1}", max(8, round(0.02 * self.layout.size[1])),
                           tuple(int(c) for c in col), True)
        surface.blit(label, (at[0] + 4, at[1] + 2))
