"""``/metrics`` (issue 19): the frame-time histogram, the exposition served beside ``/health``,
kiosk identity in metrics and logs, and that nothing in it names a visitor.

The real Prometheus server scraping a headless kiosk is in ``test_prometheus.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections import deque

import numpy as np
import pytest
from pilot import Pilot
from prometheus_client.parser import text_string_to_metric_families

from runtime.config import load_config, parse_config
from runtime.exhibit import BaseExhibit
from runtime.health import HealthServer
from runtime.identity import clean_id, kiosk_id
from runtime.logs import setup_logging
from runtime.metrics import FRAME_BUCKETS_MS, FrameHistogram, attach_metrics
from runtime.settings import ConfigError

SIZE = (320, 180)
NOON = dt.datetime(2026, 11, 24, 12, 0)
#: every label name a kiosk series may carry: none of them can hold a visitor
LABELS = {"kiosk", "location", "status", "exhibit", "state", "le", "model", "sha256", "device",
          "schema_version"}

CONFIG = """schema_version = 1
[kiosk]
id = "gallery-7"
location = "2층 전시실 3 · 2F gallery 3"
[display]
fps = 30
[[playlist]]
exhibit = "diagnostic"
duration_s = 600
[analytics]
enabled = false
"""


def test_the_frame_histogram_folds_only_new_frames_into_cumulative_buckets():
    record: deque[float] = deque(maxlen=1000)
    total = [0]

    def add(values):
        for v in values:
            record.append(v)
            total[0] += 1

    h = FrameHistogram(lambda: (total[0], record), lambda: 1000.0 / 60)
    first = [0.5, 1.0, 1.0001, 2.5, 16.0, 16.7, 16.71, 40.0, 2000.0]
    add(first)
    h.fold()
    h.fold()  # nothing new: nothing counted twice
    second = list(np.random.default_rng(0).gamma(4.0, 3.0, size=500))
    add(second)
    h.fold()
    every = np.asarray(first + second)
    buckets = dict(h.buckets())
    for bound_ms in FRAME_BUCKETS_MS:
        le = next(k for k in buckets if k != "+Inf" and float(k) == pytest.approx(bound_ms / 1000))
        # Prometheus' "le": a frame of exactly 1.0 ms belongs to the 1 ms bucket
        assert buckets[le] == np.count_nonzero(every <= bound_ms), bound_ms
    assert buckets["+Inf"] == h.count == len(every)
    assert h.sum_ms == pytest.approx(every.sum())
    assert h.over_budget == np.count_nonzero(every > 1000.0 / 60)
    # Frames that fell out of the loop's bounded record before a scrape are not invented.
    add([5.0] * 1500)
    h.fold()
    assert h.count == len(every) + 1000


def published(tmp_path, **pilot_kw) -> tuple[Pilot, HealthServer]:
    """A pilot on CONFIG (30 fps, at noon) whose health is served on a free port."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    pilot = Pilot(load_config(path), size=SIZE, wall_fn=lambda: NOON, **pilot_kw)
    server = HealthServer(0, time_fn=pilot.clock)
    attach_metrics(server, pilot.kiosk)
    server.start()
    return pilot, server


def run_and_publish(pilot, server, seconds):
    """``seconds`` of frames, then the snapshot published as the live loop does."""
    pilot.run(seconds)
    server.publish(pilot.kiosk.health())


def scrape(server, accept: str | None = None) -> tuple[str, str]:
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/metrics")
    if accept:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
        return r.read().decode(), r.headers["Content-Type"]


