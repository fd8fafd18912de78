"""What City prepares once and keeps in ``ctx.store`` from one showing to the next.

The kiosk builds a new :class:`~exhibits.city.exhibit.CityExhibit` at every showing (and at every
hot reload). The work below depends only on its inputs, costs ~150 ms in all at 1080p (badge
layout ~100 ms, the base map's two layers 35-100 ms, seven cards, the glow's fallback texture
~10 ms) and would stall the frame where the rotation reaches City, so each piece is kept in the
exhibit's store (:class:`runtime.store.ExhibitStore`, one per exhibit name, owned by the kiosk)
under a key that holds every input; nothing draws into what is kept. The kiosk's start-up
pre-warm enters City once with the same store, so the first real showing finds all of it made.

The store also remembers the last landmark file that validated, per path, so that a curator's
broken edit picked up by a hot reload keeps the map on the last good file instead of failing.

Failure modes: :func:`landmarks` raises :class:`~exhibits.city.landmarks.LandmarkFileError` only
when the configured file is refused and neither a last good copy nor the shipped
``landmarks/gwangju.csv`` loads; every other function raises only what its ``make`` raises, and
then keeps nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pygame

from exhibits.city.badges import Rect, relax_badges
from exhibits.city.basemap import BaseMap
from exhibits.city.cards import render_card
from exhibits.city.glow import fallback_texture
from exhibits.city.landmarks import Landmark, LandmarkFileError, read_landmarks
from exhibits.city.settings import CitySettings

DEFAULT_FILE = "landmarks/gwangju.csv"  # shipped; shown when a configured file is refused


def landmarks(ctx: Any, settings: CitySettings) -> list[Landmark]:
    """The configured landmark file, else the last good copy of it, else the shipped file.

    ``kiosk.py check`` refuses a bad file before start, but hot reload does not run it, so a
    refused file is logged (every problem, row and column named) and the map goes on.
    """
    path = settings.landmarks_path(ctx.assets.root)
    key = ("landmarks.last_good", str(path))
    try:
        return ctx.store.put(key, read_landmarks(path, settings.landmarks_file))
    except LandmarkFileError as err:
        ctx.log.error("landmark file refused: %s", err)
        kept = ctx.store.get(key)
        if kept is not None:
            ctx.log.error("keeping the last good landmarks of %s", settings.landmarks_file)
            return kept
        if settings.landmarks_file != DEFAULT_FILE:
            ctx.log.error("showing the shipped %s instead", DEFAULT_FILE)
            return read_landmarks(ctx.assets.path(DEFAULT_FILE), DEFAULT_FILE)
        raise


def badge_layout(ctx: Any, sizes: list[tuple[int, int]], points: np.ndarray) -> tuple[Rect, ...]:
    """Each landmark's badge rect (:func:`~exhibits.city.badges.relax_badges`, ~100 ms)."""
    key = ("badges", tuple(ctx.size), tuple(sizes), points.tobytes())
    return ctx.store.get_or_make(key, lambda: relax_badges(points, sizes, ctx.size))


def card_images(ctx: Any, settings: CitySettings, palette: dict,
                marks: list[Landmark]) -> list[pygame.Surface]:
    """Each landmark's rendered card, in landmark order (the card pass fades them by alpha and
    resets it after drawing, so sharing them between instances is safe)."""
    key = ("cards", tuple(ctx.size), tuple(marks), ctx.assets, tuple(sorted(palette.items())),
           settings.source_label)
    return ctx.store.get_or_make(key, lambda: [
        render_card(lm, ctx.assets, ctx.size, palette, palette["card_edge"],
                    settings.source_label) for lm in marks])


def basemap_layers(ctx: Any, settings: CitySettings, palette: dict,
                   basemap: BaseMap) -> dict[str, pygame.Surface]:
    """The base map's ``bright`` and ``dim`` layers (:meth:`BaseMap.build`).

    Keyed also on whether a display exists: with one the layers are converted to its pixel
    format, and a layer made before the display opened would blit slowly after.
    """
    key = ("basemap", tuple(ctx.size), ctx.seed, ctx.assets, tuple(sorted(palette.items())),
           tuple(basemap.landmarks), basemap.points.tobytes(), tuple(basemap.edges),
           settings.dim_level, settings.title_ko, settings.title_en,
           pygame.display.get_surface() is not None)
    return ctx.store.get_or_make(key, basemap.build)


def glow_fallback(ctx: Any, cols: int, rows: int) -> np.ndarray:
    """The glow's numpy texture ``(rows, cols, 3)`` uint8, read-only (stream ``city.glow.plain``).
    """
    seed = ctx.seed_for("city.glow.plain")
    return ctx.store.get_or_make(("glow.fallback", cols, rows, seed),
                                 lambda: fallback_texture(cols, rows, seed))
