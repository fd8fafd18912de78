"""Numbers' geometry and records: the cell grid on screen, a digit, a walker, the day's ledger.

:class:`Layout` maps the screen (pixels, and positions normalised 0..1) to the cell grid the
grower runs on, and places the caption band and the ⓘ button. Settings in pixels are for a
1080-line screen (:data:`REF_LINES`) and scale with the screen's height. :class:`Digit` and
:class:`Walker` are the exhibit's records of one living digit and one present visitor;
:class:`DayLedger` is the visitors' place in the sequence today.

The ledger outlives the exhibit instance (one is built at every showing): :func:`day_ledger`
keeps it in the exhibit's store (``ctx.store``, one per exhibit name, owned by the kiosk).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from exhibits.numbers.growth import TARGET_CELLS

REF_LINES = 1080  # settings in px are for a 1080-line screen
HALF = TARGET_CELLS // 2
SPACING = (20, 26)  # digits closer than this (cells, x and y) would grow into each other
NUDGE_CELLS = 14  # how far a seed may move to find room


@dataclass
class DayLedger:
    """The visitors' place in the sequence today and how many digits they grew."""

    day: dt.date
    next_index: int = 0  # 0-based index of the next visitor digit
    grown: int = 0


def day_ledger(store: Any, sequence: tuple, today: dt.date) -> DayLedger:
    """Today's ledger for ``sequence`` (``(name, text_digits)``), kept in ``store``.

    ``store`` is the exhibit's :class:`runtime.store.ExhibitStore` (``ctx.store``): exhibit
    instances are created each time the playlist shows one, so the position lives in what the
    kiosk keeps for the exhibit's name. A new day starts a new ledger (the old one is replaced).
    """
    key = ("numbers.ledger", *sequence)
    ledger = store.get(key)
    if ledger is None or ledger.day != today:
        ledger = store.put(key, DayLedger(today))
    return ledger


@dataclass
class Digit:
    """One living digit. ``box`` is (x0, y0, x1, y1) in cells; ``cx, cy`` its seed cell."""

    number: int  # 1-based position in the sequence
    value: int
    cx: int
    cy: int
    box: tuple[int, int, int, int]
    colour: tuple[int, int, int]
    born_t: float
    by_visitor: bool
    planter: str = ""
    sounded: bool = False
    fade_t: float | None = None
    alive_cells: int = 0
    empty_since: float | None = None
    stunted_since: float | None = None
    flash_t: float = 0.0


@dataclass
class Walker:
    """What the exhibit remembers about one present visitor."""

    source: str
    pos: tuple[float, float]
    anchor: tuple[float, float]
    anchor_t: float
    planted: bool = False
    stamp: tuple[float, float] | None = None  # where damage was last stamped
    down: tuple[float, float] = (0.0, 0.0)  # touch-down point
    dragging: bool = False
    consumed: bool = False  # the touch opened/closed ⓘ: it plants and erases nothing
    vel: tuple[float, float] = (0.0, 0.0)
    last_t: float = 0.0
    guard: tuple[float, float] | None = None  # own digit's seed point, spared until left
    reach: tuple[int, int] = (1, 1)  # half-axes (cells) of the area a step erases


@dataclass
class Layout:
    """Screen geometry: the cell grid, the caption band and the ⓘ button, in pixels."""

    size: tuple[int, int]
    grid: tuple[int, int]  # (width, height) in cells
    cell_px: float
    band_h: int
    rows_usable: int  # cell rows above the caption band
    button: tuple[int, int, int]  # centre x, centre y, radius

    @classmethod
    def for_screen(cls, size: tuple[int, int], digit_px: int) -> Layout:
        w, h = size
        gh = max(TARGET_CELLS + 2, round(REF_LINES * TARGET_CELLS / digit_px))
        gw = max(TARGET_CELLS + 2, round(gh * w / h))
        cell = h / gh
        band = round(0.15 * h)
        usable = max(TARGET_CELLS, int((h - band) / cell))
        r = max(8, round(0.03 * h))
        return cls(size, (gw, gh), cell, band, min(usable, gh), (round(w - 0.11 * w),
                                                                   round(0.075 * h), r))

    def cells(self, px: float) -> float:
        """A length given in pixels of a 1080-line screen, in cells."""
        return px * self.grid[1] / REF_LINES

    def to_cell(self, pos: tuple[float, float]) -> tuple[int, int]:
        gw, gh = self.grid
        return (min(gw - 1, max(0, int(pos[0] * gw))), min(gh - 1, max(0, int(pos[1] * gh))))

    def to_px(self, cx: float, cy: float) -> tuple[int, int]:
        return round((cx + 0.5) * self.cell_px), round((cy + 0.5) * self.cell_px)

    def dist_cells(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        """Distance in cells between two normalised positions."""
        gw, gh = self.grid
        return math.hypot((a[0] - b[0]) * gw, (a[1] - b[1]) * gh)

    def box_at(self, cx: int, cy: int) -> tuple[int, int, int, int]:
        """The 32×32 box centred on (cx, cy), moved inside the grid above the band."""
        gw = self.grid[0]
        x0 = min(max(0, cx - HALF), gw - TARGET_CELLS)
        y0 = min(max(0, cy - HALF), self.rows_usable - TARGET_CELLS)
        return x0, y0, x0 + TARGET_CELLS, y0 + TARGET_CELLS

    def on_button(self, pos: tuple[float, float]) -> bool:
        bx, by, r = self.button
        x, y = pos[0] * self.size[0], pos[1] * self.size[1]
        return math.hypot(x - bx, y - by) <= 1.7 * r
