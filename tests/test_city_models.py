"""City: the models' code paths (CPPN glow worker, landmarks NCA pictograms) with untrained
weights, repeatable renders with the models live, the drawn fallback, trained weights."""

from __future__ import annotations

import numpy as np
import pytest
from city_pilot import ACC, city, landmark_pos


def random_nca_weights(tmp_path, monkeypatch):
    """Untrained landmarks NCA weights saved like the real ones, and the catalog pointed at them."""
    import torch

    import models.catalog
    from models.nca import NCA, NCAConfig

    path = tmp_path / "nca_landmarks.pt"
    model = NCA(NCAConfig(targets=models.catalog.list_targets("landmarks")),
                generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.w2.weight.normal_(0, 0.02, generator=torch.Generator().manual_seed(1))
    model.save(path)
    real = models.catalog.weights_path
    monkeypatch.setattr(models.catalog, "weights_path",
                        lambda name: path if name == "landmarks" else real(name))
    return path


def test_the_model_paths_run_with_untrained_weights(tmp_path, monkeypatch, pygame_headless):
    """CPPN glow worker + landmarks NCA worker: the exhibit's real code path, without training."""
    import time

    random_nca_weights(tmp_path, monkeypatch)
    with city(safe_mode=False) as pilot:
        ex = pilot.exhibit
        assert ex.glow.using_model and ex.pictos.alive
        assert ex.pictos.grows(ACC)
        pilot.advance_to(0.1)
        pilot.tap(landmark_pos(ACC))
        deadline = time.perf_counter() + 5.0
        while ex.pictos.worker.ticks < 12 and time.perf_counter() < deadline:
            pilot.frame()
            time.sleep(0.01)
        atlas, fid = ex.pictos.latest_rgba()
        assert atlas.shape == (44, 44 * 7, 4)
        assert ex.badge_pass.icon(ACC, 1.0) is not None  # the NCA's frame, scaled to the icon
        texture, tid = ex.glow.latest()
        assert texture.shape == (ex.light.rows, ex.light.cols, 3) and tid >= 1
        assert ex.glow.worker.error is None and ex.pictos.worker.error is None
        pilot.run(0.5)
    assert ex.glow.worker is None and ex.pictos.worker is None  # leave() stopped both threads


def test_renders_with_the_models_are_repeatable(tmp_path, monkeypatch, pygame_headless):
    """On the simulated clock the CPPN glow and the landmarks NCA step inline: two runs with one
    seed give identical frames, with the model paths live (not only safe mode)."""
    random_nca_weights(tmp_path, monkeypatch)
    frames = []
    for _ in range(2):
        with city(safe_mode=False) as pilot:
            ex = pilot.exhibit
            assert ex.glow.using_model and ex.pictos.alive
            assert ex.glow.worker.inline and ex.pictos.worker.inline
            pilot.advance_to(0.1)
            pilot.tap(landmark_pos(ACC))
            pilot.advance_to(1.5)
            assert ex.pictos.worker.ticks >= 30  # 24 ticks/s of 2 steps, on the fake clock
            frames.append(pilot.screenshot())
    assert np.array_equal(frames[0], frames[1])


def test_without_weights_the_pictograms_are_drawn(tmp_path, monkeypatch, pygame_headless, caplog):
    import models.catalog

    monkeypatch.setattr(models.catalog, "weights_path", lambda name: tmp_path / "missing.pt")
    with city(safe_mode=False) as pilot:
        ex = pilot.exhibit
        assert not ex.pictos.grows(ACC)
        pilot.advance_to(0.1)
        pilot.tap(landmark_pos(ACC))
        pilot.advance_to(2.0)
        icon = ex.badge_pass.icon(ACC, 1.0)
        assert icon.get_width() == ex.icon_px
    warnings = [r for r in caplog.records if "weights" in r.getMessage()]
    assert len(warnings) == 1


def test_trained_landmark_weights_grow_the_pictograms():
    from models.catalog import weights_path

    path = weights_path("landmarks")
    if not path.is_file():
        pytest.skip(f"trained weights {path.name} not shipped (no training run has met "
                    "eval_nca's quality bar yet; issue 15)")
    import torch

    from models.nca import NCA, NCACanvas

    canvas = NCACanvas(NCA.load(path), 44, 44, seed=0)
    canvas.plant("mountain", 22, 22)
    with torch.inference_mode():
        canvas.step(96)
    assert canvas.alive_count() > 150  # a 32-cell pictogram, not a lone seed
