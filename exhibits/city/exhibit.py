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
- Attract mode (nobody there): ghost walkers travel along the constellation lighting paths, and
  a bilingual hint invites visitors. A visit's discoveries reset when the kiosk's visit ends, or
  after ``idle_s`` with nobody present.

Timing: :meth:`update` (fixed 1/60 s steps) changes state; :meth:`draw` reads it. Drawing at
1920×1080 is one blit of a pre-rendered map, one bilinear upscale of the small glow (only its
lit bounding box) added on top, and a few sprites, lines and cached texts.

Degraded modes: without the landmarks NCA's weights, in ``ctx.safe_mode``, or if a model worker
fails, the pictograms fade in from their procedural drawings and the glow uses a numpy texture
(one warning each). With no camera and no sound everything works by touch. A landmark file that
fails validation at ``enter`` (hot reload does not run ``check_assets``) falls back to the last
good file read in this process, else to the shipped ``landmarks/gwangju.csv``, with an error
logged; only if neither loads does ``enter`` raise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pygame

from exhibits.city.cards import circle_overlap, place_card, render_card
from exhibits.city.glow import GlowTexture, shade
from exhibits.city.landmarks import Landmark, LandmarkFileError, read_landmarks
from exhibits.city.light import LightField, brightest, light_intensity
from exhibits.city.pictograms import SLOT, Pictograms
from exhibits.city.projection import MapProjection, constellation_edges
from exhibits.city.settings import PALETTES, CitySettings
from runtime.events import VisitorEvent
from runtime.exhibit import BaseExhibit, ExhibitContext
from runtime.settings import fill_template

# The badge layout and the card images depend only on the screen, the landmarks, the palette and
# the fonts, and cost ~110 ms to make; the kiosk re-enters this exhibit at every rotation, which
# would stall that frame, so they are made once per process and reused (keys hold every input).
_STATIC: dict[tuple, object] = {}
_STATIC_MAX = 16


def _static(key: tuple, make):
    """``make()`` once per ``key`` (a small bounded cache; cleared when full)."""
    got = _STATIC.get(key)
    if got is None:
        if len(_STATIC) >= _STATIC_MAX:
            _STATIC.clear()
        got = _STATIC[key] = make()
    return got

EXHIBIT = "city"
DEFAULT_FILE = "landmarks/gwangju.csv"
GROW_S = 1.6  # procedural pictograms scale/fade in over this long
BURST_S = 1.4
STEER_EVERY = 6  # update steps between CPPN steering commands (10 Hz)
POINTER_SOURCES = ("touch", "mouse")


@dataclass
class Found:
    """A landmark discovered in this visit."""

    t: float
    colour: tuple[int, int, int]
    owner: str


@dataclass
class Card:
    """An open card; ``rect`` eases toward ``target`` (pixels)."""

    index: int
    owner: str
    colour: tuple[int, int, int]
    opened_t: float
    rect: tuple[float, float, float, float]
    target: tuple[float, float, float, float]
    covering_s: float = 0.0


@dataclass
class Ghost:
    """An attract-mode walker moving from landmark ``a`` to ``b``."""

    a: int
    b: int
    progress: float  # 0..1 along the edge
    speed: float  # screen heights per second


def _ease(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return 1.0 - (1.0 - u) ** 3


def _radial_sprite(radius: int, colour, power: float = 2.0) -> pygame.Surface:
    """An opaque black-backed radial gradient for additive blits (centre = ``colour``)."""
    size = 2 * radius + 1
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1].astype(np.float32)
    d = np.sqrt(xx * xx + yy * yy) / max(1, radius)
    g = np.clip(1.0 - d, 0.0, 1.0) ** power
    rgb = (g[:, :, None] * np.asarray(colour, np.float32)[None, None, :]).astype(np.uint8)
    surf = pygame.Surface((size, size))
    pygame.surfarray.blit_array(surf, rgb.transpose(1, 0, 2))
    return surf


