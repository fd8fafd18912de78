"""Fault injection: a test-only exhibit (tests/fault_exhibit.py) raises, exits, hangs or loses the
display inside the real kiosk, and the kiosk shows the next exhibit or the calm screen, ``/health``
reports it, and the ledgers count it.

Two ledgers count faults: exhibit faults the engine survives in-process are counted in
``failures_today`` / ``last_error`` (``/health``) and as ``error``/``recovery`` rows in the
analytics database; process crashes (an exception escaping the loop, the watchdog's exit 70 after
a hang) are unclean starts in ``logs/starts.json``, which lead to safe mode. A hung exhibit is not
survived in-process: Python cannot interrupt it, so the watchdog ends the process and systemd
restarts it (see the hang test).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import fault_exhibit
import pytest

from exhibits import REGISTRY
from runtime.analytics import Analytics, AnalyticsConfig
from runtime.app import Kiosk, OffscreenPresenter, replace_playlist
from runtime.clock import FakeTime
from runtime.config import default_config
from runtime.health import HealthServer

ROOT = Path(__file__).resolve().parent.parent
SIZE = (320, 180)


@pytest.fixture
def faults(monkeypatch):
    """The fault exhibits, registered for this test only."""
    for name in fault_exhibit.SETTINGS:
        monkeypatch.setitem(REGISTRY, name, None)  # so monkeypatch removes them afterwards
    fault_exhibit.install(REGISTRY)


def get_health(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def run_kiosk(playlist, tmp_path, seconds=3.0, fps=30):
    """A real Kiosk (registry factory, real analytics database, real health server) driven for
    ``seconds`` of its clock; returns (kiosk, HTTP status, /health body, analytics db path)."""
    db = tmp_path / "analytics.sqlite"
    analytics = Analytics(db, AnalyticsConfig(flush_s=0.1))
    analytics.start()
    clock = FakeTime()
    kiosk = Kiosk(replace_playlist(default_config(), *playlist), OffscreenPresenter(SIZE),
                  time_fn=clock, analytics=analytics)
    server = HealthServer(0)
    server.start()
    try:
        kiosk.start()
        for _ in range(int(seconds * fps)):
            clock.advance(1 / fps)
            kiosk.frame()
        server.publish(kiosk.health())
        status, body = get_health(server.port)
    finally:
        server.stop()
        kiosk.stop()
        analytics.close()
    return kiosk, status, body, db


@pytest.mark.parametrize(("name", "where", "error"), [
    ("fault_update", "update", "RuntimeError"),
    ("fault_draw", "draw", "RuntimeError"),
    ("fault_exit", "update", "SystemExit"),
])
def test_a_faulting_exhibit_is_skipped_the_next_one_shows_and_it_is_counted(
        pygame_headless, faults, tmp_path, name, where, error):
    kiosk, status, body, db = run_kiosk([(name, 600), ("diagnostic", 600)], tmp_path)
    # Restarted once, failed again, skipped: the playlist went on to the next exhibit.
    assert kiosk.failures == {name: 2}
    assert status == 200 and body["status"] == "degraded"
    assert body["exhibit"] == "diagnostic"
    assert body["failures_today"] == {name: 2}
    assert body["last_error"].startswith(f"{name}.{where}: {error}")
    con = sqlite3.connect(db)
    rows = dict(con.execute("SELECT kind, SUM(count) FROM daily WHERE exhibit = ? "
                            "GROUP BY kind", (name,)).fetchall())
    assert rows["error"] == 2 and rows["recovery"] == 1
    label = con.execute("SELECT DISTINCT label FROM events WHERE kind = 'error'").fetchall()
    assert label == [(f"{where}:{error}",)]


def test_when_nothing_can_run_the_calm_screen_shows_and_health_says_so(pygame_headless, faults,
                                                                       tmp_path):
    kiosk, status, body, _ = run_kiosk([("fault_update", 600), ("fault_exit", 600)], tmp_path)
    assert kiosk.failures == {"fault_update": 2, "fault_exit": 2}
    assert body["exhibit"] == "safe" and body["status"] == "degraded"
    assert status == 200  # degraded but alive: monitoring sees the loop running


# --- process-level faults: the real run loop in a subprocess -----------------------------------
DRIVER = textwrap.dedent("""
    import sys
    sys.path[:0] = [{root!r}, {tests!r}]
    from pathlib import Path
    from exhibits import REGISTRY
    import fault_exhibit
    fault_exhibit.install(REGISTRY)  # tests only: the product's registry never has it
    from runtime.config import load_config
    from runtime.run import run
    path = Path(sys.argv[1])
    sys.exit(run(load_config(path), config_path=path))
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path: Path, mode: str, port: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(f"""
        schema_version = 1
        [display]
        size_px = [320, 180]
        fullscreen = false
        fps = 30
        [[playlist]]
        exhibit = "fault"
        duration_s = 600
        [exhibits.fault]
        mode = "{mode}"
        after_s = 1.0
        hang_s = 120
        [health]
        port = {port}
        [watchdog]
        freeze_s = 2.0
        exit_after_s = 5.0
        crash_loop_count = 2
        crash_loop_window_s = 600
        [analytics]
        enabled = false
        [audio]
        enabled = false
        [camera]
        source = "none"
        [runtime]
        log_dir = "logs"
    """))
    return path


