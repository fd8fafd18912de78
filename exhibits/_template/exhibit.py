"""The template exhibit: ripples where visitors touch, a light that follows each visitor.

What a visitor sees: a dark screen. A touch starts a ripple there in the visitor's colour; a
visitor who stays (a finger held, a person in front of the camera) ripples every
``pulse_every_s``. Between visits (attract mode) a bilingual hint breathes at the bottom.

The shape every exhibit follows (see ``runtime/exhibit.py``):

* ``__init__`` is cheap; ``enter`` loads what is heavy (models, files); ``leave`` lets it go.
* ``on_visitor`` only notes events; ``update(dt)`` is the only place state changes, in seconds
  (``dt`` is one fixed step, ``1 / display.fps``: never count steps as if they were 60 Hz).
* ``draw(surface, alpha)`` reads state and keeps render caches only.
* Everything comes through ``ctx`` (size, assets, seed, audio, analytics, visit, log, store);
  ``exhibits.kit`` has the shared plumbing (touch sources, text cache, warn-once, guarded sound
  and analytics). Models step inline when ``ctx.inline_models`` is true, so renders and tests
  repeat for a seed.
* Random draws come from named streams: ``ctx.rng_for("NAME.purpose")`` (numpy),
  ``ctx.seed_for(...)`` (an int seed), ``ctx.torch_generator(...)``; never ``ctx.seed + 505``.
* Attract mode is the kiosk's: ``ctx.visit.attract`` is True between visits (nobody there for
  ``[visits] idle_s``); no exhibit keeps its own idle timer. ``ctx.visit`` is None only when a
  test builds a context by hand (:meth:`TemplateExhibit.attract` says what then).
* What must outlive one showing (a new instance is built at every showing) goes in
  ``ctx.store`` (``get_or_make(key, make)``), never in module globals or class attributes; the
  kit keeps its text cache there.
"""

from __future__ import annotations

import math

import pygame

from exhibits.kit import TOUCH_SOURCES, Kit, visitor_key
from runtime.events import VisitorEvent
from runtime.exhibit import BaseExhibit, ExhibitContext

from .settings import TemplateSettings

BACKGROUND = (8, 12, 28)
HINT = (220, 226, 240)


class TemplateExhibit(BaseExhibit):
    """See the module docstring."""

    def __init__(self, ctx: ExhibitContext, settings: TemplateSettings) -> None:
        super().__init__(ctx, settings)
        self.kit = Kit(ctx, "template")  # your registry name: analytics file records under it
        self.t = 0.0
        self.pending: list[VisitorEvent] = []
        self.ripples: list[tuple[float, float, float, tuple[int, int, int]]] = []  # x, y, t0, rgb
        self.next_pulse_t: dict[str, float] = {}

    def leave(self) -> None:
        pass  # nothing heavy to let go; the text cache stays in ctx.store for the next showing

    def on_visitor(self, event: VisitorEvent) -> None:
        super().on_visitor(event)  # keeps self.visitors current
        self.pending.append(event)  # handled in update

    def colour(self, visitor_id: str) -> tuple[int, int, int]:
        colours = self.settings.colours
        return tuple(colours[visitor_key(visitor_id) % len(colours)])

    def update(self, dt: float) -> None:
        s = self.settings
        self.t += dt
        for ev in self.pending:
            if ev.kind == "enter" and ev.source in TOUCH_SOURCES:
                self.ripples.append((*ev.pos, self.t, self.colour(ev.visitor_id)))
                self.next_pulse_t[ev.visitor_id] = self.t + s.pulse_every_s
            elif ev.kind == "leave":
                self.next_pulse_t.pop(ev.visitor_id, None)
        self.pending.clear()
        for vid, ev in self.visitors.items():  # visitors who stay ripple now and then
            due = self.next_pulse_t.setdefault(vid, self.t + s.pulse_every_s)
            if self.t >= due:
                self.ripples.append((*ev.pos, self.t, self.colour(vid)))
                self.next_pulse_t[vid] = self.t + s.pulse_every_s
        self.ripples = [r for r in self.ripples if self.t - r[2] < s.ripple_s]

    def attract(self) -> bool:
        """Between visits (the kiosk's tracker); with no tracker, while nobody is present."""
        visit = self.ctx.visit
        return bool(visit.attract) if visit is not None else not self.visitors

    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        """Ripples grow with ``self.t``. ``alpha`` (0..1 of an update step since the last one)
        is not used; an exhibit with fast motion would draw at ``t + alpha * ctx.step_s``."""
        s = self.settings
        w, h = surface.get_size()
        surface.fill(BACKGROUND)
        reach = s.ripple_px * h / 1080
        for x, y, t0, colour in self.ripples:
            u = (self.t - t0) / s.ripple_s
            radius = max(1, round(reach * (1 - (1 - u) ** 3)))
            fade = tuple(round(c * (1 - u)) for c in colour)
            pygame.draw.circle(surface, fade, (x * w, y * h), radius, max(1, h // 270))
        for vid, ev in self.visitors.items():
            pygame.draw.circle(surface, self.colour(vid), (ev.pos[0] * w, ev.pos[1] * h),
                               max(3, h // 60))
        if self.attract():
            text = self.kit.texts(f"{s.hint_ko} · {s.hint_en}", max(10, h // 30), HINT)
            text.set_alpha(round(255 * (0.6 + 0.4 * math.sin(self.t * 1.6))))
            surface.blit(text, text.get_rect(center=(w // 2, round(h * 0.9))))
            text.set_alpha(None)
