"""Opening hours and days, headless on a fake clock (kiosks run on :class:`pilot.Pilot`):
parsing, the closed screen, closed dates, and a failing exhibit restarted once, skipped for the
rest of the day and tried again the next."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

import pytest
from pilot import Pilot, Wall

from runtime.config import default_config, load_config
from runtime.exhibit import BaseExhibit
from runtime.schedule import ScheduleConfig, parse_hours
from runtime.settings import ConfigError

TUESDAY_NOON = dt.datetime(2026, 11, 24, 12, 0)
MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0)


def test_opening_hours_parse_and_refuse_nonsense():
    assert parse_hours("closed") == []
    assert parse_hours("10:00-12:00, 13:00-24:00")[1][0] == dt.time(13, 0)
    for bad in ("10-18", "18:00-10:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_bad_hours_in_a_config_name_the_day(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("schema_version = 1\n[schedule]\nenabled = true\nwed = '9-5'\n"
                    "closed_dates = ['2026-13-01']\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    paths = {p.path for p in err.value.problems}
    assert paths == {"schedule.wed", "schedule.closed_dates[0]"}


def test_a_closed_day_shows_the_closed_screen_and_opening_resumes(pygame_headless):
    cfg = replace(default_config(), schedule=ScheduleConfig(enabled=True))
    wall = Wall(MONDAY_NOON)  # Mondays are closed by default
    pilot = Pilot(cfg, wall_fn=wall)
    kiosk = pilot.kiosk
    try:
        pilot.run(1, fps=30)
        assert kiosk.closed and kiosk.current.name == "closed"
        assert kiosk.health()["status"] == "closed"
        assert pilot.screenshot().std() > 2  # a calm screen, not black
        wall.when = TUESDAY_NOON
        pilot.run(2, fps=30)
        assert not kiosk.closed and kiosk.current.name == "diagnostic"
        wall.when = dt.datetime(2026, 11, 24, 18, 30)  # Tuesday after hours
        pilot.run(2, fps=30)
        assert kiosk.current.name == "closed"
    finally:
        pilot.close()


def test_closed_dates_close_an_otherwise_open_day():
    s = ScheduleConfig(enabled=True, closed_dates=("2026-11-24",))
    assert not s.is_open(TUESDAY_NOON)
    assert s.is_open(TUESDAY_NOON + dt.timedelta(days=1))
    assert ScheduleConfig().is_open(MONDAY_NOON)  # disabled: always open


# --- the day's skip ------------------------------------------------------------------------------
class DrawBomb(BaseExhibit):
    def draw(self, surface, alpha):
        raise RuntimeError("draw failed")


def test_a_failing_exhibit_is_restarted_once_then_skipped_for_the_day(pygame_headless, caplog):
    made = []

    def factory(name, ctx):
        made.append(name)
        return DrawBomb(ctx, None)

    wall = Wall(TUESDAY_NOON)
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        pilot = Pilot(wall_fn=wall, exhibit_factory=factory, expect_failures=True)
        kiosk = pilot.kiosk
        pilot.run(1.0, fps=30)
    try:
        assert made == ["diagnostic", "diagnostic"]  # first + one restart
        assert kiosk.failures == {"diagnostic": 2}
        assert kiosk.current.name == "safe" and kiosk.health()["status"] == "degraded"
        assert "skipped for the rest of today" in caplog.text
        wall.when = TUESDAY_NOON + dt.timedelta(days=1)
        pilot.run(1.5, fps=30)
        assert made.count("diagnostic") >= 3  # a new day: tried again
    finally:
        pilot.close()
