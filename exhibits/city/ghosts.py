"""City's ghost walkers: attract mode's lights travelling along the constellation.

While the map is quiet (nobody there), ``ghost_walkers`` faint lights walk the constellation's
connections at 0.07–0.11 screen heights per second, each turning at a landmark onto a
neighbouring connection (never straight back unless it must), and leave dim light behind them so
the map shows where a visitor's light would go. Their random choices come from the generator
the exhibit hands in (its named stream ``city.ghosts``), so attract mode repeats for a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from exhibits.city.light import LightField


@dataclass
class Ghost:
    """An attract-mode walker moving from landmark ``a`` to ``b``."""

    a: int
    b: int
    progress: float  # 0..1 along the edge
    speed: float  # screen heights per second


class Ghosts:
    """The ghost walkers; see the module docstring.

    Args:
        points / norm: ``(N, 2)`` landmark positions in pixels / normalised.
        edges: the constellation's connections; ``neighbours`` each landmark's connected ones.
        colour: the landmarks' dot colour (ghosts are a dimmer shade of it).
        size: the screen in pixels.
        rng: where the walkers' starting edges, speeds and turns are drawn from.
    """

    def __init__(self, count: int, points: Any, norm: Any, edges: list[tuple[int, int]],
                 neighbours: dict[int, list[int]], colour: tuple[int, int, int],
                 size: tuple[int, int], rng: np.random.Generator) -> None:
        self.points, self.norm, self.edges, self.neighbours = points, norm, edges, neighbours
        self.colour, self.size, self.rng = colour, size, rng
        self.walkers: list[Ghost] = []
        if not edges:
            return
        for k in range(count):
            a, b = edges[int(rng.integers(len(edges)))]
            if k % 2:
                a, b = b, a
            self.walkers.append(Ghost(a, b, float(rng.uniform(0, 0.5)),
                                      float(rng.uniform(0.07, 0.11))))

    def pos(self, g: Ghost) -> tuple[float, float]:
        """Where ``g`` is, normalised."""
        (ax, ay), (bx, by) = self.norm[g.a], self.norm[g.b]
        u = g.progress
        return float(ax + (bx - ax) * u), float(ay + (by - ay) * u)

    def update(self, dt: float, light: LightField) -> None:
        """Walk on by ``dt`` and leave light (call only while the map is quiet)."""
        ghost = tuple(v / 255.0 * 0.55 for v in self.colour)
        for g in self.walkers:
            (ax, ay), (bx, by) = self.points[g.a], self.points[g.b]
            length_h = max(1e-3, math.hypot(bx - ax, by - ay) / self.size[1])
            g.progress += g.speed * dt / length_h
            if g.progress >= 1.0:
                options = [n for n in self.neighbours[g.b] if n != g.a] or [g.a]
                g.a, g.b = g.b, options[int(self.rng.integers(len(options)))]
                g.progress = 0.0
            x, y = self.pos(g)
            light.deposit(x, y, ghost, strength=0.8, radius_scale=0.55)

    def draw(self, surface: pygame.Surface, sprites: Any, r: int) -> None:
        """A small core of light (radius ``r``) at each ghost."""
        w, h = self.size
        ghost = tuple(int(c * 0.5) for c in self.colour)
        for g in self.walkers:
            x, y = self.pos(g)
            core = sprites.get("core", r, ghost)
            surface.blit(core, (x * w - r, y * h - r), special_flags=pygame.BLEND_RGB_ADD)
