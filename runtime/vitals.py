"""The kiosk's vital signs: presented-frame times, memory samples and the ``/health`` snapshot.

:meth:`Vitals.presented` is called once per frame with the present time: it keeps the last 121
present times (the measured fps) and samples the resident memory every 10 s (an hour of samples:
``memory_mb.hour_ago``). :meth:`Vitals.snapshot` builds the JSON-ready dict the admin panel,
``/health`` and ``/metrics`` read (:mod:`runtime.health`, :mod:`runtime.metrics`); its status is
``closed`` outside opening hours, ``degraded`` in safe mode, with a refused config, any failure
today or the safe screen showing, else ``ok``.

Reads from its host (the :class:`~runtime.app.Kiosk`) and never changes it: ``time_fn``,
``frames``, ``stages``, ``counters``, ``cfg``, the stage, hours and reload rooms, ``camera``,
``vision`` (a :class:`~runtime.vision.frame.VisionFrame`), ``audio``, ``analytics``, ``homography``,
``visit``, ``device`` and ``safe_mode``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from runtime.timing import rss_mb


class Vitals:
    """Frame-rate and memory records, and the health snapshot (module docstring)."""

    def __init__(self, host: Any):
        self.host = host
        self.started_t = host.time_fn()
        self._present_times: deque[float] = deque(maxlen=121)
        self._rss_samples: deque[tuple[float, float]] = deque(maxlen=361)  # 1 h at 10 s
        self._rss_start = rss_mb()
        self._next_rss_t = 0.0

    def presented(self, t: float) -> None:
        """A frame was presented at ``t`` (kiosk clock)."""
        self._present_times.append(t)
        if t >= self._next_rss_t:
            self._next_rss_t = t + 10.0
            self._rss_samples.append((t, rss_mb()))

    def snapshot(self) -> dict[str, Any]:
        """A snapshot for the admin panel and ``/health`` (JSON-ready)."""
        host = self.host
        stage = host.stage
        now = host.time_fn()
        times = self._present_times
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and \
            times[-1] > times[0] else 0.0
        recent = list(host.frames.recent)
        p99 = float(sorted(recent)[int(0.99 * (len(recent) - 1))]) if recent else 0.0
        hour_ago = self._rss_samples[0][1] if self._rss_samples else self._rss_start
        status = "ok"
        if host.hours.closed:
            status = "closed"
        elif host.safe_mode or host.reload.error or stage.failures or (
                stage.current is not None and stage.current.name == "safe"):
            status = "degraded"
        today = host.analytics.today()
        camera: dict[str, Any] = {"status": "none"}
        if host.camera is not None:
            st = host.camera.status()
            vf = host.vision
            camera = {"status": st.get("state", "?"), "line": st.get("line", ""),
                      "people": st.get("people", 0),
                      "frame_age_s": round(now - vf.t_capture, 2) if vf is not None else None,
                      "vision_ms_p50": round(st.get("vision_ms_p50", 0.0), 2),
                      "calibrated": host.homography is not None}
        audio: dict[str, Any] = {"status": "none"}
        if host.audio is not None and hasattr(host.audio, "status"):
            st = host.audio.status()
            audio = {"status": st.get("state", "?"), "device": st.get("device", ""),
                     "underflows": st.get("underflows", 0), "restarts": st.get("restarts", 0),
                     "reason": st.get("reason", "")}
        cfg = host.cfg
        return {
            "status": status,
            "uptime_s": round(now - self.started_t, 1),
            "fps": round(fps, 1),
            "frame_p99_ms": round(p99, 2),
            "frame_ms_recent": [round(v, 2) for v in recent[-120:]],
            "stages_ms": {k: round(v, 2) for k, v in host.stages.last_ms.items()},
            "exhibit": stage.name,
            "camera": camera,
            "audio": audio,
            "device": host.device,
            "memory_mb": {"start": round(self._rss_start, 1), "now": round(rss_mb(), 1),
                          "hour_ago": round(hour_ago, 1)},
            "visits_today": today["visits"],
            "median_visit_s": today["median_visit_s"],
            "visitors_present": host.visitors_present(),
            "visit_state": host.visit.state,
            "safe_mode": host.safe_mode,
            "config_error": host.reload.error,
            "last_error": stage.last_error,
            "failures_today": dict(stage.failures),
            "analytics": host.analytics.status() if hasattr(host.analytics, "status") else {},
            "kiosk": {"id": host.kiosk_id, "location": cfg.kiosk.location},
            "config": {"schema_version": cfg.schema_version, "sha256": cfg.digest,
                       "source": cfg.source},
            "target_fps": cfg.display.fps,
            "counters": host.counters.as_dict(),
        }
