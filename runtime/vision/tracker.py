"""Multi-person tracker: Kalman prediction, Hungarian assignment, persistent ids.

The two knobs people understand (as in ofxCv's tracker), in human units:

* ``persistence_s`` — how long a person may go unseen (behind a pole, inside a group) and keep
  their id; after that they leave;
* ``max_distance`` — how far (fraction of the frame height) from where their track expected them a
  detection may be and still be the same person.

Each track carries a :class:`cv2.KalmanFilter` over ``[cx, cy, w, h]`` with constant velocity;
its noise is scaled by the person's own height, so a child far away and an adult at the screen
are predicted alike. Every frame:

1. all tracks predict to the frame's time (``dt`` from timestamps, so a dropped frame is fine);
2. confirmed tracks are assigned to detections first, then tentative ones, each with
   :func:`scipy.optimize.linear_sum_assignment` on a cost of ``1 - IoU`` plus centre distance
   and height change; pairs beyond ``max_distance`` are not allowed;
3. a detection that covers several confirmed tracks (people who walked into one blob) updates
   none of their sizes; each member is pulled into the blob instead and keeps its own id and
   velocity, so when the group splits again the ids come out as they went in;
4. a confirmed track whose prediction still lies on foreground is *occluded* rather than missing
   and survives three times ``persistence_s``;
5. detections that overlap no confirmed person start tentative tracks; a tentative track becomes
   a person (and gets the next public id) once seen for ``confirm_s`` in at least two frames, and
   is dropped at its first miss.

Coordinates: processing pixels; boxes ``(x, y, w, h)`` top-left origin. Times: seconds.
Failure modes: none raised; two people who stay merged longer than the occlusion allowance come
out as one (the one whose id the blob kept), and a new id for the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from runtime.vision.people import Detection

_BIG = 1e6


@dataclass(frozen=True, slots=True)
class TrackState:
    """A snapshot of one confirmed person for the current frame.

    Attributes:
        id: public id, 1, 2, … in order of confirmation; never reused in a tracker's life.
        box: ``(x, y, w, h)`` in processing pixels.
        velocity: ``(vx, vy)`` of the box centre in processing pixels per second.
        seen: True when a detection supported the track in this frame (False: predicted only).
        occluded: not detected on its own, but its predicted box lies on foreground.
        age_s: seconds since the track was born.
        still_s: seconds since the box last moved or showed motion inside it.
    """

    id: int
    box: tuple[float, float, float, float]
    velocity: tuple[float, float]
    seen: bool
    occluded: bool
    age_s: float
    still_s: float


class _Track:
    def __init__(self, det: Detection, t: float, key: int):
        self.key = key
        self.id = 0  # public id, set at confirmation
        self.kf = cv2.KalmanFilter(8, 4, 0, cv2.CV_32F)
        self.kf.measurementMatrix = np.eye(4, 8, dtype=np.float32)
        cx, cy = det.x + det.w / 2, det.y + det.h / 2
        self.kf.statePost = np.array([cx, cy, det.w, det.h, 0, 0, 0, 0], np.float32).reshape(8, 1)
        h = max(det.h, 1.0)
        self.kf.errorCovPost = np.diag(np.array(
            [0.1 * h, 0.1 * h, 0.1 * h, 0.1 * h, 2 * h, 2 * h, 0.5 * h, 0.5 * h],
            np.float32) ** 2)
        self.born_t = t
        self.last_seen_t = t
        self.last_t = t
        self.hits = 1
        self.seen = True
        self.occluded = False
        self.box = det.box
        self.last_motion_t = t
        self._motion_ref = (cx, cy)

    @property
    def confirmed(self) -> bool:
        return self.id > 0

    def predict(self, t: float) -> None:
        dt = max(0.0, t - self.last_t)
        self.last_t = t
        if dt == 0.0:
            return
        f = np.eye(8, dtype=np.float32)
        f[0, 4] = f[1, 5] = f[2, 6] = f[3, 7] = dt
        self.kf.transitionMatrix = f
        h = max(float(self.kf.statePost[3, 0]), 1.0)
        # Continuous white-noise acceleration, scaled by the person's height: walking people
        # change speed by about one body height per second squared.
        qa, qs = (1.5 * h) ** 2, (0.5 * h) ** 2
        q = np.zeros((8, 8), np.float32)
        for i, qq in ((0, qa), (1, qa), (2, qs), (3, qs)):
            q[i, i] = qq * dt ** 3 / 3
            q[i, i + 4] = q[i + 4, i] = qq * dt ** 2 / 2
            q[i + 4, i + 4] = qq * dt
        self.kf.processNoiseCov = q
        self.kf.predict()
        # Keep sizes sane when a track coasts for a while.
        s = self.kf.statePre
        s[2, 0] = max(2.0, s[2, 0])
        s[3, 0] = max(2.0, s[3, 0])
        self.kf.statePost = s.copy()
        self.kf.errorCovPost = self.kf.errorCovPre.copy()
        self.box = self.state_box()

    def correct(self, box: tuple[float, float, float, float], *, size_too: bool = True) -> None:
        x, y, w, h = box
        hh = max(h, 1.0)
        r = np.diag(np.array([0.05 * hh, 0.05 * hh, 0.1 * hh, 0.1 * hh], np.float32) ** 2)
        if not size_too:
            # A group's blob says where the person is, not how big: trust it for the centre only.
            s = self.kf.statePost
            w, h = float(s[2, 0]), float(s[3, 0])
            r[2, 2] = r[3, 3] = 1e6
        self.kf.measurementNoiseCov = r
        z = np.array([x + w / 2, y + h / 2, w, h], np.float32).reshape(4, 1)
        self.kf.correct(z)
        self.box = self.state_box()

    def state_box(self) -> tuple[float, float, float, float]:
        s = self.kf.statePost[:, 0]
        cx, cy, w, h = (float(v) for v in s[:4])
        return (cx - w / 2, cy - h / 2, w, h)

    def velocity(self) -> tuple[float, float]:
        s = self.kf.statePost[:, 0]
        return float(s[4]), float(s[5])


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes ``a (N, 4)`` and ``b (M, 4)`` as ``(x, y, w, h)``; returns ``(N, M)``."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ax0, ay0 = a[:, 0:1], a[:, 1:2]
    ax1, ay1 = ax0 + a[:, 2:3], ay0 + a[:, 3:4]
    bx0, by0 = b[:, 0], b[:, 1]
    bx1, by1 = bx0 + b[:, 2], by0 + b[:, 3]
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = iw * ih
    union = a[:, 2:3] * a[:, 3:4] + b[:, 2] * b[:, 3] - inter
    return inter / np.maximum(union, 1e-9)


def _inside_fraction(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Fraction of each box in ``a (N, 4)`` that lies inside each box in ``b (M, 4)``."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    iw = np.clip(np.minimum(a[:, 0:1] + a[:, 2:3], b[:, 0] + b[:, 2])
                 - np.maximum(a[:, 0:1], b[:, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, 1:2] + a[:, 3:4], b[:, 1] + b[:, 3])
                 - np.maximum(a[:, 1:2], b[:, 1]), 0, None)
    return iw * ih / np.maximum(a[:, 2:3] * a[:, 3:4], 1e-9)


class Tracker:
    """Persistent ids for people detected frame by frame.

    Args:
        frame_h: processing frame height in pixels (``max_distance`` is a fraction of it).
        frame_w: processing frame width; a person predicted beyond either edge has left.
        max_distance: see the module docstring (fraction of frame height).
        persistence_s: seconds a person may go unseen and keep their id.
        confirm_s: seconds a new person must be seen before being reported.
        occluded_factor: an occluded track (prediction on foreground) lives this many times
            ``persistence_s``.
    """

    def __init__(self, frame_h: int, *, frame_w: int | None = None, max_distance: float = 0.2,
                 persistence_s: float = 1.0, confirm_s: float = 0.2,
                 occluded_factor: float = 3.0):
        self.frame_h = frame_h
        self.frame_w = frame_w
        self.gate_px = max_distance * frame_h
        self.persistence_s = persistence_s
        self.confirm_s = confirm_s
        self.occluded_factor = occluded_factor
        self.tracks: list[_Track] = []
        self._next_key = 1
        self._next_id = 1

    def reset(self) -> None:
        """Forget every track (ids continue from where they were: they are never reused)."""
        self.tracks = []

    # --- assignment ------------------------------------------------------------------------------
    def _cost(self, tracks: list[_Track], boxes: np.ndarray) -> np.ndarray:
        pred = np.array([t.box for t in tracks], np.float64).reshape(-1, 4)
        iou = iou_matrix(pred, boxes)
        pc = pred[:, :2] + pred[:, 2:] / 2
        dc = boxes[:, :2] + boxes[:, 2:] / 2
        dist = np.hypot(pc[:, None, 0] - dc[None, :, 0], pc[:, None, 1] - dc[None, :, 1])
        # A person's own height also bounds how far they can be from the prediction, so tracks
        # of people close to the camera (tall boxes) tolerate bigger jumps in pixels.
        gate = np.maximum(self.gate_px, 0.5 * pred[:, 3:4])
        dn = dist / gate
        hr = np.abs(np.log(np.maximum(boxes[None, :, 3], 1) / np.maximum(pred[:, 3:4], 1)))
        # Longer-lived tracks win ties, so two tracks on one person do not take turns.
        seniority = np.array([min(1.0, tr.hits / 20.0) for tr in tracks])[:, None]
        cost = (1.0 - iou) + 0.7 * dn + 0.5 * hr - 0.1 * seniority
        cost[(dn > 1.0) & (iou < 0.1)] = _BIG
        return cost

    def _assign(self, tracks: list[_Track], boxes: np.ndarray,
                free: list[int]) -> list[tuple[_Track, int]]:
        if not tracks or not free:
            return []
        cost = self._cost(tracks, boxes[free])
        rows, cols = linear_sum_assignment(cost)
        return [(tracks[r], free[c]) for r, c in zip(rows, cols, strict=True) if cost[r, c] < _BIG]

    # --- the frame -------------------------------------------------------------------------------
    def update(self, dets: list[Detection], t: float, fg: np.ndarray | None = None,
               motion: np.ndarray | None = None) -> list[TrackState]:
        """Advance to time ``t`` (seconds) with this frame's detections.

        Args:
            dets: people found in the frame.
            t: the frame's capture time.
            fg: the cleaned foreground mask ``(H, W)`` uint8, used to tell occluded people (still
                on foreground) from people who left.
            motion: optional ``(H, W)`` uint8 mask of pixels that changed since the previous
                frame; a person with motion inside their box is not "still".

        Returns:
            the confirmed people, in id order.
        """
        for tr in self.tracks:
            tr.predict(t)
        boxes = np.array([d.box for d in dets], np.float64).reshape(-1, 4)
        free = list(range(len(dets)))
        confirmed = [tr for tr in self.tracks if tr.confirmed]
        tentative = [tr for tr in self.tracks if not tr.confirmed]
        pairs = self._assign(confirmed, boxes, free)
        used = {j for _, j in pairs}
        free = [j for j in free if j not in used]
        pairs_t = self._assign(tentative, boxes, free)
        used |= {j for _, j in pairs_t}
        matched = {id(tr) for tr, _ in pairs + pairs_t}

        # Groups: confirmed tracks left without a detection whose prediction lies mostly inside
        # a matched detection joined a group. That blob is then the group's, not one person's.
        pred_boxes = np.array([tr.box for tr in confirmed], np.float64).reshape(-1, 4)
        inside = _inside_fraction(pred_boxes, boxes)
        groups: dict[int, list[_Track]] = {}
        for i, tr in enumerate(confirmed):
            if id(tr) in matched or len(dets) == 0:
                continue
            j = int(np.argmax(inside[i]))
            if inside[i, j] >= 0.5 and j in used:
                groups.setdefault(j, []).append(tr)
        group_of_det = {j: members for j, members in groups.items()}

        for tr, j in pairs + pairs_t:
            if j in group_of_det:
                self._pull_into(tr, boxes[j])
            else:
                tr.correct(dets[j].box)
            tr.hits += 1
            tr.last_seen_t = t
            tr.seen, tr.occluded = True, False
        owner = {j: tr for tr, j in pairs + pairs_t}
        for j, members in group_of_det.items():
            for tr in members:
                self._pull_into(tr, boxes[j])
                tr.seen, tr.occluded = False, True
                # Hidden in a group only if it is not simply a copy of the group's own track
                # (two tracks born on one person): a copy runs down its persistence and leaves.
                twin = iou_matrix(np.array([tr.box]), np.array([owner[j].box]))[0, 0] >= 0.45
                if not twin:
                    tr.last_seen_t = t

        # Unmatched tracks: occluded (on foreground), missing, or dropped.
        keep = []
        for tr in self.tracks:
            if id(tr) in matched or tr.occluded and tr.last_seen_t == t:
                keep.append(tr)
                continue
            if not tr.confirmed:
                continue  # a tentative track is dropped at its first miss
            if self._outside(tr.box):
                continue  # predicted out of the picture: the person walked out of view
            tr.seen = False
            tr.occluded = (fg is not None and self._on_foreground(tr.box, fg)
                           and not self._twin_of_seen(tr))
            limit = self.persistence_s * (self.occluded_factor if tr.occluded else 1.0)
            if t - tr.last_seen_t <= limit:
                keep.append(tr)
        self.tracks = keep

        # New people: detections that no track took and that do not sit on a confirmed person.
        live_boxes = np.array([tr.box for tr in self.tracks if tr.confirmed],
                              np.float64).reshape(-1, 4)
        for j in range(len(dets)):
            if j in used:
                continue
            if len(live_boxes):
                over = _inside_fraction(boxes[j:j + 1], live_boxes)
                if over.max() > 0.5 or iou_matrix(boxes[j:j + 1], live_boxes).max() > 0.3:
                    continue
            self.tracks.append(_Track(dets[j], t, self._next_key))
            self._next_key += 1

        for tr in self.tracks:
            if not tr.confirmed and tr.hits >= 2 and t - tr.born_t >= self.confirm_s - 1e-6:
                tr.id = self._next_id
                self._next_id += 1
            self._note_motion(tr, t, motion)
        return self.states(t)

    def _pull_into(self, tr: _Track, blob: np.ndarray) -> None:
        """Move a group member's predicted box inside the group's blob (centre only)."""
        x, y, w, h = tr.box
        bx, by, bw, bh = (float(v) for v in blob)
        nx = min(max(x, bx), bx + bw - w) if w <= bw else bx + (bw - w) / 2
        ny = min(max(y, by), by + bh - h) if h <= bh else by + (bh - h) / 2
        tr.correct((nx, ny, w, h), size_too=False)

    def _twin_of_seen(self, tr: _Track) -> bool:
        seen = [o.box for o in self.tracks if o is not tr and o.seen and o.confirmed]
        if not seen:
            return False
        return float(iou_matrix(np.array([tr.box]), np.array(seen)).max()) >= 0.45

    def _outside(self, box: tuple[float, float, float, float]) -> bool:
        x, y, w, h = box
        cx, cy = x + w / 2, y + h / 2
        return cx < 0 or cy < 0 or cy > self.frame_h or (
            self.frame_w is not None and cx > self.frame_w)

    @staticmethod
    def _on_foreground(box: tuple[float, float, float, float], fg: np.ndarray) -> bool:
        x, y, w, h = box
        H, W = fg.shape
        x0, y0 = max(0, int(x)), max(0, int(y))
        x1, y1 = min(W, int(x + w) + 1), min(H, int(y + h) + 1)
        if x1 <= x0 or y1 <= y0:
            return False
        return float(fg[y0:y1, x0:x1].mean()) > 0.3 * 255

    def _note_motion(self, tr: _Track, t: float, motion: np.ndarray | None) -> None:
        x, y, w, h = tr.box
        cx, cy = x + w / 2, y + h / 2
        rx, ry = tr._motion_ref
        moved = np.hypot(cx - rx, cy - ry) > 0.05 * max(h, 1.0)
        if not moved and motion is not None:
            H, W = motion.shape
            x0, y0 = max(0, int(x)), max(0, int(y))
            x1, y1 = min(W, int(x + w) + 1), min(H, int(y + h) + 1)
            if x1 > x0 and y1 > y0:
                moved = float(motion[y0:y1, x0:x1].mean()) > 0.005 * 255
        if moved:
            tr.last_motion_t = t
            tr._motion_ref = (cx, cy)

    def states(self, t: float) -> list[TrackState]:
        """The confirmed people now, in id order."""
        out = [TrackState(tr.id, tr.box, tr.velocity(), tr.seen, tr.occluded, t - tr.born_t,
                          t - tr.last_motion_t)
               for tr in self.tracks if tr.confirmed]
        out.sort(key=lambda s: s.id)
        return out
