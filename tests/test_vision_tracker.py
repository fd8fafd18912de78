"""The people tracker on procedural scenes: crossings, merges and splits keep their ids.

Frames come from :mod:`runtime.vision.synthetic` (person-shaped figures on a static noisy room),
run through the real :class:`VisionProcessor` (background, cleanup, people, Kalman + Hungarian).
Identity is judged by following each tracker id and checking it stays on one walker.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from runtime.vision.people import Detection
from runtime.vision.processor import VisionProcessor
from runtime.vision.settings import CameraConfig
from runtime.vision.synthetic import Scene, Walker
from runtime.vision.tracker import Tracker, iou_matrix

FPS = 15.0


def run_scene(scene: Scene, seconds: float, **overrides) -> dict[int, list[tuple[int, int, bool]]]:
    """``{track id: [(frame, nearest walker, seen), ...]}`` over the clip."""
    cfg = replace(CameraConfig(), learn_s=0.9, mirror=False, **overrides)
    proc = VisionProcessor(cfg, scene.size)
    hist: dict[int, list[tuple[int, int, bool]]] = {}
    for k in range(int(seconds * FPS)):
        t = k / FPS
        proc.process(proc.prepare(scene.render(t)), t)
        truth = scene.truth(t)
        for s in proc.tracks:
            if not truth:
                continue
            cx, cy = s.box[0] + s.box[2] / 2, s.box[1] + s.box[3] / 2
            near = min(truth, key=lambda i: np.hypot(truth[i][0] + truth[i][2] / 2 - cx,
                                                       truth[i][1] + truth[i][3] / 2 - cy))
            hist.setdefault(s.id, []).append((k, near, s.seen))
    return hist


def owner(track: list[tuple[int, int, bool]], frames: range) -> set[int]:
    return {w for k, w, seen in track if k in frames and seen}


def test_two_people_crossing_keep_their_ids():
    walkers = (Walker((20, 200), (300, 200), 1.0, 7.0, 80, (40, 40, 160)),
               Walker((300, 205), (20, 205), 1.0, 7.0, 82, (150, 60, 30)))
    hist = run_scene(Scene((320, 240), walkers, seed=1), 8.0)
    assert len(hist) == 2, f"expected 2 ids, got {sorted(hist)}"
    before, after = range(int(2.0 * FPS), int(3.0 * FPS)), range(int(5.5 * FPS), int(6.8 * FPS))
    for tid, track in hist.items():
        assert len(owner(track, before)) == 1, f"id {tid} unclear before the crossing"
        assert owner(track, before) == owner(track, after), f"id {tid} swapped at the crossing"


def test_group_that_merges_and_splits_does_not_explode_ids():
    # Two people meet, walk side by side touching (one blob), then part ways.
    walkers = (Walker((30, 190), (150, 190), 0.8, 3.5, 76, (40, 40, 40)),
               Walker((290, 192), (166, 192), 0.8, 3.5, 78, (30, 90, 170)),
               Walker((150, 190), (40, 150), 3.5, 6.5, 76, (40, 40, 40)),
               Walker((166, 192), (290, 220), 3.5, 6.5, 78, (30, 90, 170)))
    scene = Scene((320, 240), walkers, seed=2)
    hist = run_scene(scene, 7.0)
    assert len(hist) <= 3, f"ids exploded: {sorted(hist)}"
    # The two people before meeting are the two people after parting, in the same order.
    before = range(int(1.8 * FPS), int(2.6 * FPS))
    after = range(int(5.0 * FPS), int(6.3 * FPS))
    mapping = {}
    for tid, track in hist.items():
        b, a = owner(track, before), owner(track, after)
        if b and a:
            mapping[tid] = (b, a)
    pairs = {(min(b), min(a)) for b, a in mapping.values()}
    assert pairs == {(0, 2), (1, 3)}, f"ids did not survive the group: {mapping}"


def test_nobody_in_an_empty_noisy_room():
    hist = run_scene(Scene((320, 240), (), seed=3, noise=5.0), 3.0)
    assert hist == {}


def test_tracker_coasts_through_a_short_gap_and_keeps_the_id():
    tr = Tracker(240, max_distance=0.2, persistence_s=0.5, confirm_s=0.1)
    ids = []
    for k in range(30):
        t = k / 15
        x = 20 + 6 * k
        dets = [] if 12 <= k < 16 else [Detection(x, 100, 20, 60, 900)]
        ids.append([s.id for s in tr.update(dets, t)])
    assert {i for frame in ids for i in frame} == {1}
    assert ids[-1] == [1]


def test_a_person_gone_longer_than_persistence_leaves():
    tr = Tracker(240, persistence_s=0.3, confirm_s=0.0)
    for k in range(5):
        tr.update([Detection(100, 100, 20, 60, 900)], k / 10)
    assert [s.id for s in tr.states(0.4)] == [1]
    for k in range(5, 12):
        out = tr.update([], k / 10)
    assert out == []


def test_iou_matrix_basics():
    a = np.array([[0, 0, 10, 10], [20, 20, 10, 10]], float)
    b = np.array([[0, 0, 10, 10], [5, 0, 10, 10]], float)
    m = iou_matrix(a, b)
    assert m.shape == (2, 2)
    assert m[0, 0] == pytest.approx(1.0)
    assert m[0, 1] == pytest.approx(50 / 150)
    assert m[1, 0] == 0.0
