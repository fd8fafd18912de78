"""Overlays that take the visitors' input while they are up: the admin panel and camera calibration.

Each frame the visitor events pass through :meth:`Overlays.route` before any exhibit sees them.

* **Calibration** (opened from the admin panel when a camera is configured) captures all touch
  and mouse input: a touch answers the target on screen, the tracked people are measured, the
  solved homography is applied at once and saved to ``calibration_path``; the result screen
  closes on a touch or after 5 s. Camera visitors still reach the exhibit underneath.
* **The admin panel** captures touch and mouse while it is open (a finger's *leave* still goes to
  the exhibit, so the finger that opened the panel does not haunt it); while closed it only
  watches for the corner sequence. Its actions: switch exhibit, reload config, calibrate, exit
  to desktop (:data:`EXIT_TO_DESKTOP`, a second tap confirms it in the panel).

Both draw over the exhibit (:meth:`Overlays.draw`); calibration replaces it while shown.
Reads and writes its host (the :class:`~runtime.app.Kiosk`): ``admin``, ``camera`` (a
:class:`~runtime.vision.frame.VisionSource`), ``vision`` (its newest frame, tracked people read),
``assets``, ``cfg.input``, ``size``, ``homography``, ``pipeline``, ``analytics``, ``stage``,
``reload`` and ``exit_code``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pygame

from runtime.admin import AdminAction
from runtime.events import TOUCH_SOURCES, VisitorEvent
from runtime.pipeline import build_chain

log = logging.getLogger("kiosk")

EXIT_TO_DESKTOP = 3  # the admin panel's exit; the systemd unit does not restart on it


class Overlays:
    """The admin panel's routing and the calibration mode (module docstring)."""

    def __init__(self, host: Any, calibration_path: Path | None):
        self.host = host
        self.calibration_path = calibration_path
        self.calibration: Any = None  # a runtime.vision.calibration_mode.CalibrationMode
        self._calibration_done_t = 0.0

    def route(self, events: list[VisitorEvent], now: float) -> list[VisitorEvent]:
        """The events the exhibits get after calibration and the admin panel took theirs."""
        if self.calibration is not None:
            events = self._route_calibration(events, now)
        return self._route_admin(events, now)

    def draw(self, surface: pygame.Surface, now: float, draw_stage: Any) -> None:
        """Calibration instead of ``draw_stage()`` while it is up; then the admin panel on top."""
        host = self.host
        if self.calibration is not None:
            self.calibration.draw(surface)
        else:
            draw_stage()
        if host.admin.is_open:
            host.admin.draw(surface, host.assets, host.health(), now)

    # --- the admin panel -------------------------------------------------------------------------
    def _route_admin(self, events: list[VisitorEvent], now: float) -> list[VisitorEvent]:
        """Touch/mouse go to the admin panel while it is open; everything else to exhibits."""
        host = self.host
        out = []
        for e in events:
            if host.admin.is_open and e.source in TOUCH_SOURCES:
                action = host.admin.handle(e, now)
                if action is not None:
                    self.admin_action(action)
                if e.kind == "leave":
                    out.append(e)  # the finger that opened the panel must not haunt the exhibit
                continue
            host.admin.handle(e, now)  # the closed panel only watches for the corner sequence
            if e.kind == "enter" and e.source in TOUCH_SOURCES:
                host.analytics.record("touch", host.stage.name)
            out.append(e)
        return out

    def admin_action(self, action: AdminAction) -> None:
        host = self.host
        log.info("admin: %s %s", action.kind, action.exhibit)
        if action.kind == "switch":
            host.stage.show(action.exhibit)
        elif action.kind == "reload":
            host.reload.request()
        elif action.kind == "exit":
            host.exit_code = EXIT_TO_DESKTOP
        elif action.kind == "calibrate":
            self.start_calibration()

    # --- camera calibration ----------------------------------------------------------------------
    def start_calibration(self) -> None:
        """Show the calibration targets; the technician stands at each (or touches it)."""
        host = self.host
        if host.camera is None:
            log.info("camera calibration requested, but no camera is configured")
            return
        from runtime.vision.calibration_mode import CalibrationMode

        cam = host.camera.cfg
        host.admin.close()
        self.calibration = CalibrationMode(anchor=cam.anchor, mirrored=cam.mirror,
                                           font=host.assets.font)
        log.info("camera calibration started")

    def _route_calibration(self, events: list[VisitorEvent], now: float) -> list[VisitorEvent]:
        """While calibrating, touches answer the targets and the tracked people are measured."""
        cal = self.calibration
        vf = self.host.vision
        if vf is not None:
            cal.feed([p.pos for p in vf.people if not p.occluded], now)
        for e in events:
            if e.kind == "enter" and e.source in TOUCH_SOURCES:
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
        return [e for e in events if e.source not in TOUCH_SOURCES]

    def _save_calibration(self, result: Any) -> None:
        from runtime.vision.calibration import save_calibration

        host = self.host
        host.homography = result.homography
        host.pipeline.chain = build_chain(host.cfg.input, host.size, host.homography)
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
