"""The engine: every registered exhibit runs, faults are isolated, exhibits hand over."""

from __future__ import annotations

import logging

import pytest
from pilot import Pilot
from recorders import AnalyticsRecorder

from exhibits import REGISTRY
from runtime.app import replace_playlist
from runtime.config import default_config
from runtime.events import VisitorEvent
from runtime.exhibit import BaseExhibit

SIZE = (320, 180)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_registered_exhibit_runs_600_steps_with_random_visitors(pygame_headless, name):
    with Pilot(default_config(), name, size=SIZE, walkers=1, touches=2) as pilot:
        pilot.stall(1 / 60)  # the first frame one period after start: one step in every frame
        seen = 0
        for _ in range(600):
            seen += len(pilot.frame().events)
        assert pilot.kiosk.failures == {}, pilot.kiosk.last_error
        assert pilot.kiosk.current is not None and pilot.kiosk.current.name == name
        assert pilot.kiosk.clock.steps_total == 600
        assert seen > 100
        frame = pilot.screenshot()
        assert frame.std() > 5  # not a blank screen


class Exploding(BaseExhibit):
    """Raises in the method named by ``where`` after ``after`` calls."""

    def __init__(self, ctx, where: str, after: int = 3):
        super().__init__(ctx, None)
        self.where, self.after, self.calls = where, after, 0

    def _maybe(self, method):
        if method == self.where:
            self.calls += 1
            if self.calls > self.after:
                raise RuntimeError(f"boom in {method}")

    def update(self, dt):
        self._maybe("update")

    def draw(self, surface, alpha):
        self._maybe("draw")
        surface.fill((200, 40, 40))


@pytest.mark.parametrize("where", ["update", "draw", "enter"])
def test_an_exhibit_that_raises_is_replaced_and_the_loop_goes_on(pygame_headless, caplog, where):
    made = []

    def factory(name, ctx):
        if not made:
            made.append("bad")
            bad = Exploding(ctx, where)
            if where == "enter":
                bad.enter = lambda: (_ for _ in ()).throw(RuntimeError("boom in enter"))
            return bad
        made.append("good")
        return REGISTRY["diagnostic"].create(ctx, ctx_settings())

    def ctx_settings():
        return default_config().exhibit("diagnostic")

    cfg = replace_playlist(default_config(), ("diagnostic", 60), ("diagnostic", 60))
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        pilot = Pilot(cfg, size=SIZE, exhibit_factory=factory, expect_failures=True)
        pilot.run(20 / 60)
    with pilot:
        assert made == ["bad", "good"]
        assert pilot.kiosk.failures == {"diagnostic": 1}
        assert f"boom in {where}" in caplog.text and "Traceback" in caplog.text
        frame = pilot.screenshot()
        assert not (frame == (200, 40, 40)).all(axis=2).any()  # the broken exhibit is gone
        assert frame.std() > 5


def test_when_nothing_can_run_the_safe_screen_shows(pygame_headless, caplog):
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        pilot = Pilot(default_config(), size=SIZE, expect_failures=True,
                      exhibit_factory=lambda name, ctx: Exploding(ctx, "draw", after=0))
        pilot.run(30 / 60)
    with pilot:
        assert pilot.kiosk.current is not None and pilot.kiosk.current.name == "safe"
        assert pilot.kiosk.failures["diagnostic"] >= 2
        frame = pilot.screenshot()
        assert frame.std() > 2  # the calm message, not black


def test_playlist_rotates_with_a_crossfade(pygame_headless):
    cfg = replace_playlist(default_config(), ("diagnostic", 5.0), ("diagnostic", 5.0))
    with Pilot(cfg, size=SIZE) as pilot:
        first = pilot.kiosk.current
        crossfading = 0
        for _ in range(int(6.5 * 60)):
            pilot.frame()
            crossfading += pilot.kiosk.outgoing is not None
        assert pilot.kiosk.current is not first and pilot.kiosk.index == 1
        assert 0.7 * 60 <= crossfading <= 0.9 * 60  # about transition.duration_s (0.8 s)
        assert pilot.kiosk.outgoing is None


def test_a_new_exhibit_learns_who_is_already_there(pygame_headless):
    cfg = replace_playlist(default_config(), ("diagnostic", 5.0), ("diagnostic", 5.0))
    still = [VisitorEvent("enter", "cam:1", "camera", (0.5, 0.5), t=0.0)]
    with Pilot(cfg, size=SIZE, script=still) as pilot:
        pilot.run(5.5)
        assert "cam:1" in pilot.exhibit.visitors


def test_start_warms_up_the_later_playlist_exhibits_silently(pygame_headless, caplog):
    cfg = replace_playlist(default_config(), ("diagnostic", 60.0), ("city", 60.0),
                           ("diagnostic", 60.0))
    rec = AnalyticsRecorder()
    with caplog.at_level(logging.INFO, logger="kiosk"):
        pilot = Pilot(cfg, size=SIZE, analytics=rec)
    with pilot:
        kiosk = pilot.kiosk
        assert "warmed up exhibit city" in caplog.text
        assert "warmed up exhibit diagnostic" not in caplog.text  # shown first: entered anyway
        # its layout is kept in the kiosk's store for City, where its first showing looks
        assert any(k[0] == "badges" for k in kiosk.stores["city"].keys())
        assert rec.rows == [("exhibit_shown", "diagnostic", "")]  # the warm-up is not a showing
        assert kiosk.current.name == "diagnostic" and kiosk.failures == {}


def test_an_exhibit_failing_its_warm_up_is_logged_and_not_counted(pygame_headless, caplog):
    def factory(name, ctx):
        bad = Exploding(ctx, "draw")
        bad.enter = lambda: (_ for _ in ()).throw(RuntimeError("no such file"))
        return bad

    cfg = replace_playlist(default_config(), ("diagnostic", 60.0), ("city", 60.0))
    pilot = Pilot(cfg, size=SIZE, exhibit_factory=factory, start=False)  # never started
    with caplog.at_level(logging.WARNING, logger="kiosk"):
        assert pilot.kiosk.prewarm() == []
    assert "warm-up of exhibit city failed (RuntimeError: no such file)" in caplog.text
    assert pilot.kiosk.failures == {}
