"""``track VIDEO --out tracks.txt``: MOTChallenge rows from the kiosk's tracker, offline.

Runs the command's real entry point (``python -m runtime.vision.track_cli``, which ``kiosk.py
track`` wraps) on a clip generated into the test's temporary folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from runtime.settings import ConfigError
from runtime.vision.settings import CameraConfig
from runtime.vision.synthetic import Scene, Walker
from runtime.vision.track_cli import load_camera_config, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "walk.avi"
    scene = Scene((384, 288), (Walker((20, 250), (360, 240), 0.2, 3.5, 110, (40, 40, 150)),
                               Walker((360, 200), (30, 190), 1.0, 3.9, 80, (150, 90, 30))),
                  seed=5)
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 20, (384, 288))
    for k in range(80):
        out.write(scene.render(k / 20))
    out.release()
    return path


def test_track_writes_valid_mot_rows(clip, tmp_path, capsys):
    out = tmp_path / "tracks.txt"
    assert main([str(clip), "--out", str(out), "--warmup-passes", "1"]) == 0
    rows = [line.split(",") for line in out.read_text().splitlines()]
    assert rows, "no rows written"
    frames = set()
    for r in rows:
        assert len(r) == 10 and r[7:] == ["-1", "-1", "-1"]
        f, i = int(r[0]), int(r[1])
        x, y, w, h = map(float, r[2:6])
        assert 1 <= f <= 80 and i >= 1
        assert w > 0 and h > 0 and -w < x < 384 and -h < y < 288
        frames.add(f)
    assert min(frames) <= 12, "one warm-up pass learned the room: people from the start"
    assert len({r[1] for r in rows}) == 2
    assert "rows" in capsys.readouterr().out


def test_debug_video_is_written_only_when_asked(clip, tmp_path):
    out = tmp_path / "tracks.txt"
    video = tmp_path / "debug.mp4"
    assert main([str(clip), "--out", str(out), "--debug-video", str(video)]) == 0
    cap = cv2.VideoCapture(str(video))
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 80
    cap.release()


def test_exit_codes(tmp_path):
    out = tmp_path / "t.txt"
    assert main([str(tmp_path / "missing.avi"), "--out", str(out)]) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("schema_version = 1\n[camera]\nstale_s = 0\nbogus = 1\n")
    assert main([str(tmp_path / "x.avi"), "--out", str(out), "--config", str(bad)]) == 2
    with pytest.raises(ConfigError) as err:
        load_camera_config(bad)
    msgs = [str(p) for p in err.value.problems]
    assert any(m.startswith("camera.stale_s: must be 0.2..60") and "line 3" in m for m in msgs)
    assert any(m.startswith("camera.bogus: unknown key") for m in msgs)


def test_module_entry_point(clip, tmp_path):
    out = tmp_path / "t.txt"
    proc = subprocess.run([sys.executable, "-m", "runtime.vision.track_cli", str(clip),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().count("\n") > 10


def test_camera_config_defaults_and_cross_checks(tmp_path):
    cfg = CameraConfig()
    assert cfg.process_size_px == (320, 240) and cfg.source == "auto"
    good = tmp_path / "good.toml"
    good.write_text('schema_version = 1\n[camera]\nsource = "none"\npersistence_s = 2.5\n')
    assert load_camera_config(good).persistence_s == 2.5
    bad = tmp_path / "minmax.toml"
    bad.write_text("[camera]\nreconnect_min_s = 10\nreconnect_max_s = 1\nanchor = \"knees\"\n")
    with pytest.raises(ConfigError) as err:
        load_camera_config(bad)
    text = str(err.value)
    assert "camera.anchor: must be one of 'centre', 'feet', 'head'" in text
