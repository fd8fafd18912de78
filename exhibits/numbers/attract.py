"""Numbers writing by itself: two digits on appearing, the sequence while nobody is there.

Whenever the exhibit appears it writes two digits side by side mid-screen (so the screen is never
empty): the first :data:`INTRO_START_S` after it appears, the second :data:`INTRO_EVERY_S` later.

Attract mode has one source of truth, the runtime's visit tracker: it is on while
``ctx.visit.attract`` is True (no visit: nobody present or touching for ``[visits] idle_s``,
40 s by default) and off as soon as a visit starts. While it is on, the exhibit writes the next
digit of the sequence every ``attract_seed_s`` seconds, digit *n* in slot *n* of one or two lines
in reading order with a gentle wave, and the caption invites visitors. Its first digit comes
:data:`ATTRACT_START_S` after attract mode begins, but never sooner than ``attract_seed_s``
after an intro digit (an exhibit that appears with nobody there writes its intro first, then
carries on at the attract pace).

The exhibit decides *whether* it is attract time (see ``NumbersExhibit._nobody_there``);
this room decides *what* to plant and *when*, in seconds on the exhibit's clock.
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
    """When the exhibit plants digits itself; see the module docstring.

    Attributes:
        active: attract mode is on (read by the caption and the drawing).
        next_t: exhibit time (s) of the next attract digit while ``active``.
        intro_left: intro digits still to write.
    """

    def __init__(self, settings: NumbersSettings, layout: Layout) -> None:
        self.settings, self.layout = settings, layout
        self.active = False
        self.next_t = 0.0
        self.intro_left = INTRO_DIGITS
        self.next_intro_t = INTRO_START_S

    def update(self, t: float, attract: bool, plant: Callable[[tuple[int, int]], object],
               next_index: Callable[[], int]) -> None:
        """Plant the intro's and attract mode's digits due at ``t`` (seconds).

        ``attract`` says nobody is there (the visit tracker's verdict); ``plant(cell)`` plants
        the next digit of the sequence at ``cell``; ``next_index()`` is its 0-based position.
        """
        s = self.settings
        if self.intro_left > 0 and t >= self.next_intro_t:
            due = self.next_intro_t
            self.intro_left -= 1
            self.next_intro_t = due + INTRO_EVERY_S
            # attract digits keep their pace after the intro's instead of crowding it
            self.next_t = max(self.next_t, due + s.attract_seed_s)
            gw, rows = self.layout.grid[0], self.layout.rows_usable
            side = -1 if self.intro_left else 1  # two digits side by side, mid-screen
            plant((gw // 2 + side * 11, rows // 2))
        if attract and not self.active:
            self.active = True
            self.next_t = max(self.next_t, t + ATTRACT_START_S)
        elif not attract:
            self.active = False
        if self.active and self.intro_left == 0 and t >= self.next_t:
            # paced from the schedule, not from t: a step's overshoot must not add up over
            # the digits; after a long pause the pace restarts from now instead of catching up
            self.next_t += s.attract_seed_s
            if self.next_t <= t:
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
