"""CPPN field: shapes, determinism, named styles, steering that is visible but never pops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.catalog import list_styles
from models.cppn import STYLES, CPPNField, Steer


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_styles_match_catalog():
    assert tuple(STYLES) == list_styles()
    with pytest.raises(KeyError, match="known"):
        CPPNField("plaid", 16, 9)


@pytest.mark.parametrize("style", list_styles())
def test_frame_shape_and_content(style):
    f = CPPNField(style, 64, 36)
    img = f.frame()
    assert img.shape == (36, 64, 3) and img.dtype == np.uint8
    assert img.std() > 2.0  # a pattern, not a flat colour


def test_deterministic_for_a_seed_and_styles_differ():
    a, b, c = CPPNField("aurora", 64, 36, seed=1), CPPNField("aurora", 64, 36, seed=1), \
        CPPNField("aurora", 64, 36, seed=2)
    for f in (a, b, c):
        f.steer([Steer(4, 0.2, 0.3, 0.5, 0.0)])
        f.advance(0.5)
    assert np.array_equal(a.frame(), b.frame())
    assert not np.array_equal(a.frame(), c.frame())
    assert not np.array_equal(a.frame(), CPPNField("ember", 64, 36, seed=1).frame())


def test_visitors_steer_smoothly_without_popping():
    dt = 1 / 30
    f, calm = CPPNField("tide", 160, 90), CPPNField("tide", 160, 90)
    f.advance(dt), calm.advance(dt)
    prev = f.frame().astype(np.int16)
    f.steer([Steer(1, 0.5, 0.5, 0.3, 0.0), Steer(2, 0.2, 0.8)])  # two visitors arrive at once
    worst = 0.0
    for _ in range(90):  # 3 s
        f.advance(dt), calm.advance(dt)
        cur = f.frame().astype(np.int16)
        worst = max(worst, float(np.abs(cur - prev).mean()))
        prev = cur
    assert worst < 3.0, f"a frame changed by {worst:.1f} levels on average: popping"
    near = np.abs(prev - calm.frame().astype(np.int16))[30:60, 65:95]  # around visitor 1
    assert near.mean() > 5.0, "visitors had no visible effect"
    f.steer([])  # everyone leaves: the bumps fade out and are dropped
    for _ in range(200):
        f.advance(dt)
    assert not f._slots
