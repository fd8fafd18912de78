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

Failure modes: :func:`load_calibration` raises :class:`CalibrationError`, and nothing else, with a
message that names the file, the field and what is wrong — whatever the file holds: a file over
:data:`MAX_FILE_BYTES`, text that is not UTF-8, JSON nested too deeply, ``NaN``/``Infinity``, a
field of the wrong type or shape (``"inliers": 5``). :func:`check_calibration` returns those
messages (and warnings about a poor fit) as a list for ``kiosk.py check``; a missing file is not an
error for the kiosk (camera positions then map to the screen unchanged) but is reported by the
check as a note. The kiosk logs a refused file in one line and runs uncalibrated.
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
MAX_FILE_BYTES = 256 * 1024  # a calibration of nine targets is about 1.5 KiB
MAX_PAIRS = 256  # the calibration mode shows nine targets; more is not a file we wrote
MAX_TEXT = 200  # "created", "anchor"
MAX_NUMBER = 1e6  # any number in the file; NaN fails the comparison too


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


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _is_num(v) -> bool:
    """A finite JSON number of sane size (normalized coordinates and homographies are small;
    ``math.isfinite`` alone would overflow on a 400-digit integer)."""
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and -MAX_NUMBER <= v <= MAX_NUMBER)


def _points(data: dict, key: str, path: Path) -> np.ndarray:
    """``data[key]`` as an ``(n, 2)`` array of finite numbers (absent: none)."""
    value = data.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_PAIRS:
        raise CalibrationError(f"{path}: {key}: must be a list of at most {MAX_PAIRS} [x, y] "
                               f"points, got {_kind(value)}")
    for i, p in enumerate(value):
        if not (isinstance(p, list) and len(p) == 2 and all(_is_num(v) for v in p)):
            raise CalibrationError(f"{path}: {key}[{i}]: must be [x, y], two finite numbers, "
                                   f"got {_kind(p)}")
    return np.array(value, np.float64).reshape(-1, 2)


def _kind(v) -> str:
    """A short description of a JSON value for messages (values may be huge or nested)."""
    if isinstance(v, list):
        return f"a list of {len(v)} items"
    if isinstance(v, dict):
        return "an object"
    text = json.dumps(v) if v is None or isinstance(v, (bool, int, float, str)) else repr(v)
    return text if len(text) <= 40 else text[:40] + "…"


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file; every field's type and shape is checked.

    Raises:
        CalibrationError: missing/unreadable/oversized file, not UTF-8, bad or too deeply nested
            JSON, NaN/Infinity, or a field of the wrong type, shape or value (the message names
            the file and the field). Nothing else escapes, whatever the file holds.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)  # never more: a huge file is not read whole
    except FileNotFoundError:
        raise CalibrationError(f"{path}: no calibration file (run the calibration mode)") \
            from None
    except (OSError, ValueError) as err:
        raise CalibrationError(f"{path}: cannot read: {err}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise CalibrationError(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB, the most a "
                               "calibration file may be")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise CalibrationError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise CalibrationError(f"{path}: not valid JSON (line {err.lineno}): {err.msg}") \
            from None
    except RecursionError:
        raise CalibrationError(f"{path}: not valid calibration JSON: nested too deeply") \
            from None
    except ValueError as err:  # NaN/Infinity (parse_constant), or a 4300+ digit integer
        raise CalibrationError(f"{path}: not valid calibration JSON: {str(err)[:100]}") \
            from None
    return _from_json(data, path)


def _from_json(data, path: Path) -> Calibration:
    """Validate parsed JSON field by field (see the module's file format)."""
    if not isinstance(data, dict):
        raise CalibrationError(f"{path}: must hold a JSON object, got {_kind(data)}")
    version = data.get("version")
    if isinstance(version, bool) or version != VERSION:  # True == 1 in Python
        raise CalibrationError(f"{path}: version must be {VERSION}, got {_kind(version)}")
    if "homography" not in data:
        raise CalibrationError(f"{path}: homography: missing")
    rows = data["homography"]
    if not (isinstance(rows, list) and len(rows) == 3
            and all(isinstance(r, list) and len(r) == 3 for r in rows)):
        shape = (f"{len(rows)} rows" if isinstance(rows, list) else _kind(rows))
        raise CalibrationError(f"{path}: homography: must be 3×3 numbers, got {shape}")
    if not all(_is_num(v) for r in rows for v in r):
        raise CalibrationError(f"{path}: homography: must be 3×3 finite numbers of at most "
                               f"{MAX_NUMBER:g}")
    h = np.array(rows, np.float64)
    det = float(np.linalg.det(h))
    if not (math.isfinite(det) and abs(det) >= 1e-12):
        raise CalibrationError(f"{path}: homography: must be finite and invertible")
    t, o = _points(data, "targets", path), _points(data, "observed", path)
    if len(t) != len(o):
        raise CalibrationError(f"{path}: targets and observed differ in length "
                               f"({len(t)} vs {len(o)})")
    inl = data.get("inliers", [])
    if not (isinstance(inl, list) and all(isinstance(v, bool) for v in inl)
            and len(inl) in (0, len(t))):
        raise CalibrationError(f"{path}: inliers: must be a list of true/false values, one per "
                               f"target ({len(t)}), got {_kind(inl)}")
    rms = data.get("rms_error", math.nan)
    if not (_is_num(rms) and rms >= 0) and "rms_error" in data:
        raise CalibrationError(f"{path}: rms_error: must be a number ≥ 0, got {_kind(rms)}")
    texts = {}
    for key, default in (("created", ""), ("anchor", "centre")):
        value = data.get(key, default)
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise CalibrationError(f"{path}: {key}: must be a text of at most {MAX_TEXT} "
                                   f"characters, got {_kind(value)}")
        texts[key] = value
    mirrored = data.get("mirrored", True)
    if not isinstance(mirrored, bool):
        raise CalibrationError(f"{path}: mirrored: must be true or false, got {_kind(mirrored)}")
    return Calibration(h, tuple(map(tuple, t.tolist())), tuple(map(tuple, o.tolist())),
                       float(rms), tuple(inl) or tuple(True for _ in range(len(t))),
                       texts["created"], texts["anchor"], mirrored)


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
