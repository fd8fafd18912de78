"""The visitor event pipeline: sources → post-processors → well-formed visitor streams."""

from __future__ import annotations

import json

import numpy as np
import pytest

from runtime.config import InputConfig
from runtime.events import VisitorEvent
from runtime.pipeline import build_pipeline
from runtime.postproc import Calibrate, Dejitter, IgnoreZones, Lifecycle, Retain
from runtime.sources import (
    EventRecorder,
    PointerSource,
    ReplaySource,
    SimulatedVisitors,
    read_recording,
)

SIZE = (1000, 500)


def ev(kind, vid, x, y, t=0.0, source="touch", **kw):
    return VisitorEvent(kind, vid, source, (x, y), t=t, **kw)


def pointer_pipeline(**input_kw):
    pointer = PointerSource(SIZE)
    pipe = build_pipeline(InputConfig(**input_kw), SIZE, [pointer])
    return pointer, pipe


def post_and_get(pygame, events):
    """Send events through SDL's real queue, as a touchscreen driver would."""
    pygame.event.clear()
    for e in events:
        pygame.event.post(e)
    return pygame.event.get()


def test_a_tap_counts_once(pygame_headless):
    pg = pygame_headless
    pointer, pipe = pointer_pipeline(retain_s=0.0)
    # A touchscreen tap: SDL sends FINGER events *and* touch-synthesized mouse events.
    raw = post_and_get(pg, [
        pg.event.Event(pg.FINGERDOWN, touch_id=7, finger_id=0, x=0.25, y=0.5, dx=0, dy=0,
                       pressure=1.0),
        pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(250, 250), button=1, touch=True),
        pg.event.Event(pg.FINGERUP, touch_id=7, finger_id=0, x=0.25, y=0.5, dx=0, dy=0,
                       pressure=0.0),
        pg.event.Event(pg.MOUSEBUTTONUP, pos=(250, 250), button=1, touch=True),
    ])
    for e in raw:
        pointer.handle(e, 0.0)
    out = pipe.poll(0.0)
    assert [(e.kind, e.visitor_id, e.source) for e in out] == [
        ("enter", "touch:7:0", "touch"), ("leave", "touch:7:0", "touch")]
    assert out[0].pos == pytest.approx((0.25, 0.5))


def test_a_real_mouse_click_is_one_visitor(pygame_headless):
    pg = pygame_headless
    pointer, pipe = pointer_pipeline(retain_s=0.0)
    raw = post_and_get(pg, [
        pg.event.Event(pg.MOUSEMOTION, pos=(10, 10), rel=(0, 0), buttons=(0, 0, 0), touch=False),
        pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(500, 100), button=1, touch=False),
        pg.event.Event(pg.MOUSEMOTION, pos=(600, 100), rel=(100, 0), buttons=(1, 0, 0),
                       touch=False),
        pg.event.Event(pg.MOUSEBUTTONUP, pos=(600, 100), button=1, touch=False),
        pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(600, 100), button=4, touch=False),  # wheel
    ])
    for e in raw:
        pointer.handle(e, 1.0)
    out = pipe.poll(1.0)
    assert [e.kind for e in out] == ["enter", "move", "leave"]
    assert {e.visitor_id for e in out} == {"mouse"}
    assert out[1].pos[0] == pytest.approx(600 / 999)


def test_two_fingers_are_two_visitors(pygame_headless):
    pg = pygame_headless
    pointer, pipe = pointer_pipeline(retain_s=0.0)
    for fid, x in ((0, 0.2), (1, 0.8)):
        pointer.handle(pg.event.Event(pg.FINGERDOWN, touch_id=1, finger_id=fid, x=x, y=0.5,
                                      dx=0, dy=0, pressure=1.0), 0.0)
    out = pipe.poll(0.0)
    assert sorted(e.visitor_id for e in out) == ["touch:1:0", "touch:1:1"]
    assert len(pipe.lifecycle.live) == 2


def test_dejitter_drops_tiny_moves_only():
    d = Dejitter(5.0, SIZE)
    assert d.process(ev("enter", "a", 0.5, 0.5), 0)
    assert d.process(ev("move", "a", 0.502, 0.5), 0) == []  # 2 px
    (moved,) = d.process(ev("move", "a", 0.51, 0.5), 0)  # 10 px
    assert moved.delta == pytest.approx((0.01, 0.0))
    assert d.process(ev("leave", "a", 0.51, 0.5), 0)