class CityExhibit(BaseExhibit):
    """See the module docstring."""

    _last_good: dict[str, list[Landmark]] = {}  # per landmark file, across hot reloads

    def __init__(self, ctx: ExhibitContext, settings: CitySettings):
        super().__init__(ctx, settings)
        self.palette = PALETTES[settings.palette]
        self.t = 0.0
        self.steps = 0
        self.landmarks: list[Landmark] = []
        self.found: dict[int, Found] = {}
        self.cards: list[Card] = []
        self.colours: dict[str, tuple[int, int, int]] = {}
        self._colour_next = 0
        self.pending: list[VisitorEvent] = []
        self.prev: dict[str, tuple[float, float]] = {}
        self.velocity: dict[str, tuple[float, float]] = {}
        self.ghosts: list[Ghost] = []
        self.bursts: list[tuple[float, float, float, tuple[int, int, int]]] = []
        self.celebrate_t: float | None = None
        self.last_present_t = -1e9
        self.brightness = settings.dim_level
        self.quiet = True
        self.visit_active = False
        self.rng = np.random.default_rng(ctx.seed + 518)
        self._vision_index = -1
        self._warned: set[str] = set()
        # built in enter()
        self.light: LightField | None = None
        self.glow: GlowTexture | None = None
        self.pictos: Pictograms | None = None
        self._layers: dict[str, pygame.Surface] = {}
        self._texts: dict[tuple, pygame.Surface] = {}
        self._card_surfs: list[pygame.Surface] = []
        self._sprites: dict[tuple, pygame.Surface] = {}
        self._icon_cache: dict[tuple, pygame.Surface] = {}
        self._model_icons: tuple[int, dict[int, pygame.Surface]] = (-1, {})

    # --- lifecycle -------------------------------------------------------------------------------
    def _read_landmarks(self) -> list[Landmark]:
        s = self.settings
        path = s.landmarks_path(self.ctx.assets.root)
        try:
            landmarks = read_landmarks(path, s.landmarks_file)
            CityExhibit._last_good[str(path)] = landmarks
            return landmarks
        except LandmarkFileError as err:
            self.ctx.log.error("landmark file refused: %s", err)
            if str(path) in CityExhibit._last_good:
                self.ctx.log.error("keeping the last good landmarks of %s", s.landmarks_file)
                return CityExhibit._last_good[str(path)]
            if s.landmarks_file != DEFAULT_FILE:
                self.ctx.log.error("showing the shipped %s instead", DEFAULT_FILE)
                return read_landmarks(self.ctx.assets.path(DEFAULT_FILE), DEFAULT_FILE)
            raise

    def enter(self) -> None:
        s, ctx = self.settings, self.ctx
        w, h = ctx.size
        self.landmarks = self._read_landmarks()
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
        self.glow = GlowTexture(s.glow_style, cols, rows, seed=ctx.seed, fps=s.glow_fps,
                                use_model=use_models, device=ctx.device, log=ctx.log,
                                inline=ctx.inline_models)
        self.glow.start()
        from models.catalog import weights_path

        self.pictos = Pictograms([lm.kind for lm in self.landmarks], use_model=use_models,
                                 weights=weights_path("landmarks"),
                                 steps_per_s=s.nca_steps_per_s, seed=ctx.seed,
                                 device=ctx.device, log=ctx.log, inline=ctx.inline_models)
        self.pictos.start()
        self.icon_px = max(12, int(h * 0.085))
        self._layout_badges()
        self._build_layers()
        self._card_surfs = _static(
            ("cards", ctx.size, tuple(self.landmarks), ctx.assets,
             tuple(sorted(self.palette.items())), s.source_label),
            lambda: [render_card(lm, ctx.assets, ctx.size, self.palette,
                                 self.palette["card_edge"], s.source_label)
                     for lm in self.landmarks])
        self._small = pygame.Surface((cols, rows))
        self._glow_big = pygame.Surface((w, h))
        self._glow_px = np.zeros((rows, cols, 3), np.uint8)
        self._glow_rect: tuple[int, int, int, int] | None = None
        self._glow_steps = -1
        self._draws = 0
        self._scratch = np.zeros((rows, cols, 3), np.float32)
        self._spawn_ghosts()
        self.visit_active = ctx.visit is not None and not ctx.visit.attract

    def leave(self) -> None:
        if self.glow is not None:
            self.glow.stop()
        if self.pictos is not None:
            self.pictos.stop()
        self._layers.clear()
        self._texts.clear()
        self._sprites.clear()
        self._icon_cache.clear()

    def on_visitor(self, event: VisitorEvent) -> None:
        super().on_visitor(event)
        self.pending.append(event)  # handled in update (the only place state changes)

    def on_visit_start(self) -> None:
        self.visit_active = True

    def on_visit_end(self) -> None:
        self.visit_active = False
        self._reset_visit()

    # --- state changes ---------------------------------------------------------------------------
    def _reset_visit(self) -> None:
        self.found.clear()
        self.cards.clear()
        self.celebrate_t = None
        if self.pictos is not None:
            self.pictos.clear()

    def _colour(self, vid: str) -> tuple[int, int, int]:
        c = self.colours.get(vid)
        if c is None:
            hues = self.settings.visitor_colours
            c = tuple(hues[self._colour_next % len(hues)])
            self._colour_next += 1
            self.colours[vid] = c
        return c

    def _safe_audio(self, name: str, **kw) -> None:
        audio = self.ctx.audio
        if audio is None:
            return
        try:
            audio.chime(name, **kw)
        except Exception as err:  # noqa: BLE001 - sound must never break the exhibit
            self._warn_once("audio", f"audio chime {name!r} failed: {err!r}")

    def _record(self, kind: str, label: str = "") -> None:
        if self.ctx.analytics is None:
            return
        try:
            self.ctx.analytics.record(kind, EXHIBIT, label=label)
        except Exception as err:  # noqa: BLE001
            self._warn_once("analytics", f"analytics failed: {err!r}")

    def _warn_once(self, key: str, msg: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.ctx.log.warning(msg)

    def discover(self, i: int, owner: str, colour: tuple[int, int, int]) -> None:
        """Landmark ``i`` shines for this visit (light or touch of ``owner``)."""
        if i in self.found:
            return
        self.found[i] = Found(self.t, colour, owner)
        self.pictos.grow(i)
        self._open_card(i, owner, colour)
        x, y = self.norm[i]
        self.bursts.append((float(x), float(y), self.t, colour))
        self._safe_audio("discover", pan=float(x) * 2 - 1)
        self._record("landmark_discovered", self.landmarks[i].id)
        if len(self.found) == len(self.landmarks) and self.celebrate_t is None:
            self.celebrate_t = self.t
            if self.settings.celebration:
                self._safe_audio("celebrate")
                for j, f in self.found.items():
                    self.bursts.append((float(self.norm[j][0]), float(self.norm[j][1]),
                                        self.t + 0.15 * j, f.colour))

    def _visitor_areas(self, exclude: str | None) -> list[tuple[float, float, float]]:
        w, h = self.ctx.size
        base = self.settings.light_radius * h
        out = []
        for vid, ev in self.visitors.items():
            if vid == exclude:
                continue
            r = base
            if ev.size is not None:
                r = max(r, 0.5 * max(ev.size[0] * w, ev.size[1] * h))
            out.append((ev.pos[0] * w, ev.pos[1] * h, r))
        return out

    def _place(self, card_index: int, owner: str, skip: Card | None = None):
        w, h = self.ctx.size
        surf = self._card_surfs[card_index]
        others = [c.target for c in self.cards if c is not skip]
        badge = self.badges[card_index]
        m = max(4.0, h * 0.01)
        area = (m, h * 0.11, w - m, h * 0.85)  # below the title, above the progress strip
        return place_card(tuple(self.points[card_index]), surf.get_size(), area,
                          avoid=self._visitor_areas(owner), cards=others, keep_clear=[badge],
                          gap=self.icon_px * 0.6)

    def _open_card(self, i: int, owner: str, colour) -> None:
        for c in self.cards:
            if c.index == i:
                c.opened_t, c.owner, c.colour = self.t, owner, colour
                return
        while len(self.cards) >= 3:  # at most three at once: the oldest gives way
            self.cards.pop(0)
        rect, _ = self._place(i, owner)
        x, y = self.points[i]
        start = (x - rect[2] * 0.05, y - rect[3] * 0.05, rect[2], rect[3])
        self.cards.append(Card(i, owner, colour, self.t, start, rect))

    def _hit_card(self, px: float, py: float) -> Card | None:
        for c in reversed(self.cards):
            x, y, w, h = c.rect
            if x <= px <= x + w and y <= py <= y + h:
                return c
        return None

    def _hit_landmark(self, px: float, py: float) -> int | None:
        h = self.ctx.size[1]
        best, best_d = None, self.settings.touch_radius * h
        for i, (x, y) in enumerate(self.points):
            d = math.hypot(px - x, py - y)
            if d <= best_d:
                best, best_d = i, d
        if best is None:  # the badge (icon + name) of a discovered landmark counts too
            for i in self.found:
                bx, by, bw, bh = self.badges[i]
                if bx <= px <= bx + bw and by <= py <= by + bh:
                    return i
        return best

    def _handle_events(self) -> None:
        w, h = self.ctx.size
        light = self.light
        for ev in self.pending:
            colour = self._colour(ev.visitor_id)
            c01 = tuple(v / 255.0 for v in colour)
            if ev.kind == "enter" and ev.source in POINTER_SOURCES:
                px, py = ev.pos[0] * w, ev.pos[1] * h
                card = self._hit_card(px, py)
                if card is not None:
                    self.cards.remove(card)  # a touch closes a card
                else:
                    i = self._hit_landmark(px, py)
                    if i is not None and i in self.found:
                        self._open_card(i, ev.visitor_id, colour)
                        self._record("info_opened", self.landmarks[i].id)
                    elif i is not None:
                        self.discover(i, ev.visitor_id, colour)
            if ev.kind != "leave":
                light.deposit(ev.pos[0], ev.pos[1], c01)
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
        present = bool(self.visitors)
        if present:
            self.last_present_t = self.t
        self._handle_events()
        light.decay(dt)
        idle = not present and self.t - self.last_present_t > s.idle_s
        if idle and (self.found or self.cards):
            self._reset_visit()
        attract = (self.ctx.visit.attract if self.ctx.visit is not None
                   else not present and self.t - self.last_present_t > 2.0)
        self.quiet = attract or idle
        target = s.dim_level if self.quiet else 1.0
        self.brightness += (target - self.brightness) * (1.0 - math.exp(-dt / 0.6))
        # visitors carry light; light that reaches a landmark discovers it
        h = self.ctx.size[1]
        aspect = self.ctx.size[0] / h
        for vid, ev in self.visitors.items():
            colour = self._colour(vid)
            x, y = ev.pos
            light.deposit(x, y, tuple(v / 255.0 for v in colour))
            px, py = self.prev.get(vid, (x, y))
            vx, vy = (x - px) / dt, (y - py) / dt
            ox, oy = self.velocity.get(vid, (0.0, 0.0))
            self.velocity[vid] = (ox + (vx - ox) * 0.1, oy + (vy - oy) * 0.1)
            self.prev[vid] = (x, y)
            if self.quiet:
                continue
            for i, (lx, ly) in enumerate(self.norm):
                if i in self.found:
                    continue
                level = light_intensity((x - lx) * aspect, y - ly, s.light_radius)
                if level >= s.discover_threshold:
                    self.discover(i, vid, colour)
        self._update_vision()
        self._update_ghosts(dt)
        self._update_cards(dt)
        self._update_celebration()
        self.bursts = [b for b in self.bursts if self.t - b[2] < BURST_S]
        if self.steps % STEER_EVERY == 0:
            self.glow.steer([(vid, ev.pos[0], ev.pos[1], *self.velocity.get(vid, (0.0, 0.0)))
                             for vid, ev in self.visitors.items()])
        self.glow.advance(dt)
        self.pictos.tick(dt)

    def _update_vision(self) -> None:
        """Camera silhouettes glow faintly too (bodies as lanterns), when a camera is there."""
        vision = self.ctx.vision
        if vision is None or getattr(vision, "learning", False):
            return
        index = getattr(vision, "index", None)
        if index == self._vision_index:
            return
        self._vision_index = index
        try:
            light = self.light
            mask = vision.screen_mask(getattr(vision, "homography", None),
                                      (light.cols, light.rows))
            lit = tuple(v / 255.0 for v in self.palette["lit"])
            light.add_mask(mask.astype(np.float32) / 255.0, lit, 0.35)
        except Exception as err:  # noqa: BLE001 - a camera problem must not stop the exhibit
            self._warn_once("vision", f"camera mask ignored: {err!r}")

    def _spawn_ghosts(self) -> None:
        self.ghosts = []
        if not self.edges:
            return
        for k in range(self.settings.ghost_walkers):
            a, b = self.edges[int(self.rng.integers(len(self.edges)))]
            if k % 2:
                a, b = b, a
            self.ghosts.append(Ghost(a, b, float(self.rng.uniform(0, 0.5)),
                                     float(self.rng.uniform(0.07, 0.11))))

    def _ghost_pos(self, g: Ghost) -> tuple[float, float]:
        (ax, ay), (bx, by) = self.norm[g.a], self.norm[g.b]
        u = g.progress
        return float(ax + (bx - ax) * u), float(ay + (by - ay) * u)

    def _update_ghosts(self, dt: float) -> None:
        if not self.quiet:
            return
        w, h = self.ctx.size
        ghost = tuple(v / 255.0 * 0.55 for v in self.palette["dot"])
        for g in self.ghosts:
            (ax, ay), (bx, by) = self.points[g.a], self.points[g.b]
            length_h = max(1e-3, math.hypot(bx - ax, by - ay) / h)
            g.progress += g.speed * dt / length_h
            if g.progress >= 1.0:
                options = [n for n in self.neighbours[g.b] if n != g.a] or [g.a]
                g.a, g.b = g.b, options[int(self.rng.integers(len(options)))]
                g.progress = 0.0
            x, y = self._ghost_pos(g)
            self.light.deposit(x, y, ghost, strength=0.8, radius_scale=0.55)

    def _update_cards(self, dt: float) -> None:
        s = self.settings
        keep = []
        for c in self.cards:
            if self.t - c.opened_t >= s.card_s:
                continue
            avoid = self._visitor_areas(c.owner)
            covering = sum(circle_overlap(c.target, x, y, r) for x, y, r in avoid) > 0
            c.covering_s = c.covering_s + dt if covering else 0.0
            if c.covering_s >= s.card_yield_s:
                rect, people = self._place(c.index, c.owner, skip=c)
                if people > 0:
                    continue  # nowhere free: the card closes rather than hide someone
                c.target, c.covering_s = rect, 0.0
            k = 1.0 - math.exp(-dt / 0.18)
            c.rect = tuple(a + (b - a) * k for a, b in zip(c.rect, c.target, strict=True))
            keep.append(c)
        self.cards = keep

    def _update_celebration(self) -> None:
        if self.celebrate_t is None or not self.settings.celebration:
            return
        age = self.t - self.celebrate_t
        if age < self.settings.celebration_s:
            # sparks run along every connection, leaving light behind them
            for k, (a, b) in enumerate(self.edges):
                u = (age * 0.45 + k * 0.13) % 1.0
                (ax, ay), (bx, by) = self.norm[a], self.norm[b]
                colour = self.found[a].colour if a in self.found else self.palette["lit"]
                self.light.deposit(float(ax + (bx - ax) * u), float(ay + (by - ay) * u),
                                   tuple(v / 255.0 for v in colour), strength=0.9,
                                   radius_scale=0.35)

    # --- layout and static layers --------------------------------------------------------------
    def _label_text(self, lm: Landmark) -> tuple[str, str]:
        return lm.name_ko, lm.label_en

    def _layout_badges(self) -> None:
        """Place each landmark's badge (icon over its name) near it without overlaps."""
        w, h = self.ctx.size
        f_ko = self.ctx.assets.font(max(8, int(h * 0.022)), bold=True)
        f_en = self.ctx.assets.font(max(7, int(h * 0.017)))
        sizes = []
        for lm in self.landmarks:
            ko, en = self._label_text(lm)
            bw = max(self.icon_px, f_ko.size(ko)[0], f_en.size(en)[0]) + 4
            bh = self.icon_px + f_ko.get_linesize() + f_en.get_linesize()
            sizes.append((bw, bh))
        self._badge_fonts = (f_ko, f_en)
        key = ("badges", (w, h), tuple(sizes), self.points.tobytes())
        self.badges = _static(key, lambda: self._relax_badges(sizes))

    def _relax_badges(self, sizes: list[tuple[int, int]]) -> tuple[tuple[float, ...], ...]:
        """Badge rectangles (x, y, w, h) px: pushed apart and off the dots, pulled home."""
        w, h = self.ctx.size
        n = len(self.landmarks)
        sz = np.array(sizes, float)
        home = self.points + np.array([0.0, -1.0]) * (sz[:, 1:2] / 2 + h * 0.02)
        pos = home.copy()
        top, bottom = h * 0.12, h * 0.83
        dot_r = h * 0.02
        for _ in range(300):
            for i in range(n):
                for j in range(i + 1, n):
                    d = pos[j] - pos[i]
                    ox = (sz[i, 0] + sz[j, 0]) / 2 + 4 - abs(d[0])
                    oy = (sz[i, 1] + sz[j, 1]) / 2 + 4 - abs(d[1])
                    if ox > 0 and oy > 0:  # push apart along the smaller overlap
                        if ox < oy:
                            step = np.array([ox / 2 * (1 if d[0] >= 0 else -1), 0.0])
                        else:
                            step = np.array([0.0, oy / 2 * (1 if d[1] >= 0 else -1)])
                        pos[i] -= step
                        pos[j] += step
                for j in range(n):  # keep badges off every landmark's dot
                    d = self.points[j] - pos[i]
                    ox = sz[i, 0] / 2 + dot_r - abs(d[0])
                    oy = sz[i, 1] / 2 + dot_r - abs(d[1])
                    if ox > 0 and oy > 0:
                        if ox < oy:
                            pos[i, 0] -= ox * (1 if d[0] >= 0 else -1)
                        else:
                            pos[i, 1] -= oy * (1 if d[1] >= 0 else -1)
            pos += (home - pos) * 0.02
            pos[:, 0] = np.clip(pos[:, 0], sz[:, 0] / 2 + 4, w - sz[:, 0] / 2 - 4)
            pos[:, 1] = np.clip(pos[:, 1], top + sz[:, 1] / 2, bottom - sz[:, 1] / 2)
        return tuple((float(pos[i, 0] - sz[i, 0] / 2), float(pos[i, 1] - sz[i, 1] / 2),
                      float(sz[i, 0]), float(sz[i, 1])) for i in range(n))

    def _sky(self) -> pygame.Surface:
        w, h = self.ctx.size
        sw, sh = 160, 90
        yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
        v = yy / (sh - 1)
        top = np.asarray(self.palette["sky_top"], np.float32)
        bot = np.asarray(self.palette["sky_bottom"], np.float32)
        img = top[None, None] * (1 - v[..., None]) + bot[None, None] * v[..., None]
        # a soft vignette and a seeded haze, like city light on low clouds
        d = np.hypot((xx / sw - 0.5) * 1.6, (yy / sh - 0.45) * 1.2)
        img *= np.clip(1.15 - 0.55 * d, 0.45, 1.1)[..., None]
        rng = np.random.default_rng(self.ctx.seed + 35)
        coarse = pygame.Surface((17, 10))
        pygame.surfarray.blit_array(coarse, rng.integers(0, 256, (17, 10, 3), dtype=np.uint8))
        haze = pygame.surfarray.array3d(pygame.transform.smoothscale(coarse, (sw, sh)))
        img += (haze.transpose(1, 0, 2)[..., :1].astype(np.float32) / 255.0 - 0.5) * 8.0
        small = pygame.Surface((sw, sh))
        pygame.surfarray.blit_array(small, np.clip(img, 0, 255).astype(np.uint8).transpose(1, 0, 2))
        return pygame.transform.smoothscale(small, (w, h))

    def _build_layers(self) -> None:
        w, h = self.ctx.size
        pal = self.palette
        base = self._sky()
        line = pal["line"]
        faint = tuple(int(c * 0.45) for c in line)
        small = self.ctx.assets.font(max(7, int(h * 0.014)))
        # graticule every 0.05° (real coordinates, labelled at the map's edge)
        mx, my, mw, mh = self.proj.map_rect
        lat_lo, lon_lo = self.proj.to_latlon(mx, my + mh)
        lat_hi, lon_hi = self.proj.to_latlon(mx + mw, my)
        for lat in np.arange(math.ceil(lat_lo / 0.05) * 0.05, lat_hi, 0.05):
            y = float(self.proj.to_screen(lat, lon_lo)[1])
            pygame.draw.line(base, faint, (mx, y), (mx + mw, y))
            base.blit(small.render(f"{lat:.2f}°N", True, faint), (mx + 3, y + 2))
        for lon in np.arange(math.ceil(lon_lo / 0.05) * 0.05, lon_hi, 0.05):
            x = float(self.proj.to_screen(lat_lo, lon)[0])
            pygame.draw.line(base, faint, (x, my), (x, my + mh))
            base.blit(small.render(f"{lon:.2f}°E", True, faint), (x + 3, my + mh - 2
                                                                  - small.get_height()))
        # Mudeungsan: contour rings around every mountain landmark (stylised, to scale in km)
        km = self.proj.px_per_km
        rng = np.random.default_rng(self.ctx.seed + 1187)
        for i, lm in enumerate(self.landmarks):
            if lm.kind != "mountain":
                continue
            cx, cy = self.points[i]
            phase = rng.uniform(0, 2 * np.pi, 3)
            for k, r_km in enumerate((0.6, 1.2, 1.9, 2.7, 3.6)):
                ang = np.linspace(0, 2 * np.pi, 90, endpoint=False)
                wob = 1 + 0.08 * np.sin(3 * ang + phase[0] + k) + 0.05 * np.sin(5 * ang
                                                                                + phase[1])
                r = r_km * km * wob
                pts = np.stack([cx + r * np.cos(ang) * 1.1, cy + r * np.sin(ang) * 0.85], 1)
                shade_ = 0.75 - 0.1 * k
                pygame.draw.aalines(base, tuple(int(c * shade_) for c in line), True,
                                    pts.tolist())
        # the constellation, dim
        for a, b in self.edges:
            pygame.draw.aaline(base, faint, self.points[a], self.points[b])
        for x, y in self.points:
            pygame.draw.circle(base, tuple(int(c * 0.55) for c in pal["dot"]), (x, y),
                               max(2, int(h * 0.006)))
        # north arrow and scale bar (bottom right of the map)
        f = self.ctx.assets.font(max(8, int(h * 0.018)), bold=True)
        nx, ny = w - w * 0.045, h * 0.2
        a = h * 0.03
        pygame.draw.polygon(base, line, [(nx, ny - a), (nx - a * 0.35, ny + a * 0.4),
                                         (nx, ny + a * 0.15), (nx + a * 0.35, ny + a * 0.4)])
        label = f.render("N 북", True, pal["dim_text"])
        base.blit(label, (nx - label.get_width() / 2, ny + a * 0.55))
        bar_km = next(k for k in (10, 5, 2, 1, 0.5, 0.2) if k * km <= w * 0.12)
        bx0, by0 = mx + mw - bar_km * km, my + mh + h * 0.012
        bx0 = min(bx0, w - w * 0.03 - bar_km * km)
        pygame.draw.line(base, line, (bx0, by0), (bx0 + bar_km * km, by0), max(1, h // 360))
        for x in (bx0, bx0 + bar_km * km):
            pygame.draw.line(base, line, (x, by0 - h * 0.006), (x, by0 + h * 0.006))
        sl = small.render(f"{bar_km:g} km", True, pal["dim_text"])
        base.blit(sl, (bx0 + bar_km * km / 2 - sl.get_width() / 2, by0 + h * 0.008))
        # title
        t_ko = self.ctx.assets.font(max(10, int(h * 0.042)), bold=True)
        t_en = self.ctx.assets.font(max(8, int(h * 0.022)))
        x0, y0 = w * 0.03, h * 0.03
        s1 = t_ko.render(self.settings.title_ko, True, pal["text"])
        base.blit(s1, (x0, y0))
        base.blit(t_en.render(self.settings.title_en, True, pal["dim_text"]),
                  (x0 + 2, y0 + s1.get_height()))
        self._layers["bright"] = base.convert() if pygame.display.get_surface() else base
        dim = self._layers["bright"].copy()
        k = int(255 * self.settings.dim_level)
        dim.fill((k, k, k), special_flags=pygame.BLEND_RGB_MULT)
        self._layers["dim"] = dim

    # --- drawing ---------------------------------------------------------------------------------
    def _text(self, text: str, size: int, colour, bold: bool = False) -> pygame.Surface:
        key = (text, size, tuple(colour), bold)
        surf = self._texts.get(key)
        if surf is None:
            if len(self._texts) > 256:
                self._texts.clear()
            surf = self.ctx.assets.font(size, bold).render(text, True, colour)
            self._texts[key] = surf
        return surf

    def _sprite(self, kind: str, radius: int, colour, level: int = 8) -> pygame.Surface:
        key = (kind, radius, tuple(colour), level)
        s = self._sprites.get(key)
        if s is None:
            c = tuple(v * level / 8 for v in colour)
            s = _radial_sprite(radius, c, 2.0 if kind == "core" else 1.4)
            self._sprites[key] = s
        return s

    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        if not self._layers:
            self._build_layers()
        self._draw_base(surface)
        self._draw_glow(surface)
        self._draw_edges(surface)
        self._draw_landmarks(surface)
        self._draw_visitors(surface)
        self._draw_bursts(surface)
        self._draw_cards(surface)
        self._draw_strip(surface)

    def _draw_base(self, surface: pygame.Surface) -> None:
        dim = self.settings.dim_level
        if dim >= 0.999:
            surface.blit(self._layers["bright"], (0, 0))
            return
        mix = (self.brightness - dim) / (1.0 - dim)
        if mix >= 0.995:
            surface.blit(self._layers["bright"], (0, 0))
        elif mix <= 0.005:
            surface.blit(self._layers["dim"], (0, 0))
        else:
            surface.blit(self._layers["dim"], (0, 0))
            bright = self._layers["bright"]
            bright.set_alpha(int(255 * mix))
            surface.blit(bright, (0, 0))
            bright.set_alpha(None)

    def _draw_glow(self, surface: pygame.Surface) -> None:
        """Add the upscaled glow. Its pixels are recomputed every other frame (30 Hz) unless the
        lit area grew; in between the last upscale is added again. The visitors' bright cores
        are drawn every frame (:meth:`_draw_visitors`), so light still follows at 60 Hz."""
        with self.ctx.stages.measure("glow"):
            self._draws += 1
            cached = self._glow_rect
            if (self._draws % 2 == 1 and cached is not None
                    and self.steps - self._glow_steps <= 1):
                pass  # reuse: at most one update step changed the light since the last upscale
            else:
                cached = self._upscale_glow()
            if cached is not None:
                surface.blit(self._glow_big, cached[:2], cached,
                             special_flags=pygame.BLEND_RGB_ADD)

    def _upscale_glow(self) -> tuple[int, int, int, int] | None:
        light = self.light
        combined = light.combined()
        lum = brightest(combined)
        box = light.bbox(lum)
        self._glow_steps = self.steps
        if box is None:
            self._glow_rect = None
            return None
        texture, _ = self.glow.latest()
        shade(combined, lum, texture, self.settings.glow_texture, self._glow_px, self._scratch)
        pygame.surfarray.blit_array(self._small, self._glow_px.transpose(1, 0, 2))
        w, h = self.ctx.size
        x0, y0, x1, y1 = box
        x0, y0 = max(0, x0 - 1), max(0, y0 - 1)
        x1, y1 = min(light.cols, x1 + 1), min(light.rows, y1 + 1)
        sx, sy = w / light.cols, h / light.rows
        px0, py0 = int(round(x0 * sx)), int(round(y0 * sy))
        px1, py1 = min(w, int(round(x1 * sx))), min(h, int(round(y1 * sy)))
        if px1 <= px0 or py1 <= py0:
            self._glow_rect = None
            return None
        src = self._small.subsurface((x0, y0, x1 - x0, y1 - y0))
        dst = self._glow_big.subsurface((px0, py0, px1 - px0, py1 - py0))
        pygame.transform.smoothscale(src, dst.get_size(), dst)
        self._glow_rect = (px0, py0, px1 - px0, py1 - py0)
        return self._glow_rect

    def _edge_lit(self, a: int, b: int) -> float:
        """0..1 how lit the connection a–b is now."""
        if self.celebrate_t is not None:
            return 1.0
        if a in self.found and b in self.found:
            return _ease((self.t - max(self.found[a].t, self.found[b].t)) / 0.8)
        return 0.0

    def _draw_edges(self, surface: pygame.Surface) -> None:
        h = self.ctx.size[1]
        lit = self.palette["lit"]
        width = max(1, h // 360)
        celebrating = (self.celebrate_t is not None and self.settings.celebration
                       and self.t - self.celebrate_t < self.settings.celebration_s)
        for k, (a, b) in enumerate(self.edges):
            level = self._edge_lit(a, b)
            if level <= 0:
                continue
            pa, pb = self.points[a], self.points[b]
            if celebrating:
                level = 0.75 + 0.25 * math.sin(self.t * 6 + k)
            colour = tuple(int(c * (0.35 + 0.5 * level)) for c in lit)
            pygame.draw.line(surface, colour, pa, pb, width + (1 if celebrating else 0))
            pygame.draw.aaline(surface, colour, pa, pb)
            if celebrating:
                age = self.t - self.celebrate_t
                u = (age * 0.45 + k * 0.13) % 1.0
                x, y = pa + (pb - pa) * u
                spark = self._sprite("core", max(3, int(h * 0.02)), lit)
                r = spark.get_width() // 2
                surface.blit(spark, (x - r, y - r), special_flags=pygame.BLEND_RGB_ADD)

    def _icon_surface(self, i: int, grow: float) -> pygame.Surface | None:
        """Landmark ``i``'s pictogram at the icon size: the NCA's frame or the drawing."""
        pictos = self.pictos
        if pictos.grows(i):
            frame = pictos.latest_rgba()
            if frame is None:
                return None
            atlas, fid = frame
            cached_id, icons = self._model_icons
            if cached_id != fid:
                icons = {}
                self._model_icons = (fid, icons)
            surf = icons.get(i)
            if surf is None:
                rgba = np.ascontiguousarray(pictos.slot(atlas, i))
                small = pygame.image.frombuffer(rgba.tobytes(), (SLOT, SLOT), "RGBA")
                size = int(self.icon_px * SLOT / 32)  # the 32-cell pictogram fills icon_px
                surf = pygame.transform.smoothscale(small, (size, size))
                icons[i] = surf
            return surf
        step = max(1, min(16, int(round(grow * 16))))  # 16 sizes, cached
        key = (i, step)
        surf = self._icon_cache.get(key)
        if surf is None:
            rgba = np.ascontiguousarray(pictos.fallback[self.landmarks[i].kind])
            src = pygame.image.frombuffer(rgba.tobytes(), rgba.shape[1::-1], "RGBA")
            size = max(2, int(self.icon_px * step / 16))
            surf = pygame.transform.smoothscale(src, (size, size))
            surf.set_alpha(int(255 * min(1.0, step / 12)))
            self._icon_cache[key] = surf
        return surf

    def _draw_landmarks(self, surface: pygame.Surface) -> None:
        h = self.ctx.size[1]
        pal = self.palette
        f_ko, f_en = self._badge_fonts
        dot_r = max(2, int(h * 0.006))
        for i, (x, y) in enumerate(self.points):
            found = self.found.get(i)
            if found is None:
                if not self.quiet:  # a slow shimmer invites light to come closer
                    level = 0.5 + 0.5 * math.sin(self.t * 2.2 + i * 1.7)
                    ring = tuple(int(c * (0.25 + 0.35 * level)) for c in pal["dot"])
                    pygame.draw.circle(surface, ring, (x, y), dot_r * 3, 1)
                continue
            age = self.t - found.t
            grow = _ease(age / GROW_S)
            pulse = 6 + int(2 * math.sin(self.t * 2.0 + i))
            halo = self._sprite("halo", max(4, int(h * 0.05)), found.colour, pulse)
            r = halo.get_width() // 2
            surface.blit(halo, (x - r, y - r), special_flags=pygame.BLEND_RGB_ADD)
            pygame.draw.circle(surface, pal["lit"], (x, y), dot_r + 1)
            bx, by, bw, bh = self.badges[i]
            icon_cx, icon_cy = bx + bw / 2, by + self.icon_px / 2
            # leader line from the dot to the badge
            tx, ty = bx + bw / 2, by + bh
            if abs(ty - y) > dot_r * 2 or abs(tx - x) > bw / 2:
                end = (min(max(x, bx), bx + bw), min(max(y, by), by + bh))
                pygame.draw.aaline(surface, tuple(int(c * 0.6 * grow) for c in found.colour),
                                   (x, y), end)
            icon = self._icon_surface(i, grow)
            if icon is not None:
                surface.blit(icon, (icon_cx - icon.get_width() / 2,
                                    icon_cy - icon.get_height() / 2))
            if grow > 0.3:
                ko, en = self._label_text(self.landmarks[i])
                s1 = self._text(ko, f_ko.get_height(), pal["text"], bold=True)
                s2 = self._text(en, f_en.get_height(), pal["dim_text"])
                ly = by + self.icon_px
                surface.blit(s1, (bx + bw / 2 - s1.get_width() / 2, ly))
                surface.blit(s2, (bx + bw / 2 - s2.get_width() / 2, ly + f_ko.get_linesize()))

    def _draw_visitors(self, surface: pygame.Surface) -> None:
        w, h = self.ctx.size
        r = max(3, int(h * 0.045))
        # the present position of each visitor, even before the next update step (latency)
        for vid, ev in self.visitors.items():
            colour = self.colours.get(vid, self.settings.visitor_colours[0])
            core = self._sprite("core", r, colour)
            surface.blit(core, (ev.pos[0] * w - r, ev.pos[1] * h - r),
                         special_flags=pygame.BLEND_RGB_ADD)
        if self.quiet:
            ghost = tuple(int(c * 0.5) for c in self.palette["dot"])
            for g in self.ghosts:
                x, y = self._ghost_pos(g)
                core = self._sprite("core", r // 2, ghost)
                surface.blit(core, (x * w - r // 2, y * h - r // 2),
                             special_flags=pygame.BLEND_RGB_ADD)

    def _draw_bursts(self, surface: pygame.Surface) -> None:
        w, h = self.ctx.size
        for x, y, t0, colour in self.bursts:
            age = self.t - t0
            if age < 0:
                continue
            u = age / BURST_S
            radius = int(h * (0.02 + 0.14 * _ease(u)))
            c = tuple(int(v * (1 - u)) for v in colour)
            pygame.draw.circle(surface, c, (x * w, y * h), radius, max(1, int(h * 0.004)))

    def _draw_cards(self, surface: pygame.Surface) -> None:
        h = self.ctx.size[1]
        for c in self.cards:
            surf = self._card_surfs[c.index]
            age = self.t - c.opened_t
            left = self.settings.card_s - age
            fade = min(1.0, age / 0.25, max(0.0, left) / 0.6)
            x, y, cw, ch = c.rect
            # a thin thread ties the card to its landmark (cards may sit far from it)
            lx, ly = self.points[c.index]
            ex, ey = min(max(lx, x), x + cw), min(max(ly, y), y + ch)
            if abs(ex - lx) + abs(ey - ly) > 2:
                pygame.draw.aaline(surface, tuple(int(v * 0.7 * fade) for v in c.colour),
                                   (lx, ly), (ex, ey))
            surf.set_alpha(int(255 * fade))
            surface.blit(surf, (x, y))
            bar = max(2, h // 270)
            pygame.draw.rect(surface, tuple(int(v * fade) for v in c.colour),
                             (x, y + ch * 0.12, bar + 1, ch * 0.76))
        for surf in self._card_surfs:
            surf.set_alpha(None)

    def _draw_strip(self, surface: pygame.Surface) -> None:
        w, h = self.ctx.size
        s, pal = self.settings, self.palette
        size = max(9, int(h * 0.03))
        cy = h * 0.915
        if self.quiet:
            alpha = int(255 * (0.6 + 0.4 * math.sin(self.t * 1.6)))  # a slow breath
            for text, sz, bold, y in ((s.hint_ko, size, True, cy - size * 0.6),
                                      (s.hint_en, int(size * 0.8), False, cy + size * 0.55)):
                label = self._text(text, sz, pal["text"], bold)
                label.set_alpha(alpha)
                self._centre(surface, label, y)
                label.set_alpha(None)
            return
        total, found = len(self.landmarks), len(self.found)
        if self.celebrate_t is not None and s.celebration:
            self._centre(surface, self._text(s.celebrate_ko, size, pal["lit"], True),
                         cy - size * 0.6)
            self._centre(surface, self._text(s.celebrate_en, int(size * 0.8), pal["lit"]),
                         cy + size * 0.55)
            return
        # fill_template, not str.format: settings built in code skip the config's template check
        text = (f"{fill_template(s.progress_ko, found=found, total=total)}  ·  "
                f"{fill_template(s.progress_en, found=found, total=total)}")
        label = self._text(text, size, pal["text"])
        self._centre(surface, label, cy)
        # one small light per landmark under the progress line
        r = max(2, int(h * 0.006))
        gap = r * 4
        x0 = w / 2 - (total - 1) * gap / 2
        y = cy + label.get_height() * 0.75
        for i in range(total):
            f = self.found.get(i)
            colour = f.colour if f else tuple(int(c * 0.4) for c in pal["dot"])
            pygame.draw.circle(surface, colour, (x0 + i * gap, y), r)

    @staticmethod
    def _centre(surface: pygame.Surface, text: pygame.Surface, cy: float) -> None:
        surface.blit(text, (surface.get_width() / 2 - text.get_width() / 2,
                            cy - text.get_height() / 2))
