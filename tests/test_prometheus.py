"""A real Prometheus server scrapes a headless kiosk's ``/metrics`` (issue 19).

Debian's ``prometheus`` package (``make sysdeps`` installs it, like Xvfb) provides the server;
the test starts its own process on a free 127.0.0.1 port with a temporary config and storage
folder, scraping ``kiosk.py bench --health-port`` every second (the deploy folder's alert rules
loaded too), then asks Prometheus' HTTP API for the kiosk's fps and frame-time quantiles and
compares them with the bench's own figures for the same run. It also runs every expression of
the Grafana dashboard against the scraped data. Nothing leaves localhost; no timing is asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from runtime.metrics import FRAME_BUCKETS_MS

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PROMETHEUS = shutil.which("prometheus")
KIOSK = "bench-kiosk"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PROMETHEUS is None, reason="the prometheus binary is absent: install "
                       "Debian's prometheus package (make sysdeps does)"),
]

#: dashboard expressions that are allowed to find nothing on a bench run: nothing is skipped
#: and a bench has no analytics database (NullAnalytics reports no queue)
MAY_BE_EMPTY = ("kiosk_exhibit_skipped", "kiosk_analytics_queued", "kiosk_analytics_dropped")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(port: int, path: str, **params) -> dict:
    url = f"http://127.0.0.1:{port}/api/v1/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=30) as r:
        body = json.loads(r.read())
    assert body["status"] == "success", body
    return body["data"]


def query(port: int, expr: str, **params) -> list:
    """The result of an instant (or range-vector) query."""
    return api(port, "query", query=expr, **params)["result"]


def bucket_width_ms(value_ms: float) -> float:
    """Width of the histogram bucket holding ``value_ms`` (how far interpolation may stray)."""
    bounds = (0.0, *FRAME_BUCKETS_MS)
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        if value_ms <= hi:
            return hi - lo
    return float("inf")


@pytest.fixture
def prometheus(tmp_path):
    """A Prometheus on a free localhost port scraping a kiosk on another; yields both ports."""
    kiosk_port, prom_port = free_port(), free_port()
    rules = tmp_path / "kiosk-alerts.yml"
    shutil.copy(DEPLOY / "prometheus" / "kiosk-alerts.yml", rules)
    config = tmp_path / "prometheus.yml"
    # JSON is YAML: the same scrape job as deploy/prometheus, every second.
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                   "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [{
            "job_name": "gwangju-kiosk", "honor_labels": True,
            "static_configs": [{"targets": [f"127.0.0.1:{kiosk_port}"],
                                "labels": {"kiosk": KIOSK, "instance": KIOSK}}]}],
    }))
    log = open(tmp_path / "prometheus.log", "w")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/-/ready",
                                            timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("prometheus did not start: "
                            + (tmp_path / "prometheus.log").read_text()[-2000:])
            time.sleep(0.3)
        yield kiosk_port, prom_port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def test_prometheus_scrapes_a_headless_kiosk_and_agrees_with_its_bench(tmp_path, prometheus):
    kiosk_port, prom_port = prometheus
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'schema_version = 1\n[kiosk]\nid = "{KIOSK}"\nlocation = "test bench"\n'
                   '[analytics]\nenabled = false\n', encoding="utf-8")
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    # --warmup 0: the bench's figures then cover the same frames the histogram counts.
    bench = subprocess.run(
        [sys.executable, str(ROOT / "kiosk.py"), "bench", "numbers", "--seconds", "15",
         "--size", "960x540", "--visitors", "sim", "--warmup", "0", "--json",
         "--health-port", str(kiosk_port), "--config", str(cfg)],
        capture_output=True, text=True, timeout=300, env=env)
    assert bench.returncode == 0, bench.stderr[-3000:]
    r = json.loads(bench.stdout.strip().splitlines()[-1])["bench"][0]
    assert r["health_port"] == kiosk_port and r["frames"] > 100

    # Every scrape Prometheus made of the frame counter, with its timestamp.
    series = query(prom_port, f'kiosk_frame_seconds_count{{kiosk="{KIOSK}"}}[10m]')
    assert len(series) == 1, series
    scraped = [(float(t), float(v)) for t, v in series[0]["values"]]
    assert len(scraped) >= 8, scraped  # ~1 per second while the bench ran
    t_last, frames_last = scraped[-1]
    running = [(t, v) for t, v in scraped if v > 0]
    (t0, c0), (t1, c1) = running[0], running[-1]

    # fps: frames between the first and last scrape over the time between them, as the
    # bench's frames over its run time.
    prom_fps = (c1 - c0) / (t1 - t0)
    print(f"fps: prometheus {prom_fps:.2f}, bench {r['fps']:.2f}; frames: last scrape "
          f"{frames_last:.0f}, bench {r['frames']}")
    assert prom_fps == pytest.approx(r["fps"], rel=0.05), (prom_fps, r["fps"])
    # The kiosk's own fps gauge (presents over its last ~2 s) against the frame counter's rate
    # over the last ~2 s of scrapes (the run's start-up is slower than its end).
    gauge = float(query(prom_port, f'kiosk_fps{{kiosk="{KIOSK}"}}', time=t_last)[0]["value"][1])
    (ta, ca), (tb, cb) = running[-3], running[-1]
    recent = (cb - ca) / (tb - ta)
    print(f"kiosk_fps gauge at the last scrape {gauge:.1f}, counter rate then {recent:.1f}")
    assert gauge == pytest.approx(recent, rel=0.15)
    # The histogram saw the frames up to the last scrape (a second or so before the end), and
    # never more than ran (test_metrics checks the count exactly on a fake clock).
    assert r["frames"] - 4 * r["fps"] <= frames_last <= r["frames"]

    # Frame-time quantiles from the histogram's buckets vs the bench's exact percentiles: they
    # may differ by the width of the bucket holding the value (linear interpolation inside
    # it), plus a little for the frames run after the last scrape.
    for q, key in ((0.5, "p50"), (0.95, "p95")):
        got = query(prom_port, time=t_last, expr=(
            f'histogram_quantile({q}, kiosk_frame_seconds_bucket{{kiosk="{KIOSK}"}})'))
        prom_ms = float(got[0]["value"][1]) * 1000.0
        bench_ms = r["frame_ms"][key]
        print(f"{key}: prometheus {prom_ms:.2f} ms, bench {bench_ms:.2f} ms")
        assert abs(prom_ms - bench_ms) <= bucket_width_ms(bench_ms) + 0.5, (key, prom_ms,
                                                                          bench_ms)

    # Identity and state as Prometheus stored them.
    info = query(prom_port, "kiosk_info", time=t_last)
    assert info[0]["metric"]["kiosk"] == KIOSK and info[0]["metric"]["location"] == "test bench"
    shown = query(prom_port, "kiosk_exhibit_shown == 1", time=t_last)
    assert [s["metric"]["exhibit"] for s in shown] == ["numbers"]
    status = query(prom_port, "kiosk_status == 1", time=t_last)
    assert [s["metric"]["status"] for s in status] == ["ok"]

    # The deploy folder's alert rules load and evaluate without error on real data.
    groups = api(prom_port, "rules")["groups"]
    rules = [rule for g in groups for rule in g["rules"]]
    assert len(rules) == 9
    assert all(rule["health"] == "ok" for rule in rules), [
        (rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"]

    # Every Grafana dashboard query runs, and finds data where a bench run has any.
    dashboard = json.loads((DEPLOY / "grafana" / "gwangju-kiosk.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 15
    for expr in exprs:
        concrete = expr.replace("$kiosk", KIOSK).replace("$__rate_interval", "1m")
        found = query(prom_port, concrete, time=t_last)
        values = [float(s["value"][1]) for s in found]
        if not any(name in expr for name in MAY_BE_EMPTY):
            assert found, f"dashboard query found nothing: {expr}"
            assert all(np.isfinite(values)), (expr, values)
