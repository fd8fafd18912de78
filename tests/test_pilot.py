"""The test pilot itself (tests/pilot.py): repeatable for a seed, and a scripted tap, drag or
click reaches the exhibit as visitor events through the kiosk's real input path."""

from __future__ import annotations

import numpy as np
import pytest
from pilot import Pilot

from runtime.config import default_config
from runtime.exhibit import BaseExhibit


def shots(seed: int) -> dict[float, np.ndarray]:
    with Pilot(default_config(), "diagnostic", walkers=seed, touches=seed) as pilot:
        pilot.run(0.5)
        pilot.tap((0.25, 0.5))
        pilot.drag((0.2, 0.8), (0.8, 0.2), 0.5, finger=1)
        return pilot.advance_to(3.0, shots=(1.5, 2.0, 2.5))


def test_the_same_seed_gives_identical_screenshots(pygame_headless):
    first, again, other = shots(3), shots(3), shots(4)
    assert sorted(first) == [1.5, 2.0, 2.5]
    for t in first:
        assert first[t].shape == (180, 320, 3) and first[t].dtype == np.uint8
        assert np.array_equal(first[t], again[t]), t
    assert any(not np.array_equal(first[t], other[t]) for t in first)  # the seed matters


class Listener(BaseExhibit):
    """Keeps every visitor event it hears."""

    def __init__(self, ctx):
        super().__init__(ctx, None)
        self.heard = []

    def on_visitor(self, event):
        super().on_visitor(event)
        self.heard.append(event)


def test_a_scripted_tap_drag_and_click_reach_the_exhibit_as_visitor_events(pygame_headless):
    with Pilot(exhibit_factory=lambda name, ctx: Listener(ctx)) as pilot:
        ex = pilot.exhibit
        pilot.run(0.1)
        t = pilot.now
        pilot.tap((0.25, 0.5))
        (enter, leave) = ex.heard
        assert (enter.kind, enter.visitor_id, enter.source) == ("enter", "touch:1:0", "touch")
        assert enter.pos == pytest.approx((0.25, 0.5)) and enter.t == pytest.approx(t)
        assert leave.kind == "leave" and leave.t == pytest.approx(t + pilot.dt)  # next frame
        ex.heard.clear()
        pilot.tap((80, 90), finger=2, px=True)  # pixels of the 320×180 surface
        assert ex.heard[0].pos == pytest.approx((0.25, 0.5))
        assert ex.heard[0].visitor_id == "touch:1:2"
        ex.heard.clear()
        pilot.drag((0.1, 0.1), (0.5, 0.5), 0.25, finger=3)
        kinds = [e.kind for e in ex.heard]
        assert kinds[0] == "enter" and kinds[-1] == "leave" and "move" in kinds
        moves = [e for e in ex.heard if e.kind == "move"]
        assert moves[-1].pos == pytest.approx((0.5, 0.5), abs=1e-6)
        ex.heard.clear()
        pilot.click((0.5, 0.5))
        assert [(e.kind, e.source) for e in ex.heard] == [("enter", "mouse"), ("leave", "mouse")]
        assert not ex.visitors  # everyone left
