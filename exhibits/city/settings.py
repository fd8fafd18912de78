"""``[exhibits.city]`` settings for "Shining Gwangju" (no pygame or torch: the checker loads this).

Every field is optional in ``config.toml``; the defaults below are the shipped exhibit. Sizes of
light and touch are fractions of the screen height so a config looks the same at any resolution.
``check_assets`` validates the landmark file (row and column named in every message);
``asset_files`` lets hot reload watch it. Every text has a length limit (:data:`TEXT_LIMITS`) that
``kiosk.py check`` enforces; the progress templates may use only a plain ``{found}`` and
``{total}`` (no format specs, conversions, attribute or index access).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from models.catalog import list_styles
from runtime.settings import setting, template_problems

#: Named palettes: background gradient (top, bottom), map lines, landmark dots, text, card.
PALETTES: dict[str, dict[str, tuple[int, int, int]]] = {
    "night": {"sky_top": (6, 10, 28), "sky_bottom": (2, 4, 12), "line": (70, 96, 150),
              "dot": (150, 180, 255), "lit": (255, 226, 150), "text": (226, 232, 246),
              "dim_text": (128, 142, 176), "card": (14, 20, 44), "card_edge": (255, 214, 120)},
    "dusk": {"sky_top": (30, 12, 36), "sky_bottom": (8, 4, 14), "line": (140, 90, 120),
             "dot": (255, 170, 160), "lit": (255, 236, 180), "text": (250, 236, 232),
             "dim_text": (176, 140, 150), "card": (36, 16, 38), "card_edge": (255, 176, 120)},
    "ink": {"sky_top": (2, 6, 14), "sky_bottom": (0, 0, 0), "line": (60, 80, 100),
            "dot": (200, 220, 235), "lit": (235, 245, 255), "text": (235, 240, 246),
            "dim_text": (120, 134, 150), "card": (8, 14, 24), "card_edge": (190, 215, 240)},
}

#: characters each on-screen text may hold (a title or hint is one line; longer would be cut off)
TEXT_LIMITS: dict[str, int] = {
    "title_ko": 60, "title_en": 60, "hint_ko": 120, "hint_en": 120, "progress_ko": 80,
    "progress_en": 80, "celebrate_ko": 80, "celebrate_en": 80, "source_label": 40,
}
#: template field -> the placeholders it may use
PLACEHOLDERS: dict[str, tuple[str, ...]] = {"progress_ko": ("found", "total"),
                                            "progress_en": ("found", "total")}

_HUES = ((255, 190, 80), (80, 200, 255), (255, 110, 170), (130, 255, 150), (190, 140, 255),
         (255, 240, 140))


@dataclass(frozen=True)
class CitySettings:
    """Shining Gwangju: visitors' light wakes up a night map of Gwangju.

    When the map rests (dims, ghost walkers, the hint) and when a visit's discoveries reset is
    not set here: both follow the kiosk's visits (``[visits] idle_s``), like every exhibit.
    """

    #: keys older configs may still hold, with why they no longer do anything (the config
    #: loader warns about them instead of refusing the file)
    RETIRED: ClassVar[dict[str, str]] = {
        "idle_s": "no longer used: [visits] idle_s decides when the map rests"}

    landmarks_file: str = setting(
        "landmarks/gwangju.csv",
        "the landmark CSV (relative to assets/): id, names, coordinates, kind, descriptions, "
        "sources; checked by kiosk.py check")
    palette: str = setting("night", "colours of the map, text and cards",
                           choices=tuple(PALETTES))
    visitor_colours: tuple[tuple[int, int, int], ...] = setting(
        _HUES, "each visitor's light colour [r, g, b] 0..255, handed out in turn",
        range=(0, 255), min_items=1, max_items=12)
    glow_style: str = setting("aurora", "the neural (CPPN) texture inside the light",
                              choices=list_styles)
    glow_texture: float = setting(0.6, "how much the neural texture shows in the light (0 = "
                                  "plain colour)", range=(0.0, 1.0))
    light_radius: float = setting(0.11, "radius of a visitor's light, in screen heights",
                                  range=(0.02, 0.4))
    light_decay_s: float = setting(0.8, "how fast the bright light fades once a visitor moves "
                                   "on (time constant, seconds)", range=(0.05, 10.0))
    trail_s: float = setting(14.0, "how long a trail of light takes to fade away (seconds; "
                             "0 = no trail)", range=(0.0, 120.0))
    trail_strength: float = setting(0.5, "brightness of the trail relative to the light",
                                    range=(0.0, 1.0))
    discover_threshold: float = setting(
        0.45, "light intensity at a landmark that discovers it (1 = a visitor's centre)",
        range=(0.05, 1.0))
    touch_radius: float = setting(0.06, "a touch this close to a landmark (screen heights) "
                                  "discovers it or reopens its card", range=(0.01, 0.3))
    card_s: float = setting(10.0, "how long a landmark's card stays open (seconds)",
                            range=(2.0, 60.0))
    card_yield_s: float = setting(
        1.0, "a card over another visitor for this long moves away (or closes)",
        range=(0.1, 10.0))
    dim_level: float = setting(0.45, "brightness of the map while nobody is there (attract)",
                               range=(0.0, 1.0))
    celebration: bool = setting(True, "finding every landmark lights all connections in a "
                                "short celebration")
    celebration_s: float = setting(6.0, "length of the celebration (seconds)", range=(1.0, 30.0))
    ghost_walkers: int = setting(2, "ghost walkers lighting paths in attract mode",
                                 range=(0, 6))
    extra_edges: int = setting(2, "connections added to the minimum tree joining the landmarks",
                               range=(0, 10))
    light_cells: int = setting(192, "columns of the light field (rows follow the screen's "
                               "aspect); more = finer light, more CPU", range=(64, 384))
    glow_fps: float = setting(24.0, "neural texture frames per second (worker thread)",
                              range=(5.0, 60.0))
    nca_steps_per_s: float = setting(48.0, "growth steps per second of the landmark pictograms",
                                     range=(8.0, 96.0))
    title_ko: str = setting("빛나는 광주 탐험", "title, Korean", max_len=TEXT_LIMITS["title_ko"])
    title_en: str = setting("Shining Gwangju: City Exploration", "title, English",
                            max_len=TEXT_LIMITS["title_en"])
    hint_ko: str = setting("화면 앞을 걸으며 광주를 밝혀 보세요", "attract-mode hint, Korean",
                           max_len=TEXT_LIMITS["hint_ko"])
    hint_en: str = setting("Walk in front of the screen to light up Gwangju",
                           "attract-mode hint, English", max_len=TEXT_LIMITS["hint_en"])
    progress_ko: str = setting("{found} / {total} 곳 발견",
                               "progress, Korean ({found} and {total} are replaced)",
                               max_len=TEXT_LIMITS["progress_ko"])
    progress_en: str = setting("{found} / {total} places discovered",
                               "progress, English ({found} and {total} are replaced)",
                               max_len=TEXT_LIMITS["progress_en"])
    celebrate_ko: str = setting("광주의 빛을 모두 밝혔어요!", "celebration message, Korean",
                                max_len=TEXT_LIMITS["celebrate_ko"])
    celebrate_en: str = setting("You lit up all of Gwangju!", "celebration message, English",
                                max_len=TEXT_LIMITS["celebrate_en"])
    source_label: str = setting("출처 · Source", "label before a card's source line",
                                max_len=TEXT_LIMITS["source_label"])

    def check(self) -> list[tuple[str, str]]:
        problems = []
        for key, allowed in PLACEHOLDERS.items():
            # parsed, never formatted: "{found:>50000000}" must not build 50 MB here either
            problems += template_problems(key, getattr(self, key), allowed)
        for key in ("title_ko", "title_en", "hint_ko", "hint_en"):
            if not getattr(self, key).strip():
                problems.append((key, "must not be empty"))
        return problems

    def landmarks_path(self, assets_root: Path | None = None) -> Path:
        """The landmark file: absolute as given, else under ``assets/``."""
        p = Path(self.landmarks_file)
        if p.is_absolute():
            return p
        if assets_root is None:
            from runtime.assets import ASSETS_DIR

            assets_root = ASSETS_DIR
        return Path(assets_root) / p

    def check_assets(self, assets) -> list[tuple[str, str]]:
        """Validate the landmark file; each problem names its row and column."""
        from exhibits.city.landmarks import load_landmarks

        _, problems = load_landmarks(self.landmarks_path(assets.root), self.landmarks_file)
        return [("landmarks_file", msg) for msg in problems]

    def asset_files(self) -> list[Path]:
        return [self.landmarks_path()]
