"""The vision stage: one camera frame in, people + presence mask + motion field out.

:class:`VisionProcessor` is the same code for the live kiosk (run on the camera worker thread by
:class:`runtime.vision.source.CameraSource`) and for ``kiosk.py track`` (run synchronously on a
video file). Per frame, at the processing size (fits inside ``[camera] process_size_px``,
default 320×240, aspect kept):

    background (runtime.vision.background) → cleanup + people (runtime.vision.people)
    → tracker (runtime.vision.tracker) → motion field (runtime.vision.flow) + presence mask

The result is a :class:`~runtime.vision.frame.VisionFrame` (defined in :mod:`runtime.vision.frame`
with :class:`~runtime.vision.frame.Person`; both stay importable from here), which is what
exhibits read as ``ctx.vision``. Everything in
it is normalized to the camera frame (``0..1``, origin top-left, mirrored when ``[camera] mirror``),
so it is independent of the camera's resolution; the calibration homography maps it to the screen.

Learning: for the first ``learn_s`` seconds of frames (or the warm-up passes of ``track``), frames
only teach the background; frames report ``learning=True`` and nobody.

Still people and ghosts: a tracked person's pixels are never learned into the background, except
when the person has shown no motion at all for ``still_release_s`` (a poster, the ghost of someone
who stood in the room while it was learned): then the background absorbs them over ``absorb_s``.

Failure modes: none raised for well-formed frames; a frame of another size than the first is
resized like any other. Timing: ``VisionFrame.process_ms`` is this stage's wall time.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from runtime.vision.background import BackgroundModel
from runtime.vision.flow import MotionField
from runtime.vision.frame import Person, VisionFrame
from runtime.vision.people import Detection, SizeModel, clean_mask, find_people
from runtime.vision.settings import CameraConfig
from runtime.vision.tracker import Tracker, TrackState

__all__ = ["Person", "VisionFrame", "VisionProcessor", "fit_size"]


def fit_size(frame_size: tuple[int, int], limit: tuple[int, int]) -> tuple[int, int]:
    """The largest size inside ``limit`` with the aspect of ``frame_size`` (even, ≥ 16 px)."""
    fw, fh = frame_size
    lw, lh = limit
    s = min(lw / max(fw, 1), lh / max(fh, 1))
    return max(16, int(round(fw * s / 2)) * 2), max(16, int(round(fh * s / 2)) * 2)


class VisionProcessor:
    """Runs the vision stage on frames of one camera.

    Args:
        cfg: the ``[camera]`` settings.
        frame_size: ``(width, height)`` of the camera's frames.
        mirror: overrides ``cfg.mirror`` (``kiosk.py track`` reports unmirrored video pixels).
    """

    def __init__(self, cfg: CameraConfig, frame_size: tuple[int, int], *,
                 mirror: bool | None = None):
        self.cfg = cfg
        self.frame_size = frame_size
        self.size = fit_size(frame_size, cfg.process_size_px)
        self.scale = (frame_size[0] / self.size[0], frame_size[1] / self.size[1])
        self.mirror = cfg.mirror if mirror is None else mirror
        w, h = self.size
        self.background = BackgroundModel(
            self.size, threshold=cfg.threshold, adapt_s=cfg.background_adapt_s,
            absorb_s=cfg.absorb_s, shadows=cfg.shadows)
        self.tracker = Tracker(h, frame_w=w, max_distance=cfg.max_distance,
                               persistence_s=cfg.persistence_s, confirm_s=cfg.confirm_s)
        self.flow = MotionField(cfg.flow_grid) if cfg.flow else None
        self.min_height_px = cfg.min_person_height * h
        self.sizes = SizeModel(self.size)
        self.index = 0
        self.detections: list[Detection] = []
        self.fg: np.ndarray = np.zeros((h, w), np.uint8)
        self.tracks: list[TrackState] = []
        self._t_first: float | None = None
        self._t_prev: float | None = None
        self._grey_prev: np.ndarray | None = None
        self._learning = cfg.learn_s > 0

    # --- input -----------------------------------------------------------------------------------
    def prepare(self, frame: np.ndarray) -> np.ndarray:
        """A camera frame ``(H, W, 3)`` uint8 BGR at the processing size (area-averaged)."""
        if frame.shape[1] == self.size[0] and frame.shape[0] == self.size[1]:
            return frame
        return cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)

    def learn(self, small: np.ndarray) -> None:
        """Warm-up: teach the background one processing-size frame; nothing is tracked."""
        self.background.learn(small)

    def finish_learning(self) -> None:
        """End the learning phase now (after warm-up passes)."""
        self.background.finish_learning()
        self._learning = False

    def reset_tracking(self) -> None:
        """Forget the people (the camera was lost); the learned background is kept."""
        self.tracker.reset()
        self.tracks = []
        self._grey_prev = None
        self._t_prev = None
        if self.flow is not None:
            self.flow.reset()

    @property
    def learning(self) -> bool:
        return self._learning

    # --- the frame -------------------------------------------------------------------------------
    def process(self, small: np.ndarray, t: float) -> VisionFrame:
        """Run the stage on a processing-size frame captured at ``t`` (seconds)."""
        t0 = time.perf_counter()
        self.index += 1
        if self._t_first is None:
            self._t_first = t
        dt = 0.0 if self._t_prev is None else max(0.0, t - self._t_prev)
        self._t_prev = t
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        flow = self.flow.update(grey, dt) if self.flow is not None else None
        if self._learning:
            self.background.learn(small)
            if t - self._t_first >= self.cfg.learn_s:
                self.finish_learning()
            self._grey_prev = grey
            return self._frame(t, (), np.zeros(self.size[::-1], np.uint8), flow, t0,
                               learning=True)
        fg_raw = self.background.apply(small, dt, self._protect_mask())
        fg = clean_mask(fg_raw, self.size[1])
        self.fg = fg
        motion = None
        if self._grey_prev is not None:
            motion = cv2.threshold(cv2.absdiff(grey, self._grey_prev), 15, 255,
                                   cv2.THRESH_BINARY)[1]
        self._grey_prev = grey
        self.detections = find_people(fg, min_height_px=self.min_height_px,
                                      aspect=self.cfg.person_aspect, sizes=self.sizes)
        self.tracks = self.tracker.update(self.detections, t, fg, motion)
        people = tuple(self._person(s) for s in self.tracks)
        return self._frame(t, people, fg, flow, t0)

    def _protect_mask(self) -> np.ndarray | None:
        if not self.tracks:
            return None
        h, w = self.size[1], self.size[0]
        mask = np.zeros((h, w), np.uint8)
        for s in self.tracks:
            if s.still_s >= self.cfg.still_release_s:
                continue  # nothing has moved there for ages: let the room absorb it
            x, y, bw, bh = s.box
            m = 0.1 * bh  # a margin: arms and feet stick out of a predicted box
            cv2.rectangle(mask, (int(x - m), int(y - m)), (int(x + bw + m), int(y + bh + m)),
                          255, thickness=-1)
        return mask

    def _person(self, s: TrackState) -> Person:
        w, h = self.size
        x, y, bw, bh = s.box
        nx, ny, nw, nh = x / w, y / h, bw / w, bh / h
        vx, vy = s.velocity[0] / w, s.velocity[1] / h
        if self.mirror:
            nx, vx = 1.0 - nx - nw, -vx
        anchor = self.cfg.anchor
        ay = ny + nh / 2 if anchor == "centre" else ny + nh if anchor == "feet" else ny
        pos = (min(1.0, max(0.0, nx + nw / 2)), min(1.0, max(0.0, ay)))
        return Person(s.id, pos, (nx, ny, nw, nh), (vx, vy), s.seen, s.occluded, s.age_s,
                      s.still_s)

    def _frame(self, t: float, people: tuple[Person, ...], fg: np.ndarray,
               flow: np.ndarray | None, t0: float, *, learning: bool = False) -> VisionFrame:
        mw, mh = self.cfg.mask_size_px
        mask = cv2.resize(fg, (mw, mh), interpolation=cv2.INTER_AREA)
        if self.mirror:
            mask = cv2.flip(mask, 1)
            if flow is not None:
                flow = cv2.flip(flow, 1)
                flow[..., 0] *= -1.0
        return VisionFrame(t_capture=t, index=self.index, size_px=self.size, people=people,
                           mask=mask, flow=flow, mirrored=self.mirror, learning=learning,
                           process_ms=(time.perf_counter() - t0) * 1000.0)

    def boxes_px(self) -> list[tuple[int, tuple[float, float, float, float]]]:
        """``(id, (left, top, width, height))`` of the current people in *camera* pixels,
        unmirrored — what ``kiosk.py track`` writes."""
        sx, sy = self.scale
        return [(s.id, (s.box[0] * sx, s.box[1] * sy, s.box[2] * sx, s.box[3] * sy))
                for s in self.tracks]
