"""City's glow pass: the worker thread makes the same glow as the inline path, off the render
thread, and a worker failure leaves the glow running inline."""

from __future__ import annotations

import contextlib
import logging

import numpy as np
import pygame

from exhibits.city.light import LightField
from exhibits.city.passes import GlowPass


class _Stages:
    def measure(self, name: str):
        return contextlib.nullcontext()


class _Spares:
    def take_spare(self, key, make):
        return make()

    def give_spare(self, key, obj) -> None:
        pass


class _Texture:
    """The glow texture: a fixed random pattern (what the CPPN worker would publish)."""

    def __init__(self, cols: int, rows: int) -> None:
        self.pixels = np.random.default_rng(3).integers(0, 256, (rows, cols, 3), dtype=np.uint8)

    def latest(self):
        return self.pixels, 0


SIZE, COLS, ROWS = (640, 360), 64, 36


def _lit_field() -> LightField:
    light = LightField(COLS, ROWS, radius=0.08, decay_s=4.0, trail_s=0.0, trail_strength=0.0)
    for x, y, c in ((0.3, 0.4, (1.0, 0.5, 0.2)), (0.55, 0.52, (0.2, 0.6, 1.0))):
        light.deposit(x, y, c)
    return light


def _draw(glow: GlowPass, steps: int) -> np.ndarray:
    screen = pygame.Surface(SIZE)
    glow.draw(screen, steps)
    return pygame.surfarray.array3d(screen).transpose(1, 0, 2)


def _settled(glow: GlowPass, steps: int) -> np.ndarray:
    """A frame after any upscale in flight has finished (the worker is waited for)."""
    if glow._job is not None:
        glow._job.exception(timeout=10)  # waits; a failure is the pass's to handle
    return _draw(glow, steps)


def test_the_worker_makes_the_inline_glow_off_the_render_thread(pygame_headless):
    light, texture = _lit_field(), _Texture(COLS, ROWS)
    inline = GlowPass(light, texture, SIZE, 0.6, _Stages(), _Spares(), inline=True)
    threaded = GlowPass(light, texture, SIZE, 0.6, _Stages(), _Spares(), inline=False)
    expected = _draw(inline, 0)  # inline: made and shown the same frame
    assert expected.max() > 100  # the field really is lit
    assert _draw(threaded, 0).max() == 0  # threaded: nothing until the worker is done
    got = _settled(threaded, 1)
    assert np.array_equal(got, expected)
    assert threaded._pool is not None  # it really ran on the worker
    # the light moves on: the worker's next glow follows it, still equal to the inline one
    light.clear()
    light.deposit(0.7, 0.7, (1.0, 1.0, 1.0))
    for steps in (2, 3, 4):
        now = _draw(inline, steps)
        _settled(threaded, steps)
    assert np.array_equal(_settled(threaded, 5), _draw(inline, 5))
    assert not np.array_equal(now, expected)
    threaded.release()
    assert threaded._pool is None


def test_a_failing_worker_leaves_the_glow_inline(pygame_headless, caplog):
    light, texture = _lit_field(), _Texture(COLS, ROWS)
    glow = GlowPass(light, texture, SIZE, 0.6, _Stages(), _Spares(), inline=False,
                    log=logging.getLogger("test.glow"))
    real = glow._upscale
    calls = []

    def broken_once(*args):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("upscale failed")
        return real(*args)

    glow._upscale = broken_once
    _draw(glow, 0)
    with caplog.at_level(logging.WARNING, "test.glow"):
        _settled(glow, 1)
    assert "upscaling inline" in caplog.text and glow.inline
    assert _draw(glow, 3).max() > 100  # inline from now on: the glow shows at once
