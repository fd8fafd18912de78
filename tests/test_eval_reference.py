"""eval_nca's reference: what a reproduction exactly one cell soft scores on the bar's measures.

The figures in issue 14/15's notes come from ``python -m models.eval_nca --reference MODEL``;
these tests pin the computation on shapes whose answer is known by hand.
"""

import numpy as np
import pytest

from models.eval_nca import blur_bars, main, reference


def squares(sides: list[int], grid: int = 40) -> np.ndarray:
    """(K, 4, grid, grid) opaque white squares of the given sides, centred (premultiplied)."""
    out = np.zeros((len(sides), 4, grid, grid), np.float32)
    for k, side in enumerate(sides):
        a = (grid - side) // 2
        out[k, :, a:a + side, a:a + side] = 1.0
    return out


def test_the_reference_sits_on_the_grow_bar_and_counts_its_soft_rim_as_living():
    win = squares([10, 20])
    rows = reference(win, sigma=1.0)
    bars = blur_bars(win)
    for r, bar in zip(rows, bars, strict=True):
        assert r["grow"] == pytest.approx(bar, rel=1e-5)  # the bar is this image's own MSE
    # A σ = 1 blur of a hard edge keeps alpha > 0.1 one cell outside the edge (0.31 at half a
    # cell, 0.07 at one and a half), except at the four diagonal corners (0.31² = 0.096): a
    # side-s square lives on (s + 2)² - 4 cells.
    assert rows[0]["living"] == pytest.approx((12 ** 2 - 4) / 10 ** 2)
    assert rows[1]["living"] == pytest.approx((22 ** 2 - 4) / 20 ** 2)
    # two squares of different sizes stay distinct when one cell soft
    assert rows[0]["distinct"] < 0.5 and rows[1]["distinct"] < 0.5


def test_no_blur_is_a_perfect_reproduction():
    rows = reference(squares([10, 20]), sigma=1e-6)
    assert [r["grow"] for r in rows] == [0.0, 0.0]
    assert [r["living"] for r in rows] == [1.0, 1.0]


def test_the_command_reports_whether_the_shipped_targets_reference_is_within_the_limits(capsys):
    rc = main(["--reference", "digits"])
    out = capsys.readouterr().out
    assert "σ = 1" in out and out.count("\n") >= 12  # a header, a limits line and ten digits
    # exit 0 only when every target's one-cell-soft reproduction is within every limit
    assert rc == (0 if "no:" not in out else 1)
