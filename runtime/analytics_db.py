"""The analytics database: its schema, forward migrations, and the writes and reads on it.

:mod:`runtime.analytics` is the kiosk's handle (queue, writer thread, the kinds it accepts); this
module is what that thread and ``kiosk.py report`` do to the SQLite file itself.

* :data:`MIGRATIONS` / :data:`SCHEMA_VERSION`: the schema has a version and forward migrations,
  each run in one transaction by :func:`connect`. 1: raw ``events`` (pruned after
  ``retention_days``) and ``daily`` aggregates (kept forever). 2: the ``kiosk`` column and a
  random ``db_id`` in ``meta``. 3: the kind's CHECK becomes a shape (lowercase ``a-z`` and ``_``,
  at most :data:`KIND_MAX` characters) instead of a list, so an exhibit's new kind needs no
  migration; both tables are rebuilt, keeping every row and row id.
* :func:`write_batch` inserts events and updates ``daily`` in one transaction; :func:`prune`
  deletes raw events past retention.

Failure modes: :func:`connect` raises ``sqlite3.DatabaseError`` for a database newer than this
kiosk, and lets SQLite's own errors through (locked, unreadable): the caller retries or reports.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path

from runtime.exhibit import ANALYTICS_KIND_MAX

log = logging.getLogger("kiosk.analytics")

KIND_MAX = ANALYTICS_KIND_MAX  # lowercase a-z and _ (ANALYTICS_KIND_RE)
LABEL_MAX = 48
KIOSK_MAX = 64  # runtime.identity.ID_MAX

# Schemas 1 and 2 listed every kind in a CHECK; the list is frozen here so that a new database
# is still built by the same steps as an old one was. Schema 3 replaces it with a shape check.
_V1_KINDS = ("visit_start", "visit_end", "visitors_peak", "touch", "seed_planted",
             "landmark_discovered", "info_opened", "language", "exhibit_shown", "error",
             "recovery")
_KIND_CHECK = ", ".join(f"'{k}'" for k in _V1_KINDS)
_KIND_SHAPE = f"length(kind) BETWEEN 1 AND {KIND_MAX} AND kind NOT GLOB '*[^a-z_]*'"
MIGRATIONS: list[str] = [
    # 1: raw events (pruned after retention_days) and daily aggregates (kept forever).
    f"""
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,                 -- unix seconds
        day TEXT NOT NULL CHECK (length(day) = 10),
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        exhibit TEXT NOT NULL CHECK (length(exhibit) <= 32),
        kind TEXT NOT NULL CHECK (kind IN ({_KIND_CHECK})),
        value REAL NOT NULL DEFAULT 1,
        label TEXT NOT NULL DEFAULT '' CHECK (length(label) <= {LABEL_MAX})
    );
    CREATE INDEX events_day ON events(day);
    CREATE TABLE daily (
        day TEXT NOT NULL,
        hour INTEGER NOT NULL,
        exhibit TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ({_KIND_CHECK})),
        label TEXT NOT NULL DEFAULT '' CHECK (length(label) <= {LABEL_MAX}),
        count INTEGER NOT NULL,
        total REAL NOT NULL,
        PRIMARY KEY (day, hour, exhibit, kind, label)
    );
    """,
    # 2: the kiosk that wrote each row (fleets), and the database's own identity. SQLite cannot
    # change a primary key in place, so daily is rebuilt with kiosk in its key.
    f"""
    ALTER TABLE events ADD COLUMN kiosk TEXT NOT NULL DEFAULT ''
        CHECK (length(kiosk) <= {KIOSK_MAX});
    CREATE TABLE daily_v2 (
        day TEXT NOT NULL,
        hour INTEGER NOT NULL,
        exhibit TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ({_KIND_CHECK})),
        label TEXT NOT NULL DEFAULT '' CHECK (length(label) <= {LABEL_MAX}),
        count INTEGER NOT NULL,
        total REAL NOT NULL,
        kiosk TEXT NOT NULL DEFAULT '' CHECK (length(kiosk) <= {KIOSK_MAX}),
        PRIMARY KEY (day, hour, exhibit, kind, label, kiosk)
    );
    INSERT INTO daily_v2 (day, hour, exhibit, kind, label, count, total)
        SELECT day, hour, exhibit, kind, label, count, total FROM daily;
    DROP TABLE daily;
    ALTER TABLE daily_v2 RENAME TO daily;
    INSERT OR IGNORE INTO meta VALUES ('db_id', lower(hex(randomblob(16))));
    """,
    # 3: kinds are declared by exhibits, not listed in the schema: the CHECK becomes a shape
    # (lowercase a-z and _, at most KIND_MAX characters). SQLite cannot change a CHECK in place,
    # so both tables are rebuilt; row ids are kept (fleet reports count events by them).
    f"""
    CREATE TABLE events_v3 (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        day TEXT NOT NULL CHECK (length(day) = 10),
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        exhibit TEXT NOT NULL CHECK (length(exhibit) <= 32),
        kind TEXT NOT NULL CHECK ({_KIND_SHAPE}),
        value REAL NOT NULL DEFAULT 1,
        label TEXT NOT NULL DEFAULT '' CHECK (length(label) <= {LABEL_MAX}),
        kiosk TEXT NOT NULL DEFAULT '' CHECK (length(kiosk) <= {KIOSK_MAX})
    );
    INSERT INTO events_v3 (id, ts, day, hour, exhibit, kind, value, label, kiosk)
        SELECT id, ts, day, hour, exhibit, kind, value, label, kiosk FROM events;
    DROP TABLE events;
    ALTER TABLE events_v3 RENAME TO events;
    CREATE INDEX events_day ON events(day);
    CREATE TABLE daily_v3 (
        day TEXT NOT NULL,
        hour INTEGER NOT NULL,
        exhibit TEXT NOT NULL,
        kind TEXT NOT NULL CHECK ({_KIND_SHAPE}),
        label TEXT NOT NULL DEFAULT '' CHECK (length(label) <= {LABEL_MAX}),
        count INTEGER NOT NULL,
        total REAL NOT NULL,
        kiosk TEXT NOT NULL DEFAULT '' CHECK (length(kiosk) <= {KIOSK_MAX}),
        PRIMARY KEY (day, hour, exhibit, kind, label, kiosk)
    );
    INSERT INTO daily_v3 (day, hour, exhibit, kind, label, count, total, kiosk)
        SELECT day, hour, exhibit, kind, label, count, total, kiosk FROM daily;
    DROP TABLE daily;
    ALTER TABLE daily_v3 RENAME TO daily;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path | str, timeout: float = 10.0) -> sqlite3.Connection:
    """Open (creating or migrating) the database; WAL mode; returns the connection.

    ``timeout``: seconds to wait for another connection's lock before ``database is locked``.
    """
    con = sqlite3.connect(str(path), timeout=timeout, isolation_level=None,
                          check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"{path} has schema {version}, newer than this kiosk's "
                                    f"{SCHEMA_VERSION}")
    for v in range(version, SCHEMA_VERSION):
        con.execute("BEGIN")
        for statement in MIGRATIONS[v].split(";"):
            if statement.strip():
                con.execute(statement)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(v + 1),))
        con.execute("COMMIT")
        log.info("analytics database %s migrated to schema %d", path, v + 1)
    return con


