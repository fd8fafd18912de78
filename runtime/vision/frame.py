"""What the camera saw in one frame (:class:`VisionFrame`, :class:`Person`) and who supplies it
(:class:`VisionSource`): the typed door between the camera and the exhibits.

The camera's worker (:class:`runtime.vision.processor.VisionProcessor`) makes a
:class:`VisionFrame` per processed camera frame; :class:`runtime.vision.source.CameraSource`
hands out the newest. The kiosk finds its camera as the source that is a :class:`VisionSource`
and gives exhibits (``ctx.vision``) the newest frame with the calibration in ``homography``: one
``dataclasses.replace`` per new camera frame, never a proxy. Everything is normalized to the
camera frame (``0..1``, origin top-left, mirrored when ``[camera] mirror``); ``homography`` maps
it to the screen.

Importing this module is cheap: numpy only (OpenCV loads when :meth:`VisionFrame.screen_mask`
first runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from runtime.events import VisitorSource


@dataclass(frozen=True, slots=True)
class Person:
    """One tracked person in a :class:`VisionFrame` (camera-normalized, ``0..1``).

    Attributes:
        id: stable for the person's life in this tracker; the visitor id is ``f"cam:{id}"``.
        pos: the configured anchor point (centre, feet or head) ``(x, y)``.
        box: ``(x, y, w, h)`` of the body box.
        velocity: ``(vx, vy)`` of the box centre in normalized units per second.
        seen: detected in this frame (False: predicted through an occlusion).
        occluded: hidden in a group or behind something, position predicted.
        age_s: seconds since first seen.
        still_s: seconds since the person last moved.
    """

    id: int
    pos: tuple[float, float]
    box: tuple[float, float, float, float]
    velocity: tuple[float, float]
    seen: bool
    occluded: bool
    age_s: float
    still_s: float


@dataclass(frozen=True)
class VisionFrame:
    """What the camera saw in one frame, for exhibits (``ctx.vision``) and diagnostics.

    Attributes:
        t_capture: when the frame was captured, on the kiosk clock (``time.perf_counter``);
            ``present_time - t_capture`` is the camera-to-present latency.
        index: frame number since the source started (1-based).
        size_px: processing size ``(width, height)``.
        people: confirmed people, in id order.
        mask: ``(rows, cols)`` uint8 presence mask, 0 (nobody) … 255 (all foreground) per cell.
        flow: ``(rows, cols, 2)`` float32 motion field in normalized units per second (x right,
            y down), or ``None`` when ``[camera] flow`` is off.
        mirrored: positions, mask and flow are mirrored left-right (``[camera] mirror``).
        learning: the background is still being learned; nobody is reported yet.
        process_ms: wall time of the vision stage for this frame.
        homography: the calibration (camera-normalized → screen-normalized points, 3×3 float),
            set by the kiosk on the frame it hands to exhibits (once per camera frame, with
            ``dataclasses.replace``); ``None`` when uncalibrated and on the camera's own frames.
            ``vf.screen_mask(vf.homography, size)`` is the mask on the screen.
    """

    t_capture: float
    index: int
    size_px: tuple[int, int]
    people: tuple[Person, ...] = ()
    mask: np.ndarray = field(default_factory=lambda: np.zeros((60, 80), np.uint8))
    flow: np.ndarray | None = None
    mirrored: bool = False
    learning: bool = False
    process_ms: float = 0.0
    homography: np.ndarray | None = None

    def presence(self) -> float:
        """Fraction ``0..1`` of the picture covered by people (mean of the mask)."""
        return float(self.mask.mean()) / 255.0

    def screen_mask(self, homography: np.ndarray | None, size: tuple[int, int]) -> np.ndarray:
        """The mask warped to screen-normalized coordinates, ``(size[1], size[0])`` uint8.

        ``homography`` maps camera-normalized to screen-normalized points (the calibration);
        ``None`` only resizes.
        """
        import cv2  # only here: the frame type itself is importable without OpenCV

        w, h = size
        if homography is None:
            return cv2.resize(self.mask, (w, h), interpolation=cv2.INTER_LINEAR)
        mh, mw = self.mask.shape
        to_norm = np.diag([1.0 / mw, 1.0 / mh, 1.0])
        to_px = np.diag([float(w), float(h), 1.0])
        m = to_px @ np.asarray(homography, np.float64) @ to_norm
        return cv2.warpPerspective(self.mask, m, (w, h), flags=cv2.INTER_LINEAR)


@runtime_checkable
class VisionSource(VisitorSource, Protocol):
    """A visitor source that also sees: the camera (:class:`runtime.vision.source.CameraSource`,
    or a test's scripted one). The kiosk uses the first source of this type as its camera.

    Attributes:
        cfg: the ``[camera]`` settings (:class:`runtime.vision.settings.CameraConfig`).
    """

    cfg: Any

    def latest_vision(self) -> VisionFrame | None:
        """The newest frame (never blocks on the camera), or ``None`` before the first."""
        ...

    def status(self) -> dict[str, Any]:
        """``state``, ``line``, ``people``, ``vision_ms_p50``… for ``/health``."""
        ...
