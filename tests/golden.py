"""Golden-image comparison (the Manim/Arcade way): small frames, a tolerance, a diff on failure.

A frame passes when fewer than ``max_bad_fraction`` of its pixels differ by more than
``pixel_tolerance`` (any channel, 0..255). A missing golden fails. On failure ``actual.png`` and
an amplified ``diff.png`` are written under ``tests/goldens/_failures/`` for a person to look at;
``pytest --update-goldens`` rewrites the goldens (look at them before committing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

GOLDENS = Path(__file__).resolve().parent / "goldens"
FAILURES = GOLDENS / "_failures"


def _save(path: Path, rgb: np.ndarray) -> None:
    import pygame

    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(pygame.surfarray.make_surface(rgb.transpose(1, 0, 2)), str(path))


def _load(path: Path) -> np.ndarray:
    import pygame

    return pygame.surfarray.array3d(pygame.image.load(str(path))).transpose(1, 0, 2)


def assert_matches_golden(name: str, rgb: np.ndarray, update: bool, *,
                          pixel_tolerance: int = 24, max_bad_fraction: float = 0.002) -> None:
    """Compare an (H, W, 3) uint8 frame with ``tests/goldens/NAME.png``."""
    golden = GOLDENS / f"{name}.png"
    if update:
        _save(golden, rgb)
        return
    if not golden.exists():
        _save(FAILURES / f"{name}.actual.png", rgb)
        pytest.fail(f"golden {golden.name} missing; actual written to {FAILURES}; "
                    "run pytest --update-goldens and look at it before committing")
    expected = _load(golden)
    if expected.shape != rgb.shape:
        pytest.fail(f"{name}: size {rgb.shape} differs from golden {expected.shape}")
    diff = np.abs(expected.astype(np.int16) - rgb.astype(np.int16)).max(axis=2)
    bad = float((diff > pixel_tolerance).mean())
    if bad > max_bad_fraction:
        _save(FAILURES / f"{name}.actual.png", rgb)
        amplified = np.clip(diff * 8, 0, 255).astype(np.uint8)
        _save(FAILURES / f"{name}.diff.png", np.repeat(amplified[:, :, None], 3, axis=2))
        pytest.fail(f"{name}: {bad:.3%} of pixels differ by more than {pixel_tolerance} "
                    f"(allowed {max_bad_fraction:.3%}); see {FAILURES}")
