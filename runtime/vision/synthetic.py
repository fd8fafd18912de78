"""Procedural camera scenes for tests and benches: person-shaped walkers on a static noisy room.

Nothing here comes from a real camera. A :class:`Scene` renders ``(H, W, 3)`` uint8 BGR frames at
any time ``t``: a fixed textured background (seeded), per-frame sensor noise, and
:class:`Walker` figures (an ellipse body and a round head, proportions of a standing person)
moving on straight lines. Walkers farther down the picture are drawn on top (nearer the camera).

Frames stay in memory; writing a clip to disk (tests do, in their own temporary folder) is the
caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Walker:
    """A person-shaped figure moving from ``start`` to ``end`` (feet, pixels) during
    ``[t0, t1]`` seconds; absent outside it. ``height`` in pixels; ``color`` BGR."""

    start: tuple[float, float]
    end: tuple[float, float]
    t0: float
    t1: float
    height: float
    color: tuple[int, int, int]

    def feet(self, t: float) -> tuple[float, float] | None:
        if not self.t0 <= t <= self.t1:
            return None
        a = (t - self.t0) / max(self.t1 - self.t0, 1e-9)
        return (self.start[0] + a * (self.end[0] - self.start[0]),
                self.start[1] + a * (self.end[1] - self.start[1]))

    def box(self, t: float) -> tuple[float, float, float, float] | None:
        """The figure's ``(x, y, w, h)`` at ``t`` (pixels), or ``None`` when absent."""
        f = self.feet(t)
        if f is None:
            return None
        w = 0.34 * self.height
        return (f[0] - w / 2, f[1] - self.height, w, self.height)


class Scene:
    """A static room with walkers.

    Args:
        size: ``(width, height)`` in pixels.
        walkers: the people.
        seed: background texture and noise.
        noise: sensor noise standard deviation (grey levels).
    """

    def __init__(self, size: tuple[int, int] = (320, 240), walkers: tuple[Walker, ...] = (),
                 *, seed: int = 0, noise: float = 3.0):
        self.size = size
        self.walkers = walkers
        self.noise = noise
        self._rng = np.random.default_rng(seed)
        w, h = size
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        base = 110 + 40 * (yy / h) + 15 * np.sin(xx / 23.0)  # floor-to-wall gradient, stripes
        texture = cv2.GaussianBlur(self._rng.normal(0, 12, (h, w)).astype(np.float32), (0, 0), 1.5)
        grey = np.clip(base + texture, 0, 255)
        tint = np.array([1.0, 0.97, 0.92], np.float32)
        self.background = np.clip(grey[..., None] * tint, 0, 255).astype(np.uint8)

    def render(self, t: float) -> np.ndarray:
        """The frame at ``t`` seconds."""
        img = self.background.copy()
        present = [(wk, wk.feet(t)) for wk in self.walkers]
        for wk, f in sorted(((wk, f) for wk, f in present if f is not None),
                            key=lambda p: p[1][1]):
            x, y = f
            h = wk.height
            body_c = (int(x), int(y - 0.42 * h))
            cv2.ellipse(img, body_c, (max(2, int(0.16 * h)), max(3, int(0.40 * h))), 0, 0, 360,
                        wk.color, -1)
            cv2.circle(img, (int(x), int(y - 0.88 * h)), max(2, int(0.1 * h)), wk.color, -1)
        if self.noise > 0:
            n = self._rng.normal(0, self.noise, img.shape).astype(np.float32)
            img = np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)
        return img

    def truth(self, t: float) -> dict[int, tuple[float, float, float, float]]:
        """``{walker index: box}`` of the walkers present at ``t``."""
        out = {}
        for i, wk in enumerate(self.walkers):
            b = wk.box(t)
            if b is not None:
                out[i] = b
        return out
