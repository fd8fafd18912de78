"""The kiosk engine: one frame at a time, the same code for the window, renders and benches.

Each :meth:`Kiosk.frame` runs the stages the bench reports::

    input    pygame events + sources → post-processors → admin panel / exhibit.on_visitor
    update   fixed steps of 1/fps seconds (clamped; see runtime.clock), visits, schedule, reload
    draw     exhibit.draw(surface, alpha), crossfading during a hand-over, overlays
    present  the presenter shows the frame (window flip, dummy flip, or nothing offscreen)

Operations live here too: the playlist rotates only between visits; outside opening hours the
closed screen shows and exhibits are left (their models stop); a changed config file is applied
at the next visit boundary, or refused with its key paths while the last good one keeps running.

Faults never reach the visitor: an exhibit that raises in any call is logged with its traceback
and restarted once; a second failure skips it for the rest of the day and the playlist goes on;
if nothing can run, a calm built-in screen shows. No traceback is ever drawn.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import time
import traceback
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
from runtime.config import KioskConfig
from runtime.events import VisitorEvent, VisitorSource
from runtime.exhibit import Exhibit, ExhibitContext
from runtime.identity import kiosk_id
from runtime.metrics import EventCounters
from runtime.pipeline import Pipeline, build_chain, build_pipeline
from runtime.presenters import DisplayPresenter, OffscreenPresenter, Presenter
from runtime.reload import ConfigWatcher
from runtime.screens import ClosedScreen, SafeScreen, draw_still_there
from runtime.sources import PointerSource
from runtime.timing import FrameStats, StageTimer, rss_mb
from runtime.visits import VisitTracker

__all__ = ["DisplayPresenter", "FrameReport", "Kiosk", "OffscreenPresenter", "Presenter"]

log = logging.getLogger("kiosk")

MAX_FAILURES = 2  # first failure: restart the exhibit; second: skip it for the rest of the day
EXIT_TO_DESKTOP = 3  # the admin panel's exit; the systemd unit does not restart on it
# What an exhibit call may raise without ending the kiosk: sys.exit() inside an exhibit (or a
# library it calls) is a fault of that exhibit, not a request to stop the gallery.
EXHIBIT_FAULTS = (Exception, SystemExit)
BUILTIN = ("safe", "closed")


class CalibratedVision:
    """A camera :class:`~runtime.vision.processor.VisionFrame` plus the calibration ``homography``
    (camera-normalized → screen-normalized, or None), so exhibits can map its mask to the screen:
    ``ctx.vision.screen_mask(ctx.vision.homography, size)``. Every other attribute is the
    frame's own."""

    __slots__ = ("frame", "homography")

    def __init__(self, frame: Any, homography: Any):
        self.frame = frame
        self.homography = homography

    def __getattr__(self, name: str) -> Any:
        return getattr(self.frame, name)


