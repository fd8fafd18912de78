"""Landmark pictograms: grown by the landmarks NCA, or drawn procedurally when it cannot run.

With weights (``models/weights/nca_landmarks.pt``): one :class:`models.nca.NCACanvas` "atlas" of
``SLOT``×``SLOT`` cells per landmark in a row, stepped by a :class:`models.engine.NCAWorker` on a
worker thread. Discovering landmark ``i`` plants its kind's seed in the centre of slot ``i``; the
pictogram grows there in about two seconds (~96 steps at 48 steps/s) and rests once grown
(``models.catalog.NCA_REST_AFTER``: frozen, it stays as grown and costs nothing); each pattern
updates only inside its box, which fits its slot, so no pattern grows into a neighbour's slot.
(A canvas that does not rest erases the gutters between slots every second instead.) The drawing
side takes the worker's newest frame (never waits), cuts out the grown slots and scales each to
the icon size once per new frame.

Without weights, in safe mode, or for a kind the weights do not know: the pictogram is the
procedural RGBA image the NCA was trained on (:func:`models.targets.render_pictogram`, numpy +
PIL only), which the exhibit scales and fades in. One warning is logged.

Failure modes: never raises from :meth:`start`; a worker that fails later falls back (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

SLOT = 44  # cells per atlas slot: the 32-cell pictogram, trained on a 40-cell grid, plus a gutter
GUTTER = 2
REACH = SLOT // 2 - GUTTER  # a resting pictogram's box: 41 cells, 1+ free cell between slots


def straight_rgba(premul: np.ndarray) -> np.ndarray:
    """Premultiplied ``(H, W, 4)`` uint8 → straight-alpha ``(H, W, 4)`` uint8 (for pygame)."""
    a = premul[..., 3:4].astype(np.float32)
    rgb = premul[..., :3].astype(np.float32) * (255.0 / np.maximum(a, 1.0))
    out = np.empty_like(premul)
    out[..., :3] = np.clip(rgb, 0, 255)
    out[..., 3:4] = premul[..., 3:4]
    return out


def procedural_rgba(kind: str, size: int = 64) -> np.ndarray:
    """The kind's procedural pictogram as straight-alpha ``(size, size, 4)`` uint8."""
    from models.targets import render_pictogram

    img = render_pictogram(kind, size)  # (4, S, S) premultiplied float
    premul = (np.clip(img.transpose(1, 2, 0), 0, 1) * 255 + 0.5).astype(np.uint8)
    return straight_rgba(premul)


def _load_weights(path: Path, device: str):
    from models.nca import NCA

    return NCA.load(path, device)


