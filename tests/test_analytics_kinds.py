"""Analytics kinds are declared by exhibits (issue 17): a registered exhibit's new kind is
recorded with no schema change, an undeclared kind is refused by name, and a database made by
the schema that listed kinds (2) migrates to the shape check (3) with every row intact."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

import pytest

from runtime.analytics import (
    MIGRATIONS,
    RUNTIME_KINDS,
    SCHEMA_VERSION,
    Analytics,
    AnalyticsConfig,
    check_kind,
    connect,
    known_kinds,
    write_batch,
)
from runtime.exhibit import ExhibitSpec
from runtime.registry import REGISTRY
from runtime.report import report


@dataclass(frozen=True)
class KiteSettings:
    pass


KITE = ExhibitSpec(name="kites", title_ko="연", title_en="Kites", config_cls=KiteSettings,
                   factory="nowhere:Kites", analytics_kinds=("kite_flown",))


@pytest.fixture
def kites(registered):
    """The test exhibit, registered for one test only."""
    return registered(KITE)


def schema_of(con: sqlite3.Connection) -> str:
    return "\n".join(sql for (sql,) in con.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"))


def test_a_registered_exhibits_new_kind_is_recorded_with_no_schema_change(kites, tmp_path):
    db = tmp_path / "a.sqlite"
    con = connect(db)
    schema_before = schema_of(con)
    con.close()
    now = [dt.datetime(2026, 11, 24, 10, 0)]
    a = Analytics(db, AnalyticsConfig(flush_s=0.05), wall_fn=lambda: now[0], kiosk="k1")
    a.start()
    a.record("visit_start", "kites")
    for i in range(3):
        a.record("kite_flown", "kites", label=f"kite-{i % 2}")
    a.close()
    assert a.status()["written"] == 4 and a.status()["dropped"] == 0
    con = connect(db)
    assert schema_of(con) == schema_before
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == \
        (str(SCHEMA_VERSION),)
    assert con.execute("SELECT SUM(count) FROM daily WHERE kind = 'kite_flown'").fetchone() == \
        (3,)
    con.close()
    # The report has a column for it and counts it as an interaction.
    out = tmp_path / "report"
    report(db, out)
    header = (out / "daily.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "kite_flown" in header and "seed_planted" in header  # declared kinds, with or
    row = (out / "daily.csv").read_text(encoding="utf-8").splitlines()[1].split(",")
    assert row[header.index("kite_flown")] == "3"  # without data in the period


def test_an_undeclared_kind_is_refused_naming_the_known_ones(tmp_path):
    a = Analytics(tmp_path / "a.sqlite")
    with pytest.raises(ValueError, match="unknown analytics kind 'kite_flown'") as err:
        a.record("kite_flown", "kites")
    message = str(err.value)
    assert "analytics_kinds" in message  # where to declare it
    for kind in ("visit_start", "seed_planted", "landmark_discovered"):
        assert kind in message
    assert a.status()["queued"] == 0
    for kind in RUNTIME_KINDS:
        check_kind(kind)


def test_declared_kinds_follow_the_registry(kites):
    assert "kite_flown" in known_kinds()
    check_kind("kite_flown")
    REGISTRY.pop(KITE.name)
    assert "kite_flown" not in known_kinds()
    with pytest.raises(ValueError):
        check_kind("kite_flown")


@pytest.mark.parametrize("bad", ["Kite", "kite flown", "kite-flown", "k" * 33, ""])
def test_a_kind_that_cannot_be_stored_is_refused_when_declared(bad):
    with pytest.raises(ValueError, match="analytics kind"):
        ExhibitSpec(name="kites", title_ko="연", title_en="Kites", config_cls=KiteSettings,
                    factory="nowhere:Kites", analytics_kinds=(bad,))


def test_a_schema_2_database_migrates_with_its_rows_intact(kites, tmp_path):
    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for v in (0, 1):
        con.executescript(MIGRATIONS[v])
    con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    with pytest.raises(sqlite3.IntegrityError):  # schema 2 lists its kinds
        con.execute("INSERT INTO events (ts, day, hour, exhibit, kind) VALUES "
                    "(0, '2026-11-24', 10, 'kites', 'kite_flown')")
    t = dt.datetime(2026, 11, 24, 10).timestamp()
    write_batch(con, [(t, "numbers", "visit_start", 1, ""), (t + 5, "numbers", "seed_planted", 1,
                                                             ""),
                      (t + 9, "city", "landmark_discovered", 1, "lm-1"),
                      (t + 60, "numbers", "visit_end", 55.0, "")], kiosk="gallery-1")
    write_batch(con, [(t + 3600, "city", "landmark_discovered", 1, "lm-1")])
    con.execute("DELETE FROM events WHERE kind = 'visit_start'")  # ids with a gap
    events = con.execute("SELECT * FROM events ORDER BY id").fetchall()
    daily = con.execute("SELECT * FROM daily ORDER BY 1, 2, 3, 4, 5, 8").fetchall()
    meta = dict(con.execute("SELECT key, value FROM meta"))
    con.close()

    con = connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT * FROM events ORDER BY id").fetchall() == events
    assert con.execute("SELECT * FROM daily ORDER BY 1, 2, 3, 4, 5, 8").fetchall() == daily
    after = dict(con.execute("SELECT key, value FROM meta"))
    assert after["db_id"] == meta["db_id"] and after["schema_version"] == str(SCHEMA_VERSION)
    assert "events_day" in {n for (n,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    # New kinds go in; the shape is still checked.
    write_batch(con, [(t + 7200, "kites", "kite_flown", 1, "")], kiosk="gallery-1")
    assert con.execute("SELECT max(id) FROM events").fetchone()[0] > events[-1][0]
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("INSERT INTO events (ts, day, hour, exhibit, kind) VALUES "
                    "(0, '2026-11-24', 10, 'kites', 'x=0.5;y=0.25')")
    con.close()
