"""Hardening of the running kiosk (issue 16): analytics under a locked database (start-up not
delayed, nothing lost, a bounded queue) and the visitor-path recording's privacy default.

Each test here failed before its fix; the comment on each says what it used to do.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pilot import Pilot

from runtime.admin import (
    health_lines,
)
from runtime.analytics import Analytics, AnalyticsConfig, connect
from runtime.check import check
from runtime.config import default_config
from runtime.events import VisitorEvent


# --- 8. analytics with a locked database ----------------------------------------------------------
def lock(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    return con


def wait_for(cond, timeout_s=15.0):
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_locked_database_at_start_neither_delays_start_up_nor_loses_events(pygame_headless,
                                                                             tmp_path):
    # Before: start() waited 10 s for the lock, then raised: analytics off until restart.
    db = tmp_path / "a.sqlite"
    connect(db).close()
    holder = lock(db)
    analytics = Analytics(db, AnalyticsConfig(flush_s=0.05), retry_min_s=0.05, retry_max_s=0.2)
    t0 = time.perf_counter()
    analytics.start()
    assert time.perf_counter() - t0 < 0.5
    pilot = Pilot(default_config(), size=(160, 90), analytics=analytics, start=False)
    kiosk = pilot.kiosk
    try:
        kiosk.start()  # records exhibit_shown
        wait_for(lambda: analytics.status()["state"] == "retrying")
        health = kiosk.health()["analytics"]
        assert health["queued"] >= 1 and "locked" in health["error"]
        assert any(ln.startswith("analytics retrying") for ln in health_lines(kiosk.health()))
        holder.execute("COMMIT")
        holder.close()
        wait_for(lambda: analytics.written >= 1)
        assert kiosk.health()["analytics"]["state"] == "ok"
    finally:
        pilot.close()
        analytics.close()
    assert sqlite3.connect(db).execute(
        "SELECT COUNT(*) FROM events WHERE kind = 'exhibit_shown'").fetchone() == (1,)


def test_a_lock_while_running_keeps_a_bounded_queue_and_logs_once(tmp_path, caplog):
    # Before: the first locked write switched analytics off until restart.
    db = tmp_path / "b.sqlite"
    analytics = Analytics(db, AnalyticsConfig(flush_s=0.05), max_queued=20, retry_min_s=0.05,
                          retry_max_s=0.1)
    with caplog.at_level(logging.INFO, logger="kiosk.analytics"):
        analytics.start()
        analytics.record("touch", "numbers", value=-1)
        wait_for(lambda: analytics.written == 1)
        holder = lock(db)
        for i in range(30):
            analytics.record("touch", "numbers", value=i)
        wait_for(lambda: analytics.status()["state"] == "retrying")
        wait_for(lambda: analytics.status()["queued"] == 20)  # the writer is backing off
        time.sleep(1.0)  # several retries while still locked
        assert analytics.status()["dropped"] == 10
        holder.execute("COMMIT")
        holder.close()
        wait_for(lambda: analytics.written == 21)
        analytics.close()
    values = [v for (v,) in sqlite3.connect(db).execute(
        "SELECT value FROM events ORDER BY id")]
    assert values == [-1.0] + [float(i) for i in range(10, 30)]  # the oldest were dropped
    assert caplog.text.count("analytics cannot write") == 1
    assert caplog.text.count("analytics writing to") == 1


# --- 7. recordings: touch and mouse only unless asked ---------------------------------------------
@pytest.mark.parametrize("record_camera", [False, True])
def test_the_recording_holds_camera_paths_only_when_enabled(pygame_headless, tmp_path,
                                                            record_camera):
    # Before: every camera visitor's x, y, w, h went to the file every frame.
    rec = tmp_path / "rec.jsonl"
    base = default_config()
    cfg = replace(base, input=replace(base.input, record_path=str(rec),
                                      record_camera=record_camera))
    with Pilot(cfg, size=(160, 90)) as pilot:
        pilot.script([VisitorEvent("enter", "cam:1", "camera", (0.3, 0.4), t=pilot.now)])
        pilot.press((0.6, 0.5))  # touch:1:0
        for _ in range(3):
            pilot.frame(fps=30)
        pilot.script([VisitorEvent("move", "cam:1", "camera", (0.35, 0.4), t=pilot.now)])
        pilot.release()
        pilot.frame(fps=30)
    rows = [json.loads(line) for line in rec.read_text().splitlines()]
    assert {r["source"] for r in rows} == ({"touch", "camera"} if record_camera else {"touch"})
    assert all(set(r) <= {"t", "kind", "id", "source", "x", "y", "w", "h"} for r in rows)


def test_check_warns_when_camera_recording_is_on(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('schema_version = 1\n[input]\nrecord_path = "r.jsonl"\nrecord_camera = true\n')
    out: list[str] = []
    assert check(path, render=False, out=out.append) == 0
    assert any("note: input.record_camera is on" in ln for ln in out), out
