"""``[exhibits.NAME]`` settings of the template exhibit (imports no pygame or torch: ``kiosk.py
check`` loads this without starting anything).

Every field has a default (the shipped look), a doc with its unit, and a range, choices or a
length limit; ``kiosk.py check`` refuses a config outside them and names the key
(``exhibits.NAME.ripple_s``). Sizes in pixels are for a 1080-line screen and scale with it.

Example::

    [exhibits.NAME]
    ripple_s = 2.0
    colours = [[255, 190, 80], [80, 200, 255]]
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.settings import setting

_COLOURS = ((255, 190, 80), (80, 200, 255), (255, 110, 170), (130, 255, 150))


@dataclass(frozen=True)
class TemplateSettings:
    """A ripple where a visitor touches; a light that follows each visitor and ripples while
    they stay."""

    ripple_s: float = setting(1.5, "seconds a ripple takes to widen and fade", range=(0.1, 10.0))
    ripple_px: int = setting(220, "radius a ripple reaches, in pixels of a 1080-line screen",
                             range=(8, 1080))
    pulse_every_s: float = setting(1.0, "seconds between the ripples of a visitor who stays",
                                   range=(0.1, 60.0))
    colours: tuple[tuple[int, int, int], ...] = setting(
        _COLOURS, "visitors' colours [r, g, b] 0..255 (each visitor keeps one)",
        range=(0, 255), min_items=1, max_items=12)
    hint_ko: str = setting("화면을 터치해 보세요", "invitation while nobody is there (Korean)",
                           max_len=80)
    hint_en: str = setting("Touch the screen", "invitation while nobody is there (English)",
                           max_len=80)
