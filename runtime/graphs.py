"""The frame-time graph technicians read in the diagnostic exhibit and the admin panel.

One panel: a background, the 16.7 ms (60 fps) line in green and the 33 ms line in red, and the
recent frame times (ms) as a polyline, newest on the right; the vertical scale is 0..50 ms and
slower frames are drawn at the top edge.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygame

SCALE_MS = 50.0
BUDGET_LINES = ((16.7, (80, 200, 120)), (33.3, (230, 90, 80)))


def draw_frame_graph(surface: pygame.Surface, rect: pygame.Rect, samples_ms: Sequence[float], *,
                     background: tuple[int, int, int], line: tuple[int, int, int],
                     border: tuple[int, int, int] | None = None) -> None:
    """Draw the graph of ``samples_ms`` (the last ``rect.width`` are shown) into ``rect``."""
    x0, y0, gw, gh = rect
    surface.fill(background, rect)
    if border is not None:
        pygame.draw.rect(surface, border, rect, 1)
    for ms, colour in BUDGET_LINES:
        yy = y0 + gh - int(gh * ms / SCALE_MS)
        pygame.draw.line(surface, colour, (x0, yy), (x0 + gw - 1, yy))
    samples = list(samples_ms)[-gw:]
    if len(samples) > 1:
        step = gw / (len(samples) - 1)
        pts = [(x0 + i * step, y0 + gh - min(gh - 1, gh * v / SCALE_MS))
               for i, v in enumerate(samples)]
        pygame.draw.lines(surface, line, False, pts)
