"""``kiosk.py report``: plots and a CSV of what visitors did, for curators.

Reads one analytics database or several (a fleet: ``--db A --db B`` or a folder of them, merged
by :mod:`runtime.fleet` so that a database given twice counts once; always read-only, so an old
database is never migrated or changed). It holds only counts and durations, never the camera.
Writes into ``--out``:

* ``visits_per_hour.png`` — visits started per hour of day (from daily totals: any period),
* ``visit_durations.png`` — histogram of visit lengths (raw events: the retention period only),
* ``interactions_per_exhibit.png`` — touches and every kind an exhibit records (seeds planted,
  landmarks discovered, info opened…),
* the charts the registered exhibits declare (``ExhibitSpec.report_charts``): counts of one of
  their kinds per label, e.g. City's ``landmarks_discovered.png`` (discoveries per landmark),
* ``daily.csv`` — one row per day and exhibit (all kiosks together): the count of every kind
  (the runtime's, the registered exhibits' declared ones, then any other kind in the data) and
  total visit seconds,
* ``kiosks.csv`` — the per-kiosk breakdown: one row per kiosk with its location, the databases
  read for it, its first and last day, the count of every kind, total and median visit seconds,
* ``visits_per_kiosk.png`` — visits per kiosk,
* ``index.html`` — the above on one page for a curator's browser, with the files read.

Failure modes: a missing or unreadable database is a clear error naming it
(:class:`runtime.fleet.FleetError`, exit 2); an empty period still writes the files, with
"no data" in the plots.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import statistics
from collections.abc import Sequence
from pathlib import Path

from runtime.analytics import RUNTIME_KINDS, known_kinds
from runtime.exhibit import LabelChart
from runtime.fleet import Merged, merge

# The runtime's kinds that count what a visitor did; every exhibit-declared kind does too.
RUNTIME_INTERACTIONS = ("touch",)


def kinds_in(merged: Merged) -> list[str]:
    """The report's kind columns: the runtime's and the registered exhibits' declared kinds (so
    the columns do not depend on the period), then any other kind the databases hold (an exhibit
    retired since, or one this process did not register), sorted."""
    known = list(known_kinds())
    seen = {k for (k,) in merged.con.execute("SELECT DISTINCT kind FROM daily")}
    return known + sorted(seen - set(known))


def declared_charts() -> list[LabelChart]:
    """The registered exhibits' report charts, in registry order (one per file name)."""
    from runtime.registry import REGISTRY

    seen: dict[str, LabelChart] = {}
    for spec in REGISTRY.values():
        for chart in spec.report_charts:
            seen.setdefault(chart.file, chart)
    return list(seen.values())


def interactions(kinds: Sequence[str]) -> list[str]:
    """Of ``kinds``, those that count a visitor's interaction (touches and exhibits' kinds)."""
    return [k for k in kinds if k in RUNTIME_INTERACTIONS or k not in RUNTIME_KINDS]


