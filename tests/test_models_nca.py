"""NCA model, sparse canvas, training determinism and (on shipped weights) the quality subset."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import torch

from models.catalog import list_targets, weights_path
from models.eval_nca import (
    LIMITS,
    SHIP_CHECK,
    TESTS,
    TRIALS,
    WINDOW,
    blur_bars,
    evaluate,
    shift_mse,
    window_targets,
)
from models.nca import NCA, NCACanvas, NCAConfig
from models.train_nca import TrainConfig, batch_order, padded_targets, provenance_path, train


def random_model(name: str = "digits", seed: int = 0, std: float = 0.08) -> NCA:
    """An untrained model whose cells do change (the shipped init is 'do nothing')."""
    model = NCA(NCAConfig(targets=list_targets(name)))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * std)
    return model.eval()


def shipped(name: str) -> NCA:
    path = weights_path(name)
    if not path.is_file():
        pytest.skip(f"shipped weights {path} absent (none has met the quality bar yet); "
                    "train and ship: make train && make ship-models")
    return NCA.load(path)


def test_shapes_and_size():
    model = NCA(NCAConfig(targets=list_targets("digits")))
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 48 * 192 + 192 + 192 * 12  # 11,712: hidden 192, RGBA + 8 free channels
    x = model.seed(torch.tensor([3, 7]), 40)
    assert x.shape == (2, 16, 40, 40)
    assert x[0, 3].sum() == 1.0  # one seed cell, and it carries its target's genome code
    assert model.target_of(x[0, :, 20, 20]) == 3 and model.target_of(x[1, :, 20, 20]) == 7
    assert model.target_of(x[0, :, 0, 0]) is None
    y = model(x, 5, torch.Generator().manual_seed(0))
    assert y.shape == x.shape


def test_step_is_deterministic_for_a_seed():
    model = random_model()
    x = model.seed(torch.arange(4), 40)
    a = model(x, 20, torch.Generator().manual_seed(5))
    b = model(x, 20, torch.Generator().manual_seed(5))
    c = model(x, 20, torch.Generator().manual_seed(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_sparse_canvas_equals_dense_reference():
    model = random_model()
    sparse = NCACanvas(model, 64, 48, seed=3)
    dense = NCACanvas(model, 64, 48, seed=3, sparse=False)
    for c in (sparse, dense):
        c.plant("3", 10, 10)
        c.plant("8", 40, 30)
        c.plant("1", 63, 47)  # corner: neighbours fall off the grid
        c.step(25)
    assert sparse.alive_count() > 3
    torch.testing.assert_close(sparse.x, dense.x, atol=1e-5, rtol=1e-5)


def test_living_cell_step_equals_dense_step_states_and_gradients():
    """Updating only living, firing cells (training) is the same math as the dense step."""
    torch.set_num_threads(1)
    model = random_model(std=0.05)
    _, targets = padded_targets("digits", 32, 40)
    ks = torch.tensor([0, 4, 8])
    with torch.no_grad():
        x0 = model(model.seed(ks, 40), 12, torch.Generator().manual_seed(0))
    results = []
    for living in (False, True):
        model.zero_grad()
        y = model(x0, 10, torch.Generator().manual_seed(1), living=living)
        ((y[:, :4] - targets[ks]) ** 2).mean().backward()
        results.append((y.detach(), [p.grad.clone() for p in model.parameters()]))
    (dense, g_dense), (living, g_living) = results
    assert 10 < int((dense[:, 3] > 0.1).sum()) < dense[:, 3].numel()  # some, not all, alive
    torch.testing.assert_close(living, dense, atol=1e-6, rtol=1e-5)
    for a, b in zip(g_dense, g_living, strict=True):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-4)


def test_genome_is_inherited_by_new_cells_and_kept_by_established_ones():
    """Two living blocks with different codes, one empty cell between them: established cells keep
    their code, the cell between gets both (bitwise OR), a cell next to nothing living gets none."""
    model = random_model()
    free = model.config.free
    x = torch.zeros(1, 16, 5, 9)
    x[0, 3, :, 0:4] = 1.0
    x[0, free:, :, 0:4] = model.codes[0, :, None, None]  # target "0": code 0b0001
    x[0, 3, :, 5:9] = 1.0
    x[0, free:, :, 5:9] = model.codes[5, :, None, None]  # target "5": code 0b0110
    x[0, 3, 2, 8] = 0.05  # a cell too faint to pass its code on
    g = model.inherit_genome(x)[0]
    assert model.target_of(torch.cat([x[0, :free, 2, 1], g[:, 2, 1]])) == 0
    assert model.target_of(torch.cat([x[0, :free, 2, 7], g[:, 2, 7]])) == 5
    assert g[:, 2, 4].tolist() == [1.0, 1.0, 1.0, 0.0]  # born between them: 0b0111
    y = torch.zeros(1, 16, 5, 5)
    y[0, 3, 2, 2] = 0.05
    y[0, free:, 2, 2] = model.codes[3]
    assert float(model.inherit_genome(y)[0, :, 2, 1].abs().sum()) == 0.0  # faint cell: no heir


def test_canvas_api():
    model = random_model()
    canvas = NCACanvas(model, 32, 24, seed=0)
    with pytest.raises(KeyError, match="known"):
        canvas.plant("x", 1, 1)
    with pytest.raises(ValueError, match="outside"):
        canvas.plant("1", 32, 0)
    canvas.plant("1", 16, 12)
    canvas.step(3)
    img = canvas.rgba_uint8()
    assert img.shape == (24, 32, 4) and img.dtype == np.uint8
    assert img[..., 3].max() > 0
    mask = np.zeros((24, 32), bool)
    mask[:, :] = True
    canvas.damage(mask)
    assert canvas.alive_count() == 0
    with pytest.raises(ValueError, match="shape"):
        canvas.damage(np.zeros((5, 5)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cpu_and_cuda_agree():
    model = random_model()
    x = model.seed(torch.arange(4), 40)
    cpu = model(x, 30, torch.Generator().manual_seed(0), fire_rate=1.0)
    gpu_model = random_model().cuda()
    gpu = gpu_model(x.cuda(), 30, torch.Generator("cuda").manual_seed(0), fire_rate=1.0)
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-3, rtol=1e-3)
    canvas_c = NCACanvas(model, 64, 48)
    canvas_g = NCACanvas(random_model(), 64, 48, device="cuda")
    for c in (canvas_c, canvas_g):
        c.fire_rate = 1.0
        c.plant("5", 30, 20)
        c.step(20)
    torch.testing.assert_close(canvas_g.x.cpu(), canvas_c.x, atol=1e-3, rtol=1e-3)


def tiny_config(**kw) -> TrainConfig:
    base = dict(targets="digits", seed=7, iterations=4, batch=2, pool=8, steps_min=4,
                steps_max=6, damage_after=1, damage_n=1)
    base.update(kw)
    return TrainConfig(**base)


def test_training_is_deterministic_and_resumable(tmp_path):
    torch.set_num_threads(1)
    cfg = tiny_config()
    dev = torch.device("cpu")
    prov = train(cfg, tmp_path / "a.pt", tmp_path / "a.ckpt", dev, False, ckpt_every=2,
                 run_eval=False)
    assert provenance_path(tmp_path / "a.pt").is_file()
    assert prov["seed"] == 7 and prov["config"]["iterations"] == 4
    assert set(prov["per_target_loss_ema"]) == set(list_targets("digits"))
    assert "snapshot_at" not in prov
    # the checkpoint's weights (after iteration 2) carry their own provenance
    snap = json.loads(provenance_path(tmp_path / "a.weights.pt").read_text())
    assert snap["snapshot_at"] == 2 and snap["total_iterations"] == 2
    assert len(snap["loss_every_100"]) == 1 and snap["seed"] == 7
    train(cfg, tmp_path / "b.pt", tmp_path / "b.ckpt", dev, False, ckpt_every=100,
          run_eval=False)
    shutil.copy(tmp_path / "a.ckpt", tmp_path / "c.ckpt")  # state after iteration 2
    train(cfg, tmp_path / "c.pt", tmp_path / "c.ckpt", dev, True, ckpt_every=100,
          run_eval=False)
    sd = [NCA.load(tmp_path / f"{n}.pt").state_dict() for n in "abc"]
    for k in sd[0]:
        assert torch.equal(sd[0][k], sd[1][k]), f"not deterministic: {k}"
        assert torch.equal(sd[0][k], sd[2][k]), f"resume differs: {k}"


def test_hard_cuts_aim_at_the_directions_a_target_regrows_worst(tmp_path):
    """``cut_angles`` draws sectors in proportion to how badly each was regrown (plus a uniform
    share); given angles erase that side; training with ``hard_cuts`` learns per-sector losses,
    keeps them across a resume and reports them in the provenance."""
    from models.train_nca import CUT_SECTORS, cut_angles, damage_masks

    g = torch.Generator().manual_seed(0)
    cut_ema = torch.ones(2, CUT_SECTORS)
    cut_ema[1, 5] = 20.0  # target 1 regrows badly when cut from sector 5
    sectors, angles = cut_angles(torch.tensor([0, 1] * 2000), cut_ema, g)
    share = [(sectors[i::2] == 5).float().mean().item() for i in (0, 1)]
    assert abs(share[0] - 1 / CUT_SECTORS) < 0.02  # a target with nothing known: uniform
    w = 0.75 * 20 / (20 + 15) + 0.25 / CUT_SECTORS  # 0.44
    assert abs(share[1] - w) < 0.03
    lo = sectors.float() * 2 * math.pi / CUT_SECTORS
    assert bool(((angles >= lo) & (angles < lo + 2 * math.pi / CUT_SECTORS)).all())
    # the +x side erased at angle 0, the +y side at pi/2; NaN: drawn as before (a circle here)
    keep = damage_masks(3, 40, 32, g, torch.device("cpu"), half_planes=0.0,
                        angles=torch.tensor([0.0, math.pi / 2, float("nan")]))
    assert keep[0, 0, 20, 35] == 0 and keep[0, 0, 20, 4] == 1
    assert keep[1, 0, 35, 20] == 0 and keep[1, 0, 4, 20] == 1
    erased = (keep[2, 0] == 0).float().mean()
    assert 0 < erased < 0.4  # a circle, not a half
    torch.set_num_threads(1)
    dev = torch.device("cpu")
    cfg = tiny_config(iterations=6, batch=4, damage_after=0, damage_n=2, hard_cuts=1.0)
    train(cfg, tmp_path / "a.pt", tmp_path / "a.ckpt", dev, False, ckpt_every=3,
          run_eval=False)
    blob = torch.load(tmp_path / "a.ckpt", weights_only=False)
    assert blob["cut_ema"].shape == (10, CUT_SECTORS)
    assert int((blob["cut_ema"] != 1.0).sum()) >= 2  # cuts were made and measured
    prov = train(cfg, tmp_path / "b.pt", tmp_path / "a.ckpt", dev, True, run_eval=False)
    assert len(prov["cut_loss_by_sector"]["0"]) == CUT_SECTORS


def test_more_fresh_seeds_per_batch_and_checkpoints_from_before_the_option(tmp_path):
    from models.train_nca import damage_masks

    g = torch.Generator().manual_seed(0)
    halves = damage_masks(6, 40, 32, g, torch.device("cpu"), half_planes=1.0)
    erased = (halves[:, 0] == 0).float().mean(dim=(1, 2))
    assert bool(((erased > 0.3) & (erased < 0.7)).all())  # every one a half-plane near the centre
    torch.set_num_threads(1)
    dev = torch.device("cpu")
    cfg = tiny_config(batch=4, seeds=3, damage_n=3, half_planes=1.0)
    train(cfg, tmp_path / "s.pt", tmp_path / "s.ckpt", dev, False, ckpt_every=2, run_eval=False)
    assert NCA.load(tmp_path / "s.pt").w2.weight.abs().sum() > 0  # it trained
    # a checkpoint written before ``seeds`` and ``half_planes`` existed resumes (with defaults)
    old = tiny_config()
    train(old, tmp_path / "o.pt", tmp_path / "o.ckpt", dev, False, ckpt_every=2, run_eval=False)
    blob = torch.load(tmp_path / "o.ckpt", weights_only=False)
    del blob["config"]["seeds"], blob["config"]["half_planes"]
    torch.save(blob, tmp_path / "o.ckpt")
    prov = train(old, tmp_path / "r.pt", tmp_path / "o.ckpt", dev, True, run_eval=False)
    assert prov["config"]["iterations"] == 4


def test_a_max_age_keeps_the_pool_young(tmp_path):
    torch.set_num_threads(1)
    dev = torch.device("cpu")
    # pool 8 = batch 8: every sample runs every iteration, so ages are exact
    cfg = tiny_config(iterations=6, batch=8, pool=8, seeds=1, max_age=10)
    train(cfg, tmp_path / "y.pt", tmp_path / "y.ckpt", dev, False, ckpt_every=3, run_eval=False)
    blob = torch.load(tmp_path / "y.ckpt", weights_only=False)  # after iteration 3
    ages = blob["pool_age"]
    assert int(ages.max()) < 10 + cfg.steps_max  # past 10 steps a sample is reseeded
    assert int(ages.min()) >= cfg.steps_min  # every sample ran this iteration
    forever = tiny_config(iterations=6, batch=8, pool=8, seeds=1)
    train(forever, tmp_path / "f.pt", tmp_path / "f.ckpt", dev, False, ckpt_every=3,
          run_eval=False)
    assert int(torch.load(tmp_path / "f.ckpt", weights_only=False)["pool_age"].max()) >= 3 * 4
    # a checkpoint from before ages were kept resumes
    del blob["pool_age"]
    torch.save(blob, tmp_path / "y.ckpt")
    assert train(cfg, tmp_path / "z.pt", tmp_path / "y.ckpt", dev, True,
                 run_eval=False)["config"]["max_age"] == 10


def test_ranking_by_target_damages_every_targets_mature_samples(tmp_path):
    """Target 1 is twice as hard as target 0 (every sample's loss is twice as high). Ranked by
    raw loss, the three best of a batch (the ones damaged) are always target 0's; ranked against
    each target's running loss, each target's most mature samples are damaged."""
    per = torch.tensor([0.010, 0.011, 0.012, 0.013, 0.0205, 0.0225, 0.024, 0.026])
    bk = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    ema = torch.tensor([0.0115, 0.023])
    young = torch.zeros(8, dtype=torch.bool)
    raw = batch_order(per, bk, ema, young, by_target=False)
    assert sorted(bk[raw[-3:]].tolist()) == [0, 0, 0]
    fair = batch_order(per, bk, ema, young, by_target=True)
    assert sorted(bk[fair[-3:]].tolist()) == [0, 0, 1] and int(fair[-1]) == 0
    assert set(bk[fair[:2]].tolist()) == {0, 1}  # and each target's worst is reseeded
    # samples past their age still come first, whatever the ranking
    old = torch.zeros(8, dtype=torch.bool)
    old[0] = True
    assert int(batch_order(per, bk, ema, old, by_target=True)[0]) == 0
    # a target not seen yet takes the others' mean level (no NaN in the order)
    unseen = batch_order(per, bk, torch.tensor([0.0115, float("nan")]), young, by_target=True)
    assert sorted(unseen.tolist()) == list(range(8))
    # and a training run with it resumes and records it
    torch.set_num_threads(1)
    cfg = tiny_config(iterations=3, rank_by_target=True)
    prov = train(cfg, tmp_path / "r.pt", tmp_path / "r.ckpt", torch.device("cpu"), False,
                 run_eval=False)
    assert prov["config"]["rank_by_target"] is True


def test_reseeding_the_same_target_keeps_the_pool_balanced(tmp_path):
    """With targets taking turns, the pool's mix drifts (whatever is reseeded comes back as the
    next target in turn); with ``reseed_same_target`` it stays as it started, two of each."""
    torch.set_num_threads(1)
    dev = torch.device("cpu")
    counts = {}
    for same in (False, True):
        cfg = tiny_config(iterations=8, batch=8, pool=20, seeds=3, reseed_same_target=same)
        ckpt = tmp_path / f"{same}.ckpt"
        train(cfg, tmp_path / f"{same}.pt", ckpt, dev, False, ckpt_every=7, run_eval=False)
        pool_k = torch.load(ckpt, weights_only=False)["pool_k"]
        counts[same] = torch.bincount(pool_k, minlength=10).tolist()
    assert counts[True] == [2] * 10
    assert counts[False] != [2] * 10


def test_focus_targets_get_a_double_share_of_the_pool():
    """``focus`` = the digits that regrow worst: twice their share of the pool (and of the fresh
    seeds, which take the same turns); an unknown key is an error that names it."""
    from models.train_nca import target_turns

    keys = tuple("0123456789")
    assert target_turns(keys, "").tolist() == list(range(10))
    assert target_turns(keys, "2, 9").tolist() == list(range(10)) + [2, 9]
    with pytest.raises(ValueError, match=r"\['x'\] unknown"):
        target_turns(keys, "2,x")


def test_a_focused_pool_starts_with_twice_the_focus_targets(tmp_path):
    torch.set_num_threads(1)
    cfg = tiny_config(iterations=2, pool=24, focus="2,9", reseed_same_target=True)
    ckpt = tmp_path / "f.ckpt"
    train(cfg, tmp_path / "f.pt", ckpt, torch.device("cpu"), False, ckpt_every=1,
          run_eval=False)
    counts = torch.bincount(torch.load(ckpt, weights_only=False)["pool_k"], minlength=10)
    assert counts.tolist() == [2, 2, 4, 2, 2, 2, 2, 2, 2, 4]


def test_training_can_start_from_earlier_weights(tmp_path):
    torch.set_num_threads(1)
    cfg = tiny_config(iterations=1)
    start = random_model()
    start.save(tmp_path / "start.pt")
    prov = train(cfg, tmp_path / "d.pt", tmp_path / "d.ckpt", torch.device("cpu"), False,
                 run_eval=False, init=tmp_path / "start.pt")
    assert prov["init_from"]["path"].endswith("start.pt")
    assert "provenance" not in prov["init_from"] and prov["total_iterations"] == 1
    moved = NCA.load(tmp_path / "d.pt").w1.weight
    assert 0 < float((moved - start.w1.weight).detach().abs().max()) < 0.05  # one small step
    # a second run from those weights records the chain: its start's provenance and the totals
    again = train(cfg, tmp_path / "e.pt", tmp_path / "e.ckpt", torch.device("cpu"), False,
                  run_eval=False, init=tmp_path / "d.pt")
    assert again["init_from"]["provenance"]["config"] == prov["config"]
    assert again["total_iterations"] == 2
    assert again["total_duration_s"] >= again["duration_s"]


def test_a_widened_model_computes_the_same_and_trains_its_new_channels(tmp_path):
    model = random_model()
    wide = model.widened(20, torch.Generator().manual_seed(1))
    assert wide.config.channels == 20 and wide.config.free == 16
    with pytest.raises(ValueError, match="more than 16"):
        model.widened(16)
    with torch.no_grad():  # dense: RGBA, old hidden and genome follow the same trajectory
        a = model(model.seed(torch.arange(3), 40), 30, torch.Generator().manual_seed(4))
        b = wide(wide.seed(torch.arange(3), 40), 30, torch.Generator().manual_seed(4))
    assert torch.equal(a[:, :12], b[:, :12]) and torch.equal(a[:, 12:], b[:, 16:])
    assert b[:, 12:16].abs().amax() > 0  # the new channels carry values (so they can learn)
    canvases = [NCACanvas(m, 48, 40, seed=2) for m in (model, wide)]  # the exhibit's path
    for c in canvases:
        c.plant("6", 20, 20)
        c.step(25)
    torch.testing.assert_close(canvases[0].x[:4], canvases[1].x[:4])
    # training from narrower weights widens them and records where they came from
    torch.set_num_threads(1)
    model.save(tmp_path / "narrow.pt")
    prov = train(tiny_config(iterations=2, channels=20), tmp_path / "w.pt", tmp_path / "w.ckpt",
                 torch.device("cpu"), False, run_eval=False, init=tmp_path / "narrow.pt")
    assert prov["init_from"]["channels"] == 16
    trained = NCA.load(tmp_path / "w.pt")
    assert trained.config.channels == 20
    assert trained.w1.weight[:, 36:48].abs().amax() > 0  # it reads the new channels now


def test_eval_reports_every_target_and_fails_an_untrained_model():
    res = evaluate(random_model(), targets=["1", "2"], trials=2, grow_steps=4, regrow_steps=4,
                   stable_steps=8)
    assert set(res["targets"]) == {"1", "2"}
    assert res["summary"]["pass"] is False  # an untrained model must fail
    row = res["targets"]["1"]
    assert {"bar", "grow", "distinct_worst", "regrow", "regrow_distinct", "stable", "living_min",
            "living_max"} <= set(row)
    assert row["failed"] and set(row["failed"]) <= set(TESTS)
    assert res["path"].startswith("NCACanvas")


def test_quality_bar_is_a_one_cell_blur_of_each_target():
    """bar_k is as the issue says (0.0042-0.0087 for the digits); a blur exactly at it passes."""
    from scipy.ndimage import gaussian_filter
    win = window_targets("digits", 32, 40)
    bars = blur_bars(win)
    assert 0.004 < bars.min() and bars.max() < 0.009
    t = torch.from_numpy(win)
    state = torch.zeros(4, 44, 44)
    state[:, 2:42, 2:42] = torch.from_numpy(gaussian_filter(win[8], (0, 1, 1), mode="constant"))
    err = shift_mse(state, 22, 22, t)
    assert abs(float(err[8]) - bars[8]) < 1e-6  # one cell soft costs exactly the bar
    assert float(err[8]) <= 0.5 * float(torch.cat([err[:8], err[9:]]).min())  # and is distinct


def test_quality_bar_forgives_a_one_cell_shift_but_not_two():
    win = torch.from_numpy(window_targets("digits", 32, 40))
    state = torch.zeros(4, 46, 46)
    state[:, 3:43, 2:42] = win[3]  # one cell lower than the window centred on (22, 22)
    assert float(shift_mse(state, 22, 22, win)[3]) == 0.0
    state.zero_()
    state[:, 4:44, 2:42] = win[3]  # two cells lower
    assert float(shift_mse(state, 22, 22, win)[3]) > 0.005


# -- shipped weights -------------------------------------------------------------------------

@pytest.mark.parametrize("name,subset", list(SHIP_CHECK["targets"].items()))
def test_shipped_weights_meet_the_bar_on_a_subset(name, subset):
    """The full bar (eval_nca's TRIALS trials, grow/distinct/regrow/stable/living) on three
    targets per model: shipped weights that miss it fail here, they are never skipped."""
    model = shipped(name)
    torch.set_num_threads(1)
    res = evaluate(model, targets=subset, trials=TRIALS, seed=SHIP_CHECK["seed"])
    bad = {k: r for k, r in res["targets"].items() if not r["pass"]}
    assert not bad, f"quality bar {LIMITS} not met: {bad}"


def test_shipped_provenance_is_complete():
    for name in ("digits", "landmarks"):
        path = weights_path(name)
        if not path.is_file():
            pytest.skip(f"shipped weights {path} absent")
        pp = provenance_path(path)
        assert pp.is_file(), f"{path} is shipped without its provenance {pp}"
        prov = json.loads(pp.read_text())
        for key in ("script", "git_commit", "config", "seed", "device", "torch_version",
                    "duration_s", "final_loss", "per_target_loss_ema"):
            assert key in prov, f"{name} provenance lacks {key}"
        assert path.stat().st_size < 100_000


def test_canvas_grows_several_digits_and_regrows_damage():
    model = shipped("digits")
    torch.set_num_threads(1)
    win = window_targets("digits", model.config.target_size, WINDOW)  # the bar's window
    bars, targets = blur_bars(win), torch.from_numpy(win)
    canvas = NCACanvas(model, 132, 46, seed=1)
    spots = {"2": 22, "5": 66, "9": 110}
    for key, cx in spots.items():
        canvas.plant(key, cx, 23)
    canvas.step(96)

    def over_bar(key: str) -> float:
        return float(shift_mse(canvas.x[:4], spots[key], 23, targets)[int(key)]) / bars[int(key)]

    assert all(over_bar(k) <= 1.5 for k in spots), {k: over_bar(k) for k in spots}
    mask = np.zeros((46, 132), bool)
    mask[:, 44:66] = True  # the left half of the middle digit
    canvas.damage(mask)
    assert over_bar("5") > 3
    canvas.step(96)
    assert all(over_bar(k) <= 2.5 for k in spots), {k: over_bar(k) for k in spots}


def test_gpu_oneshot_runs_from_carried_targets(tmp_path):
    """The one-shot GPU script, on the CPU with tiny settings: export here, train from the file."""
    from models.train_gpu import main as gpu_main

    torch.set_num_threads(1)
    assert gpu_main(["export", "--out", str(tmp_path / "t.npz")]) == 0
    data = np.load(tmp_path / "t.npz")
    assert data["digits"].shape == (10, 4, 32, 32) and data["landmarks"].shape == (10, 4, 32, 32)
    out = tmp_path / "out"
    rc = gpu_main(["run", "--targets-file", str(tmp_path / "t.npz"), "--model", "digits",
                   "--out", str(out), "--iterations", "2", "--probe", "1", "--batch", "2",
                   "--pool", "8", "--device", "cpu", "--no-eval", "--rank-by-target",
                   "--reseed-same-target", "false", "--steps-min", "6", "--steps-max", "8"])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["nca_digits.provenance.json", "nca_digits.pt"]
    prov = json.loads((out / "nca_digits.provenance.json").read_text())
    assert prov["config"]["iterations"] == 2 and prov["config"]["batch"] == 2
    assert prov["config"]["damage_n"] == 1 and prov["config"]["rank_by_target"] is True
    # every train_nca recipe flag reaches the one-shot (steps were never declared by hand)
    assert prov["config"]["reseed_same_target"] is False
    assert (prov["config"]["steps_min"], prov["config"]["steps_max"]) == (6, 8)
    assert prov["script"].startswith("python -m models.train_gpu")
    assert prov["gpu_oneshot"]["font_of_targets"]["sha256"]  # which font drew the digits
    NCA.load(out / "nca_digits.pt")
    assert gpu_main(["run", "--targets-file", str(tmp_path / "t.npz"), "--model", "nope",
                     "--out", str(out)]) == 2


def test_regrow_sweep_cuts_every_target_at_every_angle(tmp_path, capsys):
    """The regrow diagnostic: evenly spread cuts per target, repeatable, summaries that add up;
    a model that does nothing scores the cut-away half against the target (far over 2×)."""
    from models.regrow_sweep import cut_angles, sweep
    from models.regrow_sweep import main as sweep_main

    torch.set_num_threads(1)
    assert [round(math.degrees(a)) for a in cut_angles(4, 0)] == [0, 90, 180, 270]
    assert [round(math.degrees(a)) for a in cut_angles(4, 1)] == [45, 135, 225, 315]
    still = NCA(NCAConfig(targets=list_targets("digits")))  # the shipped init: cells never change
    res = sweep(still, angles=2, grow_steps=8, regrow_steps=8)
    assert res == sweep(still, angles=2, grow_steps=8, regrow_steps=8)
    assert set(res["targets"]) == set(list_targets("digits"))
    every = []
    for r in res["targets"].values():
        ratios = [c[1] for c in r["cuts"]]
        assert len(ratios) == 2 and r["mean"] == pytest.approx(np.mean(ratios), abs=1e-3)
        assert r["over"] == sum(v > LIMITS["regrow"] for v in ratios)
        every += ratios
    assert min(every) > 2 and res["all"]["share_over"] == 1.0  # nothing regrows
    random_model().save(tmp_path / "w.pt")
    assert sweep_main([str(tmp_path / "w.pt"), "--angles", "2"]) == 0
    assert "share over" in capsys.readouterr().out
    assert sweep_main([str(tmp_path / "missing.pt")]) == 2


def test_recipe_flags_parse_as_train_nca_and_the_gpu_oneshot_read_them():
    """One ``--flag`` per TrainConfig field: typed, defaulted (or overridden), bools alone or
    with a value, and a clear error for a word that is neither true nor false."""
    import argparse

    from models.train_nca import TrainConfig, add_recipe_arguments

    ap = argparse.ArgumentParser(exit_on_error=False)
    add_recipe_arguments(ap, {"batch": 64, "seeds": None})
    a = ap.parse_args([])
    assert (a.batch, a.seeds, a.rank_by_target, a.lr) == (64, None, False, TrainConfig().lr)
    a = ap.parse_args(["--rank-by-target", "--reseed-same-target", "off", "--hard-cuts", "0.5"])
    assert (a.rank_by_target, a.reseed_same_target, a.hard_cuts) == (True, False, 0.5)
    assert ap.parse_args(["--rank-by-target", "TRUE"]).rank_by_target is True
    assert not hasattr(a, "targets") and not hasattr(a, "seed")  # the caller's own options
    with pytest.raises(argparse.ArgumentError, match="expected true or false, got 'maybe'"):
        ap.parse_args(["--living", "maybe"])
