"""Visitor sources: pointer devices, simulated visitors, and JSONL recordings.

* :class:`PointerSource` turns pygame mouse and multi-touch FINGER events into visitor events.
  The loop hands it each pygame event (it owns ``pygame.event.get``); ``poll`` flushes them.
  SDL's touch-synthesized mouse events are marked ``from_touch`` for the pipeline to drop.
* :class:`SimulatedVisitors` — seeded people who walk in from an edge, stop and linger (standing
  still is how a camera visitor plants a seed), wander on and leave. Drives headless renders,
  benches and the "10 minutes of crowds" tests.
* :class:`ReplaySource` plays a JSONL recording (see :meth:`VisitorEvent.to_json`), optionally
  looping — used for tests and attract loops. :class:`EventRecorder` writes such a recording.

Recordings hold positions and times only — never camera images — and, unless camera
recording is explicitly enabled (``[input] record_camera``), only touch and mouse events: a
camera visitor's events are the path a person walked in front of the screen.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from runtime.events import TOUCH_SOURCES, Emit, VisitorEvent, clamp01


class PointerSource:
    """Mouse (one visitor while a button is held) and touch fingers (one visitor each).

    Args:
        screen_size: logical surface size in pixels, to normalize mouse coordinates.
        mouse / touch: accept each device family (config ``[input]``).
    """

    name = "pointer"

    def __init__(self, screen_size: tuple[int, int], *, mouse: bool = True, touch: bool = True):
        self.size = screen_size
        self.mouse = mouse
        self.touch = touch
        self._pending: list[VisitorEvent] = []
        self._mouse_down = False
        self._mouse_pos = (0.0, 0.0)
        self._fingers: dict[str, tuple[float, float]] = {}

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self._pending.clear()

    def handle(self, ev: object, now: float) -> None:
        """Translate one pygame event (ignored unless it is a mouse button/motion or finger)."""
        import pygame

        et = ev.type  # type: ignore[attr-defined]
        if self.mouse and et in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEMOTION, pygame.MOUSEBUTTONUP):
            if et != pygame.MOUSEMOTION and getattr(ev, "button", 1) not in (1, 2, 3):
                return  # wheel "buttons" 4/5 are not visitors
            from_touch = bool(getattr(ev, "touch", False))
            x, y = ev.pos  # type: ignore[attr-defined]
            pos = (clamp01(x / max(1, self.size[0] - 1)), clamp01(y / max(1, self.size[1] - 1)))
            if et == pygame.MOUSEBUTTONDOWN:
                kind = "enter"
                self._mouse_down = True
            elif et == pygame.MOUSEBUTTONUP:
                if not self._mouse_down and not from_touch:
                    return
                kind = "leave"
                self._mouse_down = False
            else:
                if not (self._mouse_down or from_touch):
                    return
                kind = "move"
            delta = (pos[0] - self._mouse_pos[0], pos[1] - self._mouse_pos[1])
            self._mouse_pos = pos
            self._pending.append(VisitorEvent(kind, "mouse", "mouse", pos, delta if kind == "move"
                                              else (0.0, 0.0), now, from_touch=from_touch))
        elif self.touch and et in (pygame.FINGERDOWN, pygame.FINGERMOTION, pygame.FINGERUP):
            vid = f"touch:{ev.touch_id}:{ev.finger_id}"  # type: ignore[attr-defined]
            pos = (clamp01(ev.x), clamp01(ev.y))  # type: ignore[attr-defined]
            kind = {pygame.FINGERDOWN: "enter", pygame.FINGERMOTION: "move",
                    pygame.FINGERUP: "leave"}[et]
            prev = self._fingers.get(vid, pos)
            if kind == "leave":
                self._fingers.pop(vid, None)
            else:
                self._fingers[vid] = pos
            size = None
            pressure = getattr(ev, "pressure", 0.0)
            if pressure:
                size = (0.02 * pressure, 0.02 * pressure)
            self._pending.append(VisitorEvent(kind, vid, "touch", pos,
                                              (pos[0] - prev[0], pos[1] - prev[1]), now, size))

    def poll(self, now: float, emit: Emit) -> None:
        pending, self._pending = self._pending, []
        for e in pending:
            emit(e)


@dataclass
class _Walker:
    vid: str
    pos: np.ndarray
    target: np.ndarray
    speed: float  # screen-widths per second
    linger_left: float
    stops_left: int
    leaving: bool = False
    entered: bool = False


class SimulatedVisitors:
    """Seeded simulated visitors who walk in, linger and leave.

    Args:
        seed: everything they do follows from it and from the sequence of ``now`` values.
        max_visitors: at most this many present at once (default 4).
        arrival_s: mean seconds between arrivals while below ``max_visitors``.
        linger_s: (min, max) seconds a visitor stands still at each stop.
        first_arrival_s: when the first visitor arrives (so a 2 s render shows someone).
        busy_s / quiet_s: if ``busy_s`` is set, visitors arrive only during the first ``busy_s``
            of every ``busy_s + quiet_s`` seconds, so the room empties and visits end (soaks,
            attract-mode tests). Default: arrivals never stop.
        curiosity: probability (0..1, default 0.6) that a visitor's next stop is near where
            another visitor recently stood (or, before anyone has, near the middle of the screen,
            where exhibits put their attract-mode content), as people in a gallery walk over to
            see what others made. Their walks then cross other visitors' work, which is what
            exercises damage and regrowth; 0 gives uniformly random stops.
    """

    name = "sim"

    def __init__(self, seed: int = 0, *, max_visitors: int = 4, arrival_s: float = 2.5,
                 linger_s: tuple[float, float] = (1.2, 3.5), first_arrival_s: float = 0.1,
                 busy_s: float | None = None, quiet_s: float = 0.0, curiosity: float = 0.6):
        self.rng = np.random.default_rng(seed)
        self.max_visitors = max_visitors
        self.arrival_s = arrival_s
        self.linger_s = linger_s
        self.first_arrival_s = first_arrival_s
        self.busy_s, self.quiet_s = busy_s, quiet_s
        self.curiosity = curiosity
        self._stops: list[tuple[str, np.ndarray]] = []  # (visitor id, where they stood)
        self._t0: float | None = None
        self._walkers: list[_Walker] = []
        self._next_id = 0
        self._next_arrival: float | None = None
        self._last: float | None = None

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def _edge_point(self) -> np.ndarray:
        side = self.rng.integers(4)
        u = self.rng.uniform(0.1, 0.9)
        return np.array([[-0.02, u], [1.02, u], [u, -0.02], [u, 1.02]][side])

    def _spot(self, vid: str) -> np.ndarray:
        lo, hi = np.array([0.12, 0.15]), np.array([0.88, 0.85])
        if self.rng.random() >= self.curiosity:
            return self.rng.uniform(lo, hi)
        others = [p for v, p in self._stops if v != vid] or [np.array([0.5, 0.45])]
        near = others[int(self.rng.integers(len(others)))]
        return np.clip(near + self.rng.uniform([-0.12, -0.1], [0.12, 0.1]), lo, hi)

    def _spawn(self) -> _Walker:
        vid = f"sim:{self._next_id}"
        w = _Walker(vid=vid, pos=self._edge_point(), target=self._spot(vid),
                    speed=float(self.rng.uniform(0.12, 0.28)), linger_left=0.0,
                    stops_left=int(self.rng.integers(1, 4)))
        self._next_id += 1
        return w

    def poll(self, now: float, emit: Emit) -> None:
        if self._last is None:
            self._last = self._t0 = now
            self._next_arrival = now + self.first_arrival_s
        dt = min(0.25, max(0.0, now - self._last))
        self._last = now
        assert self._next_arrival is not None
        if now >= self._next_arrival:
            if len(self._walkers) < self.max_visitors and self._arrivals_open(now):
                self._walkers.append(self._spawn())
            self._next_arrival = now + float(self.rng.exponential(self.arrival_s)) + 0.3
        for w in list(self._walkers):
            self._advance(w, dt, now, emit)

    def _arrivals_open(self, now: float) -> bool:
        if self.busy_s is None or self._t0 is None:
            return True
        return (now - self._t0) % (self.busy_s + self.quiet_s) < self.busy_s

    def _advance(self, w: _Walker, dt: float, now: float, emit: Emit) -> None:
        before = w.pos.copy()
        if w.linger_left > 0:
            w.linger_left -= dt
            if w.linger_left <= 0:
                w.stops_left -= 1
                w.target = self._edge_point() if w.stops_left <= 0 else self._spot(w.vid)
                w.leaving = w.stops_left <= 0
            return  # standing still: no events, exactly like a still person
        step = w.target - w.pos
        dist = float(np.hypot(*step))
        travel = w.speed * dt
        if dist <= travel:
            w.pos = w.target.copy()
            if w.leaving:
                self._walkers.remove(w)
                if w.entered:
                    emit(VisitorEvent("leave", w.vid, "sim", self._clamped(w.pos), (0.0, 0.0), now,
                                      (0.08, 0.22)))
                return
            w.linger_left = float(self.rng.uniform(*self.linger_s))
            self._stops = [*self._stops[-7:], (w.vid, w.pos.copy())]
        else:
            # A gentle sideways sway makes walks look human, not robotic.
            side = np.array([-step[1], step[0]]) / max(dist, 1e-9)
            sway = 0.002 * math.sin(now * 5.0 + self._next_id)
            w.pos = w.pos + step / dist * travel + side * sway
        pos = self._clamped(w.pos)
        if not w.entered:
            w.entered = True
            emit(VisitorEvent("enter", w.vid, "sim", pos, (0.0, 0.0), now, (0.08, 0.22)))
        else:
            delta = (pos[0] - clamp01(before[0]), pos[1] - clamp01(before[1]))
            emit(VisitorEvent("move", w.vid, "sim", pos, delta, now, (0.08, 0.22)))

    @staticmethod
    def _clamped(p: np.ndarray) -> tuple[float, float]:
        return clamp01(float(p[0])), clamp01(float(p[1]))


def read_recording(path: str | Path) -> list[VisitorEvent]:
    """Load a JSONL recording; raises ``ValueError`` naming the file and line of a bad row."""
    events = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("each line must be a JSON object")
                events.append(VisitorEvent.from_json(obj))
            except (json.JSONDecodeError, ValueError) as err:
                raise ValueError(f"{path}:{no}: {err}") from None
    events.sort(key=lambda e: e.t)
    return events


class ReplaySource:
    """Replays a recording with times relative to the first ``poll``.

    Args:
        events: from :func:`read_recording`; their ``t`` are offsets from the recording's start.
        loop: start over after the last event (attract loops); ids get a loop suffix so each
            pass is a fresh set of visitors.
        keep_source: keep each event's recorded source instead of marking it ``"replay"``.
    """

    name = "replay"

    def __init__(self, events: list[VisitorEvent], *, loop: bool = False,
                 keep_source: bool = False):
        self.events = sorted(events, key=lambda e: e.t)
        self.loop = loop
        self.keep_source = keep_source
        t0 = self.events[0].t if events else 0.0
        self._offsets = [e.t - t0 for e in self.events]
        self._length = (self._offsets[-1] + 0.5) if events else 0.0
        self._start: float | None = None
        self._i = 0
        self._pass = 0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def poll(self, now: float, emit: Emit) -> None:
        if not self.events:
            return
        if self._start is None:
            self._start = now
        while True:
            while self._i < len(self.events) and self._offsets[self._i] <= now - self._start:
                e = self.events[self._i]
                vid = f"{e.visitor_id}~{self._pass}" if self.loop else e.visitor_id
                emit(VisitorEvent(e.kind, vid, e.source if self.keep_source else "replay",
                                  e.pos, e.delta, now, e.size))
                self._i += 1
            if not (self.loop and self._i >= len(self.events)
                    and now - self._start >= self._length):
                return
            self._start += self._length
            self._i = 0
            self._pass += 1


RECORDED_SOURCES = TOUCH_SOURCES  # what a visitor deliberately did on the glass


class EventRecorder:
    """Appends visitor events to a JSONL file, flushed each frame.

    Each line is one event: ``t`` (seconds since the first recorded event), ``kind`` (enter,
    move, leave), ``id``, ``source``, ``x``, ``y`` (screen-normalized) and, for sized visitors,
    ``w``, ``h``. Only :data:`RECORDED_SOURCES` are written; camera-tracked people (``camera``)
    only with ``camera=True``; simulated and replayed visitors never (they are reproducible from
    their seed or file). Failure mode: an unwritable path raises ``OSError`` at the first write.
    """

    def __init__(self, path: str | Path, *, camera: bool = False):
        self.path = Path(path)
        self.sources = RECORDED_SOURCES + (("camera",) if camera else ())
        self._f: IO[str] | None = None
        self._t0: float | None = None

    def write(self, events: list[VisitorEvent]) -> None:
        events = [e for e in events if e.source in self.sources]
        if not events:
            return
        if self._f is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "a", encoding="utf-8")
        for e in events:
            if self._t0 is None:
                self._t0 = e.t
            row = e.to_json()
            row["t"] = round(e.t - self._t0, 6)
            self._f.write(json.dumps(row) + "\n")
        self._f.flush()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None
