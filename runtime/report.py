"""``kiosk.py report``: plots and a CSV of what visitors did, for curators.

Reads the analytics database (never the camera; it holds only counts and durations) and writes
into ``--out``:

* ``visits_per_hour.png`` — visits started per hour of day (from daily totals: any period),
* ``visit_durations.png`` — histogram of visit lengths (raw events: the retention period only),
* ``interactions_per_exhibit.png`` — touches, seeds planted, landmarks discovered, info opened,
* ``landmarks_discovered.png`` — discoveries per landmark,
* ``daily.csv`` — one row per day and exhibit: the count of every kind and total visit seconds,
* ``index.html`` — the above on one page for a curator's browser.

Failure modes: a missing database is a clear error (exit 2); an empty period still writes the
files, with "no data" in the plots.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
from pathlib import Path

from runtime.analytics import KINDS, connect

INTERACTIONS = ("touch", "seed_planted", "landmark_discovered", "info_opened")


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


def report(db: Path, out: Path, date_from: dt.date | None = None,
           date_to: dt.date | None = None) -> list[Path]:
    """Write the report files for ``date_from..date_to`` (inclusive); returns their paths."""
    if not Path(db).is_file():
        raise FileNotFoundError(f"no analytics database at {db}")
    con = connect(db)
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
             f"({', '.join('?' * len(INTERACTIONS))}) GROUP BY exhibit, kind",
             (lo, hi, *INTERACTIONS)).fetchall()
    labels = [f"{e or '-'}\n{k}" for e, k, _ in rows]
    _plot_bar(out / "interactions_per_exhibit.png", labels, [c for _, _, c in rows],
              "Interactions per exhibit", "", "count", "#9d8df1")

    found = q("SELECT label, SUM(count) FROM daily WHERE kind = 'landmark_discovered' AND day "
              "BETWEEN ? AND ? GROUP BY label ORDER BY 2 DESC", (lo, hi)).fetchall()
    _plot_bar(out / "landmarks_discovered.png", [lbl for lbl, _ in found],
              [c for _, c in found], "Landmarks discovered", "landmark", "discoveries", "#ffd166")

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
        w.writerow(["day", "exhibit", *KINDS, "visit_seconds_total"])
        for (day, exhibit), row in sorted(table.items()):
            w.writerow([day, exhibit, *(row.get(k, 0) for k in KINDS),
                        row.get("visit_seconds_total", 0)])
    con.close()

    pngs = ["visits_per_hour.png", "visit_durations.png", "interactions_per_exhibit.png",
            "landmarks_discovered.png"]
    period = f"{date_from or 'start'} – {date_to or 'today'}"
    total_visits = sum(per_hour.values())
    body = "\n".join(f'<figure><img src="{p}" alt="{p}"></figure>' for p in pngs)
    (out / "index.html").write_text(f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>Kiosk report {html.escape(period)}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}
img{{max-width:100%}}figure{{margin:1.5em 0}}</style></head><body>
<h1>키오스크 관람 보고서 · Kiosk visitor report</h1>
<p>{html.escape(period)} · {total_visits} visits ·
<a href="daily.csv">daily.csv</a> (one row per day and exhibit)</p>
<p>Anonymous counts and durations only: no images, no positions, nothing that identifies a
person. Visit lengths come from raw events, kept for the retention period.</p>
{body}
</body></html>
""", encoding="utf-8")
    return [out / p for p in pngs] + [csv_path, out / "index.html"]