def start_kiosk(cfg: Path) -> subprocess.Popen:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    env.pop("NOTIFY_SOCKET", None)
    code = DRIVER.format(root=str(ROOT), tests=str(ROOT / "tests"))
    return subprocess.Popen([sys.executable, "-c", code, str(cfg)], env=env, cwd=cfg.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def poll_health(port: int, until, timeout_s: float = 60.0) -> tuple[int, dict]:
    """GET /health until ``until(status, body)``; the last answer."""
    deadline = time.monotonic() + timeout_s
    last: tuple[int, dict] = (0, {})
    while time.monotonic() < deadline:
        try:
            last = get_health(port)
            if until(*last):
                return last
        except (OSError, ValueError):
            pass  # not listening yet
        time.sleep(0.2)
    raise AssertionError(f"/health never matched; last answer {last}")


def ledger(tmp_path: Path) -> list[dict]:
    return json.loads((tmp_path / "logs" / "starts.json").read_text())


def test_a_hung_exhibit_shows_frozen_in_health_the_watchdog_ends_the_process_and_the_next_start_skips_it(tmp_path):  # noqa: E501
    """Not survivable in-process: the watchdog logs the stack, notes the exhibit, exits 70, the
    start is unclean; the restarted kiosk skips that exhibit for the day instead of freezing
    again (here the calm screen shows: nothing else is in the playlist)."""
    port = free_port()
    cfg = write_config(tmp_path, "hang", port)
    proc = start_kiosk(cfg)
    try:
        status, body = poll_health(port, lambda s, b: s == 200 and b.get("status") == "ok")
        assert body["exhibit"] == "fault"
        status, body = poll_health(port, lambda s, b: b.get("status") == "frozen", 30)
        assert status == 503 and body["snapshot_age_s"] >= 2.0  # rounded to 0.01 s
        assert proc.wait(timeout=30) == 70  # FROZEN_EXIT_CODE
    finally:
        proc.kill()
        proc.communicate()
    assert ledger(tmp_path)[-1]["clean"] is False
    assert ledger(tmp_path)[-1]["hung"] == "fault"
    log = (tmp_path / "logs" / "kiosk.log").read_text()
    assert "render loop frozen" in log and "fault_exhibit.py" in log  # the stack names it
    proc = start_kiosk(cfg)  # systemd's restart
    try:
        status, body = poll_health(port, lambda s, b: s == 200 and b.get("exhibit") == "safe")
        assert body["failures_today"] == {"fault": 2}
        time.sleep(3.0)  # longer than the fault's after_s: it would have hung by now
        status, body = get_health(port)
        assert status == 200 and body["exhibit"] == "safe"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.communicate()
    assert "froze the render loop earlier today" in (tmp_path / "logs" / "kiosk.log").read_text()


def test_a_crash_is_not_a_clean_stop_and_repeated_crashes_start_safe_mode(tmp_path):
    port = free_port()
    cfg = write_config(tmp_path, "display", port)
    for attempt in (1, 2):
        proc = start_kiosk(cfg)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err  # an uncaught exception, like kiosk.py's own exit
        assert "pygame.error" in err
        entries = ledger(tmp_path)
        assert len(entries) == attempt and entries[-1]["clean"] is False
    log = (tmp_path / "logs" / "kiosk.log").read_text()
    assert "kiosk crashed; this start is recorded as a crash" in log
    # Third start: two unclean exits within the window → safe mode, which the exhibit survives.
    proc = start_kiosk(cfg)
    try:
        status, body = poll_health(port, lambda s, b: s == 200 and b.get("safe_mode"))
        assert body["status"] == "degraded" and body["exhibit"] == "fault"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.communicate()
    assert ledger(tmp_path)[-1]["clean"] is True  # a normal stop is still clean
    assert "starting in SAFE MODE" in (tmp_path / "logs" / "kiosk.log").read_text()
