"""The curators' landmark file: loading and validating ``assets/landmarks/*.csv``.

One landmark per row, UTF-8 (a spreadsheet's byte-order mark is accepted), with this header (any
column order; every column required, no others)::

    id,name_ko,name_en,lat,lon,kind,desc_ko,desc_en,source,coord_source

- ``id``: short unique key (analytics count discoveries by it), no spaces.
- ``name_ko`` / ``name_en``: names shown on the card, Korean (with Hangul) and English. On the map
  a name with an acronym in brackets, e.g. "Asia Culture Center (ACC)", is labelled by the acronym.
- ``lat`` / ``lon``: WGS84 degrees, read from a cited source (``coord_source``); must lie in Korea
  (lat 33..39, lon 124..132).
- ``kind``: chooses the pictogram; one of :func:`models.catalog.list_targets` ``("landmarks")``.
- ``desc_ko`` / ``desc_en``: the card's two short lines in each language (wrapped to the card; at
  most :data:`MAX_DESC_KO` / :data:`MAX_DESC_EN` characters so they fit two lines).
- ``source``: where the description's facts come from (shown small on the card).
- ``coord_source``: where the coordinates come from (for the record; not shown).

Row numbers in messages are the file's line numbers as a spreadsheet shows them (the header is
row 1, the first landmark row 2), e.g.::

    landmarks/gwangju.csv row 4, column lat: must be a number 33..39 (Korea), got 'abc'

Pure Python (csv): imports neither pygame nor torch, so ``kiosk.py check`` can use it.
Failure modes: :func:`load_landmarks` never raises, whatever the file holds (unreadable, over
:data:`MAX_FILE_BYTES`, not UTF-8, not CSV, NUL bytes, huge fields); it returns the problems found,
at most :data:`MAX_PROBLEMS` of them (then one line saying how many rows were not checked), each
naming the file (and row and column where there is one). :func:`read_landmarks` raises
:class:`LandmarkFileError` carrying them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from models.catalog import list_targets

COLUMNS = ("id", "name_ko", "name_en", "lat", "lon", "kind", "desc_ko", "desc_en", "source",
           "coord_source")
LAT_RANGE = (33.0, 39.0)  # South Korea, Jeju to the DMZ, with room
LON_RANGE = (124.0, 132.0)
MAX_DESC_KO = 64  # characters that fit two card lines at the card's font size
MAX_DESC_EN = 120
MAX_NAME = 60
MIN_LANDMARKS, MAX_LANDMARKS = 2, 24
#: 24 rows of short texts are a few KiB; a bigger file is refused unread (a 60 MB file took
#: 74 s to check and listed 18 million problems)
MAX_FILE_BYTES = 256 * 1024
MAX_PROBLEMS = 50  # a curator fixes the first ones and checks again
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9·&.\- ]{0,11})\)\s*$")


@dataclass(frozen=True)
class Landmark:
    """One row of the landmark file (coordinates in degrees)."""

    id: str
    name_ko: str
    name_en: str
    lat: float
    lon: float
    kind: str
    desc_ko: str
    desc_en: str
    source: str
    coord_source: str

    @property
    def label_en(self) -> str:
        """Short English map label: the bracketed acronym if the name has one, else the name."""
        m = _ACRONYM.search(self.name_en)
        return m.group(1) if m else self.name_en


class LandmarkFileError(ValueError):
    """A landmark file was refused; ``problems`` lists every reason (row and column named)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def _num(text: str, lo: float, hi: float, what: str) -> tuple[float | None, str]:
    try:
        v = float(text.strip())
    except ValueError:
        return None, f"must be a number {lo:g}..{hi:g} ({what}), got {text!r}"
    if not math.isfinite(v) or not lo <= v <= hi:
        return None, f"must be a number {lo:g}..{hi:g} ({what}), got {text!r}"
    return v, ""


