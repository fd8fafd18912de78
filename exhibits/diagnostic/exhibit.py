"""The diagnostic test pattern.

What a technician sees: the screen's edges (a bright border with corner ticks, so an overscanned
or mis-scaled display is obvious), an alignment grid every ``grid_px``, a centre cross, every
visitor as a marker coloured by source with its id, source and a fading trail of where it went,
the frame-time graph (ms per frame with the 16.7 ms and 33 ms lines) and, with a camera, what it
derived: presence mask, motion field, tracked people with ids (never the camera picture).

Drawing reads state only; :meth:`update` advances the exhibit's own clock and trims trails.
"""

from __future__ import annotations

import math
from collections import deque
from itertools import pairwise

import pygame

from exhibits.diagnostic.settings import DiagnosticSettings
from runtime.events import VisitorEvent
from runtime.exhibit import BaseExhibit, ExhibitContext
from runtime.graphs import draw_frame_graph

BACKGROUND = (10, 14, 24)
GRID = (28, 36, 54)
GRID_MAJOR = (44, 56, 84)
EDGE = (255, 214, 80)
TEXT = (220, 226, 240)
DIM_TEXT = (130, 140, 165)
SOURCE_COLOURS = {
    "mouse": (255, 255, 255),
    "touch": (80, 220, 255),
    "camera": (255, 150, 60),
    "replay": (190, 130, 255),
    "sim": (120, 240, 140),
}


# Points a trail may hold per second of ``trail_s``: sources report at 60-1000 Hz and finer
# than this is invisible; tied to seconds, not to frames, so a long trail is never cut short.
TRAIL_POINTS_PER_S = 240


def _fade(colour: tuple[int, int, int], amount: float) -> tuple[int, ...]:
    """``colour`` mixed toward the background: 1.0 = full colour, 0.0 = invisible."""
    return tuple(int(b + (c - b) * amount) for b, c in zip(BACKGROUND, colour, strict=True))


