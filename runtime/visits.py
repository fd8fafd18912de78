"""Visits: when someone is using the kiosk, the "are you still there?" warning, and attract mode.

A visit starts with the first visitor (a touch, a mouse press, a tracked person) and ends when
nobody has been present or interacting for ``idle_s`` seconds — touch idleness and camera
absence combined: a person standing in front of the camera keeps the visit going, as does any
touch. ``warning_s`` before the end the kiosk shows a gentle "are you still there?" fade; any
visitor event cancels it. Between visits exhibits run their attract mode.

States: ``"idle"`` (attract) → ``"active"`` → ``"warning"`` → ``"idle"``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from runtime.settings import setting


@dataclass(frozen=True)
class VisitConfig:
    """``[visits]``: how long a visit lasts without anyone there."""

    idle_s: float = setting(40.0, "a visit ends after this long with nobody present or touching",
                            range=(5, 3600))
    warning_s: float = setting(
        8.0, "the 'are you still there?' fade shows this long before a visit ends", range=(0, 60))

    def check(self) -> list[tuple[str, str]]:
        if self.warning_s >= self.idle_s:
            return [("warning_s", f"must be less than idle_s ({self.idle_s:g}), "
                     f"got {self.warning_s:g}")]
        return []


@dataclass
class VisitTracker:
    """Tracks visit state from per-frame observations on the kiosk clock (seconds).

    Attributes:
        state: ``"idle"``, ``"active"`` or ``"warning"``.
        started_t: kiosk time the current visit started (None when idle).
        visits: visits completed since start; ``durations_s`` the latest lengths (bounded).
        peak_present: most visitors present at once during the current visit.
    """

    cfg: VisitConfig
    state: str = "idle"
    started_t: float | None = None
    last_activity_t: float = 0.0
    peak_present: int = 0
    visits: int = 0
    durations_s: deque[float] = field(default_factory=lambda: deque(maxlen=5000))

    @property
    def attract(self) -> bool:
        """Exhibits show their attract mode when nobody is there."""
        return self.state == "idle"

    def idle_for(self, now: float) -> float:
        return 0.0 if self.state == "idle" else max(0.0, now - self.last_activity_t)

    def warning_fraction(self, now: float) -> float:
        """0 → 1 across the warning period (for the fade), 0 outside it."""
        if self.state != "warning" or self.cfg.warning_s <= 0:
            return 0.0
        into = self.idle_for(now) - (self.cfg.idle_s - self.cfg.warning_s)
        return min(1.0, max(0.0, into / self.cfg.warning_s))

    def observe(self, now: float, *, events: int, present: int) -> str | None:
        """Feed one frame; returns ``"start"`` or ``"end"`` when a visit starts or ends."""
        change = None
        if events or present:
            self.last_activity_t = now
            if self.state == "idle":
                self.state, self.started_t, self.peak_present = "active", now, 0
                change = "start"
            elif self.state == "warning":
                self.state = "active"
            self.peak_present = max(self.peak_present, present)
            return change
        if self.state == "idle":
            return None
        quiet = now - self.last_activity_t
        if quiet >= self.cfg.idle_s:
            self.visits += 1
            if self.started_t is not None:
                self.durations_s.append(self.last_activity_t - self.started_t)
            self.state, self.started_t = "idle", None
            return "end"
        if quiet >= self.cfg.idle_s - self.cfg.warning_s:
            self.state = "warning"
        return None
