"""City: what outlives a showing: the kiosk's store for City (layout, cards, map layers, glow
texture), the start-up warm-up that fills it, and the last good landmark file."""

from __future__ import annotations

import dataclasses

from city_pilot import ACC, SIZE, city
from pilot import Pilot

from runtime.config import default_config


def test_re_entering_reuses_the_kiosks_store_and_a_new_palette_does_not(pygame_headless):
    """The kiosk builds a new exhibit at every showing: what costs time to make (badge layout,
    cards, the map's layers, the glow's plain texture) is kept in the kiosk's store for City and
    made once; a new palette makes new cards and map but keeps the layout; another kiosk has a
    store of its own."""
    from exhibits.city.exhibit import CityExhibit

    with city() as pilot:
        kiosk = pilot.kiosk
        first = pilot.exhibit
        store = kiosk.stores["city"]
        assert first.ctx.store is store
        again = kiosk._factory("city", kiosk.context("city"))
        settings = kiosk.cfg.exhibit("city")
        dusk = CityExhibit(kiosk.context("city"), dataclasses.replace(settings, palette="dusk"))
        again.enter()
        dusk.enter()
        try:
            assert again.badge_pass.rects is first.badge_pass.rects
            assert again.deck.surfs is first.deck.surfs
            assert again.basemap.layers is first.basemap.layers
            assert again.glow._fallback is first.glow._fallback
            assert dusk.deck.surfs is not first.deck.surfs
            assert dusk.basemap.layers is not first.basemap.layers
            assert dusk.badge_pass.rects is first.badge_pass.rects  # same screen and labels
        finally:
            again.leave()
            dusk.leave()
    with city() as other:
        assert other.kiosk.stores["city"] is not store
        assert other.exhibit.deck.surfs is not first.deck.surfs


def test_the_start_up_warm_up_prepares_all_that_the_first_showing_keeps(pygame_headless):
    """The warm-up enters City with the kiosk's store for City, so the first real showing makes
    nothing new (no ~150 ms stall on the frame where the rotation first reaches City)."""
    from runtime.app import replace_playlist

    cfg = replace_playlist(default_config(), ("diagnostic", 60.0), ("city", 60.0))
    with Pilot(cfg, size=SIZE) as pilot:
        store = pilot.kiosk.stores["city"]
        warmed = set(store.keys())
        assert {k[0] for k in warmed} >= {"landmarks.last_good", "badges", "cards", "basemap",
                                          "glow.fallback"}
        pilot.kiosk.show("city", cut=True)
        pilot.frame()
        assert pilot.kiosk.current.name == "city" and not pilot.kiosk.failures, \
            pilot.kiosk.last_error
        assert set(store.keys()) == warmed


def test_a_refused_landmark_file_keeps_the_last_good_one_of_this_kiosk(tmp_path,
                                                                        pygame_headless, caplog):
    """Hot reload does not run ``check_assets``: a broken edit keeps the last file that read
    well (kept in the kiosk's store, not in the process), else the shipped file shows."""
    from exhibits.city.exhibit import CityExhibit
    from runtime.assets import ASSETS_DIR

    path = tmp_path / "mine.csv"
    good = (ASSETS_DIR / "landmarks" / "gwangju.csv").read_text(encoding="utf-8")
    path.write_text(good.replace("Asia Culture Center", "My Culture Center"), encoding="utf-8")
    with city(landmarks_file=str(path)) as pilot:
        assert pilot.exhibit.landmarks[ACC].name_en == "My Culture Center (ACC)"
        path.write_text("id,name_ko\n1,broken\n", encoding="utf-8")
        settings = pilot.kiosk.cfg.exhibit("city")
        again = CityExhibit(pilot.kiosk.context("city"), settings)
        again.enter()
        again.leave()
        assert again.landmarks[ACC].name_en == "My Culture Center (ACC)"
        assert "keeping the last good landmarks" in caplog.text
    with city(landmarks_file=str(path)) as fresh:  # a new kiosk has no last good copy
        assert fresh.exhibit.landmarks[ACC].name_en == "Asia Culture Center (ACC)"
        assert "showing the shipped landmarks/gwangju.csv instead" in caplog.text
