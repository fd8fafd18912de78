"""The test pilot: a real kiosk on a fake clock, driven by scripted visitors (as Textual's Pilot).

:class:`Pilot` builds a real :class:`runtime.app.Kiosk` drawing into an offscreen surface on a
:class:`runtime.clock.FakeTime` clock, optionally pinned to one exhibit, and drives it the way
visitors and time would. Nothing is mocked; every visitor reaches the exhibit by a real path:

* touches, drags and clicks are pygame ``FINGER*`` / ``MOUSE*`` events handed to
  ``Kiosk.frame(pg_events=...)``, as the window's loop hands them over, and become visitor events
  in :class:`runtime.sources.PointerSource` and the input pipeline;
* scripted visitor events (camera and simulated people, which pygame cannot make) are played by a
  source in the kiosk's pipeline (:class:`ScriptSource`, absolute kiosk times);
* simulated walkers are :class:`runtime.sources.SimulatedVisitors`; random touches are seeded
  random fingers (:class:`RandomTouches`), again as pygame finger events.

Units:
    time: seconds on the kiosk clock, starting at 0.0 (``now``); ``dt`` is one frame period,
        ``1 / display.fps``.
    positions: normalized screen coordinates ``(x, y)`` in 0..1, origin top-left, as in
        :class:`runtime.events.VisitorEvent`; pass ``px=True`` to give pixels of the render
        surface instead.
    screenshots: ``(H, W, 3)`` uint8 RGB numpy arrays (copies).

Time: :meth:`Pilot.frame` draws one frame at ``now`` and then moves the clock one period on (the
order of :func:`runtime.headless.render`). :meth:`Pilot.advance_to` draws every frame due before
``t``: afterwards ``now == t`` and the screen shows the frame drawn one period earlier.
:meth:`Pilot.stall` moves the clock without drawing (a stuck loop). Queued pointer events go with
the next frame drawn. Everything is deterministic for the config's seed and the sources' seeds.

Example::

    with Pilot(default_config(), "city", walkers=7) as pilot:
        pilot.run(2.0)                       # 120 frames at 60 fps, simulated walkers about
        pilot.tap((0.5, 0.4))                # a finger down in one frame, up in the next
        shots = pilot.advance_to(5.0, shots=(3.0, 4.0))   # {3.0: frame, 4.0: frame}
        assert pilot.exhibit.discovery.found
        rgb = pilot.screenshot()             # what the screen shows now
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from runtime.app import FrameReport, Kiosk, OffscreenPresenter
from runtime.clock import FakeTime
from runtime.config import KioskConfig, default_config
from runtime.events import VisitorEvent
from runtime.headless import _init_pygame, frame_rgb
from runtime.sources import SimulatedVisitors

SIZE = (320, 180)  #: the render size most tests use (pixels)
_SLACK_S = 1e-9  # float sums of 1/fps drift; a frame due within this of t counts as at t


class ScriptSource:
    """Emits each scripted event once the kiosk clock reaches its ``t`` (absolute kiosk seconds),
    stamped with that poll's time. For visitors pygame cannot make (camera, simulated people)."""

    name = "script"

    def __init__(self, events: Iterable[VisitorEvent] = ()):
        self.events = sorted(events, key=lambda e: e.t)
        self.i = 0

    def add(self, events: Iterable[VisitorEvent]) -> None:
        self.events = self.events[:self.i] + sorted([*self.events[self.i:], *events],
                                                    key=lambda e: e.t)

    def start(self): ...

    def stop(self): ...

    def poll(self, now, emit):
        while self.i < len(self.events) and self.events[self.i].t <= now + _SLACK_S:
            emit(dataclasses.replace(self.events[self.i], t=now))
            self.i += 1


