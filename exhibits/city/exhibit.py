"""Shining Gwangju (빛나는 광주 탐험): visitors' light wakes up a night map of Gwangju.

What a visitor sees:

- A night map: the landmarks of the curators' file at their real coordinates (see
  :mod:`exhibits.city.projection`), joined like a constellation, Mudeungsan's contour rings in the
  east, a faint graticule with degrees, north arrow and scale bar. Dim while nobody is there.
- Each visitor (camera person, touch, mouse) carries light in their own colour: a glow whose
  texture is our CPPN field (:mod:`exhibits.city.glow`) spreads around them and leaves a slowly
  fading trail (:mod:`exhibits.city.light`).
- When a visitor's light reaches a landmark (or a finger touches it) the landmark shines: its
  pictogram grows (the landmarks NCA, :mod:`exhibits.city.pictograms`), a bilingual card opens
  beside it but away from other visitors (:mod:`exhibits.city.cards`), a chime sounds, and the
  progress "3 / 7 곳 발견 · 3 / 7 places discovered" advances. Edges between two discovered
  landmarks glow. Touching a card closes it; touching a discovered landmark reopens it.
- All found: a celebration (every connection lit with travelling sparks, bursts of light, a
  chime, a message), then a calm, fully lit map until the visit ends.
- Attract mode (between the kiosk's visits, ``ctx.visit.attract``): the map dims, ghost walkers
  travel along the constellation lighting paths, a bilingual hint invites visitors, and nothing
  is discovered. A visit's discoveries reset when the kiosk's visit ends (:meth:`on_visit_end`,
  after ``[visits] idle_s`` with nobody there); City keeps no idle timer of its own. Without a
  visit tracker (``ctx.visit`` is None: isolated tests) the map never rests.

The rooms this class owns and calls (each module's docstring has its rules):

=============  ==================================================================================
``discovery``  what this visit found, the celebration, bursts of light
``cards``      the open cards: placement away from people, easing, closing, drawing
``ghosts``     attract mode's walkers along the constellation
``badges``     each landmark's badge (icon over names) and how a found landmark shines
``basemap``    the static map layers (bright and dim)
``passes``     the other drawing passes: glow, edges, visitors' cores, bursts, the strip
``prepared``   what is made once and kept in ``ctx.store`` across showings (layout, cards, map)
=============  ==================================================================================

Randomness: each random use draws its own named stream of the config's seed (``city.ghosts``,
``city.glow``, ``city.pictograms``, ``city.basemap.*``, ``city.glow.plain``; see
:meth:`runtime.exhibit.ExhibitContext.seed_for`), so a render repeats for a seed.

Timing: :meth:`update` (fixed steps of ``dt`` seconds) changes state; :meth:`draw` reads it.
Drawing at 1920×1080 is one blit of a pre-rendered map, the glow added on top (its lit bounding
box, shaded and upscaled on a worker thread in the live kiosk, inline in renders:
:class:`~exhibits.city.passes.GlowPass`), and a few sprites, lines and cached texts.

Degraded modes: without the landmarks NCA's weights, in ``ctx.safe_mode``, or if a model worker
fails, the pictograms fade in from their procedural drawings and the glow uses a numpy texture
(one warning each). With no camera and no sound everything works by touch. A landmark file that
fails validation at ``enter`` (hot reload does not run ``check_assets``) falls back to the last
good copy of it kept in ``ctx.store``, else to the shipped ``landmarks/gwangju.csv``, with an
error logged; only if neither loads does ``enter`` raise. A camera frame whose mask cannot be
used is ignored (one warning).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pygame

from exhibits.city import prepared
from exhibits.city.badges import Badges, badge_fonts, badge_sizes
from exhibits.city.basemap import BaseMap
from exhibits.city.cards import OpenCards
from exhibits.city.discovery import Discovery
from exhibits.city.ghosts import Ghosts
from exhibits.city.glow import GlowTexture
from exhibits.city.landmarks import Landmark
from exhibits.city.light import LightField
from exhibits.city.passes import (
    GlowPass,
    Sprites,
    core_radius,
    draw_bursts,
    draw_edges,
    draw_strip,
    draw_visitors,
)
from exhibits.city.pictograms import Pictograms
from exhibits.city.projection import MapProjection, constellation_edges
from exhibits.city.settings import PALETTES, CitySettings
from exhibits.kit import TOUCH_SOURCES, Kit
from runtime.events import VisitorEvent
from runtime.exhibit import BaseExhibit, ExhibitContext

if TYPE_CHECKING:
    from runtime.vision.processor import VisionFrame

EXHIBIT = "city"
STEER_EVERY_S = 0.1  # CPPN steering commands (10 Hz)
BRIGHTEN_S = 0.6  # time constant of the map brightening and dimming
VELOCITY_S = 0.1582  # time constant of a visitor's smoothed velocity (steers the glow)


class CityExhibit(BaseExhibit):
    """See the module docstring."""

    def __init__(self, ctx: ExhibitContext, settings: CitySettings):
        super().__init__(ctx, settings)
        self.palette = PALETTES[settings.palette]
        self.kit = Kit(ctx, EXHIBIT, text_limit=256)
        self.sprites = Sprites()
        self.t = 0.0
        self.steps = 0
        self._next_steer_t = STEER_EVERY_S
        self.landmarks: list[Landmark] = []
        self.colours: dict[str, tuple[int, int, int]] = {}
        self._colour_next = 0
        self.pending: list[VisitorEvent] = []
        self.prev: dict[str, tuple[float, float]] = {}
        self.velocity: dict[str, tuple[float, float]] = {}
        self.brightness = settings.dim_level
        self.quiet = self._attract()
        self._vision_index = -1
        # built in enter()
        self.light: LightField | None = None
        self.glow: GlowTexture | None = None
        self.pictos: Pictograms | None = None
        self.deck: OpenCards | None = None
        self.discovery: Discovery | None = None
        self.basemap: BaseMap | None = None
        self.badge_pass: Badges | None = None
        self.glow_pass: GlowPass | None = None
        self.ghost_walk: Ghosts | None = None

    # --- lifecycle -------------------------------------------------------------------------------
    def enter(self) -> None:
        """Read the landmarks, lay out the map and start the model workers (~30 ms when
        ``ctx.store`` already holds the prepared work, ~150-400 ms the first time)."""
        s, ctx, pal = self.settings, self.ctx, self.palette
        w, h = ctx.size
        self.landmarks = prepared.landmarks(ctx, s)
        lats = [lm.lat for lm in self.landmarks]
        lons = [lm.lon for lm in self.landmarks]
        self.proj = MapProjection(lats, lons, ctx.size)
        self.points = self.proj.to_screen(lats, lons)  # (N, 2) px
        self.norm = self.points / np.array([w, h], float)
        self.edges = constellation_edges(self.points, s.extra_edges)
        self.neighbours = {i: sorted({b for a, b in self.edges if a == i}
                                     | {a for a, b in self.edges if b == i})
                           for i in range(len(self.landmarks))}
        cols = s.light_cells
        rows = max(8, round(cols * h / w))
        self.light = LightField(cols, rows, radius=s.light_radius,
                                decay_s=s.light_decay_s, trail_s=s.trail_s,
                                trail_strength=s.trail_strength)
        use_models = not ctx.safe_mode
        self.glow = GlowTexture(s.glow_style, cols, rows, seed=ctx.seed_for("city.glow"),
                                fallback=prepared.glow_fallback(ctx, cols, rows),
                                fps=s.glow_fps, use_model=use_models, device=ctx.device,
                                log=ctx.log, inline=ctx.inline_models)
        self.glow.start()
        from models.catalog import weights_path

        self.pictos = Pictograms([lm.kind for lm in self.landmarks], use_model=use_models,
                                 weights=weights_path("landmarks"),
                                 steps_per_s=s.nca_steps_per_s,
                                 seed=ctx.seed_for("city.pictograms"),
                                 device=ctx.device, log=ctx.log, inline=ctx.inline_models)
        self.pictos.start()
        self.icon_px = max(12, int(h * 0.085))
        fonts = badge_fonts(ctx.assets, h)
        sizes = badge_sizes(self.landmarks, fonts, self.icon_px)
        badges = prepared.badge_layout(ctx, sizes, self.points)
        self.badge_pass = Badges(self.landmarks, self.points, badges, fonts, self.icon_px,
                                 self.pictos, pal, h, self.kit.texts, self.sprites)
        self.basemap = BaseMap(ctx, s, pal, self.proj, self.landmarks, self.points, self.edges)
        self.basemap.layers = prepared.basemap_layers(ctx, s, pal, self.basemap)
        self.deck = OpenCards(s, ctx.size, prepared.card_images(ctx, s, pal, self.landmarks),
                              self.points, badges, self.icon_px, self.visitors)
        self.discovery = Discovery(s, pal, self.landmarks, self.norm, self.edges, self.light,
                                   self.pictos, self.deck, self.kit)
        self.glow_pass = GlowPass(self.light, self.glow, ctx.size, s.glow_texture, ctx.stages,
                                  self.kit, inline=ctx.inline_models, log=ctx.log)
        self.ghost_walk = Ghosts(s.ghost_walkers, self.points, self.norm, self.edges,
                                 self.neighbours, pal["dot"], ctx.size,
                                 ctx.rng_for("city.ghosts"))
        self.quiet = self._attract()

    def leave(self) -> None:
        if self.glow is not None:
            self.glow.stop()
        if self.pictos is not None:
            self.pictos.stop()
        if self.basemap is not None:
            self.basemap.forget()
        if self.badge_pass is not None:
            self.badge_pass.forget()
        if self.glow_pass is not None:
            self.glow_pass.release()
        self.sprites.clear()

    def on_visitor(self, event: VisitorEvent) -> None:
        super().on_visitor(event)
        self.pending.append(event)  # handled in update (the only place state changes)

    def on_visit_end(self) -> None:
        """The kiosk's visit ended: this visit's discoveries and open cards go."""
        if self.discovery is not None:
            self.discovery.reset()
            self.deck.cards.clear()

    # --- state changes ---------------------------------------------------------------------------
    def _attract(self) -> bool:
        """True while the kiosk's visit tracker says nobody is there; never without one."""
        return self.ctx.visit is not None and self.ctx.visit.attract

    def _colour(self, vid: str) -> tuple[int, int, int]:
        """The visitor's light colour, handed out in turn from ``visitor_colours``."""
        c = self.colours.get(vid)
        if c is None:
            hues = self.settings.visitor_colours
            c = tuple(hues[self._colour_next % len(hues)])
            self._colour_next += 1
            self.colours[vid] = c
        return c

    def _hit_landmark(self, px: float, py: float) -> int | None:
        """The landmark whose dot is nearest ``(px, py)`` within ``touch_radius``, else a
        discovered landmark whose badge is there."""
        h = self.ctx.size[1]
        best, best_d = None, self.settings.touch_radius * h
        for i, (x, y) in enumerate(self.points):
            d = math.hypot(px - x, py - y)
            if d <= best_d:
                best, best_d = i, d
        if best is None:
            return self.badge_pass.hit(px, py, self.discovery.found)
        return best

    def _handle_events(self) -> None:
        """This step's visitor events: a touch closes a card, or discovers (or reopens) a
        landmark; every visitor present lights the field; a visitor who left is forgotten."""
        w, h = self.ctx.size
        for ev in self.pending:
            colour = self._colour(ev.visitor_id)
            c01 = tuple(v / 255.0 for v in colour)
            if ev.kind == "enter" and ev.source in TOUCH_SOURCES:
                px, py = ev.pos[0] * w, ev.pos[1] * h
                card = self.deck.hit(px, py)
                if card is not None:
                    self.deck.cards.remove(card)  # a touch closes a card
                else:
                    i = self._hit_landmark(px, py)
                    if i is not None and i in self.discovery.found:
                        self.deck.open(i, ev.visitor_id, colour, self.t)
                        self.kit.record("info_opened", self.landmarks[i].id)
                    elif i is not None:
                        self.discovery.discover(i, ev.visitor_id, colour, self.t)
            if ev.kind != "leave":
                self.light.deposit(ev.pos[0], ev.pos[1], c01)
            else:
                self.colours.pop(ev.visitor_id, None)
                self.prev.pop(ev.visitor_id, None)
                self.velocity.pop(ev.visitor_id, None)
        self.pending.clear()

    def update(self, dt: float) -> None:
        s = self.settings
        self.t += dt
        self.steps += 1
        light = self.light
        self._handle_events()
        light.decay(dt)
        self.quiet = self._attract()
        target = s.dim_level if self.quiet else 1.0
        self.brightness += (target - self.brightness) * (1.0 - math.exp(-dt / BRIGHTEN_S))
        # visitors carry light; light that reaches a landmark discovers it
        aspect = self.ctx.size[0] / self.ctx.size[1]
        smooth = 1.0 - math.exp(-dt / VELOCITY_S)  # 0.1 per step at 60 Hz
        for vid, ev in self.visitors.items():
            colour = self._colour(vid)
            x, y = ev.pos
            light.deposit(x, y, tuple(v / 255.0 for v in colour))
            px, py = self.prev.get(vid, (x, y))
            vx, vy = (x - px) / dt, (y - py) / dt
            ox, oy = self.velocity.get(vid, (0.0, 0.0))
            self.velocity[vid] = (ox + (vx - ox) * smooth, oy + (vy - oy) * smooth)
            self.prev[vid] = (x, y)
            if not self.quiet:
                self.discovery.reach(vid, x, y, colour, aspect, self.t)
        self._update_vision()
        if self.quiet:
            self.ghost_walk.update(dt, light)
        self.deck.update(dt, self.t)
        self.discovery.update(self.t)
        if self.t + 1e-9 >= self._next_steer_t:
            self._next_steer_t = self.t + STEER_EVERY_S
            self.glow.steer([(vid, ev.pos[0], ev.pos[1], *self.velocity.get(vid, (0.0, 0.0)))
                             for vid, ev in self.visitors.items()])
        self.glow.advance(dt)
        self.pictos.tick(dt)

    def _update_vision(self) -> None:
        """Camera silhouettes glow faintly too (bodies as lanterns), once per new camera frame.

        The mask is warped to the screen with the frame's own calibration (``homography``;
        ``None``: uncalibrated, only resized). A frame that cannot be used is skipped with one
        warning: a camera problem must not stop the map.
        """
        vision: VisionFrame | None = self.ctx.vision
        if vision is None or vision.learning or vision.index == self._vision_index:
            return
        self._vision_index = vision.index
        try:
            light = self.light
            mask = vision.screen_mask(vision.homography, (light.cols, light.rows))
            lit = tuple(v / 255.0 for v in self.palette["lit"])
            light.add_mask(mask.astype(np.float32) / 255.0, lit, 0.35)
        except Exception as err:  # noqa: BLE001 - a camera problem must not stop the exhibit
            self.kit.warn(f"camera mask ignored: {err!r}", key="vision")

    # --- drawing ---------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        """The frame after the last :meth:`update`; reads state, never changes it.

        ``alpha`` (the fraction of a step since the last update) is ignored: everything that
        moves eases over time constants of 0.1 s or more, or is light already blurred over a
        field, so interpolating by part of a 1/60 s step would not show.
        """
        size, t, found = self.ctx.size, self.t, self.discovery.found
        self.basemap.draw(surface, self.brightness)
        self.glow_pass.draw(surface, self.steps)
        draw_edges(surface, self.discovery, self.points, self.palette["lit"], self.sprites,
                   size[1], t)
        self.badge_pass.draw(surface, found, self.quiet, t)
        draw_visitors(surface, self.visitors, self.colours, self.settings.visitor_colours[0],
                      self.sprites, size)
        if self.quiet:
            self.ghost_walk.draw(surface, self.sprites, core_radius(size[1]) // 2)
        draw_bursts(surface, self.discovery.bursts, size, t)
        self.deck.draw(surface, t)
        draw_strip(surface, self.settings, self.palette, self.kit.texts, self.discovery,
                   len(self.landmarks), self.quiet, size, t)
