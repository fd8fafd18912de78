"""The deploy folder (issue 19): Prometheus configs and alert rules checked by ``promtool``
(including the rules' own unit tests), the Grafana dashboard's structure, and the Ansible
roll-out run for real against a headless kiosk on this machine.

``promtool`` comes with Debian's ``prometheus`` package (``make sysdeps``); the roll-out test
needs ``ansible-playbook`` (Debian's ``ansible-core``). Each skips with that reason when absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PROMTOOL = shutil.which("promtool")
ANSIBLE = shutil.which("ansible-playbook")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool is absent: install "
                                    "Debian's prometheus package (make sysdeps does)")

DASHBOARD = DEPLOY / "grafana" / "gwangju-kiosk.json"
PANEL_TYPES = {"stat", "timeseries", "state-timeline", "table", "gauge", "bargauge", "text",
               "row"}
GRAFANA_VARIABLES = {"__rate_interval", "__interval", "__range"}


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120,
                          cwd=DEPLOY / "prometheus")


@needs_promtool
def test_alert_rules_pass_promtool_check_rules():
    done = promtool("check", "rules", "kiosk-alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 9 rules found" in done.stdout


@needs_promtool
def test_alert_rules_fire_as_their_unit_tests_say():
    """Down, not reporting, frozen, fps < 55 for 5 min (not when frozen), camera lost (not for a
    kiosk without one), exhibit failing: each fires on made-up series, and not before."""
    done = promtool("test", "rules", "kiosk-alerts.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@needs_promtool
def test_prometheus_configs_pass_promtool_check_config():
    done = promtool("check", "config", "prometheus.yml", "kiosk-agent.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("is valid prometheus config file syntax") == 2


def served_metric_names(tmp_path: Path) -> set[str]:
    """Every family and sample name a kiosk's /metrics serves (from a kiosk on a fake clock,
    with an analytics writer, not started: its queue is reported all the same)."""
    from prometheus_client.parser import text_string_to_metric_families

    from runtime.analytics import Analytics
    from runtime.app import Kiosk, OffscreenPresenter
    from runtime.clock import FakeTime
    from runtime.config import default_config
    from runtime.health import HealthServer
    from runtime.metrics import attach_metrics

    clock = FakeTime()
    kiosk = Kiosk(default_config(), OffscreenPresenter((160, 90)), time_fn=clock,
                  analytics=Analytics(tmp_path / "a.sqlite"))
    kiosk.start()
    try:
        for _ in range(5):
            clock.advance(1 / 60)
            kiosk.frame()
        server = HealthServer(0, time_fn=clock)
        metrics = attach_metrics(server, kiosk)
        server.publish(kiosk.health())
        text = metrics.render()[0].decode()
    finally:
        kiosk.stop()
    families = list(text_string_to_metric_families(text))
    return {f.name for f in families} | {s.name for f in families for s in f.samples}


def test_rules_and_dashboard_use_only_metrics_the_kiosk_serves(tmp_path, pygame_headless):
    served = served_metric_names(tmp_path)
    texts = {p.name: p.read_text() for p in [DASHBOARD, DEPLOY / "prometheus" /
                                              "kiosk-alerts.yml"]}
    for name, text in texts.items():
        used = set(re.findall(r"\bkiosk_[a-z_]+\b", text)) - {"kiosk_id", "kiosk_location"}
        assert used, name
        assert used <= served, (name, sorted(used - served))


def test_the_grafana_dashboard_has_a_loadable_structure():
    """Grafana's dashboard model (schemaVersion 39): the fields it needs to import the file,
    panels on its 24-column grid without overlaps, Prometheus queries that use only defined
    variables. (test_prometheus runs every query against a real server.)"""
    d = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert isinstance(d["title"], str) and d["title"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", d["uid"])
    assert isinstance(d["schemaVersion"], int) and d["schemaVersion"] >= 36
    assert isinstance(d["version"], int) and isinstance(d["editable"], bool)
    assert d["time"]["from"].startswith("now") and d["time"]["to"] == "now"
    assert all(isinstance(t, str) for t in d["tags"])
    assert "id" not in d or d["id"] is None  # an id would tie it to one Grafana's database
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    kiosk = variables["kiosk"]
    assert kiosk["type"] == "query" and kiosk["multi"] and kiosk["includeAll"]
    assert kiosk["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert kiosk["query"]["query"] == "label_values(kiosk_info, kiosk)"
    ids, cells = set(), set()
    for p in d["panels"]:
        assert isinstance(p["id"], int) and p["id"] not in ids, p.get("title")
        ids.add(p["id"])
        assert p["type"] in PANEL_TYPES and p["title"]
        g = p["gridPos"]
        assert all(isinstance(g[k], int) for k in "xywh"), p["title"]
        assert 0 <= g["x"] and g["w"] >= 1 and g["x"] + g["w"] <= 24 and g["h"] >= 1, p["title"]
        area = {(x, y) for x in range(g["x"], g["x"] + g["w"])
                for y in range(g["y"], g["y"] + g["h"])}
        assert not area & cells, f"panel {p['title']!r} overlaps another"
        cells |= area
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert {"defaults", "overrides"} <= set(p["fieldConfig"])
        refs = [t["refId"] for t in p["targets"]]
        assert refs and len(refs) == len(set(refs)), p["title"]
        for t in p["targets"]:
            assert t["datasource"] == p["datasource"]
            assert t["expr"].strip()
            used = set(re.findall(r"\$\{?(\w+)", t["expr"]))
            assert used <= set(variables) | GRAFANA_VARIABLES, (p["title"], used)
    assert len(ids) >= 12


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as err:
        return json.loads(err.read())
    except OSError:
        return None


def sha12(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@pytest.mark.slow
@pytest.mark.skipif(ANSIBLE is None, reason="ansible-playbook is absent: install Debian's "
                    "ansible-core to run the roll-out playbook")
def test_the_rollout_checks_before_copying_and_the_running_kiosk_reloads(tmp_path):
    port = free_port()
    home = tmp_path / "kiosk"
    home.mkdir()
    museum = ("schema_version = 1\n[display]\nsize_px = [320, 180]\nfps = 30\n"
              "fullscreen = false\n[[playlist]]\nexhibit = \"diagnostic\"\nduration_s = 600\n"
              f"[health]\nport = {port}\n[analytics]\nenabled = false\n[camera]\n"
              "source = \"none\"\n[audio]\nenabled = false\n[runtime]\nlog_dir = \"logs\"\n")
    live = home / "config.toml"
    live.write_text(museum + '\n[kiosk]\nid = "gallery-5"\nlocation = "lobby"\n',
                    encoding="utf-8")
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    kiosk = subprocess.Popen([sys.executable, str(ROOT / "kiosk.py"), "run", "--config",
                              str(live)], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while (h := health(port)) is None or h.get("status") != "ok":
            assert kiosk.poll() is None, kiosk.stderr.read()[-3000:]
            assert time.monotonic() < deadline, h
            time.sleep(0.5)
        assert h["config"]["sha256"] == sha12(live) and h["kiosk"]["id"] == "gallery-5"

        inventory = tmp_path / "inventory.ini"
        inventory.write_text(
            "[kiosks]\n"
            f"gallery-5 ansible_connection=local ansible_python_interpreter={sys.executable} "
            "kiosk_id=gallery-5 kiosk_location='2F gallery 3'\n"
            "[kiosks:vars]\n"
            f"kiosk_home={home}\nkiosk_python={sys.executable}\nkiosk_script={ROOT / 'kiosk.py'}\n"
            f"health_port={port}\napply_timeout_s=60\n")
        ansible_env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                           ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"),
                           ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible-remote"),
                           ANSIBLE_HOME=str(tmp_path / "ansible-home"))

        def rollout(source: Path) -> subprocess.CompletedProcess:
            return subprocess.run(
                [ANSIBLE, "-i", str(inventory), str(DEPLOY / "ansible" / "rollout-config.yml"),
                 "-e", f"config_source={source}", "-e", f"local_python={sys.executable}"],
                capture_output=True, text=True, timeout=300, env=ansible_env)

        # A refused config stops the roll-out before any kiosk is touched.
        bad = tmp_path / "bad.toml"
        bad.write_text(museum.replace("fps = 30", "fps = 500"), encoding="utf-8")
        before = live.read_bytes()
        done = rollout(bad)
        assert done.returncode != 0
        assert "display.fps: must be 24..240, got 500" in done.stdout
        assert "PLAY [Roll it out" not in done.stdout  # no kiosk was even contacted
        assert live.read_bytes() == before and not (home / "config.toml.new").exists()

        # A good one is staged, checked on the kiosk, put in place, and hot-reloaded.
        good = tmp_path / "museum.toml"
        good.write_text(museum + "\n[exhibits.diagnostic]\ngrid_px = 60\n", encoding="utf-8")
        done = rollout(good)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        text = live.read_text(encoding="utf-8")
        assert "grid_px = 60" in text and 'id = "gallery-5"' in text
        assert 'location = "2F gallery 3"' in text
        assert not (home / "config.toml.new").exists()
        assert list(home.glob("config.toml.*~")), "the previous config is kept as a backup"
        h = health(port)
        assert h["config"]["sha256"] == sha12(live) and h["config_error"] == ""
        assert kiosk.poll() is None  # never restarted: the same process runs the new config
        assert f"gallery-5 runs config {sha12(live)}" in done.stdout
    finally:
        kiosk.send_signal(signal.SIGTERM)
        try:
            kiosk.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kiosk.kill()
            kiosk.wait(timeout=10)
