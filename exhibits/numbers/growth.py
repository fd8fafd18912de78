"""Where the digits live: a grid of cells that grows digits from seeds, loses cells and regrows.

Two growers share one interface (:class:`Garden`) and one frame format, ``(H, W, 4)`` uint8
premultiplied RGBA at cell resolution (white digits; the exhibit tints them):

- the trained NCA (:class:`models.nca.NCACanvas`, stepped by the engine's
  :class:`models.engine.NCAWorker` on its own thread), used when ``models/weights/nca_digits.pt``
  exists and the kiosk is not in safe mode;
- :class:`GlyphCells`, a plain cellular automaton in numpy for when there are no weights (or
  in safe mode): each digit's glyph (from :func:`models.targets.render_digit`, the image the NCA
  learns) is revealed by a "health" field that spreads from the seed cell to its neighbours,
  so digits still grow from one cell over ``growth_s``, lose cells under visitors and regrow from
  what is left. It is cheap (about 0.1 ms per step at 192×108), needs no torch, and shows the
  idea of the real thing.

Threads: both growers are driven by the models layer's one worker,
:class:`models.workers.FrameWorker` (torch-free). With ``threaded=True`` the NCA steps on a
worker thread; with ``threaded=False`` (``ctx.inline_models``: renders, goldens, tests) it steps
inline from :meth:`Garden.advance` on the kiosk's clock, so frames repeat for a seed.
:class:`GlyphCells` always steps inline (a numpy step is cheaper than a thread hand-over, and it
stays deterministic).

Failure modes: a worker that raises stores ``worker.error`` (see :mod:`models.workers`);
:meth:`Garden.failed` reports it so the exhibit can fall back to :class:`GlyphCells`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.workers import FrameWorker

TARGET_CELLS = 32  # a digit's pattern is 32×32 cells (models.nca.NCAConfig.target_size)
HIDDEN_SHOWN = 4  # hidden channels the "how it works" view shows
SCAR = -1.5  # health of a damaged cell: it needs (1.5 + 0.5) / rate steps before it spreads


class GlyphCells:
    """The no-weights grower: a health field spreading through digit glyphs (a FrameSource).

    State per cell: ``health`` 0..1 (how grown), ``target`` 0..1 (the glyph's alpha stamped at
    planting), ``support`` (inside some digit's box: health spreads only there) and ``speed``
    (a fixed random factor 0.75..1.25 so fronts look organic). One step: a cell whose strongest
    neighbour is above one half gains ``rate`` health (so a front moves one cell every
    ``0.5 / rate`` steps); displayed alpha = target × smoothstep(health), and where the front
    crosses a stroke it glows (premultiplied RGB above alpha = added light).
    """

    def __init__(self, width: int, height: int, growth_steps: float, seed: int = 0):
        from models.targets import render_digit  # PIL + numpy only

        self.width, self.height = int(width), int(height)
        self.shape = (self.height, self.width, 4)
        self.glyphs = {str(d): render_digit(str(d), TARGET_CELLS)[3] for d in range(10)}
        self.targets = tuple(self.glyphs)
        h, w = self.height, self.width
        self.health = np.zeros((h, w), np.float32)
        self.target = np.zeros((h, w), np.float32)
        self.support = np.zeros((h, w), bool)
        rng = np.random.default_rng(seed)
        # A front crosses half a box (16 cells, Chebyshev) in the growth time.
        base = 0.5 * 16 / max(1.0, growth_steps)
        self.rate = (base * rng.uniform(0.75, 1.25, (h, w))).astype(np.float32)
        self._pad = np.zeros((h + 2, w + 2), np.float32)
        self._nb = np.zeros((h, w), np.float32)
        self.steps = 0

    # -- commands (called between ticks) ------------------------------------------------------
    def plant(self, key: str, cx: int, cy: int) -> None:
        """Stamp digit ``key``'s glyph in the 32×32 box centred on cell (cx, cy); seed there."""
        glyph = self.glyphs[key]
        x0, y0 = cx - TARGET_CELLS // 2, cy - TARGET_CELLS // 2
        gx0, gy0 = max(0, -x0), max(0, -y0)
        x0c, y0c = max(0, x0), max(0, y0)
        x1c = min(self.width, x0 + TARGET_CELLS)
        y1c = min(self.height, y0 + TARGET_CELLS)
        if x1c <= x0c or y1c <= y0c:
            return
        region = (slice(y0c, y1c), slice(x0c, x1c))
        self.target[region] = glyph[gy0:gy0 + y1c - y0c, gx0:gx0 + x1c - x0c]
        self.health[region] = 0.0
        self.support[region] = True
        self.health[cy, cx] = 1.0

    def damage(self, mask: np.ndarray) -> None:
        """Cells where ``mask`` >= 0.5 lose all health and scar (health ``SCAR``, so a wound
        stays visible for a moment); they regrow from their neighbours."""
        self.health[np.asarray(mask) >= 0.5] = SCAR

    def remove(self, mask: np.ndarray) -> None:
        """Forget cells where ``mask`` >= 0.5: no glyph, no regrowth (a digit that faded out)."""
        m = np.asarray(mask) >= 0.5
        self.health[m] = 0.0
        self.target[m] = 0.0
        self.support[m] = False

    def clear(self) -> None:
        self.health[:] = 0.0
        self.target[:] = 0.0
        self.support[:] = False

    # -- FrameSource --------------------------------------------------------------------------
    def tick(self, dt: float) -> None:
        p, nb = self._pad, self._nb
        p[1:-1, 1:-1] = self.health
        np.maximum(p[:-2, 1:-1], p[2:, 1:-1], out=nb)  # 3×3 max = the 8 neighbours and self
        np.maximum(nb, p[1:-1, :-2], out=nb)
        np.maximum(nb, p[1:-1, 2:], out=nb)
        np.maximum(nb, p[:-2, :-2], out=nb)
        np.maximum(nb, p[:-2, 2:], out=nb)
        np.maximum(nb, p[2:, :-2], out=nb)
        np.maximum(nb, p[2:, 2:], out=nb)
        grow = (nb > 0.5) & self.support & (self.health < 1.0)
        self.health[grow] = np.minimum(1.0, self.health[grow] + self.rate[grow])
        self.steps += 1

    def render(self, out: np.ndarray) -> None:
        h = np.clip(self.health, 0.0, 1.0)
        s = h * h * (3.0 - 2.0 * h)  # smoothstep: cells ease in
        a = self.target * s
        front = (h > 0.0) & (h < 1.0)
        # the growing front glows along the strokes (not across the whole box)
        light = a + front * (0.8 * (1.0 - h)) * np.minimum(1.0, 3.0 * self.target)
        out[..., 3] = (a * 255.0 + 0.5).astype(np.uint8)
        out[..., 0] = out[..., 1] = out[..., 2] = (np.minimum(light, 1.0) * 255.0 + 0.5).astype(
            np.uint8)

    def snapshot(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """(4 + HIDDEN_SHOWN, h, w) float32: RGBA then health, front, glyph memory, speed."""
        region = (slice(y0, y1), slice(x0, x1))
        h = np.clip(self.health[region], 0.0, 1.0)
        a = self.target[region] * h
        front = ((h > 0) & (h < 1)).astype(np.float32)
        speed = (self.rate[region] / max(float(self.rate.max()), 1e-6)) * self.support[region]
        return np.stack([a, a, a, a, h, front, self.target[region] * self.support[region],
                         speed]).astype(np.float32)


class Garden:
    """The exhibit's handle on its grower: commands are queued to the worker, frames come back.

    Build with :meth:`glyphs` or :meth:`nca`. ``snapshot`` holds the newest crop requested by
    :meth:`request_snapshot` (written by the worker thread; a plain attribute swap).
    """

    def __init__(self, kind: str, source: Any, worker: FrameWorker):
        self.kind = kind  # "nca" or "glyphs"
        self.source, self.worker = source, worker
        self.snapshot: np.ndarray | None = None

    @classmethod
    def glyphs(cls, width: int, height: int, growth_s: float, steps_per_s: float = 48.0,
               seed: int = 0) -> Garden:
        """Plain glyph cells (no torch), ``steps_per_s`` steps per second, always inline."""
        src = GlyphCells(width, height, growth_s * steps_per_s, seed)
        return cls("glyphs", src, FrameWorker(src, steps_per_s, name="numbers-glyphs",
                                              inline=True))

    @classmethod
    def nca(cls, model: Any, width: int, height: int, growth_s: float, seed: int = 0,
            device: str = "cpu", threaded: bool = True) -> Garden:
        """The NCA (imports torch) on a thread, or inline when ``threaded`` is False.

        A digit rests once it has settled (``models.catalog.NCA_REST_AFTER["digits"]`` steps
        after its seed or its last damage; frozen, costs nothing) and wakes to heal when a
        visitor erases some of it: what ``eval_nca`` measures as the digits' stability.
        """
        from models.catalog import NCA_REST_AFTER
        from models.engine import NCAWorker
        from models.nca import NCACanvas

        canvas = NCACanvas(model, width, height, seed=seed, device=device,
                           rest_after=NCA_REST_AFTER["digits"])
        steps_per_s = 96.0 / growth_s  # the digits model grows a pattern in ~96 steps
        tick = 2 if steps_per_s <= 64 else 4
        worker = NCAWorker(canvas, steps_per_s=steps_per_s, steps_per_tick=tick,
                           name="numbers-nca", inline=not threaded)
        return cls("nca", canvas, worker)

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) in cells."""
        return self.source.height, self.source.width

    def start(self) -> Garden:
        self.worker.start()
        return self

    def stop(self) -> None:
        self.worker.stop()

    def advance(self, dt: float) -> None:
        """Step an inline worker by ``dt`` seconds (a threaded one keeps its own time)."""
        self.worker.advance(dt)

    def failed(self) -> BaseException | None:
        return self.worker.error

    def latest(self) -> tuple[np.ndarray, int]:
        return self.worker.latest()

    def plant(self, key: str, cx: int, cy: int) -> None:
        src = self.source
        self.worker.submit(lambda: src.plant(key, cx, cy))

    def damage(self, mask: np.ndarray) -> None:
        m = np.array(mask, copy=True)  # the caller reuses its buffer
        src = self.source
        self.worker.submit(lambda: src.damage(m))

    def remove(self, mask: np.ndarray) -> None:
        """Erase a region for good (an old digit fading out)."""
        m = np.array(mask, copy=True)
        src = self.source
        if self.kind == "glyphs":
            self.worker.submit(lambda: src.remove(m))
        else:
            self.worker.submit(lambda: src.damage(m))

    def clear(self) -> None:
        self.worker.submit(self.source.clear)

    def request_snapshot(self, box: tuple[int, int, int, int]) -> None:
        """Ask for a (4 + HIDDEN_SHOWN, h, w) float32 crop of the state at the next tick."""
        x0, y0, x1, y1 = box
        if self.kind == "glyphs":
            def take() -> None:
                self.snapshot = self.source.snapshot(x0, y0, x1, y1)
        else:
            def take() -> None:
                import torch

                with torch.inference_mode():
                    crop = self.source.x[: 4 + HIDDEN_SHOWN, y0:y1, x0:x1]
                    self.snapshot = crop.float().cpu().numpy().copy()
        self.worker.submit(take)
