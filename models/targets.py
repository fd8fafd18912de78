"""The RGBA images our NCAs learn to grow: font-rendered digits and procedural landmark pictograms.

Everything is drawn by this module (PIL + numpy, no torch, nothing downloaded). Each target is a
``(4, S, S)`` float32 array in [0, 1], premultiplied RGBA (``rgb <= alpha``), ``S = 32`` cells by
default, antialiased by drawing at 4× and box-downsampling.

- digits ``"0"``…``"9"``: white glyphs on transparent (the exhibit tints them). The font is the
  first that exists of: pygame-ce's bundled ``freesansbold.ttf`` (read as a file; pygame is not
  imported), DejaVu Sans Bold, Pillow's built-in scalable font. :func:`font_info` names the one
  used so training can record it in the provenance.
- landmarks: one pictogram per landmark kind (see :data:`models.catalog.NCA_MODELS`).

Failure modes: an unknown model name or key raises ``KeyError``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from models.catalog import list_targets

SIZE = 32  # cells per side of a target
_SS = 4  # supersampling factor for antialiasing

_FONT_CANDIDATES = (
    "pygame:freesansbold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)


def _font_path() -> Path | None:
    for cand in _FONT_CANDIDATES:
        if cand.startswith("pygame:"):
            spec = importlib.util.find_spec("pygame")  # locates the package without importing it
            if spec is None or not spec.submodule_search_locations:
                continue
            path = Path(next(iter(spec.submodule_search_locations))) / cand.split(":", 1)[1]
        else:
            path = Path(cand)
        if path.is_file():
            return path
    return None


def font_info() -> dict:
    """Which font renders the digits: ``{"path": str | None, "sha256": str | None}``.

    ``path`` is None when Pillow's built-in font is used.
    """
    path = _font_path()
    if path is None:
        return {"path": None, "sha256": None, "fallback": "PIL.ImageFont.load_default"}
    return {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _finish(img: Image.Image, size: int) -> np.ndarray:
    """Supersampled RGBA PIL image -> (4, size, size) premultiplied float32."""
    a = np.asarray(img, dtype=np.float32) / 255.0  # (H, W, 4) straight alpha
    a[..., :3] *= a[..., 3:4]  # premultiply before downsampling so edges don't go dark/bright
    h = a.shape[0] // size
    a = a.reshape(size, h, size, h, 4).mean(axis=(1, 3))
    return np.ascontiguousarray(a.transpose(2, 0, 1)).clip(0.0, 1.0)


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)  # cached and shared: a caller that wants to change it must copy
    return a


@functools.lru_cache(maxsize=64)
def render_digit(ch: str, size: int = SIZE) -> np.ndarray:
    """Glyph ``ch`` as a white, antialiased (4, size, size) premultiplied RGBA array.

    Cached (exhibits re-enter many times a day): the array is read-only.
    """
    big = size * _SS
    height = int(big * 0.80)  # glyph ink height; leaves a margin so regrowth has room
    path = _font_path()
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    # Find the font size whose ink height is `height`, then centre the ink box.
    fsize = height
    for _ in range(4):
        font = (ImageFont.truetype(str(path), fsize) if path else
                ImageFont.load_default(size=fsize))
        x0, y0, x1, y1 = draw.textbbox((0, 0), "0", font=font)  # same box for every digit
        fsize = max(8, round(fsize * height / max(1, y1 - y0)))
    font = ImageFont.truetype(str(path), fsize) if path else ImageFont.load_default(size=fsize)
    x0, y0, x1, y1 = draw.textbbox((0, 0), ch, font=font)
    _, ry0, _, ry1 = draw.textbbox((0, 0), "0", font=font)
    ox = (big - (x1 - x0)) / 2 - x0
    oy = (big - (ry1 - ry0)) / 2 - ry0
    draw.text((ox, oy), ch, font=font, fill=(255, 255, 255, 255))
    return _read_only(_finish(img, size))


# --- pictograms --------------------------------------------------------------------------------
# Each function draws on a 128×128 (SIZE*_SS) RGBA canvas in a 0..1 coordinate frame `u`.

def _px(v: float, big: int) -> float:
    return v * big


def _poly(d: ImageDraw.ImageDraw, pts, fill, big):
    d.polygon([(_px(x, big), _px(y, big)) for x, y in pts], fill=fill)


def _rect(d, x0, y0, x1, y1, fill, big, r=0.0):
    box = [_px(x0, big), _px(y0, big), _px(x1, big), _px(y1, big)]
    if r > 0:
        d.rounded_rectangle(box, radius=_px(r, big), fill=fill)
    else:
        d.rectangle(box, fill=fill)


def _ellipse(d, cx, cy, rx, ry, fill, big):
    d.ellipse([_px(cx - rx, big), _px(cy - ry, big), _px(cx + rx, big), _px(cy + ry, big)],
              fill=fill)


def _mountain(d, big):
    _poly(d, [(0.08, 0.85), (0.40, 0.22), (0.72, 0.85)], (92, 120, 170, 255), big)
    _poly(d, [(0.38, 0.85), (0.66, 0.38), (0.94, 0.85)], (60, 88, 140, 255), big)
    _poly(d, [(0.30, 0.42), (0.40, 0.22), (0.50, 0.42), (0.44, 0.38), (0.40, 0.44)],
          (245, 248, 255, 255), big)


def _national_park(d, big):
    # shield badge with a white peak and a green base
    _poly(d, [(0.14, 0.12), (0.86, 0.12), (0.86, 0.55), (0.50, 0.90), (0.14, 0.55)],
          (46, 140, 80, 255), big)
    _poly(d, [(0.26, 0.58), (0.50, 0.26), (0.74, 0.58)], (240, 250, 240, 255), big)


def _tree(d, big):
    _rect(d, 0.44, 0.60, 0.56, 0.90, (130, 84, 48, 255), big)
    _ellipse(d, 0.50, 0.40, 0.32, 0.30, (70, 170, 70, 255), big)


def _railway_station(d, big):
    # front of a train: blue body, two light windows, two yellow lamps
    _rect(d, 0.18, 0.10, 0.82, 0.80, (40, 90, 200, 255), big, r=0.14)
    _rect(d, 0.26, 0.20, 0.74, 0.46, (210, 230, 255, 255), big, r=0.04)
    _ellipse(d, 0.32, 0.64, 0.07, 0.07, (255, 220, 80, 255), big)
    _ellipse(d, 0.68, 0.64, 0.07, 0.07, (255, 220, 80, 255), big)
    _poly(d, [(0.24, 0.80), (0.34, 0.80), (0.20, 0.94), (0.10, 0.94)], (150, 160, 180, 255), big)
    _poly(d, [(0.66, 0.80), (0.76, 0.80), (0.90, 0.94), (0.80, 0.94)], (150, 160, 180, 255), big)


def _university(d, big):
    # mortarboard: diamond top, cap below, golden tassel (3 cells wide: no 1-cell strings)
    _poly(d, [(0.50, 0.16), (0.94, 0.36), (0.50, 0.56), (0.06, 0.36)], (70, 60, 150, 255), big)
    _poly(d, [(0.26, 0.50), (0.74, 0.50), (0.74, 0.74), (0.50, 0.84), (0.26, 0.74)],
          (50, 40, 120, 255), big)
    _rect(d, 0.80, 0.38, 0.89, 0.66, (240, 190, 60, 255), big)
    _ellipse(d, 0.845, 0.74, 0.08, 0.09, (240, 190, 60, 255), big)


def _culture_center(d, big):
    # a lantern-like light ring above a low pavilion (the ACC's "light" motif); ring, hole,
    # core and the gap above the pavilion are all 3+ cells
    _ellipse(d, 0.50, 0.36, 0.31, 0.31, (255, 140, 60, 255), big)
    _ellipse(d, 0.50, 0.36, 0.18, 0.18, (0, 0, 0, 0), big)
    _ellipse(d, 0.50, 0.36, 0.08, 0.08, (255, 230, 140, 255), big)
    _rect(d, 0.10, 0.76, 0.90, 0.92, (200, 90, 160, 255), big, r=0.03)


def _cemetery_memorial(d, big):
    # two tall pillars leaning together holding an egg (the 5·18 memorial tower); pillars 3-5
    # cells wide with a clear gap around the egg, a 3-cell base
    _poly(d, [(0.16, 0.84), (0.34, 0.84), (0.47, 0.10), (0.36, 0.10)], (225, 225, 230, 255), big)
    _poly(d, [(0.66, 0.84), (0.84, 0.84), (0.64, 0.10), (0.53, 0.10)], (225, 225, 230, 255), big)
    _ellipse(d, 0.50, 0.50, 0.09, 0.12, (240, 200, 120, 255), big)
    _rect(d, 0.08, 0.84, 0.92, 0.94, (160, 160, 170, 255), big)


def _museum(d, big):
    # a temple front drawn for 32 cells: solid pediment, three 4-cell columns with 3-cell gaps,
    # a 3-cell base (the earlier four thin columns and 1-cell steps could not be grown)
    c = (235, 215, 170, 255)
    _poly(d, [(0.06, 0.36), (0.50, 0.08), (0.94, 0.36)], c, big)
    for x in (0.14, 0.43, 0.72):
        _rect(d, x, 0.36, x + 0.14, 0.80, c, big)
    _rect(d, 0.06, 0.80, 0.94, 0.92, c, big)


def _tower(d, big):
    # broadcast tower: a red mast 3-6 cells wide, a white observation pod and a red beacon
    _poly(d, [(0.38, 0.92), (0.62, 0.92), (0.55, 0.16), (0.45, 0.16)], (230, 70, 60, 255), big)
    _ellipse(d, 0.50, 0.40, 0.20, 0.09, (250, 250, 250, 255), big)
    _ellipse(d, 0.50, 0.12, 0.07, 0.07, (255, 60, 60, 255), big)


def _star(d, big):
    pts = []
    for i in range(10):
        ang = -np.pi / 2 + i * np.pi / 5
        r = 0.42 if i % 2 == 0 else 0.18
        pts.append((0.5 + r * np.cos(ang), 0.53 + r * np.sin(ang)))
    _poly(d, pts, (255, 215, 70, 255), big)


_PICTOGRAMS = {
    "culture_center": _culture_center,
    "cemetery_memorial": _cemetery_memorial,
    "mountain": _mountain,
    "national_park": _national_park,
    "railway_station": _railway_station,
    "university": _university,
    "museum": _museum,
    "tower": _tower,
    "tree": _tree,
    "star": _star,
}


@functools.lru_cache(maxsize=64)
def render_pictogram(kind: str, size: int = SIZE) -> np.ndarray:
    """Pictogram of landmark ``kind`` as (4, size, size) premultiplied RGBA float32.

    Cached like :func:`render_digit`: the array is read-only.
    """
    try:
        fn = _PICTOGRAMS[kind]
    except KeyError:
        raise KeyError(f"no pictogram for kind {kind!r}; known: {sorted(_PICTOGRAMS)}") from None
    big = size * _SS
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    fn(ImageDraw.Draw(img), big)
    return _read_only(_finish(img, size))


def render_targets(model: str, size: int = SIZE) -> tuple[tuple[str, ...], np.ndarray]:
    """All targets of NCA model ``model``: (keys, (K, 4, size, size) float32), in code order."""
    keys = list_targets(model)
    render = render_digit if model == "digits" else render_pictogram
    return keys, np.stack([render(k, size) for k in keys]).astype(np.float32)
