"""Crash-loop detection: after several unclean exits in a short time, start in safe mode.

Each start appends ``{"t": epoch seconds, "clean": false}`` to ``starts.json`` in the log folder;
a clean stop marks it clean. When ``crash_loop_count`` unclean starts happened within
``crash_loop_window_s`` before this one, the kiosk starts in safe mode: no camera and no models
(exhibits read ``ctx.safe_mode``), and it says so in the log, the admin panel and ``/health``.
The ledger keeps the last 50 starts. An unreadable ledger counts as no history.

A start that ended because the watchdog gave up on a frozen loop also names the exhibit that was
showing (``"hung": name``). Python cannot interrupt an exhibit stuck inside its own code, so the
process had to go; :meth:`StartLedger.hung_today` tells the next start which exhibits to skip for
the rest of the day, so one bad exhibit costs visitors one frozen half-minute, not a loop of them.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from runtime.settings import setting

log = logging.getLogger("kiosk.safemode")


@dataclass(frozen=True)
class WatchdogConfig:
    """``[watchdog]``: freeze detection and crash-loop safe mode."""

    freeze_s: float = setting(10.0, "the render loop counts as frozen after this many seconds "
                              "without a frame", range=(2, 300))
    exit_after_s: float = setting(20.0, "a loop frozen this much longer exits so it is "
                                  "restarted", range=(5, 600))
    crash_loop_count: int = setting(3, "unclean exits within the window that trigger safe mode",
                                    range=(2, 100))
    crash_loop_window_s: float = setting(600.0, "the crash-loop window in seconds",
                                         range=(30, 86400))


class StartLedger:
    """The starts file (see module docstring)."""

    def __init__(self, path: Path, time_fn=time.time):
        self.path = Path(path)
        self.time_fn = time_fn
        self.entries: list[dict] = []

    def _read(self) -> list[dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [e for e in data if isinstance(e, dict) and "t" in e][-50:]
        except (OSError, ValueError, TypeError):
            return []

    def _write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.entries), encoding="utf-8")
            tmp.replace(self.path)  # atomic: a power cut never leaves half a file
        except OSError as err:
            log.warning("cannot write %s: %s", self.path, err)

    def record_start(self, cfg: WatchdogConfig) -> bool:
        """Record this start; True when the recent history is a crash loop (→ safe mode)."""
        self.entries = self._read()
        now = self.time_fn()
        recent_crashes = [e for e in self.entries
                          if not e.get("clean") and now - e["t"] <= cfg.crash_loop_window_s]
        self.entries.append({"t": now, "clean": False})
        self._write()
        crash_loop = len(recent_crashes) >= cfg.crash_loop_count
        if crash_loop:
            log.error("%d unclean exits in the last %.0f s: starting in SAFE MODE (no camera, "
                      "no models)", len(recent_crashes), cfg.crash_loop_window_s)
        return crash_loop

    def record_clean_stop(self) -> None:
        if self.entries:
            self.entries[-1]["clean"] = True
            self._write()

    def record_hang(self, exhibit: str | None) -> None:
        """This start is ending because exhibit ``exhibit`` froze the loop (None: no exhibit)."""
        if self.entries and exhibit:
            self.entries[-1]["hung"] = str(exhibit)[:64]
            self._write()

    def hung_today(self, day_start: float) -> set[str]:
        """Exhibits that froze the loop in a start since ``day_start`` (epoch seconds)."""
        return {str(e["hung"]) for e in (self.entries or self._read())
                if e.get("hung") and isinstance(e.get("t"), int | float) and e["t"] >= day_start}
