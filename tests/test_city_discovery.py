"""City: discovery by light and by touch, the celebration, attract mode and camera light.

Driven by :class:`pilot.Pilot` (see ``city_pilot.py``); cards are in test_city_cards.py, what
outlives a showing in test_city_store.py, golden frames in test_city_goldens.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from city_pilot import ACC, FPS, PARK, SIZE, SONGJEONG, FakeAudio, city, landmark_pos, walk


def test_light_that_reaches_a_landmark_discovers_it(pygame_headless):
    audio = FakeAudio()
    acc = landmark_pos(ACC)
    start = (acc[0], 0.97)  # walk up from the bottom edge to the ACC and stand there
    with city(walk("cam:1", [start, acc], stay_s=2.0, leave=False), audio=audio) as pilot:
        pilot.advance_to(0.5)
        assert pilot.exhibit.discovery.found == {}  # still far away
        pilot.advance_to(4.0)
        ex = pilot.exhibit
        assert set(ex.discovery.found) == {ACC}
        assert ex.discovery.found[ACC].owner == "cam:1"
        assert [c.index for c in ex.deck.cards] == [ACC]
        assert ("landmark_discovered", "city", "1") in pilot.kiosk.analytics.events
        assert [name for name, _ in audio.calls] == ["discover"]
        assert ex.light.level_at(*acc) > 0.5  # the city shines where the visitor is
        # the card is bilingual and sits beside the landmark, not on the visitor
        card = ex.deck.cards[0]
        x, y, w, h = card.rect
        px, py = acc[0] * SIZE[0], acc[1] * SIZE[1]
        assert not (x <= px <= x + w and y <= py <= y + h)


def test_the_trail_fades_slowly_behind_a_visitor(pygame_headless):
    a, b = (0.3, 0.9), (0.7, 0.9)  # along the bottom, away from every landmark
    with city(walk("cam:2", [a, b], speed=0.4, leave=False), trail_s=10.0) as pilot:
        pilot.advance_to(1.2)
        ex = pilot.exhibit
        behind = ex.light.level_at(0.4, 0.9)
        assert behind > 0.1  # a trail where the visitor walked...
        pilot.advance_to(4.0)
        later = ex.light.level_at(0.4, 0.9)
        assert 0.02 < later < behind  # ...fading slowly, not at once
        assert ex.discovery.found == {}


def test_a_touch_discovers_a_landmark_and_a_touch_closes_its_card(pygame_headless):
    audio = FakeAudio()
    with city(audio=audio) as pilot:
        pilot.advance_to(0.2)
        pilot.tap(landmark_pos(SONGJEONG))
        pilot.advance_to(0.6)
        ex = pilot.exhibit
        assert set(ex.discovery.found) == {SONGJEONG}
        assert ex.discovery.found[SONGJEONG].owner.startswith("touch:")
        assert [c.index for c in ex.deck.cards] == [SONGJEONG]
        x, y, w, h = ex.deck.cards[0].rect
        pilot.tap(((x + w / 2) / SIZE[0], (y + h / 2) / SIZE[1]), finger=1)
        pilot.frame()
        assert ex.deck.cards == []
        # touching the landmark again reopens its card (counted as info_opened)
        pilot.tap(landmark_pos(SONGJEONG), finger=2)
        pilot.frame()
        assert [c.index for c in ex.deck.cards] == [SONGJEONG]
        assert ("info_opened", "city", "5") in pilot.kiosk.analytics.events
        assert [n for n, _ in audio.calls] == ["discover"]


def test_finding_every_landmark_celebrates_and_a_visit_end_resets(pygame_headless):
    audio = FakeAudio()
    with city(audio=audio, celebration_s=2.0) as pilot:
        pilot.advance_to(0.1)
        for i in range(7):
            pilot.tap(landmark_pos(i), finger=i)
            pilot.run(0.2)
        ex = pilot.exhibit
        assert set(ex.discovery.found) == set(range(7))
        assert ex.discovery.celebrate_t is not None
        assert [n for n, _ in audio.calls].count("discover") == 7
        assert [n for n, _ in audio.calls][-1] == "celebrate"
        assert all(ex.discovery.edge_lit(a, b, ex.t) == 1.0 for a, b in ex.edges)
        labels = sorted(lab for k, _, lab in pilot.kiosk.analytics.events
                        if k == "landmark_discovered")
        assert labels == ["1", "2", "3", "4", "5", "6", "7"]
        pilot.run(3.0)
        assert ex.discovery.celebrate_t is not None  # calm, fully lit state after the celebration
        ex.on_visit_end()
        assert ex.discovery.found == {} and ex.deck.cards == [] and ex.discovery.celebrate_t is None


def test_audio_failures_never_reach_the_visitor(pygame_headless):
    with city(audio=FakeAudio(fail=True)) as pilot:
        pilot.advance_to(0.1)
        pilot.tap(landmark_pos(PARK))
        pilot.advance_to(0.5)
        assert PARK in pilot.exhibit.discovery.found


def test_attract_mode_ghosts_light_the_constellation(pygame_headless):
    with city() as pilot:
        pilot.advance_to(3.0)
        ex = pilot.exhibit
        assert ex.quiet and ex.ctx.visit.attract
        assert ex.discovery.found == {}
        lit = ex.light.bbox()
        assert lit is not None  # the ghost walkers leave light behind them
        # ghosts are on the constellation's edges
        for g in ex.ghost_walk.walkers:
            assert (g.a, g.b) in ex.edges or (g.b, g.a) in ex.edges
        assert ex.brightness < 0.6  # the map is dim while nobody is there


def test_without_a_visit_tracker_the_map_never_rests(pygame_headless):
    """Quiet (dim map, ghosts, no discoveries) comes only from the kiosk's visits; an exhibit
    built without a tracker (isolated use) stays awake however long nobody is there."""
    from exhibits.city.exhibit import CityExhibit

    with city() as pilot:
        ctx = dataclasses.replace(pilot.kiosk.context("city"), visit=None)
        ex = CityExhibit(ctx, pilot.kiosk.cfg.exhibit("city"))
        ex.enter()
        try:
            start = [(g.a, g.b, g.progress) for g in ex.ghost_walk.walkers]
            for _ in range(int(60 * FPS)):  # a minute with nobody there
                ex.update(1 / FPS)
            assert not ex.quiet and ex.brightness > 0.99
            assert [(g.a, g.b, g.progress) for g in ex.ghost_walk.walkers] == start  # no ghosts
            assert ex.light.bbox() is None  # so no light was left either
        finally:
            ex.leave()


def test_camera_silhouettes_light_the_map_through_the_frames_own_calibration(pygame_headless):
    """``ctx.vision`` is a VisionFrame carrying its calibration; each new frame lights the
    silhouettes once, a frame still learning the background lights nothing."""
    from exhibits.city.exhibit import CityExhibit
    from runtime.vision.processor import VisionFrame

    mask = np.zeros((60, 80), np.uint8)
    mask[:, :40] = 255  # somebody fills the camera's left half
    flip = np.array([[-1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # mirror left-right
    frames = {"now": VisionFrame(0.0, 1, (80, 60), mask=mask, learning=True)}
    with city() as pilot:
        ctx = dataclasses.replace(pilot.kiosk.context("city"), visit=None,
                                  vision_fn=lambda: frames["now"])
        ex = CityExhibit(ctx, pilot.kiosk.cfg.exhibit("city"))
        ex.enter()
        try:
            ex.update(1 / FPS)
            assert ex.light.bbox() is None  # still learning: nothing shown
            frames["now"] = VisionFrame(0.1, 2, (80, 60), mask=mask, homography=flip)
            ex.update(1 / FPS)
            assert ex.light.level_at(0.8, 0.5) > 0.2  # mirrored by the calibration
            assert ex.light.level_at(0.2, 0.5) < 0.02
        finally:
            ex.leave()
