"""Landmark cards: their bilingual layout, and where on screen they may open.

A card (width :func:`card_width` ≈ 34 % of the screen width) shows, Korean first::

    국립아시아문화전당                      (name_ko, bold)
    Asia Culture Center (ACC)              (name_en)
    옛 전남도청 자리, 5·18의 중심에 …       (desc_ko, wrapped to at most two lines)
    Opened in 2015 on the site of …        (desc_en, at most two lines)
    출처 · Source  Korea.net …             (source, small, one line, cut with …)

Placement (:func:`place_card`): candidate spots around the landmark (right, left, above, below,
the diagonals, then the free corners of the map) are scored by how much they would cover other
visitors' areas (circles), other open cards, and the screen edge; the best one wins.

:class:`OpenCards` holds the cards open now (at most :data:`MAX_OPEN`; the oldest gives way):
each eases toward its spot, re-runs the placement when it has covered someone else for
``card_yield_s`` (and closes when no spot is free), closes after ``card_s`` or at a touch, and
is drawn fading in and out with a thread to its landmark.

Drawing helpers import pygame; the geometry (:func:`place_card`, :func:`overlap_area`) does not
need it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Rect = tuple[float, float, float, float]  # x, y, w, h in pixels
MAX_OPEN = 3  # cards open at once
EASE_S = 0.18  # time constant of a card moving to its spot


def card_width(screen: tuple[int, int]) -> int:
    w, h = screen
    return int(min(w * 0.4, h * 0.72))


def wrap(font, text: str, width: int, max_lines: int = 2) -> list[str]:
    """Words of ``text`` in at most ``max_lines`` lines no wider than ``width`` px (… if cut)."""
    words = text.split()
    lines: list[str] = []
    cur = ""
    for i, word in enumerate(words):
        trial = f"{cur} {word}".strip()
        if font.size(trial)[0] <= width or not cur:
            cur = trial
            continue
        lines.append(cur)
        cur = word
        if len(lines) == max_lines:
            cur = " ".join([lines.pop(), *words[i:]])
            break
    if cur:
        lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
    last = lines[-1] if lines else ""
    if font.size(last)[0] > width:  # the final line still overflows: cut it with an ellipsis
        while last and font.size(last + "…")[0] > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def render_card(landmark, assets, screen: tuple[int, int], palette: dict, accent,
                source_label: str):
    """The card of ``landmark`` as a pygame Surface (per-pixel alpha)."""
    import pygame

    h = screen[1]
    width = card_width(screen)
    pad = max(6, int(h * 0.018))
    inner = width - 2 * pad
    f_name = assets.font(max(10, int(h * 0.034)), bold=True)
    f_en = assets.font(max(8, int(h * 0.024)))
    f_desc = assets.font(max(8, int(h * 0.021)))
    f_src = assets.font(max(7, int(h * 0.015)))
    text, dim = palette["text"], palette["dim_text"]
    rows: list[tuple[pygame.Surface, int]] = []  # (line, gap before it)
    rows.append((f_name.render(landmark.name_ko, True, accent), 0))
    rows.append((f_en.render(wrap(f_en, landmark.name_en, inner, 1)[0], True, text), 0))
    gap = max(2, int(h * 0.008))
    for i, line in enumerate(wrap(f_desc, landmark.desc_ko, inner)):
        rows.append((f_desc.render(line, True, text), gap if i == 0 else 0))
    for i, line in enumerate(wrap(f_desc, landmark.desc_en, inner)):
        rows.append((f_desc.render(line, True, dim), gap // 2 if i == 0 else 0))
    src = wrap(f_src, f"{source_label}  {landmark.source}", inner, 1)[0]
    rows.append((f_src.render(src, True, dim), gap))
    height = 2 * pad + sum(s.get_height() + g for s, g in rows)
    card = pygame.Surface((width, height), pygame.SRCALPHA)
    radius = max(4, pad)
    bg = (*palette["card"], 232)
    pygame.draw.rect(card, bg, card.get_rect(), border_radius=radius)
    pygame.draw.rect(card, (*accent, 255), card.get_rect(), width=max(1, h // 540),
                     border_radius=radius)
    # a thin accent bar at the left edge, in the discoverer's colour
    pygame.draw.rect(card, (*accent, 255), (0, radius, max(2, h // 270), height - 2 * radius))
    y = pad
    for surf, g in rows:
        y += g
        card.blit(surf, (pad, y))
        y += surf.get_height()
    return card


def overlap_area(a: Rect, b: Rect) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    dx = min(ax + aw, bx + bw) - max(ax, bx)
    dy = min(ay + ah, by + bh) - max(ay, by)
    return dx * dy if dx > 0 and dy > 0 else 0.0


def circle_overlap(rect: Rect, cx: float, cy: float, r: float) -> float:
    """Approximate area of ``rect`` inside the circle (as the circle's inscribed-ish square)."""
    s = r * 1.8  # a square of side 1.8 r has about the circle's area
    return overlap_area(rect, (cx - s / 2, cy - s / 2, s, s))


def clamp_rect(rect: Rect, area: tuple[float, float, float, float]) -> Rect:
    """``rect`` moved inside ``area`` ``(x0, y0, x1, y1)`` (px)."""
    x, y, w, h = rect
    x0, y0, x1, y1 = area
    x = min(max(x0, x), x1 - w)
    y = min(max(y0, y), y1 - h)
    return (x, y, w, h)


def candidates(anchor: tuple[float, float], size: tuple[int, int], gap: float,
               area: tuple[float, float, float, float]) -> list[Rect]:
    """Spots for a card of ``size`` around ``anchor`` (nearest first), then the area's corners,
    all inside ``area``."""
    ax, ay = anchor
    w, h = size
    x0, y0, x1, y1 = area
    spots = [
        (ax + gap, ay - h / 2), (ax - gap - w, ay - h / 2),  # right, left
        (ax - w / 2, ay - gap - h), (ax - w / 2, ay + gap),  # above, below
        (ax + gap, ay - gap - h), (ax - gap - w, ay - gap - h),  # diagonals
        (ax + gap, ay + gap), (ax - gap - w, ay + gap),
        (x0, y0), (x1 - w, y0), (x0, y1 - h), (x1 - w, y1 - h),  # corners
    ]
    return [clamp_rect((x, y, w, h), area) for x, y in spots]


def place_card(anchor: tuple[float, float], size: tuple[int, int],
               area: tuple[float, float, float, float], *,
               avoid: list[tuple[float, float, float]], cards: list[Rect],
               keep_clear: list[Rect] = (), gap: float = 40.0) -> tuple[Rect, float]:
    """The best spot for a card, and how much of other visitors it covers (px², 0 = nobody).

    Args:
        anchor: the landmark on screen (px).
        size: card size (px).
        area: where cards may go, ``(x0, y0, x1, y1)`` px (below the title, above the strip).
        avoid: other visitors' areas as circles ``(x, y, r)`` px (the card's owner excluded).
        cards: other open cards.
        keep_clear: rects to avoid weakly (e.g. the landmark's own badge).
    """
    best, best_cost = None, math.inf
    for order, rect in enumerate(candidates(anchor, size, gap, area)):
        people = sum(circle_overlap(rect, x, y, r) for x, y, r in avoid)
        others = sum(overlap_area(rect, c) for c in cards)
        clear = sum(overlap_area(rect, c) for c in keep_clear)
        dist = math.hypot(rect[0] + rect[2] / 2 - anchor[0], rect[1] + rect[3] / 2 - anchor[1])
        # people dominate; then other cards; then keeping near the landmark
        cost = people * 10.0 + others * 3.0 + clear + dist * 2.0 + order
        if cost < best_cost:
            best, best_cost = rect, cost
    assert best is not None
    people = sum(circle_overlap(best, x, y, r) for x, y, r in avoid)
    return best, people


@dataclass
class Card:
    """An open card; ``rect`` eases toward ``target`` (pixels)."""

    index: int
    owner: str
    colour: tuple[int, int, int]
    opened_t: float
    rect: Rect
    target: Rect
    covering_s: float = 0.0


class OpenCards:
    """The cards open now; see the module docstring.

    Args:
        surfs: each landmark's rendered card (:func:`render_card`), in landmark order.
        points: ``(N, 2)`` landmark positions in pixels.
        badges: each landmark's badge rect (kept clear of its own card).
        visitors: the exhibit's table of present visitors (``{id: latest event}``), read live.
    """

    def __init__(self, settings: Any, size: tuple[int, int], surfs: list, points: Any,
                 badges: tuple, icon_px: int, visitors: dict) -> None:
        self.settings, self.size, self.surfs = settings, size, surfs
        self.points, self.badges, self.icon_px = points, badges, icon_px
        self.visitors = visitors
        self.cards: list[Card] = []

    def visitor_areas(self, exclude: str | None) -> list[tuple[float, float, float]]:
        """Circles ``(x, y, r)`` px around every present visitor but ``exclude``."""
        w, h = self.size
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

    def place(self, card_index: int, owner: str, skip: Card | None = None) -> tuple[Rect, float]:
        w, h = self.size
        surf = self.surfs[card_index]
        others = [c.target for c in self.cards if c is not skip]
        m = max(4.0, h * 0.01)
        area = (m, h * 0.11, w - m, h * 0.85)  # below the title, above the progress strip
        return place_card(tuple(self.points[card_index]), surf.get_size(), area,
                          avoid=self.visitor_areas(owner), cards=others,
                          keep_clear=[self.badges[card_index]], gap=self.icon_px * 0.6)

    def open(self, i: int, owner: str, colour: tuple[int, int, int], t: float) -> None:
        """Open landmark ``i``'s card (or renew it when it is open)."""
        for c in self.cards:
            if c.index == i:
                c.opened_t, c.owner, c.colour = t, owner, colour
                return
        while len(self.cards) >= MAX_OPEN:  # the oldest gives way
            self.cards.pop(0)
        rect, _ = self.place(i, owner)
        x, y = self.points[i]
        start = (x - rect[2] * 0.05, y - rect[3] * 0.05, rect[2], rect[3])
        self.cards.append(Card(i, owner, colour, t, start, rect))

    def hit(self, px: float, py: float) -> Card | None:
        """The topmost card under ``(px, py)``."""
        for c in reversed(self.cards):
            x, y, w, h = c.rect
            if x <= px <= x + w and y <= py <= y + h:
                return c
        return None

    def update(self, dt: float, t: float) -> None:
        """Close expired cards; move cards off other visitors; ease every card to its spot."""
        s = self.settings
        keep = []
        for c in self.cards:
            if t - c.opened_t >= s.card_s:
                continue
            avoid = self.visitor_areas(c.owner)
            covering = sum(circle_overlap(c.target, x, y, r) for x, y, r in avoid) > 0
            c.covering_s = c.covering_s + dt if covering else 0.0
            if c.covering_s >= s.card_yield_s:
                rect, people = self.place(c.index, c.owner, skip=c)
                if people > 0:
                    continue  # nowhere free: the card closes rather than hide someone
                c.target, c.covering_s = rect, 0.0
            k = 1.0 - math.exp(-dt / EASE_S)
            c.rect = tuple(a + (b - a) * k for a, b in zip(c.rect, c.target, strict=True))
            keep.append(c)
        self.cards = keep

    def draw(self, surface: Any, t: float) -> None:
        import pygame

        h = self.size[1]
        for c in self.cards:
            surf = self.surfs[c.index]
            age = t - c.opened_t
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
        for surf in self.surfs:
            surf.set_alpha(None)
