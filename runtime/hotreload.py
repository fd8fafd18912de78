"""Applying a reloaded config to a running kiosk, at a visit boundary and never half-applied.

:class:`~runtime.reload.ConfigWatcher` notices, reads and validates a changed file (off the render
thread); :class:`HotReload` picks up its verdict each frame. A refused file leaves the last good
config running and its refusal in ``config_error`` (``/health``, the admin panel). A valid one
waits in ``pending`` until no visit is under way (or is applied at once when the technician asked
for it with the admin panel's *reload*); :meth:`HotReload.apply` then switches every part of the
kiosk in one step: display size, clock, pointer, post-processing chain, visits, admin panel (its
PIN lockout kept) and the playlist from its first entry; opening hours are checked again at once.

Reads and writes its host (the :class:`~runtime.app.Kiosk`): ``cfg``, ``presenter``, ``size``,
``clock``, ``pointer``, ``pipeline``, ``homography``, ``visit``, ``admin``, ``camera``, the
:class:`~runtime.stage.Stage` and :class:`~runtime.hours.OpeningHours`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from runtime.admin import AdminPanel
from runtime.clock import FixedStepClock
from runtime.config import KioskConfig
from runtime.pipeline import build_chain
from runtime.reload import ConfigWatcher

log = logging.getLogger("kiosk")


class HotReload:
    """The pending config and the last refusal; see the module docstring.

    Args:
        host: the kiosk.
        watcher: the config file's watcher (None: started without a config file).
        overrides: re-applied to every reloaded config (the command line's ``--windowed`` etc.).
    """

    def __init__(self, host: Any, watcher: ConfigWatcher | None,
                 overrides: Callable[[KioskConfig], KioskConfig]):
        self.host = host
        self.watcher = watcher
        self.overrides = overrides
        self.pending: KioskConfig | None = None
        self.error = ""

    def request(self) -> None:
        """The admin panel's *reload*: read and validate now, apply without waiting for a visit
        to end (off the render thread; :meth:`poll` applies it when ready)."""
        if self.watcher is None:
            self.error = "no config file to reload (started without one)"
            return
        self.watcher.request()

    def poll(self, now: float) -> None:
        if self.watcher is None:
            return
        # The watcher reads and validates on its own thread; this only picks up its verdict.
        change = self.watcher.poll(now)
        if change is None:
            return
        if change.error is not None:
            self.error = self.watcher.last_error
            return
        self.error = ""
        self.pending = change.config
        if change.forced or self.host.visit.state == "idle":
            self.apply(self.pending)

    def visit_ended(self) -> None:
        """A visit boundary: the moment a waiting config is applied."""
        if self.pending is not None:
            self.apply(self.pending)

    def apply(self, cfg: KioskConfig) -> None:
        """Switch to a new, already validated config in one step (never half-applied)."""
        host = self.host
        cfg = self.overrides(cfg)
        old = host.cfg
        host.cfg, self.pending = cfg, None
        if cfg.display != old.display:
            host.presenter.resize(cfg.display.size_px, fullscreen=cfg.display.fullscreen,
                                  vsync=cfg.display.vsync, hide_cursor=cfg.display.hide_cursor)
            host.size = host.presenter.surface.get_size()
            host.stage.resized()
            host.pointer.size = host.size
        host.clock = FixedStepClock(1.0 / cfg.display.fps, time_fn=host.time_fn)
        host.pointer.mouse, host.pointer.touch = cfg.input.mouse, cfg.input.touch
        host.pipeline.chain = build_chain(cfg.input, host.size, host.homography)
        host.visit.cfg = cfg.visits
        host.admin = AdminPanel(cfg.admin, host.size, host.admin.exhibits,
                                can_calibrate=host.camera is not None,
                                previous=host.admin)  # a reload must not reset a PIN lockout
        log.info("config applied from %s", cfg.source or "memory")
        if host.hours.closed:
            host.hours.check(host.time_fn(), force=True)
            return
        host.stage.index = -1
        host.stage.advance()
        host.hours.check(host.time_fn(), force=True)
