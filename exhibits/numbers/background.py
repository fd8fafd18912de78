"""The number field behind the digits: a CPPN pattern steered by visitors, or a still gradient.

:class:`Background` is what the exhibit owns: it starts the field (a CPPN on a worker thread at
:data:`CPPN_FPS`, or stepped inline on a simulated clock), steers it toward the walkers, and
draws it (each new frame upscaled once, then one blit per frame).

:class:`FieldSource` wraps :class:`models.cppn.CPPNField` as a FrameSource for the engine's
:class:`~models.engine.FrameWorker` (or the inline worker): it advances the field by
``dt × speed`` (visitors' motion raises ``speed``, so the pattern quickens while people move) and
writes ``(h, w, 3)`` uint8 frames already dimmed to ``level``. The exhibit evaluates it at about
320×180.

:func:`still_field` is the plain background for safe mode (no models): a dark radial gradient in
the palette's band colour.

Seeds: the field draws from the named stream ``ctx.seed_for("numbers.field")``. Caches: the
full-screen upscale target is handed from one showing to the next through the exhibit's store
(:meth:`exhibits.kit.Kit.take_spare`), since a 1080p surface costs ~7-10 ms to allocate.

Failure modes: an unknown style raises ``KeyError`` (settings validation prevents it). A CPPN
that cannot start (no torch, a model error) leaves the still gradient, with one warning; safe
mode never loads it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame

from exhibits.kit import Kit, leave_a_core, visitor_key

CPPN_FPS = 20.0


class FieldSource:
    """FrameSource over a CPPN field; ``speed`` and ``level`` may be changed between ticks.

    ``speed`` multiplies simulated time (1 = the style's own pace; the exhibit raises it up to 4
    while visitors move); ``level`` 0..1 dims the frame."""

    def __init__(self, field: Any, level: float):
        self.field = field
        self.shape = (field.height, field.width, 3)
        self.speed = 1.0
        self.level = float(level)
        self._raw = np.zeros(self.shape, np.uint8)
        self._lut = np.minimum(np.arange(256) * self.level, 255).astype(np.uint8)

    def tick(self, dt: float) -> None:
        self.field.advance(dt * self.speed)

    def render(self, out: np.ndarray) -> None:
        self.field.frame(self._raw)
        np.take(self._lut, self._raw, out=out)  # dim with one lookup instead of float maths


def still_field(size: tuple[int, int], colour: tuple[int, int, int]) -> np.ndarray:
    """(h, w, 3) uint8: ``colour`` brightened toward the centre (safe mode's background)."""
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((xs - w / 2) / (0.7 * w), (ys - h / 2) / (0.7 * h))
    glow = np.clip(1.0 - r, 0.0, 1.0)[..., None] ** 2
    base = np.asarray(colour, np.float32)
    rgb = base * (0.6 + 1.8 * glow) + 6.0 * glow
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _spare_key(size: tuple[int, int], like: pygame.Surface) -> tuple:
    return ("numbers.background", tuple(size), like.get_bitsize(), like.get_masks())


class Background:
    """The CPPN field (or the still gradient) behind the digits: start, steer, draw.

    Args:
        ctx: the exhibit's context (``size``, ``seed_for``, ``device``, ``safe_mode``).
        kit: the exhibit's :class:`exhibits.kit.Kit` (warnings, spare surfaces).
        style: the CPPN style (:func:`models.catalog.list_styles`).
        band: the palette's band colour (the still gradient's and the empty screen's colour).
        level: brightness of the field 0..1 (``background_level``).
        width: evaluation width in pixels (the height follows the screen's aspect).
        threaded: a worker thread (the live kiosk) or inline steps from :meth:`advance`.
    """

    def __init__(self, ctx: Any, kit: Kit, style: str, band: tuple[int, int, int], level: float,
                 width: int, threaded: bool) -> None:
        self.ctx, self.kit, self.style, self.band, self.level = ctx, kit, style, band, level
        self.width, self.threaded, self.warn = width, threaded, kit.warn
        self.worker: Any = None
        self.source: FieldSource | None = None
        self.still: np.ndarray | None = None
        # render caches (draw only)
        self._seq = -1
        self._small: pygame.Surface | None = None
        self._big: pygame.Surface | None = None

    def start(self) -> None:
        w, h = self.ctx.size
        cw = max(16, min(self.width, w))
        ch = max(9, round(cw * h / w))
        if self.ctx.safe_mode:
            self.still = still_field((cw, ch), self.band)
            return
        try:
            from models.cppn import CPPNField
            from models.workers import FrameWorker

            leave_a_core(self.ctx.device)
            fld = CPPNField(self.style, cw, ch, seed=self.ctx.seed_for("numbers.field"),
                            device=self.ctx.device)
            self.source = FieldSource(fld, self.level)
            self.worker = FrameWorker(self.source, CPPN_FPS, name="numbers-field",
                                      inline=not self.threaded).start()
        except Exception as err:  # noqa: BLE001 - the field is decoration: a gradient will do
            self.warn(f"background pattern unavailable ({type(err).__name__}: {err}); "
                      "plain gradient")
            self.worker = self.source = None
            self.still = still_field((cw, ch), self.band)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        self._give_back()

    def _give_back(self) -> None:
        """The full-size surface goes to the next showing (every pixel is rewritten there)."""
        if self._big is not None:
            self.kit.give_spare(_spare_key(self._big.get_size(), self._big), self._big)
            self._big = None

    def steer(self, walkers: dict[str, Any]) -> None:
        """Each walker bends the field around them; their motion quickens it (up to 4×)."""
        if self.source is None or self.worker is None:
            return
        from models.cppn import Steer

        steers = [Steer(visitor_key(vid), float(w.pos[0]), float(w.pos[1]), float(w.vel[0]),
                        float(w.vel[1])) for vid, w in walkers.items()]
        motion = sum(math.hypot(*w.vel) for w in walkers.values())
        speed = 1.0 + 3.0 * min(1.0, motion / 0.4)
        src = self.source
        fld = src.field

        def apply() -> None:
            fld.steer(steers)
            src.speed = speed

        self.worker.submit(apply)

    def advance(self, dt: float) -> None:
        """Step an inline worker by ``dt`` seconds (a threaded one keeps its own time)."""
        if self.worker is not None:
            self.worker.advance(dt)

    def draw(self, surface: pygame.Surface) -> None:
        size = surface.get_size()
        if self.worker is not None and getattr(self.worker, "error", None) is None:
            frame, seq = self.worker.latest()
        elif self.still is not None:
            frame, seq = self.still, 0
        else:
            surface.fill(self.band)
            return
        if self._big is None or self._big.get_size() != size or seq != self._seq:
            fh, fw = frame.shape[:2]
            if self._small is None or self._small.get_size() != (fw, fh):
                self._small = pygame.Surface((fw, fh), 0, surface)
            pygame.surfarray.blit_array(self._small, frame.transpose(1, 0, 2))
            if self._big is None or self._big.get_size() != size:
                self._give_back()
                self._big = self.kit.take_spare(_spare_key(size, surface),
                                                lambda: pygame.Surface(size, 0, surface))
            pygame.transform.smoothscale(self._small, size, self._big)
            self._seq = seq
        surface.blit(self._big, (0, 0))
