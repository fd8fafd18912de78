"""Camera capture and the camera visitor source, with a recorded clip standing in for a camera.

The clip is generated here (synthetic walkers, :mod:`runtime.vision.synthetic`) into the test's
own temporary folder with ``cv2.VideoWriter``: test data, not a camera frame. Backoffs are short
through the config so reconnection is observed in about a second.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import cv2
import pytest

from runtime.vision.capture import FrameGrabber, parse_source
from runtime.vision.settings import CameraConfig, resolve_source
from runtime.vision.source import CameraSource
from runtime.vision.synthetic import Scene, Walker


def write_clip(path: Path, seconds: float, fps: float = 25.0, size=(320, 240)) -> Path:
    scene = Scene(size, (Walker((20, 200), (300, 200), 0.6, seconds, 90, (40, 40, 150)),), seed=4)
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    assert out.isOpened()
    for k in range(int(seconds * fps)):
        out.write(scene.render(k / fps))
    out.release()
    return path


def wait_for(cond, timeout_s: float = 5.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return False


def test_parse_source_kinds():
    assert parse_source("auto").kind == "auto"
    assert parse_source("none").kind == "none"
    assert parse_source("0").target == 0
    assert parse_source("/dev/v4l/by-id/usb-cam-video-index0").kind == "device"
    assert parse_source("rtsp://10.0.0.2/stream").kind == "url"
    assert parse_source("clips/room.mp4").kind == "file"
    assert resolve_source("clips/room.mp4", "/etc/kiosk") == "/etc/kiosk/clips/room.mp4"
    assert resolve_source("2", "/etc/kiosk") == "2"


def test_none_source_is_quiet():
    g = FrameGrabber("none")
    g.start()
    assert g.status.state == "none"
    assert g.latest() is None
    g.stop()


def test_newest_frame_only_and_stamped(tmp_path):
    clip = write_clip(tmp_path / "clip.avi", 2.0, fps=50)
    g = FrameGrabber(str(clip), loop_video=True, realtime_video=True)
    g.start()
    try:
        assert wait_for(lambda: g.latest() is not None)
        first = g.latest()
        time.sleep(0.3)  # a slow consumer
        seq, frame, t = g.latest()
        assert seq > first[0] + 3, "capture must go on while nobody reads"
        assert time.perf_counter() - t < 0.2, "the slot holds the newest frame, not an old one"
        assert frame.shape == (240, 320, 3)
        assert g.status.state == "live"
    finally:
        g.stop()


def test_source_that_dies_mid_stream_reconnects_with_backoff(tmp_path):
    clip = write_clip(tmp_path / "clip.avi", 0.6, fps=50)
    away = tmp_path / "unplugged.avi"
    g = FrameGrabber(str(clip), loop_video=False, realtime_video=True, stale_s=1.0,
                     reconnect_min_s=0.05, reconnect_max_s=0.4)
    g.start()
    try:
        assert wait_for(lambda: g.status.state == "live")
        clip.rename(away)  # the device disappears while it streams
        assert wait_for(lambda: g.status.state == "reconnecting")
        assert "ended" in g.status.detail or "no such" in g.status.detail
        assert wait_for(lambda: g.status.reconnects >= 4, 4.0), g.status
        assert g.status.detail.startswith("no such video file")
        seq_before = g.latest()[0]
        away.rename(clip)  # it comes back
        assert wait_for(lambda: g.status.state == "live", 3.0), g.status
        assert wait_for(lambda: g.latest()[0] > seq_before, 3.0)
    finally:
        g.stop()
    assert g.status.state == "stopped"


def test_hung_reader_is_replaced_by_the_watchdog(tmp_path, monkeypatch):
    clip = write_clip(tmp_path / "clip.avi", 1.0, fps=50)
    g = FrameGrabber(str(clip), loop_video=True, stale_s=0.3, reconnect_min_s=0.05)
    g.start()
    try:
        assert wait_for(lambda: g.status.state == "live")
        # Pretend the device stopped answering: the watchdog sees no new frame for stale_s.
        g._last_new_t = time.monotonic() - 1.0
        g.watchdog()
        assert g.status.state == "reconnecting"
        assert wait_for(lambda: g.status.state == "live", 3.0)
        assert g.status.reconnects >= 1
    finally:
        g.stop()


def test_camera_source_emits_visitors_and_vision_frames(tmp_path):
    clip = write_clip(tmp_path / "clip.avi", 3.0, fps=25)
    cfg = replace(CameraConfig(), source=str(clip), learn_s=0.4, loop_video=False,
                  reconnect_min_s=5.0, reconnect_max_s=5.0, confirm_s=0.1)
    src = CameraSource(cfg)
    events = []
    src.start()
    try:
        assert wait_for(lambda: src.latest_vision() is not None)
        end = time.monotonic() + 4.0
        while time.monotonic() < end and not any(e.kind == "leave" for e in events):
            src.poll(time.perf_counter(), events.append)
            time.sleep(0.02)
        vf = src.latest_vision()
        st = src.status()
    finally:
        src.stop()
    src.poll(time.perf_counter(), events.append)
    kinds = [e.kind for e in events]
    assert "enter" in kinds and "move" in kinds and kinds[-1] == "leave"
    ids = {e.visitor_id for e in events}
    assert ids == {"cam:1"}, ids
    assert all(e.source == "camera" and 0 <= e.pos[0] <= 1 and 0 <= e.pos[1] <= 1
               for e in events)
    # Walker goes right in the picture; mirrored (default) it goes left on screen.
    xs = [e.pos[0] for e in events if e.kind == "move"]
    assert xs[-1] < xs[0]
    assert vf.mask.shape == (60, 80) and vf.mask.dtype.name == "uint8"
    assert vf.flow.shape == (24, 32, 2) and vf.flow.dtype.name == "float32"
    assert st["frames_processed"] > 10 and st["vision_ms_p50"] > 0


@pytest.mark.parametrize("bad", ["/nonexistent/clip.mp4"])
def test_missing_file_is_retried_not_raised(bad):
    g = FrameGrabber(bad, reconnect_min_s=0.02, reconnect_max_s=0.05)
    g.start()
    try:
        assert wait_for(lambda: g.status.reconnects >= 2)
        assert g.status.state == "reconnecting"
        assert "no such video file" in g.status.line()
    finally:
        g.stop()
