"""How a model regrows, cut by cut: ``python -m models.regrow_sweep WEIGHTS [--angles 16]``.

A diagnostic beside the quality bar (:mod:`models.eval_nca`), not part of it. The bar's regrow
test averages 4 random half-plane cuts per target, and regrowth depends strongly on the cut: the
same digit can heal to 0.6 × its bar from one side and to 9 × from another (a 9 whose loop is cut
away). Four random cuts then move a target's mean by 2× from one eval seed to the next, too much
to tell two training attempts apart. This sweep cuts every target at ``angles`` evenly spread
directions instead (each pattern in its own block of one :class:`models.nca.NCACanvas`, grown
``grow_steps`` from its seed, a half-plane through the seed erased, ``regrow_steps`` more), and
reports regrow / ``bar`` per cut, per target (mean, median, cuts over the 2× limit) and over all.

Angles: 0° erases the side towards +x (right), 90° towards +y (down, screen rows). Targets at
odd positions are turned by half a step, so neighbouring targets are not all cut alike.
Deterministic. Exit status 2 when the weights cannot be read, else 0 (it judges nothing).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

from models.catalog import NCA_REST_AFTER
from models.eval_nca import (
    LIMITS,
    WINDOW,
    blur_bars,
    half_plane_mask,
    model_name,
    shift_mse,
    window_targets,
)
from models.nca import NCA, NCACanvas

SPACING = 44  # cells per pattern block, as the quality bar


def cut_angles(angles: int, index: int) -> list[float]:
    """The ``angles`` cut directions (radians) for the target at position ``index``."""
    turn = 0.5 * (index % 2)
    return [2 * math.pi * (t + turn) / angles for t in range(angles)]


@torch.inference_mode()
def sweep(model: NCA, angles: int = 16, grow_steps: int = 96, regrow_steps: int = 96,
          seed: int = 1234) -> dict:
    """Regrow / bar for every target and cut (see the module docstring), as a JSON-ready dict:
    ``{"targets": {key: {"cuts": [[degrees, ratio], ...], "mean", "median", "over"}},
    "all": {"mean", "median", "p90", "share_over"}}``; ``over`` counts cuts above the bar's
    regrow limit (2×). Raises ``ValueError`` for a model whose targets match no catalog model."""
    cfg = model.config
    name = model_name(model)
    win = window_targets(name, cfg.target_size, WINDOW)
    bars = blur_bars(win)
    tgt = torch.from_numpy(win).to(next(model.parameters()).device)
    n = len(cfg.targets)
    width, height = SPACING * n, SPACING * angles
    spots = [(k, k * SPACING + SPACING // 2, t * SPACING + SPACING // 2, cut_angles(angles, k)[t])
             for t in range(angles) for k in range(n)]
    rest = NCA_REST_AFTER.get(name)
    grown = NCACanvas(model, width, height, seed=seed, rest_after=rest,
                      device=tgt.device)
    for k, cx, cy, _ in spots:
        grown.plant(cfg.targets[k], cx, cy)
    grown.step(grow_steps)
    grown.damage(half_plane_mask((height, width), [(cx, cy) for _, cx, cy, _ in spots], SPACING,
                                 angles=[a for _, _, _, a in spots]))
    grown.step(regrow_steps)
    per: dict[str, list] = {key: [] for key in cfg.targets}
    for k, cx, cy, a in spots:
        ratio = float(shift_mse(grown.x[:4], cx, cy, tgt)[k]) / float(bars[k])
        per[cfg.targets[k]].append([round(math.degrees(a), 1), round(ratio, 3)])
    limit = LIMITS["regrow"]
    out, every = {}, []
    for key, cuts in per.items():
        r = np.array([c[1] for c in cuts])
        every.extend(r)
        out[key] = {"cuts": cuts, "mean": round(float(r.mean()), 3),
                    "median": round(float(np.median(r)), 3), "over": int((r > limit).sum())}
    every_a = np.array(every)
    return {"model": name, "angles": angles, "steps": {"grow": grow_steps,
                                                       "regrow": regrow_steps},
            "targets": out,
            "all": {"mean": round(float(every_a.mean()), 3),
                    "median": round(float(np.median(every_a)), 3),
                    "p90": round(float(np.percentile(every_a, 90)), 3),
                    "share_over": round(float((every_a > limit).mean()), 3)}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights", type=Path)
    ap.add_argument("--angles", type=int, default=16, help="cuts per target (default 16)")
    ap.add_argument("--json", action="store_true", help="print the full result as JSON")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    try:
        model = NCA.load(a.weights).eval()
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one clear line
        print(f"regrow_sweep: cannot load {a.weights}: {exc}", file=sys.stderr)
        return 2
    res = sweep(model, a.angles)
    if a.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"{res['model']}: regrow / bar after {res['steps']['regrow']} steps, "
          f"{a.angles} cuts per target (limit {LIMITS['regrow']}x)")
    for key, r in res["targets"].items():
        worst = ", ".join(f"{d:g}°: {v:.2f}" for d, v in sorted(r["cuts"], key=lambda c: -c[1])[:3])
        print(f"{key:>18}  mean {r['mean']:5.2f}  median {r['median']:5.2f}  over "
              f"{r['over']:2d}/{a.angles}  worst {worst}")
    s = res["all"]
    print(f"{'all':>18}  mean {s['mean']:5.2f}  median {s['median']:5.2f}  p90 {s['p90']:.2f}  "
          f"share over {s['share_over']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
