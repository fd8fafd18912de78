"""Camera capture on its own thread: only the newest frame is kept, stamped with its capture time.

:class:`FrameGrabber` opens ``[camera] source`` with :class:`cv2.VideoCapture` and reads frames on
a daemon thread into a one-frame slot: a slow consumer never sees an old frame, it just skips
frames. Each frame is stamped with the kiosk clock (``time.perf_counter`` by default) right after
``read`` returns.

Sources (:func:`~runtime.vision.capture_types.parse_source`, with the :class:`CaptureStatus`
type, in :mod:`runtime.vision.capture_types`): ``auto`` (the first ``/dev/video*`` that delivers
a frame, else none, re-scanned with backoff so a camera plugged in later is found), ``none``, a
device index, a device path (``/dev/v4l/by-id/...``), a video file (played at its own frame
rate unless ``realtime_video`` is off; looped unless ``loop_video`` is off), or a stream URL.

Faults: a source that cannot be opened, stops delivering (``read`` fails, the file ends without
looping), hangs (no frame for ``stale_s``: the reader thread is abandoned and a fresh one opens the
device again) or freezes (identical frames for ``stale_s``) is *reconnected* with exponential
backoff from ``reconnect_min_s`` to ``reconnect_max_s``. Meanwhile :attr:`FrameGrabber.status`
says ``reconnecting`` with the reason and the next attempt, every transition is logged on the
``kiosk.camera`` logger, and the kiosk goes on by touch. Nothing here raises into the caller.

OpenCV's own logger is quieted on import (:func:`quiet_opencv`): it and its FFmpeg backend print
a warning on every failed open, i.e. once per retry; our ``kiosk.camera`` line per state change
says the same once.

Privacy: frames live in memory only; this module never writes one anywhere.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from runtime.vision.capture_types import (
    STATES,
    CaptureStatus,
    SourceSpec,
    list_devices,
    parse_source,
)

# The source and status types live in runtime.vision.capture_types (no OpenCV); importable here.
__all__ = ["STATES", "CaptureStatus", "FrameGrabber", "SourceSpec", "list_devices",
           "parse_source", "quiet_opencv"]

log = logging.getLogger("kiosk.camera")


def quiet_opencv() -> None:
    """Keep OpenCV's warnings ("can't open camera by index", FFmpeg's "Connection refused") off
    stderr/journald; errors still show. A technician who sets ``OPENCV_LOG_LEVEL`` or
    ``OPENCV_FFMPEG_LOGLEVEL`` gets what they asked for. FFmpeg's level is read when its backend
    first opens something, so setting it here, after ``import cv2``, is early enough."""
    if "OPENCV_LOG_LEVEL" not in os.environ:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET


quiet_opencv()

# The FOURCC code of Motion-JPEG, spelled out so this module names no frame writer.
_MJPG = ord("M") | ord("J") << 8 | ord("P") << 16 | ord("G") << 24

class FrameGrabber:
    """Reads one camera on a thread and keeps only its newest frame.

    Args:
        source: a ``[camera] source`` string (already resolved against the config folder).
        width / height / fps: requested capture mode (0: the device's default).
        mjpg: request MJPG from devices.
        loop_video: a file starts over at its end; otherwise its end counts as a lost source.
        realtime_video: pace file frames at the file's frame rate.
        stale_s: no new (or only identical) frames for this long = lost.
        reconnect_min_s / reconnect_max_s: the backoff range.
        clock: the kiosk clock used to stamp frames (seconds).
    """

    def __init__(self, source: str, *, width: int = 0, height: int = 0, fps: int = 0,
                 mjpg: bool = False, loop_video: bool = True, realtime_video: bool = True,
                 stale_s: float = 2.0, reconnect_min_s: float = 0.5, reconnect_max_s: float = 30.0,
                 clock: Callable[[], float] = time.perf_counter):
        self.spec = parse_source(source)
        self.width, self.height, self.fps = width, height, fps
        self.mjpg = mjpg
        self.loop_video = loop_video
        self.realtime_video = realtime_video
        self.stale_s = stale_s
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.clock = clock
        self._cond = threading.Condition()
        self._frame: np.ndarray | None = None
        self._t: float = 0.0
        self._seq = 0
        self._state = "off"
        self._detail = ""
        self._reconnects = 0
        self._retry_at = 0.0
        self._size: tuple[int, int] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._generation = 0
        self._rate: list[float] = []
        self._last_new_t: float | None = None
        self._freeze_sig: bytes | None = None

    # --- public ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Start capturing (no-op for ``none``)."""
        if self.spec.kind == "none":
            self._set_state("none", "camera disabled ([camera] source = \"none\")")
            return
        if self._thread is not None:
            return
        self._stop.clear()
        self._spawn()

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop the reader thread and release the device."""
        self._stop.set()
        with self._cond:
            self._generation += 1
            self._cond.notify_all()
        t = self._thread
        if t is not None:
            t.join(timeout_s)
        self._thread = None
        if self._state != "none":
            self._set_state("stopped", "")

    def latest(self) -> tuple[int, np.ndarray, float] | None:
        """``(seq, frame, t_capture)`` of the newest frame, or ``None`` before the first.

        Never blocks. ``seq`` increases by one per captured frame (gaps = skipped frames).
        """
        with self._cond:
            if self._frame is None:
                return None
            return self._seq, self._frame, self._t

    def wait_newer(self, seq: int, timeout_s: float) -> tuple[int, np.ndarray, float] | None:
        """The newest frame once its ``seq`` is above ``seq``; ``None`` after ``timeout_s``.

        Also runs the stale-capture watchdog, so a consumer that waits is enough to notice a
        hung device.
        """
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._seq <= seq and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
            out = (self._seq, self._frame, self._t) if self._seq > seq else None
        self.watchdog()
        return out  # type: ignore[return-value]

    @property
    def status(self) -> CaptureStatus:
        """The current :class:`CaptureStatus` (cheap; safe from any thread)."""
        now = self.clock()
        with self._cond:
            age = None if self._frame is None else max(0.0, now - self._t)
            rate = self._rate[-30:]
            fps = 0.0
            if len(rate) >= 2 and rate[-1] > rate[0]:
                fps = (len(rate) - 1) / (rate[-1] - rate[0])
            return CaptureStatus(self._state, self._detail, self._seq, self._reconnects, fps, age,
                                 max(0.0, self._retry_at - time.monotonic()), self._size)

    def watchdog(self) -> None:
        """Abandon a reader that has delivered nothing new for ``stale_s`` and start afresh.

        ``cv2.VideoCapture.read`` on a dead USB device can block for ever; it cannot be
        interrupted, so the stuck thread is left behind (it exits when ``read`` returns) and a
        new one reopens the device.
        """
        if self._state != "live" or self._last_new_t is None:
            return
        if time.monotonic() - self._last_new_t <= self.stale_s:
            return
        log.warning("camera %s: no new frame for %.1f s; reconnecting", self._describe(),
                    self.stale_s)
        with self._cond:
            self._generation += 1
            self._reconnects += 1
            self._cond.notify_all()
        self._last_new_t = None
        self._set_state("reconnecting", f"no new frame for {self.stale_s:g} s")
        self._spawn()

    # --- the reader thread -----------------------------------------------------------------------
    def _spawn(self) -> None:
        with self._cond:
            gen = self._generation
        self._thread = threading.Thread(target=self._run, args=(gen,), daemon=True,
                                        name="camera-capture")
        self._thread.start()

    def _alive(self, gen: int) -> bool:
        return not self._stop.is_set() and gen == self._generation

    def _set_state(self, state: str, detail: str) -> None:
        changed = state != self._state or detail != self._detail
        self._state, self._detail = state, detail
        if changed:
            level = (logging.DEBUG if state == "opening" else
                     logging.INFO if state in ("live", "stopped", "off") else logging.WARNING)
            log.log(level, "camera %s: %s%s", self._describe(), state,
                    f" ({detail})" if detail else "")

    def _describe(self) -> str:
        return str(self.spec.target) if self.spec.kind not in ("auto", "none") else self.spec.kind

    def _sleep(self, seconds: float, gen: int) -> None:
        end = time.monotonic() + seconds
        while self._alive(gen):
            left = end - time.monotonic()
            if left <= 0:
                return
            self._stop.wait(min(left, 0.05))

    def _run(self, gen: int) -> None:
        backoff = self.reconnect_min_s
        while self._alive(gen):
            if self._state not in ("reconnecting", "none"):
                self._set_state("opening", self._describe())
            cap, why = self._open()
            if cap is None:
                self._retry(why, backoff, gen)
                backoff = min(self.reconnect_max_s, backoff * 2)
                continue
            try:
                delivered = self._read_loop(cap, gen)
            finally:
                cap.release()
            if not self._alive(gen):
                return
            if delivered:
                backoff = self.reconnect_min_s
            self._retry(self._lost_reason, backoff, gen)
            backoff = min(self.reconnect_max_s, backoff * 2)

    def _retry(self, why: str, backoff: float, gen: int) -> None:
        if not self._alive(gen):
            return
        with self._cond:
            self._reconnects += 1
        self._retry_at = time.monotonic() + backoff
        if self.spec.kind == "auto" and why.startswith("no camera"):
            self._set_state("none", why)
        else:
            self._set_state("reconnecting", why)
        self._sleep(backoff, gen)

    def _open(self) -> tuple[cv2.VideoCapture | None, str]:
        kind, target = self.spec.kind, self.spec.target
        if kind == "auto":
            for dev in list_devices():
                cap = self._open_one(dev, device=True)
                if cap is not None:
                    self._detail = dev
                    return cap, ""
            return None, "no camera found (/dev/video*)"
        if kind == "file" and not Path(str(target)).is_file():
            return None, f"no such video file {target}"
        cap = self._open_one(target, device=kind in ("index", "device"))
        if cap is None:
            return None, f"cannot open {target}"
        return cap, ""

    def _open_one(self, target: str | int, *, device: bool) -> cv2.VideoCapture | None:
        try:
            if device:
                cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
                if not cap.isOpened():
                    cap = cv2.VideoCapture(target)
            else:
                cap = cv2.VideoCapture(str(target))
        except cv2.error:
            return None
        if not cap.isOpened():
            cap.release()
            return None
        if device:
            if self.mjpg:
                cap.set(cv2.CAP_PROP_FOURCC, _MJPG)
            if self.width:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            if self.height:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            if self.fps:
                cap.set(cv2.CAP_PROP_FPS, self.fps)
            # The driver's own queue would hand out old frames to a slow reader.
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return cap

    _lost_reason = ""

    def _read_loop(self, cap: cv2.VideoCapture, gen: int) -> bool:
        """Read until the source fails; True if at least one frame came."""
        is_file = self.spec.is_file
        period = 0.0
        if is_file and self.realtime_video:
            fps = cap.get(cv2.CAP_PROP_FPS)
            period = 1.0 / fps if fps and 0 < fps < 1000 else 1.0 / 25
        next_due = time.monotonic()
        delivered = False
        self._last_new_t = time.monotonic()
        self._freeze_sig = None
        frozen_since: float | None = None
        while self._alive(gen):
            ok, frame = cap.read()
            if not self._alive(gen):
                return delivered
            if not ok or frame is None:
                if is_file and self.loop_video and delivered:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    ok, frame = cap.read()
                if not ok or frame is None:
                    self._lost_reason = "video ended" if is_file else "frame read failed"
                    return delivered
            if period:
                next_due += period
                delay = next_due - time.monotonic()
                if delay > 0:
                    self._sleep(delay, gen)
                else:
                    next_due = time.monotonic()  # fell behind: do not race to catch up
            t = self.clock()
            mono = time.monotonic()
            sig = frame[::37, ::41].tobytes()
            if sig == self._freeze_sig and not is_file:
                frozen_since = frozen_since or mono
                if mono - frozen_since > self.stale_s:
                    self._lost_reason = f"frozen picture for {self.stale_s:g} s"
                    return delivered
                continue  # an identical frame is not news
            frozen_since = None
            self._freeze_sig = sig
            with self._cond:
                if not self._alive(gen):
                    return delivered
                self._frame, self._t = frame, t
                self._seq += 1
                self._size = (frame.shape[1], frame.shape[0])
                self._rate.append(t)
                if len(self._rate) > 60:
                    del self._rate[:30]
                self._cond.notify_all()
            self._last_new_t = mono
            if not delivered:
                delivered = True
                self._set_state("live", self._detail if self.spec.kind == "auto"
                                else self._describe())
        return delivered