def _plot_bar(path: Path, labels: list[str], values: list[float], title: str, xlabel: str,
              ylabel: str, colour: str = "#f5b942") -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only; never a window
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    if values and any(values):
        ax.bar(labels, values, color=colour)
    else:
        ax.text(0.5, 0.5, "no data in this period", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=45 if len(labels) > 12 else 0)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plot_hist(path: Path, durations: list[float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    if durations:
        ax.hist(durations, bins=[0, 15, 30, 60, 90, 120, 180, 300, 600, max(601, max(durations))],
                color="#6fc3ff", edgecolor="#1d3557")
        ax.set_xscale("symlog", linthresh=60)
    else:
        ax.text(0.5, 0.5, "no visits in this period", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_title("Visit length")
    ax.set_xlabel("seconds")
    ax.set_ylabel("visits")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report(db: Path | Sequence[Path], out: Path, date_from: dt.date | None = None,
           date_to: dt.date | None = None) -> list[Path]:
    """Write the report files for ``date_from..date_to`` (inclusive); returns their paths.

    ``db``: one database, or a sequence of databases and folders of them (a fleet report).
    Raises :class:`runtime.fleet.FleetError` (a ``ValueError``) naming a file it cannot read.
    """
    merged = merge([Path(db)] if isinstance(db, (str, Path)) else [Path(p) for p in db])
    con = merged.con
    kinds = kinds_in(merged)
    acts = interactions(kinds)
    lo = (date_from or dt.date(1970, 1, 1)).isoformat()
    hi = (date_to or dt.date(9999, 12, 31)).isoformat()
    out.mkdir(parents=True, exist_ok=True)
    q = con.execute

    per_hour = dict(q("SELECT hour, SUM(count) FROM daily WHERE kind = 'visit_start' AND day "
                      "BETWEEN ? AND ? GROUP BY hour", (lo, hi)).fetchall())
    hours = list(range(24))
    _plot_bar(out / "visits_per_hour.png", [f"{h:02d}" for h in hours],
              [per_hour.get(h, 0) for h in hours], "Visits per hour of day", "hour", "visits")

    durations = [r[0] for r in q("SELECT value FROM events WHERE kind = 'visit_end' AND day "
                                 "BETWEEN ? AND ?", (lo, hi))]
    _plot_hist(out / "visit_durations.png", durations)

    rows = q("SELECT exhibit, kind, SUM(count) FROM daily WHERE day BETWEEN ? AND ? AND kind IN "
             f"({', '.join('?' * len(acts))}) GROUP BY exhibit, kind",
             (lo, hi, *acts)).fetchall()
    labels = [f"{e or '-'}\n{k}" for e, k, _ in rows]
    _plot_bar(out / "interactions_per_exhibit.png", labels, [c for _, _, c in rows],
              "Interactions per exhibit", "", "count", "#9d8df1")

    charts = declared_charts()
    for chart in charts:
        found = q("SELECT label, SUM(count) FROM daily WHERE kind = ? AND day BETWEEN ? AND ? "
                  "GROUP BY label ORDER BY 2 DESC", (chart.kind, lo, hi)).fetchall()
        _plot_bar(out / chart.file, [lbl for lbl, _ in found], [c for _, c in found],
                  chart.title, chart.xlabel, "count", "#ffd166")

    csv_path = out / "daily.csv"
    daily = q("SELECT day, exhibit, kind, SUM(count), SUM(total) FROM daily WHERE day BETWEEN ? "
              "AND ? GROUP BY day, exhibit, kind ORDER BY day, exhibit", (lo, hi)).fetchall()
    table: dict[tuple[str, str], dict[str, float]] = {}
    for day, exhibit, kind, count, total in daily:
        row = table.setdefault((day, exhibit), {})
        row[kind] = count
        if kind == "visit_end":
            row["visit_seconds_total"] = round(total, 1)
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["day", "exhibit", *kinds, "visit_seconds_total"])
        for (day, exhibit), row in sorted(table.items()):
            w.writerow([day, exhibit, *(row.get(k, 0) for k in kinds),
                        row.get("visit_seconds_total", 0)])
    kiosks = per_kiosk(merged, lo, hi, kinds)
    kiosks_path = out / "kiosks.csv"
    columns = ["kiosk", "location", "databases", "first_day", "last_day", *kinds,
               "visit_seconds_total", "median_visit_s"]
    with open(kiosks_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for row in kiosks:
            w.writerow([row[c] for c in columns])
    _plot_bar(out / "visits_per_kiosk.png", [r["kiosk"] for r in kiosks],
              [r["visit_start"] for r in kiosks], "Visits per kiosk", "kiosk", "visits",
              "#7bd389")
    con.close()

    pngs = ["visits_per_hour.png", "visit_durations.png", "interactions_per_exhibit.png",
            *dict.fromkeys(c.file for c in charts), "visits_per_kiosk.png"]
    period = f"{date_from or 'start'} – {date_to or 'today'}"
    total_visits = sum(per_hour.values())
    body = "\n".join(f'<figure><img src="{p}" alt="{p}"></figure>' for p in pngs)
    esc = html.escape
    kiosk_rows = "\n".join(
        f"<tr><td>{esc(r['kiosk'])}</td><td>{esc(r['location'])}</td>"
        f"<td>{r['visit_start']}</td><td>{r['median_visit_s']}</td><td>{r['touch']}</td>"
        f"<td>{r['first_day']} – {r['last_day']}</td></tr>" for r in kiosks)
    source_rows = "\n".join(
        f"<li>{esc(str(s.path))}: kiosk {esc(s.kiosk)}, schema {s.schema}, "
        + (f"the same database as {esc(str(s.duplicate_of))} ({s.new_events} events not "
           "already counted)" if s.duplicate_of else f"{s.new_events} events")
        + "</li>" for s in merged.sources)
    source_rows += "".join(f"<li>skipped {esc(line)}</li>" for line in merged.skipped)
    (out / "index.html").write_text(f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>Kiosk report {html.escape(period)}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}
img{{max-width:100%}}figure{{margin:1.5em 0}}</style></head><body>
<h1>키오스크 관람 보고서 · Kiosk visitor report</h1>
<p>{html.escape(period)} · {total_visits} visits · {len(kiosks)} kiosk(s) ·
<a href="daily.csv">daily.csv</a> (one row per day and exhibit) ·
<a href="kiosks.csv">kiosks.csv</a> (one row per kiosk)</p>
<table><tr><th>kiosk</th><th>location</th><th>visits</th><th>median visit s</th>
<th>touches</th><th>days</th></tr>
{kiosk_rows}
</table>
<p>Anonymous counts and durations only: no images, no positions, nothing that identifies a
person. Visit lengths come from raw events, kept for the retention period.</p>
{body}
<h2>Databases read</h2>
<ul>
{source_rows}
</ul>
</body></html>
""", encoding="utf-8")
    return [out / p for p in pngs] + [csv_path, kiosks_path, out / "index.html"]


def per_kiosk(merged: Merged, lo: str, hi: str, kinds: Sequence[str] | None = None
              ) -> list[dict]:
    """One dict per kiosk: the count of every kind, visit seconds, median visit, days, files.

    ``kinds``: the kind keys every row has (default :func:`kinds_in`).
    """
    q = merged.con.execute
    kinds = kinds_in(merged) if kinds is None else kinds
    rows: dict[str, dict] = {}
    for kiosk in merged.kiosks():
        dbs = {s.db_id for s in merged.sources if s.kiosk == kiosk}
        dbs |= {r[0] for r in q("SELECT DISTINCT db FROM daily WHERE kiosk = ?", (kiosk,))}
        rows[kiosk] = {"kiosk": kiosk, "location": merged.locations.get(kiosk, ""),
                       "databases": len(dbs), "first_day": "", "last_day": "",
                       **dict.fromkeys(kinds, 0), "visit_seconds_total": 0.0,
                       "median_visit_s": 0.0}
    for kiosk, kind, count, total in q(
            "SELECT kiosk, kind, SUM(count), SUM(total) FROM daily WHERE day BETWEEN ? AND ? "
            "GROUP BY kiosk, kind", (lo, hi)):
        rows[kiosk][kind] = count
        if kind == "visit_end":
            rows[kiosk]["visit_seconds_total"] = round(total, 1)
    for kiosk, first, last in q("SELECT kiosk, min(day), max(day) FROM daily WHERE day BETWEEN "
                                "? AND ? GROUP BY kiosk", (lo, hi)):
        rows[kiosk]["first_day"], rows[kiosk]["last_day"] = first, last
    for kiosk in rows:
        lengths = [v for (v,) in q("SELECT value FROM events WHERE kiosk = ? AND kind = "
                                   "'visit_end' AND day BETWEEN ? AND ?", (kiosk, lo, hi))]
        rows[kiosk]["median_visit_s"] = round(statistics.median(lengths), 1) if lengths else 0.0
    return [rows[k] for k in sorted(rows)]