def samples(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append(s)
    return out


def value(found: dict, name: str, **labels) -> float:
    matches = [s.value for s in found[name] if all(s.labels.get(k) == v
                                                   for k, v in labels.items())]
    assert len(matches) == 1, (name, labels, found.get(name))
    return matches[0]


def test_metrics_beside_health_carry_the_kiosk_and_match_its_own_figures(tmp_path,
                                                                       pygame_headless):
    pilot, server = published(tmp_path)
    kiosk = pilot.kiosk
    try:
        run_and_publish(pilot, server, 1.0)
        pilot.press((0.5, 0.5), touch_id=0)  # a finger that stays
        run_and_publish(pilot, server, 0.5)
        text, content_type = scrape(server)
        assert content_type.startswith("text/plain")
        found = samples(text)
        assert value(found, "kiosk_info", kiosk="gallery-7") == 1
        assert found["kiosk_info"][0].labels["location"] == "2층 전시실 3 · 2F gallery 3"
        assert value(found, "kiosk_status", status="ok") == 1
        assert value(found, "kiosk_status", status="frozen") == 0
        assert value(found, "kiosk_target_fps") == 30
        assert value(found, "kiosk_fps") == pytest.approx(kiosk.health()["fps"], abs=0.5)
        # every frame the loop ran is in the histogram, once
        assert value(found, "kiosk_frame_seconds_count") == kiosk.frame_count
        assert value(found, "kiosk_exhibit_shown", exhibit="diagnostic") == 1
        assert value(found, "kiosk_exhibit_shown", exhibit="numbers") == 0
        assert value(found, "kiosk_exhibit_shows_total", exhibit="diagnostic") == 1
        assert value(found, "kiosk_visitors_present") == 1
        assert value(found, "kiosk_visits_started_total") == 1
        assert value(found, "kiosk_camera_state", state="none") == 1
        assert value(found, "kiosk_analytics_state", state="off") == 1
        assert value(found, "kiosk_config_info", sha256=kiosk.cfg.digest,
                     schema_version="1") == 1
        assert len(kiosk.cfg.digest) == 12
        assert {s.labels["model"] for s in found["kiosk_model_info"]} == {"digits", "landmarks"}
        assert value(found, "kiosk_memory_rss_bytes") > 10e6
        assert "process_cpu_seconds_total" in found
        for name, series in found.items():
            if name.startswith("kiosk_"):
                for s in series:
                    assert s.labels["kiosk"] == "gallery-7", s
                    assert set(s.labels) <= LABELS, s
                    assert not any("touch:" in v or "cam:" in v for v in s.labels.values()), s
        # A second scrape adds only the frames run since the first.
        run_and_publish(pilot, server, 1.0)
        again = samples(scrape(server)[0])
        assert value(again, "kiosk_frame_seconds_count") == kiosk.frame_count
        # OpenMetrics for a scraper that asks for it (Prometheus does).
        om, om_type = scrape(server, "application/openmetrics-text;version=1.0.0,"
                                     "text/plain;version=0.0.4;q=0.5")
        assert om_type.startswith("application/openmetrics-text") and om.endswith("# EOF\n")
        # /health is still served, with the identity, config version and counters.
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health", timeout=10) as r:
            health = json.loads(r.read())
        assert health["kiosk"] == {"id": "gallery-7", "location": "2층 전시실 3 · 2F gallery 3"}
        assert health["config"]["sha256"] == kiosk.cfg.digest
        assert health["counters"]["visits_started"] == 1
        # Read-only: nothing but GET is served.
        post = urllib.request.Request(f"http://127.0.0.1:{server.port}/metrics", data=b"x",
                                      method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(post, timeout=10)
        assert err.value.code == 501
    finally:
        server.stop()
        pilot.close()


class Boom(BaseExhibit):
    def update(self, dt: float) -> None:
        raise RuntimeError("boom")


def test_exhibit_errors_restarts_and_the_skip_are_counted(tmp_path, pygame_headless, caplog):
    caplog.set_level(logging.CRITICAL, logger="kiosk")  # the tracebacks are expected
    pilot, server = published(tmp_path, exhibit_factory=lambda name, ctx: Boom(ctx, None))
    try:
        run_and_publish(pilot, server, 0.5)
        found = samples(scrape(server)[0])
        assert value(found, "kiosk_exhibit_errors_total", exhibit="diagnostic") == 2
        assert value(found, "kiosk_exhibit_restarts_total", exhibit="diagnostic") == 1
        assert value(found, "kiosk_exhibit_shows_total", exhibit="diagnostic") == 2
        assert value(found, "kiosk_exhibit_skipped", exhibit="diagnostic") == 1
        assert value(found, "kiosk_exhibit_shown", exhibit="safe") == 1
        assert value(found, "kiosk_status", status="degraded") == 1
    finally:
        server.stop()
        pilot.close()


def test_a_frozen_loop_shows_in_metrics_while_health_answers_503(tmp_path, pygame_headless):
    pilot, server = published(tmp_path)
    try:
        run_and_publish(pilot, server, 0.5)
        pilot.stall(3.0)  # no frame and no publish for 3 s: the loop is stuck
        found = samples(scrape(server)[0])  # still 200, or Prometheus would only see "down"
        assert value(found, "kiosk_status", status="frozen") == 1
        assert value(found, "kiosk_snapshot_age_seconds") >= 3.0
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health", timeout=10)
        assert err.value.code == 503
    finally:
        server.stop()
        pilot.close()


def test_kiosk_identity_is_validated_and_defaults_to_the_host_name():
    with pytest.raises(ConfigError) as err:
        parse_config({"schema_version": 1, "kiosk": {"id": "gallery 2"}})
    assert "kiosk.id" in str(err.value) and "letters, digits" in str(err.value)
    with pytest.raises(ConfigError) as err:
        parse_config({"schema_version": 1, "kiosk": {"location": "x" * 121}})
    assert "kiosk.location" in str(err.value) and "120" in str(err.value)
    default = parse_config({"schema_version": 1})
    assert default.kiosk.id == "" and kiosk_id(default.kiosk)  # the host name
    assert clean_id("Gallery PC #2 (east)") == "Gallery-PC-2-east"
    assert clean_id("전시실") == "kiosk"


def test_log_lines_carry_the_kiosk_id(tmp_path):
    path = setup_logging("info", tmp_path, kiosk="gallery-7")
    try:
        logging.getLogger("kiosk.test").info("hello")
        line = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
        assert line["kiosk"] == "gallery-7" and line["msg"] == "hello"
    finally:
        setup_logging("info", None)
