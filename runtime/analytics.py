"""Anonymous analytics: counts and durations in SQLite, written off the render loop.

What is stored — and nothing else: an event *kind* from a fixed list (visit start/end, peak
visitors, touch, seed planted, landmark discovered, info opened, language, exhibit shown, error,
recovery), the exhibit, one number (a duration in seconds or a count) and a short label from the
exhibit's own vocabulary (a landmark id, a language code, an error type). There are no
positions, no images, no identifiers of people: the schema's CHECK constraints refuse anything
else, so a future bug cannot start storing trajectories.

* :class:`Analytics` is the kiosk's handle: :meth:`record` is O(1) and never blocks (an
  in-memory queue); a background thread opens the database and writes batches in one
  transaction every ``flush_s``.
* SQLite in WAL mode with ``synchronous=NORMAL``: a power cut loses at most the last batch and
  never corrupts the database. Every insert also updates ``daily`` (per day, hour, exhibit and
  kind: count and total), which is kept forever; raw ``events`` are pruned after
  ``retention_days``.
* The schema has a version and forward migrations (:data:`MIGRATIONS`). Schema 2 adds the
  ``kiosk`` column (the ``[kiosk]`` id that wrote a row; ``''`` for rows written before) and a
  random ``db_id`` in ``meta``: a stable identity of the database, which a fleet report uses
  with the row ids to count a database given twice (or two copies of it) once. The writer also
  keeps ``kiosk_id`` and ``kiosk_location`` in ``meta``. Reports read any schema read-only
  (:mod:`runtime.fleet`), so an old database copied from a kiosk stays readable unchanged.

Failure modes: a folder that cannot be created makes :meth:`Analytics.start` raise (the kiosk
then runs without analytics). Everything else about the database — locked by another process
(a curator's report, a backup), busy, full disk, unreadable — is retried by the writer thread with
backoff (``RETRY_MIN_S`` doubling to ``RETRY_MAX_S``), also at start-up, which therefore never
waits for the database. Meanwhile events wait in memory, at most ``max_queued`` of them: beyond
that the oldest are dropped and counted. :meth:`Analytics.status` (``/health``, the admin panel)
says ``starting``, ``ok``, ``retrying`` (with the error) or ``stopped``, with the queued, written
and dropped counts; the log gets one line per state change, never one per retry.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import statistics
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtime.settings import setting

log = logging.getLogger("kiosk.analytics")

KINDS = ("visit_start", "visit_end", "visitors_peak", "touch", "seed_planted",
         "landmark_discovered", "info_opened", "language", "exhibit_shown", "error", "recovery")
LABEL_MAX = 48
KIOSK_MAX = 64  # runtime.identity.ID_MAX

_KIND_CHECK = ", ".join(f"'{k}'" for k in KINDS)
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
]
SCHEMA_VERSION = len(MIGRATIONS)
MAX_QUEUED = 20_000  # events kept in memory while the database is unavailable (~4 MB)
RETRY_MIN_S, RETRY_MAX_S = 0.5, 30.0
WRITER_BUSY_S = 1.0  # the writer waits this long for a lock per attempt, then backs off


@dataclass(frozen=True)
class AnalyticsConfig:
    """``[analytics]``: anonymous counts and durations."""

    enabled: bool = setting(True, "record anonymous counts and durations (never images or "
                            "positions)")
    db_path: str = setting("analytics.sqlite", "SQLite file (relative to the config folder)")
    retention_days: int = setting(90, "days raw events are kept; daily totals are kept forever",
                                  range=(1, 3650))
    flush_s: float = setting(2.0, "seconds between writes to disk (the most a power cut loses)",
                             range=(0.1, 60))


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


def check_kind(kind: str) -> None:
    """Unknown kinds are a programming error: raise ``ValueError`` naming the known ones."""
    if kind not in KINDS:
        raise ValueError(f"unknown analytics kind {kind!r}; known: {', '.join(KINDS)}")


class TodayStats:
    """In-memory visit count and median length for today (the admin panel), reset at midnight."""

    def __init__(self, today: dt.date):
        self.day = today
        self.visits = 0
        self.durations: list[float] = []

    def observe(self, kind: str, value: float, now: dt.datetime) -> None:
        if now.date() != self.day:
            self.day, self.visits, self.durations = now.date(), 0, []
        if kind == "visit_end":
            self.visits += 1
            self.durations.append(float(value))

    def summary(self) -> dict:
        median = statistics.median(self.durations) if self.durations else 0.0
        return {"visits": self.visits, "median_visit_s": round(median, 1)}


class Analytics:
    """The kiosk's analytics handle (see module docstring).

    Args:
        path: the SQLite file.
        cfg: ``[analytics]`` settings.
        wall_fn: local time, for timestamps (injectable: a simulated day in tests).
        max_queued: the most events kept in memory while the database cannot be written.
        retry_min_s / retry_max_s: the writer's backoff range after a failed attempt.
        kiosk / location: this kiosk's ``[kiosk]`` id (stored in every row) and location
            (kept in ``meta``).
    """

    def __init__(self, path: Path, cfg: AnalyticsConfig = AnalyticsConfig(),
                 wall_fn: Callable[[], dt.datetime] = dt.datetime.now, *,
                 max_queued: int = MAX_QUEUED, retry_min_s: float = RETRY_MIN_S,
                 retry_max_s: float = RETRY_MAX_S, kiosk: str = "", location: str = ""):
        self.path = Path(path)
        self.cfg = cfg
        self.kiosk, self.location = kiosk, location
        self.wall_fn = wall_fn
        self.max_queued = max_queued
        self.retry_min_s, self.retry_max_s = retry_min_s, retry_max_s
        self._pending: deque[tuple] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.dropped = 0
        self.state = "starting"
        self.error = ""
        self._today = TodayStats(wall_fn().date())

    def start(self) -> None:
        """Start the writer thread; never touches the database itself (see module docstring).

        Raises ``OSError`` when the database's folder cannot be created.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="analytics", daemon=True)
        self._thread.start()

    def record(self, kind: str, exhibit: str = "", value: float = 1.0, label: str = "") -> None:
        """Queue one event (never blocks). Unknown kinds are a programming error."""
        check_kind(kind)
        now = self.wall_fn()
        self._today.observe(kind, value, now)
        row = (now.timestamp(), exhibit[:32], kind, float(value), label[:LABEL_MAX])
        with self._lock:
            if len(self._pending) >= self.max_queued:
                self._pending.popleft()  # the oldest goes: recent activity matters more
                self.dropped += 1
            self._pending.append(row)

    def today(self) -> dict:
        """Today's visit count and median visit length (seconds) for the admin panel."""
        return self._today.summary()

    def status(self) -> dict:
        """``{state, queued, written, dropped, error}`` for ``/health`` and the admin panel."""
        with self._lock:
            queued = len(self._pending)
        return {"state": self.state, "queued": queued, "written": self.written,
                "dropped": self.dropped, "error": self.error}

    # --- the writer thread -------------------------------------------------------------------
    def _set_state(self, state: str, error: str = "") -> None:
        if state == self.state:
            self.error = error or self.error
            return
        before, self.state, self.error = self.state, state, error
        if state == "retrying":
            log.error("analytics cannot write %s (%s); keeping up to %d events in memory and "
                      "retrying with backoff", self.path, error, self.max_queued)
        elif state == "ok" and before == "retrying":
            log.warning("analytics writing to %s again (%d events dropped so far)", self.path,
                        self.dropped)

    def _open(self) -> sqlite3.Connection:
        con = connect(self.path, timeout=WRITER_BUSY_S)
        try:
            if self.kiosk:
                con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [("kiosk_id", self.kiosk), ("kiosk_location", self.location)])
            removed = prune(con, self.cfg.retention_days, self._today.day)
        except BaseException:
            con.close()
            raise
        if removed:
            log.info("analytics: pruned %d raw events older than %d days", removed,
                     self.cfg.retention_days)
        return con

    def _flush(self, con: sqlite3.Connection) -> None:
        with self._lock:
            batch = list(self._pending)
            self._pending.clear()
        if not batch:
            return
        try:
            write_batch(con, batch, self.kiosk)
        except BaseException:
            with self._lock:  # put them back in front of what arrived meanwhile, within bounds
                merged = batch + list(self._pending)
                excess = max(0, len(merged) - self.max_queued)
                self.dropped += excess
                self._pending = deque(merged[excess:])
            raise
        self.written += len(batch)

    def _run(self) -> None:
        con: sqlite3.Connection | None = None
        backoff = self.retry_min_s
        wait = 0.0
        while True:
            stopping = self._stop.wait(wait)
            try:
                if con is None:
                    con = self._open()
                self._flush(con)
            except (sqlite3.Error, OSError) as err:
                if con is not None:
                    con.close()  # reopen next time: a replaced or repaired file is picked up
                    con = None
                self._set_state("retrying", f"{type(err).__name__}: {err}")
                if stopping:
                    break
                wait, backoff = backoff, min(self.retry_max_s, backoff * 2)
                continue
            self._set_state("ok")
            backoff, wait = self.retry_min_s, self.cfg.flush_s
            if stopping:
                break
        if con is not None:
            con.close()
        left = self.status()["queued"]
        if left:
            log.error("analytics stopped with %d events not written (%s)", left, self.error)
        self.state = "stopped"

    def close(self, timeout_s: float = 5.0) -> None:
        """Flush what is queued (one last attempt) and stop the writer."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=timeout_s)
            self._thread = None


class NullAnalytics:
    """Analytics switched off: the same API, nothing stored (today's counts stay in memory)."""

    def __init__(self, wall_fn: Callable[[], dt.datetime] = dt.datetime.now):
        self.wall_fn = wall_fn
        self._today = TodayStats(wall_fn().date())

    def record(self, kind: str, exhibit: str = "", value: float = 1.0, label: str = "") -> None:
        check_kind(kind)
        self._today.observe(kind, value, self.wall_fn())

    def today(self) -> dict:
        return self._today.summary()

    def status(self) -> dict:
        return {"state": "off"}

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass
