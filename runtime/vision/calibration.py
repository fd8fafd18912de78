"""Camera → screen calibration: solve, save, load and check the 3×3 homography.

A technician stands at targets shown on the screen (see :mod:`runtime.vision.calibration_mode`);
each target gives one pair: where the target is on the screen (screen-normalized ``0..1``) and
where the tracker saw the technician (camera-normalized ``0..1``, after mirroring, i.e. the
positions the camera source emits). :func:`solve` fits the homography with
:func:`cv2.findHomography` (all points for 4, RANSAC then a least-squares refit on the inliers for
more, so one misread target does not spoil the rest). ``runtime.postproc.Calibrate`` applies it.

File format (JSON, ``[camera] calibration_path``, relative to the config folder)::

    {"version": 1, "homography": [[...], [...], [...]],
     "targets": [[x, y], ...], "observed": [[x, y], ...],
     "rms_error": 0.012, "created": "2025-05-01T10:00:00+09:00", "anchor": "centre",
     "mirrored": true}

Failure modes: :func:`load_calibration` raises :class:`CalibrationError` with a message that names
the file and what is wrong; :func:`check_calibration` returns those messages (and warnings about a
poor fit) as a list for ``kiosk.py check``; a missing file is not an error for the kiosk (camera
positions then map to the screen unchanged) but is reported by the check as a note.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

VERSION = 1
MAX_RMS_ERROR = 0.05  # screen fraction (≈ 96 px on a 1920 px wide screen)


class CalibrationError(Exception):
    """A calibration could not be solved, read or trusted."""


@dataclass(frozen=True)
class Calibration:
    """A solved camera → screen mapping and the measurements it came from.

    Attributes:
        homography: ``(3, 3)`` float64, camera-normalized → screen-normalized.
        targets: screen-normalized target points ``(x, y)``.
        observed: camera-normalized points where the technician was seen, same order.
        rms_error: root-mean-square distance (screen fraction) between targets and mapped
            observations, over the points used for the fit.
        inliers: per pair, True if the fit used it (RANSAC may drop a misread target).
        created: ISO-8601 time of solving.
        anchor / mirrored: the ``[camera]`` settings the observations were taken with; a change
            of either invalidates the calibration.
    """

    homography: np.ndarray
    targets: tuple[tuple[float, float], ...]
    observed: tuple[tuple[float, float], ...]
    rms_error: float
    inliers: tuple[bool, ...] = ()
    created: str = ""
    anchor: str = "centre"
    mirrored: bool = True
    extra: dict = field(default_factory=dict, compare=False)

    def map(self, x: float, y: float) -> tuple[float, float]:
        """Map one camera-normalized point to the screen (not clamped)."""
        return _apply(self.homography, np.array([[x, y]], np.float64))[0]

    def to_json(self) -> dict:
        return {"version": VERSION,
                "homography": [[float(v) for v in row] for row in self.homography],
                "targets": [list(p) for p in self.targets],
                "observed": [list(p) for p in self.observed],
                "inliers": list(self.inliers),
                "rms_error": self.rms_error, "created": self.created,
                "anchor": self.anchor, "mirrored": self.mirrored}


def _apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    v = np.c_[pts, np.ones(len(pts))] @ h.T
    return v[:, :2] / v[:, 2:3]


def solve(targets, observed, *, anchor: str = "centre", mirrored: bool = True,
          ransac_threshold: float = 0.04) -> Calibration:
    """Fit the camera → screen homography from ≥ 4 target ↔ observation pairs.

    Args:
        targets: screen-normalized points ``[(x, y), ...]``.
        observed: camera-normalized points, same order and length.
        ransac_threshold: with 5+ pairs, a pair farther than this (screen fraction) from the fit
            is left out.

    Raises:
        CalibrationError: fewer than 4 pairs, lengths differ, non-finite values, or the points
            are degenerate (three in a line, all in one spot).
    """
    t = np.asarray(targets, np.float64).reshape(-1, 2)
    o = np.asarray(observed, np.float64).reshape(-1, 2)
    if len(t) != len(o):
        raise CalibrationError(f"{len(t)} targets but {len(o)} observations")
    if len(t) < 4:
        raise CalibrationError(f"need at least 4 target points, got {len(t)}")
    if not (np.isfinite(t).all() and np.isfinite(o).all()):
        raise CalibrationError("points must be finite numbers")
    if _spread(o) < 1e-3:
        raise CalibrationError("the observed positions barely differ: was the technician seen "
                               "at each target?")
    h, mask = None, None
    if len(t) >= 6:
        # Only with two spare pairs: four points always fit exactly, so with five RANSAC would
        # "explain" any one bad pair away. At most one pair may be dropped.
        h, mask = cv2.findHomography(o, t, cv2.RANSAC, ransac_threshold)
        if h is not None and mask is not None and int(mask.sum()) >= len(t) - 1:
            keep = mask.ravel().astype(bool)
            h2, _ = cv2.findHomography(o[keep], t[keep], 0)
            h = h2 if h2 is not None else h
        else:
            h, mask = None, None
    if h is None:
        h, _ = cv2.findHomography(o, t, 0)
        mask = None
    if h is None or not np.isfinite(h).all() or abs(np.linalg.det(h)) < 1e-12:
        raise CalibrationError("no mapping fits these points (three of them in a line?)")
    h = h / h[2, 2] if abs(h[2, 2]) > 1e-12 else h
    if _folds(h):
        raise CalibrationError("the fitted mapping folds the camera picture over: the "
                               "observations do not match the targets' layout")
    inl = (tuple(bool(v) for v in mask.ravel()) if mask is not None
           else tuple(True for _ in range(len(t))))
    used = np.array(inl, bool)
    err = np.linalg.norm(_apply(h, o[used]) - t[used], axis=1)
    rms = float(math.sqrt(float(np.mean(err ** 2))))
    return Calibration(h, tuple(map(tuple, t.tolist())), tuple(map(tuple, o.tolist())), rms, inl,
                       datetime.now().astimezone().isoformat(timespec="seconds"), anchor, mirrored)


def _folds(h: np.ndarray) -> bool:
    """True if part of the camera picture maps to infinity (the sign of w changes)."""
    corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]], np.float64)
    w = np.c_[corners, np.ones(len(corners))] @ h[2]
    return not (np.all(w > 1e-9) or np.all(w < -1e-9))


def _spread(pts: np.ndarray) -> float:
    return float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1]))


def save_calibration(path: str | Path, cal: Calibration) -> None:
    """Write ``cal`` as JSON, atomically (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".calibration-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(cal.to_json(), f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file.

    Raises:
        CalibrationError: missing/unreadable file, bad JSON, or invalid contents (the message
            names the file and the field).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalibrationError(f"{path}: no calibration file (run the calibration mode)") \
            from None
    except (OSError, UnicodeDecodeError) as err:
        raise CalibrationError(f"{path}: cannot read: {err}") from None
    except json.JSONDecodeError as err:
        raise CalibrationError(f"{path}: not valid JSON (line {err.lineno}): {err.msg}") \
            from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{path}: must hold a JSON object")
    if data.get("version") != VERSION:
        raise CalibrationError(f"{path}: version must be {VERSION}, got {data.get('version')!r}")
    try:
        h = np.array(data["homography"], np.float64)
        t = np.array(data.get("targets", []), np.float64).reshape(-1, 2)
        o = np.array(data.get("observed", []), np.float64).reshape(-1, 2)
        rms = float(data.get("rms_error", float("nan")))
    except KeyError:
        raise CalibrationError(f"{path}: homography: missing") from None
    except (TypeError, ValueError):
        raise CalibrationError(f"{path}: homography, targets and observed must be numbers "
                               "(3×3 and lists of [x, y])") from None
    if h.shape != (3, 3):
        raise CalibrationError(f"{path}: homography: must be 3×3, got shape {h.shape}")
    if not np.isfinite(h).all() or abs(np.linalg.det(h)) < 1e-12:
        raise CalibrationError(f"{path}: homography: must be finite and invertible")
    if len(t) != len(o):
        raise CalibrationError(f"{path}: targets and observed differ in length "
                               f"({len(t)} vs {len(o)})")
    inl = data.get("inliers") or [True] * len(t)
    return Calibration(h, tuple(map(tuple, t.tolist())), tuple(map(tuple, o.tolist())), rms,
                       tuple(bool(v) for v in inl), str(data.get("created", "")),
                       str(data.get("anchor", "centre")), bool(data.get("mirrored", True)))


def load_homography(path: str | Path) -> np.ndarray | None:
    """The homography for ``runtime.postproc.Calibrate``; ``None`` when the file is missing.

    Raises:
        CalibrationError: the file exists but is invalid (the kiosk should log it and run
            uncalibrated rather than map visitors through garbage).
    """
    if not Path(path).exists():
        return None
    return load_calibration(path).homography


def check_calibration(path: str | Path, *, anchor: str | None = None,
                      mirrored: bool | None = None, max_error: float = MAX_RMS_ERROR,
                      missing_ok: bool = True) -> list[str]:
    """Problems with a calibration file, one message each (empty: fine). For ``kiosk.py check``.

    Checks: readable and well-formed; at least 4 pairs; the stored homography reproduces its
    targets within ``max_error`` (screen fraction, RMS); the camera frame maps without folding
    (no point of the camera picture at infinity); targets spread over the screen; and, when
    given, the same ``anchor`` / ``mirror`` settings as now.

    Args:
        missing_ok: a missing file is fine (uncalibrated kiosk): no message.
    """
    path = Path(path)
    if not path.exists():
        return [] if missing_ok else [f"{path}: no calibration file (run the calibration mode)"]
    try:
        cal = load_calibration(path)
    except CalibrationError as err:
        return [str(err)]
    out = []
    t = np.array(cal.targets, np.float64).reshape(-1, 2)
    o = np.array(cal.observed, np.float64).reshape(-1, 2)
    h = cal.homography
    if len(t) < 4:
        out.append(f"{path}: needs at least 4 target points, has {len(t)}")
    else:
        used = np.array(cal.inliers if len(cal.inliers) == len(t) else [True] * len(t), bool)
        err = np.linalg.norm(_apply(h, o[used]) - t[used], axis=1)
        rms = float(math.sqrt(float(np.mean(err ** 2)))) if used.any() else float("inf")
        if not rms <= max_error:
            out.append(f"{path}: targets are missed by {rms:.3f} of the screen (RMS), more than "
                       f"{max_error:g}; calibrate again")
        if (~used).any():
            out.append(f"{path}: {int((~used).sum())} of {len(t)} targets were ignored as "
                       "misread; calibrate again if the mapping looks off")
        if _spread(t) < 0.1:
            out.append(f"{path}: the targets cover too little of the screen to trust the "
                       "mapping elsewhere")
    if _folds(h):
        out.append(f"{path}: the mapping folds the camera picture over (part of it maps to "
                   "infinity); calibrate again")
    if anchor is not None and cal.anchor != anchor:
        out.append(f"{path}: made with camera.anchor = {cal.anchor!r}, now {anchor!r}; "
                   "calibrate again")
    if mirrored is not None and cal.mirrored != mirrored:
        out.append(f"{path}: made with camera.mirror = {str(cal.mirrored).lower()}, now "
                   f"{str(mirrored).lower()}; calibrate again")
    return out