def test_retain_joins_a_quick_nearby_reentry_and_releases_late_leaves():
    r = Retain(0.2, 50.0, SIZE)
    assert r.process(ev("enter", "a", 0.5, 0.5, 0.0), 0.0)
    assert r.process(ev("leave", "a", 0.5, 0.5, 1.0), 1.0) == []
    assert r.flush(1.1) == []
    (joined,) = r.process(ev("enter", "b", 0.52, 0.5, 1.1), 1.1)  # 20 px away
    assert (joined.kind, joined.visitor_id) == ("move", "a")
    (moved,) = r.process(ev("move", "b", 0.53, 0.5, 1.2), 1.2)
    assert moved.visitor_id == "a"
    assert r.process(ev("leave", "b", 0.53, 0.5, 1.3), 1.3) == []
    (left,) = r.flush(1.6)
    assert (left.kind, left.visitor_id) == ("leave", "a")
    far = r.process(ev("enter", "c", 0.9, 0.9, 2.0), 2.0)
    assert far[0].visitor_id == "c" and far[0].kind == "enter"


def test_retain_never_joins_different_sources():
    r = Retain(0.5, 100.0, SIZE)
    r.process(ev("leave", "a", 0.5, 0.5, 0.0, source="camera"), 0.0)
    (e,) = r.process(ev("enter", "b", 0.5, 0.5, 0.1, source="touch"), 0.1)
    assert e.visitor_id == "b" and e.kind == "enter"


def test_ignore_zones_ignore_visitors_that_start_inside():
    z = IgnoreZones(((0.0, 0.0, 0.2, 0.2),))
    assert z.process(ev("enter", "a", 0.1, 0.1), 0) == []
    assert z.process(ev("move", "a", 0.5, 0.5), 0) == []
    assert z.process(ev("leave", "a", 0.5, 0.5), 0) == []
    assert z.process(ev("enter", "b", 0.5, 0.5), 0)
    assert z.process(ev("move", "b", 0.1, 0.1), 0)  # started outside: followed everywhere


def test_calibrate_maps_camera_positions_through_the_homography():
    h = np.array([[0.5, 0, 0.25], [0, 0.5, 0.25], [0, 0, 1]])
    c = Calibrate(h)
    (e,) = c.process(ev("enter", "cam:1", 1.0, 0.0, source="camera"), 0)
    assert e.pos == pytest.approx((0.75, 0.25))
    (t,) = c.process(ev("enter", "touch:1", 1.0, 0.0), 0)
    assert t.pos == (1.0, 0.0)  # touches are already in screen space


def test_lifecycle_makes_streams_well_formed():
    lc = Lifecycle()
    assert lc.process(ev("leave", "ghost", 0, 0), 0) == []
    assert lc.process(ev("move", "a", 0.1, 0.1), 0)[0].kind == "enter"
    assert lc.process(ev("enter", "a", 0.2, 0.1), 0)[0].kind == "move"


def test_simulated_visitors_walk_in_linger_and_leave_deterministically():
    def run(seed):
        sim = SimulatedVisitors(seed)
        out = []
        for i in range(60 * 60):
            sim.poll(i / 60, out.append)
        return out

    a, b = run(3), run(3)
    assert a == b
    assert a != run(4)
    kinds = {e.kind for e in a}
    assert kinds == {"enter", "move", "leave"}
    ids = {e.visitor_id for e in a}
    assert len(ids) >= 5
    # Visitors stand still at their stops: some frames emit nothing for a visitor.
    per_visitor_times = {}
    for e in a:
        per_visitor_times.setdefault(e.visitor_id, []).append(e.t)
    gaps = [max(np.diff(ts)) for ts in per_visitor_times.values() if len(ts) > 2]
    assert max(gaps) >= 1.0
    assert all(0.0 <= e.pos[0] <= 1.0 and 0.0 <= e.pos[1] <= 1.0 for e in a)


