"""Opening hours and display power: the closed screen, DPMS, and the daily failure reset.

:meth:`OpeningHours.check` runs once a second (or at once when forced, after a start or a config
change). Outside ``[schedule]`` hours both shown exhibits are left (their models stop), the
built-in closed screen shows and, with ``display_off_when_closed``, the display is switched off
with ``xset dpms force off`` (best effort: where X11 and xset exist; otherwise the closed screen
stays). At opening the display comes back and the playlist starts from its first entry. At the
first check of a new day the failure record is cleared, so yesterday's skipped exhibits return.

Reads from its host (the :class:`~runtime.app.Kiosk`): ``cfg.schedule``, ``wall_fn``,
``presenter`` and the :class:`~runtime.stage.Stage` it changes.
"""

from __future__ import annotations

import logging
import subprocess
from typing import Any

from runtime.presenters import OffscreenPresenter

log = logging.getLogger("kiosk")


class OpeningHours:
    """Whether the kiosk is closed now, and the once-a-second check that changes it."""

    def __init__(self, host: Any):
        self.host = host
        self.closed = False
        self._next_t = 0.0
        self._failures_day = host.wall_fn().date()

    def check(self, now: float, force: bool = False) -> None:
        """Once a second: the daily failure reset and opening hours."""
        if now < self._next_t and not force:
            return
        self._next_t = now + 1.0
        host, stage = self.host, self.host.stage
        wall = host.wall_fn()
        if wall.date() != self._failures_day:
            self._failures_day = wall.date()
            if stage.failures:
                log.info("new day: exhibits that failed yesterday are back in the rotation")
            stage.failures.clear()
            if stage.current is not None and stage.current.name == "safe" and not self.closed:
                stage.advance(cut=True)
        open_now = host.cfg.schedule.is_open(wall)
        if not open_now and not self.closed:
            self.closed = True
            log.info("outside opening hours: showing the closed screen, models paused")
            stage.close_all()
            stage.current = stage.open_builtin("closed")
            self.display_power("off")
        elif open_now and self.closed:
            self.closed = False
            log.info("opening hours began: exhibits resume")
            self.display_power("on")
            if stage.current is not None:
                stage.close(stage.current)
            stage.current, stage.index = None, -1
            stage.advance(cut=True)

    def display_power(self, state: str) -> None:
        """``xset dpms force <state>`` where configured and a real display is shown."""
        host = self.host
        if not host.cfg.schedule.display_off_when_closed or isinstance(host.presenter,
                                                                        OffscreenPresenter):
            return
        try:  # best effort: only where X11 and xset exist; a failure keeps the closed screen
            subprocess.Popen(["xset", "dpms", "force", state], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        except OSError:
            log.info("xset not available; showing the closed screen instead of display off")
