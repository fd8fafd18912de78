"""Anonymous analytics: a simulated day, crash safety, the privacy schema, retention, reports."""

from __future__ import annotations

import csv
import datetime as dt
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pilot import Pilot

from runtime.analytics import (
    SCHEMA_VERSION,
    Analytics,
    AnalyticsConfig,
    connect,
    known_kinds,
    prune,
)
from runtime.clock import FakeTime
from runtime.config import default_config
from runtime.report import report
from runtime.visits import VisitConfig

ROOT = Path(__file__).resolve().parent.parent


class SimClock:
    """Kiosk seconds and local wall time advancing together."""

    def __init__(self, start: dt.datetime):
        self.start = start
        self.t = FakeTime()

    def wall(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.t())


def test_a_simulated_day_produces_the_expected_counts(pygame_headless, tmp_path):
    clock = SimClock(dt.datetime(2026, 11, 24, 9, 0))
    db = tmp_path / "a.sqlite"
    analytics = Analytics(db, AnalyticsConfig(flush_s=0.1), wall_fn=clock.wall)
    analytics.start()
    cfg = replace(default_config(), visits=VisitConfig(idle_s=20.0, warning_s=5.0))
    with Pilot(cfg, size=(160, 90), clock=clock.t, wall_fn=clock.wall,
               analytics=analytics) as pilot:
        # Visits at 10:00 (3 taps 10 s apart), 10:30 (1 tap), 14:00 (5 taps with two fingers);
        # the hours between pass at one frame a second, the visits at ten.
        for (hour, minute), n_taps, gap_s in (((10, 0), 3, 10.0), ((10, 30), 1, 0.2),
                                              ((14, 0), 5, 4.0)):
            target = dt.datetime(2026, 11, 24, hour, minute)
            pilot.run(max(0.0, (target - clock.wall()).total_seconds()), fps=1)
            for i in range(n_taps):
                pilot.press((0.5, 0.5), finger=i % 2, touch_id=0)  # down and up in one frame
                pilot.release(finger=i % 2, touch_id=0)
                pilot.run(gap_s, fps=10)
            pilot.run(30, fps=10)  # idle_s passes: the visit ends
    analytics.close()

    assert analytics.today()["visits"] == 3
    con = sqlite3.connect(db)
    visits = con.execute("SELECT hour, value FROM events WHERE kind = 'visit_end' "
                         "ORDER BY ts").fetchall()
    assert [h for h, _ in visits] == [10, 10, 14]
    assert visits[0][1] == pytest.approx(20.2, abs=0.5)  # last tap 20.2 s after the first
    assert visits[1][1] == pytest.approx(0.0, abs=0.3)
    touches = con.execute("SELECT exhibit, SUM(count) FROM daily WHERE kind = 'touch' "
                          "GROUP BY exhibit").fetchall()
    assert touches == [("diagnostic", 9)]
    starts = con.execute("SELECT SUM(count) FROM daily WHERE kind = 'visit_start'").fetchone()
    assert starts == (3,)
    peaks = [v for (v,) in con.execute("SELECT value FROM events WHERE kind = 'visitors_peak'")]
    assert len(peaks) == 3 and all(p >= 1 for p in peaks)
    assert con.execute("SELECT COUNT(*) FROM events WHERE kind = 'exhibit_shown'").fetchone()[0] \
        == 1


WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from runtime.analytics import Analytics, AnalyticsConfig
    a = Analytics({db!r}, AnalyticsConfig(flush_s=0.02))
    a.start()
    last = -1
    while True:
        for _ in range(50):
            a.record("touch", "numbers")
        time.sleep(0.005)
        if a.written != last:
            last = a.written
            print("committed", last, flush=True)
