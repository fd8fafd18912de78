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
