"""Numbers' rooms one at a time: attract mode from the kiosk's visit tracker, what outlives a
showing (``ctx.store``), the camera eraser reading a typed ``VisionFrame`` and its calibration,
and the retired ``idle_s`` key."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import numpy as np
from test_numbers import after, settings, tap

from runtime.assets import Assets
from runtime.config import default_config
from runtime.events import VisitorEvent
from runtime.exhibit import ExhibitContext
from runtime.store import ExhibitStore
from runtime.timing import FrameStats, StageTimer
from runtime.vision.processor import VisionFrame

ASSETS = Assets()  # one per kiosk, like the store


def context(store=None, seed=0):
    """A context built by hand, as an isolated test does: no kiosk, no visit tracker."""
    return ExhibitContext((320, 180), 60, ASSETS, seed, "cpu", StageTimer(), FrameStats(),
                          lambda: 0.0, logging.getLogger("t"),
                          store=store if store is not None else ExhibitStore("numbers"))


def numbers(ctx, **kw):
    from exhibits.numbers.exhibit import NumbersExhibit

    kw.setdefault("weights", False)
    kw.setdefault("threaded", False)
    kw.setdefault("cppn_width", 32)
    return NumbersExhibit(ctx, settings(), **kw)


# --- attract mode: one idle clock, the kiosk's ------------------------------------------------
def test_attract_mode_follows_the_visit_tracker():
    """A tap starts a visit (attract off at once, no self-planted digits during it); attract
    returns only when the tracker ends the visit, ``[visits] idle_s`` after the last event."""
    cfg = default_config()
    cfg = dataclasses.replace(cfg, visits=dataclasses.replace(cfg.visits, idle_s=6.0,
                                                              warning_s=1.0))
    s = settings(attract_seed_s=1.0)
    ex, _, kiosk = after(tap(1.5, (0.3, 0.3)), seconds=7.4, s=s, cfg=cfg)
    assert not kiosk.visit.attract and not ex.attract_mode.active  # 5.9 s after the tap
    assert [d.by_visitor for d in ex.planting.digits] == [False, False, True]
    ex, _, kiosk = after(tap(1.5, (0.3, 0.3)), seconds=9.0, s=s, cfg=cfg)
    assert kiosk.visit.attract and ex.attract_mode.active and kiosk.visit.visits == 1
    late = [d for d in ex.planting.digits if not d.by_visitor and d.born_t > 1.5]
    assert late and min(d.born_t for d in late) >= 1.5 + 6.0  # only after the visit ended
    assert ex.planting.last_grown is None  # on_visit_end: the caption invites again


def test_without_a_tracker_attract_follows_the_visitors_present():
    ex = numbers(context())
    ex.enter()
    try:
        for _ in range(30):
            ex.update(1 / 60)
        assert ex.ctx.visit is None and ex.attract_mode.active
        ex.on_visitor(VisitorEvent("enter", "touch:1", "touch", (0.5, 0.5), t=0.5))
        ex.update(1 / 60)
        assert not ex.attract_mode.active
        ex.on_visitor(VisitorEvent("leave", "touch:1", "touch", (0.5, 0.5), t=0.6))
        ex.update(1 / 60)
        assert ex.attract_mode.active  # no idle delay without a tracker
    finally:
        ex.leave()


def test_idle_s_is_retired_from_the_numbers_settings():
    from exhibits.numbers.settings import NumbersSettings

    assert "idle_s" not in {f.name for f in dataclasses.fields(NumbersSettings)}
    assert "[visits] idle_s" in NumbersSettings.RETIRED["idle_s"]


# --- what outlives a showing lives in ctx.store ------------------------------------------------
def test_the_ledger_and_the_kit_caches_live_in_the_exhibit_store():
    from exhibits.kit import Kit

    store = ExhibitStore("numbers")
    ctx = context(store)
    first = numbers(ctx)
    first.enter()
    first._plant((50, 50), by_visitor=True, planter="")
    first.leave()
    second = numbers(context(store))
    assert second.kit.texts is first.kit.texts  # the captions rendered once stay rendered
    second.enter()
    assert second._plant((50, 50), by_visitor=True, planter="").number == 2
    second.leave()
    assert any(k[0] == "numbers.ledger" for k in store.keys())
    other = numbers(context())  # another kiosk's store: nothing shared
    other.enter()
    assert other.kit.texts is not first.kit.texts
    assert other._plant((50, 50), by_visitor=True, planter="").number == 1
    other.leave()
    # a big surface handed back is the next showing's, through the same store only
    kit_a, kit_b = Kit(ctx, "numbers"), Kit(context(), "numbers")
    buf = object()
    kit_a.give_spare(("numbers.layer", (320, 180)), buf)
    assert kit_b.take_spare(("numbers.layer", (320, 180)), object) is not buf
    assert Kit(ctx, "numbers").take_spare(("numbers.layer", (320, 180)), object) is buf


def test_a_showing_reuses_the_surfaces_the_last_one_gave_back(pygame_headless):
    pygame = pygame_headless
    store = ExhibitStore("numbers")
    screen = pygame.Surface((320, 180))
    first = numbers(context(store))
    first.enter()
    first.update(1 / 60)
    first.draw(screen, 1.0)
    big = first.layer._big
    first.leave()
    second = numbers(context(store))
    second.enter()
    second.update(1 / 60)
    second.draw(screen, 1.0)
    assert second.layer._big is big
    second.leave()


def test_random_draws_come_from_named_streams():
    a, b = numbers(context(seed=7)), numbers(context(seed=7))
    assert np.array_equal(a.eraser.rng.random(4), b.eraser.rng.random(4))
    assert not np.array_equal(numbers(context(seed=7)).eraser.rng.random(4),
                              np.random.default_rng(7 + 505).random(4))


def test_the_position_lasts_the_day_across_exhibit_instances_and_resets_next_day():
    from exhibits.numbers.exhibit import NumbersExhibit

    day = [dt.date(2026, 5, 18)]
    assets = Assets()
    store = ExhibitStore("numbers")  # what the kiosk keeps for the name between showings

    def fresh():
        ctx = ExhibitContext((320, 180), 60, assets, 0, "cpu", StageTimer(), FrameStats(),
                             lambda: 0.0, logging.getLogger("t"), store=store)
        ex = NumbersExhibit(ctx, settings(), weights=False, threaded=False, cppn_width=32,
                            today=lambda: day[0])
        ex.enter()
        return ex

    first = fresh()
    for _ in range(3):
        first._plant((50, 50), by_visitor=True, planter="")
    first.leave()
    second = fresh()
    d = second._plant((50, 50), by_visitor=True, planter="")
    assert (d.number, d.value) == (4, 1) and second.planting.visitor_count == 4
    day[0] = dt.date(2026, 5, 19)
    d = second._plant((120, 50), by_visitor=True, planter="")
    assert (d.number, d.value) == (1, 3) and second.planting.visitor_count == 1
    second.leave()

# --- the camera eraser -----------------------------------------------------------------------
def eraser():
    from exhibits.numbers.eraser import Eraser
    from exhibits.numbers.layout import Layout

    s = settings(damage_strength=1.0)
    return Eraser(Layout.for_screen((320, 180), s.digit_px), s, np.random.default_rng(0))


def camera_frame(index, homography=None, learning=False, flow=0.5):
    """A 60×80 camera mask with one person in columns 10..19, everyone moving at ``flow``."""
    mask = np.zeros((60, 80), np.uint8)
    mask[10:50, 10:20] = 255
    return VisionFrame(t_capture=index / 30, index=index, size_px=(80, 60), mask=mask,
                       flow=np.full((60, 80, 2), flow, np.float32), learning=learning,
                       homography=homography)


def erased_columns(er):
    cols = np.flatnonzero(er.mask.any(axis=0))
    return (int(cols.min()), int(cols.max())) if len(cols) else None


def test_moving_silhouettes_erase_where_the_calibration_puts_them():
    warnings = []
    er = eraser()
    gw = er.layout.grid[0]
    er.camera(camera_frame(1), warnings.append)
    lo, hi = erased_columns(er)
    assert abs(lo - 10 / 80 * gw) <= 2 and abs(hi - 20 / 80 * gw) <= 2
    shifted = np.array([[1.0, 0.0, 0.25], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # +¼ screen width
    er = eraser()
    er.camera(camera_frame(1, shifted), warnings.append)
    lo2, hi2 = erased_columns(er)
    assert abs(lo2 - (lo + gw / 4)) <= 2 and abs(hi2 - (hi + gw / 4)) <= 2
    assert warnings == []


def test_the_camera_eraser_skips_learning_still_and_repeated_frames():
    er = eraser()
    er.camera(camera_frame(1, learning=True), print)
    er.camera(camera_frame(2, flow=0.0), print)  # standing still erases nothing
    assert not er.any
    er.camera(camera_frame(3), print)
    assert er.any
    er.mask[:] = False
    er.any = False
    er.camera(camera_frame(3), print)  # the same frame again: used once
    assert not er.any
    er.camera(None, print)  # no camera
    assert not er.any

