"""One-shot NCA training on a borrowed CUDA GPU, sized to a fixed time budget.

Two halves, one on each machine::

    # here (our packages, our font): render every target into one small file (~200 KB)
    python -m models.train_gpu export --out gpu-job/targets.npz
    cp ~/.cache/gwangju-kiosk/nca-attempts/current/nca_digits.pt gpu-job/   # optional start

    # on the GPU machine (torch, numpy, scipy; none of our other packages needed)
    python -m models.train_gpu run --targets-file gpu-job/targets.npz --model digits \\
        --init gpu-job/nca_digits.pt --minutes 6 --batch 64 --out $OUT

``run`` times a few iterations first, sizes the schedule so that training ends inside
``--minutes``, trains with :func:`models.train_nca.train` (same recipe, a larger batch, a cosine
lr schedule over that many iterations), then evaluates the result on the GPU with
:func:`models.eval_nca.evaluate` against the same carried targets. It writes into ``--out``:
``nca_<model>.pt``, ``nca_<model>.provenance.json`` (with the eval) and ``eval_<model>.json``.
Bring those back and ship them here only after ``python -m models.eval_nca`` passes on this
machine too (the CPU check is the one that counts: the exhibits run on the CPU).

Never a requirement: the kiosk, its tests and CI run without a GPU; ``run`` also works on the
CPU with tiny settings, which is how it is tested.

Failure modes: an unknown ``--model`` or a targets file without it exits with status 2;
``--init`` weights of another architecture exit through :func:`models.train_nca.train`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from models.catalog import NCA_MODELS
from models.train_nca import TrainConfig, add_recipe_arguments, provenance_path, train

#: Where the one-shot's recipe differs from ``train_nca``'s defaults (every other
#: :class:`~models.train_nca.TrainConfig` field is a ``--flag`` with train_nca's default).
#: None = chosen at run time: ``seeds`` and ``damage_n`` 3/8 of the batch (the CPU recipe's 3 of
#: 8), ``living`` on for the CPU and dense on a GPU (where the gathers cost more than they save).
GPU_DEFAULTS = {"batch": 64, "pool": 4096, "grid": 56, "seeds": None, "damage_n": None,
                "living": None}
#: TrainConfig fields that are not recipe flags here (``iterations`` comes from the sizing).
NOT_RECIPE = ("targets", "seed", "iterations")
#: The recipe fields ``run`` reads from its arguments.
RECIPE = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name not in NOT_RECIPE)


def export(out: Path) -> None:
    """Render every NCA model's targets into one ``.npz`` (one (K, 4, S, S) array per model)."""
    from models.targets import font_info, render_targets

    arrays = {name: render_targets(name)[1] for name in NCA_MODELS}
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays, font=json.dumps(font_info()))
    print(f"wrote {out}: " + ", ".join(f"{k} {v.shape}" for k, v in arrays.items()))


def time_per_iteration(cfg: TrainConfig, device: torch.device, targets: np.ndarray,
                       probe: int, scratch: Path) -> float:
    """Seconds per iteration of ``cfg`` on ``device``, from a short throwaway run."""
    trial = dataclasses.replace(cfg, iterations=probe, damage_after=0)
    t0 = time.perf_counter()
    train(trial, scratch / "probe.pt", scratch / "probe.ckpt", device, False, log_every=probe,
          ckpt_every=10**9, run_eval=False, targets_given=targets)
    return (time.perf_counter() - t0) / probe


def run(a: argparse.Namespace) -> int:
    if a.model not in NCA_MODELS:
        print(f"train_gpu: unknown model {a.model!r}; known: {sorted(NCA_MODELS)}",
              file=sys.stderr)
        return 2
    data = np.load(a.targets_file)
    if a.model not in data:
        print(f"train_gpu: {a.targets_file} holds no {a.model!r} targets", file=sys.stderr)
        return 2
    targets = data[a.model]
    device = torch.device(a.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.manual_seed(a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    recipe = {f: getattr(a, f) for f in RECIPE}
    # the choices left to the machine and the batch (None = not given on the command line)
    recipe["living"] = device.type == "cpu" if a.living is None else a.living
    for share in ("seeds", "damage_n"):  # the CPU recipe's 3 of 8, at this batch
        if recipe[share] is None:
            recipe[share] = max(1, a.batch * 3 // 8)
    base = TrainConfig(targets=a.model, seed=a.seed, **recipe)
    per_it = time_per_iteration(base, device, targets, a.probe, out)
    budget = a.minutes * 60.0 - a.reserve_s
    iterations = max(a.probe, int(budget / per_it)) if a.iterations is None else a.iterations
    cfg = dataclasses.replace(base, iterations=iterations)
    print(f"{device}: {per_it:.3f} s/iteration at batch {a.batch} -> {iterations} iterations "
          f"in {budget:.0f} s", flush=True)
    weights = out / f"nca_{a.model}.pt"
    prov = train(cfg, weights, out / f"nca_{a.model}.ckpt.pt", device, False,
                 log_every=a.log_every, ckpt_every=10**9, run_eval=not a.no_eval,
                 init=Path(a.init) if a.init else None, targets_given=targets)
    prov["script"] = "python -m models.train_gpu " + " ".join(sys.argv[1:])
    prov["gpu_oneshot"] = {"seconds_per_iteration_probe": per_it, "budget_s": budget,
                           "font_of_targets": json.loads(str(data["font"]))
                           if "font" in data else None}
    provenance_path(weights).write_text(json.dumps(prov, indent=2) + "\n")
    if "eval" in prov:
        (out / f"eval_{a.model}.json").write_text(json.dumps(prov["eval"], indent=2) + "\n")
    for leftover in ("probe.pt", "probe.provenance.json", f"nca_{a.model}.ckpt.pt"):
        (out / leftover).unlink(missing_ok=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export", help="render the targets into one .npz (run here)")
    ex.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("run", help="train for --minutes and evaluate (run on the GPU machine)")
    r.add_argument("--targets-file", type=Path, required=True)
    r.add_argument("--model", default="digits")
    r.add_argument("--init", default=None, help="weights to start from (default: fresh)")
    r.add_argument("--out", required=True)
    r.add_argument("--minutes", type=float, default=6.0)
    r.add_argument("--reserve-s", type=float, default=90.0,
                   help="seconds kept for the probe, saving and the eval (default 90)")
    r.add_argument("--iterations", type=int, default=None, help="fixed count (skips sizing)")
    r.add_argument("--probe", type=int, default=5, help="iterations timed before sizing")
    add_recipe_arguments(r, GPU_DEFAULTS, skip=NOT_RECIPE)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--device", default=None)
    r.add_argument("--log-every", type=int, default=50)
    r.add_argument("--no-eval", action="store_true")
    a = ap.parse_args(argv)
    if a.cmd == "export":
        export(a.out)
        return 0
    return run(a)


if __name__ == "__main__":
    sys.exit(main())