def write_batch(con: sqlite3.Connection, rows: list[tuple], kiosk: str = "") -> None:
    """Insert ``(ts, exhibit, kind, value, label)`` rows written by kiosk ``kiosk`` and update
    ``daily``, in one transaction."""
    kiosk = kiosk[:KIOSK_MAX]
    con.execute("BEGIN")
    try:
        for ts, exhibit, kind, value, label in rows:
            local = dt.datetime.fromtimestamp(ts)
            day, hour = local.date().isoformat(), local.hour
            con.execute("INSERT INTO events (ts, day, hour, exhibit, kind, value, label, kiosk) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (int(ts), day, hour, exhibit, kind,
                                                            float(value), label, kiosk))
            con.execute("INSERT INTO daily (day, hour, exhibit, kind, label, count, total, "
                        "kiosk) VALUES (?, ?, ?, ?, ?, 1, ?, ?) "
                        "ON CONFLICT (day, hour, exhibit, kind, label, kiosk) DO UPDATE SET "
                        "count = count + 1, total = total + excluded.total",
                        (day, hour, exhibit, kind, label, float(value), kiosk))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def prune(con: sqlite3.Connection, retention_days: int, today: dt.date) -> int:
    """Delete raw events older than ``retention_days``; returns how many."""
    cutoff = (today - dt.timedelta(days=retention_days)).isoformat()
    cur = con.execute("DELETE FROM events WHERE day < ?", (cutoff,))
    return cur.rowcount
