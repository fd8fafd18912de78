"""The number field behind the digits: a CPPN pattern steered by visitors, or a still gradient.

:class:`FieldSource` wraps :class:`models.cppn.CPPNField` as a FrameSource for the engine's
:class:`~models.engine.FrameWorker` (or the exhibit's inline worker in tests): it advances the field
by ``dt × speed`` (visitors' motion raises ``speed``, so the pattern quickens while people move)
and writes ``(h, w, 3)`` uint8 frames already dimmed to ``level``. The exhibit evaluates it at about
320×180 and upscales each new frame once.

:func:`still_field` is the plain background for safe mode (no models): a dark radial gradient in the
palette's band colour.

Failure modes: an unknown style raises ``KeyError`` (settings validation prevents it).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class FieldSource:
    """FrameSource over a CPPN field; ``speed`` and ``level`` may be changed between ticks."""

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
