"""City's drawing passes that are not a room of their own (they read state, never change it).

In the exhibit's order: the base map (:mod:`exhibits.city.basemap`), :class:`GlowPass` (the
visitors' light, upscaled), :func:`draw_edges` (connections between found landmarks; sparks in
the celebration), the landmarks (:mod:`exhibits.city.badges`), :func:`draw_visitors` (a bright
core at each visitor, then the ghosts), :func:`draw_bursts`, the cards
(:mod:`exhibits.city.cards`) and :func:`draw_strip` (the hint, the progress or the celebration
message, and one small light per landmark).

Light is added (``BLEND_RGB_ADD``) with opaque black-backed radial sprites from :class:`Sprites`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame

from exhibits.city.discovery import BURST_S, SPARK_SPEED, Discovery, ease
from exhibits.city.glow import GlowTexture, shade
from exhibits.city.light import LightField, brightest
from runtime.settings import fill_template


def radial_sprite(radius: int, colour, power: float = 2.0) -> pygame.Surface:
    """An opaque black-backed radial gradient for additive blits (centre = ``colour``)."""
    size = 2 * radius + 1
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1].astype(np.float32)
    d = np.sqrt(xx * xx + yy * yy) / max(1, radius)
    g = np.clip(1.0 - d, 0.0, 1.0) ** power
    rgb = (g[:, :, None] * np.asarray(colour, np.float32)[None, None, :]).astype(np.uint8)
    surf = pygame.Surface((size, size))
    pygame.surfarray.blit_array(surf, rgb.transpose(1, 0, 2))
    return surf


class Sprites:
    """Radial sprites by ``(kind, radius, colour, level)``: ``"core"`` (a sharp centre) or
    ``"halo"`` (softer); ``level`` 0..8 dims the colour in eighths."""

    def __init__(self) -> None:
        self._cache: dict[tuple, pygame.Surface] = {}

    def get(self, kind: str, radius: int, colour, level: int = 8) -> pygame.Surface:
        key = (kind, radius, tuple(colour), level)
        s = self._cache.get(key)
        if s is None:
            c = tuple(v * level / 8 for v in colour)
            s = radial_sprite(radius, c, 2.0 if kind == "core" else 1.4)
            self._cache[key] = s
        return s

    def clear(self) -> None:
        self._cache.clear()


class GlowPass:
    """Adds the upscaled glow. Its pixels are recomputed every other frame unless the light
    changed by more than one update step; in between the last upscale is added again. Only the
    lit bounding box is shaded and upscaled. The visitors' bright cores are drawn every frame
    (:func:`draw_visitors`), so light still follows at the frame rate."""

    def __init__(self, light: LightField, glow: GlowTexture, size: tuple[int, int],
                 amount: float, stages: Any, spares: Any) -> None:
        """``spares``: the exhibit's :class:`~exhibits.kit.Kit` (``take_spare`` / ``give_spare``:
        scratch surfaces kept in ``ctx.store`` across showings)."""
        self.light, self.glow, self.size, self.amount, self.stages = light, glow, size, amount, \
            stages
        self.spares = spares
        cols, rows = light.cols, light.rows
        self._small = pygame.Surface((cols, rows))
        # only upscaled pixels are read, so a surface another pass gave back will do
        self._big: pygame.Surface | None = spares.take_spare(("city.glow", tuple(size)),
                                                      lambda: pygame.Surface(size))
        self._px = np.zeros((rows, cols, 3), np.uint8)
        self._scratch = np.zeros((rows, cols, 3), np.float32)
        self._rect: tuple[int, int, int, int] | None = None
        self._steps = -1
        self._draws = 0

    def release(self) -> None:
        """Hand the scratch surface on to the next pass of this size (the exhibit leaves)."""
        if self._big is not None:
            self.spares.give_spare(("city.glow", self._big.get_size()), self._big)
            self._big, self._rect = None, None

    def draw(self, surface: pygame.Surface, steps: int) -> None:
        """``steps``: the exhibit's update steps so far (the light changes once per step)."""
        if self._big is None:
            self._big, self._rect = pygame.Surface(self.size), None
        with self.stages.measure("glow"):
            self._draws += 1
            cached = self._rect
            if self._draws % 2 == 1 and cached is not None and steps - self._steps <= 1:
                pass  # reuse: at most one update step changed the light since the last upscale
            else:
                cached = self._upscale(steps)
            if cached is not None:
                surface.blit(self._big, cached[:2], cached, special_flags=pygame.BLEND_RGB_ADD)

    def _upscale(self, steps: int) -> tuple[int, int, int, int] | None:
        light = self.light
        combined = light.combined()
        lum = brightest(combined)
        box = light.bbox(lum)
        self._steps = steps
        if box is None:
            self._rect = None
            return None
        texture, _ = self.glow.latest()
        shade(combined, lum, texture, self.amount, self._px, self._scratch)
        pygame.surfarray.blit_array(self._small, self._px.transpose(1, 0, 2))
        w, h = self.size
        x0, y0, x1, y1 = box
        x0, y0 = max(0, x0 - 1), max(0, y0 - 1)
        x1, y1 = min(light.cols, x1 + 1), min(light.rows, y1 + 1)
        sx, sy = w / light.cols, h / light.rows
        px0, py0 = int(round(x0 * sx)), int(round(y0 * sy))
        px1, py1 = min(w, int(round(x1 * sx))), min(h, int(round(y1 * sy)))
        if px1 <= px0 or py1 <= py0:
            self._rect = None
            return None
        src = self._small.subsurface((x0, y0, x1 - x0, y1 - y0))
        dst = self._big.subsurface((px0, py0, px1 - px0, py1 - py0))
        pygame.transform.smoothscale(src, dst.get_size(), dst)
        self._rect = (px0, py0, px1 - px0, py1 - py0)
        return self._rect


