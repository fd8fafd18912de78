"""The camera as a visitor source: capture thread → vision worker thread → events for the loop.

:class:`CameraSource` implements :class:`runtime.events.VisitorSource`. Two daemon threads do the
work so the render loop never waits on the camera:

* the capture thread (:class:`runtime.vision.capture.FrameGrabber`) keeps only the newest frame;
* the vision worker takes the newest frame whenever it is free (older ones are skipped, never
  queued), runs :class:`runtime.vision.processor.VisionProcessor` and turns the tracked people
  into ``enter`` / ``move`` / ``leave`` events (ids ``cam:1``, ``cam:2``, …; positions normalized
  to the camera frame, mirrored per ``[camera] mirror``; the pipeline's ``Calibrate`` maps them to
  the screen), stamped with the frame's *capture* time so the loop can measure
  camera-to-present latency.

Each frame, :meth:`CameraSource.poll` only drains the event queue, and
:meth:`CameraSource.latest_vision` hands out the newest :class:`VisionFrame` (mask, flow,
people) for ``ctx.vision``. Both are lock-protected reads that never block on the camera.

Faults: a camera that disappears makes its visitors leave at once (their ids are not reused) and
the source reports ``reconnecting`` (see :meth:`CameraSource.status`) while the grabber retries
with backoff; the background learned so far is kept for when it comes back at the same size. An
exception inside the vision stage is logged once per distinct error and that frame is skipped.
No frame is ever written anywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np

from runtime.events import Emit, VisitorEvent
from runtime.vision.capture import CaptureStatus, FrameGrabber
from runtime.vision.processor import VisionFrame, VisionProcessor
from runtime.vision.settings import CameraConfig, resolve_source

log = logging.getLogger("kiosk.camera")


class CameraSource:
    """Camera-tracked people as visitors, plus the newest :class:`VisionFrame`.

    Args:
        cfg: the ``[camera]`` settings.
        config_dir: folder of the config file (a relative video path resolves against it).
        clock: the kiosk clock that stamps frames and events (``time.perf_counter``).
        grabber: inject a :class:`FrameGrabber` (tests); built from ``cfg`` otherwise.
    """

    name = "camera"

    def __init__(self, cfg: CameraConfig, *, config_dir: str | Path | None = None,
                 clock: Callable[[], float] = time.perf_counter,
                 grabber: FrameGrabber | None = None):
        self.cfg = cfg
        self.clock = clock
        self.grabber = grabber or FrameGrabber(
            resolve_source(cfg.source, config_dir), width=cfg.width_px, height=cfg.height_px,
            fps=cfg.fps, mjpg=cfg.mjpg, loop_video=cfg.loop_video,
            realtime_video=cfg.realtime_video, stale_s=cfg.stale_s,
            reconnect_min_s=cfg.reconnect_min_s, reconnect_max_s=cfg.reconnect_max_s,
            clock=clock)
        self.processor: VisionProcessor | None = None
        self._lock = threading.Lock()
        self._events: deque[VisitorEvent] = deque(maxlen=4096)
        self._latest: VisionFrame | None = None
        self._live: dict[int, VisitorEvent] = {}
        self._vid: dict[int, str] = {}
        self._next_visitor = 1
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._ms: deque[float] = deque(maxlen=600)
        self._processed = 0
        self._skipped = 0
        self._errors: set[str] = set()

    # --- VisitorSource ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start capture and the vision worker (returns at once)."""
        if self._worker is not None:
            return
        self._stop.clear()
        self.grabber.start()
        if self.grabber.spec.kind == "none":
            return
        self._worker = threading.Thread(target=self._work, daemon=True, name="camera-vision")
        self._worker.start()

    def stop(self) -> None:
        """Stop both threads; present camera visitors get ``leave`` events on the next poll."""
        self._stop.set()
        self.grabber.stop()
        if self._worker is not None:
            self._worker.join(2.0)
            self._worker = None
        self._leave_all(self.clock())

    def poll(self, now: float, emit: Emit) -> None:
        """Hand the loop every event produced since the last poll (never blocks on the camera)."""
        with self._lock:
            events = list(self._events)
            self._events.clear()
        for e in events:
            emit(e)

    # --- for the loop, exhibits and technicians --------------------------------------------------
    def latest_vision(self) -> VisionFrame | None:
        """The newest :class:`VisionFrame`, or ``None`` before the first processed frame."""
        return self._latest

    def status(self) -> dict:
        """Capture state and vision-stage timing for doctor, logs and the diagnostic overlay."""
        cap: CaptureStatus = self.grabber.status
        ms = sorted(self._ms)
        proc = self.processor
        return {
            "state": cap.state,
            "line": cap.line(),
            "capture": cap,
            "frames_processed": self._processed,
            "frames_skipped": self._skipped,
            "vision_ms_p50": ms[len(ms) // 2] if ms else 0.0,
            "vision_ms_p95": ms[int(len(ms) * 0.95)] if ms else 0.0,
            "learning": bool(proc.learning) if proc is not None else True,
            "people": len(self._live),
            "process_size": proc.size if proc is not None else None,
        }

    def vision_ms(self) -> list[float]:
        """Recent per-frame vision-stage times in ms (for ``kiosk.py bench --camera``)."""
        return list(self._ms)

    # --- the worker ------------------------------------------------------------------------------
    def _work(self) -> None:
        seq = 0
        was_live = False
        while not self._stop.is_set():
            got = self.grabber.wait_newer(seq, 0.25)
            if got is None:
                live = self.grabber.status.state == "live"
                if was_live and not live:
                    # The camera went away: its visitors leave now rather than linger.
                    self._leave_all(self.clock())
                    if self.processor is not None:
                        self.processor.reset_tracking()
                was_live = live
                continue
            was_live = True
            new_seq, frame, t = got
            if seq and new_seq > seq + 1:
                self._skipped += new_seq - seq - 1
            seq = new_seq
            try:
                self._process(frame, t)
            except Exception as err:  # noqa: BLE001 - one bad frame must not stop the camera
                key = repr(err)
                if key not in self._errors:
                    self._errors.add(key)
                    log.exception("vision stage failed on a frame; skipping it")

    def _process(self, frame: np.ndarray, t: float) -> None:
        size = (frame.shape[1], frame.shape[0])
        if self.processor is None or self.processor.frame_size != size:
            if self.processor is not None:
                log.info("camera frame size changed to %dx%d; learning the room again", *size)
                self._leave_all(t)
            self.processor = VisionProcessor(self.cfg, size)
        proc = self.processor
        vf = proc.process(proc.prepare(frame), t)
        self._ms.append(vf.process_ms)
        self._processed += 1
        events = self._diff(vf)
        with self._lock:
            self._events.extend(events)
            self._latest = vf

    def _diff(self, vf: VisionFrame) -> list[VisitorEvent]:
        out = []
        seen = set()
        t = vf.t_capture
        for p in vf.people:
            seen.add(p.id)
            vid = self._vid.get(p.id)
            size = (p.box[2], p.box[3])
            if vid is None:
                vid = self._vid[p.id] = f"cam:{self._next_visitor}"
                self._next_visitor += 1
                ev = VisitorEvent("enter", vid, "camera", p.pos, (0.0, 0.0), t, size)
            else:
                prev = self._live[p.id]
                ev = VisitorEvent("move", vid, "camera", p.pos,
                                  (p.pos[0] - prev.pos[0], p.pos[1] - prev.pos[1]), t, size)
            self._live[p.id] = ev
            out.append(ev)
        for tid in [k for k in self._live if k not in seen]:
            prev = self._live.pop(tid)
            self._vid.pop(tid, None)
            out.append(VisitorEvent("leave", prev.visitor_id, "camera", prev.pos, (0.0, 0.0), t,
                                    prev.size))
        return out

    def _leave_all(self, t: float) -> None:
        events = [VisitorEvent("leave", e.visitor_id, "camera", e.pos, (0.0, 0.0), t, e.size)
                  for e in self._live.values()]
        self._live.clear()
        self._vid.clear()
        if events:
            with self._lock:
                self._events.extend(events)