class PushSource:
    """Events pushed by a test that builds its own kiosk, emitted at the next ``poll`` stamped
    with its ``now`` (the pilot's pointer methods are the real path; this is for tests that
    exercise a kiosk's own construction, e.g. config reloads)."""

    name = "push"

    def __init__(self):
        self.queue: list[VisitorEvent] = []

    def start(self): ...

    def stop(self): ...

    def push(self, kind: str, vid: str, x: float, y: float, source: str = "touch") -> None:
        self.queue.append(VisitorEvent(kind, vid, source, (x, y)))

    def poll(self, now, emit):
        for e in self.queue:
            emit(dataclasses.replace(e, t=now))
        self.queue.clear()


class Wall:
    """A settable local wall clock for ``wall_fn`` (opening hours, the daily reset): it says
    ``when`` until the test sets another time."""

    def __init__(self, when):
        self.when = when

    def __call__(self):
        return self.when


def finger_event(kind: str, pos: tuple[float, float], *, touch_id: int = 1, finger: int = 0,
                 delta: tuple[float, float] = (0.0, 0.0)):
    """A pygame ``FINGERDOWN`` / ``FINGERMOTION`` / ``FINGERUP`` (``kind``: down, move, up) at a
    normalized position, as SDL reports a touch screen."""
    import pygame

    et = {"down": pygame.FINGERDOWN, "move": pygame.FINGERMOTION, "up": pygame.FINGERUP}[kind]
    return pygame.event.Event(et, touch_id=touch_id, finger_id=finger, x=pos[0], y=pos[1],
                              dx=delta[0], dy=delta[1], pressure=0.0)


class RandomTouches:
    """Seeded random fingers: taps, drags and multi-finger chaos, as children do.

    Each frame: a new finger lands with probability 0.08 (at most 10 at once); each finger lifts
    with probability 0.05, else wanders by a normal step of 0.01 screen (normalized). Fingers are
    ``touch:0:N`` (touch device 0).
    """

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.live: dict[int, tuple[float, float]] = {}
        self.n = 0

    def events(self) -> list:
        """This frame's pygame finger events."""
        out = []
        if self.rng.random() < 0.08 and len(self.live) < 10:
            pos = tuple(self.rng.random(2))
            self.live[self.n] = pos
            out.append(finger_event("down", pos, touch_id=0, finger=self.n))
            self.n += 1
        for finger, pos in list(self.live.items()):
            if self.rng.random() < 0.05:
                del self.live[finger]
                out.append(finger_event("up", pos, touch_id=0, finger=finger))
            else:
                new = tuple(np.clip(np.array(pos) + self.rng.normal(0, 0.01, 2), 0, 1))
                self.live[finger] = new
                out.append(finger_event("move", new, touch_id=0, finger=finger,
                                        delta=(new[0] - pos[0], new[1] - pos[1])))
        return out


