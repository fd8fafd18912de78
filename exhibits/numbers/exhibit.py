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
cell sees only its neighbours. A clap (microphone onset) makes the digits pulse. Between visits
(the kiosk's visit tracker: nobody there for ``[visits] idle_s``) the digits write themselves in
reading order (two lines across the screen) and a bilingual hint invites visitors.

Choices (where the issue leaves them open):

* One sequence position per kiosk, sequence and day: every digit grown (by a visitor or by the
  exhibit itself) is the next one, so "you grew digit #n" and the caption always agree. The
  position survives visits and exhibit switches (kept in ``ctx.store``, see
  :func:`~exhibits.numbers.layout.day_ledger`); a visit's end only closes the ⓘ view. "Digits
  grown today" and the ``seed_planted`` analytics count visitors' digits only.
* Attract mode follows the kiosk's visit tracker (``ctx.visit.attract``), the one idle clock of
  the kiosk. Without a tracker (``ctx.visit`` is None: a context built by hand in a test) the
  exhibit's own table of present visitors stands in: attract whenever nobody is present, with
  no idle delay, so an isolated exhibit still writes by itself.
* Random draws come from named streams (``ctx.rng_for("numbers.eraser")``, ``seed_for`` of
  ``"numbers.glyphs"``, ``"numbers.nca"``, ``"numbers.field"``), never from offsets of the seed.
* Sound: the note plays when a digit finishes growing; planting answers at once with light.

The rooms this class owns and calls (each module's docstring has its rules):

==============  ==================================================================================
``layout``      the cell grid on screen, the ⓘ button; the Digit, Walker and day-ledger records
``planting``    the digits: where each goes, the grower (NCA or glyphs), fading, re-seeding
``eraser``      the walkers and the cells they erase (touch drags, walking people, the camera)
``attract``     the digits the exhibit writes itself (on appearing, and in attract mode)
``growth``      the growers (plain glyph cells, the NCA) behind one ``Garden`` handle
``background``  the CPPN field behind the digits (or a still gradient), steered by walkers
``layer``       the digit layer (tint, glow, one upscale) and the rings over it
``captions``    the caption band and the title
``info``        the ⓘ close-up of the cells
==============  ==================================================================================

Model paths: trained weights (``models/weights/nca_digits.pt``) → the NCA on a worker thread;
no weights, a model error or safe mode → :class:`~exhibits.numbers.growth.GlyphCells` (one
warning in the log). The CPPN runs on a worker thread; safe mode shows a still gradient instead.
On a simulated clock (``ctx.inline_models``) both step inline, so renders repeat for a seed.
Every worker is the models layer's :class:`models.workers.FrameWorker` (threaded or inline).

Tests read the exhibit through its rooms (``exhibit.planting.digits``, ``exhibit.eraser.walkers``,
``exhibit.attract_mode.active``, ``exhibit.captions.lines(...)``); this class keeps no
pass-through properties for them.

Drawing costs (1080p): one cached background blit, one premultiplied blit of the digit layer, a
few cached text surfaces; each new model frame is upscaled once (≈1–2 ms).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pygame

from exhibits.kit import TOUCH_SOURCES, Kit
from exhibits.numbers.attract import AttractMode
from exhibits.numbers.background import Background
from exhibits.numbers.captions import Captions
from exhibits.numbers.eraser import Eraser
from exhibits.numbers.info import InfoPanel
from exhibits.numbers.layer import DigitLayer, draw_marks
from exhibits.numbers.layout import Digit, Layout, Walker
from exhibits.numbers.look import PALETTES
from exhibits.numbers.planting import Planting
from exhibits.numbers.settings import NumbersSettings
from runtime.events import VisitorEvent
from runtime.exhibit import BaseExhibit, ExhibitContext

__all__ = ["Layout", "NumbersExhibit"]

PULSE_S = 0.45  # decay of a clap's pulse
PRESENCE_EVERY_S = 0.2  # how often living cells are counted per digit
STEER_EVERY_S = 0.05  # CPPN steering rate (20 Hz)


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
        self.palette = PALETTES[s.palette]
        self.layout = Layout.for_screen(ctx.size, s.digit_px)
        self.t = 0.0
        self.pulse_t = -1e9
        self._next_presence_t = 0.0
        self._next_steer_t = 0.0
        self.kit = Kit(ctx, "numbers", text_limit=96)
        self.planting = Planting(ctx, s, self.layout, self.palette, today, self.kit.warn)
        self.eraser = Eraser(self.layout, s, ctx.rng_for("numbers.eraser"))
        self.attract_mode = AttractMode(s, self.layout)
        self.background = Background(ctx, self.kit, s.cppn_style or self.palette.cppn_style,
                                     self.palette.band, s.background_level, cppn_width, threaded)
        self.layer = DigitLayer(self.palette, self.layout.grid, self.kit)
        self.captions = Captions(s, self.palette, self.layout, ctx.assets, self.kit.texts)
        self.info = InfoPanel(s, self.palette, self.layout, ctx.assets, self.kit.texts)

    # --- lifecycle -------------------------------------------------------------------------------
    def enter(self) -> None:
        self.planting.start(model=self.model, weights=self.weights, threaded=self.threaded)
        self.background.start()

    def leave(self) -> None:
        self.planting.stop()
        self.background.stop()
        self.layer.forget()
        self.info.forget()
        self.captions.forget()
        self.kit.sound("fade_all", 1.0)

    # --- input -----------------------------------------------------------------------------------
    def on_visitor(self, event: VisitorEvent) -> None:
        super().on_visitor(event)
        if event.kind == "leave":
            self.eraser.leave(event.visitor_id)
            return
        w = self.eraser.walkers.get(event.visitor_id)
        if event.kind == "enter" or w is None:
            w = self.eraser.arrive(event, self.t)
            if event.source in TOUCH_SOURCES:
                self._touch_down(w, event.pos)
            return
        self.eraser.move(w, event, self.t)

    def _touch_down(self, w: Walker, pos: tuple[float, float]) -> None:
        if self.info.is_open:
            self.info.close()  # any touch closes "how it works"
            w.consumed = True
            return
        if self.settings.info_timeout_s > 0 and self.layout.on_button(pos):
            self.info.open(self.t)
            w.consumed = True
            self.kit.record("info_opened")
            return
        self._plant(self.layout.to_cell(pos), by_visitor=True, planter="")

    def _plant(self, cell: tuple[int, int], *, by_visitor: bool, planter: str) -> Digit:
        digit = self.planting.plant(cell, self.t, by_visitor=by_visitor, planter=planter)
        if by_visitor:
            self.kit.record("seed_planted")
        return digit

    def on_visit_end(self) -> None:
        """Nobody there for ``[visits] idle_s``: close ⓘ and let the caption invite again
        (attract mode itself follows ``ctx.visit.attract`` in :meth:`update`)."""
        self.info.close()
        self.planting.last_grown = None

    def _nobody_there(self) -> bool:
        """Attract time: the kiosk's visit tracker says so (``ctx.visit.attract``); without a
        tracker (an isolated test), whenever no visitor is present."""
        visit = self.ctx.visit
        return bool(visit.attract) if visit is not None else not self.visitors

    # --- update ----------------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        self.t += dt
        t = self.t
        planting = self.planting
        planting.fall_back_if_failed()
        self._listen()
        for vid, w in self.eraser.settle(dt, t):  # camera visitors who stood still plant
            self.eraser.guard(w, self._plant(self.layout.to_cell(w.anchor), by_visitor=True,
                                             planter=vid))
        self.eraser.camera(self.ctx.vision, self.kit.warn)
        self.attract_mode.update(
            t, self._nobody_there(),
            lambda cell: self._plant(cell, by_visitor=False, planter=""),
            lambda: planting.next_index)
        self.eraser.flush(planting.garden)
        for d in planting.step(t):
            self._sound(d)
        if t >= self._next_presence_t:
            self._next_presence_t = t + PRESENCE_EVERY_S
            planting.census(t)
        if t >= self._next_steer_t:
            self._next_steer_t = t + STEER_EVERY_S
            self.background.steer(self.eraser.walkers)
        self.info.update(t, planting.garden, planting.newest)
        if planting.garden is not None:
            planting.garden.advance(dt)
        self.background.advance(dt)

    def _listen(self) -> None:
        """Microphone onsets (a clap) → the digits pulse."""
        audio = self.ctx.audio
        if audio is None or not self.settings.sound or not hasattr(audio, "onsets"):
            return
        try:
            onsets = audio.onsets()
        except Exception as err:  # noqa: BLE001 - sound never breaks the exhibit
            self.kit.warn(f"audio onsets unavailable: {err}")
            return
        if onsets:
            self.pulse_t = self.t
            self.kit.sound("pulse", 0.6)

    def _sound(self, d: Digit) -> None:
        """A digit finished growing: its note (digit → pentatonic degree), panned to its place."""
        if not self.settings.sound or self.ctx.audio is None:
            return
        from runtime.audio.scales import digit_to_degree

        pan = (d.cx / max(1, self.layout.grid[0] - 1)) * 1.6 - 0.8
        self.kit.sound("note", digit_to_degree(d.value), 0.75 if d.by_visitor else 0.35, pan=pan)

    # --- what the drawing reads ------------------------------------------------------------------
    def pulse(self) -> float:
        """0..1 brightness boost of a recent clap."""
        age = self.t - self.pulse_t
        return math.exp(-age / PULSE_S) if 0 <= age < 6 * PULSE_S else 0.0

    # --- drawing (reads state; the rooms keep render caches only) -------------------------------
    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        """Background, digits, marks, captions and the info panel, in that order.

        ``alpha`` (the fraction of an update step since the last one) is not used: digits grow
        and fade over seconds and a finger's eraser mark moves with the finger's own event, so
        interpolating a fraction of one step would change no visible pixel.
        """
        stages = self.ctx.stages
        planting = self.planting
        self.background.draw(surface)
        with stages.measure("numbers.digits"):
            self.layer.draw(surface, planting.garden, planting.digits, planting.tint_version,
                            self.pulse(), self.t)
            draw_marks(surface, self.layout, self.palette, planting.digits, self.eraser.walkers,
                       self.eraser.radius, self.settings.still_s, self.t)
        with stages.measure("numbers.text"):
            self.captions.draw(surface, planting, self.attract_mode.active, self.t)
            self.info.draw_button(surface)
            if self.info.is_open:
                snap = planting.garden.snapshot if planting.garden is not None else None
                self.info.draw(surface, snap, planting.newest, self.t)
