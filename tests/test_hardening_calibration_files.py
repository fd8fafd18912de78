"""Hardening, calibration and landmark files: malformed, huge or non-UTF-8 calibrations are
refused in one line and the kiosk runs uncalibrated; huge landmark files are refused unread and
their problems capped."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from exhibits.city.landmarks import MAX_FILE_BYTES as MAX_LANDMARK_BYTES
from exhibits.city.landmarks import MAX_PROBLEMS, load_landmarks
from runtime.assets import ASSETS_DIR
from runtime.check import check
from runtime.config import load_config
from runtime.vision.calibration import (
    CalibrationError,
    check_calibration,
    load_calibration,
    save_calibration,
    solve,
)

SHIPPED_LANDMARKS = ASSETS_DIR / "landmarks" / "gwangju.csv"


def run_check(path: Path) -> tuple[int, str]:
    lines: list[str] = []
    code = check(path, render=False, out=lines.append)
    return code, "\n".join(lines)


# --- item 5: malformed calibration files ------------------------------------------------------
def valid_calibration() -> dict:
    targets = [(0.15, 0.15), (0.85, 0.15), (0.85, 0.85), (0.15, 0.85), (0.5, 0.5)]
    return solve(targets, [(x * 0.8 + 0.1, y * 0.7 + 0.1) for x, y in targets]).to_json()


def with_field(key, value) -> str:
    data = valid_calibration()
    data[key] = value
    return json.dumps(data)


def with_first_target(token: str) -> str:
    """A valid file whose first target's x is ``token``, written as is (NaN, 1e400, ...)."""
    data = valid_calibration()
    data["targets"][0][0] = "@"
    return json.dumps(data).replace('"@"', token)


MALFORMED_CALIBRATIONS = {
    "inliers_int": (with_field("inliers", 5), "inliers"),
    "inliers_strings": (with_field("inliers", ["yes"] * 5), "inliers"),
    "deep": ('{"version": 1, "homography": ' + "[" * 100_000 + "]" * 100_000 + "}",
             "nested too deeply"),
    "nan": (with_field("rms_error", float("nan")), "NaN"),
    "infinity": (with_first_target("-Infinity"), "Infinity"),
    "1e400": (with_first_target("1e400"), "targets[0]"),
    "huge_int": (with_first_target("9" * 400), "targets[0]"),
    "homography_3x2": (with_field("homography", [[1, 0], [0, 1], [0, 0]]), "3×3"),
    "homography_strings": (with_field("homography", [["1", 0, 0], [0, 1, 0], [0, 0, 1]]),
                           "homography"),
    "homography_bools": (with_field("homography", [[True, 0, 0], [0, True, 0], [0, 0, True]]),
                         "homography"),
    "targets_triples": (with_field("targets", [[1, 2, 3]] * 5), "targets[0]"),
    "observed_object": (with_field("observed", {"x": 1}), "observed"),
    "version_true": (with_field("version", True), "version"),
    "mirrored_string": (with_field("mirrored", "false"), "mirrored"),
    "anchor_number": (with_field("anchor", 5), "anchor"),
    "created_list": (with_field("created", [1, 2]), "created"),
    "rms_string": (with_field("rms_error", "small"), "rms_error"),
    "array": ("[1, 2, 3]", "JSON object"),
    "not_json": ("{version: 1}", "not valid JSON"),
}


@pytest.mark.parametrize("name", list(MALFORMED_CALIBRATIONS))
def test_a_malformed_calibration_is_refused_in_one_line(tmp_path, name):
    text, words = MALFORMED_CALIBRATIONS[name]
    path = tmp_path / "calibration.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalibrationError) as err:
        load_calibration(path)
    assert str(err.value).startswith(f"{path}: ") and words in str(err.value)
    assert "\n" not in str(err.value) and len(str(err.value)) < 300
    assert check_calibration(path) == [str(err.value)]


def test_calibration_files_that_are_huge_or_not_utf8_are_refused(tmp_path):
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({**valid_calibration(), "pad": "x" * 300_000}))
    with pytest.raises(CalibrationError, match="larger than"):
        load_calibration(huge)
    latin = tmp_path / "latin.json"
    latin.write_bytes(json.dumps(valid_calibration()).encode()[:-1] + b', "created": "\xe9"}')
    with pytest.raises(CalibrationError, match="not UTF-8"):
        load_calibration(latin)


def test_a_calibration_written_by_the_kiosk_still_loads(tmp_path):
    path = tmp_path / "calibration.json"
    cal = solve(*(lambda t: (t, [(x * 0.8 + 0.1, y * 0.7 + 0.1) for x, y in t]))(
        [(0.15, 0.15), (0.85, 0.15), (0.85, 0.85), (0.15, 0.85), (0.5, 0.5), (0.3, 0.7)]))
    save_calibration(path, cal)
    back = load_calibration(path)
    assert np.allclose(back.homography, cal.homography) and back.inliers == cal.inliers
    assert check_calibration(path) == []


def test_check_and_run_go_on_uncalibrated_with_a_bad_calibration(tmp_path, caplog):
    from runtime.run import open_camera

    (tmp_path / "calibration.json").write_text(with_field("inliers", 5))
    config = tmp_path / "c.toml"
    config.write_text("schema_version = 1\n[camera]\nsource = \"clip.mp4\"\n")
    code, out = run_check(config)
    assert code == 2 and "camera.calibration_path" in out and "inliers" in out
    with caplog.at_level(logging.INFO, logger="kiosk"):
        source, homography, path = open_camera(load_config(config), tmp_path)
    assert source is not None and homography is None
    lines = [r for r in caplog.records if "calibrat" in r.getMessage()]
    assert len(lines) == 1 and str(path) in lines[0].getMessage()
    assert "inliers" in lines[0].getMessage()


# --- landmark files ---------------------------------------------------------------------------
def test_a_huge_landmark_file_is_refused_unread(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(SHIPPED_LANDMARKS.read_bytes() + b"a,b,c,d,e,f,g,h,i,j\n" * 300_000)
    landmarks, problems = load_landmarks(path, "big.csv")  # a 60 MB file took 74 s before
    assert landmarks == [] and problems == [
        f"big.csv: the landmark file is larger than {MAX_LANDMARK_BYTES // 1024} KiB, the most "
        "it may be (2..24 landmarks)"]


def test_landmark_problems_are_capped(tmp_path):
    path = tmp_path / "many.csv"
    path.write_bytes(SHIPPED_LANDMARKS.read_bytes() + b"a,b,c,d,e,f,g,h,i,j\n" * 2000)
    _, problems = load_landmarks(path, "many.csv")
    assert len(problems) == MAX_PROBLEMS + 1 and "stopped after" in problems[-1]
