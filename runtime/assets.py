"""Assets: the Korean-capable font, and paths under ``assets/``.

Text is bilingual (Korean first), so the kiosk needs a font with Hangul. ``assets/fonts.toml``
lists candidates (Nanum, Noto CJK); the first found under the system font folders wins. With
none installed the kiosk still runs with pygame's bundled font (Latin only; Hangul would render
as boxes), logs one warning, and ``kiosk.py doctor`` names the package to install.

Fonts are loaded lazily and cached per (size, bold); a font is only created after
``pygame.font.init()``.
"""

from __future__ import annotations

import logging
import tomllib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pygame

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
             Path.home() / ".local/share/fonts", Path.home() / ".fonts")
log = logging.getLogger("kiosk.assets")


@cache
def _index_font_dirs() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in FONT_DIRS:
        if root.is_dir():
            for p in root.rglob("*"):
                if p.suffix.lower() in (".ttf", ".otf", ".ttc"):
                    found.setdefault(p.name, p)
    return found


def find_font(bold: bool = False, fonts_file: Path = ASSETS_DIR / "fonts.toml") -> Path | None:
    """The first installed font from ``fonts.toml`` (``bold`` list or ``regular``), or None."""
    try:
        spec = tomllib.loads(fonts_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        spec = {}
    candidates = list(spec.get("bold" if bold else "regular", [])) + list(spec.get("regular", []))
    index = _index_font_dirs()
    for name in candidates:
        p = Path(name)
        if "/" in name and p.is_file():
            return p
        if name in index:
            return index[name]
    return None


class Assets:
    """Fonts and asset paths for exhibits.

    Args:
        root: the ``assets/`` folder (relative paths in configs resolve against it).
    """

    def __init__(self, root: Path = ASSETS_DIR):
        self.root = Path(root)
        self._fonts: dict[tuple[int, bool], pygame.font.Font] = {}
        self.font_path = find_font(False, self.root / "fonts.toml")
        self.bold_path = find_font(True, self.root / "fonts.toml") or self.font_path
        if self.font_path is None:
            log.warning("no Korean font found (install fonts-nanum); Hangul will show as boxes")

    @property
    def has_hangul(self) -> bool:
        return self.font_path is not None

    def path(self, relative: str | Path) -> Path:
        """Resolve a path from a config: absolute as given, else under ``assets/``."""
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    def font(self, size_px: int, bold: bool = False) -> pygame.font.Font:
        """A cached font ``size_px`` tall (Hangul-capable when installed)."""
        import pygame

        key = (int(size_px), bool(bold))
        font = self._fonts.get(key)
        if font is None:
            if not pygame.font.get_init():
                pygame.font.init()
            path = self.bold_path if bold else self.font_path
            font = pygame.font.Font(str(path) if path else None, key[0])
            self._fonts[key] = font
        return font