def _check_row(row: dict[str, str], kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """Problems of one row as ``(column, message)``."""
    out: list[tuple[str, str]] = []
    for col in COLUMNS:
        if not row[col].strip():
            out.append((col, "must not be empty"))
    rid = row["id"].strip()
    if rid and (any(c.isspace() for c in rid) or len(rid) > 32):
        out.append(("id", f"must be a short key without spaces (≤ 32 characters), got {rid!r}"))
    for col, pattern, lang in (("name_ko", _HANGUL, "Korean (Hangul)"),
                               ("desc_ko", _HANGUL, "Korean (Hangul)"),
                               ("name_en", _LATIN, "English (Latin letters)"),
                               ("desc_en", _LATIN, "English (Latin letters)")):
        value = row[col].strip()
        if value and not pattern.search(value):
            out.append((col, f"must be written in {lang}, got {value!r}"))
    for col, limit in (("name_ko", MAX_NAME), ("name_en", MAX_NAME), ("desc_ko", MAX_DESC_KO),
                       ("desc_en", MAX_DESC_EN)):
        n = len(row[col].strip())
        if n > limit:
            out.append((col, f"must be at most {limit} characters to fit the card, got {n}"))
    if row["lat"].strip():
        _, msg = _num(row["lat"], *LAT_RANGE, "Korea")
        if msg:
            out.append(("lat", msg))
    if row["lon"].strip():
        _, msg = _num(row["lon"], *LON_RANGE, "Korea")
        if msg:
            out.append(("lon", msg))
    kind = row["kind"].strip()
    if kind and kind not in kinds:
        out.append(("kind", f"must be one of {', '.join(kinds)}; got {kind!r}"))
    return out


def parse_landmarks(text: str, name: str = "landmarks.csv") -> tuple[list[Landmark], list[str]]:
    """Parse CSV ``text``; returns ``(landmarks, problems)``; landmarks is empty if any problem.

    ``name`` prefixes every message (the file as the curator knows it).
    """
    problems: list[str] = []
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [f"{name}: is empty; expected the header {','.join(COLUMNS)}"]
    except csv.Error as err:
        return [], [f"{name} row 1: not valid CSV: {err}"]
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    dups = sorted({h for h in header if header.count(h) > 1})
    if missing:
        problems.append(f"{name} row 1: missing column(s) {', '.join(missing)}; "
                        f"the header must be {','.join(COLUMNS)}")
    if unknown:
        problems.append(f"{name} row 1: unknown column(s) {', '.join(repr(u) for u in unknown)}; "
                        f"allowed: {','.join(COLUMNS)}")
    if dups:
        problems.append(f"{name} row 1: column(s) {', '.join(dups)} appear more than once")
    if problems:
        return [], problems
    kinds = list_targets("landmarks")
    landmarks: list[Landmark] = []
    first_row: dict[str, int] = {}
    try:
        while True:
            row_no = reader.line_num + 1  # where the row starts (a quoted text may span lines)
            values = next(reader, None)
            if values is None:
                break
            if not any(v.strip() for v in values):
                continue  # blank lines are allowed (spreadsheets leave them)
            if len(values) != len(header):
                problems.append(f"{name} row {row_no}: has {len(values)} values, the header has "
                                f"{len(header)} (a comma inside a text needs \"quotes\")")
                continue
            row = dict(zip(header, values, strict=True))
            row_problems = _check_row(row, kinds)
            rid = row["id"].strip()
            if rid in first_row:
                row_problems.append(("id", f"duplicate id {rid!r} (first used in row "
                                           f"{first_row[rid]})"))
            elif rid:
                first_row[rid] = row_no
            problems += [f"{name} row {row_no}, column {col}: {msg}" for col, msg in row_problems]
            if len(problems) >= MAX_PROBLEMS:
                problems = problems[:MAX_PROBLEMS]
                problems.append(f"{name}: stopped after {MAX_PROBLEMS} problems at row {row_no}; "
                                "fix these and check again")
                return [], problems
            if not row_problems:
                landmarks.append(Landmark(
                    id=rid, name_ko=row["name_ko"].strip(), name_en=row["name_en"].strip(),
                    lat=float(row["lat"]), lon=float(row["lon"]), kind=row["kind"].strip(),
                    desc_ko=row["desc_ko"].strip(), desc_en=row["desc_en"].strip(),
                    source=row["source"].strip(), coord_source=row["coord_source"].strip()))
    except csv.Error as err:
        problems.append(f"{name} row {reader.line_num}: not valid CSV: {err}")
    count = len(first_row)
    if not problems and not MIN_LANDMARKS <= count <= MAX_LANDMARKS:
        problems.append(f"{name}: must list {MIN_LANDMARKS}..{MAX_LANDMARKS} landmarks, "
                        f"got {count}")
    return ([] if problems else landmarks), problems


def load_landmarks(path: str | Path, name: str | None = None) -> tuple[list[Landmark], list[str]]:
    """Read and validate a landmark file; ``(landmarks, problems)`` (see :func:`parse_landmarks`).

    ``name`` (default: the file's path) prefixes messages.
    """
    path = Path(path)
    name = name or str(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)  # never more: a huge file is not read whole
    except (OSError, ValueError) as err:  # ValueError: a path with a NUL byte
        why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        return [], [f"{name}: cannot read the landmark file: {why}"]
    if len(raw) > MAX_FILE_BYTES:
        return [], [f"{name}: the landmark file is larger than {MAX_FILE_BYTES // 1024} KiB, "
                    f"the most it may be ({MIN_LANDMARKS}..{MAX_LANDMARKS} landmarks)"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return [], [f"{name} row {line}: not UTF-8 text (save the file as CSV UTF-8)"]
    try:
        return parse_landmarks(text, name)
    except (ValueError, TypeError, RecursionError) as err:
        # parse_landmarks is written not to raise; should a file still trip it, it is refused
        # (naming the file) rather than ending check or the running kiosk
        return [], [f"{name}: cannot be read as a landmark file: {type(err).__name__}: "
                    f"{str(err)[:120]}"]


def read_landmarks(path: str | Path, name: str | None = None) -> list[Landmark]:
    """Like :func:`load_landmarks` but raises :class:`LandmarkFileError` on any problem."""
    landmarks, problems = load_landmarks(path, name)
    if problems:
        raise LandmarkFileError(problems)
    return landmarks
