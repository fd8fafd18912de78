"""City: golden frames of a scripted visit (walks by camera, then every landmark by touch: the
celebration) and of attract mode. Safe mode (see ``city_pilot.py``): identical with or without
trained weights."""

from __future__ import annotations

from city_pilot import ACC, city, landmark_pos, walk

from golden import assert_matches_golden
from runtime.events import VisitorEvent


def scripted_visit() -> list[VisitorEvent]:
    """A person walks from the bottom to the ACC, another crosses the west of the map."""
    acc = landmark_pos(ACC)
    events = walk("cam:1", [(acc[0] + 0.05, 0.98), acc], t0=0.0, stay_s=3.0, leave=False)
    events += walk("cam:2", [(0.02, 0.55), (0.3, 0.62), (0.45, 0.4)], t0=0.3, speed=0.2)
    return events


def test_golden_frames(hangul_font, update_goldens, pygame_headless):
    shots = {}
    with city(scripted_visit()) as pilot:
        for t in (0.02, 2.5, 3.5):
            pilot.advance_to(t)
            shots[t] = pilot.screenshot()
        pilot.advance_to(3.6)
        for i in range(7):  # then every landmark by touch: the celebration
            pilot.tap(landmark_pos(i), finger=i)
        pilot.advance_to(5.0)
        shots[5.0] = pilot.screenshot()
    for t, rgb in shots.items():
        assert_matches_golden(f"city_{int(round(t * 1000)):04d}ms", rgb, update_goldens)


def test_golden_attract_mode(hangul_font, update_goldens, pygame_headless):
    with city() as pilot:
        pilot.advance_to(6.0)
        rgb = pilot.screenshot()
    assert_matches_golden("city_attract_6000ms", rgb, update_goldens)