class Pictograms:
    """Pictograms for ``kinds`` (one per landmark, in landmark order).

    Args:
        kinds: pictogram kind per landmark.
        use_model: False → procedural only (safe mode).
        weights: the landmarks NCA's weights file.
        steps_per_s: NCA steps per second on the worker.
        seed / device: for the canvas's random draws (the exhibit passes its named stream,
            ``ctx.seed_for("city.pictograms")``).
        log: where the one fallback warning goes.
        model_factory: returns the NCA model (tests inject a random-init model); default loads
            ``weights``.
        inline: step the NCA in :meth:`tick` on the caller's clock instead of on a thread
            (renders, goldens, tests: repeatable frames).
    """

    def __init__(self, kinds: list[str], *, use_model: bool, weights: Path,
                 steps_per_s: float = 48.0, seed: int = 0, device: str = "cpu",
                 log: logging.Logger | None = None,
                 model_factory: Callable[[], object] | None = None, inline: bool = False):
        self.kinds = list(kinds)
        self.inline = inline
        self.use_model, self.weights = use_model, Path(weights)
        self.steps_per_s, self.seed, self.device = steps_per_s, seed, device
        self.log = log or logging.getLogger(__name__)
        self.model_factory = model_factory
        self.worker = None
        self.model_slots: set[int] = set()  # landmarks whose kind the NCA can grow
        self.fallback = {k: procedural_rgba(k) for k in dict.fromkeys(self.kinds)}
        self.planted: set[int] = set()
        self._since_gutter = 0.0  # seconds since the slots were last kept apart
        self._gutter: np.ndarray | None = None
        self.note = ""

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.use_model:
            self.note = "safe mode: procedural pictograms"
            self.log.warning("safe mode: landmark pictograms fade in without the NCA")
            return
        try:
            if self.model_factory is not None:
                model = self.model_factory()
            elif self.weights.is_file():
                model = _load_weights(self.weights, self.device)
            else:
                self.note = f"no weights at {self.weights.name}: procedural pictograms"
                self.log.warning("landmark NCA weights %s not found; pictograms fade in from "
                                 "their procedural drawings until the weights are shipped",
                                 self.weights)
                return
            from models.catalog import NCA_REST_AFTER
            from models.engine import NCAWorker
            from models.nca import NCACanvas

            known = set(model.config.targets)
            self.model_slots = {i for i, k in enumerate(self.kinds) if k in known}
            missing = sorted({k for k in self.kinds if k not in known})
            if missing:
                self.log.warning("landmark NCA cannot grow %s; those pictograms are drawn",
                                 ", ".join(missing))
            n = len(self.kinds)
            # A pictogram rests once grown (frozen: it "stays", and costs nothing) inside its
            # box of 2 * REACH + 1 cells, which fits its slot: the boxes keep the slots apart.
            canvas = NCACanvas(model, SLOT * n, SLOT, seed=self.seed, device=self.device,
                               rest_after=NCA_REST_AFTER["landmarks"], reach=REACH)
            if not canvas.rests:  # without resting, erase the gutters to keep the slots apart
                gutter = np.zeros((SLOT, SLOT * n), bool)
                for i in range(n + 1):
                    gutter[:, max(0, i * SLOT - GUTTER):i * SLOT + GUTTER] = True
                gutter[:GUTTER, :] = gutter[-GUTTER:, :] = True
                self._gutter = gutter
            self.worker = NCAWorker(canvas, steps_per_s=self.steps_per_s, steps_per_tick=2,
                                    name="city-pictograms", inline=self.inline).start()
        except Exception as err:  # noqa: BLE001 - any model failure → procedural pictograms
            self.worker, self.model_slots = None, set()
            self.note = f"NCA unavailable ({type(err).__name__}): procedural pictograms"
            self.log.warning("landmark NCA unavailable (%s: %s); procedural pictograms",
                             type(err).__name__, err)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    @property
    def alive(self) -> bool:
        return self.worker is not None and self.worker.error is None

    def grows(self, i: int) -> bool:
        """True when landmark ``i``'s pictogram is grown by the NCA (else drawn)."""
        return self.alive and i in self.model_slots

    # -- commands (from update) -----------------------------------------------------------------
    def grow(self, i: int) -> None:
        """Start growing landmark ``i``'s pictogram (the NCA plants a seed)."""
        if self.grows(i) and i not in self.planted:
            self.worker.plant(self.kinds[i], i * SLOT + SLOT // 2, SLOT // 2)
        self.planted.add(i)

    def clear(self) -> None:
        self.planted.clear()
        if self.alive:
            self.worker.clear()

    def tick(self, dt: float) -> None:
        """Called once per update step of ``dt`` seconds: every second keep the slots apart; an
        inline worker steps here."""
        self._since_gutter += dt
        if self.alive and self.planted and self._since_gutter >= 1.0 and self._gutter is not None:
            self._since_gutter = 0.0
            self.worker.damage(self._gutter)
        if self.alive:
            self.worker.advance(dt)

    # -- drawing ------------------------------------------------------------------------------
    def latest_rgba(self) -> tuple[np.ndarray, int] | None:
        """The worker's newest premultiplied atlas ``(SLOT, SLOT * n, 4)`` and its id, or None."""
        if not self.alive:
            return None
        return self.worker.latest()

    @staticmethod
    def slot(atlas: np.ndarray, i: int) -> np.ndarray:
        """Straight-alpha ``(SLOT, SLOT, 4)`` of landmark ``i`` from a premultiplied atlas."""
        return straight_rgba(atlas[:, i * SLOT:(i + 1) * SLOT])
