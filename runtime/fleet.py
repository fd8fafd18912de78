"""Analytics of several kiosks in one place: read many databases, count every event once.

``kiosk.py report --db A.sqlite --db B.sqlite`` (or ``--db folder/``) reads each database
**read-only** (an old database copied from a kiosk is never migrated or changed; any schema this
kiosk knows is read) into one in-memory database with the same ``events`` and ``daily`` tables
the single-kiosk report queries, plus the kiosk each row belongs to.

Counting nothing twice: every analytics database holds a random ``db_id`` (``meta``, schema 2).
Raw events are keyed by ``(db_id, kiosk, row id)`` and kept once; ``daily`` totals of one
database are keyed by ``(db_id, kiosk, day, hour, exhibit, kind, label)`` and, when two files
hold the same key (the same file given twice, or an older and a newer copy of one database),
the larger count wins (a database's daily counts only grow). Different databases add up. The
kiosk id is part of the key so that a disk image cloned onto a second kiosk (same ``db_id``,
then a different kiosk writing to it) is still counted as two kiosks from the clone on.

Which kiosk a row belongs to: its ``kiosk`` column; rows written before schema 2 (``''``) are
attributed to the database's ``meta`` ``kiosk_id`` or, failing that, to a name taken from the
file (``gallery-2.sqlite`` → ``gallery-2``; ``gallery-2/analytics.sqlite`` → ``gallery-2``).
A schema-1 database has no ``db_id``: its identity is a fingerprint of its first day of daily
totals, which does not change as it grows (so copies of it are still recognised).

Failure modes: a path that does not exist, a file that is not a readable analytics database,
or one newer than this kiosk raises :class:`FleetError` naming the file; inside a folder,
SQLite files that are not analytics databases are skipped and listed in ``skipped``.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from runtime.analytics import SCHEMA_VERSION

DB_SUFFIXES = (".sqlite", ".sqlite3", ".db")
_GENERIC_STEMS = {"analytics", "kiosk", "db", "database"}

MERGED_SCHEMA = """
CREATE TABLE events (
    db TEXT NOT NULL, id INTEGER NOT NULL, raw_kiosk TEXT NOT NULL, kiosk TEXT NOT NULL,
    ts INTEGER NOT NULL, day TEXT NOT NULL, hour INTEGER NOT NULL, exhibit TEXT NOT NULL,
    kind TEXT NOT NULL, value REAL NOT NULL, label TEXT NOT NULL,
    PRIMARY KEY (db, raw_kiosk, id)
);
CREATE TABLE daily (
    db TEXT NOT NULL, raw_kiosk TEXT NOT NULL, kiosk TEXT NOT NULL,
    day TEXT NOT NULL, hour INTEGER NOT NULL, exhibit TEXT NOT NULL, kind TEXT NOT NULL,
    label TEXT NOT NULL, count INTEGER NOT NULL, total REAL NOT NULL,
    PRIMARY KEY (db, raw_kiosk, day, hour, exhibit, kind, label)
);
"""


class FleetError(ValueError):
    """A database could not be read for a report; the message names the file."""


@dataclass
class Source:
    """One database file read into a report."""

    path: Path
    db_id: str
    kiosk: str  # whom rows without a kiosk column value are attributed to
    location: str
    schema: int
    duplicate_of: Path | None = None  # an earlier file with the same db_id
    new_events: int = 0  # raw events this file added (0 for an exact duplicate)


@dataclass
class Merged:
    """The in-memory database (``events``, ``daily``) and what went into it."""

    con: sqlite3.Connection
    sources: list[Source]
    skipped: list[str] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)

    def kiosks(self) -> list[str]:
        rows = self.con.execute("SELECT kiosk FROM daily UNION SELECT kiosk FROM events")
        return sorted(r[0] for r in rows)


def find_databases(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders expanded to the SQLite files anywhere under them (sorted)."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            inside = sorted(f for f in p.rglob("*") if f.suffix.lower() in DB_SUFFIXES
                            and f.is_file())
            if not inside:
                raise FleetError(f"no analytics databases (*.sqlite) in folder {p}")
            found.extend(inside)
        elif p.is_file():
            found.append(p)
        else:
            raise FleetError(f"no analytics database at {p}")
    return found


def name_from_file(path: Path) -> str:
    """A kiosk name for a database that does not say whose it is."""
    stem = path.stem
    if stem.lower() in _GENERIC_STEMS and path.parent.name:
        stem = path.parent.name
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "kiosk"


def _attach(con: sqlite3.Connection, path: Path) -> None:
    uri = path.resolve().as_uri()
    try:
        con.execute("ATTACH DATABASE ? AS src", (f"{uri}?mode=ro",))
        con.execute("SELECT count(*) FROM src.sqlite_master").fetchone()
    except sqlite3.Error:
        try:
            con.execute("DETACH DATABASE src")
        except sqlite3.Error:
            pass
        # A read-only folder cannot hold SQLite's WAL index: read the file as it lies.
        con.execute("ATTACH DATABASE ? AS src", (f"{uri}?immutable=1",))


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in con.execute(f"PRAGMA src.table_info({table})")}


def _read_source(con: sqlite3.Connection, path: Path) -> Source:
    tables = {r[0] for r in con.execute("SELECT name FROM src.sqlite_master WHERE type = "
                                        "'table'")}
    if not {"events", "daily", "meta"} <= tables:
        raise FleetError(f"{path} is not a kiosk analytics database")
    meta = dict(con.execute("SELECT key, value FROM src.meta").fetchall())
    try:
        schema = int(meta.get("schema_version", "0"))
    except ValueError:
        raise FleetError(f"{path}: unreadable schema_version {meta['schema_version']!r}") \
            from None
    if schema > SCHEMA_VERSION:
        raise FleetError(f"{path} has schema {schema}, newer than this kiosk's "
                         f"{SCHEMA_VERSION}: report with a newer kiosk")
    db_id = meta.get("db_id", "")
    if not db_id:
        first = con.execute("SELECT min(day) FROM src.daily").fetchone()[0]
        rows = con.execute("SELECT day, hour, exhibit, kind, label, count, total FROM src.daily "
                           "WHERE day = ? ORDER BY 1, 2, 3, 4, 5", (first,)).fetchall()
        basis = repr(rows) if rows else str(path.resolve())
        db_id = "v1-" + hashlib.sha256(basis.encode()).hexdigest()[:24]
    return Source(path, db_id, meta.get("kiosk_id") or name_from_file(path),
                  meta.get("kiosk_location", ""), schema)


def merge(paths: Sequence[Path]) -> Merged:
    """Read ``paths`` (files or folders) into one in-memory database; see the module docstring.

    Raises :class:`FleetError` naming the file for anything that cannot be read.
    """
    files = find_databases(paths)
    con = sqlite3.connect("file::memory:", uri=True)
    con.executescript(MERGED_SCHEMA)
    merged = Merged(con, [])
    seen: dict[str, Path] = {}
    from_folder = {Path(p) for p in paths if Path(p).is_dir()}
    for path in files:
        try:
            _attach(con, path)
        except sqlite3.Error as err:
            raise FleetError(f"cannot read {path}: {err}") from None
        try:
            try:
                src = _read_source(con, path)
            except FleetError:
                if any(d in path.parents for d in from_folder):
                    merged.skipped.append(f"{path}: not a kiosk analytics database")
                    continue
                raise
            src.duplicate_of = seen.get(src.db_id)
            seen.setdefault(src.db_id, path)
            kiosk_col = "kiosk" if "kiosk" in _columns(con, "events") else "''"
            daily_col = "kiosk" if "kiosk" in _columns(con, "daily") else "''"
            before = con.execute("SELECT count(*) FROM events").fetchone()[0]
            con.execute("BEGIN")
            con.execute(
                f"INSERT OR IGNORE INTO events SELECT ?, id, {kiosk_col}, "
                f"CASE WHEN {kiosk_col} != '' THEN {kiosk_col} ELSE ? END, "
                "ts, day, hour, exhibit, kind, value, label FROM src.events",
                (src.db_id, src.kiosk))
            con.execute(
                f"INSERT INTO daily SELECT ?, {daily_col}, "
                f"CASE WHEN {daily_col} != '' THEN {daily_col} ELSE ? END, "
                "day, hour, exhibit, kind, label, count, total FROM src.daily WHERE true "
                "ON CONFLICT (db, raw_kiosk, day, hour, exhibit, kind, label) DO UPDATE SET "
                "count = max(count, excluded.count), "
                "total = CASE WHEN excluded.count > count THEN excluded.total ELSE total END",
                (src.db_id, src.kiosk))
            con.execute("COMMIT")
            src.new_events = con.execute("SELECT count(*) FROM events").fetchone()[0] - before
            if src.location:
                merged.locations[src.kiosk] = src.location
            merged.sources.append(src)
        except sqlite3.Error as err:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise FleetError(f"cannot read {path}: {err}") from None
        finally:
            con.execute("DETACH DATABASE src")
    if not merged.sources:
        raise FleetError("no kiosk analytics database among: "
                         + ", ".join(str(p) for p in paths))
    return merged
