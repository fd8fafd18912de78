"""The stage: the exhibit(s) shown, the hand-over between two, and the fault isolation around them.

A :class:`Slot` is an exhibit being shown. The :class:`Stage` holds at most two: ``current`` and,
during a crossfade, ``outgoing``. It walks the playlist (:meth:`Stage.advance`, only between
visits: :meth:`Stage.rotate_if_due`), opens and closes exhibits, steps and draws both during a
crossfade (the incoming one drawn into a buffer blended over the outgoing one) and warms the
playlist up before the first frame (:meth:`Stage.prewarm`).

Faults never reach the visitor: every exhibit call goes through :meth:`Stage.call`. An exhibit
that raises is logged with its traceback and restarted once; a second failure skips it for the
rest of the day (:data:`MAX_FAILURES`) and the playlist goes on; if nothing can run, the calm
built-in safe screen shows. The failure record resets at midnight (:mod:`runtime.hours`).

The stage plays on a host (the :class:`~runtime.app.Kiosk`) and reads from it: ``cfg`` (playlist,
transition, schedule), ``context(name)``, ``wall_fn``, ``pipeline.lifecycle.live`` (visitors
already present greet a new exhibit), ``visit.state``, ``audio``, ``analytics`` and ``counters``.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pygame

from runtime.analytics import NullAnalytics
from runtime.events import VisitorEvent
from runtime.exhibit import Exhibit, ExhibitContext
from runtime.screens import ClosedScreen, SafeScreen

log = logging.getLogger("kiosk")

MAX_FAILURES = 2  # first failure: restart the exhibit; second: skip it for the rest of the day
# What an exhibit call may raise without ending the kiosk: sys.exit() inside an exhibit (or a
# library it calls) is a fault of that exhibit, not a request to stop the gallery.
EXHIBIT_FAULTS = (Exception, SystemExit)
BUILTIN = ("safe", "closed")


@dataclass
class Slot:
    """An exhibit being shown, with its registry name (``"safe"``/``"closed"`` for built-ins)."""

    name: str
    exhibit: Exhibit
    shown_s: float = 0.0


class Stage:
    """The shown exhibit(s), the playlist position and today's failures (module docstring).

    Args:
        host: the kiosk (see the module docstring for what is read from it).
        factory: ``(name, ctx) -> Exhibit``.
        prewarm: whether :meth:`start`-time warm-up runs (off for injected test factories, which
            count their calls).
    """

    def __init__(self, host: Any, factory: Callable[[str, ExhibitContext], Exhibit], *,
                 prewarm: bool = True):
        self.host = host
        self.factory = factory
        self.prewarm_enabled = prewarm
        self.failures: dict[str, int] = {}
        self.last_error = ""
        self.index = -1
        self.current: Slot | None = None
        self.outgoing: Slot | None = None
        self.fade_left_s = 0.0
        self._buffer: pygame.Surface | None = None

    def slots(self) -> list[Slot]:
        """The shown slots, outgoing first (the order they are stepped and told things)."""
        return [s for s in (self.outgoing, self.current) if s is not None]

    @property
    def name(self) -> str:
        return self.current.name if self.current else ""

    # --- failures --------------------------------------------------------------------------------
    def playable(self, name: str) -> bool:
        return self.failures.get(name, 0) < MAX_FAILURES

    def skip_today(self, names: set[str]) -> None:
        """Skip these exhibits for the rest of today (they froze the loop in an earlier start)."""
        for name in sorted(names):
            self.failures[name] = MAX_FAILURES
            self.last_error = f"{name} froze the render loop earlier today"
            log.error("exhibit %s froze the render loop earlier today: skipped for the rest of "
                      "the day", name)

    def failed(self, name: str, where: str, err: BaseException) -> None:
        self.failures[name] = self.failures.get(name, 0) + 1
        self.host.counters.exhibit_error(name)
        self.last_error = f"{name}.{where}: {type(err).__name__}: {err}"
        self.host.analytics.record("error", name, label=f"{where}:{type(err).__name__}")
        tb = "".join(traceback.format_exception(err)).rstrip()
        state = "will be restarted" if self.playable(name) else "skipped for the rest of today"
        log.error("exhibit %s raised in %s (%s):\n%s", name, where, state, tb)

    # --- opening and closing ---------------------------------------------------------------------
    def open(self, name: str) -> Slot | None:
        """Create and enter exhibit ``name``; None (logged, counted) if that fails."""
        host = self.host
        try:
            ex = self.factory(name, host.context(name))
            ex.enter()
        except EXHIBIT_FAULTS as err:  # noqa: BLE001 - an exhibit must never take the kiosk down
            self.failed(name, "enter", err)
            return None
        log.info("exhibit %s shown", name)
        host.analytics.record("exhibit_shown", name)
        host.counters.exhibit_shown(name)
        slot = Slot(name, ex)
        for e in list(host.pipeline.lifecycle.live.values()):
            self.call(slot, "on_visitor", VisitorEvent(
                "enter", e.visitor_id, e.source, e.pos, (0.0, 0.0), e.t, e.size))
        if host.visit.state != "idle":
            self.call(slot, "on_visit_start")
        return slot

    def open_builtin(self, name: str) -> Slot:
        host = self.host
        screen = (ClosedScreen(host.context(name), host.cfg.schedule.hours_today(host.wall_fn()))
                  if name == "closed" else SafeScreen(host.context(name)))
        screen.enter()
        if name == "safe":
            log.warning("no exhibit can run; showing the safe screen")
        return Slot(name, screen)

    def close(self, slot: Slot) -> None:
        try:
            slot.exhibit.leave()
        except EXHIBIT_FAULTS as err:  # noqa: BLE001
            self.failed(slot.name, "leave", err)

    def close_all(self) -> None:
        """Leave both shown exhibits (closing time, stop); the stage is then empty."""
        for slot in (self.outgoing, self.current):
            if slot is not None:
                self.close(slot)
        self.outgoing = self.current = None

    def call(self, slot: Slot, method: str, *args: Any) -> bool:
        """Call an exhibit method; on an exception recover (restart or skip). True if it worked."""
        try:
            getattr(slot.exhibit, method)(*args)
            return True
        except EXHIBIT_FAULTS as err:  # noqa: BLE001 - isolate exhibit faults from the loop
            self.failed(slot.name, method, err)
            if slot is self.outgoing:
                self.close(slot)
                self.outgoing, self.fade_left_s = None, 0.0
            elif slot is self.current:
                self.close(slot)
                self.current = None
                restarted = self.open(slot.name) if self.playable(slot.name) else None
                if restarted is not None:
                    restarted.shown_s = slot.shown_s
                    self.current = restarted
                    self.host.analytics.record("recovery", slot.name, label="restarted")
                    self.host.counters.exhibit_restart(slot.name)
                else:
                    self.advance(cut=True)
            return False

    def tell(self, method: str, *args: Any) -> None:
        """Call ``method`` on every shown exhibit (visitor events, visit start/end)."""
        for slot in (self.outgoing, self.current):
            if slot is not None:
                self.call(slot, method, *args)

    # --- the playlist ----------------------------------------------------------------------------
    def show(self, name: str, *, cut: bool = False) -> None:
        """Switch to exhibit ``name`` now (admin panel), crossfading unless ``cut``."""
        nxt = self.open(name)
        if nxt is not None:
            self.hand_over(nxt, cut=cut)

    def advance(self, *, cut: bool = False) -> None:
        """Show the next playable playlist entry (crossfade unless ``cut``); safe screen if none."""
        entries = self.host.cfg.playlist
        nxt: Slot | None = None
        for _ in range(len(entries)):
            self.index = (self.index + 1) % len(entries)
            name = entries[self.index].exhibit
            if self.playable(name):
                nxt = self.open(name)
                if nxt is not None:
                    break
        if nxt is None:
            if self.current is not None and self.current.name == "safe":
                return
            nxt = self.open_builtin("safe")
        self.hand_over(nxt, cut=cut)

    def hand_over(self, nxt: Slot, *, cut: bool) -> None:
        old, self.current = self.current, nxt
        if old is None:
            return
        cfg = self.host.cfg
        if self.host.audio is not None:
            self.host.audio.fade_all(cfg.transition.duration_s)  # the old exhibit's notes end
        fade = cfg.transition.duration_s if cfg.transition.kind == "crossfade" else 0.0
        if cut or fade <= 0:
            self.close(old)
            return
        if self.outgoing is not None:
            self.close(self.outgoing)
        self.outgoing, self.fade_left_s = old, fade

    def rotate_if_due(self) -> None:
        cur = self.current
        if cur is None or self.outgoing is not None or cur.name in BUILTIN:
            return
        playlist = self.host.cfg.playlist
        if len(playlist) < 2 or self.host.visit.state != "idle":
            return  # never switch in the middle of a visit
        if cur.shown_s >= playlist[max(0, self.index)].duration_s:
            self.advance()

    def prewarm(self) -> list[str]:
        """Enter and leave every playlist exhibit but the first once, before the first frame,
        and make the crossfade's buffer.

        Why: an exhibit's first ``enter()`` in a process imports its modules and builds its
        per-process caches (City: ~150-400 ms of badge layout, cards and imports), and that would
        stall the frame where the rotation first reaches it; afterwards re-entry costs ~30 ms.
        The warm-up runs silent and unrecorded (no audio, no analytics). An exhibit that fails
        here is only logged: it gets its real chance (and its failure count) when it is shown.
        Returns the names warmed.
        """
        host = self.host
        warmed: list[str] = []
        names = list(dict.fromkeys(e.exhibit for e in host.cfg.playlist))[1:]
        for name in names:
            t0 = time.perf_counter()
            ctx = replace(host.context(name), audio=None, analytics=NullAnalytics(host.wall_fn))
            try:
                ex = self.factory(name, ctx)
                ex.enter()
                ex.leave()
            except EXHIBIT_FAULTS as err:  # noqa: BLE001 - a warm-up must never stop the kiosk
                log.warning("warm-up of exhibit %s failed (%s: %s); it will be tried when shown",
                            name, type(err).__name__, err)
                continue
            warmed.append(name)
            log.info("warmed up exhibit %s in %.0f ms", name, (time.perf_counter() - t0) * 1e3)
        screen = pygame.display.get_surface()
        if names and self._buffer is None and screen is not None:
            # the crossfade's buffer too (~15 ms at 1080p): made here, not in the first fade
            self._buffer = pygame.Surface(screen.get_size()).convert()
        return warmed

    # --- update and draw -------------------------------------------------------------------------
    def update(self, steps: int, step_s: float) -> None:
        """``steps`` fixed steps of ``step_s`` for both slots, then the crossfade's countdown."""
        for _ in range(steps):
            for slot in (self.outgoing, self.current):
                if slot is not None and self.call(slot, "update", step_s):
                    slot.shown_s += step_s
        if self.outgoing is not None:
            self.fade_left_s -= steps * step_s
            if self.fade_left_s <= 0:
                self.close(self.outgoing)
                self.outgoing = None

    def resized(self) -> None:
        """The display changed size: the crossfade buffer is rebuilt at the next crossfade."""
        self._buffer = None

    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        cur, out = self.current, self.outgoing
        if cur is None:
            surface.fill((0, 0, 0))
            return
        if out is None:
            if not self.call(cur, "draw", surface, alpha) and self.current is not None:
                self.call(self.current, "draw", surface, alpha)
            return
        if not self.call(out, "draw", surface, alpha):
            if self.current is not None:
                self.call(self.current, "draw", surface, alpha)
            return
        if self._buffer is None or self._buffer.get_size() != surface.get_size():
            self._buffer = pygame.Surface(surface.get_size()).convert() \
                if pygame.display.get_surface() else pygame.Surface(surface.get_size())
        if not self.call(cur, "draw", self._buffer, alpha):
            return
        total = max(1e-6, self.host.cfg.transition.duration_s)
        mix = 1.0 - max(0.0, self.fade_left_s) / total
        self._buffer.set_alpha(int(255 * min(1.0, max(0.0, mix))))
        surface.blit(self._buffer, (0, 0))
