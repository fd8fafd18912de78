"""Fleet reports (issue 19): analytics rows carry their kiosk, every database has an identity,
``kiosk.py report --db A --db B`` (or a folder) adds kiosks up and counts nothing twice, and
old databases stay readable without being changed."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.analytics import MIGRATIONS, Analytics, AnalyticsConfig, connect, known_kinds
from runtime.fleet import FleetError, merge

ROOT = Path(__file__).resolve().parent.parent


def kiosk_db(path: Path, kiosk: str, location: str, days: int, visits_per_day: int,
             start=dt.datetime(2026, 11, 16, 10)) -> Path:
    """A database written the way the kiosk writes it (its writer thread), on a simulated week."""
    now = [start]
    a = Analytics(path, AnalyticsConfig(flush_s=0.05, retention_days=3650),
                  wall_fn=lambda: now[0], kiosk=kiosk, location=location)
    a.start()
    for day in range(days):
        for v in range(visits_per_day):
            now[0] = start + dt.timedelta(days=day, hours=v % 8, minutes=v)
            a.record("visit_start", "numbers")
            for _ in range(v % 3 + 1):
                a.record("touch", "numbers")
            a.record("landmark_discovered", "city", label=f"landmark-{v % 4}")
            now[0] += dt.timedelta(seconds=30 + 10 * v)
            a.record("visit_end", "numbers", value=30 + 10 * v)
    a.close()
    assert a.status()["queued"] == 0
    return path


def report_cli(tmp_path: Path, name: str, *dbs: Path) -> subprocess.CompletedProcess:
    args = [sys.executable, str(ROOT / "kiosk.py"), "report", "--out", str(tmp_path / name)]
    for db in dbs:
        args += ["--db", str(db)]
    return subprocess.run(args, capture_output=True, text=True, timeout=180)


def totals(out: Path) -> dict[str, float]:
    """Every kind's count (and visit seconds) summed over daily.csv."""
    rows = list(csv.DictReader(open(out / "daily.csv", encoding="utf-8")))
    keys = [*known_kinds(), "visit_seconds_total"]
    return {k: round(sum(float(r[k]) for r in rows), 1) for k in keys}


def kiosks(out: Path) -> dict[str, dict]:
    return {r["kiosk"]: r for r in csv.DictReader(open(out / "kiosks.csv", encoding="utf-8"))}


def test_rows_carry_their_kiosk_and_every_database_has_an_identity(tmp_path):
    db = kiosk_db(tmp_path / "a.sqlite", "gallery-1", "1F lobby", days=1, visits_per_day=2)
    con = sqlite3.connect(db)
    meta = dict(con.execute("SELECT key, value FROM meta"))
    assert meta["kiosk_id"] == "gallery-1" and meta["kiosk_location"] == "1F lobby"
    assert len(meta["db_id"]) == 32
    assert {k for (k,) in con.execute("SELECT DISTINCT kiosk FROM events")} == {"gallery-1"}
    assert {k for (k,) in con.execute("SELECT DISTINCT kiosk FROM daily")} == {"gallery-1"}
    other = kiosk_db(tmp_path / "b.sqlite", "gallery-2", "", days=1, visits_per_day=1)
    assert sqlite3.connect(other).execute("SELECT value FROM meta WHERE key = 'db_id'") \
        .fetchone()[0] != meta["db_id"]


def test_a_fleet_report_adds_two_kiosks_up_with_a_breakdown(tmp_path):
    a = kiosk_db(tmp_path / "gallery-1.sqlite", "gallery-1", "1F lobby", days=5,
                 visits_per_day=3)
    b = kiosk_db(tmp_path / "gallery-2.sqlite", "gallery-2", "2F gallery 3", days=3,
                 visits_per_day=7)
    for name, dbs in (("a", [a]), ("b", [b]), ("ab", [a, b])):
        done = report_cli(tmp_path, name, *dbs)
        assert done.returncode == 0, done.stderr
    ta, tb, tab = totals(tmp_path / "a"), totals(tmp_path / "b"), totals(tmp_path / "ab")
    assert ta["visit_start"] == 15 and tb["visit_start"] == 21
    for k in tab:
        assert tab[k] == pytest.approx(ta[k] + tb[k]), k
    per = kiosks(tmp_path / "ab")
    assert set(per) == {"gallery-1", "gallery-2"}
    assert per["gallery-1"]["location"] == "1F lobby"
    assert per["gallery-2"]["location"] == "2F gallery 3"
    for kiosk, alone in (("gallery-1", tmp_path / "a"), ("gallery-2", tmp_path / "b")):
        assert per[kiosk] == kiosks(alone)[kiosk]  # each kiosk's row as in its own report
    assert int(per["gallery-1"]["visit_start"]) + int(per["gallery-2"]["visit_start"]) == 36
    assert per["gallery-2"]["first_day"] == "2026-11-16" and per["gallery-2"]["last_day"] == \
        "2026-11-18"
    page = (tmp_path / "ab" / "index.html").read_text(encoding="utf-8")
    assert "gallery-2" in page and "2 kiosk(s)" in page and "visits_per_kiosk.png" in page


