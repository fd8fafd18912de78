"""The typed vision door (issue 17): exhibits read the camera's own ``VisionFrame`` with the
calibration in ``homography``, made once per camera frame; the camera is found by type."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np

from runtime.app import Kiosk, OffscreenPresenter
from runtime.clock import FakeTime
from runtime.config import default_config
from runtime.vision.frame import VisionFrame, VisionSource
from runtime.vision.settings import CameraConfig

ROOT = Path(__file__).resolve().parent.parent


class ScriptedCamera:
    """A camera whose next frame the test decides."""

    name = "camera"

    def __init__(self) -> None:
        self.cfg = CameraConfig()
        self.frame: VisionFrame | None = None

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def poll(self, now, emit) -> None: ...

    def status(self) -> dict:
        return {"state": "live", "line": "scripted", "people": 0, "vision_ms_p50": 0.0}

    def latest_vision(self) -> VisionFrame | None:
        return self.frame


class NotACamera:
    """A visitor source with no ``latest_vision``: never taken for the camera."""

    name = "sim"

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def poll(self, now, emit) -> None: ...


def test_the_frame_type_imports_without_opencv():
    assert isinstance(ScriptedCamera(), VisionSource)
    assert not isinstance(NotACamera(), VisionSource)
    done = subprocess.run([sys.executable, "-c", "import sys, runtime.vision.frame; "
                           "assert 'cv2' not in sys.modules"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr


def test_exhibits_get_the_cameras_frame_with_the_calibration(pygame_headless):
    cam = ScriptedCamera()
    clock = FakeTime()
    h = np.diag([0.5, 0.5, 1.0])
    kiosk = Kiosk(dataclasses.replace(default_config(), camera=CameraConfig()),
                  OffscreenPresenter((160, 90)), time_fn=clock, sources=[NotACamera(), cam],
                  homography=h)
    assert kiosk.camera is cam
    ctx = kiosk.context("diagnostic")
    kiosk.start()
    try:
        kiosk.frame()
        assert ctx.vision is None  # nothing seen yet
        raw = VisionFrame(t_capture=clock(), index=1, size_px=(80, 60))
        cam.frame = raw
        kiosk.frame()
        vf = ctx.vision
        assert type(vf) is VisionFrame and vf.homography is h and raw.homography is None
        assert vf.index == 1 and vf.mask is raw.mask  # the frame's own data, not a copy
        clock.advance(0.1)
        kiosk.frame()
        assert ctx.vision is vf  # made once per camera frame, not per frame or per read
        cam.frame = VisionFrame(t_capture=clock(), index=2, size_px=(80, 60))
        kiosk.frame()
        assert ctx.vision is not vf and ctx.vision.index == 2
        # A new calibration reaches the next frame an exhibit reads.
        kiosk.homography = np.eye(3)
        kiosk.frame()
        assert ctx.vision.homography is kiosk.homography and ctx.vision.index == 2
        assert kiosk.health()["camera"]["calibrated"] is True
        cam.frame = None
        kiosk.frame()
        assert ctx.vision is None
    finally:
        kiosk.stop()


def test_no_camera_source_means_no_vision(pygame_headless):
    kiosk = Kiosk(default_config(), OffscreenPresenter((160, 90)), time_fn=FakeTime(),
                  sources=[NotACamera()])
    assert kiosk.camera is None and kiosk.context("diagnostic").vision is None
