"""Resting patterns (NCACanvas ``rest_after``): a settled pattern is frozen and costs nothing until
damage to its living cells wakes it; the exhibits and eval_nca run the models this way."""

from __future__ import annotations

import logging

import numpy as np
import torch

from exhibits.city.pictograms import REACH, SLOT, Pictograms
from models.catalog import NCA_REST_AFTER, list_targets
from models.eval_nca import evaluate
from models.nca import NCACanvas
from tests.test_models_nca import random_model


def grown(rest_after=12, sparse=True, seed=3) -> NCACanvas:
    canvas = NCACanvas(random_model(), 96, 48, seed=seed, sparse=sparse, rest_after=rest_after)
    canvas.plant("3", 20, 24)
    canvas.step(6)
    canvas.plant("8", 70, 24)
    canvas.step(4)
    return canvas


def test_resting_canvas_equals_its_dense_reference_through_rest_and_wake():
    sparse, dense = grown(), grown(sparse=False)
    mask = np.zeros((48, 96), bool)
    mask[:, 60:72] = True
    for c in (sparse, dense):
        c.step(10)  # "3" rests at step 12, "8" keeps growing
        c.damage(mask)
        c.step(8)
    assert sparse.alive_count() > 20
    torch.testing.assert_close(sparse.x, dense.x, atol=1e-5, rtol=1e-5)


def test_a_settled_pattern_is_frozen_and_costs_nothing():
    canvas = grown()
    assert canvas.awake_patterns() == 2
    canvas.step(5)  # "3" has had its 12 steps, "8" only 9
    assert (canvas.awake_patterns(), canvas.resting_patterns()) == (1, 1)
    canvas.step(3)
    assert (canvas.awake_patterns(), canvas.resting_patterns()) == (0, 2)
    before, rng = canvas.x.clone(), canvas.generator.get_state()
    canvas.step(50)
    assert torch.equal(canvas.x, before)  # not one cell changed
    assert torch.equal(canvas.generator.get_state(), rng)  # nothing was even drawn
    assert canvas.steps == 68


def test_damage_wakes_only_the_pattern_that_lost_cells():
    canvas = grown()
    canvas.step(20)
    frozen = canvas.x.clone()
    empty = np.zeros((48, 96), bool)
    empty[0:2, 40:50] = True  # between the patterns: nothing living there
    canvas.damage(empty)
    assert canvas.awake_patterns() == 0
    hit = np.zeros((48, 96), bool)
    hit[:, 70:] = True  # the right half of the "8"
    canvas.damage(hit)
    assert (canvas.awake_patterns(), canvas.resting_patterns()) == (1, 1)
    canvas.step(5)
    assert torch.equal(canvas.x[:, :, :45], frozen[:, :, :45])  # the "3" did not move
    assert not torch.equal(canvas.x[:, :, 50:], frozen[:, :, 50:])  # the "8" is healing
    canvas.step(12)
    assert canvas.awake_patterns() == 0  # healed: resting again


def test_patterns_grow_only_inside_their_boxes_and_empty_ones_are_forgotten():
    canvas = NCACanvas(random_model(std=0.12), 96, 48, seed=0, rest_after=40, reach=6)
    canvas.plant("1", 20, 24)
    canvas.step(40)
    alive = (canvas.x[3] > canvas.threshold).numpy()
    assert alive.sum() > 0
    ys, xs = np.nonzero(alive)
    assert xs.min() >= 14 and xs.max() <= 26 and ys.min() >= 18 and ys.max() <= 30
    all_cells = np.ones((48, 96), bool)
    canvas.damage(all_cells)  # wakes it, with nothing left to heal from
    canvas.step(40)
    assert canvas.awake_patterns() + canvas.resting_patterns() == 0  # forgotten
    canvas.plant("2", 50, 24)
    canvas.clear()
    assert canvas.awake_patterns() + canvas.resting_patterns() == 0


def test_a_canvas_without_rest_is_unchanged():
    a = NCACanvas(random_model(), 64, 48, seed=2)
    assert not a.rests and a.awake_patterns() == 0
    a.plant("5", 30, 20)
    a.step(30)
    before = a.x.clone()
    a.step(1)
    assert not torch.equal(a.x, before)


def test_eval_measures_the_exhibits_resting_by_default():
    model = random_model()
    kw = dict(targets=["1"], trials=1, grow_steps=4, regrow_steps=4, stable_steps=30)
    res = evaluate(model, **kw)
    assert res["rest_after"] == NCA_REST_AFTER["digits"]
    short = evaluate(model, rest_after=6, **kw)
    never = evaluate(model, rest_after=None, **kw)
    assert short["rest_after"] == 6 and never["rest_after"] is None
    # resting after 6 steps, "stable" is the pattern as it was at step 6, not at step 30
    assert short["targets"]["1"]["stable"] != never["targets"]["1"]["stable"]


def test_city_pictograms_rest_in_boxes_that_fit_their_slots(tmp_path):
    kinds = list(list_targets("landmarks"))[:3]
    pics = Pictograms(kinds, use_model=True, weights=tmp_path / "none.pt", seed=1,
                      log=logging.getLogger("test"), inline=True,
                      model_factory=lambda: random_model("landmarks"))
    pics.start()
    try:
        canvas = pics.worker.canvas
        assert canvas.rests and canvas.reach == REACH and 2 * REACH + 1 < SLOT
        assert pics._gutter is None  # the boxes keep the slots apart
        pics.grow(1)
        for _ in range(int(NCA_REST_AFTER["landmarks"] / 48 * 60) + 30):
            pics.tick(1 / 60)
        assert canvas.resting_patterns() == 1 and canvas.awake_patterns() == 0
        alive = (canvas.x[3] > canvas.threshold).numpy()
        assert alive[:, :SLOT].sum() == 0 and alive[:, 2 * SLOT:].sum() == 0  # stayed in its slot
    finally:
        pics.stop()


def test_a_resting_canvas_publishes_no_new_frames():
    from models.engine import NCAWorker

    canvas = NCACanvas(random_model(), 64, 48, seed=0, rest_after=8)
    worker = NCAWorker(canvas, steps_per_s=48.0, steps_per_tick=2, inline=True).start()
    worker.plant("4", 30, 24)
    worker.advance(0.25)  # 6 ticks, 12 steps: grown for 8 and resting
    _, seq = worker.latest()
    worker.advance(1.0)
    assert worker.latest()[1] == seq  # the drawing side's caches keyed on it hold
    worker.damage(np.ones((48, 64), bool))
    worker.advance(1 / 24)
    assert worker.latest()[1] == seq + 1