def test_merging_the_same_database_twice_counts_nothing_twice(tmp_path):
    a = kiosk_db(tmp_path / "a.sqlite", "gallery-1", "", days=2, visits_per_day=4)
    b = kiosk_db(tmp_path / "b.sqlite", "gallery-2", "", days=2, visits_per_day=2)
    # An older snapshot of a (taken before its last day), collected into a folder with copies.
    old = tmp_path / "fleet" / "old" / "gallery-1.sqlite"
    old.parent.mkdir(parents=True)
    snap = sqlite3.connect(old)
    sqlite3.connect(a).backup(snap)
    snap.execute("DELETE FROM events WHERE day = '2026-11-17'")
    snap.execute("DELETE FROM daily WHERE day = '2026-11-17'")
    # ... and taken mid-morning: fewer touches counted then than now
    assert snap.execute("UPDATE daily SET count = 1, total = 1 WHERE kind = 'touch' AND "
                        "count > 1").rowcount > 0
    snap.commit()
    snap.close()
    shutil.copy(a, tmp_path / "fleet" / "copy-of-a.sqlite")
    shutil.copy(b, tmp_path / "fleet" / "b.sqlite")
    assert report_cli(tmp_path, "ab", a, b).returncode == 0
    done = report_cli(tmp_path, "again", a, a, b, tmp_path / "fleet", a)
    assert done.returncode == 0, done.stderr
    assert totals(tmp_path / "again") == totals(tmp_path / "ab")
    assert kiosks(tmp_path / "again") == kiosks(tmp_path / "ab")
    merged = merge([a, a, tmp_path / "fleet"])
    seen = {(s.path.name, s.duplicate_of is not None): s.new_events for s in merged.sources}
    # fleet/ is read in name order: b.sqlite, copy-of-a.sqlite, old/gallery-1.sqlite
    assert seen == {("a.sqlite", False): seen[("a.sqlite", False)], ("a.sqlite", True): 0,
                    ("b.sqlite", False): seen[("b.sqlite", False)],
                    ("copy-of-a.sqlite", True): 0, ("gallery-1.sqlite", True): 0}
    assert seen[("a.sqlite", False)] > 0 and seen[("b.sqlite", False)] > 0
    page = (tmp_path / "again" / "index.html").read_text(encoding="utf-8")
    assert "the same database as" in page


def test_a_cloned_disk_counts_as_two_kiosks_from_the_clone_on(tmp_path):
    """A kiosk PC set up from another's disk image starts with the same database identity."""
    a = kiosk_db(tmp_path / "a.sqlite", "gallery-1", "", days=1, visits_per_day=2)
    clone = tmp_path / "clone" / "analytics.sqlite"
    clone.parent.mkdir()
    shutil.copy(a, clone)
    kiosk_db(a, "gallery-1", "", days=1, visits_per_day=3, start=dt.datetime(2026, 11, 20, 10))
    kiosk_db(clone, "gallery-9", "", days=1, visits_per_day=5,
             start=dt.datetime(2026, 11, 20, 10))
    assert report_cli(tmp_path, "both", a, clone).returncode == 0
    per = kiosks(tmp_path / "both")
    assert per["gallery-1"]["visit_start"] == "5"  # 2 before the clone + 3 after
    assert per["gallery-9"]["visit_start"] == "5"
    assert totals(tmp_path / "both")["visit_start"] == 10


def test_an_old_database_stays_readable_and_unchanged_and_the_kiosk_migrates_it(tmp_path):
    old = tmp_path / "gallery-3" / "analytics.sqlite"
    old.parent.mkdir()
    con = sqlite3.connect(old, isolation_level=None)
    con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    con.executescript(MIGRATIONS[0])
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO events (ts, day, hour, exhibit, kind, value, label) VALUES "
                "(1795000000, '2026-11-18', 10, 'numbers', 'visit_start', 1, '')")
    con.execute("INSERT INTO daily VALUES ('2026-11-18', 10, 'numbers', 'visit_start', '', 4, 4)")
    con.close()
    before = hashlib.sha256(old.read_bytes()).hexdigest()
    b = kiosk_db(tmp_path / "b.sqlite", "gallery-2", "", days=1, visits_per_day=2)
    done = report_cli(tmp_path, "r", old, b)
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(old.read_bytes()).hexdigest() == before  # read-only: not migrated
    per = kiosks(tmp_path / "r")
    assert per["gallery-3"]["visit_start"] == "4"  # named after its folder
    assert totals(tmp_path / "r")["visit_start"] == 6
    # The same old file twice is recognised without a db_id.
    assert report_cli(tmp_path, "r2", old, old, b).returncode == 0
    assert totals(tmp_path / "r2") == totals(tmp_path / "r")
    # The kiosk itself migrates it when it next starts: old rows kept, new rows named.
    kiosk_db(old, "gallery-3", "", days=1, visits_per_day=1, start=dt.datetime(2026, 11, 19, 9))
    con = connect(old)
    assert con.execute("SELECT SUM(count) FROM daily WHERE kind = 'visit_start'").fetchone() \
        == (5,)
    assert sorted(k for (k,) in con.execute("SELECT DISTINCT kiosk FROM daily")) == \
        ["", "gallery-3"]
    con.close()
    assert report_cli(tmp_path, "r3", old).returncode == 0
    assert kiosks(tmp_path / "r3")["gallery-3"]["visit_start"] == "5"


def test_a_report_names_a_file_it_cannot_read(tmp_path):
    other = tmp_path / "notes.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE notes (x)")
    done = report_cli(tmp_path, "r", other)
    assert done.returncode == 2 and "notes.sqlite is not a kiosk analytics database" in \
        done.stderr
    done = report_cli(tmp_path, "r", tmp_path / "missing.sqlite")
    assert done.returncode == 2 and "no analytics database at" in done.stderr
    # Inside a folder, a stray SQLite file is skipped (and listed), the rest reported.
    folder = tmp_path / "fleet"
    folder.mkdir()
    shutil.copy(other, folder / "notes.sqlite")
    kiosk_db(folder / "gallery-1.sqlite", "gallery-1", "", days=1, visits_per_day=1)
    merged = merge([folder])
    assert [s.kiosk for s in merged.sources] == ["gallery-1"] and len(merged.skipped) == 1
    (tmp_path / "empty").mkdir()
    with pytest.raises(FleetError, match="no analytics databases"):
        merge([tmp_path / "empty"])
