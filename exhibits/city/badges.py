"""City's landmark badges: a pictogram over the landmark's two names, and how a landmark shines.

A badge (the icon, ``icon_px`` square, over the Korean name in bold and the English label) sits
near its landmark. :func:`relax_badges` places all of them at once: each starts above its dot,
badges push each other apart along their smaller overlap, keep off every landmark's dot, are
pulled gently home and kept between the title and the strip (300 rounds; ~100 ms for seven
landmarks, so the exhibit keeps the result in ``ctx.store``, see ``exhibits.city.prepared``).

:class:`Badges` draws the landmarks: undiscovered ones as a slowly shimmering ring while
someone is there; a discovered one with a halo in its discoverer's colour, its dot lit, a leader
line to its badge, its pictogram (the landmarks NCA's frame, or the procedural drawing growing
in 16 cached sizes) and, once grown a third of the way, its names.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame

from exhibits.city.discovery import GROW_S, Found, ease
from exhibits.city.landmarks import Landmark
from exhibits.city.pictograms import SLOT

Rect = tuple[float, float, float, float]  # x, y, w, h in pixels


def label_text(lm: Landmark) -> tuple[str, str]:
    """The badge's two lines: Korean name, English label."""
    return lm.name_ko, lm.label_en


def badge_fonts(assets: Any, screen_h: int) -> tuple[Any, Any]:
    """(Korean bold, English) fonts of the badges."""
    return (assets.font(max(8, int(screen_h * 0.022)), bold=True),
            assets.font(max(7, int(screen_h * 0.017))))


def badge_sizes(landmarks: list[Landmark], fonts: tuple[Any, Any],
                icon_px: int) -> list[tuple[int, int]]:
    """Each badge's (width, height) in pixels."""
    f_ko, f_en = fonts
    sizes = []
    for lm in landmarks:
        ko, en = label_text(lm)
        bw = max(icon_px, f_ko.size(ko)[0], f_en.size(en)[0]) + 4
        bh = icon_px + f_ko.get_linesize() + f_en.get_linesize()
        sizes.append((bw, bh))
    return sizes


def relax_badges(points: np.ndarray, sizes: list[tuple[int, int]],
                 screen: tuple[int, int]) -> tuple[Rect, ...]:
    """Badge rectangles (x, y, w, h) px: pushed apart and off the dots, pulled home."""
    w, h = screen
    n = len(sizes)
    sz = np.array(sizes, float)
    home = points + np.array([0.0, -1.0]) * (sz[:, 1:2] / 2 + h * 0.02)
    pos = home.copy()
    top, bottom = h * 0.12, h * 0.83
    dot_r = h * 0.02
    for _ in range(300):
        for i in range(n):
            for j in range(i + 1, n):
                d = pos[j] - pos[i]
                ox = (sz[i, 0] + sz[j, 0]) / 2 + 4 - abs(d[0])
                oy = (sz[i, 1] + sz[j, 1]) / 2 + 4 - abs(d[1])
                if ox > 0 and oy > 0:  # push apart along the smaller overlap
                    if ox < oy:
                        step = np.array([ox / 2 * (1 if d[0] >= 0 else -1), 0.0])
                    else:
                        step = np.array([0.0, oy / 2 * (1 if d[1] >= 0 else -1)])
                    pos[i] -= step
                    pos[j] += step
            for j in range(n):  # keep badges off every landmark's dot
                d = points[j] - pos[i]
                ox = sz[i, 0] / 2 + dot_r - abs(d[0])
                oy = sz[i, 1] / 2 + dot_r - abs(d[1])
                if ox > 0 and oy > 0:
                    if ox < oy:
                        pos[i, 0] -= ox * (1 if d[0] >= 0 else -1)
                    else:
                        pos[i, 1] -= oy * (1 if d[1] >= 0 else -1)
        pos += (home - pos) * 0.02
        pos[:, 0] = np.clip(pos[:, 0], sz[:, 0] / 2 + 4, w - sz[:, 0] / 2 - 4)
        pos[:, 1] = np.clip(pos[:, 1], top + sz[:, 1] / 2, bottom - sz[:, 1] / 2)
    return tuple((float(pos[i, 0] - sz[i, 0] / 2), float(pos[i, 1] - sz[i, 1] / 2),
                  float(sz[i, 0]), float(sz[i, 1])) for i in range(n))


class Badges:
    """The landmarks as drawn, and what a touch on a badge hits; see the module docstring.

    Args:
        rects: each landmark's badge rect (:func:`relax_badges`).
        fonts: :func:`badge_fonts`.
        pictos: the pictograms (:class:`~exhibits.city.pictograms.Pictograms`).
        texts: a :class:`exhibits.kit.TextCache`; ``sprites`` a
            :class:`exhibits.city.passes.Sprites`.
    """

    def __init__(self, landmarks: list[Landmark], points: np.ndarray, rects: tuple[Rect, ...],
                 fonts: tuple[Any, Any], icon_px: int, pictos: Any, palette: dict,
                 screen_h: int, texts: Any, sprites: Any) -> None:
        self.landmarks, self.points, self.rects, self.fonts = landmarks, points, rects, fonts
        self.icon_px, self.pictos, self.palette = icon_px, pictos, palette
        self.screen_h, self.texts, self.sprites = screen_h, texts, sprites
        self._icons: dict[tuple, pygame.Surface] = {}
        # landmark -> (atlas frame id, its slot's premultiplied cells, the scaled icon)
        self._model_icons: dict[int, tuple[int, np.ndarray, pygame.Surface]] = {}

    def hit(self, px: float, py: float, found: dict[int, Found]) -> int | None:
        """The badge of a discovered landmark under ``(px, py)``."""
        for i in found:
            bx, by, bw, bh = self.rects[i]
            if bx <= px <= bx + bw and by <= py <= by + bh:
                return i
        return None

    def icon(self, i: int, grow: float) -> pygame.Surface | None:
        """Landmark ``i``'s pictogram at the icon size: the NCA's frame or the drawing."""
        pictos = self.pictos
        if pictos.grows(i):
            frame = pictos.latest_rgba()
            if frame is None:
                return None
            atlas, fid = frame
            cached = self._model_icons.get(i)
            if cached is not None and cached[0] == fid:
                return cached[2]
            raw = atlas[:, i * SLOT:(i + 1) * SLOT]
            if cached is not None and np.array_equal(cached[1], raw):
                # A new atlas frame, but this slot did not change (its pictogram rests while
                # another grows): keep the scaled icon (~0.1 ms to compare vs ~1 ms to rescale).
                self._model_icons[i] = (fid, cached[1], cached[2])
                return cached[2]
            rgba = np.ascontiguousarray(pictos.slot(atlas, i))
            small = pygame.image.frombuffer(rgba.tobytes(), (SLOT, SLOT), "RGBA")
            size = int(self.icon_px * SLOT / 32)  # the 32-cell pictogram fills icon_px
            surf = pygame.transform.smoothscale(small, (size, size))
            self._model_icons[i] = (fid, raw.copy(), surf)
            return surf
        step = max(1, min(16, int(round(grow * 16))))  # 16 sizes, cached
        key = (i, step)
        surf = self._icons.get(key)
        if surf is None:
            rgba = np.ascontiguousarray(pictos.fallback[self.landmarks[i].kind])
            src = pygame.image.frombuffer(rgba.tobytes(), rgba.shape[1::-1], "RGBA")
            size = max(2, int(self.icon_px * step / 16))
            surf = pygame.transform.smoothscale(src, (size, size))
            surf.set_alpha(int(255 * min(1.0, step / 12)))
            self._icons[key] = surf
        return surf

    def draw(self, surface: pygame.Surface, found: dict[int, Found], quiet: bool,
             t: float) -> None:
        h = self.screen_h
        pal = self.palette
        f_ko, f_en = self.fonts
        dot_r = max(2, int(h * 0.006))
        for i, (x, y) in enumerate(self.points):
            f = found.get(i)
            if f is None:
                if not quiet:  # a slow shimmer invites light to come closer
                    level = 0.5 + 0.5 * math.sin(t * 2.2 + i * 1.7)
                    ring = tuple(int(c * (0.25 + 0.35 * level)) for c in pal["dot"])
                    pygame.draw.circle(surface, ring, (x, y), dot_r * 3, 1)
                continue
            grow = ease((t - f.t) / GROW_S)
            pulse = 6 + int(2 * math.sin(t * 2.0 + i))
            halo = self.sprites.get("halo", max(4, int(h * 0.05)), f.colour, pulse)
            r = halo.get_width() // 2
            surface.blit(halo, (x - r, y - r), special_flags=pygame.BLEND_RGB_ADD)
            pygame.draw.circle(surface, pal["lit"], (x, y), dot_r + 1)
            bx, by, bw, bh = self.rects[i]
            icon_cx, icon_cy = bx + bw / 2, by + self.icon_px / 2
            # leader line from the dot to the badge
            tx, ty = bx + bw / 2, by + bh
            if abs(ty - y) > dot_r * 2 or abs(tx - x) > bw / 2:
                end = (min(max(x, bx), bx + bw), min(max(y, by), by + bh))
                pygame.draw.aaline(surface, tuple(int(c * 0.6 * grow) for c in f.colour),
                                   (x, y), end)
            icon = self.icon(i, grow)
            if icon is not None:
                surface.blit(icon, (icon_cx - icon.get_width() / 2,
                                    icon_cy - icon.get_height() / 2))
            if grow > 0.3:
                ko, en = label_text(self.landmarks[i])
                s1 = self.texts(ko, f_ko.get_height(), pal["text"], bold=True)
                s2 = self.texts(en, f_en.get_height(), pal["dim_text"])
                ly = by + self.icon_px
                surface.blit(s1, (bx + bw / 2 - s1.get_width() / 2, ly))
                surface.blit(s2, (bx + bw / 2 - s2.get_width() / 2, ly + f_ko.get_linesize()))

    def forget(self) -> None:
        """Drop cached icons (the exhibit leaves)."""
        self._icons.clear()