def draw_edges(surface: pygame.Surface, discovery: Discovery, points: Any, lit: tuple,
               sprites: Sprites, screen_h: int, t: float) -> None:
    """Connections between found landmarks, easing in; all of them, pulsing and with a
    travelling spark each, during the celebration."""
    h = screen_h
    width = max(1, h // 360)
    celebrating = discovery.celebrating(t)
    for k, (a, b) in enumerate(discovery.edges):
        level = discovery.edge_lit(a, b, t)
        if level <= 0:
            continue
        pa, pb = points[a], points[b]
        if celebrating:
            level = 0.75 + 0.25 * math.sin(t * 6 + k)
        colour = tuple(int(c * (0.35 + 0.5 * level)) for c in lit)
        pygame.draw.line(surface, colour, pa, pb, width + (1 if celebrating else 0))
        pygame.draw.aaline(surface, colour, pa, pb)
        if celebrating:
            age = t - discovery.celebrate_t
            u = (age * SPARK_SPEED + k * 0.13) % 1.0
            x, y = pa + (pb - pa) * u
            spark = sprites.get("core", max(3, int(h * 0.02)), lit)
            r = spark.get_width() // 2
            surface.blit(spark, (x - r, y - r), special_flags=pygame.BLEND_RGB_ADD)


def core_radius(screen_h: int) -> int:
    """The radius in pixels of a visitor's bright core (a ghost's is half)."""
    return max(3, int(screen_h * 0.045))


def draw_visitors(surface: pygame.Surface, visitors: dict, colours: dict, default: tuple,
                  sprites: Sprites, size: tuple[int, int]) -> None:
    """A bright core at each visitor's present position, even before the next update step
    (the latency a visitor sees is one frame, not one step)."""
    w, h = size
    r = core_radius(h)
    for vid, ev in visitors.items():
        core = sprites.get("core", r, colours.get(vid, default))
        surface.blit(core, (ev.pos[0] * w - r, ev.pos[1] * h - r),
                     special_flags=pygame.BLEND_RGB_ADD)


def draw_bursts(surface: pygame.Surface, bursts: list, size: tuple[int, int], t: float) -> None:
    """Rings that widen and fade where landmarks were found."""
    w, h = size
    for x, y, t0, colour in bursts:
        age = t - t0
        if age < 0:
            continue
        u = age / BURST_S
        radius = int(h * (0.02 + 0.14 * ease(u)))
        c = tuple(int(v * (1 - u)) for v in colour)
        pygame.draw.circle(surface, c, (x * w, y * h), radius, max(1, int(h * 0.004)))


def draw_strip(surface: pygame.Surface, settings: Any, palette: dict, texts: Any,
               discovery: Discovery, total: int, quiet: bool, size: tuple[int, int],
               t: float) -> None:
    """The bottom strip: the breathing hint while quiet; else the celebration message, or the
    progress "3 / 7 곳 발견 · 3 / 7 places discovered" with one small light per landmark."""
    w, h = size
    s, pal = settings, palette
    px = max(9, int(h * 0.03))
    cy = h * 0.915
    if quiet:
        alpha = int(255 * (0.6 + 0.4 * math.sin(t * 1.6)))  # a slow breath
        for text, sz, bold, y in ((s.hint_ko, px, True, cy - px * 0.6),
                                  (s.hint_en, int(px * 0.8), False, cy + px * 0.55)):
            label = texts(text, sz, pal["text"], bold)
            label.set_alpha(alpha)
            centre(surface, label, y)
            label.set_alpha(None)
        return
    found = discovery.found
    if discovery.celebrate_t is not None and s.celebration:
        centre(surface, texts(s.celebrate_ko, px, pal["lit"], True), cy - px * 0.6)
        centre(surface, texts(s.celebrate_en, int(px * 0.8), pal["lit"]), cy + px * 0.55)
        return
    # fill_template, not str.format: settings built in code skip the config's template check
    text = (f"{fill_template(s.progress_ko, found=len(found), total=total)}  ·  "
            f"{fill_template(s.progress_en, found=len(found), total=total)}")
    label = texts(text, px, pal["text"])
    centre(surface, label, cy)
    r = max(2, int(h * 0.006))
    gap = r * 4
    x0 = w / 2 - (total - 1) * gap / 2
    y = cy + label.get_height() * 0.75
    for i in range(total):
        f = found.get(i)
        colour = f.colour if f else tuple(int(c * 0.4) for c in pal["dot"])
        pygame.draw.circle(surface, colour, (x0 + i * gap, y), r)


def centre(surface: pygame.Surface, text: pygame.Surface, cy: float) -> None:
    """Blit ``text`` centred horizontally with its middle at ``cy``."""
    surface.blit(text, (surface.get_width() / 2 - text.get_width() / 2,
                        cy - text.get_height() / 2))
