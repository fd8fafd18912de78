"""The watchdog (frozen loop, sd_notify, hung exhibits), the crash-loop safe mode and ``/health``
from a running kiosk."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import urllib.request

import numpy as np
import pytest
from pilot import Pilot, Wall

from runtime.clock import FakeTime
from runtime.health import HealthServer
from runtime.safemode import StartLedger, WatchdogConfig
from runtime.watchdog import FROZEN_EXIT_CODE, Watchdog, sd_notify

TUESDAY_NOON = dt.datetime(2026, 11, 24, 12, 0)


def test_a_frozen_loop_is_detected_and_ends_the_process(caplog):
    t = FakeTime(100.0)
    exits = []
    wd = Watchdog(freeze_s=5.0, exit_after_s=10.0, time_fn=t, on_exit=exits.append)
    wd.beat()
    t.advance(1.0)
    assert wd.check()
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        t.advance(6.0)
        assert not wd.check()
    assert wd.frozen and wd.freezes == 1
    assert "render loop frozen" in caplog.text and "main thread is at" in caplog.text
    assert exits == []
    t.advance(10.0)
    wd.check()
    assert exits == [FROZEN_EXIT_CODE]
    wd.beat()
    assert wd.check() and not wd.frozen


def test_sd_notify_speaks_the_systemd_protocol(tmp_path, monkeypatch):
    sock_path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(sock_path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(sock_path))
        assert sd_notify("READY=1")
        assert server.recv(64) == b"READY=1"
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert not sd_notify("WATCHDOG=1")


def test_health_endpoint_answers_json(pygame_headless):
    pilot = Pilot(wall_fn=Wall(TUESDAY_NOON))
    kiosk = pilot.kiosk
    server = HealthServer(0)
    server.start()
    try:
        pilot.run(1.0, fps=30)
        server.publish(kiosk.health())
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health", timeout=5) as r:
            assert r.headers["Content-Type"].startswith("application/json")
            body = json.loads(r.read())
        assert body["status"] == "ok" and body["exhibit"] == "diagnostic"
        assert {"uptime_s", "fps", "camera", "audio", "last_error"} <= set(body)
        assert body["fps"] == pytest.approx(30, abs=1)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/other", timeout=5)
        assert err.value.code == 404
    finally:
        server.stop()
        pilot.close()


def test_the_watchdog_notes_the_hung_exhibit_and_the_next_start_learns_it(tmp_path):
    now = [5000.0]
    ledger = StartLedger(tmp_path / "starts.json", time_fn=lambda: now[0])
    ledger.record_start(WatchdogConfig())
    exits: list[int] = []
    clock = [0.0]
    dog = Watchdog(freeze_s=2.0, exit_after_s=5.0, time_fn=lambda: clock[0],
                   on_exit=exits.append, on_give_up=lambda: ledger.record_hang("city"))
    clock[0] = 3.0
    assert not dog.check() and not exits  # frozen, not yet given up: nothing noted
    assert "hung" not in json.loads((tmp_path / "starts.json").read_text())[-1]
    clock[0] = 7.5
    dog.check()
    assert exits == [FROZEN_EXIT_CODE]
    later = StartLedger(tmp_path / "starts.json", time_fn=lambda: now[0] + 60)
    later.record_start(WatchdogConfig())
    assert later.hung_today(day_start=now[0] - 10) == {"city"}
    assert later.hung_today(day_start=now[0] + 1) == set()  # a hang from yesterday is forgiven


def test_repeated_crashes_start_safe_mode(tmp_path):
    cfg = WatchdogConfig(crash_loop_count=3, crash_loop_window_s=600)
    now = [1000.0]
    ledger_path = tmp_path / "starts.json"

    def start():
        ledger = StartLedger(ledger_path, time_fn=lambda: now[0])
        return ledger, ledger.record_start(cfg)

    ledger, safe = start()
    ledger.record_clean_stop()
    assert not safe
    for _ in range(3):  # three crashes: no clean stop recorded
        now[0] += 30
        _, safe = start()
        assert not safe
    now[0] += 30
    ledger, safe = start()
    assert safe
    now[0] += 3600  # an hour later the crashes are old news
    _, safe = start()
    assert not safe


def test_safe_mode_shows_in_health(pygame_headless):
    pilot = Pilot(wall_fn=Wall(TUESDAY_NOON), safe_mode=True)
    kiosk = pilot.kiosk
    try:
        pilot.run(0.2, fps=30)
        assert kiosk.current.exhibit.ctx.safe_mode
        h = kiosk.health()
        assert h["safe_mode"] and h["status"] == "degraded"
    finally:
        pilot.close()


def test_health_lines_render_in_the_panel(pygame_headless, assets):
    from runtime.admin import health_lines

    pilot = Pilot(wall_fn=Wall(TUESDAY_NOON))
    kiosk = pilot.kiosk
    try:
        pilot.run(0.5, fps=30)
        lines = health_lines(kiosk.health())
        assert lines[0].startswith("status ok") and any("fps" in ln for ln in lines)
        assert np.isfinite(kiosk.health()["frame_p99_ms"])
    finally:
        pilot.close()
