"""Anonymous analytics: counts and durations in SQLite, written off the render loop.

What is stored — and nothing else: an event *kind*, the exhibit, one number (a duration in
seconds or a count) and a short label from the exhibit's own vocabulary (a landmark id, a language
code, an error type). There are no positions, no images, no identifiers of people: the schema's
CHECK constraints refuse anything else (a label of at most ``LABEL_MAX`` characters, a kind of
lowercase ``a-z`` and ``_``), so a future bug cannot start storing trajectories.

Kinds: the runtime's own (:data:`RUNTIME_KINDS`: visit start/end, peak visitors, touch, language,
exhibit shown, error, recovery) plus the kinds each registered exhibit declares in its
:class:`~runtime.exhibit.ExhibitSpec` (``analytics_kinds``: Numbers' ``seed_planted``, City's
``landmark_discovered``…). :func:`check_kind` refuses any other kind, naming the known ones, so a
typo fails in the first test instead of filling the database. Declaring a new kind needs no
migration: since schema 3 the database checks a kind's shape, not a list.

* :class:`Analytics` is the kiosk's handle: :meth:`record` is O(1) and never blocks (an
  in-memory queue); a background thread opens the database and writes batches in one
  transaction every ``flush_s``.
* SQLite in WAL mode with ``synchronous=NORMAL``: a power cut loses at most the last batch and
  never corrupts the database. Every insert also updates ``daily`` (per day, hour, exhibit and
  kind: count and total), which is kept forever; raw ``events`` are pruned after
  ``retention_days``.
* The database itself — schema versions and forward migrations, writes, pruning — is
  :mod:`runtime.analytics_db` (its names stay importable from here). Schema 2 added the ``kiosk``
  column and a random ``db_id`` (a fleet report uses it with the row ids to count a database
  given twice once); schema 3 checks a kind's shape instead of listing kinds. The writer also
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

from runtime.analytics_db import (
    KIND_MAX,
    KIOSK_MAX,
    LABEL_MAX,
    MIGRATIONS,
    SCHEMA_VERSION,
    connect,
    prune,
    write_batch,
)
from runtime.settings import setting

# The database's schema and writes live in runtime.analytics_db; these names stay importable here.
__all__ = ["KIND_MAX", "KIOSK_MAX", "LABEL_MAX", "MIGRATIONS", "RUNTIME_KINDS", "SCHEMA_VERSION",
           "Analytics", "AnalyticsConfig", "NullAnalytics", "check_kind", "connect",
           "known_kinds", "prune", "write_batch"]

log = logging.getLogger("kiosk.analytics")

# The runtime's own kinds; each exhibit declares its own in its registry entry
# (ExhibitSpec.analytics_kinds), so a new exhibit kind needs no schema change.
RUNTIME_KINDS = ("visit_start", "visit_end", "visitors_peak", "touch", "language",
                 "exhibit_shown", "error", "recovery")
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


def known_kinds() -> tuple[str, ...]:
    """The runtime's kinds, then every registered exhibit's declared ones (registry order)."""
    from runtime.registry import REGISTRY

    kinds = dict.fromkeys(RUNTIME_KINDS)
    for spec in REGISTRY.values():
        kinds.update(dict.fromkeys(spec.analytics_kinds))
    return tuple(kinds)


def check_kind(kind: str) -> None:
    """A kind nobody declared is a programming error: ``ValueError`` naming the known ones and
    where to declare a new one."""
    if kind in RUNTIME_KINDS:
        return
    known = known_kinds()
    if kind not in known:
        raise ValueError(f"unknown analytics kind {kind!r}: declare it in the exhibit's "
                         f"ExhibitSpec.analytics_kinds (exhibits/__init__.py); known: "
                         f"{', '.join(known)}")


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