def _stops(events, min_gap=1.0):
    """(arrival time, visitor id, position) of every stop: a visitor's last event before >= 1 s
    of silence (standing still emits nothing)."""
    last, stops = {}, []
    for e in events:
        prev = last.get(e.visitor_id)
        if prev is not None and e.t - prev.t >= min_gap:
            stops.append((prev.t, prev.visitor_id, np.array(prev.pos)))
        last[e.visitor_id] = e
    return sorted(stops, key=lambda s: s[0])


def test_curious_visitors_stop_where_others_stood():
    """curiosity=1: every stop is near an earlier stop of someone else (or near the middle of the
    screen before anyone has stopped), so walks cross what other visitors made."""
    def near_fraction(curiosity):
        sim = SimulatedVisitors(5, curiosity=curiosity)
        out = []
        for i in range(120 * 30):
            sim.poll(i / 30, out.append)
        stops = _stops(out)
        assert len(stops) >= 15
        centre = np.array([0.5, 0.45])
        near = 0
        for t, vid, pos in stops:
            anchors = [centre] + [p for t2, v2, p in stops if t2 < t and v2 != vid]
            near += any(abs(pos[0] - a[0]) <= 0.121 and abs(pos[1] - a[1]) <= 0.101
                        for a in anchors)
        return near / len(stops)

    assert near_fraction(1.0) == 1.0
    assert near_fraction(0.0) < 0.8  # uniformly random stops are often far from everyone's


def test_recording_round_trip_through_replay(tmp_path):
    path = tmp_path / "rec.jsonl"
    rec = EventRecorder(path)
    original = [ev("enter", "touch:1:0", 0.1, 0.2, 10.0), ev("move", "touch:1:0", 0.3, 0.2, 10.5),
                ev("leave", "touch:1:0", 0.3, 0.2, 11.0)]
    rec.write(original)
    rec.close()
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["t"] for r in rows] == [0.0, 0.5, 1.0]
    assert set(rows[0]) == {"t", "kind", "id", "source", "x", "y"}  # positions only
    replay = ReplaySource(read_recording(path))
    got = []
    for i in range(80):
        replay.poll(100.0 + i / 60, got.append)
    assert [(e.kind, e.pos) for e in got] == [(e.kind, e.pos) for e in original]
    assert all(e.source == "replay" for e in got)


def test_looping_replay_starts_fresh_visitors(tmp_path):
    events = [ev("enter", "v", 0.5, 0.5, 0.0), ev("leave", "v", 0.5, 0.5, 0.2)]
    replay = ReplaySource(events, loop=True)
    got = []
    for i in range(100):
        replay.poll(i / 60, got.append)
    assert {e.visitor_id for e in got} >= {"v~0", "v~1"}


def test_bad_recording_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"t": 0, "kind": "enter", "id": "a", "x": 0.1, "y": 0.1}\n'
                    '{"t": 1, "kind": "jump", "id": "a", "x": 0.1, "y": 0.1}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: kind: must be one of"):
        read_recording(path)


def test_a_failing_source_does_not_stop_the_others():
    class Broken:
        name = "broken"

        def start(self): ...

        def stop(self): ...

        def poll(self, now, emit):
            raise OSError("device unplugged")

    sim = SimulatedVisitors(0, first_arrival_s=0.0)
    pipe = build_pipeline(InputConfig(), SIZE, [Broken(), sim])
    out = []
    for i in range(30):
        out.extend(pipe.poll(i / 60))
    assert any(e.source == "sim" for e in out)


def test_replay_plays_unsorted_recordings_in_time_order():
    events = [ev("enter", "b", 0.5, 0.5, 0.5), ev("enter", "a", 0.1, 0.1, 0.0)]
    replay = ReplaySource(events)
    got = []
    replay.poll(0.0, got.append)
    assert [e.visitor_id for e in got] == ["a"]


def test_retain_releases_a_held_leave_when_the_same_id_returns_far_away():
    r = Retain(0.5, 50.0, SIZE)
    r.process(ev("enter", "touch:1:0", 0.01, 0.01, 0.0), 0.0)
    assert r.process(ev("leave", "touch:1:0", 0.01, 0.01, 0.1), 0.1) == []
    out = r.process(ev("enter", "touch:1:0", 0.99, 0.99, 0.2), 0.2)
    assert [(e.kind, e.pos) for e in out] == [("leave", (0.01, 0.01)), ("enter", (0.99, 0.99))]