class DiagnosticExhibit(BaseExhibit):
    """Technicians' test pattern; see the module docstring."""

    def __init__(self, ctx: ExhibitContext, settings: DiagnosticSettings) -> None:
        super().__init__(ctx, settings)
        self.t = 0.0
        self.trails: dict[str, deque[tuple[float, float, float]]] = {}
        self.sources: dict[str, str] = {}
        # Where visitors left (a tap is enter + leave at once): shown as a fading ring.
        self.departed: dict[str, tuple[float, tuple[float, float], str]] = {}
        self.events_seen = 0
        self._background: pygame.Surface | None = None
        self._labels: dict[str, pygame.Surface] = {}

    # --- lifecycle -----------------------------------------------------------------------------
    def enter(self) -> None:
        self._background = self._render_background()

    def leave(self) -> None:
        self._background = None
        self._labels.clear()

    def on_visitor(self, event: VisitorEvent) -> None:
        super().on_visitor(event)
        self.events_seen += 1
        trail = self.trails.get(event.visitor_id)
        if trail is None:
            cap = max(2, math.ceil(self.settings.trail_s * TRAIL_POINTS_PER_S))
            trail = self.trails[event.visitor_id] = deque(maxlen=cap)
        trail.append((self.t, *event.pos))
        self.sources[event.visitor_id] = event.source
        if event.kind == "leave":
            self.departed[event.visitor_id] = (self.t, event.pos, event.source)
        else:
            self.departed.pop(event.visitor_id, None)

    def update(self, dt: float) -> None:
        self.t += dt
        horizon = self.t - self.settings.trail_s
        for vid in list(self.trails):
            trail = self.trails[vid]
            while len(trail) > 1 and trail[0][0] < horizon:
                trail.popleft()
            if vid not in self.visitors and (not trail or trail[-1][0] < horizon):
                del self.trails[vid]
                self.sources.pop(vid, None)
                self._labels.pop(vid, None)
        for vid in [v for v, (t, _, _) in self.departed.items() if t < horizon]:
            del self.departed[vid]

    # --- drawing ---------------------------------------------------------------------------------
    def _render_background(self) -> pygame.Surface:
        w, h = self.ctx.size
        s = self.settings
        bg = pygame.Surface((w, h))
        bg.fill(BACKGROUND)
        for i, x in enumerate(range(0, w, s.grid_px)):
            pygame.draw.line(bg, GRID_MAJOR if i % 4 == 0 else GRID, (x, 0), (x, h - 1))
        for i, y in enumerate(range(0, h, s.grid_px)):
            pygame.draw.line(bg, GRID_MAJOR if i % 4 == 0 else GRID, (0, y), (w - 1, y))
        cx, cy = w // 2, h // 2
        arm = max(12, min(w, h) // 20)
        pygame.draw.line(bg, EDGE, (cx - arm, cy), (cx + arm, cy), 1)
        pygame.draw.line(bg, EDGE, (cx, cy - arm), (cx, cy + arm), 1)
        pygame.draw.rect(bg, EDGE, bg.get_rect(), max(2, min(w, h) // 240))
        tick = max(10, min(w, h) // 16)
        for ox, oy, dx, dy in ((0, 0, 1, 1), (w - 1, 0, -1, 1), (0, h - 1, 1, -1),
                               (w - 1, h - 1, -1, -1)):
            pygame.draw.line(bg, EDGE, (ox, oy), (ox + dx * tick, oy + dy * tick), 3)
        font = self.ctx.assets.font(max(12, h // 36), bold=True)
        small = self.ctx.assets.font(max(10, h // 54))
        title = font.render("진단 화면 · Diagnostic", True, TEXT)
        bg.blit(title, (max(8, w // 60), max(8, h // 50)))
        info = small.render(f"{w}×{h}  ·  {self.ctx.fps} fps  ·  grid {s.grid_px} px", True,
                            DIM_TEXT)
        bg.blit(info, (max(8, w // 60), max(8, h // 50) + title.get_height() + 4))
        return bg

    def _label(self, vid: str, source: str) -> pygame.Surface:
        label = self._labels.get(vid)
        if label is None:
            font = self.ctx.assets.font(max(10, self.ctx.size[1] // 45))
            label = font.render(f"{vid} · {source}", True, SOURCE_COLOURS.get(source, TEXT))
            self._labels[vid] = label
        return label

    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        """The test pattern, trails and readouts. ``alpha`` is not used: a technician reads the
        pattern and the numbers, and trails are drawn from the visitors' own event positions."""
        w, h = self.ctx.size
        s = self.settings
        if self._background is None:
            self._background = self._render_background()
        surface.blit(self._background, (0, 0))
        horizon = max(1e-6, s.trail_s)
        for vid, trail in self.trails.items():
            colour = SOURCE_COLOURS.get(self.sources.get(vid, ""), TEXT)
            pts = [(x * (w - 1), y * (h - 1), t) for t, x, y in trail]
            width = max(1, s.marker_px // 8)
            for (x0, y0, t0), (x1, y1, _) in pairwise(pts):
                fade = max(0.0, 1.0 - (self.t - t0) / horizon)
                pygame.draw.line(surface, _fade(colour, fade), (x0, y0), (x1, y1), width)
        for t_left, pos, source in self.departed.values():
            fade = max(0.0, 1.0 - (self.t - t_left) / horizon)
            colour = SOURCE_COLOURS.get(source, TEXT)
            x, y = int(pos[0] * (w - 1)), int(pos[1] * (h - 1))
            radius = int(s.marker_px * (1.6 - 0.6 * fade))  # a ripple that widens as it fades
            pygame.draw.circle(surface, _fade(colour, fade), (x, y), radius, 2)
        for vid, ev in self.visitors.items():
            colour = SOURCE_COLOURS.get(ev.source, TEXT)
            x, y = int(ev.pos[0] * (w - 1)), int(ev.pos[1] * (h - 1))
            if ev.size is not None:
                bw, bh = int(ev.size[0] * w), int(ev.size[1] * h)
                pygame.draw.rect(surface, colour, (x - bw // 2, y - bh // 2, bw, bh), 1)
            pygame.draw.circle(surface, colour, (x, y), s.marker_px, 3)
            pygame.draw.circle(surface, colour, (x, y), max(2, s.marker_px // 3))
            if s.show_labels:
                label = self._label(vid, ev.source)
                lx = min(max(0, x + s.marker_px + 4), w - label.get_width())
                ly = min(max(0, y - label.get_height() // 2), h - label.get_height())
                surface.blit(label, (lx, ly))
        if s.show_graph:
            self._draw_graph(surface)
        vf = self.ctx.vision
        if vf is not None:
            self._draw_camera(surface, vf)

    def _draw_camera(self, surface: pygame.Surface, vf) -> None:
        """What the camera derived (mask, flow, people; never the picture), bottom right."""
        from runtime.vision.overlay import draw_vision

        w, h = self.ctx.size
        pw = max(160, w // 4)
        ph = pw * 3 // 4
        rect = (w - pw - max(8, w // 60), h - ph - max(8, h // 40), pw, ph)
        state = "learning the empty room" if vf.learning else f"{len(vf.people)} people"
        draw_vision(surface, vf, rect, status=f"camera · {state} · {vf.process_ms:.1f} ms",
                    font=self.ctx.assets.font(max(10, h // 60)))

    def _draw_graph(self, surface: pygame.Surface) -> None:
        w, h = self.ctx.size
        gw, gh = max(120, w // 4), max(60, h // 7)
        x0, y0 = max(8, w // 60), h - gh - max(8, h // 40)
        samples = self.ctx.frames.recent
        draw_frame_graph(surface, pygame.Rect(x0, y0, gw, gh), samples,
                         background=(16, 20, 34), line=TEXT, border=GRID_MAJOR)
        font = self.ctx.assets.font(max(10, h // 60))
        last = samples[-1] if samples else 0.0
        txt = font.render(f"frame {last:5.1f} ms   visitors {len(self.visitors)}", True, DIM_TEXT)
        surface.blit(txt, (x0 + 4, y0 + 2))