@dataclass
class Slot:
    """An exhibit being shown, with its registry name (``"safe"``/``"closed"`` for built-ins)."""

    name: str
    exhibit: Exhibit
    shown_s: float = 0.0


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
        from exhibits import REGISTRY

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
        self.overrides = overrides
        self.pointer = PointerSource(self.size, mouse=cfg.input.mouse, touch=cfg.input.touch)
        self.homography = homography
        self.pipeline: Pipeline = build_pipeline(cfg.input, self.size, [self.pointer, *sources],
                                                 homography)
        # The camera (if any) is the source that also hands out vision frames.
        self.camera = next((s for s in sources if hasattr(s, "latest_vision")), None)
        self.vision: Any = None
        self._vision_index = -1
        self.camera_latencies_ms: deque[float] = deque(maxlen=100_000)
        self.calibration_path = calibration_path
        self.calibration: Any = None  # a runtime.vision.calibration_mode.CalibrationMode
        self._calibration_done_t = 0.0
        self.visit = VisitTracker(cfg.visits)
        self.admin = AdminPanel(cfg.admin, self.size, list(REGISTRY),
                                can_calibrate=self.camera is not None)
        # On a fake clock (renders, tests) a reload is validated inline so a run repeats frame
        # for frame; on the real clock a worker thread reads and parses, off the render thread.
        real_clock = not isinstance(time_fn, FakeTime)
        self.watcher = (ConfigWatcher(config_path, cfg, background=real_clock)
                        if config_path else None)
        self.pending_cfg: KioskConfig | None = None
        self.config_error = ""
        self._factory = exhibit_factory or self._registry_factory
        # Injected factories are test doubles that count their calls: only the registry's real
        # exhibits are warmed up at start.
        self._prewarm = exhibit_factory is None
        self.failures: dict[str, int] = {}
        self._failures_day = wall_fn().date()
        self.last_error = ""
        self.index = -1
        self.current: Slot | None = None
        self.outgoing: Slot | None = None
        self.fade_left_s = 0.0
        self._buffer: pygame.Surface | None = None
        self.frame_count = 0
        self.exit_code: int | None = None
        self.closed = False
        self._next_schedule_t = 0.0
        self.started_t = time_fn()
        self._present_times: deque[float] = deque(maxlen=121)
        self._rss_samples: deque[tuple[float, float]] = deque(maxlen=361)  # 1 h at 10 s
        self._rss_start = rss_mb()
        self._next_rss_t = 0.0

    # --- exhibits ------------------------------------------------------------------------------
    def context(self, name: str) -> ExhibitContext:
        return ExhibitContext(size=self.size, fps=self.cfg.display.fps, assets=self.assets,
                              seed=self.cfg.runtime.seed, device=self.device, stages=self.stages,
                              frames=self.frames, now=self.time_fn,
                              log=logging.getLogger(f"kiosk.exhibit.{name}"), audio=self.audio,
                              visit=self.visit, safe_mode=self.safe_mode,
                              analytics=self.analytics, vision_fn=lambda: self.vision)

    def _registry_factory(self, name: str, ctx: ExhibitContext) -> Exhibit:
        from exhibits import REGISTRY

        return REGISTRY[name].create(ctx, self.cfg.exhibit(name))

    def _playable(self, name: str) -> bool:
        return self.failures.get(name, 0) < MAX_FAILURES

    def skip_today(self, names: set[str]) -> None:
        """Skip these exhibits for the rest of today (they froze the loop in an earlier start)."""
        for name in sorted(names):
            self.failures[name] = MAX_FAILURES
            self.last_error = f"{name} froze the render loop earlier today"
            log.error("exhibit %s froze the render loop earlier today: skipped for the rest of "
                      "the day", name)

    def _open(self, name: str) -> Slot | None:
        """Create and enter exhibit ``name``; None (logged, counted) if that fails."""
        try:
            ex = self._factory(name, self.context(name))
            ex.enter()
        except EXHIBIT_FAULTS as err:  # noqa: BLE001 - an exhibit must never take the kiosk down
            self._failed(name, "enter", err)
            return None
        log.info("exhibit %s shown", name)
        self.analytics.record("exhibit_shown", name)
        self.counters.exhibit_shown(name)
        slot = Slot(name, ex)
        for e in list(self.pipeline.lifecycle.live.values()):
            self._call(slot, "on_visitor", VisitorEvent(
                "enter", e.visitor_id, e.source, e.pos, (0.0, 0.0), e.t, e.size))
        if self.visit.state != "idle":
            self._call(slot, "on_visit_start")
        return slot

    def _open_builtin(self, name: str) -> Slot:
        screen = (ClosedScreen(self.context(name), self.cfg.schedule.hours_today(self.wall_fn()))
                  if name == "closed" else SafeScreen(self.context(name)))
        screen.enter()
        if name == "safe":
            log.warning("no exhibit can run; showing the safe screen")
        return Slot(name, screen)

    def _failed(self, name: str, where: str, err: BaseException) -> None:
        self.failures[name] = self.failures.get(name, 0) + 1
        self.counters.exhibit_error(name)
        self.last_error = f"{name}.{where}: {type(err).__name__}: {err}"
        self.analytics.record("error", name, label=f"{where}:{type(err).__name__}")
        tb = "".join(traceback.format_exception(err)).rstrip()
        state = "will be restarted" if self._playable(name) else "skipped for the rest of today"
        log.error("exhibit %s raised in %s (%s):\n%s", name, where, state, tb)

    def _close(self, slot: Slot) -> None:
        try:
            slot.exhibit.leave()
        except EXHIBIT_FAULTS as err:  # noqa: BLE001
            self._failed(slot.name, "leave", err)

    def _call(self, slot: Slot, method: str, *args: Any) -> bool:
        """Call an exhibit method; on an exception recover (restart or skip). True if it worked."""
        try:
            getattr(slot.exhibit, method)(*args)
            return True
        except EXHIBIT_FAULTS as err:  # noqa: BLE001 - isolate exhibit faults from the loop
            self._failed(slot.name, method, err)
            if slot is self.outgoing:
                self._close(slot)
                self.outgoing, self.fade_left_s = None, 0.0
            elif slot is self.current:
                self._close(slot)
                self.current = None
                restarted = self._open(slot.name) if self._playable(slot.name) else None
                if restarted is not None:
                    restarted.shown_s = slot.shown_s
                    self.current = restarted
                    self.analytics.record("recovery", slot.name, label="restarted")
                    self.counters.exhibit_restart(slot.name)
                else:
                    self.advance(cut=True)
            return False

    def show(self, name: str, *, cut: bool = False) -> None:
        """Switch to exhibit ``name`` now (admin panel), crossfading unless ``cut``."""
        nxt = self._open(name)
        if nxt is not None:
            self._hand_over(nxt, cut=cut)

    def advance(self, *, cut: bool = False) -> None:
        """Show the next playable playlist entry (crossfade unless ``cut``); safe screen if none."""
        entries = self.cfg.playlist
        nxt: Slot | None = None
        for _ in range(len(entries)):
            self.index = (self.index + 1) % len(entries)
            name = entries[self.index].exhibit
            if self._playable(name):
                nxt = self._open(name)
                if nxt is not None:
                    break
        if nxt is None:
            if self.current is not None and self.current.name == "safe":
                return
            nxt = self._open_builtin("safe")
        self._hand_over(nxt, cut=cut)

    def _hand_over(self, nxt: Slot, *, cut: bool) -> None:
        old, self.current = self.current, nxt
        if old is None:
            return
        if self.audio is not None:
            self.audio.fade_all(self.cfg.transition.duration_s)  # the old exhibit's notes end
        fade = self.cfg.transition.duration_s if self.cfg.transition.kind == "crossfade" else 0.0
        if cut or fade <= 0:
            self._close(old)
            return
        if self.outgoing is not None:
            self._close(self.outgoing)
        self.outgoing, self.fade_left_s = old, fade

    def start(self) -> None:
        self.pipeline.start()
        if self._prewarm and not self.safe_mode:
            self.prewarm()
        self._check_schedule(self.time_fn(), force=True)
        if self.current is None:
            self.advance(cut=True)

    def prewarm(self) -> list[str]:
        """Enter and leave every playlist exhibit but the first once, before the first frame.

        Why: an exhibit's first ``enter()`` in a process imports its modules and builds its
        per-process caches (City: ~150-400 ms of badge layout, cards and imports), and that would
        stall the frame where the rotation first reaches it; afterwards re-entry costs ~30 ms.
        The warm-up runs silent and unrecorded (no audio, no analytics). An exhibit that fails
        here is only logged: it gets its real chance (and its failure count) when it is shown.
        Returns the names warmed.
        """
        warmed: list[str] = []
        names = list(dict.fromkeys(e.exhibit for e in self.cfg.playlist))[1:]
        for name in names:
            t0 = time.perf_counter()
            ctx = replace(self.context(name), audio=None, analytics=NullAnalytics(self.wall_fn))
            try:
                ex = self._factory(name, ctx)
                ex.enter()
                ex.leave()
            except EXHIBIT_FAULTS as err:  # noqa: BLE001 - a warm-up must never stop the kiosk
                log.warning("warm-up of exhibit %s failed (%s: %s); it will be tried when shown",
                            name, type(err).__name__, err)
                continue
            warmed.append(name)
            log.info("warmed up exhibit %s in %.0f ms", name, (time.perf_counter() - t0) * 1e3)
        return warmed

    def stop(self) -> None:
        for slot in (self.outgoing, self.current):
            if slot is not None:
                self._close(slot)
        self.outgoing = self.current = None
        self.pipeline.stop()
        self.presenter.close()

    # --- operations --------------------------------------------------------------------------
    def _check_schedule(self, now: float, force: bool = False) -> None:
        """Once a second: the daily failure reset and opening hours."""
        if now < self._next_schedule_t and not force:
            return
        self._next_schedule_t = now + 1.0
        wall = self.wall_fn()
        if wall.date() != self._failures_day:
            self._failures_day = wall.date()
            if self.failures:
                log.info("new day: exhibits that failed yesterday are back in the rotation")
            self.failures.clear()
            if self.current is not None and self.current.name == "safe" and not self.closed:
                self.advance(cut=True)
        open_now = self.cfg.schedule.is_open(wall)
        if not open_now and not self.closed:
            self.closed = True
            log.info("outside opening hours: showing the closed screen, models paused")
            for slot in (self.outgoing, self.current):
                if slot is not None:
                    self._close(slot)
            self.outgoing = None
            self.current = self._open_builtin("closed")
            self._dpms("off")
        elif open_now and self.closed:
            self.closed = False
            log.info("opening hours began: exhibits resume")
            self._dpms("on")
            if self.current is not None:
                self._close(self.current)
            self.current, self.index = None, -1
            self.advance(cut=True)

    def _dpms(self, state: str) -> None:
        if not self.cfg.schedule.display_off_when_closed or isinstance(self.presenter,
                                                                        OffscreenPresenter):
            return
        try:  # best effort: only where X11 and xset exist; a failure keeps the closed screen
            subprocess.Popen(["xset", "dpms", "force", state], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        except OSError:
            log.info("xset not available; showing the closed screen instead of display off")

    def _poll_config(self, now: float) -> None:
        if self.watcher is None:
            return
        # The watcher reads and validates on its own thread; this only picks up its verdict.
        change = self.watcher.poll(now)
        if change is None:
            return
        if change.error is not None:
            self.config_error = self.watcher.last_error
            return
        self.config_error = ""
        self.pending_cfg = change.config
        if change.forced or self.visit.state == "idle":
            self.apply_config(self.pending_cfg)

    def apply_config(self, cfg: KioskConfig) -> None:
        """Switch to a new, already validated config in one step (never half-applied)."""
        cfg = self.overrides(cfg)
        old = self.cfg
        self.cfg, self.pending_cfg = cfg, None
        if cfg.display != old.display:
            self.presenter.resize(cfg.display.size_px, fullscreen=cfg.display.fullscreen,
                                  vsync=cfg.display.vsync, hide_cursor=cfg.display.hide_cursor)
            self.size = self.presenter.surface.get_size()
            self._buffer = None
            self.pointer.size = self.size
        self.clock = FixedStepClock(1.0 / cfg.display.fps, time_fn=self.time_fn)
        self.pointer.mouse, self.pointer.touch = cfg.input.mouse, cfg.input.touch
        self.pipeline.chain = build_chain(cfg.input, self.size, self.homography)
        self.visit.cfg = cfg.visits
        self.admin = AdminPanel(cfg.admin, self.size, self.admin.exhibits,
                                can_calibrate=self.camera is not None,
                                previous=self.admin)  # a reload must not reset a PIN lockout
        log.info("config applied from %s", cfg.source or "memory")
        if self.closed:
            self._check_schedule(self.time_fn(), force=True)
            return
        self.index = -1
        self.advance()
        self._check_schedule(self.time_fn(), force=True)

    def _admin_action(self, action: AdminAction) -> None:
        log.info("admin: %s %s", action.kind, action.exhibit)
        if action.kind == "switch":
            self.show(action.exhibit)
        elif action.kind == "reload":
            if self.watcher is None:
                self.config_error = "no config file to reload (started without one)"
                return
            # Read and validated off the render thread; _poll_config applies it when ready
            # (at once, not at the visit boundary: the technician asked for it).
            self.watcher.request()
        elif action.kind == "exit":
            self.exit_code = EXIT_TO_DESKTOP
        elif action.kind == "calibrate":
            self.start_calibration()

    def _visit_changed(self, change: str) -> None:
        slots = [s for s in (self.outgoing, self.current) if s is not None]
        exhibit = self.current.name if self.current else ""
        if change == "start":
            self.counters.visits_started += 1
            log.info("visit started")
            self.analytics.record("visit_start", exhibit)
            for s in slots:
                self._call(s, "on_visit_start")
            return
        duration = self.visit.durations_s[-1] if self.visit.durations_s else 0.0
        self.counters.visits_ended += 1
        log.info("visit ended after %.0f s", duration)
        self.analytics.record("visit_end", exhibit, value=round(duration, 1))
        self.analytics.record("visitors_peak", exhibit, value=self.visit.peak_present)
        for s in slots:
            self._call(s, "on_visit_end")
        if self.pending_cfg is not None:
            self.apply_config(self.pending_cfg)

    def _rotate_if_due(self) -> None:
        cur = self.current
        if cur is None or self.outgoing is not None or cur.name in BUILTIN:
            return
        if len(self.cfg.playlist) < 2 or self.visit.state != "idle":
            return  # never switch in the middle of a visit
        if cur.shown_s >= self.cfg.playlist[max(0, self.index)].duration_s:
            self.advance()

    # --- the frame -------------------------------------------------------------------------------
    def frame(self, pg_events: Sequence[pygame.event.Event] = ()) -> FrameReport:
        """Run one frame (input, update, draw, present) and report it."""
        t0 = self.time_fn()
        if self.current is None:
            self.advance(cut=True)
        with self.stages.measure("input"):
            for ev in pg_events:
                self.pointer.handle(ev, t0)
            if self.camera is not None:
                vf = self.camera.latest_vision()
                if vf is None or self.vision is None or vf is not self.vision.frame:
                    self.vision = CalibratedVision(vf, self.homography) if vf is not None else None
            events = self.pipeline.poll(t0)
            if self.calibration is not None:
                events = self._route_calibration(events, t0)
            for e in self._route_admin(events, t0):
                for slot in (self.outgoing, self.current):
                    if slot is not None:
                        self._call(slot, "on_visitor", e)
            # A tap enters and leaves within one frame: it was present all the same.
            entered = sum(1 for e in events if e.kind == "enter")
            change = self.visit.observe(t0, events=len(events),
                                        present=max(len(self.pipeline.lifecycle.live), entered))
            if change:
                self._visit_changed(change)
        tick = self.clock.tick()
        with self.stages.measure("update"):
            self._check_schedule(t0)
            self._poll_config(t0)
            self.admin.update(t0)
            for _ in range(tick.steps):
                for slot in (self.outgoing, self.current):
                    if slot is not None and self._call(slot, "update", self.clock.step_s):
                        slot.shown_s += self.clock.step_s
            if self.outgoing is not None:
                self.fade_left_s -= tick.steps * self.clock.step_s
                if self.fade_left_s <= 0:
                    self._close(self.outgoing)
                    self.outgoing = None
            self._rotate_if_due()
        with self.stages.measure("draw"):
            if self.calibration is not None:
                self.calibration.draw(self.presenter.surface)
            else:
                self._draw(tick.alpha)
            if self.calibration is None and self.current is not None \
                    and self.current.name not in BUILTIN:
                draw_still_there(self.presenter.surface, self.assets,
                                 self.visit.warning_fraction(t0))
            if self.admin.is_open:
                self.admin.draw(self.presenter.surface, self.assets, self.health(), t0)
        with self.stages.measure("present"):
            self.presenter.present()
        t1 = self.time_fn()
        work_ms = (t1 - t0) * 1000.0
        self.frames.add(work_ms)
        self.frame_count += 1
        self._present_times.append(t1)
        if t1 >= self._next_rss_t:
            self._next_rss_t = t1 + 10.0
            self._rss_samples.append((t1, rss_mb()))
        latencies = [(t1 - e.t) * 1000.0 for e in events]
        vf = self.vision
        if vf is not None and vf.index != self._vision_index:  # (vf: a CalibratedVision)
            # camera_to_present: capture time → the first presented frame that used that frame.
            self._vision_index = vf.index
            self.camera_latencies_ms.append((t1 - vf.t_capture) * 1000.0)
        name = self.current.name if self.current else ""
        return FrameReport(events, t1, work_ms, name, latencies)

    # --- camera calibration (opened from the admin panel) --------------------------------------
    def start_calibration(self) -> None:
        """Show the calibration targets; the technician stands at each (or touches it)."""
        if self.camera is None:
            log.info("camera calibration requested, but no camera is configured")
            return
        from runtime.vision.calibration_mode import CalibrationMode

        cam = self.camera.cfg
        self.admin.close()
        self.calibration = CalibrationMode(anchor=cam.anchor, mirrored=cam.mirror,
                                           font=self.assets.font)
        log.info("camera calibration started")

    def _route_calibration(self, events: list[VisitorEvent], now: float) -> list[VisitorEvent]:
        """While calibrating, touches answer the targets and the tracked people are measured."""
        cal = self.calibration
        vf = self.vision
        if vf is not None:
            cal.feed([p.pos for p in vf.people if not p.occluded], now)
        for e in events:
            if e.kind == "enter" and e.source in ("touch", "mouse"):
                if cal.state != "collecting":
                    self.calibration = None  # a touch on the result screen closes it
                    return []
                cal.touch(e.pos, now)
        cal.update(now)
        if cal.state == "done" and cal.result is not None and not self._calibration_done_t:
            self._calibration_done_t = now
            self._save_calibration(cal.result)
        if self._calibration_done_t and now - self._calibration_done_t > 5.0:
            self.calibration, self._calibration_done_t = None, 0.0
        return [e for e in events if e.source not in ("touch", "mouse")]

    def _save_calibration(self, result: Any) -> None:
        from runtime.vision.calibration import save_calibration

        self.homography = result.homography
        self.pipeline.chain = build_chain(self.cfg.input, self.size, self.homography)
        if self.calibration_path is None:
            log.warning("calibration solved (rms %.3f) but there is no file to save it to",
                        result.rms_error)
            return
        try:
            save_calibration(self.calibration_path, result)
            log.info("camera calibration saved to %s (rms error %.3f of the screen)",
                     self.calibration_path, result.rms_error)
        except OSError as err:
            log.error("cannot save the camera calibration to %s: %s", self.calibration_path, err)

    def _route_admin(self, events: list[VisitorEvent], now: float) -> list[VisitorEvent]:
        """Touch/mouse go to the admin panel while it is open; everything else to exhibits."""
        out = []
        for e in events:
            if self.admin.is_open and e.source in ("touch", "mouse"):
                action = self.admin.handle(e, now)
                if action is not None:
                    self._admin_action(action)
                if e.kind == "leave":
                    out.append(e)  # the finger that opened the panel must not haunt the exhibit
                continue
            self.admin.handle(e, now)  # the closed panel only watches for the corner sequence
            if e.kind == "enter" and e.source in ("touch", "mouse"):
                self.analytics.record("touch", self.current.name if self.current else "")
            out.append(e)
        return out

    def _draw(self, alpha: float) -> None:
        surface = self.presenter.surface
        cur, out = self.current, self.outgoing
        if cur is None:
            surface.fill((0, 0, 0))
            return
        if out is None:
            if not self._call(cur, "draw", surface, alpha) and self.current is not None:
                self._call(self.current, "draw", surface, alpha)
            return
        if not self._call(out, "draw", surface, alpha):
            if self.current is not None:
                self._call(self.current, "draw", surface, alpha)
            return
        if self._buffer is None or self._buffer.get_size() != surface.get_size():
            self._buffer = pygame.Surface(surface.get_size()).convert() \
                if pygame.display.get_surface() else pygame.Surface(surface.get_size())
        if not self._call(cur, "draw", self._buffer, alpha):
            return
        total = max(1e-6, self.cfg.transition.duration_s)
        mix = 1.0 - max(0.0, self.fade_left_s) / total
        self._buffer.set_alpha(int(255 * min(1.0, max(0.0, mix))))
        surface.blit(self._buffer, (0, 0))

    # --- health ------------------------------------------------------------------------------
    def visitors_present(self) -> int:
        return len(self.pipeline.lifecycle.live)

    def health(self) -> dict[str, Any]:
        """A snapshot for the admin panel and ``/health`` (JSON-ready)."""
        now = self.time_fn()
        times = self._present_times
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and \
            times[-1] > times[0] else 0.0
        recent = list(self.frames.recent)
        p99 = float(sorted(recent)[int(0.99 * (len(recent) - 1))]) if recent else 0.0
        hour_ago = self._rss_samples[0][1] if self._rss_samples else self._rss_start
        status = "ok"
        if self.closed:
            status = "closed"
        elif self.safe_mode or self.config_error or self.failures or (
                self.current is not None and self.current.name == "safe"):
            status = "degraded"
        today = self.analytics.today()
        camera: dict[str, Any] = {"status": "none"}
        if self.camera is not None:
            st = self.camera.status()
            vf = self.vision
            camera = {"status": st.get("state", "?"), "line": st.get("line", ""),
                      "people": st.get("people", 0),
                      "frame_age_s": round(now - vf.t_capture, 2) if vf is not None else None,
                      "vision_ms_p50": round(st.get("vision_ms_p50", 0.0), 2),
                      "calibrated": self.homography is not None}
        audio: dict[str, Any] = {"status": "none"}
        if self.audio is not None and hasattr(self.audio, "status"):
            st = self.audio.status()
            audio = {"status": st.get("state", "?"), "device": st.get("device", ""),
                     "underflows": st.get("underflows", 0), "restarts": st.get("restarts", 0),
                     "reason": st.get("reason", "")}
        return {
            "status": status,
            "uptime_s": round(now - self.started_t, 1),
            "fps": round(fps, 1),
            "frame_p99_ms": round(p99, 2),
            "frame_ms_recent": [round(v, 2) for v in recent[-120:]],
            "stages_ms": {k: round(v, 2) for k, v in self.stages.last_ms.items()},
            "exhibit": self.current.name if self.current else "",
            "camera": camera,
            "audio": audio,
            "device": self.device,
            "memory_mb": {"start": round(self._rss_start, 1), "now": round(rss_mb(), 1),
                          "hour_ago": round(hour_ago, 1)},
            "visits_today": today["visits"],
            "median_visit_s": today["median_visit_s"],
            "visitors_present": self.visitors_present(),
            "visit_state": self.visit.state,
            "safe_mode": self.safe_mode,
            "config_error": self.config_error,
            "last_error": self.last_error,
            "failures_today": dict(self.failures),
            "analytics": self.analytics.status() if hasattr(self.analytics, "status") else {},
            "kiosk": {"id": self.kiosk_id, "location": self.cfg.kiosk.location},
            "config": {"schema_version": self.cfg.schema_version, "sha256": self.cfg.digest,
                       "source": self.cfg.source},
            "target_fps": self.cfg.display.fps,
            "counters": self.counters.as_dict(),
        }


def replace_playlist(cfg: KioskConfig, *entries: tuple[str, float]) -> KioskConfig:
    """``cfg`` with a new playlist of ``(exhibit, duration_s)`` (tests, bench rotation)."""
    from runtime.config import PlaylistEntry

    return replace(cfg, playlist=tuple(PlaylistEntry(n, d) for n, d in entries))
