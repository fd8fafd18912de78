"""The kiosk engine: one frame at a time, the same code for the window, renders and benches.

Each :meth:`Kiosk.frame` runs the stages the bench reports::

    input    pygame events + sources → post-processors → overlays → exhibit.on_visitor
    update   fixed steps of 1/fps seconds (clamped; see runtime.clock), visits, hours, reload
    draw     exhibit.draw(surface, alpha), crossfading during a hand-over, overlays
    present  the presenter shows the frame (window flip, dummy flip, or nothing offscreen)

:class:`Kiosk` owns the frame and the parts every room shares (config, presenter, clock, input
pipeline, visits, admin panel, camera); the jobs live in rooms it composes, each with its
module docstring:

========================  =====================================================================
``self.stage``            :mod:`runtime.stage`: the shown exhibit(s), playlist rotation between
                          visits, crossfade, fault isolation (restart once, then skip for today)
``self.hours``            :mod:`runtime.hours`: opening hours, the closed screen, display power,
                          the daily failure reset
``self.reload``           :mod:`runtime.hotreload`: a changed config applied at a visit boundary
                          (or refused while the last good one keeps running)
``self.overlays``         :mod:`runtime.overlays`: the admin panel and camera calibration, which
                          capture touch input while they are up
``self.vitals``           :mod:`runtime.vitals`: fps and memory records, the ``/health`` snapshot
========================  =====================================================================

The attributes tests and tools read (``current``, ``outgoing``, ``index``, ``failures``,
``last_error``, ``closed``, ``pending_cfg``, ``config_error``, ``calibration``) are read-only
views of those rooms. Faults never reach the visitor; no traceback is ever drawn.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pygame

from runtime.admin import AdminAction, AdminPanel
from runtime.analytics import NullAnalytics
from runtime.assets import Assets
from runtime.clock import FakeTime, FixedStepClock
from runtime.config import KioskConfig, PlaylistEntry
from runtime.events import VisitorEvent, VisitorSource
from runtime.exhibit import Exhibit, ExhibitContext
from runtime.hotreload import HotReload
from runtime.hours import OpeningHours
from runtime.identity import kiosk_id
from runtime.metrics import EventCounters
from runtime.overlays import EXIT_TO_DESKTOP, Overlays
from runtime.pipeline import Pipeline, build_pipeline
from runtime.presenters import DisplayPresenter, OffscreenPresenter, Presenter
from runtime.reload import ConfigWatcher
from runtime.screens import draw_still_there
from runtime.sources import PointerSource
from runtime.stage import BUILTIN, EXHIBIT_FAULTS, MAX_FAILURES, Slot, Stage
from runtime.store import ExhibitStore
from runtime.timing import FrameStats, StageTimer
from runtime.vision.frame import VisionFrame, VisionSource
from runtime.visits import VisitTracker
from runtime.vitals import Vitals

__all__ = ["BUILTIN", "EXHIBIT_FAULTS", "EXIT_TO_DESKTOP", "MAX_FAILURES", "DisplayPresenter",
           "FrameReport", "Kiosk", "OffscreenPresenter", "Presenter", "Slot", "replace_playlist"]

log = logging.getLogger("kiosk")


@dataclass
class FrameReport:
    """What one frame did (for the bench and tests)."""

    events: list[VisitorEvent]
    present_t: float
    work_ms: float
    exhibit: str
    latencies_ms: list[float] = field(default_factory=list)


class Kiosk:
    """The engine. Build with a config, a presenter and sources; call :meth:`frame` repeatedly.

    Args:
        cfg: validated config (after command-line overrides).
        presenter: display, dummy display or offscreen surface.
        sources: extra visitor sources (simulation, replay, camera); the pointer source for mouse
            and touch is always present and fed via ``frame(pg_events=...)``.
        time_fn: the kiosk clock in seconds (``time.perf_counter``; a fake clock in tests).
        wall_fn: local wall-clock time for opening hours and the daily reset (``datetime.now``).
        assets: fonts and files (shared so fonts load once).
        exhibit_factory: ``(name, ctx) -> Exhibit``; defaults to the registry. Tests inject
            exhibits that fail on purpose here.
        device: torch device for models.
        config_path: watch this file and apply valid changes at visit boundaries (None: off).
        overrides: re-applied to every reloaded config (the command line's ``--windowed`` etc.).
        safe_mode: started after a crash loop: exhibits load no models.
        audio: the sound engine handed to exhibits (None: silent).
        analytics: where anonymous counts go (default: nowhere).
        homography: camera → screen calibration (3×3) for camera visitors (None: identity).
        calibration_path: where the admin panel's camera calibration is saved.
    """

    def __init__(self, cfg: KioskConfig, presenter: Presenter, *,
                 sources: Sequence[VisitorSource] = (),
                 time_fn: Callable[[], float] = time.perf_counter,
                 wall_fn: Callable[[], dt.datetime] = dt.datetime.now,
                 assets: Assets | None = None,
                 exhibit_factory: Callable[[str, ExhibitContext], Exhibit] | None = None,
                 device: str = "cpu", config_path: Path | None = None,
                 overrides: Callable[[KioskConfig], KioskConfig] = lambda c: c,
                 safe_mode: bool = False, audio: Any = None, analytics: Any = None,
                 homography: Any = None, calibration_path: Path | None = None):
        from runtime.registry import REGISTRY

        self.cfg = cfg
        self.presenter = presenter
        self.time_fn = time_fn
        self.wall_fn = wall_fn
        self.size = presenter.surface.get_size()
        self.clock = FixedStepClock(1.0 / cfg.display.fps, time_fn=time_fn)
        self.stages = StageTimer(time_fn)
        self.frames = FrameStats()
        self.counters = EventCounters()  # monotonic, for /metrics (rare events, never per frame)
        self.kiosk_id = kiosk_id(cfg.kiosk)
        self.assets = assets or Assets()
        self.device = device
        self.safe_mode = safe_mode
        self.audio = audio
        self.analytics = analytics or NullAnalytics(wall_fn)
        self.pointer = PointerSource(self.size, mouse=cfg.input.mouse, touch=cfg.input.touch)
        self.homography = homography
        self.pipeline: Pipeline = build_pipeline(cfg.input, self.size, [self.pointer, *sources],
                                                 homography)
        # The camera (if any) is the source that also hands out vision frames.
        self.camera: VisionSource | None = next(
            (s for s in sources if isinstance(s, VisionSource)), None)
        self.vision: VisionFrame | None = None  # the camera's newest, with the calibration
        self._camera_frame: VisionFrame | None = None  # ... as the camera handed it out
        self._vision_index = -1
        self.camera_latencies_ms: deque[float] = deque(maxlen=100_000)
        self.visit = VisitTracker(cfg.visits)
        self.stores: dict[str, ExhibitStore] = {}  # per exhibit name, across showings
        self.admin = AdminPanel(cfg.admin, self.size, list(REGISTRY),
                                can_calibrate=self.camera is not None)
        self.overlays = Overlays(self, calibration_path)
        # On a fake clock (renders, tests) a reload is validated inline so a run repeats frame
        # for frame; on the real clock a worker thread reads and parses, off the render thread.
        real_clock = not isinstance(time_fn, FakeTime)
        self.reload = HotReload(self, ConfigWatcher(config_path, cfg, background=real_clock)
                                if config_path else None, overrides)
        # Injected factories are test doubles that count their calls: only the registry's real
        # exhibits are warmed up at start.
        self.stage = Stage(self, exhibit_factory or self._registry_factory,
                           prewarm=exhibit_factory is None)
        self.hours = OpeningHours(self)
        self.frame_count = 0
        self.exit_code: int | None = None
        self.vitals = Vitals(self)

    # --- views of the rooms (read by tests, tools and the watchdog) ------------------------------
    current = property(lambda self: self.stage.current, doc="the exhibit shown (a Slot) or None")
    outgoing = property(lambda self: self.stage.outgoing, doc="the exhibit fading out, or None")
    index = property(lambda self: self.stage.index, doc="the playlist entry shown (-1: none)")
    failures = property(lambda self: self.stage.failures, doc="failures today by exhibit name")
    last_error = property(lambda self: self.stage.last_error, doc="the last exhibit failure")
    closed = property(lambda self: self.hours.closed, doc="outside opening hours")
    pending_cfg = property(lambda self: self.reload.pending, doc="a valid config waiting")
    config_error = property(lambda self: self.reload.error, doc="the last refused config")
    calibration = property(lambda self: self.overlays.calibration, doc="calibration mode or None")
    _factory = property(lambda self: self.stage.factory)

    # --- exhibits ------------------------------------------------------------------------------
    def context(self, name: str) -> ExhibitContext:
        return ExhibitContext(size=self.size, fps=self.cfg.display.fps, assets=self.assets,
                              seed=self.cfg.runtime.seed, device=self.device, stages=self.stages,
                              frames=self.frames, now=self.time_fn,
                              log=logging.getLogger(f"kiosk.exhibit.{name}"), audio=self.audio,
                              visit=self.visit, safe_mode=self.safe_mode,
                              analytics=self.analytics, vision_fn=lambda: self.vision,
                              store=self.stores.setdefault(name, ExhibitStore(name)))

    def _registry_factory(self, name: str, ctx: ExhibitContext) -> Exhibit:
        from runtime.registry import REGISTRY

        return REGISTRY[name].create(ctx, self.cfg.exhibit(name))

    def skip_today(self, names: set[str]) -> None:
        """Skip these exhibits for the rest of today (they froze the loop in an earlier start)."""
        self.stage.skip_today(names)

    def show(self, name: str, *, cut: bool = False) -> None:
        """Switch to exhibit ``name`` now (admin panel), crossfading unless ``cut``."""
        self.stage.show(name, cut=cut)

    def advance(self, *, cut: bool = False) -> None:
        """Show the next playable playlist entry (crossfade unless ``cut``); safe screen if none."""
        self.stage.advance(cut=cut)

    def prewarm(self) -> list[str]:
        """Warm every playlist exhibit but the first up (:meth:`runtime.stage.Stage.prewarm`)."""
        return self.stage.prewarm()

    def apply_config(self, cfg: KioskConfig) -> None:
        """Switch to a new, already validated config in one step (never half-applied)."""
        self.reload.apply(cfg)

    def start_calibration(self) -> None:
        """Show the calibration targets; the technician stands at each (or touches it)."""
        self.overlays.start_calibration()

    def _admin_action(self, action: AdminAction) -> None:
        self.overlays.admin_action(action)

    def start(self) -> None:
        self.pipeline.start()
        if self.stage.prewarm_enabled and not self.safe_mode:
            self.stage.prewarm()
        self.hours.check(self.time_fn(), force=True)
        if self.stage.current is None:
            self.stage.advance(cut=True)

    def stop(self) -> None:
        self.stage.close_all()
        self.pipeline.stop()
        self.presenter.close()

    # --- the frame -------------------------------------------------------------------------------
    def _visit_changed(self, change: str) -> None:
        exhibit = self.stage.name
        if change == "start":
            self.counters.visits_started += 1
            log.info("visit started")
            self.analytics.record("visit_start", exhibit)
            self.stage.tell("on_visit_start")
            return
        duration = self.visit.durations_s[-1] if self.visit.durations_s else 0.0
        self.counters.visits_ended += 1
        log.info("visit ended after %.0f s", duration)
        self.analytics.record("visit_end", exhibit, value=round(duration, 1))
        self.analytics.record("visitors_peak", exhibit, value=self.visit.peak_present)
        self.stage.tell("on_visit_end")
        self.reload.visit_ended()

    def frame(self, pg_events: Sequence[pygame.event.Event] = ()) -> FrameReport:
        """Run one frame (input, update, draw, present) and report it."""
        stage = self.stage
        t0 = self.time_fn()
        if stage.current is None:
            stage.advance(cut=True)
        with self.stages.measure("input"):
            for ev in pg_events:
                self.pointer.handle(ev, t0)
            if self.camera is not None:
                self._take_vision(self.camera.latest_vision())
            events = self.pipeline.poll(t0)
            for e in self.overlays.route(events, t0):
                stage.tell("on_visitor", e)
            # A tap enters and leaves within one frame: it was present all the same.
            entered = sum(1 for e in events if e.kind == "enter")
            change = self.visit.observe(t0, events=len(events),
                                        present=max(len(self.pipeline.lifecycle.live), entered))
            if change:
                self._visit_changed(change)
        tick = self.clock.tick()
        with self.stages.measure("update"):
            self.hours.check(t0)
            self.reload.poll(t0)
            self.admin.update(t0)
            stage.update(tick.steps, self.clock.step_s)
            stage.rotate_if_due()
        with self.stages.measure("draw"):
            self.overlays.draw(self.presenter.surface, t0, lambda: self._draw(tick.alpha, t0))
        with self.stages.measure("present"):
            self.presenter.present()
        t1 = self.time_fn()
        work_ms = (t1 - t0) * 1000.0
        self.frames.add(work_ms)
        self.frame_count += 1
        self.vitals.presented(t1)
        latencies = [(t1 - e.t) * 1000.0 for e in events]
        vf = self.vision
        if vf is not None and vf.index != self._vision_index:
            # camera_to_present: capture time → the first presented frame that used that frame.
            self._vision_index = vf.index
            self.camera_latencies_ms.append((t1 - vf.t_capture) * 1000.0)
        return FrameReport(events, t1, work_ms, stage.name, latencies)

    def _take_vision(self, vf: VisionFrame | None) -> None:
        """Hand exhibits the camera's newest frame with the calibration in ``homography``: made
        once per new camera frame (or new calibration), so every read in a frame is the same
        object and costs nothing."""
        if vf is None:
            self.vision = self._camera_frame = None
        elif vf is not self._camera_frame or self.vision is None or \
                self.vision.homography is not self.homography:
            self._camera_frame = vf
            self.vision = replace(vf, homography=self.homography)

    def _draw(self, alpha: float, now: float) -> None:
        """The stage, and the "still there?" hint over an exhibit (not over built-in screens)."""
        surface = self.presenter.surface
        self.stage.draw(surface, alpha)
        if self.stage.current is not None and self.stage.current.name not in BUILTIN:
            draw_still_there(surface, self.assets, self.visit.warning_fraction(now))

    # --- health ------------------------------------------------------------------------------
    def visitors_present(self) -> int:
        return len(self.pipeline.lifecycle.live)

    def health(self) -> dict[str, Any]:
        """A snapshot for the admin panel and ``/health`` (JSON-ready; :mod:`runtime.vitals`)."""
        return self.vitals.snapshot()


def replace_playlist(cfg: KioskConfig, *entries: tuple[str, float]) -> KioskConfig:
    """``cfg`` with a new playlist of ``(exhibit, duration_s)`` (tests, bench rotation)."""
    return replace(cfg, playlist=tuple(PlaylistEntry(n, d) for n, d in entries))
