"""City: the landmark cards: closing by themselves, moving off a visitor, bilingual text."""

from __future__ import annotations

import numpy as np
import pygame
from city_pilot import GIST, SIZE, STATION, city, landmark_pos

from runtime.events import VisitorEvent


def test_cards_close_by_themselves(pygame_headless):
    with city(card_s=3.0) as pilot:
        pilot.advance_to(0.1)
        pilot.tap(landmark_pos(GIST))
        pilot.advance_to(2.0)
        assert [c.index for c in pilot.exhibit.deck.cards] == [GIST]
        pilot.advance_to(3.5)
        assert pilot.exhibit.deck.cards == []
        assert GIST in pilot.exhibit.discovery.found  # the discovery stays for the visit


def test_a_card_moves_off_another_visitor(pygame_headless):
    with city(card_yield_s=0.5) as pilot:
        pilot.advance_to(0.1)
        pilot.tap(landmark_pos(STATION))
        pilot.advance_to(0.5)
        ex = pilot.exhibit
        card = ex.deck.cards[0]
        x, y, w, h = card.target
        spot = ((x + w / 2) / SIZE[0], (y + h / 2) / SIZE[1])
        # someone else walks in and stands right where the card is
        ex.on_visitor(VisitorEvent("enter", "cam:9", "camera", spot, t=0.5, size=(0.05, 0.2)))
        pilot.advance_to(1.5)
        from exhibits.city.cards import circle_overlap

        if ex.deck.cards:  # moved away, or closed when nowhere was free
            (cx, cy, r), = ex.deck.visitor_areas(card.owner)
            assert circle_overlap(ex.deck.cards[0].target, cx, cy, r) == 0


def test_cards_are_bilingual_with_hangul_glyphs(hangul_font, pygame_headless):
    from exhibits.city.cards import card_width, render_card, wrap
    from exhibits.city.landmarks import read_landmarks
    from exhibits.city.settings import PALETTES
    from runtime.assets import ASSETS_DIR

    assets = hangul_font
    font = assets.font(24)

    def glyph(ch):
        return pygame.surfarray.array2d(font.render(ch, True, (255, 255, 255)))

    # distinct Hangul syllables render as distinct glyphs (a font without Hangul draws boxes)
    assert not np.array_equal(glyph("광"), glyph("주"))
    assert glyph("광").any()
    for screen in ((1920, 1080), (1280, 720)):
        h = screen[1]
        f_desc = assets.font(max(8, int(h * 0.021)))
        inner = card_width(screen) - 2 * max(6, int(h * 0.018))
        for lm in read_landmarks(ASSETS_DIR / "landmarks" / "gwangju.csv"):
            ko, en = wrap(f_desc, lm.desc_ko, inner), wrap(f_desc, lm.desc_en, inner)
            assert 1 <= len(ko) <= 2 and 1 <= len(en) <= 2  # two short lines per language
            assert " ".join(ko) == lm.desc_ko and " ".join(en) == lm.desc_en  # nothing cut
            card = render_card(lm, assets, screen, PALETTES["night"], (255, 214, 120),
                               "출처 · Source")
            assert card.get_width() == card_width(screen)
            assert card.get_height() > 7 * f_desc.get_height()  # names, 2+2 lines, source
