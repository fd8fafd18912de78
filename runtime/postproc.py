"""Post-processors that clean the visitor-event stream, in the order the pipeline runs them.

1. :class:`DropTouchMouse` — SDL turns every touch into FINGER events *and* synthetic mouse
   events; the mouse copies are dropped so a tap counts once.
2. :class:`Calibrate` — camera positions are mapped to the screen through the technician's
   homography (3×3, camera-normalized → screen-normalized). Other sources pass unchanged.
3. :class:`IgnoreZones` — a visitor that *enters* inside an ignore zone (a reflection, a door) is
   ignored for its whole life.
4. :class:`Dejitter` — moves smaller than ``dejitter_px`` screen pixels are dropped.
5. :class:`Retain` — a ``leave`` is held for ``retain_s``; a new visitor from the same source that
   enters within ``retain_distance_px`` of it takes over the old id (flickering camera blobs stay
   one visitor). Only for ``retain_sources`` (camera by default: two taps are two taps).
6. :class:`Lifecycle` — guarantees every visitor seen by an exhibit is enter → move* → leave.

Every processor has ``process(event, now) -> list[VisitorEvent]`` and ``flush(now)`` for events
that are due by time alone. None of them blocks or does I/O.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from runtime.events import VisitorEvent, clamp01


class PostProcessor:
    """Pass-through base class."""

    def process(self, event: VisitorEvent, now: float) -> list[VisitorEvent]:
        return [event]

    def flush(self, now: float) -> list[VisitorEvent]:
        return []


class DropTouchMouse(PostProcessor):
    """Drop SDL's touch-synthesized mouse events (``event.from_touch``)."""

    def process(self, event: VisitorEvent, now: float) -> list[VisitorEvent]:
        return [] if event.from_touch else [event]


class Calibrate(PostProcessor):
    """Map camera-source positions through a 3×3 homography (normalized → normalized).

    Positions outside the screen after mapping are clamped to its edge, so a person standing
    just beyond the calibrated area still lights the border instead of vanishing.
    """

    def __init__(self, homography: np.ndarray | None = None,
                 sources: tuple[str, ...] = ("camera",)):
        self.h = None if homography is None else np.asarray(homography, dtype=np.float64)
        self.sources = sources
        self._last: dict[str, tuple[float, float]] = {}

    def map_point(self, x: float, y: float) -> tuple[float, float]:
        if self.h is None:
            return x, y
        v = self.h @ np.array([x, y, 1.0])
        if abs(v[2]) < 1e-12:
            return x, y
        return clamp01(float(v[0] / v[2])), clamp01(float(v[1] / v[2]))

    def process(self, event: VisitorEvent, now: float) -> list[VisitorEvent]:
        if self.h is None or event.source not in self.sources:
            return [event]
        pos = self.map_point(*event.pos)
        prev = self._last.get(event.visitor_id, pos)
        if event.kind == "leave":
            self._last.pop(event.visitor_id, None)
        else:
            self._last[event.visitor_id] = pos
        return [replace(event, pos=pos, delta=(pos[0] - prev[0], pos[1] - prev[1]))]


class IgnoreZones(PostProcessor):
    """Ignore visitors that enter inside any zone ``(x, y, w, h)`` (normalized)."""

    def __init__(self, zones: tuple[tuple[float, float, float, float], ...] = ()):
        self.zones = tuple(zones)
        self._ignored: set[str] = set()

    def inside(self, pos: tuple[float, float]) -> bool:
        x, y = pos
        return any(zx <= x <= zx + zw and zy <= y <= zy + zh for zx, zy, zw, zh in self.zones)

    def process(self, event: VisitorEvent, now: float) -> list[VisitorEvent]:
        if not self.zones:
            return [event]
        vid = event.visitor_id
        if event.kind == "enter" and self.inside(event.pos):
            self._ignored.add(vid)
        if vid in self._ignored:
            if event.kind == "leave":
                self._ignored.discard(vid)
            return []
        return [event]


