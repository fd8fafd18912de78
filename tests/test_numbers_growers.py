"""Numbers' growers: safe mode and missing weights fall back to plain glyphs; the NCA path (a
randomly initialised model) plants, erases and re-seeds; threaded workers start, answer and stop.
"""

from __future__ import annotations

import logging
import time

from test_numbers import after, settings, tap, visitor_digits

from runtime.events import VisitorEvent


def test_safe_mode_loads_no_models_and_still_grows_by_touch():
    ex, _, kiosk = after(tap(1.5, (0.3, 0.3)), seconds=4.0, kiosk_kw={"safe_mode": True},
                       weights=None)
    assert ex.planting.kind == "glyphs" and ex.background.worker is None
    assert ex.background.still is not None
    assert visitor_digits(ex)[0].alive_cells > 100


def test_missing_weights_fall_back_with_one_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        ex, _, _ = after(tap(1.5, (0.3, 0.3)), seconds=2.0, weights=tmp_path / "none.pt")
    warnings = [r for r in caplog.records if "weights" in r.getMessage()]
    assert ex.planting.kind == "glyphs" and len(warnings) == 1


def random_nca():
    import torch

    from models.nca import NCA, NCAConfig

    return NCA(NCAConfig(targets=tuple("0123456789")), torch.Generator().manual_seed(0))


def test_nca_path_plants_the_right_codes_and_regrows_a_wiped_digit(tmp_path):
    """A randomly initialised NCA ("do nothing" update: every pattern is its seed cell) goes
    through the real NCACanvas: plants, damage and re-seeding; quality needs trained weights."""
    model = random_nca()
    path = tmp_path / "nca_digits.pt"
    model.save(path)
    drag = [VisitorEvent("enter", "touch:7", "touch", (0.05, 0.9), t=3.0)]
    for i in range(1, 31):
        drag.append(VisitorEvent("move", "touch:7", "touch", (0.05 + i * 0.03, 0.42 + 0.001 * i),
                                 (0.03, 0.0), t=3 + i / 60))
    drag.append(VisitorEvent("leave", "touch:7", "touch", (0.95, 0.42), t=3.6))
    ex, _, _ = after(tap(1.5, (0.3, 0.3)) + drag, seconds=3.55, weights=path)
    assert ex.planting.kind == "nca"
    canvas = ex.final_garden.source
    digits = ex.planting.digits
    for d in digits:
        if d.cy == digits[0].cy:  # the two digits on the drag's line were erased
            assert float(canvas.x[3, d.cy, d.cx]) == 0.0
    seed = digits[2]
    cell = canvas.x[:, seed.cy, seed.cx]
    assert canvas.model.target_of(cell) == seed.value and float(cell[3]) == 1.0
    ex, _, _ = after(tap(1.5, (0.3, 0.3)) + drag, seconds=5.5, weights=path)
    canvas = ex.final_garden.source
    assert all(float(canvas.x[3, d.cy, d.cx]) == 1.0 for d in ex.planting.digits)  # re-seeded


def test_threaded_nca_and_field_workers_start_answer_and_stop():
    from exhibits.numbers.exhibit import NumbersExhibit
    from runtime.assets import Assets
    from runtime.exhibit import ExhibitContext
    from runtime.timing import FrameStats, StageTimer

    ctx = ExhibitContext((320, 180), 60, Assets(), 0, "cpu", StageTimer(), FrameStats(),
                         time.perf_counter, logging.getLogger("t"))
    ex = NumbersExhibit(ctx, settings(), model=random_nca(), threaded=True, cppn_width=32)
    ex.enter()
    garden = ex.planting.garden
    try:
        assert garden.worker.running and ex.background.worker.running
        d = ex._plant((60, 40), by_visitor=True, planter="")
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            frame, _ = garden.latest()
            if frame[d.cy, d.cx, 3] > 200:
                break
            time.sleep(0.02)
        assert frame[d.cy, d.cx, 3] > 200
    finally:
        ex.leave()
    assert ex.planting.garden is None and not garden.worker.running


def test_a_digit_left_too_small_to_heal_is_cleared_and_grows_again_from_its_seed():
    """Most of a grown digit kept erased (a remnant the grower cannot heal from, as an NCA's
    small remnant may rest as a blob): after STUNTED_RESEED_S it is cleared and re-seeded, and
    grows whole again."""
    import numpy as np
    from test_numbers import numbers

    from exhibits.numbers.planting import STUNTED, STUNTED_RESEED_S

    with numbers(tap(1.5, (0.3, 0.3))) as pilot:
        pilot.advance_to(4.0)
        planting = pilot.exhibit.planting
        (d,) = visitor_digits(pilot.exhibit)
        x0, y0, x1, y1 = d.box
        mask = np.zeros(planting.garden.shape, bool)
        mask[y0 + (y1 - y0) // 4:y1, x0:x1] = True  # all but the top quarter, every frame
        start = pilot.now
        while pilot.now < start + STUNTED_RESEED_S + 1.0 and d.flash_t < start:
            planting.garden.damage(mask)
            pilot.frame()
        assert start + STUNTED_RESEED_S - 0.1 <= d.flash_t <= start + STUNTED_RESEED_S + 1.0
        assert d.alive_cells < STUNTED * planting._glyph_cells(d.value)
        pilot.run(4.0)  # nothing erases it now: it grows back from its seed
        assert d.alive_cells >= 0.8 * planting._glyph_cells(d.value)
        assert d.stunted_since is None
