"""Numbers' living digits: where each is planted, the grower behind them, fading and re-seeding.

:class:`Planting` owns the list of :class:`~exhibits.numbers.layout.Digit` on screen, the
:class:`~exhibits.numbers.growth.Garden` that grows them and the day's place in the sequence
(:class:`~exhibits.numbers.layout.DayLedger`). Every digit grown, by a visitor or by the exhibit
itself, is the next of the sequence.

Rules: a seed planted on a living digit moves to the nearest free place within
``NUDGE_CELLS`` (digits never grow into each other); with no room there it replaces the digits
it covers. Beyond ``max_digits`` the oldest fades out over :data:`FADE_S`. A digit wiped out
completely re-seeds itself after :data:`EMPTY_RESEED_S`; one left with too little of itself to
heal (fewer living cells than :data:`STUNTED` of its glyph's for :data:`STUNTED_RESEED_S`: an NCA
may turn a small remnant into a resting blob) is cleared and grows again from its seed.

Growers: trained weights (``models/weights/nca_digits.pt``) → the NCA (on a worker thread, or
inline on a simulated clock); no weights, a bad file, a model error or safe mode → plain glyphs
(:class:`~exhibits.numbers.growth.GlyphCells`), with one warning. A worker that dies later is
replaced by plain glyphs with the living digits replanted (:meth:`Planting.fall_back_if_failed`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from exhibits.kit import leave_a_core
from exhibits.numbers.growth import TARGET_CELLS, Garden
from exhibits.numbers.layout import (
    HALF,
    NUDGE_CELLS,
    SPACING,
    DayLedger,
    Digit,
    Layout,
    day_ledger,
)
from exhibits.numbers.look import Palette, digit_colour
from exhibits.numbers.sequences import DigitSequence
from exhibits.numbers.settings import NumbersSettings

FADE_S = 1.2  # an old digit fades out over this long
EMPTY_RESEED_S = 1.0  # a digit with no living cells this long is re-seeded
# A digit with fewer living cells than this share of its glyph's, for STUNTED_RESEED_S, is cleared
# and re-seeded. A whole digit has ~1-1.3x its glyph's cells, one under a walker about half; 5 s
# is a regrow (~2 s) plus the time a healed digit takes to settle and rest (~3.3 s).
STUNTED = 0.35
STUNTED_RESEED_S = 5.0


def _held(d: Digit, since: str, holds: bool, t: float, seconds: float) -> bool:
    """True once ``holds`` has been true for ``seconds`` on end; ``d.<since>`` (a time or None)
    remembers when it started, and starts over after it fires or when ``holds`` is false."""
    if not holds:
        setattr(d, since, None)
        return False
    start = getattr(d, since)
    if start is None:
        setattr(d, since, t)
        return False
    if t - start >= seconds:
        setattr(d, since, None)
        return True
    return False


class Planting:
    """The digits on screen and what grows them; see the module docstring.

    Args:
        ctx: the exhibit's context (``store`` keeps the day's ledger across showings;
            ``seed_for``, ``device``, ``safe_mode``). The growers draw from the named streams
            ``"numbers.glyphs"`` and ``"numbers.nca"``.
        today: gives the date for the day ledger.
        warn: a :class:`exhibits.kit.WarnOnce`.
    """

    def __init__(self, ctx: Any, settings: NumbersSettings, layout: Layout, palette: Palette,
                 today: Callable[[], dt.date], warn: Callable[[str], None]) -> None:
        self.ctx, self.settings, self.layout, self.palette = ctx, settings, layout, palette
        self.today = today
        self.warn = warn
        self.digits: list[Digit] = []  # oldest first; never rebound (the exhibit shares it)
        self.newest: Digit | None = None
        self.last_grown: Digit | None = None  # the latest visitor digit (caption)
        self.tint_version = 0  # changes whenever the digits' colours or boxes change
        self.sequence: DigitSequence | None = None
        self.ledger: DayLedger | None = None
        self.garden: Garden | None = None
        self.kind = "glyphs"  # "nca" or "glyphs": what grows the digits now
        self._glyph_counts: dict[int, int] = {}  # digit -> its glyph's cells (alpha > 0.1)

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self, *, model: Any, weights: Any, threaded: bool) -> None:
        s = self.settings
        self.sequence = DigitSequence(s.sequence, s.text_digits)
        self.ledger = day_ledger(self.ctx.store, (s.sequence, s.text_digits), self.today())
        self.garden = self._make_garden(model, weights, threaded)
        self.kind = self.garden.kind

    def stop(self) -> None:
        if self.garden is not None:
            self.garden.stop()
            self.garden = None

    def _make_garden(self, model: Any, weights: Any, threaded: bool) -> Garden:
        gw, gh = self.layout.grid
        s, ctx = self.settings, self.ctx
        plain = self._glyphs()
        if ctx.safe_mode:
            self.warn("safe mode: digits grow as plain glyphs (no NCA)")
            return plain.start()
        if model is None and weights is not False:
            from models.catalog import weights_path

            path = weights_path("digits") if weights is None else weights
            if not path.exists():
                self.warn(f"no trained digits weights at {path}; digits grow as plain glyphs "
                          "until they are there")
                return plain.start()
            try:
                from models.nca import NCA

                model = NCA.load(path, ctx.device)
            except Exception as err:  # noqa: BLE001 - a bad file must not take the exhibit down
                self.warn(f"digits weights {path} unusable ({type(err).__name__}: {err}); "
                          "digits grow as plain glyphs")
                return plain.start()
        if model is None:
            return plain.start()
        try:
            leave_a_core(ctx.device)
            return Garden.nca(model, gw, gh, s.growth_s, seed=ctx.seed_for("numbers.nca"),
                              device=ctx.device, threaded=threaded).start()
        except Exception as err:  # noqa: BLE001
            self.warn(f"NCA could not start ({type(err).__name__}: {err}); plain glyphs")
            return plain.start()

    def _glyphs(self) -> Garden:
        """The plain-glyph grower (not started): no torch, its own named random stream."""
        gw, gh = self.layout.grid
        return Garden.glyphs(gw, gh, self.settings.growth_s,
                             seed=self.ctx.seed_for("numbers.glyphs"))

    def fall_back_if_failed(self) -> None:
        """The NCA worker died: carry on with plain glyphs, replanting the living digits."""
        garden = self.garden
        if garden is None or garden.failed() is None or garden.kind != "nca":
            return
        self.warn(f"NCA worker failed ({garden.failed()!r}); digits grow as plain glyphs")
        garden.stop()
        self.garden = self._glyphs().start()
        self.kind = "glyphs"
        for d in self.digits:
            self.garden.plant(str(d.value), d.cx, d.cy)

    # --- planting -------------------------------------------------------------------------------
    def plant(self, cell: tuple[int, int], t: float, *, by_visitor: bool,
              planter: str) -> Digit:
        """The next digit of the sequence, planted at (or near) ``cell`` at time ``t``."""
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
                self.remove(d)  # no room nearby: the new digit replaces it
        living = [d for d in self.digits if d.fade_t is None]
        while len(living) >= self.settings.max_digits:
            living.pop(0).fade_t = t  # the oldest fades out (see step)
        digit = Digit(index + 1, value, cx, cy, (x0, y0, x1, y1),
                      digit_colour(self.palette, value), t, by_visitor, planter, flash_t=t)
        self.garden.plant(str(value), cx, cy)
        self.digits.append(digit)
        self.newest = digit
        self.tint_version += 1
        if by_visitor:
            self.last_grown = digit
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
            self.ledger = day_ledger(self.ctx.store, (s.sequence, s.text_digits), today)

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

    def remove(self, d: Digit) -> None:
        if self.garden is not None:
            self.garden.remove(self._box_mask(d))
        self.digits.remove(d)
        if self.newest is d:
            self.newest = self.digits[-1] if self.digits else None
        self.tint_version += 1

    # --- as time passes -------------------------------------------------------------------------
    def step(self, t: float) -> list[Digit]:
        """Remove digits that finished fading; return those that just finished growing."""
        grown = []
        for d in list(self.digits):
            if d.fade_t is not None and t - d.fade_t >= FADE_S:
                self.remove(d)
            elif not d.sounded and t - d.born_t >= self.settings.growth_s:
                d.sounded = True
                grown.append(d)
        return grown

    def census(self, t: float) -> None:
        """Count living cells per digit from the newest frame; re-seed digits wiped out or left
        too small to heal."""
        if self.garden is None or not self.digits:
            return
        frame, _ = self.garden.latest()
        alpha = frame[..., 3]
        for d in self.digits:
            if d.fade_t is not None:
                continue
            x0, y0, x1, y1 = d.box
            d.alive_cells = int(np.count_nonzero(alpha[y0:y1, x0:x1] > 26))
            grown = t - d.born_t >= self.settings.growth_s
            # too little of itself to heal (a wiped-out digit is the empty case below)
            stunted = grown and 3 <= d.alive_cells < STUNTED * self._glyph_cells(d.value)
            if _held(d, "stunted_since", stunted, t, STUNTED_RESEED_S):
                self._reseed(d, t, clear=True)
            empty = d.alive_cells < 3 and t - d.born_t >= 0.5
            if _held(d, "empty_since", empty, t, EMPTY_RESEED_S):
                self._reseed(d, t)

    def _reseed(self, d: Digit, t: float, clear: bool = False) -> None:
        """Plant ``d``'s seed again (flashing it); ``clear`` first erases what is left of it."""
        d.flash_t = t
        if clear:
            self.garden.remove(self._box_mask(d))  # the remnant goes; the seed starts afresh
        self.garden.plant(str(d.value), d.cx, d.cy)

    def _glyph_cells(self, value: int) -> int:
        """Cells of digit ``value``'s glyph with alpha > 0.1 (what a whole digit covers)."""
        if value not in self._glyph_counts:
            from models.targets import render_digit  # PIL + numpy only

            self._glyph_counts[value] = int((render_digit(str(value), TARGET_CELLS)[3] > 0.1)
                                            .sum())
        return self._glyph_counts[value]

    @property
    def next_index(self) -> int:
        """0-based index of the next digit of the sequence."""
        return self.ledger.next_index if self.ledger is not None else 0

    @property
    def visitor_count(self) -> int:
        """Digits visitors grew today (this sequence)."""
        return self.ledger.grown if self.ledger is not None else 0
