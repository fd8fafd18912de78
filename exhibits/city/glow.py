"""The glow's texture: a neural field (our CPPN, :mod:`models.cppn`) seen through the light.

:class:`GlowTexture` owns a :class:`models.engine.CPPNWorker` evaluating a CPPN style at the light
field's resolution (e.g. 192 × 108) on a worker thread at ``fps``; visitors steer it (each visitor
bends the pattern around them). :func:`shade` multiplies the light field by that texture, so the
light around a visitor is not a flat disc but a living, luminous pattern in the visitor's colour.

Fallback (no torch wanted: ``safe_mode``, or the worker fails): a fixed smooth texture made from
seeded sinusoids with numpy (:func:`fallback_texture`; the exhibit keeps it in ``ctx.store``,
see :mod:`exhibits.city.prepared`), drifting slowly; one warning is logged. Nothing here blocks the
render thread: :meth:`GlowTexture.latest` returns the newest finished frame.

Failure modes: a worker error (``worker.error``) switches to the fallback at the next
:meth:`latest` call, logged once; :meth:`start` never raises; the constructor raises
``ValueError`` for a fallback texture of the wrong shape (a programming error).
"""

from __future__ import annotations

import logging

import numpy as np

from exhibits.kit import WarnOnce, leave_a_core, visitor_key


def fallback_texture(cols: int, rows: int, seed: int) -> np.ndarray:
    """A smooth seeded texture ``(rows, cols, 3)`` uint8 (sum of random plane waves).

    ~10 ms at 192 × 108, so the exhibit keeps it across showings; read-only: callers roll or
    copy it, never write into it. ``seed`` is the whole seed of its own stream (the exhibit
    passes ``ctx.seed_for("city.glow.plain")``), used as given.
    """
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:rows, 0:cols].astype(np.float32)
    xs, ys = xs / rows, ys / rows
    out = np.zeros((rows, cols, 3), np.float32)
    for c in range(3):
        acc = np.zeros((rows, cols), np.float32)
        for _ in range(5):
            ang, freq, ph = rng.uniform(0, 2 * np.pi), rng.uniform(2.0, 7.0), rng.uniform(0, 6.3)
            acc += np.sin((np.cos(ang) * xs + np.sin(ang) * ys) * freq * 2 * np.pi + ph)
        out[..., c] = 0.5 + 0.5 * np.tanh(acc / 2.5)
    tex = (out * 255).astype(np.uint8)
    tex.flags.writeable = False
    return tex


def shade(light: np.ndarray, lum: np.ndarray, texture: np.ndarray, amount: float,
          out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Pixels of the glow: ``light`` (rows, cols, 3) float 0..~1.5 seen through ``texture``.

    ``lum`` (rows, cols) its brightest channel; ``texture`` (rows, cols, 3) uint8 from the CPPN;
    ``amount`` 0..1 how much it shows. The texture both modulates the light's brightness (bright
    strands, darker gaps) and lends it a little of its own colour. Writes (rows, cols, 3) uint8
    into ``out``.
    """
    t = scratch
    # brightness: the texture's luminance relative to its mean carves bright strands and darker
    # gaps while the light keeps its overall level and its own hue (visitors stay recognisable)
    tl = texture[..., 0].astype(np.float32)
    tl += texture[..., 1]
    tl += texture[..., 2]
    mean = max(float(tl.mean()), 3.0)
    gain = tl * np.float32(amount * 0.9 / mean) + np.float32(1.0 - amount)
    np.multiply(light, gain[:, :, None], out=t)
    # colour: a little of the texture's own hue where the light is strong
    t += texture * (lum[:, :, None] * np.float32(amount * 0.3 / 255.0))
    t *= np.float32(255.0)
    np.clip(t, 0.0, 255.0, out=t)
    out[...] = t
    return out


class GlowTexture:
    """The CPPN texture for the glow (worker thread) or its numpy fallback.

    Args:
        style: CPPN style name (:func:`models.catalog.list_styles`).
        cols / rows: texture size (the light field's grid).
        seed: seed of the CPPN field (the exhibit passes ``ctx.seed_for("city.glow")``).
        fallback: the plain texture ``(rows, cols, 3)`` uint8 (:func:`fallback_texture`),
            shown in safe mode or when the worker fails; never written into.
        fps: CPPN frames per second on the worker thread.
        use_model: False → fallback only (safe mode).
        device: torch device string.
        log: where the one fallback warning goes.
        inline: evaluate the CPPN in :meth:`advance` on the caller's clock instead of on a
            thread (renders, goldens, tests: repeatable frames).
    """

    def __init__(self, style: str, cols: int, rows: int, *, seed: int, fallback: np.ndarray,
                 fps: float, use_model: bool, device: str = "cpu",
                 log: logging.Logger | None = None, inline: bool = False):
        self.style, self.cols, self.rows = style, cols, rows
        self.inline = inline
        self.seed, self.fps, self.use_model, self.device = seed, fps, use_model, device
        self.log = log or logging.getLogger(__name__)
        self.worker = None
        if fallback.shape != (rows, cols, 3):
            raise ValueError(f"fallback texture {fallback.shape} is not ({rows}, {cols}, 3)")
        self._fallback = fallback
        self._warn_once = WarnOnce(self.log)
        self.t = 0.0

    @property
    def using_model(self) -> bool:
        return self.worker is not None and self.worker.error is None

    def start(self) -> None:
        if not self.use_model:
            self._warn("safe mode: the glow uses a plain texture instead of the CPPN")
            return
        try:
            from models.cppn import CPPNField
            from models.engine import CPPNWorker

            leave_a_core(self.device)  # a no-op if the kiosk already did it
            field = CPPNField(self.style, self.cols, self.rows, seed=self.seed,
                              device=self.device)
            self.worker = CPPNWorker(field, fps=self.fps, name="city-glow",
                                     inline=self.inline).start()
        except Exception as err:  # noqa: BLE001 - any model failure → the plain texture
            self.worker = None
            self._warn(f"glow model unavailable ({type(err).__name__}: {err}); plain texture")

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def _warn(self, msg: str) -> None:
        self._warn_once(msg, key="glow")  # one warning in all: why the plain texture shows

    def steer(self, visitors: list[tuple[str, float, float, float, float]]) -> None:
        """Visitors ``(id, x, y, vx, vy)`` (normalised, per second) bend the pattern."""
        if not self.using_model:
            return
        from models.cppn import Steer

        self.worker.steer([Steer(visitor_key(v), float(x), float(y), float(vx), float(vy))
                           for v, x, y, vx, vy in visitors])

    def advance(self, dt: float) -> None:
        """Fallback animation time; an inline worker ticks here (a threaded one keeps its own)."""
        self.t += dt
        if self.worker is not None:
            self.worker.advance(dt)

    def latest(self) -> tuple[np.ndarray, int]:
        """``(texture (rows, cols, 3) uint8, frame id)``; never waits."""
        if self.worker is not None:
            if self.worker.error is None:
                return self.worker.latest()
            self._warn(f"glow model stopped ({self.worker.error!r}); plain texture")
        # the fallback drifts by whole cells: a cheap roll, ~1 cell per second
        shift = int(self.t * 1.0) % self.cols
        return np.roll(self._fallback, shift, axis=1), -1 - shift
