"""Evaluate training attempts as they go: ``python -m models.watch_attempts DIR... [--once]``.

Each attempt folder (``make train`` / ``make train-resume`` write them under
``~/.cache/gwangju-kiosk/nca-attempts/``) holds ``nca_<model>.ckpt.weights.pt``, the weights of
its latest checkpoint, with their provenance (``snapshot_at``: the iteration), and at the end
``nca_<model>.pt``, the final weights. For every snapshot not seen yet this copies the weights and
their provenance to ``DIR/evals/<model>-<iteration>.pt`` (so it can be shipped later with its
chain recorded) and measures it:

- the quality bar (:func:`models.eval_nca.evaluate`, :data:`~models.eval_nca.TRIALS` trials) at
  every ``--seeds`` (default :data:`SHIP_SEEDS`: 1234, the bar's own, 99 and 7; random cuts
  move a marginal model's verdict, so one seed alone passes models that a second fails), to
  ``<model>-<it>.seed<S>.json``;
- the test suite's check on shipped weights (:data:`models.eval_nca.SHIP_CHECK`: three targets,
  their own cuts), which weights must pass too before they ship;
- with ``--sweep`` (default on) the regrow sweep (:mod:`models.regrow_sweep`), to
  ``<model>-<it>.sweep.json``;
- one line per snapshot appended to ``DIR/evals/summary.tsv`` and printed: ``<model>-<it>``, the
  targets failing at each seed, worst regrow / bar, the sweep's mean / median / p90 and its
  worst target's mean (above the regrow limit, passing the bar's random cuts is luck), and
  whether the snapshot meets :func:`ship_ready` (the ship rule).

``--check WEIGHTS`` measures one weights file the same way (files beside it), records in its
provenance (when it has one) the bar at seed 1234 under ``eval`` (as ``eval_nca
--write-provenance``) and what it found under ``ship_rule``, prints the bar's table and its line,
and exits 0 only when it meets the ship rule: ``make ship-models`` ships on that.

Runs at the lowest CPU priority, one thread, on snapshots at multiples of ``--every-its``
(default 200; training checkpoints every 100) and on final weights. ``--once`` looks once and
exits; else it looks every ``--every`` seconds until interrupted. A snapshot whose checkpoint
is rewritten while it is being copied (its weights newer than its provenance, or the provenance
naming another iteration afterwards) is dropped and taken next time.
Failure modes: a folder with no weights is skipped with one line; an unreadable weights file is
reported on its summary line, never fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from models.eval_nca import LIMITS, SHIP_CHECK, TRIALS, evaluate, model_name, print_table
from models.nca import NCA
from models.regrow_sweep import sweep
from models.train_nca import provenance_path

SUMMARY_HEADER = "\t".join(("snapshot", "seed_results", "worst_regrow_over_bar", "sweep_mean",
                            "sweep_median", "sweep_p90", "sweep_worst_target", "ship_rule"))
#: The eval seeds weights must pass before they ship: the bar's own (1234) and two more draws.
SHIP_SEEDS = (1234, 99, 7)


def ship_ready(evals: list[dict], swept: dict | None) -> bool:
    """The ship rule: every eval in ``evals`` (:func:`models.eval_nca.evaluate` results: one per
    :data:`SHIP_SEEDS` and the test suite's :data:`~models.eval_nca.SHIP_CHECK`) passes, and in
    the regrow sweep ``swept`` every target's mean over all its cuts is within the bar's regrow
    limit: the bar asks about *a random* half-plane, so a target must heal on average over
    directions, not only from the directions one draw happened to cut. No sweep: False."""
    if swept is None or not evals:
        return False
    return (all(r["summary"]["pass"] for r in evals)
            and all(t["mean"] <= LIMITS["regrow"] for t in swept["targets"].values()))


def pending(attempt: Path, every_its: int = 1) -> list[tuple[Path, str, int]]:
    """(weights, model, iteration) of each snapshot or final weights in ``attempt`` not yet
    measured (see :func:`measured`); snapshots only at multiples of ``every_its`` iterations.
    The iteration is the run's own (``snapshot_at``, or ``config.iterations`` for final
    weights)."""
    out, seen = [], measured(attempt)
    for w in sorted(attempt.glob("nca_*.pt")):
        if w.name.endswith(".ckpt.pt"):  # the training checkpoint itself (pool, optimiser)
            continue
        pp = provenance_path(w)
        if not pp.is_file():
            continue
        try:
            prov = json.loads(pp.read_text())
        except (OSError, ValueError):
            continue  # being written: next look
        model, it = prov.get("config", {}).get("targets"), _iteration(prov)
        if not model or it is None or ("snapshot_at" in prov and int(it) % every_its):
            continue
        if f"{model}-{it}" not in seen:
            out.append((w, model, int(it)))
    return out


def _iteration(prov: dict) -> int | None:
    """The run's iteration that weights with provenance ``prov`` were saved at: ``snapshot_at``
    for a checkpoint's snapshot, the run's ``config.iterations`` for its final weights."""
    return prov.get("snapshot_at", prov.get("config", {}).get("iterations"))


def measured(attempt: Path) -> set[str]:
    """The snapshots (``<model>-<iteration>``) with a line in ``attempt``'s summary: measured to
    the end (one stopped half-way is measured again)."""
    summary = attempt / "evals" / "summary.tsv"
    if not summary.is_file():
        return set()
    return {row.split("\t", 1)[0] for row in summary.read_text().splitlines()[1:]}


def take(weights: Path, model: str, it: int, evals: Path) -> Path | None:
    """Copy ``weights`` and their provenance to ``evals/<model>-<it>.pt``; None when the
    checkpoint moved on meanwhile (weights newer than their provenance, or the provenance naming
    another iteration)."""
    evals.mkdir(parents=True, exist_ok=True)
    dst = evals / f"{model}-{it}.pt"
    tmp = dst.with_suffix(".tmp")
    shutil.copyfile(weights, tmp)
    pp = provenance_path(weights)
    prov = pp.read_text()
    got = json.loads(prov)
    # training writes the weights, then their provenance: weights newer than the provenance
    # belong to the next snapshot, whose provenance is still to come
    moved = weights.stat().st_mtime_ns > pp.stat().st_mtime_ns
    if moved or _iteration(got) != it:
        tmp.unlink()
        return None
    provenance_path(dst).write_text(prov)
    os.replace(tmp, dst)
    return dst


@dataclass(frozen=True)
class Measurement:
    """What :func:`measure` found for one weights file."""

    line: str  # its summary.tsv line
    ready: bool  # meets the ship rule (False when the rule was not judged)
    evals: dict[str, dict]  # "<seed>" / "ship-check" -> the eval_nca.evaluate result
    swept: dict | None  # the regrow sweep's result, None without one


def measure(path: Path, seeds: list[int], with_sweep: bool, trials: int = TRIALS,
            stable_steps: int = 3000) -> Measurement:
    """Evaluate ``path`` (files beside it, see the module docstring): its summary line, its
    results, and whether it meets the ship rule (:func:`ship_ready`). The rule is judged only
    with every :data:`SHIP_SEEDS`, the default ``trials`` and ``stable_steps`` and the sweep;
    otherwise the line's last column is ``-`` and ``ready`` False."""
    it = path.stem  # <model>-<iteration>
    try:
        model = NCA.load(path).eval()
    except Exception as exc:  # noqa: BLE001 - one line on the summary, never fatal
        return Measurement(f"{it}\tunreadable: {exc!r}\t\t\t\t\t\tno", False, {}, None)
    evals, worst = {}, 0.0
    for seed in seeds:
        res = evaluate(model, seed=seed, trials=trials, stable_steps=stable_steps)
        path.with_name(f"{path.stem}.seed{seed}.json").write_text(json.dumps(res, indent=2))
        evals[str(seed)] = res
        worst = max(worst, res["summary"]["worst_regrow_over_bar"])
    # the test suite's check on shipped weights (eval_nca.SHIP_CHECK), its own cuts
    subset = SHIP_CHECK["targets"].get(model_name(model))
    if subset:
        res = evaluate(model, seed=SHIP_CHECK["seed"], trials=trials, targets=subset,
                       stable_steps=stable_steps)
        path.with_name(f"{path.stem}.ship-check.json").write_text(json.dumps(res, indent=2))
        evals["ship-check"] = res
    cols, sw = ["", "", "", ""], None
    if with_sweep:
        sw = sweep(model)
        path.with_name(f"{path.stem}.sweep.json").write_text(json.dumps(sw, indent=2))
        cols = [f"{sw['all'][k]:.2f}" for k in ("mean", "median", "p90")]
        # the target whose mean over all cuts is highest: above the regrow limit, passing the
        # bar's random cuts is luck of the draw
        key, r = max(sw["targets"].items(), key=lambda kv: kv[1]["mean"])
        cols.append(f"{key}:{r['mean']:.2f}")
    # the rule is judged only as it is defined: every ship seed, full trials and steps, a sweep
    judged = (set(SHIP_SEEDS) <= set(seeds) and trials == TRIALS and stable_steps == 3000
              and sw is not None)
    ready = judged and ship_ready(list(evals.values()), sw)
    verdicts = " ".join(_verdict(label, res) for label, res in evals.items())
    line = "\t".join([it, verdicts, f"{worst:.2f}", *cols,
                      ("yes" if ready else "no") if judged else "-"])
    return Measurement(line, ready, evals, sw)


