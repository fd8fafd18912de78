"""Prometheus metrics: ``GET /metrics`` on the health port, for a museum's Prometheus/Grafana.

Served by :class:`runtime.health.HealthServer` beside ``/health`` (same socket: 127.0.0.1 only,
read-only, the same connection limits) in the exposition format of the kept client library,
``prometheus_client`` (OpenMetrics when the scraper asks for it, as Prometheus does).

**The frame loop pays nothing.** Everything is collected when a scraper asks, on the server's
thread, by :class:`KioskCollector`: gauges from the snapshot the loop already publishes twice a
second for ``/health``; the frame-time histogram by folding the frames recorded since the last
scrape (the loop's existing :class:`~runtime.timing.FrameStats`) into cumulative buckets. A
scrape after 15 s (900 new frames) took 1.4 ms (median) on the server thread on our loaded
2-core machine; while it runs the render thread may wait for Python's lock, so at most one
frame per scrape can be that much later.

Series (every ``kiosk_*`` one carries ``kiosk="<[kiosk] id>"``; labels are low-cardinality:
exhibit names from the registry and fixed state names, never a visitor):

=====================================  =============================================================
``kiosk_info``                         1, with ``location`` (``[kiosk] location``)
``kiosk_status{status}``               1 for the current /health status: starting, ok, degraded,
                                       closed, frozen (the loop stopped publishing)
``kiosk_snapshot_age_seconds``         age of the loop's newest snapshot (frozen above 2 s)
``kiosk_uptime_seconds``               seconds since the kiosk started
``kiosk_fps`` / ``kiosk_target_fps``   presented frames per second (last ~2 s) / ``[display] fps``
``kiosk_frame_seconds``                histogram of work per frame (input+update+draw+present)
``kiosk_frames_over_budget_total``     frames whose work took longer than one period (1 / fps)
``kiosk_exhibit_shown{exhibit}``       1 for the exhibit on screen (``safe``/``closed``: built-in)
``kiosk_exhibit_shows_total``          times each exhibit was entered
``kiosk_exhibit_errors_total``         exceptions raised by each exhibit
``kiosk_exhibit_restarts_total``       restarts after an error
``kiosk_exhibit_skipped{exhibit}``     1 while an exhibit is skipped for the rest of the day
``kiosk_visitors_present``             visitors in front of the screen now (touch, camera, ...)
``kiosk_visits_started_total``         visits started (``_ended_total``: ended)
``kiosk_camera_state{state}``          1 for the capture state: none (no camera configured), off,
                                       opening, live, reconnecting, stopped
``kiosk_camera_frame_age_seconds``     age of the newest camera frame the loop used
``kiosk_audio_state{state}``           1 for: none, silent, starting, playing, retrying,
                                       unavailable, closed; ``kiosk_audio_underflows_total``,
                                       ``kiosk_audio_restarts_total``
``kiosk_analytics_state{state}``       1 for: off, starting, ok, retrying, stopped;
                                       ``kiosk_analytics_queued``, ``_written_total``,
                                       ``_dropped_total``
``kiosk_memory_rss_bytes``             resident memory (also ``process_*`` from the library)
``kiosk_safe_mode``                    1 in safe mode (after a crash loop)
``kiosk_config_info``                  1, with ``schema_version`` and ``sha256`` (first 12 hex of
                                       the running config file), the config version
``kiosk_config_refused``               1 while the config file on disk is refused (the last good
                                       one keeps running)
``kiosk_model_info{model}``            1, with ``sha256`` of the shipped weights (``none`` when
                                       absent: plain look) and the torch ``device``
=====================================  =============================================================

Failure modes: a collector error is logged once per distinct error and the scrape answers
HTTP 500 (Prometheus then records the scrape as failed); the kiosk is never affected. Frames
older than the loop's bounded record (200,000 frames, ~55 minutes at 60 fps) that were never
scraped are not in the histogram.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.utils import floatToGoString

log = logging.getLogger("kiosk.metrics")

#: frame-time bucket bounds in ms: 1 ms apart up to the 60 fps budget (so a quantile is within
#: ~1 ms), then coarser up to a second
FRAME_BUCKETS_MS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16.7, 18, 20, 22, 25,
                    28, 33.3, 40, 50, 75, 100, 250, 500, 1000)
STATUSES = ("starting", "ok", "degraded", "closed", "frozen")
CAMERA_STATES = ("none", "off", "opening", "live", "reconnecting", "stopped")
AUDIO_STATES = ("none", "silent", "starting", "playing", "retrying", "unavailable", "closed")
ANALYTICS_STATES = ("off", "starting", "ok", "retrying", "stopped")
BUILTIN_SCREENS = ("safe", "closed")


class EventCounters:
    """Monotonic counts of rare kiosk events (never per frame), for ``/health`` and metrics.

    Unlike the kiosk's daily failure record these never reset, as Prometheus counters must not.
    """

    def __init__(self) -> None:
        self.shown: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.restarts: dict[str, int] = {}
        self.visits_started = 0
        self.visits_ended = 0

    @staticmethod
    def _add(table: dict[str, int], name: str) -> None:
        table[name] = table.get(name, 0) + 1

    def exhibit_shown(self, name: str) -> None:
        self._add(self.shown, name)

    def exhibit_error(self, name: str) -> None:
        self._add(self.errors, name)

    def exhibit_restart(self, name: str) -> None:
        self._add(self.restarts, name)

    def as_dict(self) -> dict[str, Any]:
        return {"exhibit_shown": dict(self.shown), "exhibit_errors": dict(self.errors),
                "exhibit_restarts": dict(self.restarts), "visits_started": self.visits_started,
                "visits_ended": self.visits_ended}


class FrameHistogram:
    """Cumulative frame-time buckets, folded from the loop's frame record at scrape time.

    Args:
        frames_fn: ``() -> (total frames so far, the loop's bounded deque of frame ms)``.
        budget_ms_fn: one frame period in ms (frames above it count as over budget).
    """

    def __init__(self, frames_fn: Callable[[], tuple[int, Any]],
                 budget_ms_fn: Callable[[], float], bounds_ms: tuple = FRAME_BUCKETS_MS):
        self.frames_fn = frames_fn
        self.budget_ms_fn = budget_ms_fn
        self.bounds_ms = np.asarray(bounds_ms, dtype=np.float64)
        self.counts = np.zeros(len(bounds_ms) + 1, dtype=np.int64)  # last: above every bound
        self.sum_ms = 0.0
        self.count = 0
        self.over_budget = 0
        self._folded = 0
        self._lock = threading.Lock()

    def fold(self) -> None:
        """Add the frames recorded since the last fold (called by each scrape)."""
        with self._lock:
            total, record = self.frames_fn()
            new = total - self._folded
            if new <= 0:
                return
            # One C-level copy of the newest frames (no Python code runs in between, so the loop
            # cannot append mid-copy). The loop appends a frame just before counting it, so a
            # scrape landing between the two may take that frame one scrape early and leave an
            # older one out: the count stays exact.
            recent = np.fromiter(islice(reversed(record), min(new, len(record))),
                                 dtype=np.float64)
            self._folded = total
            self.counts += np.bincount(np.searchsorted(self.bounds_ms, recent, side="left"),
                                       minlength=len(self.counts))
            self.sum_ms += float(recent.sum())
            self.count += int(recent.size)
            self.over_budget += int(np.count_nonzero(recent > self.budget_ms_fn()))

    def buckets(self) -> list[tuple[str, float]]:
        """``(le, cumulative count)`` pairs in seconds, ending with ``+Inf``."""
        cum = np.cumsum(self.counts)
        out = [(floatToGoString(b / 1000.0), float(c)) for b, c in zip(self.bounds_ms, cum,
                                                                        strict=False)]
        out.append(("+Inf", float(cum[-1])))
        return out


def _weights_identity(cache: dict) -> dict[str, str]:
    """``{model: first 12 hex of sha256 of its shipped weights, or "none"}`` (cached by stat)."""
    from models.catalog import NCA_MODELS, weights_path

    out = {}
    for model in NCA_MODELS:
        path = Path(weights_path(model))
        try:
            st = path.stat()
        except OSError:
            out[model] = "none"
            continue
        key = (str(path), st.st_mtime_ns, st.st_size)
        if key not in cache:
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            cache[key] = digest.hexdigest()[:12]
        out[model] = cache[key]
    return out


class KioskCollector:
    """A ``prometheus_client`` collector that reads the kiosk at scrape time (module docstring).

    Args:
        snapshot_fn: the latest published ``/health`` snapshot (with ``status``, frozen-aware).
        histogram: the frame-time histogram.
        kiosk_id / location: ``[kiosk]``.
        exhibits_fn: the registered exhibit names (for the ``exhibit`` label).
    """

    def __init__(self, snapshot_fn: Callable[[], dict], histogram: FrameHistogram, *,
                 kiosk_id: str, location: str = "",
                 exhibits_fn: Callable[[], list[str]] = lambda: []):
        self.snapshot_fn = snapshot_fn
        self.histogram = histogram
        self.kiosk_id = kiosk_id
        self.location = location
        self.exhibits_fn = exhibits_fn
        self._weights_cache: dict = {}

    def describe(self) -> list[Metric]:
        return []  # collected only when scraped (never at registration)

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot_fn()
        self.histogram.fold()
        k = self.kiosk_id
        counters = snap.get("counters", {})

        def gauge(name: str, doc: str, value: float | None) -> Metric | None:
            if value is None:
                return None
            g = GaugeMetricFamily(name, doc, labels=["kiosk"])
            g.add_metric([k], float(value))
            return g

        def counter(name: str, doc: str, value: float) -> Metric:
            c = CounterMetricFamily(name, doc, labels=["kiosk"])
            c.add_metric([k], float(value))
            return c

        def per_exhibit(name: str, doc: str, table: dict, names: list[str],
                        family: type = CounterMetricFamily) -> Metric:
            m = family(name, doc, labels=["kiosk", "exhibit"])
            for ex in names:
                m.add_metric([k, ex], float(table.get(ex, 0)))
            return m

        def states(name: str, doc: str, known: tuple[str, ...], current: str) -> Metric:
            m = GaugeMetricFamily(name, doc, labels=["kiosk", "state"])
            for s in (*known, *(() if current in known else (current,))):
                m.add_metric([k, s], 1.0 if s == current else 0.0)
            return m

        info = InfoMetricFamily("kiosk", "this kiosk: its [kiosk] location", labels=["kiosk"])
        info.add_metric([k], {"location": self.location})
        yield info
        status = GaugeMetricFamily("kiosk_status", "1 for the current /health status",
                                   labels=["kiosk", "status"])
        current = snap.get("status", "starting")
        for s in STATUSES:
            status.add_metric([k, s], 1.0 if s == current else 0.0)
        yield status
        names = list(dict.fromkeys([*self.exhibits_fn(), *counters.get("exhibit_shown", {}),
                                    *counters.get("exhibit_errors", {})]))
        for m in (
            gauge("kiosk_snapshot_age_seconds", "age of the render loop's newest snapshot "
                  "(frozen above 2 s)", snap.get("snapshot_age_s")),
            gauge("kiosk_uptime_seconds", "seconds since the kiosk started", snap.get("uptime_s")),
            gauge("kiosk_fps", "presented frames per second over the last ~2 s", snap.get("fps")),
            gauge("kiosk_target_fps", "[display] fps", snap.get("target_fps")),
            gauge("kiosk_visitors_present", "visitors in front of the screen now",
                  snap.get("visitors_present")),
            gauge("kiosk_safe_mode", "1 in safe mode (started after a crash loop)",
                  None if "safe_mode" not in snap else int(bool(snap["safe_mode"]))),
            gauge("kiosk_config_refused", "1 while the config file on disk is refused",
                  None if "config_error" not in snap else int(bool(snap["config_error"]))),
        ):
            if m is not None:
                yield m
        h = self.histogram
        frames = HistogramMetricFamily("kiosk_frame_seconds", "work per frame: input, update, "
                                       "draw and present", labels=["kiosk"])
        frames.add_metric([k], h.buckets(), h.sum_ms / 1000.0)
        yield frames
        yield counter("kiosk_frames_over_budget", "frames whose work took longer than one "
                      "frame period (1 / fps)", h.over_budget)
        if names:
            shown = GaugeMetricFamily("kiosk_exhibit_shown", "1 for the exhibit on screen",
                                      labels=["kiosk", "exhibit"])
            on_screen = snap.get("exhibit", "")
            for ex in (*names, *BUILTIN_SCREENS):
                shown.add_metric([k, ex], 1.0 if ex == on_screen else 0.0)
            yield shown
            yield per_exhibit("kiosk_exhibit_shows", "times each exhibit was entered",
                              counters.get("exhibit_shown", {}), names)
            yield per_exhibit("kiosk_exhibit_errors", "exceptions raised by each exhibit",
                              counters.get("exhibit_errors", {}), names)
            yield per_exhibit("kiosk_exhibit_restarts", "exhibit restarts after an error",
                              counters.get("exhibit_restarts", {}), names)
            failed = snap.get("failures_today", {})
            skipped = {ex: int(failed.get(ex, 0) >= 2) for ex in names}
            yield per_exhibit("kiosk_exhibit_skipped", "1 while an exhibit is skipped for the "
                              "rest of the day (it failed twice today)", skipped, names,
                              GaugeMetricFamily)
        if counters:
            yield counter("kiosk_visits_started", "visits started",
                          counters.get("visits_started", 0))
            yield counter("kiosk_visits_ended", "visits ended", counters.get("visits_ended", 0))
        if "camera" in snap:
            cam = snap["camera"]
            yield states("kiosk_camera_state", "1 for the camera's capture state ('none': no "
                         "camera configured)", CAMERA_STATES, str(cam.get("status", "none")))
            m = gauge("kiosk_camera_frame_age_seconds", "age of the newest camera frame used",
                      cam.get("frame_age_s"))
            if m is not None:
                yield m
        if "audio" in snap:
            audio = snap["audio"]
            yield states("kiosk_audio_state", "1 for the sound output's state ('none': no sound "
                         "engine)", AUDIO_STATES, str(audio.get("status", "none")))
            yield counter("kiosk_audio_underflows", "audio buffer underflows",
                          audio.get("underflows", 0))
            yield counter("kiosk_audio_restarts", "audio device restarts",
                          audio.get("restarts", 0))
        if "analytics" in snap:
            an = snap["analytics"] or {"state": "off"}
            yield states("kiosk_analytics_state", "1 for the analytics writer's state",
                         ANALYTICS_STATES, str(an.get("state", "off")))
            for name, doc, key, fn in (
                    ("kiosk_analytics_queued", "events waiting to be written", "queued", gauge),
                    ("kiosk_analytics_written", "events written to the database", "written",
                     counter),
                    ("kiosk_analytics_dropped", "events dropped (queue full)", "dropped",
                     counter)):
                if key in an:
                    yield fn(name, doc, an[key])
        mem = snap.get("memory_mb", {}).get("now")
        if mem is not None:
            yield gauge("kiosk_memory_rss_bytes", "resident memory", mem * 1024 * 1024)
        cfg = snap.get("config")
        if cfg:
            ci = InfoMetricFamily("kiosk_config", "the running config: schema version and the "
                                  "first 12 hex digits of its file's SHA-256", labels=["kiosk"])
            ci.add_metric([k], {"schema_version": str(cfg.get("schema_version", "")),
                                "sha256": cfg.get("sha256") or "none"})
            yield ci
        models = InfoMetricFamily("kiosk_model", "shipped model weights: first 12 hex digits of "
                                  "their SHA-256 ('none': absent, plain look) and the torch "
                                  "device", labels=["kiosk", "model"])
        for model, digest in _weights_identity(self._weights_cache).items():
            models.add_metric([k, model], {"sha256": digest, "device": str(snap.get("device", ""))})
        yield models


class KioskMetrics:
    """The registry behind ``/metrics``: the kiosk collector plus the library's process metrics.

    Args:
        kiosk: a :class:`runtime.app.Kiosk` (its frame record, frame count and config are read
            at scrape time, never written).
        snapshot_fn: the health server's frozen-aware snapshot.
        kiosk_id / location: ``[kiosk]``.
    """

    def __init__(self, kiosk: Any, snapshot_fn: Callable[[], dict], *, kiosk_id: str,
                 location: str = ""):
        from runtime.registry import REGISTRY

        self.histogram = FrameHistogram(lambda: (kiosk.frame_count, kiosk.frames.all),
                                        lambda: 1000.0 / kiosk.cfg.display.fps)
        self.collector = KioskCollector(snapshot_fn, self.histogram, kiosk_id=kiosk_id,
                                        location=location, exhibits_fn=lambda: list(REGISTRY))
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        ProcessCollector(registry=self.registry)
        self._logged: set[str] = set()

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """``(body, content type)`` for a scrape with this ``Accept`` header."""
        encoder, content_type = choose_encoder(accept)
        try:
            return encoder(self.registry), content_type
        except Exception as err:  # noqa: BLE001 - a metrics bug must never reach the kiosk
            text = f"{type(err).__name__}: {err}"
            if text not in self._logged:
                self._logged.add(text)
                log.exception("metrics collection failed")
            raise


def attach_metrics(health: Any, kiosk: Any) -> KioskMetrics:
    """Serve ``kiosk``'s metrics at ``/metrics`` of ``health`` (a running or new HealthServer)."""
    health.metrics = KioskMetrics(kiosk, health.snapshot, kiosk_id=kiosk.kiosk_id,
                                  location=kiosk.cfg.kiosk.location)
    return health.metrics
