"""Camera → screen calibration: solving, the file round trip, its checks, and the on-screen mode.

A known homography plays the room: a technician standing at a screen target is seen by the
camera at ``inverse(H) @ target`` (plus a little tracking noise). The mode runs on a fake clock.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from runtime.postproc import Calibrate
from runtime.vision.calibration import (
    CalibrationError,
    check_calibration,
    load_calibration,
    load_homography,
    save_calibration,
    solve,
)
from runtime.vision.calibration_mode import DEFAULT_TARGETS, CalibrationMode

# Camera-normalized → screen-normalized: a tilted camera sees the floor as a trapezoid.
TRUE_H = np.array([[1.3, 0.15, -0.2], [0.05, 1.6, -0.35], [0.1, 0.4, 1.0]])


def seen_at(target, rng=None, noise=0.0):
    inv = np.linalg.inv(TRUE_H)
    v = inv @ np.array([target[0], target[1], 1.0])
    p = v[:2] / v[2]
    if rng is not None:
        p = p + rng.normal(0, noise, 2)
    return float(p[0]), float(p[1])


def test_solve_save_load_round_trip(tmp_path):
    observed = [seen_at(t) for t in DEFAULT_TARGETS]
    cal = solve(DEFAULT_TARGETS, observed, anchor="feet", mirrored=True)
    assert cal.rms_error < 1e-6
    assert np.allclose(cal.homography / cal.homography[2, 2], TRUE_H / TRUE_H[2, 2], atol=1e-6)
    path = tmp_path / "calibration.json"
    save_calibration(path, cal)
    back = load_calibration(path)
    assert np.allclose(back.homography, cal.homography)
    assert back.targets == cal.targets and back.observed == cal.observed
    assert back.anchor == "feet" and back.mirrored is True
    assert check_calibration(path) == []
    # The pipeline's Calibrate maps where the camera saw someone to the target they stood at.
    post = Calibrate(load_homography(path))
    for tgt, obs in zip(DEFAULT_TARGETS, observed, strict=True):
        assert post.map_point(*obs) == pytest.approx(tgt, abs=1e-6)


def test_one_misread_target_is_outvoted():
    observed = [seen_at(t) for t in DEFAULT_TARGETS]
    observed[4] = (observed[4][0] + 0.2, observed[4][1])
    cal = solve(DEFAULT_TARGETS, observed)
    assert cal.inliers.count(False) == 1 and not cal.inliers[4]
    assert cal.rms_error < 1e-6


@pytest.mark.parametrize("targets, observed, words", [
    ([(0, 0), (1, 0), (1, 1)], [(0, 0), (1, 0), (1, 1)], "at least 4"),
    ([(0, 0), (1, 0), (1, 1), (0, 1)], [(0.5, 0.5)] * 4, "barely differ"),
    ([(0, 0), (1, 0), (1, 1), (0, 1)], [(0, 0), (1, 0)], "observations"),
])
def test_solve_refuses_bad_input(targets, observed, words):
    with pytest.raises(CalibrationError, match=words):
        solve(targets, observed)


def test_check_names_problems(tmp_path):
    missing = tmp_path / "none.json"
    assert check_calibration(missing) == []
    assert "no calibration file" in check_calibration(missing, missing_ok=False)[0]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert "not valid JSON" in check_calibration(bad)[0]
    shape = tmp_path / "shape.json"
    shape.write_text(json.dumps({"version": 1, "homography": [[1, 0], [0, 1]]}))
    assert "3×3" in check_calibration(shape)[0]
    # A file whose homography does not reproduce its own targets, made with other settings.
    good = solve(DEFAULT_TARGETS, [seen_at(t) for t in DEFAULT_TARGETS], anchor="centre")
    data = good.to_json()
    data["homography"] = np.eye(3).tolist()
    off = tmp_path / "off.json"
    off.write_text(json.dumps(data))
    msgs = check_calibration(off, anchor="feet", mirrored=False)
    assert any("missed by" in m for m in msgs)
    assert any("camera.anchor" in m for m in msgs)
    assert any("camera.mirror" in m for m in msgs)
    fold = tmp_path / "fold.json"
    data["homography"] = [[1, 0, 0], [0, 1, 0], [-2, 0, 1]]  # w = 0 at x = 0.5
    fold.write_text(json.dumps(data))
    assert any("folds" in m for m in check_calibration(fold))
    with pytest.raises(CalibrationError, match="homography"):
        load_homography(shape)


def stand_at_each_target(mode: CalibrationMode, rng, *, fps=10.0, start=0.0):
    """A technician walks to each target, stands 2.5 s (tracking noise), moves on."""
    t = start
    guard = 0
    while mode.state == "collecting" and guard < 50:
        guard += 1
        tgt = mode.target
        for _ in range(int(2.5 * fps)):
            mode.feed([seen_at(tgt, rng, 0.004)], t)
            mode.update(t)
            t += 1 / fps
            if mode.target != tgt:
                break
    return t


def test_mode_dwell_collects_all_targets_and_solves():
    rng = np.random.default_rng(0)
    mode = CalibrationMode(dwell_s=2.0)
    stand_at_each_target(mode, rng)
    assert mode.state == "done", mode.message
    assert len(mode.pairs) == len(DEFAULT_TARGETS)
    cal = mode.result
    for tgt in DEFAULT_TARGETS:
        assert cal.map(*seen_at(tgt)) == pytest.approx(tgt, abs=0.02)


def test_mode_pauses_for_crowds_and_accepts_touches():
    mode = CalibrationMode(dwell_s=1.0)
    t = 0.0
    for _ in range(30):  # two people in view: nothing is recorded, a hint shows
        mode.feed([(0.2, 0.3), (0.7, 0.6)], t)
        mode.update(t)
        t += 0.1
    assert mode.index == 0
    assert "one person" in " ".join(mode.lines())
    # The technician touches the target: recorded at once where the camera sees them.
    mode.feed([seen_at(mode.target)], t)
    assert not mode.touch((0.9, 0.9), t)  # a touch elsewhere does nothing
    assert mode.touch(mode.target, t)
    assert mode.index == 1
    mode.skip()
    assert len(mode.targets) == len(DEFAULT_TARGETS) - 1


def test_mode_fails_on_inconsistent_observations_and_restarts():
    mode = CalibrationMode([(0.15, 0.15), (0.85, 0.15), (0.85, 0.85), (0.15, 0.85), (0.5, 0.5)],
                           dwell_s=0.5)
    rng = np.random.default_rng(1)
    t = 0.0
    for _ in range(5):  # wherever the target is, the camera reports random places
        p = tuple(rng.uniform(0.1, 0.9, 2))
        for _ in range(8):
            mode.feed([p], t)
            mode.update(t)
            t += 0.1
    assert mode.state == "failed"
    assert "again" in " ".join(mode.lines())
    mode.restart()
    assert mode.state == "collecting" and mode.index == 0


def test_mode_draws_headless():
    pygame = pytest.importorskip("pygame")
    pygame.font.init()
    surf = pygame.Surface((320, 180))
    mode = CalibrationMode(dwell_s=1.0)
    mode.feed([(0.3, 0.3)], 0.0)
    mode.update(0.5)
    mode.draw(surf)
    # The current target's ring is drawn near the top-left target.
    x, y = int(0.15 * 319), int(0.15 * 179)
    assert surf.get_at((x, y))[:3] != (6, 8, 16) or surf.get_at((x + 7, y))[:3] != (6, 8, 16)
