"""The diagnostic exhibit: golden frames of a scripted visit, and what it must show."""

from __future__ import annotations

import numpy as np
import pytest

from golden import assert_matches_golden
from runtime.config import default_config
from runtime.events import VisitorEvent
from runtime.headless import frame_rgb, offscreen_kiosk
from runtime.sources import ReplaySource

SIZE = (320, 180)
FPS = 60


def scripted_visit() -> list[VisitorEvent]:
    """A finger that drags across, a camera person standing with a box, and a quick tap."""
    events = [VisitorEvent("enter", "touch:1:0", "touch", (0.2, 0.3), t=0.0)]
    for i in range(1, 31):
        events.append(VisitorEvent("move", "touch:1:0", "touch", (0.2 + i * 0.015, 0.3 + i * 0.01),
                                   t=i / 30))
    events += [
        VisitorEvent("enter", "cam:4", "camera", (0.75, 0.6), t=0.2, size=(0.1, 0.35)),
        VisitorEvent("enter", "touch:1:1", "touch", (0.5, 0.8), t=0.5),
        VisitorEvent("leave", "touch:1:1", "touch", (0.5, 0.8), t=0.55),
        VisitorEvent("leave", "touch:1:0", "touch", (0.65, 0.6), t=1.6),
    ]
    return events


def run_visit(stop_at_s: list[float]) -> dict[float, np.ndarray]:
    cfg = default_config()
    replay = ReplaySource(scripted_visit(), keep_source=True)
    kiosk, clock = offscreen_kiosk(cfg, "diagnostic", SIZE, sources=[replay])
    frames = {}
    try:
        for i in range(int(max(stop_at_s) * FPS) + 1):
            kiosk.frame()
            t = round(i / FPS, 4)
            if any(abs(t - s) < 1e-6 for s in stop_at_s):
                frames[t] = frame_rgb(kiosk.presenter.surface)
            clock.advance(1 / FPS)
        assert not kiosk.failures
    finally:
        kiosk.stop()
    return frames


@pytest.mark.parametrize("at_s", [0.5, 1.0, 2.5])
def test_golden_frames_of_a_scripted_visit(hangul_font, update_goldens, at_s):
    frame = run_visit([at_s])[at_s]
    assert_matches_golden(f"diagnostic_{int(at_s * 1000):04d}ms", frame, update_goldens)


def colour_near(frame: np.ndarray, xy: tuple[float, float], colour, radius=6) -> bool:
    h, w = frame.shape[:2]
    x, y = int(xy[0] * (w - 1)), int(xy[1] * (h - 1))
    patch = frame[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1]
    return bool((np.abs(patch.astype(int) - colour).max(axis=2) < 30).any())


def test_visitors_are_drawn_where_they_are_in_their_source_colour(pygame_headless):
    from exhibits.diagnostic.exhibit import SOURCE_COLOURS

    frames = run_visit([1.0, 2.5])
    at1 = frames[1.0]
    assert colour_near(at1, (0.2 + 30 * 0.015, 0.6), SOURCE_COLOURS["touch"])
    assert colour_near(at1, (0.75, 0.6), SOURCE_COLOURS["camera"])
    # The drag's trail is drawn behind the finger, fading.
    assert colour_near(at1, (0.5, 0.5), np.array(SOURCE_COLOURS["touch"]) * 0.6, radius=8) or \
        colour_near(at1, (0.5, 0.5), np.array(SOURCE_COLOURS["touch"]) * 0.8, radius=8)
    # After the finger left and its trail expired, only the camera visitor remains.
    at25 = frames[2.5]
    assert not colour_near(at25, (0.65, 0.6), SOURCE_COLOURS["touch"], radius=3)
    assert colour_near(at25, (0.75, 0.6), SOURCE_COLOURS["camera"])


def test_the_screen_edge_is_marked(pygame_headless):
    frame = run_visit([0.5])[0.5]
    from exhibits.diagnostic.exhibit import EDGE

    for y, x in ((0, 160), (179, 160), (90, 0), (90, 319)):
        assert tuple(frame[y, x]) == EDGE
