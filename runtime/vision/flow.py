"""Motion field: dense optical flow (OpenCV's DIS) averaged onto a coarse grid.

DIS ("dense inverse search") with its ultrafast preset runs on a half-size grey image (160×120 for
a 320×240 processing frame) in well under a millisecond on one core; the result is averaged onto
``grid`` cells with :func:`cv2.resize` (``INTER_AREA``) and expressed in *normalized units per
second* (fractions of the frame width/height moved per second), so an exhibit does not care about
the camera's resolution or frame rate.

Shapes: input grey ``(H, W)`` uint8; output ``(rows, cols, 2)`` float32, ``[..., 0]`` = x,
``[..., 1]`` = y, positive right/down. Failure modes: the first frame (nothing to compare with)
and a ``dt`` of zero give an all-zero field; a scene cut gives a noisy field for one frame.
"""

from __future__ import annotations

import cv2
import numpy as np


class MotionField:
    """Coarse optical flow between consecutive frames.

    Args:
        grid: ``(cols, rows)`` of the output field.
        scale: the flow is computed at this fraction of the processing size (speed vs detail).
    """

    def __init__(self, grid: tuple[int, int] = (32, 24), scale: float = 0.5):
        self.grid = grid
        self.scale = scale
        self._dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._prev: np.ndarray | None = None
        self._zero = np.zeros((grid[1], grid[0], 2), np.float32)

    def reset(self) -> None:
        self._prev = None

    def update(self, grey: np.ndarray, dt: float) -> np.ndarray:
        """Flow from the previous frame to ``grey`` as ``(rows, cols, 2)`` normalized units/s."""
        h, w = grey.shape
        sw, sh = max(8, int(w * self.scale)), max(8, int(h * self.scale))
        small = cv2.resize(grey, (sw, sh), interpolation=cv2.INTER_AREA)
        prev, self._prev = self._prev, small
        if prev is None or prev.shape != small.shape or dt <= 0:
            return self._zero.copy()
        flow = self._dis.calc(prev, small, None)  # (sh, sw, 2) pixels per frame
        cells = cv2.resize(flow, self.grid, interpolation=cv2.INTER_AREA)
        cells[..., 0] *= 1.0 / (sw * dt)
        cells[..., 1] *= 1.0 / (sh * dt)
        return cells