class Dejitter(PostProcessor):
    """Drop moves shorter than ``threshold_px`` screen pixels from the last passed position."""

    def __init__(self, threshold_px: float, screen_size: tuple[int, int]):
        self.tx = threshold_px / max(1, screen_size[0])
        self.ty = threshold_px / max(1, screen_size[1])
        self._last: dict[str, tuple[float, float]] = {}

    def process(self, event: VisitorEvent, now: float) -> list[VisitorEvent]:
        vid = event.visitor_id
        if event.kind == "leave":
            self._last.pop(vid, None)
            return [event]
        if event.kind == "move" and vid in self._last and (self.tx > 0 or self.ty > 0):
            lx, ly = self._last[vid]
            dx, dy = event.pos[0] - lx, event.pos[1] - ly
            if math.hypot(dx / max(self.tx, 1e-12), dy / max(self.ty, 1e-12)) < 1.0:
                return []
            event = replace(event, delta=(dx, dy))
        self._last[vid] = event.pos
        return [event]


class Retain(PostProcessor):
    """Hold ``leave`` events for ``retain_s``; a nearby re-entry from the same source keeps the id.

    Distances are in screen pixels (``distance_px``) so the knob means the same on any screen.
    """

    def __init__(self, retain_s: float, distance_px: float, screen_size: tuple[int, int],
                 sources: tuple[str, ...] = ("camera", "touch", "mouse", "replay", "sim")):
        self.retain_s = retain_s
        self.sources = sources
        self.distance_px = distance_px
        self.size = screen_size
        self._held: dict[str, VisitorEvent] = {}
        self._alias: dict[str, str] = {}

    def _dist_px(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        return math.hypot((a[0] - b[0]) * self.size[0], (a[1] - b[1]) * self.size[1])

    def process(self, event: VisitorEvent, now: float) -> list[VisitorEvent]:
        if self.retain_s <= 0 or event.source not in self.sources:
            return [event]
        vid = self._alias.get(event.visitor_id, event.visitor_id)
        if event.kind == "enter" and vid == event.visitor_id:
            near = [h for h in self._held.values()
                    if h.source == event.source
                    and self._dist_px(h.pos, event.pos) <= self.distance_px]
            if near:
                old = min(near, key=lambda h: self._dist_px(h.pos, event.pos))
                del self._held[old.visitor_id]
                self._alias[event.visitor_id] = old.visitor_id
                delta = (event.pos[0] - old.pos[0], event.pos[1] - old.pos[1])
                return [replace(event, kind="move", visitor_id=old.visitor_id, delta=delta)]
            if vid in self._held:  # the same id is back, but far away: the old visitor left
                return [replace(self._held.pop(vid), t=event.t), event]
        if event.kind == "leave":
            self._alias.pop(event.visitor_id, None)
            self._held[vid] = replace(event, visitor_id=vid)
            return []
        return [replace(event, visitor_id=vid)] if vid != event.visitor_id else [event]

    def flush(self, now: float) -> list[VisitorEvent]:
        due = [e for e in self._held.values() if now - e.t >= self.retain_s]
        for e in due:
            del self._held[e.visitor_id]
        return [replace(e, t=now) for e in due]


class Lifecycle(PostProcessor):
    """Make every visitor's stream well-formed: enter first, then moves, then one leave."""

    def __init__(self) -> None:
        self.live: dict[str, VisitorEvent] = {}

    def process(self, event: VisitorEvent, now: float) -> list[VisitorEvent]:
        vid = event.visitor_id
        known = vid in self.live
        if event.kind == "leave":
            if not known:
                return []
            del self.live[vid]
            return [event]
        if not known and event.kind == "move":
            event = replace(event, kind="enter", delta=(0.0, 0.0))
        elif known and event.kind == "enter":
            event = replace(event, kind="move")
        self.live[vid] = event
        return [event]
