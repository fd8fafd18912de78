"""The kiosk engine: one frame at a time, the same code for the window, renders and benches.

Each :meth:`Kiosk.frame` runs the stages the bench reports::

    input    pygame events + sources → post-processors → exhibit.on_visitor
    update   fixed steps of 1/fps seconds (clamped; see runtime.clock)
    draw     exhibit.draw(surface, alpha), crossfading during a hand-over
    present  the presenter shows the frame (window flip, dummy flip, or nothing offscreen)

Faults never reach the visitor: an exhibit that raises in any call is logged with its traceback,
cut away from at once, restarted once when its turn comes again and then skipped for the rest of
the run; if nothing can run, a calm built-in screen shows instead. No traceback is ever drawn.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pygame

from runtime.assets import Assets
from runtime.clock import FixedStepClock
from runtime.config import KioskConfig
from runtime.events import VisitorEvent, VisitorSource
from runtime.exhibit import BaseExhibit, Exhibit, ExhibitContext
from runtime.pipeline import Pipeline, build_pipeline
from runtime.sources import PointerSource
from runtime.timing import FrameStats, StageTimer

log = logging.getLogger("kiosk")

MAX_FAILURES = 2  # an exhibit that fails this many times is skipped for the rest of the run


class Presenter:
    """Where frames go. ``surface`` is drawn on; :meth:`present` shows it."""

    surface: pygame.Surface

    def present(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class DisplayPresenter(Presenter):
    """A real window/fullscreen display, or SDL's dummy driver when headless.

    Fullscreen uses ``SCALED`` so the configured render size fills any screen resolution, and
    pointer coordinates stay in render pixels.
    """

    def __init__(self, size: tuple[int, int], *, fullscreen: bool, vsync: bool,
                 hide_cursor: bool, title: str = "Gwangju AI Art Kiosk"):
        pygame.display.init()
        flags = 0
        if fullscreen:
            flags |= pygame.FULLSCREEN | pygame.SCALED
        try:
            self.surface = pygame.display.set_mode(size, flags, vsync=1 if vsync and flags else 0)
        except pygame.error:
            # Some drivers refuse vsync; a tear is better than no picture.
            self.surface = pygame.display.set_mode(size, flags)
        pygame.display.set_caption(title)
        pygame.mouse.set_visible(not hide_cursor)

    def present(self) -> None:
        pygame.display.flip()

    def close(self) -> None:
        pygame.display.quit()


class OffscreenPresenter(Presenter):
    """An in-memory surface (renders, golden images): presenting is a no-op."""

    def __init__(self, size: tuple[int, int]):
        self.surface = pygame.Surface(size)

    def present(self) -> None:
        pass


class SafeScreen(BaseExhibit):
    """The calm fallback shown when no exhibit can run: a soft pulse and a short message."""

    def __init__(self, ctx: ExhibitContext, settings: Any = None):
        super().__init__(ctx, settings)
        self.t = 0.0
        self._text: list[pygame.Surface] = []

    def enter(self) -> None:
        h = self.ctx.size[1]
        big, small = self.ctx.assets.font(max(14, h // 20)), self.ctx.assets.font(max(10, h // 40))
        self._text = [big.render("잠시만 기다려 주세요", True, (225, 230, 245)),
                      small.render("Please wait a moment", True, (150, 160, 185))]

    def update(self, dt: float) -> None:
        self.t += dt

    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        import math

        w, h = self.ctx.size
        surface.fill((8, 10, 20))
        glow = int(30 + 20 * (1 + math.sin(self.t * 1.3)))
        pygame.draw.circle(surface, (glow, glow + 10, glow + 40), (w // 2, h // 2 - h // 10),
                           max(8, h // 10))
        if not self._text:
            self.enter()
        y = h // 2 + h // 12
        for line in self._text:
            surface.blit(line, ((w - line.get_width()) // 2, y))
            y += line.get_height() + 8


@dataclass
class Slot:
    """An exhibit being shown, with its registry name (``"safe"`` for the fallback)."""

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
        time_fn: the kiosk clock (``time.perf_counter``; :class:`FakeTime` in tests/renders).
        assets: fonts and files (shared so fonts load once).
        exhibit_factory: ``(name, ctx) -> Exhibit``; defaults to the registry. Tests inject
            exhibits that fail on purpose here.
    """

    def __init__(self, cfg: KioskConfig, presenter: Presenter, *,
                 sources: Sequence[VisitorSource] = (),
                 time_fn: Callable[[], float] = time.perf_counter,
                 assets: Assets | None = None,
                 exhibit_factory: Callable[[str, ExhibitContext], Exhibit] | None = None,
                 device: str = "cpu"):
        self.cfg = cfg
        self.presenter = presenter
        self.time_fn = time_fn
        self.size = presenter.surface.get_size()
        self.clock = FixedStepClock(1.0 / cfg.display.fps, time_fn=time_fn)
        self.stages = StageTimer(time_fn)
        self.frames = FrameStats()
        self.assets = assets or Assets()
        self.device = device
        self.pointer = PointerSource(self.size, mouse=cfg.input.mouse, touch=cfg.input.touch)
        self.pipeline: Pipeline = build_pipeline(cfg.input, self.size, [self.pointer, *sources])
        self._factory = exhibit_factory or self._registry_factory
        self.failures: dict[str, int] = {}
        self.last_error: str = ""
        self.index = -1
        self.current: Slot | None = None
        self.outgoing: Slot | None = None
        self.fade_left_s = 0.0
        self._buffer: pygame.Surface | None = None
        self.frame_count = 0

    # --- exhibits ------------------------------------------------------------------------------
    def context(self, name: str) -> ExhibitContext:
        return ExhibitContext(size=self.size, fps=self.cfg.display.fps, assets=self.assets,
                              seed=self.cfg.runtime.seed, device=self.device, stages=self.stages,
                              frames=self.frames, now=self.time_fn,
                              log=logging.getLogger(f"kiosk.exhibit.{name}"))

    def _registry_factory(self, name: str, ctx: ExhibitContext) -> Exhibit:
        from exhibits import REGISTRY

        return REGISTRY[name].create(ctx, self.cfg.exhibit(name))

    def _playable(self, name: str) -> bool:
        return self.failures.get(name, 0) < MAX_FAILURES

    def _open(self, name: str) -> Slot | None:
        """Create and enter exhibit ``name``; None (logged, counted) if that fails."""
        try:
            ex = self._factory(name, self.context(name))
            ex.enter()
        except Exception as err:  # noqa: BLE001 - an exhibit must never take the kiosk down
            self._failed(name, "enter", err)
            return None
        log.info("exhibit %s shown", name)
        slot = Slot(name, ex)
        for e in list(self.pipeline.lifecycle.live.values()):
            self._call(slot, "on_visitor", VisitorEvent(
                "enter", e.visitor_id, e.source, e.pos, (0.0, 0.0), e.t, e.size))
        return slot

    def _open_safe(self) -> Slot:
        safe = SafeScreen(self.context("safe"))
        safe.enter()
        log.warning("no exhibit can run; showing the safe screen")
        return Slot("safe", safe)

    def _failed(self, name: str, where: str, err: BaseException) -> None:
        self.failures[name] = self.failures.get(name, 0) + 1
        self.last_error = f"{name}.{where}: {type(err).__name__}: {err}"
        tb = "".join(traceback.format_exception(err)).rstrip()
        state = "skipped from now on" if not self._playable(name) else "will be restarted"
        log.error("exhibit %s raised in %s (%s):\n%s", name, where, state, tb)

    def _close(self, slot: Slot) -> None:
        try:
            slot.exhibit.leave()
        except Exception as err:  # noqa: BLE001
            self._failed(slot.name, "leave", err)

    def _call(self, slot: Slot, method: str, *args: Any) -> bool:
        """Call an exhibit method; on an exception cut to the next exhibit. True if it worked."""
        try:
            getattr(slot.exhibit, method)(*args)
            return True
        except Exception as err:  # noqa: BLE001 - isolate exhibit faults from the loop
            self._failed(slot.name, method, err)
            if slot is self.outgoing:
                self.outgoing = None
                self.fade_left_s = 0.0
            elif slot is self.current:
                self._close(slot)
                self.current = None
                self.advance(cut=True)
            return False

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
            nxt = self._open_safe()
        old = self.current
        self.current = nxt
        if old is None:
            return
        fade = self.cfg.transition.duration_s if self.cfg.transition.kind == "crossfade" else 0.0
        if cut or fade <= 0:
            self._close(old)
            return
        if self.outgoing is not None:
            self._close(self.outgoing)
        self.outgoing, self.fade_left_s = old, fade

    def start(self) -> None:
        self.pipeline.start()
        self.advance(cut=True)

    def stop(self) -> None:
        for slot in (self.outgoing, self.current):
            if slot is not None:
                self._close(slot)
        self.outgoing = self.current = None
        self.pipeline.stop()
        self.presenter.close()

    # --- the frame -------------------------------------------------------------------------------
    def frame(self, pg_events: Sequence[pygame.event.Event] = ()) -> FrameReport:
        """Run one frame (input, update, draw, present) and report it."""
        t0 = self.time_fn()
        if self.current is None:
            self.advance(cut=True)
        with self.stages.measure("input"):
            for ev in pg_events:
                self.pointer.handle(ev, t0)
            events = self.pipeline.poll(t0)
            for e in events:
                for slot in (self.outgoing, self.current):
                    if slot is not None:
                        self._call(slot, "on_visitor", e)
        tick = self.clock.tick()
        with self.stages.measure("update"):
            for _ in range(tick.steps):
                for slot in (self.outgoing, self.current):
                    if slot is not None and self._call(slot, "update", self.clock.step_s):
                        slot.shown_s += self.clock.step_s
            if self.outgoing is not None:
                self.fade_left_s -= tick.steps * self.clock.step_s
                if self.fade_left_s <= 0:
                    self._close(self.outgoing)
                    self.outgoing = None
            cur = self.current
            if cur is not None and self.outgoing is None and cur.name != "safe":
                entry = self.cfg.playlist[self.index]
                if cur.shown_s >= entry.duration_s and len(self.cfg.playlist) > 1:
                    self.advance()
        with self.stages.measure("draw"):
            self._draw(tick.alpha)
        with self.stages.measure("present"):
            self.presenter.present()
        t1 = self.time_fn()
        work_ms = (t1 - t0) * 1000.0
        self.frames.add(work_ms)
        self.frame_count += 1
        latencies = [(t1 - e.t) * 1000.0 for e in events]
        name = self.current.name if self.current else ""
        return FrameReport(events, t1, work_ms, name, latencies)

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
            self._call(cur, "draw", surface, alpha)
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

    def visitors_present(self) -> int:
        return len(self.pipeline.lifecycle.live)
