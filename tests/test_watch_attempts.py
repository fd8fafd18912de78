"""The attempt watcher: snapshots copied with their provenance, measured once, summarised."""

from __future__ import annotations

import json

import torch

from models.train_nca import TrainConfig, provenance_path, train
from models.watch_attempts import look, main, measure, pending, ship_ready, ship_record


def test_snapshots_and_final_weights_are_measured_once(tmp_path):
    torch.set_num_threads(1)
    attempt = tmp_path / "digits-x"
    cfg = TrainConfig(targets="digits", seed=3, iterations=3, batch=2, pool=8, steps_min=4,
                      steps_max=6, damage_after=1, damage_n=1)
    out, ckpt = attempt / "nca_digits.pt", attempt / "nca_digits.ckpt.pt"
    train(cfg, out, ckpt, torch.device("cpu"), False, ckpt_every=2, run_eval=False)
    # the checkpoint at iteration 2 and the final weights at 3
    assert sorted(it for _, _, it in pending(attempt)) == [2, 3]
    assert [it for _, _, it in pending(attempt, every_its=4)] == [3]  # final weights always
    assert look([attempt], seeds=[5], with_sweep=False, trials=1, stable_steps=100) == 2
    evals = attempt / "evals"
    for it in (2, 3):
        assert (evals / f"digits-{it}.pt").is_file()
        prov = json.loads(provenance_path(evals / f"digits-{it}.pt").read_text())
        assert prov["total_iterations"] == it  # the chain travels with the copy
        res = json.loads((evals / f"digits-{it}.seed5.json").read_text())
        assert res["seed"] == 5 and set(res["targets"]) == set("0123456789")
    rows = (evals / "summary.tsv").read_text().splitlines()
    assert rows[0].startswith("snapshot\t")
    assert [r.split("\t")[0] for r in rows[1:]] == ["digits-2", "digits-3"]
    verdicts = rows[1].split("\t")[1].split(" ")  # the one seed, then the ship check
    assert verdicts[0].startswith("5:") and verdicts[1].startswith("ship-check:")
    assert rows[1].split("\t")[-1] == "-"  # one seed, one trial: the ship rule not judged
    # what shipped weights would carry: every eval's summary (those not run: None) and the sweep
    rec = ship_record(measure(evals / "digits-3.pt", [5], False, 1, 100))
    assert rec["meets_ship_rule"] is False and rec["evals"]["seed 1234"] is None
    check = rec["evals"]["ship check"]
    assert check["seed"] == 99 and check["pass"] is False and rec["regrow_sweep"] is None
    assert pending(attempt) == [] and look([attempt], [5], False, 1, 100) == 0  # nothing twice
    assert look([tmp_path / "missing"], [5], False) == 0  # named on stderr, not fatal
    # a snapshot copied but not measured to the end (the watcher stopped) is measured again
    (evals / "summary.tsv").write_text("\n".join(rows[:2]) + "\n")
    assert [it for _, _, it in pending(attempt)] == [3]


def test_the_ship_rule_needs_every_eval_and_every_sweep_mean():
    """Weights ship only when every eval passes and every target heals on average over all the
    sweep's cut directions (a pass at the bar's own draws alone is luck)."""
    passing, failing = {"summary": {"pass": True}}, {"summary": {"pass": False}}
    swept = {"targets": {"0": {"mean": 0.9}, "9": {"mean": 1.99}}}
    assert ship_ready([passing, passing], swept)
    assert not ship_ready([passing, failing], swept)  # one seed (or the ship check) fails
    assert not ship_ready([passing], {"targets": {"0": {"mean": 0.9}, "9": {"mean": 2.01}}})
    assert not ship_ready([passing], None) and not ship_ready([], swept)  # nothing measured


def test_check_names_a_missing_file(tmp_path, capsys):
    assert main(["--check", str(tmp_path / "nca_digits.pt")]) == 2
    assert "not found" in capsys.readouterr().err
