"""The engine: every registered exhibit runs, faults are isolated, exhibits hand over."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from recorders import AnalyticsRecorder

from exhibits import REGISTRY
from runtime.app import replace_playlist
from runtime.config import default_config
from runtime.events import VisitorEvent
from runtime.exhibit import BaseExhibit
from runtime.headless import frame_rgb, offscreen_kiosk
from runtime.sources import SimulatedVisitors

SIZE = (320, 180)


class RandomTouches:
    """Seeded random fingers: taps, drags and multi-finger chaos, as children do."""

    name = "random"

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.live: dict[str, tuple[float, float]] = {}
        self.n = 0

    def start(self): ...

    def stop(self): ...

    def poll(self, now, emit):
        r = self.rng.random()
        if r < 0.08 and len(self.live) < 10:
            vid = f"touch:0:{self.n}"
            self.n += 1
            pos = tuple(self.rng.random(2))
            self.live[vid] = pos
            emit(VisitorEvent("enter", vid, "touch", pos, t=now))
        for vid, pos in list(self.live.items()):
            if self.rng.random() < 0.05:
                del self.live[vid]
                emit(VisitorEvent("leave", vid, "touch", pos, t=now))
            else:
                new = tuple(np.clip(np.array(pos) + self.rng.normal(0, 0.01, 2), 0, 1))
                self.live[vid] = new
                emit(VisitorEvent("move", vid, "touch", new, t=now))


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_registered_exhibit_runs_600_steps_with_random_visitors(pygame_headless, name):
    kiosk, clock = offscreen_kiosk(default_config(), name, SIZE,
                                   sources=[SimulatedVisitors(1), RandomTouches(2)])
    try:
        seen = 0
        for _ in range(600):
            clock.advance(1 / 60)
            seen += len(kiosk.frame().events)
        assert kiosk.failures == {}, kiosk.last_error
        assert kiosk.current is not None and kiosk.current.name == name
        assert kiosk.clock.steps_total == 600
        assert seen > 100
        frame = frame_rgb(kiosk.presenter.surface)
        assert frame.std() > 5  # not a blank screen
    finally:
        kiosk.stop()


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

    from runtime.app import Kiosk, OffscreenPresenter
    from runtime.clock import FakeTime

    clock = FakeTime()
    cfg = replace_playlist(default_config(), ("diagnostic", 60), ("diagnostic", 60))
    kiosk = Kiosk(cfg, OffscreenPresenter(SIZE), time_fn=clock, exhibit_factory=factory)
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        kiosk.start()
        for _ in range(20):
            kiosk.frame()
            clock.advance(1 / 60)
    try:
        assert made == ["bad", "good"]
        assert kiosk.failures == {"diagnostic": 1}
        assert f"boom in {where}" in caplog.text and "Traceback" in caplog.text
        frame = frame_rgb(kiosk.presenter.surface)
        assert not (frame == (200, 40, 40)).all(axis=2).any()  # the broken exhibit is gone
        assert frame.std() > 5
    finally:
        kiosk.stop()


def test_when_nothing_can_run_the_safe_screen_shows(pygame_headless, caplog):
    from runtime.app import Kiosk, OffscreenPresenter
    from runtime.clock import FakeTime

    clock = FakeTime()
    kiosk = Kiosk(default_config(), OffscreenPresenter(SIZE), time_fn=clock,
                  exhibit_factory=lambda name, ctx: Exploding(ctx, "draw", after=0))
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        kiosk.start()
        for _ in range(30):
            kiosk.frame()
            clock.advance(1 / 60)
    try:
        assert kiosk.current is not None and kiosk.current.name == "safe"
        assert kiosk.failures["diagnostic"] >= 2
        frame = frame_rgb(kiosk.presenter.surface)
        assert frame.std() > 2  # the calm message, not black
    finally:
        kiosk.stop()


def test_playlist_rotates_with_a_crossfade(pygame_headless):
    cfg = replace_playlist(default_config(), ("diagnostic", 5.0), ("diagnostic", 5.0))
    from runtime.app import Kiosk, OffscreenPresenter
    from runtime.clock import FakeTime

    clock = FakeTime()
    kiosk = Kiosk(cfg, OffscreenPresenter(SIZE), time_fn=clock)
    kiosk.start()
    try:
        first = kiosk.current
        crossfading = 0
        for _ in range(int(6.5 * 60)):
            kiosk.frame()
            crossfading += kiosk.outgoing is not None
            clock.advance(1 / 60)
        assert kiosk.current is not first and kiosk.index == 1
        assert 0.7 * 60 <= crossfading <= 0.9 * 60  # about transition.duration_s (0.8 s)
        assert kiosk.outgoing is None
    finally:
        kiosk.stop()


def test_a_new_exhibit_learns_who_is_already_there(pygame_headless):
    from runtime.app import Kiosk, OffscreenPresenter
    from runtime.clock import FakeTime
    from runtime.sources import ReplaySource

    cfg = replace_playlist(default_config(), ("diagnostic", 5.0), ("diagnostic", 5.0))
    clock = FakeTime()
    still = ReplaySource([VisitorEvent("enter", "cam:1", "camera", (0.5, 0.5), t=0.0)],
                         keep_source=True)
    kiosk = Kiosk(cfg, OffscreenPresenter(SIZE), time_fn=clock, sources=[still])
    kiosk.start()
    try:
        for _ in range(int(5.5 * 60)):
            kiosk.frame()
            clock.advance(1 / 60)
        assert "cam:1" in kiosk.current.exhibit.visitors
    finally:
        kiosk.stop()


def test_start_warms_up_the_later_playlist_exhibits_silently(pygame_headless, caplog):
    from runtime.app import Kiosk, OffscreenPresenter
    from runtime.clock import FakeTime

    cfg = replace_playlist(default_config(), ("diagnostic", 60.0), ("city", 60.0),
                           ("diagnostic", 60.0))
    rec = AnalyticsRecorder()
    kiosk = Kiosk(cfg, OffscreenPresenter(SIZE), time_fn=FakeTime(), analytics=rec)
    with caplog.at_level(logging.INFO, logger="kiosk"):
        kiosk.start()
    try:
        assert "warmed up exhibit city" in caplog.text
        assert "warmed up exhibit diagnostic" not in caplog.text  # shown first: entered anyway
        # its layout is kept in the kiosk's store for City, where its first showing looks
        assert any(k[0] == "badges" for k in kiosk.stores["city"].keys())
        assert rec.rows == [("exhibit_shown", "diagnostic", "")]  # the warm-up is not a showing
        assert kiosk.current.name == "diagnostic" and kiosk.failures == {}
    finally:
        kiosk.stop()


def test_an_exhibit_failing_its_warm_up_is_logged_and_not_counted(pygame_headless, caplog):
    from runtime.app import Kiosk, OffscreenPresenter
    from runtime.clock import FakeTime

    def factory(name, ctx):
        bad = Exploding(ctx, "draw")
        bad.enter = lambda: (_ for _ in ()).throw(RuntimeError("no such file"))
        return bad

    cfg = replace_playlist(default_config(), ("diagnostic", 60.0), ("city", 60.0))
    kiosk = Kiosk(cfg, OffscreenPresenter(SIZE), time_fn=FakeTime(), exhibit_factory=factory)
    with caplog.at_level(logging.WARNING, logger="kiosk"):
        assert kiosk.prewarm() == []
    assert "warm-up of exhibit city failed (RuntimeError: no such file)" in caplog.text
    assert kiosk.failures == {}
