"""Opening hours: when the kiosk shows exhibits and when it shows the calm closed screen.

``[schedule]`` lists opening hours per weekday (``"10:00-18:00"``, several ranges separated by
commas, or ``"closed"``) and closed dates (``"2026-12-25"``). Outside opening hours the kiosk
shows the closed screen (or turns the display off via DPMS where available) and pauses models.
With ``enabled = false`` (the default) the kiosk is always open.

Times are the PC's local time. A range may not cross midnight (use two days' ranges instead).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from runtime.settings import setting

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(text: str) -> list[tuple[dt.time, dt.time]]:
    """``"10:00-12:00, 13:00-18:00"`` → time ranges; ``"closed"`` → []; raises ``ValueError``."""
    if text.strip().lower() == "closed":
        return []
    ranges = []
    for part in text.split(","):
        m = _RANGE.match(part)
        if not m:
            raise ValueError(f'must look like "10:00-18:00" or "closed", got {text!r}')
        h0, m0, h1, m1 = (int(g) for g in m.groups())
        if not (0 <= h0 <= 24 and 0 <= h1 <= 24 and 0 <= m0 < 60 and 0 <= m1 < 60):
            raise ValueError(f"hours must be 00:00..24:00, got {part.strip()!r}")
        start = dt.time(min(h0, 23), m0 if h0 < 24 else 59)
        end = dt.time(23, 59, 59, 999999) if h1 == 24 else dt.time(h1, m1)
        if end <= start:
            raise ValueError(f"a range must end after it starts (no crossing midnight), "
                             f"got {part.strip()!r}")
        ranges.append((start, end))
    return ranges


def _hours(default: str, day: str):
    return setting(default, f"opening hours on {day}: \"HH:MM-HH:MM[, ...]\" or \"closed\"")


@dataclass(frozen=True)
class ScheduleConfig:
    """``[schedule]``: opening hours and closed dates."""

    enabled: bool = setting(False, "follow the opening hours below (false: always open)")
    mon: str = _hours("closed", "Mondays")
    tue: str = _hours("10:00-18:00", "Tuesdays")
    wed: str = _hours("10:00-18:00", "Wednesdays")
    thu: str = _hours("10:00-18:00", "Thursdays")
    fri: str = _hours("10:00-18:00", "Fridays")
    sat: str = _hours("10:00-18:00", "Saturdays")
    sun: str = _hours("10:00-18:00", "Sundays")
    closed_dates: tuple[str, ...] = setting(
        (), "dates the museum is closed, \"YYYY-MM-DD\"", max_items=366)
    display_off_when_closed: bool = setting(
        False, "turn the screen off (DPMS) while closed instead of showing the closed screen")

    def check(self) -> list[tuple[str, str]]:
        problems = []
        for day in DAYS:
            try:
                parse_hours(getattr(self, day))
            except ValueError as err:
                problems.append((day, str(err)))
        for i, d in enumerate(self.closed_dates):
            try:
                dt.date.fromisoformat(d)
            except ValueError:
                problems.append((f"closed_dates[{i}]", f'must be a date "YYYY-MM-DD", got {d!r}'))
        return problems

    def is_open(self, when: dt.datetime) -> bool:
        """Whether the kiosk should show exhibits at local time ``when``."""
        if not self.enabled:
            return True
        if when.date().isoformat() in self.closed_dates:
            return False
        t = when.time()
        return any(a <= t < b for a, b in parse_hours(getattr(self, DAYS[when.weekday()])))

    def hours_today(self, when: dt.datetime) -> str:
        """Today's hours as written in the config (for the closed screen), or "closed"."""
        if when.date().isoformat() in self.closed_dates:
            return "closed"
        return getattr(self, DAYS[when.weekday()])
