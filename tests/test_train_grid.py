"""A model may continue training on a wider grid, and is judged on the same 40-cell window.

Why: on the 40-cell training grid the grid's edge stops a pattern, which the open canvas does not
(measured on the landmarks weights at 3,500 iterations: 796 living cells after 500 steps on the
40 grid, 1,575 on a 72 grid). A wider grid lets the loss see that growth; the bar stays the
issue's 40×40 window whatever grid the weights were trained on.
"""

import numpy as np
import torch

from models.eval_nca import WINDOW, evaluate, to_window
from models.nca import NCA, NCAConfig
from models.train_nca import TrainConfig, train


def tiny(**kw) -> TrainConfig:
    base = dict(targets="digits", seed=7, iterations=1, batch=2, pool=8, steps_min=4,
                steps_max=6, damage_after=1, damage_n=1)
    return TrainConfig(**{**base, **kw})


def test_training_continues_from_a_narrower_grid_and_records_it(tmp_path):
    torch.set_num_threads(1)
    dev = torch.device("cpu")
    train(tiny(), tmp_path / "g40.pt", tmp_path / "g40.ckpt", dev, False, run_eval=False)
    prov = train(tiny(grid=48), tmp_path / "g48.pt", tmp_path / "g48.ckpt", dev, False,
                 run_eval=False, init=tmp_path / "g40.pt")
    assert prov["init_from"]["grid"] == 40 and prov["config"]["grid"] == 48
    assert NCA.load(tmp_path / "g48.pt").config.grid == 48
    assert prov["total_iterations"] == 2  # the chain counts both runs


def test_a_model_trained_on_a_wider_grid_is_judged_on_the_same_window():
    keys = tuple(str(d) for d in range(10))
    a = NCA(NCAConfig(targets=keys, grid=40))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # cells that do change (the shipped init is "do nothing")
        for p in a.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.08)
    b = NCA(NCAConfig(targets=keys, grid=56))
    b.load_state_dict(a.state_dict())
    run = dict(targets=["1"], trials=1, grow_steps=2, regrow_steps=2, stable_steps=4)
    ra, rb = evaluate(a, **run), evaluate(b, **run)
    assert ra["window"] == rb["window"] == WINDOW and rb["training_grid"] == 56
    assert ra["targets"]["1"]["bar"] == rb["targets"]["1"]["bar"]
    assert ra["targets"]["1"]["grow"] == rb["targets"]["1"]["grow"]  # same weights, same canvas


def test_targets_are_cropped_or_padded_about_the_centre():
    t = np.zeros((1, 4, 56, 56), np.float32)
    t[0, :, 20:36, 20:36] = 1.0
    w = to_window(t)
    assert w.shape == (1, 4, WINDOW, WINDOW) and w.sum() == t.sum()
    assert np.array_equal(to_window(w, 56), t)
