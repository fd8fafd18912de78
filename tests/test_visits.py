"""Visits, headless on a fake clock: the tracker, the warning overlay and reset, rotation that
waits for the visit, and exhibits hearing a visit start and end."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from pilot import Pilot, Wall

from runtime.app import replace_playlist
from runtime.config import default_config
from runtime.exhibit import BaseExhibit
from runtime.visits import VisitConfig, VisitTracker

TUESDAY_NOON = dt.datetime(2026, 11, 24, 12, 0)


def test_visit_tracker_warns_then_ends():
    v = VisitTracker(VisitConfig(idle_s=10, warning_s=3))
    assert v.observe(0.0, events=1, present=1) == "start"
    assert v.observe(1.0, events=0, present=0) is None and v.state == "active"
    v.observe(7.5, events=0, present=0)
    assert v.state == "warning" and 0 < v.warning_fraction(7.5) < 1
    assert v.observe(8.0, events=1, present=0) is None and v.state == "active"  # a touch saves it
    assert v.observe(18.0, events=0, present=0) == "end"
    assert v.state == "idle" and v.visits == 1 and v.durations_s[-1] == pytest.approx(8.0)


def test_someone_standing_in_front_of_the_camera_keeps_the_visit():
    v = VisitTracker(VisitConfig(idle_s=10, warning_s=3))
    v.observe(0.0, events=1, present=1)
    for t in range(1, 60):
        assert v.observe(float(t), events=0, present=1) is None
    assert v.state == "active"


def test_warning_overlay_then_reset_and_rotation_waits_for_the_visit(pygame_headless):
    cfg = replace_playlist(default_config(), ("diagnostic", 5.0), ("diagnostic", 5.0))
    cfg = replace(cfg, visits=VisitConfig(idle_s=10.0, warning_s=4.0))
    pilot = Pilot(cfg, wall_fn=Wall(TUESDAY_NOON))
    kiosk = pilot.kiosk
    try:
        first = kiosk.current
        pilot.press((0.5, 0.5), touch_id=0)
        pilot.run(0.5, fps=30)
        assert kiosk.visit.state == "active"
        pilot.release(touch_id=0)
        pilot.run(6.0, fps=30)  # past the exhibit's 5 s, but the visit is still on
        assert kiosk.current is first
        calm = pilot.screenshot().astype(float).mean()
        pilot.run(2.5, fps=30)  # into the warning
        assert kiosk.visit.state == "warning"
        assert pilot.screenshot().astype(float).mean() < calm  # dims
        pilot.run(2.0, fps=30)
        assert kiosk.visit.state == "idle" and kiosk.visit.visits == 1
        pilot.run(1.0, fps=30)
        assert kiosk.current is not first and kiosk.index == 1  # rotated after the visit
    finally:
        pilot.close()


class Recorder(BaseExhibit):
    """Counts visit hooks (an exhibit resetting to attract mode)."""

    def __init__(self, ctx):
        super().__init__(ctx, None)
        self.started = self.ended = 0

    def on_visit_start(self):
        self.started += 1

    def on_visit_end(self):
        self.ended += 1


def test_exhibits_hear_visit_start_and_end(pygame_headless):
    cfg = replace(default_config(), visits=VisitConfig(idle_s=5.0, warning_s=1.0))
    pilot = Pilot(cfg, wall_fn=Wall(TUESDAY_NOON),
                  exhibit_factory=lambda name, ctx: Recorder(ctx))
    kiosk = pilot.kiosk
    try:
        ex = kiosk.current.exhibit
        assert ex.ctx.visit.attract
        pilot.press((0.5, 0.5), touch_id=0)
        pilot.release(touch_id=0)
        pilot.run(1.0, fps=30)
        assert (ex.started, ex.ended) == (1, 0) and not ex.ctx.visit.attract
        pilot.run(6.0, fps=30)
        assert (ex.started, ex.ended) == (1, 1) and ex.ctx.visit.attract
    finally:
        pilot.close()
