"""The Numbers exhibit: living digits that visitors plant, damage and regrow (수의 언어).

What a visitor sees: a dark, slowly moving neural pattern (a CPPN) that bends toward people and
quickens while they move. A touch plants a seed at once (a ring flashes there); a camera visitor
who stands still sees a ring fill around them for about a second, then the seed is planted. The
next digit of the sequence (π by default) grows from that single cell in about two seconds and
plays a note (digit → pentatonic degree). Dragging a finger or walking through digits erases the
cells under the visitor; the digits regrow from what is left. With more than ``max_digits`` the
oldest fades. A caption strip at the bottom (Korean first) writes the sequence with the newest
digit highlighted, "42번째 숫자를 키웠어요 · you grew digit #42" and today's count. The ⓘ button
(top right) opens a close-up of the cells with their hidden channels and two sentences on how each
cell sees only its neighbours. A clap (microphone onset) makes the digits pulse. After ``idle_s``
with nobody there the digits write themselves in reading order (two lines across the screen)
and a bilingual hint invites visitors.

Choices (where the issue leaves them open):

* One sequence position per kiosk, sequence and day: every digit grown (by a visitor or by the
  exhibit itself) is the next one, so "you grew digit #n" and the caption always agree. The
  position survives visits and exhibit switches (kept per kiosk, see :func:`day_ledger`); a
  visit's end only closes the ⓘ view. "Digits grown today" and the ``seed_planted`` analytics
  count visitors' digits only. Whenever the exhibit appears it writes two digits itself (so the
  screen is never empty), and in attract mode it keeps writing, in reading order.
* A seed planted on a living digit moves to the nearest free place within ``NUDGE_CELLS``
  (digits never grow into each other); with no room there it replaces the digits it covers. A
  digit wiped out completely re-seeds itself after ``EMPTY_RESEED_S`` (the regrowth is the
  point, so a digit never just vanishes).
* The visitor who planted a digit does not erase it while walking away from it (until they are
  a damage radius away); everyone else does.
* Sound: the note plays when a digit finishes growing; planting answers at once with light.

Model paths: trained weights (``models/weights/nca_digits.pt``) → the NCA on a worker thread;
no weights, a model error or safe mode → :class:`~exhibits.numbers.growth.GlyphCells` (one
warning in the log). The CPPN runs on a worker thread; safe mode shows a still gradient instead.

Drawing costs (1080p): one cached background blit, one premultiplied blit of the digit layer, a
few cached text surfaces; each new model frame is upscaled once (≈1–2 ms).
"""

from __future__ import annotations

import datetime as dt
import math
import weakref
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pygame

from exhibits.numbers.background import FieldSource, still_field
from exhibits.numbers.growth import HIDDEN_SHOWN, TARGET_CELLS, Garden, InlineWorker
from exhibits.numbers.look import PALETTES, digit_colour
from exhibits.numbers.sequences import DigitSequence
from exhibits.numbers.settings import NumbersSettings
from runtime.events import VisitorEvent
from runtime.exhibit import BaseExhibit, ExhibitContext
from runtime.settings import fill_template

REF_LINES = 1080  # settings in px are for a 1080-line screen
HALF = TARGET_CELLS // 2
FADE_S = 1.2  # an old digit fades out over this long
FLASH_S = 0.8  # the ring that answers a plant
PULSE_S = 0.45  # decay of a clap's pulse
EMPTY_RESEED_S = 1.0  # a digit with no living cells this long is re-seeded
PRESENCE_EVERY_S = 0.2  # how often living cells are counted per digit
STEER_EVERY_S = 0.05  # CPPN steering rate (20 Hz)
SNAPSHOT_EVERY_S = 0.1  # the ⓘ close-up refresh
CPPN_FPS = 20.0
CROP = 24  # cells per side of the ⓘ close-up
SPACING = (20, 26)  # digits closer than this (cells, x and y) would grow into each other
NUDGE_CELLS = 14  # how far a seed may move to find room
TOUCH_SOURCES = ("touch", "mouse")
CHANNEL_COLOURS = ((90, 220, 255), (255, 110, 200), (255, 200, 80), (140, 255, 140))

_LEDGERS: weakref.WeakKeyDictionary[Any, dict] = weakref.WeakKeyDictionary()


@dataclass
class DayLedger:
    """The visitors' place in the sequence today and how many digits they grew."""

    day: dt.date
    next_index: int = 0  # 0-based index of the next visitor digit
    grown: int = 0


def day_ledger(owner: Any, key: tuple, today: dt.date) -> DayLedger:
    """The ledger for ``key`` (sequence) kept on ``owner`` (the kiosk's shared assets object).

    Exhibit instances are created each time the playlist shows one, so the position must live
    on something the kiosk keeps: the context's ``assets`` is one object per kiosk. A new day
    starts a new ledger.
    """
    book = _LEDGERS.setdefault(owner, {})
    ledger = book.get(key)
    if ledger is None or ledger.day != today:
        ledger = book[key] = DayLedger(today)
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

    def to_cell(self, pos: tuple[float, float]) -> tuple[int, int]:
        gw, gh = self.grid
        return (min(gw - 1, max(0, int(pos[0] * gw))), min(gh - 1, max(0, int(pos[1] * gh))))

    def to_px(self, cx: float, cy: float) -> tuple[int, int]:
        return round((cx + 0.5) * self.cell_px), round((cy + 0.5) * self.cell_px)

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


def visitor_key(visitor_id: str) -> int:
    """A stable small int for a visitor id (CPPN steering slots)."""
    return zlib.crc32(visitor_id.encode()) & 0x7FFFFFFF


