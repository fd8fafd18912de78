"""The light field: where visitors carry light, and the fading trails they leave.

A low-resolution grid (``cols`` × ``rows`` cells, e.g. 192 × 108 for any 16:9 screen) holding two
coloured layers, ``(rows, cols, 3)`` float32 in 0..1:

- ``glow``: the bright light around each visitor; fades with time constant ``decay_s`` once the
  visitor moves on;
- ``trail``: the same light at ``trail_strength``, fading over ``trail_s`` (to 5 %) — the city
  keeps shining for a while where people went.

A deposit is a Gaussian of radius ``radius`` (normalised screen heights; the Gaussian's sigma is
half the radius) in the visitor's colour, combined with the layers by ``max`` so light never
exceeds 1 however long someone stands still and a moving visitor draws a continuous trail.

:func:`light_intensity` is the same Gaussian evaluated analytically: a landmark is reached when
a visitor's intensity there passes the configured threshold (resolution independent).

Pure numpy; the exhibit turns :meth:`LightField.combined` into pixels. Costs at 192 × 108: a
deposit ~30 µs, a decay step ~0.1 ms.
"""

from __future__ import annotations

import math

import numpy as np


def brightest(rgb: np.ndarray) -> np.ndarray:
    """Per-cell brightest channel of ``(rows, cols, 3)`` → ``(rows, cols)``.

    Elementwise maxima of the three planes: numpy's ``max(axis=2)`` over a length-3 axis is ~20×
    slower.
    """
    return np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def light_intensity(dx_h: float, dy_h: float, radius: float) -> float:
    """Intensity 0..1 of a visitor's light at offset ``(dx_h, dy_h)`` (in screen heights)."""
    sigma = radius / 2.0
    return math.exp(-(dx_h * dx_h + dy_h * dy_h) / (2.0 * sigma * sigma))


class LightField:
    """Two fading light layers on a small grid; positions are normalised screen 0..1.

    Args:
        cols / rows: grid size in cells (square on screen when ``cols / rows`` is the screen's
            aspect, as the exhibit makes it).
        radius: light radius in screen heights.
        decay_s: time constant of the bright layer (seconds).
        trail_s: seconds until a trail has faded to 5 % (0 = no trail).
        trail_strength: trail brightness relative to the light (0..1).
    """

    def __init__(self, cols: int, rows: int, *, radius: float, decay_s: float, trail_s: float,
                 trail_strength: float):
        self.cols, self.rows = int(cols), int(rows)
        self.radius = float(radius)
        self.decay_s = float(decay_s)
        self.trail_s = float(trail_s)
        self.trail_strength = float(trail_strength) if trail_s > 0 else 0.0
        self.glow = np.zeros((self.rows, self.cols, 3), np.float32)
        self.trail = np.zeros((self.rows, self.cols, 3), np.float32)
        self._sum = np.zeros((self.rows, self.cols, 3), np.float32)
        self.version = 0  # bumped on every change, so drawing can cache

    def clear(self) -> None:
        self.glow[:] = 0.0
        self.trail[:] = 0.0
        self.version += 1

    def decay(self, dt: float) -> None:
        """Fade both layers by ``dt`` seconds."""
        self.glow *= np.float32(math.exp(-dt / self.decay_s))
        if self.trail_strength > 0:
            self.trail *= np.float32(math.exp(-3.0 * dt / self.trail_s))
        self.version += 1

    def deposit(self, x: float, y: float, colour, strength: float = 1.0,
                radius_scale: float = 1.0, trail: bool = True) -> None:
        """Light at normalised ``(x, y)`` in ``colour`` (3 floats 0..1), ``strength`` 0..1."""
        r_cells = self.radius * radius_scale * self.rows  # screen heights → cells
        sigma = max(0.5, r_cells / 2.0)
        cx, cy = x * self.cols - 0.5, y * self.rows - 0.5
        half = int(math.ceil(3.2 * sigma))
        x0, x1 = max(0, int(cx) - half), min(self.cols, int(cx) + half + 2)
        y0, y1 = max(0, int(cy) - half), min(self.rows, int(cy) + half + 2)
        if x0 >= x1 or y0 >= y1:
            return
        gx = np.exp(-((np.arange(x0, x1, dtype=np.float32) - cx) ** 2) / (2 * sigma * sigma))
        gy = np.exp(-((np.arange(y0, y1, dtype=np.float32) - cy) ** 2) / (2 * sigma * sigma))
        g = (gy[:, None] * gx[None, :]) * np.float32(strength)
        blob = g[:, :, None] * np.asarray(colour, np.float32)[None, None, :]
        np.maximum(self.glow[y0:y1, x0:x1], blob, out=self.glow[y0:y1, x0:x1])
        if trail and self.trail_strength > 0:
            blob *= np.float32(self.trail_strength)
            np.maximum(self.trail[y0:y1, x0:x1], blob, out=self.trail[y0:y1, x0:x1])
        self.version += 1

    def add_mask(self, mask: np.ndarray, colour, strength: float) -> None:
        """Light the cells of a presence ``mask`` ``(rows, cols)`` 0..1 (bodies as lanterns)."""
        blob = mask.astype(np.float32)[:, :, None] * (np.asarray(colour, np.float32) * strength)
        np.maximum(self.glow, blob, out=self.glow)
        self.version += 1

    def combined(self) -> np.ndarray:
        """``glow + trail``, ``(rows, cols, 3)`` float32 (a buffer reused per call)."""
        np.add(self.glow, self.trail, out=self._sum)
        return self._sum

    def level_at(self, x: float, y: float) -> float:
        """Brightest channel of the combined light at normalised ``(x, y)`` (for tests/effects)."""
        c = min(self.cols - 1, max(0, int(x * self.cols)))
        r = min(self.rows - 1, max(0, int(y * self.rows)))
        return float(max(self.glow[r, c] + self.trail[r, c]))

    def bbox(self, lum: np.ndarray | None = None,
             threshold: float = 3.0 / 255) -> tuple[int, int, int, int] | None:
        """Cells ``(x0, y0, x1, y1)`` (exclusive ends) holding visible light, or None.

        ``lum``: :func:`brightest` of :meth:`combined`, if the caller has it already.
        """
        lit = (brightest(self.combined()) if lum is None else lum) > threshold
        rows = np.flatnonzero(lit.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(lit.any(axis=0))
        return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
