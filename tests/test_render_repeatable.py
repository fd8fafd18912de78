"""``kiosk.py render`` is repeatable for a seed, for every registered exhibit (the README's
promise): two renders with the same config and simulated visitors write identical frames. Models
step inline on the render's fake clock (``ctx.inline_models``), never on worker threads."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pygame
import pytest

from runtime.config import default_config
from runtime.headless import render
from runtime.registry import require


def frames(tmp: Path, name: str, seed: int) -> list[np.ndarray]:
    cfg = default_config()
    cfg = replace(cfg, runtime=replace(cfg.runtime, seed=seed),
                  audio=replace(cfg.audio, enabled=False))
    out = tmp / f"{name}-{seed}-{len(list(tmp.iterdir()))}"
    n = render(cfg, name, seconds=2.0, size=(320, 180), out=out, visitors="sim", fps=20,
               log=lambda *a: None)
    shots = sorted(out.glob("*.png"))
    assert len(shots) == n == 40
    return [pygame.surfarray.array3d(pygame.image.load(str(p))) for p in shots[::8]]


@pytest.mark.parametrize("name", sorted(require()))
def test_two_renders_with_the_same_seed_are_identical(tmp_path, name, pygame_headless):
    first, again = frames(tmp_path, name, 7), frames(tmp_path, name, 7)
    for i, (a, b) in enumerate(zip(first, again, strict=True)):
        assert np.array_equal(a, b), f"{name}: frame {i * 8} differs between two renders"
    assert any(a.std() > 1 for a in first), f"{name}: the render is blank"
