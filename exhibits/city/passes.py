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
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import cv2
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


def _glow_buffer(size: tuple[int, int]) -> tuple[np.ndarray, pygame.Surface]:
    """A (h, w, 4) uint8 pixel array in B, G, R, A byte order and a surface over the same memory
    (``pygame.image.frombuffer``: writing the array changes the surface, no copy)."""
    w, h = size
    arr = np.zeros((h, w, 4), np.uint8)
    return arr, pygame.image.frombuffer(arr, (w, h), "BGRA")


class GlowPass:
    """Adds the upscaled glow; the shading and the upscale run off the render thread.

    The glow is the light field (a few thousand cells) seen through the CPPN texture and upscaled
    to the screen. Upscaling it is the most expensive pixel work of a City frame: in a 30 s bench
    at 1080p, the worst 2% of frames spent 8 ms in this pass, 3.4 ms of it on the upscale and
    1.6 ms on the shading. So the live kiosk shades and upscales on a worker thread (OpenCV's
    ``resize`` releases the GIL) into a back buffer, and the render thread only adds the front
    buffer (``BLEND_RGB_ADD``, its lit box only) and swaps when the worker is done. A new upscale
    starts every other frame (sooner if the light moved more than one update step), so the glow
    shows light one to three frames old; the visitors' bright cores are drawn every frame
    (:func:`draw_visitors`), so light still follows them at the frame rate.

    ``inline`` (renders, goldens, tests): the same work on the caller's thread, shown the frame it
    is made, so two renders with one seed give the same frames. A worker failure is logged once
    and the pass continues inline.
    """

    def __init__(self, light: LightField, glow: GlowTexture, size: tuple[int, int],
                 amount: float, stages: Any, spares: Any, inline: bool = True,
                 log: Any = None) -> None:
        """``spares``: the exhibit's :class:`~exhibits.kit.Kit` (``take_spare`` / ``give_spare``:
        scratch buffers kept in ``ctx.store`` across showings)."""
        self.light, self.glow, self.size, self.amount, self.stages = light, glow, size, amount, \
            stages
        self.spares, self.inline, self.log = spares, inline, log
        cols, rows = light.cols, light.rows
        # only upscaled pixels are read, so buffers another pass gave back will do
        self._bufs: list | None = [spares.take_spare(("city.glow", tuple(size), k),
                                                     lambda: _glow_buffer(size)) for k in (0, 1)]
        self._px = np.zeros((rows, cols, 3), np.uint8)
        self._px4 = np.zeros((rows, cols, 4), np.uint8)  # the shaded field, B, G, R, A
        self._px4[..., 3] = 255
        self._scratch = np.zeros((rows, cols, 3), np.float32)
        self._front_rect: tuple[int, int, int, int] | None = None  # what buffer 0 shows
        self._steps = -1
        self._draws = 0
        self._job: Future | None = None
        self._pool: ThreadPoolExecutor | None = None

    def release(self) -> None:
        """Wait for the worker, hand the buffers on to the next pass of this size (the exhibit
        leaves)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool, self._job = None, None
        if self._bufs is not None:
            for k, buf in enumerate(self._bufs):
                self.spares.give_spare(("city.glow", tuple(self.size), k), buf)
            self._bufs, self._front_rect = None, None

    def draw(self, surface: pygame.Surface, steps: int) -> None:
        """``steps``: the exhibit's update steps so far (the light changes once per step)."""
        if self._bufs is None:
            self._bufs = [_glow_buffer(self.size), _glow_buffer(self.size)]
        with self.stages.measure("glow"):
            self._draws += 1
            job = self._job
            if job is not None and job.done():
                self._job = None
                self._collect(job)
            due = (self._draws % 2 == 0 or self._front_rect is None
                   or steps - self._steps > 1)
            if self._job is None and due:
                self._start(steps)
            rect = self._front_rect
            if rect is not None:
                surface.blit(self._bufs[0][1], rect[:2], rect,
                             special_flags=pygame.BLEND_RGB_ADD)

    def _start(self, steps: int) -> None:
        """Begin the next upscale from the light as it is now."""
        self._steps = steps
        combined, texture = self.light.combined(), self.glow.latest()[0]
        if self.inline:
            self._show(self._upscale(combined, texture))
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="city-glow")
        # copies: the update goes on changing the light, and the CPPN worker may reuse its frame
        self._job = self._pool.submit(self._upscale, combined.copy(), np.array(texture))

    def _collect(self, job: Future) -> None:
        try:
            rect = job.result()
        except Exception as err:  # noqa: BLE001 - the glow must not stop the map
            if self.log is not None:
                self.log.warning("city glow worker failed (%r); upscaling inline", err)
            self.inline = True
            return
        self._show(rect)

    def _show(self, rect: tuple[int, int, int, int] | None) -> None:
        """The back buffer holds a finished upscale of ``rect``: make it the front."""
        self._bufs.reverse()
        self._front_rect = rect

    def _upscale(self, combined: np.ndarray, texture: np.ndarray
                 ) -> tuple[int, int, int, int] | None:
        """Shade ``combined`` light through ``texture`` and upscale its lit box into the back
        buffer; returns the box in screen pixels (x, y, w, h), or None when nothing is lit.
        Touches only numpy arrays (no pygame), so it may run on the worker thread."""
        light = self.light
        lum = brightest(combined)
        box = light.bbox(lum)
        if box is None:
            return None
        shade(combined, lum, texture, self.amount, self._px, self._scratch)
        w, h = self.size
        x0, y0, x1, y1 = box
        x0, y0 = max(0, x0 - 1), max(0, y0 - 1)
        x1, y1 = min(light.cols, x1 + 1), min(light.rows, y1 + 1)
        sx, sy = w / light.cols, h / light.rows
        px0, py0 = int(round(x0 * sx)), int(round(y0 * sy))
        px1, py1 = min(w, int(round(x1 * sx))), min(h, int(round(y1 * sy)))
        if px1 <= px0 or py1 <= py0:
            return None
        src = self._px4[y0:y1, x0:x1]
        src[..., :3] = self._px[y0:y1, x0:x1, ::-1]  # B, G, R for the BGRA buffer
        back = self._bufs[1][0]
        region = back[py0:py1, px0:px1]
        out = cv2.resize(src, (px1 - px0, py1 - py0), dst=region, interpolation=cv2.INTER_LINEAR)
        if not np.shares_memory(out, back):  # OpenCV made its own array: copy it in
            region[...] = out
        return (px0, py0, px1 - px0, py1 - py0)


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
