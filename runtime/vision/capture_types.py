"""What camera capture is told and what it reports, without OpenCV.

* :func:`parse_source` classifies a ``[camera] source`` string into a :class:`SourceSpec`
  (``auto``, ``none``, a device index or path, a video file, a stream URL) without touching a
  device;
* :class:`CaptureStatus` is what :class:`runtime.vision.capture.FrameGrabber` reports (state in
  :data:`STATES`, why, frame counts, rate, age) and its one-line form for logs and the doctor;
* :func:`list_devices` lists the video device nodes (``kiosk.py doctor``).

All three stay importable from :mod:`runtime.vision.capture`. Failure modes: none raised.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass

STATES = ("off", "opening", "live", "reconnecting", "none", "stopped")


@dataclass(frozen=True)
class SourceSpec:
    """A parsed ``[camera] source``: ``kind`` is auto, none, index, device, file or url."""

    kind: str
    target: str | int = ""

    @property
    def is_file(self) -> bool:
        return self.kind == "file"


def parse_source(source: str) -> SourceSpec:
    """Classify a ``[camera] source`` string (no device is touched)."""
    s = source.strip()
    if s in ("auto", "none"):
        return SourceSpec(s)
    if re.fullmatch(r"\d+", s):
        return SourceSpec("index", int(s))
    if "://" in s:
        return SourceSpec("url", s)
    if s.startswith("/dev/"):
        return SourceSpec("device", s)
    return SourceSpec("file", s)


@dataclass(frozen=True)
class CaptureStatus:
    """What technicians see (doctor, logs, diagnostic overlay).

    Attributes:
        state: one of :data:`STATES`.
        detail: the source in use, or why it is not (``"cannot open /dev/video0"``).
        frames: frames captured since start.
        reconnects: times the source was lost and reopened (or retried).
        fps: capture rate over the last second or so.
        last_frame_age_s: seconds since the newest frame (``None`` before the first).
        retry_in_s: seconds until the next reconnect attempt (while reconnecting).
        frame_size: ``(width, height)`` of the frames, once known.
    """

    state: str
    detail: str = ""
    frames: int = 0
    reconnects: int = 0
    fps: float = 0.0
    last_frame_age_s: float | None = None
    retry_in_s: float = 0.0
    frame_size: tuple[int, int] | None = None

    def line(self) -> str:
        """One line for logs and the doctor."""
        parts = [self.state]
        if self.detail:
            parts.append(self.detail)
        if self.frame_size:
            parts.append(f"{self.frame_size[0]}x{self.frame_size[1]}")
        if self.state == "live":
            parts.append(f"{self.fps:.1f} fps")
        if self.state == "reconnecting":
            parts.append(f"retry in {self.retry_in_s:.1f} s")
        if self.reconnects:
            parts.append(f"{self.reconnects} reconnects")
        return ", ".join(parts)


def list_devices() -> list[str]:
    """Video capture device nodes, stable names first (``/dev/v4l/by-id/...``, ``/dev/videoN``)."""
    by_id = sorted(glob.glob("/dev/v4l/by-id/*-video-index0"))
    plain = sorted(glob.glob("/dev/video*"), key=lambda p: int(re.sub(r"\D", "", p) or 0))
    return by_id + [p for p in plain if p not in by_id]