class Pilot:
    """A started kiosk on a fake clock, driven by a test.

    Args:
        cfg: the config (default: :func:`runtime.config.default_config`); ``size`` is applied
            as ``--size`` and ``exhibit`` as ``--exhibit`` would be, also to reloaded configs.
        exhibit: pin this exhibit (a one-entry playlist); None keeps the config's playlist.
        size: render surface in pixels ``(w, h)``.
        sources: extra visitor sources for the kiosk's pipeline (e.g. a
            :class:`runtime.sources.ReplaySource`).
        script: visitor events to play at their ``t`` (absolute kiosk seconds); more can be
            added with :meth:`script`.
        walkers: simulated people: a seed for :class:`runtime.sources.SimulatedVisitors`, or an
            instance with its own settings.
        touches: a seed for :class:`RandomTouches` (random fingers every frame).
        clock: the fake clock (default: a new one at 0.0); pass one to share it with a
            ``wall_fn`` or analytics built before the pilot.
        start: start the kiosk (``kiosk.start()``); False leaves that to the test.
        expect_failures: leaving a ``with`` block normally asserts that no exhibit failed
            (``kiosk.failures`` empty), unless this is set.
        **kiosk_kw: passed to :class:`runtime.app.Kiosk` (``exhibit_factory``, ``safe_mode``,
            ``audio``, ``analytics``, ``wall_fn``, ``config_path``, ...).

    Attributes:
        kiosk: the :class:`runtime.app.Kiosk`; ``clock``: its :class:`FakeTime`.
    """

    def __init__(self, cfg: KioskConfig | None = None, exhibit: str | None = None, *,
                 size: tuple[int, int] = SIZE, sources: Sequence[Any] = (),
                 script: Iterable[VisitorEvent] = (),
                 walkers: int | SimulatedVisitors | None = None, touches: int | None = None,
                 clock: FakeTime | None = None, start: bool = True,
                 expect_failures: bool = False, **kiosk_kw: Any):
        _init_pygame()
        def overrides(c: KioskConfig) -> KioskConfig:  # the command line's --size / --exhibit
            return c.with_overrides(size=size, exhibit=exhibit)

        cfg = overrides(cfg or default_config())
        kiosk_kw.setdefault("overrides", overrides)  # re-applied to every reloaded config
        self.clock = clock or FakeTime(0.0)
        self._script = ScriptSource(script)
        srcs: list[Any] = []
        if walkers is not None:
            srcs.append(SimulatedVisitors(walkers) if isinstance(walkers, int) else walkers)
        srcs += [*sources, self._script]
        self.touches = RandomTouches(touches) if touches is not None else None
        self.expect_failures = expect_failures
        self.kiosk = Kiosk(cfg, OffscreenPresenter(size), time_fn=self.clock, sources=srcs,
                           **kiosk_kw)
        self._queued: list[Any] = []
        self._fingers: dict[tuple[int, int], tuple[float, float]] = {}  # (touch id, finger)
        self._stopped = False
        if start:
            self.kiosk.start()

    # --- what the test reads ------------------------------------------------------------------
    @property
    def now(self) -> float:
        """The kiosk clock in seconds: the time of the next frame."""
        return self.clock()

    @property
    def fps(self) -> int:
        return self.kiosk.cfg.display.fps

    @property
    def dt(self) -> float:
        """One frame period in seconds (``1 / fps``)."""
        return 1.0 / self.fps

    @property
    def size(self) -> tuple[int, int]:
        return self.kiosk.size

    @property
    def exhibit(self) -> Any:
        """The exhibit shown now (``kiosk.current.exhibit``)."""
        return self.kiosk.current.exhibit

    def screenshot(self) -> np.ndarray:
        """The last frame drawn, ``(H, W, 3)`` uint8 RGB."""
        return frame_rgb(self.kiosk.presenter.surface)

    # --- time -------------------------------------------------------------------------------
    def frame(self, fps: float | None = None) -> FrameReport:
        """Draw one frame at ``now`` with the queued pointer events (and this frame's random
        touches), then move the clock one period (``1 / fps``, default the config's) on."""
        events, self._queued = self._queued, []
        if self.touches is not None:
            events += self.touches.events()
        report = self.kiosk.frame(events)
        self.clock.advance(1.0 / (fps or self.fps))
        return report

    def advance_to(self, t: float, *, shots: Iterable[float] = (),
                   fps: float | None = None) -> dict[float, np.ndarray]:
        """Draw every frame due before ``t`` seconds; ``now == t`` afterwards.

        Returns screenshots of the frames drawn at the times in ``shots`` (keyed by those
        times; a time that is not a frame time is skipped).
        """
        wanted = list(shots)
        out: dict[float, np.ndarray] = {}
        while self.clock() < t - _SLACK_S:
            at = self.clock()
            self.frame(fps)
            for s in wanted:
                if abs(at - s) < 1e-6:
                    out[s] = self.screenshot()
        return out

    def run(self, seconds: float, *, shots: Iterable[float] = (),
            fps: float | None = None) -> dict[float, np.ndarray]:
        """:meth:`advance_to` ``now + seconds``."""
        return self.advance_to(self.clock() + seconds, shots=shots, fps=fps)

    def stall(self, seconds: float) -> None:
        """Let ``seconds`` pass without a frame (a stuck loop; the next frame's clock catches
        up, clamped as :class:`runtime.clock.FixedStepClock` does)."""
        self.clock.advance(seconds)

    # --- visitors ---------------------------------------------------------------------------
    def script(self, events: Iterable[VisitorEvent]) -> None:
        """Play these visitor events at their ``t`` (absolute kiosk seconds, not before now)."""
        self._script.add(events)

    def _norm(self, pos: Sequence[float], px: bool) -> tuple[float, float]:
        if px:
            return float(pos[0]) / self.size[0], float(pos[1]) / self.size[1]
        return float(pos[0]), float(pos[1])

    def press(self, pos: Sequence[float], finger: int = 0, *, px: bool = False,
              touch_id: int = 1) -> None:
        """Queue a finger landing at ``pos`` (visitor ``touch:{touch_id}:{finger}``)."""
        p = self._norm(pos, px)
        self._fingers[touch_id, finger] = p
        self._queued.append(finger_event("down", p, touch_id=touch_id, finger=finger))

    def move(self, pos: Sequence[float], finger: int = 0, *, px: bool = False,
             touch_id: int = 1) -> None:
        """Queue a pressed finger sliding to ``pos``."""
        p = self._norm(pos, px)
        before = self._fingers.get((touch_id, finger), p)
        self._fingers[touch_id, finger] = p
        self._queued.append(finger_event("move", p, touch_id=touch_id, finger=finger,
                                         delta=(p[0] - before[0], p[1] - before[1])))

    def release(self, finger: int = 0, *, touch_id: int = 1) -> None:
        """Queue a pressed finger lifting where it is."""
        p = self._fingers.pop((touch_id, finger))
        self._queued.append(finger_event("up", p, touch_id=touch_id, finger=finger))

    def tap(self, pos: Sequence[float], finger: int = 0, *, px: bool = False,
            touch_id: int = 1) -> None:
        """A finger down at ``pos`` in one frame and up in the next (two frames drawn)."""
        self.press(pos, finger, px=px, touch_id=touch_id)
        self.frame()
        self.release(finger, touch_id=touch_id)
        self.frame()

    def drag(self, start: Sequence[float], end: Sequence[float], seconds: float,
             finger: int = 0, *, px: bool = False, touch_id: int = 1) -> None:
        """A finger down at ``start``, sliding in a straight line to ``end`` over ``seconds``
        (one move per frame), then up: ``round(seconds * fps) + 2`` frames drawn."""
        a, b = self._norm(start, px), self._norm(end, px)
        self.press(a, finger, touch_id=touch_id)
        self.frame()
        n = max(1, round(seconds * self.fps))
        for k in range(1, n + 1):
            u = k / n
            self.move((a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u), finger,
                      touch_id=touch_id)
            self.frame()
        self.release(finger, touch_id=touch_id)
        self.frame()

    def click(self, pos: Sequence[float], *, px: bool = False) -> None:
        """The mouse: left button down at ``pos`` in one frame, up in the next (visitor
        ``mouse``)."""
        import pygame

        x, y = self._norm(pos, px)
        xy = (round(x * (self.size[0] - 1)), round(y * (self.size[1] - 1)))
        self._queued.append(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=xy, button=1))
        self.frame()
        self._queued.append(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=xy, button=1))
        self.frame()

    # --- the end ----------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the kiosk (exhibits leave, sources stop); safe to call twice."""
        if not self._stopped:
            self._stopped = True
            self.kiosk.stop()

    def __enter__(self) -> Pilot:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None and not self.expect_failures:
                assert not self.kiosk.failures, self.kiosk.last_error
        finally:
            self.close()
