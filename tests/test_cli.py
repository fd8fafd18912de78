"""The command line, run as a technician would: separate processes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def kiosk(*args, timeout=180, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    return subprocess.run([sys.executable, str(ROOT / "kiosk.py"), *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=kw.get("cwd", ROOT))


def test_render_writes_non_blank_pngs_with_visible_visitors(tmp_path, pygame_headless):
    from exhibits.diagnostic.exhibit import SOURCE_COLOURS

    out = tmp_path / "frames"
    done = kiosk("render", "diagnostic", "--seconds", "2", "--size", "640x360", "--visitors",
                 "sim", "--out", str(out))
    assert done.returncode == 0, done.stderr
    files = sorted(out.glob("frame_*.png"))
    assert len(files) == 120
    pg = pygame_headless
    sim_colour = np.array(SOURCE_COLOURS["sim"])
    with_visitor = 0
    for f in files[::10]:
        img = pg.surfarray.array3d(pg.image.load(str(f))).transpose(1, 0, 2)
        assert img.shape == (360, 640, 3)
        assert img.std() > 5  # not blank
        with_visitor += int((np.abs(img.astype(int) - sim_colour).max(axis=2) < 20).sum() > 50)
    assert with_visitor >= 8  # the simulated visitor arrives at 0.1 s and stays in view


def test_render_writes_an_mp4(tmp_path):
    import cv2

    out = tmp_path / "d.mp4"
    done = kiosk("render", "diagnostic", "--seconds", "1", "--size", "320x180", "--out", str(out))
    assert done.returncode == 0, done.stderr
    cap = cv2.VideoCapture(str(out))
    ok, frame = cap.read()
    assert ok and frame.shape == (180, 320, 3)
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 60


def test_bench_json_reports_every_key():
    done = kiosk("bench", "diagnostic", "--seconds", "1", "--warmup", "0.2", "--size", "320x180",
                 "--visitors", "sim", "--json")
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(done.stdout)["bench"]
    assert set(result) >= {"frames", "fps", "frame_ms", "stages_ms", "input_to_present_ms",
                           "rss_mb", "exhibit"}
    assert set(result["frame_ms"]) == {"p50", "p95", "p99", "max"}
    assert set(result["stages_ms"]) >= {"input", "update", "draw", "present"}
    assert set(result["input_to_present_ms"]) >= {"p50", "p95"}
    assert set(result["rss_mb"]) >= {"start", "end"}
    assert result["frames"] > 0 and result["input_to_present_ms"]["events"] > 0
    assert result["frame_ms"]["p50"] <= result["frame_ms"]["p99"] <= result["frame_ms"]["max"]


def test_doctor_names_every_component():
    done = kiosk("doctor")
    assert done.returncode == 0, done.stderr
    components = [line.split()[1] for line in done.stdout.splitlines() if line.strip()]
    assert components[:3] == ["display", "camera", "audio"]
    assert {"korean", "torch", "model"} <= set(components)
    for line in done.stdout.splitlines():
        assert line.split()[0] in ("ok", "missing", "error")


@pytest.mark.parametrize(("args", "message"), [
    (["render", "nope", "--out", "x"], "unknown exhibit 'nope'"),
    (["render", "diagnostic", "--size", "big", "--out", "x"], "size must look like 1920x1080"),
    (["bench", "diagnostic", "--seconds", "-1"], "seconds must be 0..86400"),
    (["render", "diagnostic", "--visitors", "missing.jsonl", "--out", "x"], "not found"),
])
def test_bad_arguments_are_clear_errors(args, message, tmp_path):
    done = kiosk(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_run_refuses_a_bad_config_naming_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("schema_version = 1\n[display]\nfps = 1000\n")
    done = kiosk("--config", str(bad), "--windowed")
    assert done.returncode == 2
    assert "display.fps: must be 24..240, got 1000 (line 3)" in done.stderr


def test_run_without_a_display_says_so_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"schema_version = 1\n[runtime]\nlog_dir = '{tmp_path}/logs'\n")
    done = subprocess.run([sys.executable, str(ROOT / "kiosk.py"), "--config", str(cfg)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert done.stdout.count("\n") == 1 and "no display found" in done.stdout
    assert "kiosk.py render" in done.stdout