class NumbersExhibit(BaseExhibit):
    """See the module docstring.

    Args (beyond the protocol's): ``threaded`` runs models on worker threads (the kiosk);
    ``False`` steps them inline from :meth:`update` on the kiosk clock, so renders and tests are
    repeatable; ``None`` (default) follows ``ctx.inline_models`` (inline on a simulated clock).
    ``weights`` overrides the digits weights file (None: the shipped path; ``False``: no NCA).
    ``model`` injects an NCA module (tests). ``cppn_width`` is the background's evaluation
    width in pixels. ``today`` gives the date for the day ledger.
    """

    def __init__(self, ctx: ExhibitContext, settings: NumbersSettings | None = None, *,
                 threaded: bool | None = None, weights: Any = None, model: Any = None,
                 cppn_width: int = 320, today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__(ctx, settings if settings is not None else NumbersSettings())
        s = self.settings
        if threaded is None:
            threaded = not ctx.inline_models
        self.threaded, self.weights, self.model = threaded, weights, model
        self.cppn_width = cppn_width
        self.today = today
        self.palette = PALETTES[s.palette]
        self.style = s.cppn_style or self.palette.cppn_style
        self.layout = Layout.for_screen(ctx.size, s.digit_px)
        gw, gh = self.layout.grid
        self.damage_r = max(1.0, s.damage_radius_px * gh / REF_LINES)  # cells
        self.t = 0.0
        self.digits: list[Digit] = []
        self.walkers: dict[str, Walker] = {}
        self.sequence: DigitSequence | None = None
        self.ledger: DayLedger | None = None
        self.garden: Garden | None = None
        self.field_worker: Any = None
        self.field_source: FieldSource | None = None
        self.still_bg: np.ndarray | None = None
        self.last_activity_t = -1e9
        self.attract = False
        self.next_attract_t = 0.0
        self.intro_left = 2  # digits the exhibit writes itself on appearing
        self.next_intro_t = 0.3
        self.last_grown: Digit | None = None  # the latest visitor digit (caption)
        self.newest: Digit | None = None
        self.pulse_t = -1e9
        self.info_open_t: float | None = None
        self.info_cell = (0, 0)
        self.model_kind = "glyphs"
        self.tint_version = 0
        self.mode_note = ""
        self._damage = np.zeros((gh, gw), bool)
        self._damage_any = False
        self._rng = np.random.default_rng(ctx.seed + 505)
        self._next_presence_t = 0.0
        self._next_steer_t = 0.0
        self._next_snapshot_t = 0.0
        self._vision_key: Any = None
        self._last_mask: np.ndarray | None = None
        self._warned: set[str] = set()
        self._disc_cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._dist_tpl = self._distance_template()
        # render caches (draw only)
        self._text_cache: dict[tuple, pygame.Surface] = {}
        self._bg_seq = -1
        self._bg_small: pygame.Surface | None = None
        self._bg_big: pygame.Surface | None = None
        self._layer_key: tuple = ()
        self._layer_buf = np.zeros((gh, gw, 4), np.uint8)
        self._layer_big: pygame.Surface | None = None
        self._band: pygame.Surface | None = None
        self._tint_key: tuple = ()
        self._tint = np.full((gh, gw, 4), 255, np.uint8)
        self._composed_t = -1.0
        self._info_panel: pygame.Surface | None = None
        self._info_live: pygame.Surface | None = None
        self._info_live_key: tuple = ()
        self._grid_overlay: dict[int, pygame.Surface] = {}

    # --- lifecycle -------------------------------------------------------------------------------
    def enter(self) -> None:
        s = self.settings
        self.sequence = DigitSequence(s.sequence, s.text_digits)
        self.ledger = day_ledger(self.ctx.assets, (s.sequence, s.text_digits), self.today())
        self.garden = self._make_garden()
        self.model_kind = self.garden.kind
        self._start_background()
        self.last_activity_t = 0.0  # the intro writes first; attract after idle_s of nobody

    def leave(self) -> None:
        if self.garden is not None:
            self.garden.stop()
            self.garden = None
        if self.field_worker is not None:
            self.field_worker.stop()
            self.field_worker = None
        self._text_cache.clear()
        self._bg_big = self._layer_big = self._info_panel = self._info_live = None
        self._grid_overlay.clear()
        if self.ctx.audio is not None:
            self._audio("fade_all", 1.0)

    def _warn(self, msg: str) -> None:
        if msg not in self._warned:
            self._warned.add(msg)
            self.ctx.log.warning(msg)

    def _make_garden(self) -> Garden:
        gw, gh = self.layout.grid
        s = self.settings
        plain = Garden.glyphs(gw, gh, s.growth_s, seed=self.ctx.seed)
        if self.ctx.safe_mode:
            self._warn("safe mode: digits grow as plain glyphs (no NCA)")
            return plain.start()
        model = self.model
        if model is None and self.weights is not False:
            from models.catalog import weights_path

            path = weights_path("digits") if self.weights is None else self.weights
            if not path.exists():
                self._warn(f"no trained digits weights at {path}; digits grow as plain glyphs "
                           "until they are there")
                return plain.start()
            try:
                from models.nca import NCA

                model = NCA.load(path, self.ctx.device)
            except Exception as err:  # noqa: BLE001 - a bad file must not take the exhibit down
                self._warn(f"digits weights {path} unusable ({type(err).__name__}: {err}); "
                           "digits grow as plain glyphs")
                return plain.start()
        if model is None:
            return plain.start()
        try:
            self._configure_cpu()
            return Garden.nca(model, gw, gh, s.growth_s, seed=self.ctx.seed,
                              device=self.ctx.device, threaded=self.threaded).start()
        except Exception as err:  # noqa: BLE001
            self._warn(f"NCA could not start ({type(err).__name__}: {err}); plain glyphs")
            return plain.start()

    def _configure_cpu(self) -> None:
        """One torch thread per model on a 2-core CPU: with two, every small matmul waits for
        a busy core (measured: 15 ms instead of 5 µs for the CPPN's products under load)."""
        if self.ctx.device != "cpu":
            return
        import os

        import torch

        from models.engine import configure_cpu

        if torch.get_num_threads() >= (os.cpu_count() or 2):
            configure_cpu()  # leave a core for rendering (a no-op once the kiosk did it)

    def _start_background(self) -> None:
        w, h = self.ctx.size
        cw = max(16, min(self.cppn_width, w))
        ch = max(9, round(cw * h / w))
        if self.ctx.safe_mode:
            self.still_bg = still_field((cw, ch), self.palette.band)
            return
        try:
            from models.cppn import CPPNField
            from models.engine import FrameWorker

            self._configure_cpu()
            fld = CPPNField(self.style, cw, ch, seed=self.ctx.seed, device=self.ctx.device)
            self.field_source = FieldSource(fld, self.settings.background_level)
            if self.threaded:
                self.field_worker = FrameWorker(self.field_source, CPPN_FPS, name="numbers-field")
            else:
                self.field_worker = InlineWorker(self.field_source, CPPN_FPS)
            self.field_worker.start()
        except Exception as err:  # noqa: BLE001 - the field is decoration: a gradient will do
            self._warn(f"background pattern unavailable ({type(err).__name__}: {err}); "
                       "plain gradient")
            self.field_worker = self.field_source = None
            self.still_bg = still_field((cw, ch), self.palette.band)

    # --- input -----------------------------------------------------------------------------------
    def on_visitor(self, event: VisitorEvent) -> None:
        super().on_visitor(event)
        t = self.t
        self.last_activity_t = t
        vid = event.visitor_id
        if event.kind == "leave":
            self.walkers.pop(vid, None)
            return
        w = self.walkers.get(vid)
        if event.kind == "enter" or w is None:
            w = self.walkers[vid] = Walker(event.source, event.pos, event.pos, t, down=event.pos,
                                           stamp=event.pos, last_t=event.t)
            w.reach = self._reach(event)
            if event.source in TOUCH_SOURCES:
                self._touch_down(w, event.pos)
            return
        # a move
        dt_ev = max(1e-3, event.t - w.last_t)
        vx, vy = event.delta[0] / dt_ev, event.delta[1] / dt_ev
        w.vel = (0.7 * w.vel[0] + 0.3 * vx, 0.7 * w.vel[1] + 0.3 * vy)
        w.last_t = event.t
        prev, w.pos = w.pos, event.pos
        w.reach = self._reach(event)
        if event.source in TOUCH_SOURCES:
            if w.consumed:
                return
            if not w.dragging and self._dist_cells(w.pos, w.down) > 0.6 * self.damage_r:
                w.dragging = True
            if w.dragging:
                self._stamp_path(w, prev, w.pos)
            return
        if self._dist_cells(w.pos, w.anchor) > max(1.5, 0.3 * self.damage_r):
            w.anchor, w.anchor_t, w.planted = w.pos, t, False
        if w.guard is not None and self._dist_cells(w.pos, w.guard) > max(w.reach) + HALF + 2:
            w.guard = None
        self._stamp_path(w, prev, w.pos)

    def _reach(self, event: VisitorEvent) -> tuple[int, int]:
        """Half-axes in cells of what a visitor erases: a finger's disc (``damage_radius_px``),
        or a tracked person's silhouette from the event's size (never smaller than the disc)."""
        r = self.damage_r
        if event.source in TOUCH_SOURCES or event.size is None:
            return round(r), round(r)
        gw, gh = self.layout.grid
        return (round(max(r, 0.4 * event.size[0] * gw)), round(max(r, 0.4 * event.size[1] * gh)))

    def _touch_down(self, w: Walker, pos: tuple[float, float]) -> None:
        if self.info_open_t is not None:
            self.info_open_t = None  # any touch closes "how it works"
            w.consumed = True
            return
        if self.settings.info_timeout_s > 0 and self.layout.on_button(pos):
            self.info_open_t = self.t
            self._next_snapshot_t = self.t
            w.consumed = True
            self._record("info_opened")
            return
        self._plant(self.layout.to_cell(pos), by_visitor=True, planter="")

    def _dist_cells(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        gw, gh = self.layout.grid
        return math.hypot((a[0] - b[0]) * gw, (a[1] - b[1]) * gh)

    def _stamp_path(self, w: Walker, a: tuple[float, float], b: tuple[float, float]) -> None:
        """Erase along the segment a→b: a disc every third of a radius (so no gaps)."""
        if self.settings.damage_strength <= 0:
            return
        last = w.stamp or a
        d = self._dist_cells(last, b)
        step = max(1.0, self.damage_r / 3)
        if d < step:
            return
        n = int(d // step)
        gw, gh = self.layout.grid
        for i in range(1, n + 1):
            f = i * step / d
            p = (last[0] + (b[0] - last[0]) * f, last[1] + (b[1] - last[1]) * f)
            if w.guard is not None and self._dist_cells(p, w.guard) < max(w.reach) + HALF:
                continue
            self._stamp_disc(p[0] * gw, p[1] * gh, w.reach)
            w.stamp = p
        if w.stamp is not None and self._dist_cells(w.stamp, b) >= step:
            w.stamp = b

    def _disc(self, rx: int, ry: int) -> tuple[np.ndarray, np.ndarray]:
        """Cell offsets (dy, dx) inside the ellipse with half-axes rx, ry (cached)."""
        got = self._disc_cache.get((rx, ry))
        if got is None:
            ys, xs = np.mgrid[-ry:ry + 1, -rx:rx + 1]
            keep = (xs / (rx + 0.5)) ** 2 + (ys / (ry + 0.5)) ** 2 <= 1.0
            got = self._disc_cache[(rx, ry)] = (ys[keep], xs[keep])
        return got

    def _stamp_disc(self, x: float, y: float, reach: tuple[int, int]) -> None:
        gw, gh = self.layout.grid
        dy, dx = self._disc(*reach)
        ys, xs = dy + int(y), dx + int(x)
        ok = (ys >= 0) & (ys < gh) & (xs >= 0) & (xs < gw)
        ys, xs = ys[ok], xs[ok]
        strength = self.settings.damage_strength
        if strength < 1.0:
            hit = self._rng.random(len(ys)) < strength
            ys, xs = ys[hit], xs[hit]
        if len(ys):
            self._damage[ys, xs] = True
            self._damage_any = True

    # --- planting --------------------------------------------------------------------------------
    def _plant(self, cell: tuple[int, int], *, by_visitor: bool, planter: str) -> Digit | None:
        assert self.sequence is not None and self.ledger is not None and self.garden is not None
        self._check_day()
        index = self.ledger.next_index
        self.ledger.next_index += 1
        if by_visitor:
            self.ledger.grown += 1
        value = self.sequence.digit(index)
        x0, y0, x1, y1 = self._free_box(cell)
        cx, cy = x0 + HALF, y0 + HALF
        for d in [d for d in self.digits if d.fade_t is None]:
            if abs(d.cx - cx) < SPACING[0] and abs(d.cy - cy) < SPACING[1]:
                self._remove(d)  # no room nearby: the new digit replaces it
        living = [d for d in self.digits if d.fade_t is None]
        while len(living) >= self.settings.max_digits:
            living.pop(0).fade_t = self.t  # the oldest fades out (see update)
        digit = Digit(index + 1, value, cx, cy, (x0, y0, x1, y1),
                      digit_colour(self.palette, value), self.t, by_visitor, planter,
                      flash_t=self.t)
        self.garden.plant(str(value), cx, cy)
        self.digits.append(digit)
        self.newest = digit
        self.tint_version += 1
        if by_visitor:
            self.last_grown = digit
            self._record("seed_planted")
        return digit

    def _free_box(self, cell: tuple[int, int]) -> tuple[int, int, int, int]:
        """The box at ``cell``, or the nearest one within NUDGE_CELLS that overlaps no living
        digit (falls back to the box at ``cell``)."""
        living = [d for d in self.digits if d.fade_t is None]
        want = self.layout.box_at(*cell)

        def free(box: tuple[int, int, int, int]) -> bool:
            cx, cy = box[0] + HALF, box[1] + HALF
            return all(abs(d.cx - cx) >= SPACING[0] or abs(d.cy - cy) >= SPACING[1]
                       for d in living)

        if free(want):
            return want
        best, best_d = want, math.inf
        for dy in range(-NUDGE_CELLS, NUDGE_CELLS + 1, 2):
            for dx in range(-NUDGE_CELLS, NUDGE_CELLS + 1, 2):
                box = self.layout.box_at(cell[0] + dx, cell[1] + dy)
                dist = math.hypot(box[0] - want[0], box[1] - want[1])
                if dist < best_d and dist <= NUDGE_CELLS * 1.42 and free(box):
                    best, best_d = box, dist
        return best

    def _check_day(self) -> None:
        today = self.today()
        if self.ledger is not None and self.ledger.day != today:
            s = self.settings
            self.ledger = day_ledger(self.ctx.assets, (s.sequence, s.text_digits), today)

    def _box_mask(self, d: Digit) -> np.ndarray:
        """d's box, minus the boxes of other living digits (so removal never cuts them)."""
        gw, gh = self.layout.grid
        m = np.zeros((gh, gw), bool)
        x0, y0, x1, y1 = d.box
        m[y0:y1, x0:x1] = True
        for o in self.digits:
            if o is not d and o.fade_t is None:
                ox0, oy0, ox1, oy1 = o.box
                m[oy0:oy1, ox0:ox1] = False
        return m

    def _remove(self, d: Digit) -> None:
        if self.garden is not None:
            self.garden.remove(self._box_mask(d))
        self.digits.remove(d)
        if self.newest is d:
            self.newest = self.digits[-1] if self.digits else None
        self.tint_version += 1

    # --- update ----------------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        self.t += dt
        t = self.t
        s = self.settings
        if self.garden is not None and self.garden.failed() is not None and \
                self.garden.kind == "nca":
            self._fall_back()
        self._listen()
        self._walkers_update(dt)
        self._vision_damage()
        self._attract_update()
        if self._damage_any and self.garden is not None:
            self.garden.damage(self._damage)
            self._damage[:] = False
            self._damage_any = False
        for d in list(self.digits):
            if d.fade_t is not None and t - d.fade_t >= FADE_S:
                self._remove(d)
            elif not d.sounded and t - d.born_t >= s.growth_s:
                d.sounded = True
                self._sound(d)
        if t >= self._next_presence_t:
            self._next_presence_t = t + PRESENCE_EVERY_S
            self._presence()
        if t >= self._next_steer_t:
            self._next_steer_t = t + STEER_EVERY_S
            self._steer()
        if self.info_open_t is not None:
            if t - self.info_open_t >= s.info_timeout_s:
                self.info_open_t = None
            elif t >= self._next_snapshot_t and self.garden is not None:
                self._next_snapshot_t = t + SNAPSHOT_EVERY_S
                self.garden.request_snapshot(self._crop_box())
        if self.garden is not None:
            self.garden.advance(dt)
        if isinstance(self.field_worker, InlineWorker):
            self.field_worker.advance(dt)

    def _fall_back(self) -> None:
        """The NCA worker died: carry on with plain glyphs, replanting the living digits."""
        assert self.garden is not None
        self._warn(f"NCA worker failed ({self.garden.failed()!r}); digits grow as plain glyphs")
        self.garden.stop()
        gw, gh = self.layout.grid
        self.garden = Garden.glyphs(gw, gh, self.settings.growth_s, seed=self.ctx.seed).start()
        self.model_kind = "glyphs"
        for d in self.digits:
            self.garden.plant(str(d.value), d.cx, d.cy)

    def _walkers_update(self, dt: float) -> None:
        decay = math.exp(-dt / 0.3)
        for vid, w in self.walkers.items():
            w.vel = (w.vel[0] * decay, w.vel[1] * decay)
            if w.source in TOUCH_SOURCES or w.planted:
                continue
            if self.t - w.anchor_t >= self.settings.still_s:
                w.planted = True
                d = self._plant(self.layout.to_cell(w.anchor), by_visitor=True, planter=vid)
                if d is not None:
                    gw, gh = self.layout.grid
                    w.guard = ((d.cx + 0.5) / gw, (d.cy + 0.5) / gh)

    def _attract_update(self) -> None:
        s = self.settings
        idle = not self.visitors and self.t - self.last_activity_t >= s.idle_s
        if self.intro_left > 0 and self.t >= self.next_intro_t:
            self.intro_left -= 1
            self.next_intro_t = self.t + 0.8
            gw, rows = self.layout.grid[0], self.layout.rows_usable
            side = -1 if self.intro_left else 1  # two digits side by side, mid-screen
            self._plant((gw // 2 + side * 11, rows // 2), by_visitor=False, planter="")
        if idle and not self.attract:
            self.attract = True
            self.next_attract_t = self.t + 0.3
        elif not idle:
            self.attract = False
        if self.attract and self.t >= self.next_attract_t:
            self.next_attract_t = self.t + s.attract_seed_s
            self._plant(self._attract_cell(), by_visitor=False, planter="")

    def _attract_cell(self) -> tuple[int, int]:
        """Where the exhibit writes the next digit itself: digit #n goes to slot n of two lines
        in reading order, with a gentle wave."""
        k = self.ledger.next_index if self.ledger is not None else 0
        gw = self.layout.grid[0]
        rows = self.layout.rows_usable
        pitch = 22
        cols = max(1, (gw - 12) // pitch)
        lines = 2 if rows >= 2 * TARGET_CELLS + 4 else 1
        slot = k % (cols * lines)
        line, col = divmod(slot, cols)
        margin = (gw - (cols - 1) * pitch) // 2
        cx = margin + col * pitch
        ys = [rows * 0.5] if lines == 1 else [rows * 0.3, rows * 0.72]
        cy = int(ys[line] + 3 * math.sin(col * 0.9 + line))
        return cx, cy

    def _presence(self) -> None:
        """Count living cells per digit from the newest frame; re-seed digits wiped out."""
        if self.garden is None or not self.digits:
            return
        frame, _ = self.garden.latest()
        alpha = frame[..., 3]
        for d in self.digits:
            if d.fade_t is not None:
                continue
            x0, y0, x1, y1 = d.box
            d.alive_cells = int(np.count_nonzero(alpha[y0:y1, x0:x1] > 26))
            if d.alive_cells >= 3 or self.t - d.born_t < 0.5:
                d.empty_since = None
                continue
            if d.empty_since is None:
                d.empty_since = self.t
            elif self.t - d.empty_since >= EMPTY_RESEED_S:
                d.empty_since = None
                d.flash_t = self.t
                self.garden.plant(str(d.value), d.cx, d.cy)

    def _listen(self) -> None:
        """Microphone onsets (a clap) → the digits pulse."""
        audio = self.ctx.audio
        if audio is None or not self.settings.sound or not hasattr(audio, "onsets"):
            return
        try:
            onsets = audio.onsets()
        except Exception as err:  # noqa: BLE001 - sound never breaks the exhibit
            self._warn(f"audio onsets unavailable: {err}")
            return
        if onsets:
            self.pulse_t = self.t
            self._audio("pulse", 0.6)

    def _sound(self, d: Digit) -> None:
        if not self.settings.sound or self.ctx.audio is None:
            return
        from runtime.audio.scales import digit_to_degree

        pan = (d.cx / max(1, self.layout.grid[0] - 1)) * 1.6 - 0.8
        self._audio("note", digit_to_degree(d.value), 0.75 if d.by_visitor else 0.35, pan=pan)

    def _audio(self, method: str, *args: Any, **kw: Any) -> None:
        try:
            getattr(self.ctx.audio, method)(*args, **kw)
        except Exception as err:  # noqa: BLE001
            self._warn(f"audio {method} failed: {err}")

    def _record(self, kind: str) -> None:
        if self.ctx.analytics is not None:
            try:
                self.ctx.analytics.record(kind, "numbers")
            except Exception as err:  # noqa: BLE001 - counting must never break the exhibit
                self._warn(f"analytics: {err}")

    def _steer(self) -> None:
        if self.field_source is None or self.field_worker is None:
            return
        from models.cppn import Steer

        steers = [Steer(visitor_key(vid), float(w.pos[0]), float(w.pos[1]), float(w.vel[0]),
                        float(w.vel[1])) for vid, w in self.walkers.items()]
        motion = sum(math.hypot(*w.vel) for w in self.walkers.values())
        speed = 1.0 + 3.0 * min(1.0, motion / 0.4)
        src = self.field_source
        fld = src.field

        def apply() -> None:
            fld.steer(steers)
            src.speed = speed

        self.field_worker.submit(apply)

    def _vision_damage(self) -> None:
        """Camera silhouettes that move erase cells (needs ``ctx.vision``)."""
        v = self.ctx.vision
        if v is None or self.settings.damage_strength <= 0:
            return
        try:
            vf = v.latest_vision() if hasattr(v, "latest_vision") else v
            if vf is None or getattr(vf, "learning", False):
                return
            key = (getattr(vf, "index", None), getattr(vf, "t_capture", None))
            if key == self._vision_key:
                return
            self._vision_key = key
            gw, gh = self.layout.grid
            if hasattr(vf, "screen_mask"):
                mask = vf.screen_mask(getattr(v, "homography", None), (gw, gh))
            else:
                mask = cv2.resize(np.asarray(vf.mask, np.uint8), (gw, gh),
                                  interpolation=cv2.INTER_LINEAR)
            here = mask > 127
            flow = getattr(vf, "flow", None)
            if flow is not None:
                speed = cv2.resize(np.hypot(flow[..., 0], flow[..., 1]).astype(np.float32),
                                   (gw, gh), interpolation=cv2.INTER_LINEAR)
                moving = here & (speed > 0.08)
            else:
                last = self._last_mask
                moving = here & ~last if last is not None else np.zeros_like(here)
            self._last_mask = here
            for w in self.walkers.values():  # a planter's own digit is spared while they leave
                if w.guard is not None:
                    x, y = int(w.guard[0] * gw), int(w.guard[1] * gh)
                    moving[max(0, y - HALF):y + HALF, max(0, x - HALF):x + HALF] = False
            hit = moving & (self._rng.random(moving.shape) < self.settings.damage_strength)
            if hit.any():
                self._damage |= hit
                self._damage_any = True
        except Exception as err:  # noqa: BLE001 - a camera problem must not break the digits
            self._warn(f"vision mask unusable ({type(err).__name__}: {err})")

    def _crop_box(self) -> tuple[int, int, int, int]:
        gw, gh = self.layout.grid
        d = self.newest
        cx, cy = (d.cx, d.cy) if d is not None else (gw // 2, gh // 2)
        x0 = min(max(0, cx - CROP // 2), gw - CROP)
        y0 = min(max(0, cy - CROP // 2), gh - CROP)
        return x0, y0, x0 + CROP, y0 + CROP

    def on_visit_start(self) -> None:
        self.attract = False

    def on_visit_end(self) -> None:
        self.info_open_t = None
        self.last_grown = None

    # --- what the tests and the caption read ----------------------------------------------------
    @property
    def visitor_count(self) -> int:
        """Digits visitors grew today (this sequence)."""
        return self.ledger.grown if self.ledger is not None else 0

    @property
    def info_open(self) -> bool:
        return self.info_open_t is not None

    def pulse(self) -> float:
        """0..1 brightness boost of a recent clap."""
        age = self.t - self.pulse_t
        return math.exp(-age / PULSE_S) if 0 <= age < 6 * PULSE_S else 0.0

    # --- drawing (reads state; keeps render caches only) ----------------------------------------
    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        stages = self.ctx.stages
        self._draw_background(surface)
        with stages.measure("numbers.digits"):
            self._draw_digits(surface)
            self._draw_marks(surface)
        with stages.measure("numbers.text"):
            self._draw_captions(surface)
            self._draw_button(surface)
            if self.info_open_t is not None:
                self._draw_info(surface)

    def _draw_background(self, surface: pygame.Surface) -> None:
        size = surface.get_size()
        if self.field_worker is not None and getattr(self.field_worker, "error", None) is None:
            frame, seq = self.field_worker.latest()
        elif self.still_bg is not None:
            frame, seq = self.still_bg, 0
        else:
            surface.fill(self.palette.band)
            return
        if self._bg_big is None or self._bg_big.get_size() != size or seq != self._bg_seq:
            fh, fw = frame.shape[:2]
            if self._bg_small is None or self._bg_small.get_size() != (fw, fh):
                self._bg_small = pygame.Surface((fw, fh), 0, surface)
            pygame.surfarray.blit_array(self._bg_small, frame.transpose(1, 0, 2))
            if self._bg_big is None or self._bg_big.get_size() != size:
                self._bg_big = pygame.Surface(size, 0, surface)
            pygame.transform.smoothscale(self._bg_small, size, self._bg_big)
            self._bg_seq = seq
        surface.blit(self._bg_big, (0, 0))

    def _tint_map(self) -> np.ndarray:
        """(gh, gw, 4) uint8 multipliers in BGRA order (255 = 1): each cell takes the colour of
        its nearest digit's seed and that digit's fade (colour and alpha)."""
        fading = tuple(round(min(1.0, (self.t - d.fade_t) / FADE_S), 2)
                       for d in self.digits if d.fade_t is not None)
        key = (self.tint_version, fading)
        if key == self._tint_key:
            return self._tint
        self._tint_key = key
        tint = self._tint
        r, g, b = self.palette.digits[len(self.palette.digits) // 2]
        tint[:] = (b, g, r, 255)
        gh, gw = tint.shape[:2]
        best = np.full((gh, gw), np.inf, np.float32)
        for d in self.digits:
            x0, y0, x1, y1 = d.box
            region = (slice(y0, y1), slice(x0, x1))
            dist = self._dist_tpl[: y1 - y0, : x1 - x0]
            closer = dist < best[region]
            best[region][closer] = dist[closer]
            fade = 1.0 if d.fade_t is None else max(0.0, 1.0 - (self.t - d.fade_t) / FADE_S)
            r, g, b = (round(c * fade) for c in d.colour)
            tint[region][closer] = (b, g, r, round(255 * fade))
        return tint

    @staticmethod
    def _distance_template() -> np.ndarray:
        ys, xs = np.mgrid[0:TARGET_CELLS, 0:TARGET_CELLS].astype(np.float32) - (HALF - 0.5)
        return xs * xs + 0.4 * ys * ys  # digits are tall: distance counts rows less

    def _draw_digits(self, surface: pygame.Surface) -> None:
        if self.garden is None:
            return
        frame, seq = self.garden.latest()
        pulse = round(self.pulse(), 2)
        tint = self._tint_map()
        size = surface.get_size()
        key = (seq, self._tint_key, pulse)
        stale = self._layer_big is None or self._layer_big.get_size() != size
        # recompose at most ~30 times a second: cells change slowly, the upscale is the cost
        if stale or (key != self._layer_key and self.t - self._composed_t >= 1 / 31):
            self._layer_key, self._composed_t = key, self.t
            self._compose_layer(frame, tint, pulse, size)
        surface.blit(self._layer_big, (0, 0), special_flags=pygame.BLEND_PREMULTIPLIED)

    def _compose_layer(self, frame: np.ndarray, tint: np.ndarray, pulse: float,
                       size: tuple[int, int]) -> None:
        """Tint the cell frame, add a soft glow, upscale once (premultiplied, BGRA order =
        pygame's ARGB8888 in memory). uint8 OpenCV maths: well under a millisecond."""
        buf = self._layer_buf
        bgra = cv2.cvtColor(frame, cv2.COLOR_RGBA2BGRA)
        lit = cv2.multiply(bgra, tint, scale=(1.0 + 0.9 * pulse) / 255.0)
        # the glow: blurred at quarter resolution, stretched back (a tenth of a full blur)
        gh, gw = buf.shape[:2]
        quarter = cv2.resize(lit, (max(1, gw // 4), max(1, gh // 4)),
                             interpolation=cv2.INTER_AREA)
        glow = cv2.resize(cv2.GaussianBlur(quarter, (0, 0), 0.8), (gw, gh),
                          interpolation=cv2.INTER_LINEAR)
        cv2.addWeighted(lit, 1.0, glow, 0.55 + 1.4 * pulse, 0.0, dst=buf)
        # alpha stays the cells' own (the glow is added light), and ≥ 1 everywhere because
        # pygame skips alpha-0 pixels in premultiplied blits (1/255 dims the field by 0.4%)
        np.maximum(lit[..., 3], 1, out=buf[..., 3])
        small = pygame.image.frombuffer(buf, (gw, gh), "BGRA")
        if self._layer_big is None or self._layer_big.get_size() != size:
            self._layer_big = pygame.Surface(size, pygame.SRCALPHA, 32)
        if small.get_masks() == self._layer_big.get_masks():
            pygame.transform.smoothscale(small, size, self._layer_big)
        else:  # an unusual pixel format: pay for a conversion
            self._layer_big = pygame.transform.smoothscale(small, size)

    def _draw_marks(self, surface: pygame.Surface) -> None:
        """Rings: a flash where a seed was planted, a filling ring around a visitor standing
        still, a faint eraser ring around moving visitors and dragging fingers."""
        lay = self.layout
        hl = self.palette.highlight
        unit = max(1, round(lay.cell_px))
        for d in self.digits:
            age = self.t - d.flash_t
            if 0 <= age < FLASH_S:
                k = age / FLASH_S
                r = round((1.5 + 10 * k) * lay.cell_px)
                col = tuple(int(c * (1 - k)) for c in hl)
                pygame.draw.circle(surface, col, lay.to_px(d.cx, d.cy), r, max(1, unit // 3 + 1))
        r_px = round(self.damage_r * lay.cell_px)
        for w in self.walkers.values():
            x, y = round(w.pos[0] * lay.size[0]), round(w.pos[1] * lay.size[1])
            if w.source in TOUCH_SOURCES:
                if w.dragging and not w.consumed:
                    pygame.draw.circle(surface, self.palette.dim, (x, y), r_px, 1)
                continue
            still = self.t - w.anchor_t
            if not w.planted and still > 0.2:
                k = min(1.0, (still - 0.2) / max(0.05, self.settings.still_s - 0.2))
                rect = pygame.Rect(0, 0, 2 * r_px, 2 * r_px)
                rect.center = (x, y)
                pygame.draw.arc(surface, hl, rect, math.pi / 2, math.pi / 2 + 2 * math.pi * k,
                                max(2, unit // 2))
            elif math.hypot(*w.vel) > 0.02:  # what a walking visitor erases
                rect = pygame.Rect(0, 0, round(2 * w.reach[0] * lay.cell_px),
                                   round(2 * w.reach[1] * lay.cell_px))
                rect.center = (x, y)
                pygame.draw.ellipse(surface, self.palette.dim, rect, 1)

    # text ------------------------------------------------------------------------------------
    def _text(self, text: str, px: int, colour: tuple[int, int, int],
              bold: bool = False) -> pygame.Surface:
        key = (text, px, colour, bold)
        surf = self._text_cache.get(key)
        if surf is None:
            if len(self._text_cache) > 96:
                self._text_cache.clear()
            surf = self.ctx.assets.font(px, bold).render(text, True, colour)
            self._text_cache[key] = surf
        return surf

    def _band_surface(self, size: tuple[int, int]) -> pygame.Surface:
        w, _ = size
        bh = self.layout.band_h
        if self._band is None or self._band.get_size() != (w, bh):
            ramp = np.clip(np.linspace(0.0, 1.6, bh), 0, 1) ** 0.8 * 225
            band = pygame.Surface((w, bh), pygame.SRCALPHA)
            band.fill((*self.palette.band, 0))
            alpha = pygame.surfarray.pixels_alpha(band)
            alpha[:] = ramp.astype(np.uint8)[None, :]
            del alpha
            self._band = band
        return self._band

    def caption_lines(self, max_chars: int = 40) -> tuple[str, str, str, str]:
        """(sequence up to the newest digit, newest digit, message line, today's counter).

        The message is the invitation (attract mode, or before anyone planted in this visit) or
        "you grew digit #n" for the latest visitor digit; Korean first, then English.
        """
        s = self.settings
        seq = self.sequence
        if seq is None:
            return "", "", "", ""
        count = self.ledger.next_index if self.ledger is not None else 0
        head, newest = seq.caption(count, max(12, max_chars - len(seq.prefix)))
        # fill_template, not str.format: settings built in code skip the config's template check
        today = f"{fill_template(s.today_ko, count=self.visitor_count)} · " \
                f"{fill_template(s.today_en, count=self.visitor_count)}"
        if self.attract or self.last_grown is None:
            msg = (f"{fill_template(s.hint_ko, name=seq.name_ko)} · "
                   f"{fill_template(s.hint_en, name=seq.name_en)}")
        else:
            n = self.last_grown.number
            msg = f"{fill_template(s.grew_ko, n=n)} · {fill_template(s.grew_en, n=n)}"
        return seq.prefix + head + ("" if newest else "…"), newest, msg, today

    def _draw_captions(self, surface: pygame.Surface) -> None:
        """The band: the sequence (newest digit highlighted) with today's counter at its right,
        then the invitation or "you grew digit #n" below; the title at the top left."""
        w, h = surface.get_size()
        pal = self.palette
        band = self._band_surface((w, h))
        top = h - band.get_height()
        surface.blit(band, (0, top))
        big = max(10, round(0.046 * h))
        small = max(8, round(0.025 * h))
        margin = round(0.035 * w)
        right = self.caption_lines()[3]
        right_s = self._text(right, small, pal.dim)
        digit_w = max(1, self.ctx.assets.font(big, True).size("0")[0])
        room = w - 2 * margin - right_s.get_width() - 2 * digit_w
        head, newest, msg, _ = self.caption_lines(max(12, room // digit_w - 2))
        y1 = top + round(0.2 * self.layout.band_h)
        head_s = self._text(head, big, pal.text, True)
        surface.blit(head_s, (margin, y1))
        if newest:
            new_s = self._text(newest, round(big * 1.15), pal.highlight, True)
            surface.blit(new_s, (margin + head_s.get_width() + round(0.1 * big),
                                 y1 + head_s.get_height() - new_s.get_height()))
        surface.blit(right_s, (w - margin - right_s.get_width(),
                               y1 + head_s.get_height() - right_s.get_height()))
        y2 = y1 + head_s.get_height() + round(0.3 * small)
        msg_s = self._text(msg, small, pal.highlight if self.attract else pal.text)
        # the invitation breathes (surface alpha on the cached text: no re-render)
        msg_s.set_alpha(round(255 * (0.7 + 0.3 * math.sin(self.t * 2.2))) if self.attract
                        else 255)
        surface.blit(msg_s, (margin, y2))
        title = self._text("수의 언어 · Language of the Universe: Numbers", small, pal.dim)
        surface.blit(title, (margin, round(0.045 * h)))

    def _draw_button(self, surface: pygame.Surface) -> None:
        bx, by, r = self.layout.button
        col = self.palette.highlight if self.info_open_t is not None else self.palette.text
        pygame.draw.aacircle(surface, col, (bx, by), r, max(1, r // 12))
        glyph = self._text("i", round(1.3 * r), col, True)
        surface.blit(glyph, glyph.get_rect(center=(bx, by + 1)))

    def _info_geometry(self, size: tuple[int, int]) -> dict[str, int]:
        w, h = size
        pw, ph = round(0.74 * w), round(0.72 * h)
        pad = round(0.03 * h)
        title_px = max(10, round(0.036 * h))
        top = pad + round(title_px * 1.3) + pad // 2
        big = round(0.40 * h)
        tile = (big - pad // 2) // 2
        return {"px": (w - pw) // 2, "py": round(0.06 * h), "pw": pw, "ph": ph, "pad": pad,
                "title_px": title_px, "top": top, "big": big, "tile": tile,
                "live_w": big + pad + 2 * tile + pad // 2}

    def _draw_info(self, surface: pygame.Surface) -> None:
        """"How it works": a live close-up of the cells, four hidden channels, two sentences.
        The panel's text is drawn once per size; the live part once per new snapshot."""
        size = surface.get_size()
        g = self._info_geometry(size)
        if self._info_panel is None or self._info_panel.get_size() != (g["pw"], g["ph"]):
            self._info_panel = self._info_static(size, g)
        surface.blit(self._info_panel, (g["px"], g["py"]))
        snap = self.garden.snapshot if self.garden is not None else None
        key = (id(snap), self._focus_cell(snap), size)
        if key != self._info_live_key or self._info_live is None:
            self._info_live_key = key
            live = pygame.Surface((g["live_w"], g["big"]), 0, surface)
            live.fill(self.palette.band)
            self._draw_closeup(live, snap, (0, 0), g["big"])
            tx = g["big"] + g["pad"]
            for i in range(HIDDEN_SHOWN):
                ox = tx + (i % 2) * (g["tile"] + g["pad"] // 2)
                oy = (i // 2) * (g["tile"] + g["pad"] // 2)
                self._draw_channel(live, snap, i, (ox, oy), g["tile"])
            self._info_live = live
        surface.blit(self._info_live, (g["px"] + g["pad"], g["py"] + g["top"]))

    def _info_static(self, size: tuple[int, int], g: dict[str, int]) -> pygame.Surface:
        w, h = size
        pal = self.palette
        pw, ph, pad = g["pw"], g["ph"], g["pad"]
        panel = pygame.Surface((pw, ph), pygame.SRCALPHA)
        panel.fill((*pal.band, 235))
        pygame.draw.rect(panel, pal.dim, (0, 0, pw, ph), 1)
        title = self.ctx.assets.font(g["title_px"], True).render(
            "어떻게 자라나요? · How do the digits grow?", True, pal.text)
        panel.blit(title, (pad, pad))
        small = max(8, round(0.02 * h))
        cap = self.ctx.assets.font(small).render("숨은 채널 4개 · 4 hidden channels", True, pal.dim)
        panel.blit(cap, (pad + g["big"] + pad, g["top"] + g["big"] + round(0.01 * h)))
        body_px = max(8, round(0.024 * h))
        font = self.ctx.assets.font(body_px)
        y = g["top"] + g["big"] + round(0.05 * h)
        for line in self._wrap(self.settings.info_ko, body_px, pw - 2 * pad) + \
                self._wrap(self.settings.info_en, body_px, pw - 2 * pad):
            text = font.render(line, True, pal.text)
            panel.blit(text, (pad, y))
            y += round(text.get_height() * 1.1)
        hint = self.ctx.assets.font(small).render("화면을 터치하면 닫혀요 · touch to close", True,
                                                   pal.dim)
        panel.blit(hint, (pw - pad - hint.get_width(), pad))
        return panel

    def _wrap(self, text: str, px: int, width: int) -> list[str]:
        font = self.ctx.assets.font(px)
        lines, line = [], ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if line and font.size(trial)[0] > width:
                lines.append(line)
                line = word
            else:
                line = trial
        return [*lines, line] if line else lines

    def _grid(self, size: int) -> pygame.Surface:
        g = self._grid_overlay.get(size)
        if g is None:
            g = pygame.Surface((size, size), pygame.SRCALPHA)
            step = size / CROP
            for i in range(CROP + 1):
                p = round(i * step)
                pygame.draw.line(g, (255, 255, 255, 40), (p, 0), (p, size))
                pygame.draw.line(g, (255, 255, 255, 40), (0, p), (size, p))
            self._grid_overlay[size] = g
        return g

    def _draw_closeup(self, surface: pygame.Surface, snap: np.ndarray | None,
                      at: tuple[int, int], size: int) -> None:
        pal = self.palette
        colour = np.asarray(self.newest.colour if self.newest else pal.digits[0], np.float32)
        if snap is not None:
            a = np.clip(snap[3], 0, 1)
            rgb = np.clip(snap[:3], 0, 1).transpose(1, 2, 0) * colour + \
                (1 - a)[..., None] * np.asarray(pal.band, np.float32)
        else:
            rgb = np.zeros((CROP, CROP, 3), np.float32) + np.asarray(pal.band, np.float32)
        small = pygame.surfarray.make_surface(np.clip(rgb, 0, 255).astype(np.uint8)
                                              .transpose(1, 0, 2))
        surface.blit(pygame.transform.scale(small, (size, size)), at)
        surface.blit(self._grid(size), at)
        # one cell and the eight neighbours it sees
        step = size / CROP
        cx, cy = self._focus_cell(snap)
        rect = pygame.Rect(at[0] + round((cx - 1) * step), at[1] + round((cy - 1) * step),
                           round(3 * step), round(3 * step))
        pygame.draw.rect(surface, pal.highlight, rect, max(1, round(step / 6)))
        pygame.draw.rect(surface, pal.highlight, rect.inflate(-round(2 * step),
                                                               -round(2 * step)))

    def _focus_cell(self, snap: np.ndarray | None) -> tuple[int, int]:
        """A living cell near the edge of the pattern, changing every 1.5 s."""
        if snap is None:
            return CROP // 2, CROP // 2
        alive = np.argwhere(snap[3] > 0.1)
        if len(alive) == 0:
            return CROP // 2, CROP // 2
        inner = alive[(alive[:, 0] > 0) & (alive[:, 0] < CROP - 1) & (alive[:, 1] > 0)
                      & (alive[:, 1] < CROP - 1)]
        pick = inner if len(inner) else alive
        k = int(self.t / 1.5) * 7919 % len(pick)
        y, x = pick[k]
        return int(x), int(y)

    def _draw_channel(self, surface: pygame.Surface, snap: np.ndarray | None, i: int,
                      at: tuple[int, int], size: int) -> None:
        col = np.asarray(CHANNEL_COLOURS[i], np.float32)
        if snap is not None and snap.shape[0] > 4 + i:
            v = np.tanh(snap[4 + i] * 1.5)
            alive = (snap[3] > 0.05)[..., None]
            pos = np.clip(v, 0, 1)[..., None] * col
            neg = np.clip(-v, 0, 1)[..., None] * (255 - col) * 0.6
            rgb = (pos + neg) * alive + 12
        else:
            rgb = np.full((CROP, CROP, 3), 12, np.float32)
        small = pygame.surfarray.make_surface(np.clip(rgb, 0, 255).astype(np.uint8)
                                              .transpose(1, 0, 2))
        surface.blit(pygame.transform.scale(small, (size, size)), at)
        if size >= 4 * CROP:
            surface.blit(self._grid(size), at)
        label = self._text(f"{i + 1}", max(8, round(0.02 * self.ctx.size[1])), tuple(
            int(c) for c in col), True)
        surface.blit(label, (at[0] + 4, at[1] + 2))

