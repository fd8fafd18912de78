"""Palettes of the Numbers exhibit: digit colours, caption colours and a matching CPPN style.

Pure data (no pygame, no torch) so the config checker can list the names. Colours are 0..255 RGB.
Each palette pairs with the CPPN style of the same mood (``[exhibits.numbers] cppn_style`` may
override it). Digit colours run along ``digits`` by digit value (0 first, 9 last), so equal digits
share a colour and a row of π reads as a soft spectrum.
"""

from __future__ import annotations

from dataclasses import dataclass

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """One look."""

    digits: tuple[Colour, ...]  # gradient stops for digit values 0..9
    highlight: Colour  # the newest digit in the caption, seed flashes
    text: Colour  # caption text
    dim: Colour  # secondary caption text
    band: Colour  # caption band behind the text (drawn translucent)
    cppn_style: str  # background style that goes with it (models.catalog.list_styles())


PALETTES: dict[str, Palette] = {
    "aurora": Palette(((110, 255, 190), (110, 210, 255), (190, 150, 255), (255, 150, 215)),
                      (255, 236, 150),
                      (230, 240, 250), (150, 170, 190), (4, 10, 22), "aurora"),
    "ink": Palette(((200, 220, 255), (150, 190, 255), (255, 255, 255)), (255, 214, 120),
                   (235, 240, 252), (140, 155, 190), (3, 6, 20), "ink"),
    "warm": Palette(((255, 225, 140), (255, 165, 90), (255, 110, 120), (255, 150, 200)),
                    (255, 250, 220),
                    (255, 238, 220), (200, 160, 140), (18, 6, 4), "ember"),
    "tide": Palette(((160, 255, 240), (120, 210, 255), (235, 255, 255)), (255, 220, 140),
                    (230, 250, 252), (140, 185, 195), (2, 14, 24), "tide"),
    "gold": Palette(((255, 230, 170), (240, 200, 120), (255, 250, 235)), (255, 255, 255),
                    (245, 236, 215), (175, 160, 130), (10, 10, 12), "moire"),
}


def digit_colour(palette: Palette, value: int) -> Colour:
    """The colour of digit ``value`` (0..9): linear along the palette's stops."""
    stops = palette.digits
    t = max(0, min(9, int(value))) / 9 * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    f = t - i
    a, b = stops[i], stops[i + 1]
    return tuple(int(round(a[k] + (b[k] - a[k]) * f)) for k in range(3))  # type: ignore[return-value]
