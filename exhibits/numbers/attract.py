"""Numbers writing by itself: two digits on appearing, the sequence while nobody is there.

Whenever the exhibit appears it writes two digits side by side mid-screen (so the screen is never
empty). After ``idle_s`` with nobody present and no visitor event it enters attract mode: every
``attract_seed_s`` it writes the next digit of the sequence, digit *n* in slot *n* of one or two
lines in reading order with a gentle wave, and the caption invites visitors. Any visitor ends
attract mode at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from exhibits.numbers.growth import TARGET_CELLS
from exhibits.numbers.layout import Layout
from exhibits.numbers.settings import NumbersSettings

INTRO_DIGITS = 2  # digits the exhibit writes itself on appearing
INTRO_START_S = 0.3
INTRO_EVERY_S = 0.8
ATTRACT_START_S = 0.3  # from the moment attract mode begins to its first digit
PITCH_CELLS = 22  # attract mode's slot width


class AttractMode:
    """When the exhibit plants digits itself; see the module docstring."""

    def __init__(self, settings: NumbersSettings, layout: Layout) -> None:
        self.settings, self.layout = settings, layout
        self.active = False
        self.last_activity_t = -1e9
        self.next_t = 0.0
        self.intro_left = INTRO_DIGITS
        self.next_intro_t = INTRO_START_S

    def activity(self, t: float) -> None:
        """A visitor event at ``t``."""
        self.last_activity_t = t

    def update(self, t: float, present: bool, plant: Callable[[tuple[int, int]], object],
               next_index: Callable[[], int]) -> None:
        """Plant the intro's and attract mode's digits that are due (``plant(cell)``);
        ``next_index()`` is the sequence position of the next digit."""
        s = self.settings
        idle = not present and t - self.last_activity_t >= s.idle_s
        if self.intro_left > 0 and t >= self.next_intro_t:
            self.intro_left -= 1
            self.next_intro_t = t + INTRO_EVERY_S
            gw, rows = self.layout.grid[0], self.layout.rows_usable
            side = -1 if self.intro_left else 1  # two digits side by side, mid-screen
            plant((gw // 2 + side * 11, rows // 2))
        if idle and not self.active:
            self.active = True
            self.next_t = t + ATTRACT_START_S
        elif not idle:
            self.active = False
        if self.active and t >= self.next_t:
            self.next_t = t + s.attract_seed_s
            plant(self.cell(next_index()))

    def cell(self, k: int) -> tuple[int, int]:
        """Where the exhibit writes digit index ``k`` itself: slot ``k`` of two lines in
        reading order, with a gentle wave."""
        gw = self.layout.grid[0]
        rows = self.layout.rows_usable
        pitch = PITCH_CELLS
        cols = max(1, (gw - 12) // pitch)
        lines = 2 if rows >= 2 * TARGET_CELLS + 4 else 1
        slot = k % (cols * lines)
        line, col = divmod(slot, cols)
        margin = (gw - (cols - 1) * pitch) // 2
        cx = margin + col * pitch
        ys = [rows * 0.5] if lines == 1 else [rows * 0.3, rows * 0.72]
        cy = int(ys[line] + 3 * math.sin(col * 0.9 + line))
        return cx, cy