""")


def test_the_writer_survives_being_killed_mid_write(tmp_path):
    db = tmp_path / "crash.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), db=str(db))],
                            stdout=subprocess.PIPE, text=True)
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 3000 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("committed"):
            committed = int(line.split()[1])
    proc.send_signal(signal.SIGKILL)  # no clean-up at all, as in a power cut of the process
    proc.wait(timeout=10)
    assert committed >= 3000
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert stored >= committed
    assert con.execute("SELECT SUM(count) FROM daily").fetchone()[0] == stored


def test_nothing_stored_can_hold_an_image_or_a_trajectory(tmp_path):
    con = connect(tmp_path / "s.sqlite")
    allowed = {
        "events": {"id", "ts", "day", "hour", "exhibit", "kind", "value", "label", "kiosk"},
        "daily": {"day", "hour", "exhibit", "kind", "label", "count", "total", "kiosk"},
        "meta": {"key", "value"},
    }
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == set(allowed)
    for table, columns in allowed.items():
        info = con.execute(f"PRAGMA table_info({table})").fetchall()
        assert {c[1] for c in info} == columns
        assert not any(c[2].upper() == "BLOB" for c in info)  # no place for an image
    # One number and a short label per event: no room for a position list.
    insert = ("INSERT INTO events (ts, day, hour, exhibit, kind, value, label) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)")
    with pytest.raises(sqlite3.IntegrityError):
        con.execute(insert, (0, "2026-11-24", 10, "numbers", "touch", 1, "x" * 49))
    # A kind is a short lowercase word: no room for coordinates either.
    for kind in ("trajectory:0.25,0.75", "x" * 33, "Position", ""):
        with pytest.raises(sqlite3.IntegrityError):
            con.execute(insert, (0, "2026-11-24", 10, "numbers", kind, 1, ""))
    with pytest.raises(ValueError):
        Analytics(tmp_path / "t.sqlite").record("position")
    assert "position" not in known_kinds() and "image" not in known_kinds()


def test_retention_prunes_raw_events_and_keeps_daily_totals(tmp_path):
    db = tmp_path / "r.sqlite"
    day = [dt.datetime(2026, 1, 1, 12)]
    a = Analytics(db, AnalyticsConfig(flush_s=0.05, retention_days=30), wall_fn=lambda: day[0])
    a.start()
    a.record("visit_end", "city", 42.0)
    day[0] = dt.datetime(2026, 3, 1, 12)
    a.record("visit_end", "city", 10.0)
    a.close()
    con = connect(db)
    assert prune(con, 30, dt.date(2026, 3, 1)) == 1
    assert con.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1
    assert con.execute("SELECT SUM(count), SUM(total) FROM daily").fetchone() == (2, 52.0)


def test_schema_is_versioned_and_refuses_newer_databases(tmp_path):
    db = tmp_path / "v.sqlite"
    con = connect(db)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == \
        (str(SCHEMA_VERSION),)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(sqlite3.DatabaseError, match="newer than this kiosk"):
        connect(db)


def generated_week(db: Path) -> None:
    from runtime.analytics import write_batch

    con = connect(db)
    rows = []
    start = dt.datetime(2026, 11, 16, 10)
    for day in range(7):
        for visit in range(day + 2):
            t = (start + dt.timedelta(days=day, hours=visit % 8, minutes=visit)).timestamp()
            rows += [(t, "numbers", "visit_start", 1, ""), (t + 60, "numbers", "visit_end",
                                                             30 + visit * 20, ""),
                     (t + 5, "numbers", "touch", 1, ""), (t + 6, "numbers", "seed_planted", 1,
                                                          ""),
                     (t + 9, "city", "landmark_discovered", 1, f"landmark-{visit % 3}")]
    write_batch(con, rows)
    con.close()


def test_report_on_a_generated_week_writes_plots_and_csv(tmp_path):
    db = tmp_path / "week.sqlite"
    generated_week(db)
    out = tmp_path / "report"
    files = report(db, out, dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    for f in files:
        assert f.exists() and f.stat().st_size > 0
    from PIL import Image

    for png in out.glob("*.png"):
        with Image.open(png) as im:
            assert im.size == (800, 400)
    rows = list(csv.DictReader(open(out / "daily.csv", encoding="utf-8")))
    numbers = [r for r in rows if r["exhibit"] == "numbers"]
    assert [int(r["visit_start"]) for r in numbers] == [2, 3, 4, 5, 6, 7, 8]
    assert sum(int(r["landmark_discovered"]) for r in rows) == sum(range(2, 9))
    assert "index.html" in {f.name for f in files}
    assert "visits_per_hour.png" in (out / "index.html").read_text()
    # A narrower period counts fewer visits.
    report(db, tmp_path / "two", dt.date(2026, 11, 16), dt.date(2026, 11, 17))
    rows2 = list(csv.DictReader(open(tmp_path / "two" / "daily.csv", encoding="utf-8")))
    assert sum(int(r["visit_start"]) for r in rows2) == 5


def test_report_command_refuses_a_missing_database(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "kiosk.py"), "report", "--out",
                           str(tmp_path / "r"), "--db", str(tmp_path / "none.sqlite")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no analytics database" in done.stderr