def ship_record(m: Measurement) -> dict:
    """What ``m`` found, for the provenance of shipped weights: each eval's summary (None for
    a ship seed not measured), the sweep's, and the verdict."""
    evals = {f"seed {s}": m.evals.get(str(s)) for s in SHIP_SEEDS}
    evals["ship check"] = m.evals.get("ship-check")
    sw = m.swept
    return {"meets_ship_rule": m.ready, "trials": TRIALS,
            "evals": {k: v and {"seed": v["seed"], **v["summary"]} for k, v in evals.items()},
            "regrow_sweep": sw and {"all": sw["all"], "target_means": {
                k: t["mean"] for k, t in sw["targets"].items()}}}


def _verdict(label: str, res: dict) -> str:
    """``label:pass``, or ``label:`` and the failing targets with their failed tests."""
    failing = res["summary"]["failing"]
    return f"{label}:" + ("pass" if not failing else ",".join(
        f"{k}({'/'.join(t)})" for k, t in failing.items()))


def look(attempts: list[Path], seeds: list[int], with_sweep: bool, trials: int = TRIALS,
         stable_steps: int = 3000, every_its: int = 1) -> int:
    """One pass over ``attempts``; how many snapshots were measured."""
    done = 0
    for attempt in attempts:
        if not attempt.is_dir():
            print(f"watch_attempts: {attempt} is not a folder; skipped", file=sys.stderr)
            continue
        for weights, model, it in pending(attempt, every_its):
            dst = take(weights, model, it, attempt / "evals")
            if dst is None:
                continue
            line = measure(dst, seeds, with_sweep, trials, stable_steps).line
            summary = attempt / "evals" / "summary.tsv"
            new = not summary.is_file()
            with summary.open("a") as f:
                if new:
                    f.write(SUMMARY_HEADER + "\n")
                f.write(line + "\n")
            print(f"{attempt.name}\t{line}", flush=True)
            done += 1
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("attempts", type=Path, nargs="*", help="attempt folders")
    ap.add_argument("--check", type=Path, default=None, metavar="WEIGHTS",
                    help="measure these weights once; exit 0 only when they meet the ship rule")
    ap.add_argument("--once", action="store_true", help="look once and exit")
    ap.add_argument("--every", type=float, default=60.0, help="seconds between looks")
    ap.add_argument("--every-its", type=int, default=200,
                    help="measure snapshots at multiples of this many iterations (default 200: "
                         "one measurement costs about as much CPU as 100 training iterations)")
    ap.add_argument("--seeds", default=",".join(map(str, SHIP_SEEDS)),
                    help="eval seeds, comma-separated (default: the ship rule's)")
    ap.add_argument("--sweep", action=argparse.BooleanOptionalAction, default=True,
                    help="also run the regrow sweep (default on)")
    a = ap.parse_args(argv)
    seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    torch.set_num_threads(1)
    if a.check is not None:
        if not a.check.is_file():
            print(f"watch_attempts: weights file {a.check} not found", file=sys.stderr)
            return 2
        m = measure(a.check, list(SHIP_SEEDS), True)
        bar = m.evals.get(str(SHIP_SEEDS[0]))  # the bar's own seed, as eval_nca reports it
        pp = provenance_path(a.check)
        if pp.is_file():  # shipped weights carry their eval and how they met the rule
            prov = json.loads(pp.read_text())
            if bar is not None:
                prov["eval"] = {**bar, "weights": str(a.check)}  # = eval_nca --write-provenance
            prov["ship_rule"] = ship_record(m)
            pp.write_text(json.dumps(prov, indent=2) + "\n")
        if bar is not None:
            print_table(bar)
        print("\t".join(SUMMARY_HEADER.split("\t")[1:]))
        print("\t".join(m.line.split("\t")[1:]))
        ready = m.ready
        print("meets the ship rule" if ready else
              "does NOT meet the ship rule (every seed, the ship check, every sweep mean <= "
              f"{LIMITS['regrow']} x bar)")
        return 0 if ready else 1
    if not a.attempts:
        ap.error("give attempt folders, or --check WEIGHTS")
    try:
        os.nice(19)  # training and the kiosk come first
    except OSError:
        pass
    while True:
        look(a.attempts, seeds, a.sweep, every_its=max(1, a.every_its))
        if a.once:
            return 0
        time.sleep(a.every)


if __name__ == "__main__":
    sys.exit(main())
