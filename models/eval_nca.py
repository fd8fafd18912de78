"""Quality numbers of an NCA's weights: ``python -m models.eval_nca WEIGHTS [--json]``.

For every target (grown on the training grid, e.g. 40×40 cells, from its centre seed; MSE is the
per-pixel premultiplied-RGBA mean squared error against the padded target over that whole grid):

- ``grow``:   MSE after ``grow_steps`` (96) steps from the seed            — must be <= 0.005
- ``regrow``: a random half of the grown pattern is erased (a half-plane through the centre at a
              random angle); MSE after ``regrow_steps`` (96) more steps    — must be <= 0.01
- ``long``:   MSE after ``long_steps`` (500) steps from the seed, undamaged — must be <= 0.01

Each number is the mean over ``trials`` runs with different random update masks / cut angles (the
worst trial is reported too). Deterministic for ``--seed``. Exit status 1 when a target fails,
so CI can use it. With ``--write-provenance`` the result is stored under ``"eval"`` in the weights'
provenance file.

Failure modes: a missing weights file exits with status 2 and a message naming it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

from models.catalog import NCA_MODELS
from models.nca import NCA
from models.train_nca import padded_targets, provenance_path

THRESHOLDS = {"grow": 0.005, "regrow": 0.01, "long": 0.01}


def half_plane_keep(n: int, grid: int, generator: torch.Generator,
                    device: torch.device) -> torch.Tensor:
    """(n, 1, grid, grid) keep-masks erasing a random half (half-plane through the centre)."""
    ys, xs = torch.meshgrid(torch.arange(grid, device=device, dtype=torch.float32),
                            torch.arange(grid, device=device, dtype=torch.float32), indexing="ij")
    ang = torch.rand(n, generator=generator, device=device) * 2 * math.pi
    c = (grid - 1) / 2
    cos, sin = torch.cos(ang)[:, None, None], torch.sin(ang)[:, None, None]
    side = (xs - c)[None] * cos + (ys - c)[None] * sin
    return (side <= 0).float()[:, None]


@torch.inference_mode()
def evaluate(model: NCA, device: str | torch.device = "cpu", targets: list[str] | None = None,
             trials: int = 4, seed: int = 1234, grow_steps: int = 96, regrow_steps: int = 96,
             long_steps: int = 500) -> dict:
    """Quality numbers of ``model`` (see module docstring) as a JSON-ready dict."""
    device = torch.device(device)
    model = model.to(device).eval()
    cfg = model.config
    names = [n for n, keys in NCA_MODELS.items() if tuple(keys) == tuple(cfg.targets)]
    if not names:
        raise ValueError(f"model targets {cfg.targets} match no catalog model")
    keys, tgt = padded_targets(names[0], cfg.target_size, cfg.grid)
    chosen = list(targets or keys)
    ks = torch.tensor([model.target_index(k) for k in chosen for _ in range(trials)], device=device)
    tgt = tgt.to(device)[ks]
    gen = torch.Generator(device=device).manual_seed(seed)
    t0 = time.time()

    def mse(x: torch.Tensor) -> torch.Tensor:
        return ((x[:, :4].clamp(0, 1) - tgt) ** 2).mean(dim=(1, 2, 3))

    x = model(model.seed(ks, cfg.grid), grow_steps, gen)
    grow = mse(x)
    damaged = x * half_plane_keep(len(ks), cfg.grid, gen, device)
    regrow = mse(model(damaged, regrow_steps, gen))
    long = mse(model(x, long_steps - grow_steps, gen))

    per_target = {}
    for i, key in enumerate(chosen):
        sl = slice(i * trials, (i + 1) * trials)
        row = {}
        for metric, vals in (("grow", grow), ("regrow", regrow), ("long", long)):
            row[metric] = round(float(vals[sl].mean()), 6)
            row[metric + "_worst"] = round(float(vals[sl].max()), 6)
        row["pass"] = all(row[m] <= th for m, th in THRESHOLDS.items())
        per_target[key] = row
    summary = {m: max(r[m] for r in per_target.values()) for m in THRESHOLDS}
    summary = {f"worst_target_{m}": v for m, v in summary.items()}
    summary["pass"] = all(r["pass"] for r in per_target.values())
    summary["failing"] = [k for k, r in per_target.items() if not r["pass"]]
    return {
        "thresholds": THRESHOLDS,
        "steps": {"grow": grow_steps, "regrow": regrow_steps, "long": long_steps},
        "trials": trials, "seed": seed, "grid": cfg.grid, "device": str(device),
        "duration_s": round(time.time() - t0, 1),
        "targets": per_target, "summary": summary,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights", type=Path)
    ap.add_argument("--json", action="store_true", help="print the full result as JSON")
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--targets", nargs="*", default=None, help="subset of target keys")
    ap.add_argument("--device", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write-provenance", action="store_true")
    a = ap.parse_args(argv)
    if not a.weights.is_file():
        print(f"eval_nca: weights file {a.weights} not found", file=sys.stderr)
        return 2
    torch.set_num_threads(a.threads)
    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    res = evaluate(NCA.load(a.weights, device), device, a.targets, a.trials, a.seed)
    res["weights"] = str(a.weights)
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"{'target':>20} {'grow':>9} {'regrow':>9} {'long':>9}  pass")
        for k, r in res["targets"].items():
            print(f"{k:>20} {r['grow']:9.5f} {r['regrow']:9.5f} {r['long']:9.5f}  {r['pass']}")
        print("thresholds", THRESHOLDS, "all pass:", res["summary"]["pass"])
    if a.write_provenance:
        pp = provenance_path(a.weights)
        prov = json.loads(pp.read_text()) if pp.is_file() else {}
        prov["eval"] = res
        pp.write_text(json.dumps(prov, indent=2) + "\n")
    return 0 if res["summary"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
