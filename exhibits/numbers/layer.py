"""Numbers' digit layer and the rings drawn over it.

:class:`DigitLayer` turns the grower's frame (``(gh, gw, 4)`` uint8 premultiplied RGBA at cell
resolution, white digits) into what the visitor sees: each cell takes the colour of its nearest
digit's seed and that digit's fade, a soft glow is added (blurred at quarter resolution, a tenth
of a full blur's cost), a clap's pulse brightens it, and the result is upscaled once and blitted
premultiplied. It recomposes at most ~30 times a second (cells change slowly; the upscale is the
cost): well under a millisecond of uint8 OpenCV maths plus one ``smoothscale`` at 1080p.

:func:`draw_marks` draws the rings: a flash where a seed was planted, a filling ring around a
camera visitor standing still, a faint eraser outline around moving visitors and dragging
fingers.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
import pygame

from exhibits.kit import TOUCH_SOURCES, Kit
from exhibits.numbers.growth import TARGET_CELLS
from exhibits.numbers.layout import HALF, Digit, Layout, Walker
from exhibits.numbers.look import Palette
from exhibits.numbers.planting import FADE_S

FLASH_S = 0.8  # the ring that answers a plant
RECOMPOSE_S = 1 / 31  # the layer is recomposed at most this often


class DigitLayer:
    """The tinted, glowing, upscaled digits (render caches only; reads state).

    ``kit`` hands the full-size surface from one showing to the next (:meth:`Kit.take_spare`).
    """

    def __init__(self, palette: Palette, grid: tuple[int, int], kit: Kit) -> None:
        self.palette, self.kit = palette, kit
        gw, gh = grid
        self._dist_tpl = self._distance_template()
        self._tint_key: tuple = ()
        self._tint = np.full((gh, gw, 4), 255, np.uint8)
        self._key: tuple = ()
        self._buf = np.zeros((gh, gw, 4), np.uint8)
        self._big: pygame.Surface | None = None
        self._composed_t = -1.0

    def draw(self, surface: pygame.Surface, garden: Any, digits: list[Digit], tint_version: int,
             pulse: float, t: float) -> None:
        """Blit the digits of ``garden``'s newest frame; ``pulse`` 0..1 brightens (a clap)."""
        if garden is None:
            return
        frame, seq = garden.latest()
        pulse = round(pulse, 2)
        tint = self._tint_map(digits, tint_version, t)
        size = surface.get_size()
        key = (seq, self._tint_key, pulse)
        stale = self._big is None or self._big.get_size() != size
        if stale or (key != self._key and t - self._composed_t >= RECOMPOSE_S):
            self._key, self._composed_t = key, t
            self._compose(frame, tint, pulse, size)
        surface.blit(self._big, (0, 0), special_flags=pygame.BLEND_PREMULTIPLIED)

    def forget(self) -> None:
        """Give the full-size surface to the next showing (the exhibit leaves; every pixel is
        rewritten by the next compose)."""
        if self._big is not None:
            self.kit.give_spare(("numbers.layer", self._big.get_size()), self._big)
            self._big = None

    def _tint_map(self, digits: list[Digit], tint_version: int, t: float) -> np.ndarray:
        """(gh, gw, 4) uint8 multipliers in BGRA order (255 = 1): each cell takes the colour of
        its nearest digit's seed and that digit's fade (colour and alpha)."""
        fading = tuple(round(min(1.0, (t - d.fade_t) / FADE_S), 2)
                       for d in digits if d.fade_t is not None)
        key = (tint_version, fading)
        if key == self._tint_key:
            return self._tint
        self._tint_key = key
        tint = self._tint
        r, g, b = self.palette.digits[len(self.palette.digits) // 2]
        tint[:] = (b, g, r, 255)
        gh, gw = tint.shape[:2]
        best = np.full((gh, gw), np.inf, np.float32)
        for d in digits:
            x0, y0, x1, y1 = d.box
            region = (slice(y0, y1), slice(x0, x1))
            dist = self._dist_tpl[: y1 - y0, : x1 - x0]
            closer = dist < best[region]
            best[region][closer] = dist[closer]
            fade = 1.0 if d.fade_t is None else max(0.0, 1.0 - (t - d.fade_t) / FADE_S)
            r, g, b = (round(c * fade) for c in d.colour)
            tint[region][closer] = (b, g, r, round(255 * fade))
        return tint

    @staticmethod
    def _distance_template() -> np.ndarray:
        ys, xs = np.mgrid[0:TARGET_CELLS, 0:TARGET_CELLS].astype(np.float32) - (HALF - 0.5)
        return xs * xs + 0.4 * ys * ys  # digits are tall: distance counts rows less

    def _compose(self, frame: np.ndarray, tint: np.ndarray, pulse: float,
                 size: tuple[int, int]) -> None:
        """Tint the cell frame, add a soft glow, upscale once (premultiplied, BGRA order =
        pygame's ARGB8888 in memory)."""
        buf = self._buf
        bgra = cv2.cvtColor(frame, cv2.COLOR_RGBA2BGRA)
        lit = cv2.multiply(bgra, tint, scale=(1.0 + 0.9 * pulse) / 255.0)
        # the glow: blurred at quarter resolution, stretched back (a tenth of a full blur)
        gh, gw = buf.shape[:2]
        quarter = cv2.resize(lit, (max(1, gw // 4), max(1, gh // 4)),
                             interpolation=cv2.INTER_AREA)
        glow = cv2.resize(cv2.GaussianBlur(quarter, (0, 0), 0.8), (gw, gh),
                          interpolation=cv2.INTER_LINEAR)
        cv2.addWeighted(lit, 1.0, glow, 0.55 + 1.4 * pulse, 0.0, dst=buf)
        # alpha stays the cells' own (the glow is added light), and ≥ 1 everywhere because
        # pygame skips alpha-0 pixels in premultiplied blits (1/255 dims the field by 0.4%)
        np.maximum(lit[..., 3], 1, out=buf[..., 3])
        small = pygame.image.frombuffer(buf, (gw, gh), "BGRA")
        if self._big is None or self._big.get_size() != size:
            self._big = self.kit.take_spare(("numbers.layer", tuple(size)),
                                            lambda: pygame.Surface(size, pygame.SRCALPHA, 32))
        if small.get_masks() == self._big.get_masks():
            pygame.transform.smoothscale(small, size, self._big)
        else:  # an unusual pixel format: pay for a conversion
            self._big = pygame.transform.smoothscale(small, size)


def draw_marks(surface: pygame.Surface, layout: Layout, palette: Palette, digits: list[Digit],
               walkers: dict[str, Walker], radius: float, still_s: float, t: float) -> None:
    """Rings: a flash where a seed was planted, a filling ring around a visitor standing still
    (``still_s`` to fill), a faint eraser ring (``radius`` cells) around moving visitors and
    dragging fingers."""
    lay = layout
    hl = palette.highlight
    unit = max(1, round(lay.cell_px))
    for d in digits:
        age = t - d.flash_t
        if 0 <= age < FLASH_S:
            k = age / FLASH_S
            r = round((1.5 + 10 * k) * lay.cell_px)
            col = tuple(int(c * (1 - k)) for c in hl)
            pygame.draw.circle(surface, col, lay.to_px(d.cx, d.cy), r, max(1, unit // 3 + 1))
    r_px = round(radius * lay.cell_px)
    for w in walkers.values():
        x, y = round(w.pos[0] * lay.size[0]), round(w.pos[1] * lay.size[1])
        if w.source in TOUCH_SOURCES:
            if w.dragging and not w.consumed:
                pygame.draw.circle(surface, palette.dim, (x, y), r_px, 1)
            continue
        still = t - w.anchor_t
        if not w.planted and still > 0.2:
            k = min(1.0, (still - 0.2) / max(0.05, still_s - 0.2))
            rect = pygame.Rect(0, 0, 2 * r_px, 2 * r_px)
            rect.center = (x, y)
            pygame.draw.arc(surface, hl, rect, math.pi / 2, math.pi / 2 + 2 * math.pi * k,
                            max(2, unit // 2))
        elif math.hypot(*w.vel) > 0.02:  # what a walking visitor erases
            rect = pygame.Rect(0, 0, round(2 * w.reach[0] * lay.cell_px),
                               round(2 * w.reach[1] * lay.cell_px))
            rect.center = (x, y)
            pygame.draw.ellipse(surface, palette.dim, rect, 1)
