"""City's base map: the night sky, graticule, Mudeungsan's contours, the dim constellation,
north arrow, scale bar and title, drawn once per showing.

Two full-screen layers are made at ``enter``: ``bright`` (the map as it is while visitors are
there) and ``dim`` (the same, multiplied by ``dim_level``, for attract mode). :meth:`BaseMap.draw`
blits one of them, or both mixed by the exhibit's eased ``brightness``. The sky's haze and the
contour rings' wobble draw from their own named random streams (``city.basemap.haze`` and
``city.basemap.contours``, :meth:`runtime.exhibit.ExhibitContext.rng_for`), so the map is the same
for a seed. The exhibit keeps the layers across showings (:mod:`exhibits.city.prepared`);
:meth:`BaseMap.build` makes a new dict each time and never writes into one it handed out.

The graticule is drawn every 0.05° of real latitude and longitude and labelled at the map's
edge; contour rings (0.6 to 3.6 km) surround every landmark of kind ``mountain``, to scale.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame

from exhibits.city.landmarks import Landmark
from exhibits.city.projection import MapProjection
from exhibits.city.settings import CitySettings


class BaseMap:
    """The map's static layers; see the module docstring."""

    def __init__(self, ctx: Any, settings: CitySettings, palette: dict, proj: MapProjection,
                 landmarks: list[Landmark], points: np.ndarray,
                 edges: list[tuple[int, int]]) -> None:
        self.ctx, self.settings, self.palette, self.proj = ctx, settings, palette, proj
        self.landmarks, self.points, self.edges = landmarks, points, edges
        self.layers: dict[str, pygame.Surface] = {}

    def draw(self, surface: pygame.Surface, brightness: float) -> None:
        """The map at ``brightness`` (``dim_level`` .. 1)."""
        if not self.layers:
            self.build()
        dim = self.settings.dim_level
        if dim >= 0.999:
            surface.blit(self.layers["bright"], (0, 0))
            return
        mix = (brightness - dim) / (1.0 - dim)
        if mix >= 0.995:
            surface.blit(self.layers["bright"], (0, 0))
        elif mix <= 0.005:
            surface.blit(self.layers["dim"], (0, 0))
        else:
            surface.blit(self.layers["dim"], (0, 0))
            bright = self.layers["bright"]
            bright.set_alpha(int(255 * mix))
            surface.blit(bright, (0, 0))
            bright.set_alpha(None)

    def forget(self) -> None:
        """Drop this instance's hold on the layers (the exhibit leaves)."""
        self.layers = {}  # rebound, not cleared: the store may keep the same dict for later

    def _sky(self) -> pygame.Surface:
        """The sky gradient with a vignette and a seeded haze, at screen size."""
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
        rng = self.ctx.rng_for("city.basemap.haze")
        coarse = pygame.Surface((17, 10))
        pygame.surfarray.blit_array(coarse, rng.integers(0, 256, (17, 10, 3), dtype=np.uint8))
        haze = pygame.surfarray.array3d(pygame.transform.smoothscale(coarse, (sw, sh)))
        img += (haze.transpose(1, 0, 2)[..., :1].astype(np.float32) / 255.0 - 0.5) * 8.0
        small = pygame.Surface((sw, sh))
        pygame.surfarray.blit_array(small, np.clip(img, 0, 255).astype(np.uint8).transpose(1, 0, 2))
        return pygame.transform.smoothscale(small, (w, h))

    def build(self) -> dict[str, pygame.Surface]:
        """Make the ``bright`` and ``dim`` layers (~35-100 ms at 1080p), keep them in
        :attr:`layers` and return them."""
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
        rng = self.ctx.rng_for("city.basemap.contours")
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
        bright = base.convert() if pygame.display.get_surface() else base
        dim = bright.copy()
        k = int(255 * self.settings.dim_level)
        dim.fill((k, k, k), special_flags=pygame.BLEND_RGB_MULT)
        self.layers = {"bright": bright, "dim": dim}
        return self.layers
