"""The landmark table in the Studio: rows as typed, cell-level errors, CSV out, and the map.

The check is the kiosk's own (:func:`exhibits.city.landmarks.parse_landmarks`); its messages name
"row N, column C" (spreadsheet rows: the header is row 1), which :func:`cell_errors` turns into a
``{(row, column): message}`` map so each message shows in its cell. :func:`map_svg` places every
row with usable coordinates with the exhibit's own projection
(:class:`exhibits.city.projection.MapProjection`, same margins) on a small 16:9 map, joined by the
exhibit's constellation edges, so a curator sees where a new point lands before publishing.
Pure Python and numpy (no pygame).
"""

from __future__ import annotations

import csv
import html
import io
import re

from exhibits.city.landmarks import COLUMNS, LAT_RANGE, LON_RANGE, parse_landmarks

_CELL = re.compile(r" row (\d+), column (\w+): (.*)$")
_ROW = re.compile(r" row (\d+): (.*)$")


def read_rows(text: str) -> list[dict]:
    """Rows of a landmark CSV as typed: ``{"row": N, column: text, ...}`` (blank lines skipped;
    unknown columns dropped, missing ones empty)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return []
    rows = []
    try:
        while True:
            row_no = reader.line_num + 1
            values = next(reader, None)
            if values is None:
                break
            if not any(v.strip() for v in values):
                continue
            row = {"row": row_no}
            for col in COLUMNS:
                i = header.index(col) if col in header else -1
                row[col] = values[i] if 0 <= i < len(values) else ""
            rows.append(row)
    except csv.Error:
        pass
    return rows


def write_rows(rows: list[dict]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([" ".join(str(r.get(c, "")).split()) if c not in ("desc_ko", "desc_en")
                    else str(r.get(c, "")).replace("\r", " ").replace("\n", " ")
                    for c in COLUMNS])
    return out.getvalue()


def check(text: str, name: str) -> tuple[dict[tuple[int, str], list[str]], dict[int, list[str]],
                                         list[str]]:
    """``(cell errors, row errors, file errors)`` of a landmark CSV, by the kiosk's check."""
    _, problems = parse_landmarks(text, name)
    cells: dict[tuple[int, str], list[str]] = {}
    rows: dict[int, list[str]] = {}
    whole: list[str] = []
    for p in problems:
        m = _CELL.search(p)
        if m:
            cells.setdefault((int(m.group(1)), m.group(2)), []).append(m.group(3))
            continue
        m = _ROW.search(p)
        if m and int(m.group(1)) > 1:
            rows.setdefault(int(m.group(1)), []).append(m.group(2))
        else:
            whole.append(p)
    return cells, rows, whole


def rows_from_form(form) -> list[dict]:
    """The table as posted (``cell[i][column]``), less rows marked for removal, plus a new
    empty row when "add" was pressed."""
    try:
        n = max(0, min(200, int(form.get("rows", "0"))))
    except ValueError:
        n = 0
    rows = []
    for i in range(n):
        if form.get(f"remove[{i}]") == "on":
            continue
        rows.append({c: form.get(f"cell[{i}][{c}]", "")[:400] for c in COLUMNS})
    if form.get("row_action") == "add":
        rows.append(dict.fromkeys(COLUMNS, ""))
    return rows


def _coord(text: str, lo: float, hi: float) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if lo <= v <= hi else None


def map_svg(rows: list[dict], size: tuple[int, int] = (640, 360)) -> str:
    """An SVG of where each row with usable coordinates lands on the exhibit's map."""
    from exhibits.city.projection import MapProjection, constellation_edges

    pts = [(r, _coord(r["lat"], *LAT_RANGE), _coord(r["lon"], *LON_RANGE)) for r in rows]
    pts = [(r, la, lo) for r, la, lo in pts if la is not None and lo is not None]
    w, h = size
    parts = [f'<svg class="map" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
             f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="landmark map">',
             f'<rect width="{w}" height="{h}" fill="#060a1c"/>']
    if not pts:
        parts.append(f'<text x="{w / 2}" y="{h / 2}" fill="#8090b0" text-anchor="middle">'
                     'no coordinates to place</text></svg>')
        return "".join(parts)
    proj = MapProjection([p[1] for p in pts], [p[2] for p in pts], size)
    xy = proj.to_screen([p[1] for p in pts], [p[2] for p in pts]).reshape(-1, 2)
    x0, y0, mw, mh = proj.map_rect
    parts.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{mw:.1f}" height="{mh:.1f}" '
                 'fill="none" stroke="#1d2a4a" stroke-dasharray="4 4"/>')
    for i, j in constellation_edges(xy):
        parts.append(f'<line x1="{xy[i][0]:.1f}" y1="{xy[i][1]:.1f}" x2="{xy[j][0]:.1f}" '
                     f'y2="{xy[j][1]:.1f}" stroke="#46608f" stroke-width="1.5"/>')
    for (r, _, _), (x, y) in zip(pts, xy, strict=True):
        label = html.escape(r["name_ko"] or r["id"])
        parts.append(f'<g><title>{html.escape(r["id"])} · row {r.get("row", "")}</title>'
                     f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#96b4ff"/>'
                     f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" fill="#e2e8f6" '
                     f'font-size="12">{label}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
