"""Camera calibration inside the running kiosk: admin panel → targets → saved homography.

A scripted technician (a stand-in camera source that reports one person) walks to each target
the kiosk shows and stands still; the camera sees them through a known distortion. The kiosk
must solve the mapping, save it, validate it with the same check ``kiosk.py check`` uses, and
from then on map camera visitors onto the screen where they really stand.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from runtime.admin import AdminAction
from runtime.app import Kiosk, OffscreenPresenter
from runtime.clock import FakeTime
from runtime.config import default_config
from runtime.events import VisitorEvent
from runtime.vision.calibration import check_calibration, load_homography
from runtime.vision.processor import Person, VisionFrame
from runtime.vision.settings import CameraConfig

# How this camera sees the screen: camera-normalized = TRUE_H^-1 · screen-normalized.
TRUE_H = np.array([[1.3, 0.1, -0.2], [0.05, 1.2, -0.1], [0.0, 0.1, 1.0]])


def screen_to_camera(p):
    v = np.linalg.inv(TRUE_H) @ np.array([p[0], p[1], 1.0])
    return float(v[0] / v[2]), float(v[1] / v[2])


class Technician:
    """A camera source that sees one person, who walks to the kiosk's current target."""

    name = "camera"

    def __init__(self, kiosk_ref):
        self.cfg = CameraConfig()
        self.kiosk_ref = kiosk_ref
        self.index = 0
        self.pending: list[VisitorEvent] = []

    def start(self): ...

    def stop(self): ...

    def status(self):
        return {"state": "live", "line": "scripted", "people": 1, "vision_ms_p50": 0.0}

    def latest_vision(self):
        kiosk = self.kiosk_ref[0]
        cal = kiosk.calibration if kiosk is not None else None
        target = cal.target if cal is not None and cal.target is not None else (0.5, 0.5)
        pos = screen_to_camera(target)
        self.index += 1
        person = Person(id=1, pos=pos, box=(pos[0] - 0.05, pos[1] - 0.2, 0.1, 0.4),
                        velocity=(0.0, 0.0), seen=True, occluded=False, age_s=10.0, still_s=5.0)
        return VisionFrame(t_capture=kiosk.time_fn() if kiosk else 0.0, index=self.index,
                           size_px=(320, 240), people=(person,), mirrored=True)

    def poll(self, now, emit):
        for e in self.pending:
            emit(replace(e, t=now))
        self.pending.clear()


def test_calibrating_from_the_admin_panel_saves_a_valid_mapping(pygame_headless, tmp_path):
    path = tmp_path / "calibration.json"
    ref = [None]
    tech = Technician(ref)
    clock = FakeTime()
    kiosk = Kiosk(replace(default_config(), camera=CameraConfig()), OffscreenPresenter((320, 180)),
                  time_fn=clock, sources=[tech], calibration_path=path)
    ref[0] = kiosk
    kiosk.start()
    try:
        assert kiosk.admin.can_calibrate
        kiosk._admin_action(AdminAction("calibrate"))
        assert kiosk.calibration is not None
        for _ in range(int(40 * 30)):  # 9 targets × ~2 s dwell, at 30 fps
            clock.advance(1 / 30)
            kiosk.frame()
            if kiosk.calibration is None:
                break
        assert path.exists(), "the solved calibration was saved"
        assert check_calibration(path, anchor="centre", mirrored=True) == []
        h = load_homography(path)
        assert h is not None and np.allclose(h / h[2, 2], TRUE_H / TRUE_H[2, 2], atol=1e-3)
        # From now on a camera visitor is mapped to where they stand on the screen.
        tech.pending.append(VisitorEvent("enter", "cam:7", "camera",
                                         screen_to_camera((0.25, 0.75))))
        clock.advance(1 / 30)
        report = kiosk.frame()
        (seen,) = [e for e in report.events if e.visitor_id == "cam:7"]
        assert seen.pos == pytest.approx((0.25, 0.75), abs=1e-3)
        assert kiosk.health()["camera"]["calibrated"]
    finally:
        kiosk.stop()
