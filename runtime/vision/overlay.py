"""Diagnostic drawing of what the camera sees: presence mask, motion field, people and status.

For technicians (the diagnostic exhibit, the admin view): :func:`draw_vision` paints a
:class:`runtime.vision.processor.VisionFrame` into a rectangle of a pygame surface. It never shows
the camera picture itself, only what was derived from it (mask cells, flow arrows, boxes, ids).

Drawing reads the frame and never changes it. Cost: a few hundred small draw calls (mask 80×60 is
scaled as one surface; flow arrows are drawn only where something moves).
"""

from __future__ import annotations

import numpy as np

from runtime.vision.processor import VisionFrame


def draw_vision(surface, vf: VisionFrame | None, rect, *, status: str = "",
                font=None, flow_scale: float = 0.5) -> None:
    """Draw ``vf`` into ``rect`` (a ``pygame.Rect`` or ``(x, y, w, h)``) on ``surface``.

    Args:
        status: a line such as ``CameraSource.status()["line"]`` shown at the top.
        font: a ``pygame.font.Font`` for ids and status (pygame's default if ``None``).
        flow_scale: arrow length per (normalized unit / s) as a fraction of the rect.
    """
    import pygame

    rect = pygame.Rect(rect)
    pygame.draw.rect(surface, (10, 12, 22), rect)
    pygame.draw.rect(surface, (70, 80, 110), rect, 1)
    font = font or pygame.font.Font(None, max(14, rect.h // 16))
    if vf is not None:
        mask = np.ascontiguousarray(vf.mask)
        rgb = np.zeros((mask.shape[1], mask.shape[0], 3), np.uint8)
        rgb[..., 2] = mask.T  # presence in blue
        rgb[..., 1] = (mask.T // 3)
        img = pygame.transform.scale(pygame.surfarray.make_surface(rgb), rect.size)
        surface.blit(img, rect.topleft)
        if vf.flow is not None:
            rows, cols = vf.flow.shape[:2]
            for r in range(rows):
                for c in range(cols):
                    u, v = (float(vf.flow[r, c, 0]), float(vf.flow[r, c, 1]))
                    if u * u + v * v < 0.0025:
                        continue
                    x0 = rect.x + (c + 0.5) * rect.w / cols
                    y0 = rect.y + (r + 0.5) * rect.h / rows
                    pygame.draw.line(surface, (250, 200, 70), (x0, y0),
                                     (x0 + u * flow_scale * rect.w, y0 + v * flow_scale * rect.h))
        for p in vf.people:
            x, y, w, h = p.box
            box = pygame.Rect(rect.x + x * rect.w, rect.y + y * rect.h, w * rect.w, h * rect.h)
            color = (90, 230, 120) if p.seen else (255, 160, 40)
            pygame.draw.rect(surface, color, box, 2)
            px, py = rect.x + p.pos[0] * rect.w, rect.y + p.pos[1] * rect.h
            pygame.draw.circle(surface, color, (px, py), 4)
            surface.blit(font.render(f"cam:{p.id}", True, color), (box.x + 2, box.y + 2))
        if vf.learning:
            status = (status + "  " if status else "") + "learning the room…"
    if status:
        surface.blit(font.render(status, True, (220, 225, 240)), (rect.x + 4, rect.y + 4))
