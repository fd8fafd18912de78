"""Benchmark our models on this machine: ``python -m bench.bench_models [--json OUT]``.

Side by side in one run, on one CPU thread ("at most one core"):

- NCA steps per second at 64×64, 128×128 and 192×108 cells, for the plain reference (the paper's
  dense formulation, :meth:`models.nca.NCA.step` under ``no_grad``, default allocator) and for ours
  (:class:`models.nca.NCACanvas`: sparse, ``inference_mode``, pre-allocated, tuned allocator).
  Scene: grown digits planted 1 / 4 / 10 per size (192×108 with ten living digits is the Numbers
  exhibit's canvas); both run from the same grown state. Also ours on a dense path, for reference.
- CPPN milliseconds per frame at 320×180 and 480×270 for every style (median and p95).

Needs trained digit weights: ``models/weights/nca_digits.pt`` or ``--weights`` (a training
checkpoint's ``*.weights.pt`` works too). Run it on an otherwise idle machine; numbers from a
machine that is also training are pessimistic.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script

import torch  # noqa: E402

from models.catalog import weights_path  # noqa: E402
from models.cppn import STYLES, CPPNField, Steer  # noqa: E402
from models.engine import configure_cpu  # noqa: E402
from models.nca import NCA, NCACanvas  # noqa: E402

SIZES = ((64, 64, 1), (128, 128, 4), (192, 108, 10))  # width, height, digits planted


def grown_canvas(model: NCA, w: int, h: int, n: int, seed: int = 0) -> NCACanvas:
    """A canvas with ``n`` patterns (digits 0, 1, …) planted on a grid and grown 96 steps."""
    canvas = NCACanvas(model, w, h, seed=seed)
    cols = min(n, 5)
    rows = (n + cols - 1) // cols
    for i in range(n):
        cx = int((i % cols + 0.5) * w / cols)
        cy = int((i // cols + 0.5) * h / rows)
        canvas.plant(canvas.targets[i % len(canvas.targets)], cx, cy)
    canvas.step(96)
    return canvas


def rate(fn, min_s: float, min_n: int) -> float:
    """Calls of ``fn`` per second, after a warm-up."""
    for _ in range(5):
        fn()
    n, t0 = 0, time.perf_counter()
    while n < min_n or time.perf_counter() - t0 < min_s:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def bench_nca(model: NCA, min_s: float) -> list[dict]:
    rows = []
    scenes = {(w, h): grown_canvas(model, w, h, n) for w, h, n in SIZES}
    # reference first, with the allocator as a plain program has it
    gen = torch.Generator().manual_seed(1)
    for (w, h), canvas in scenes.items():
        x = canvas.x[None].clone()

        def ref_step(x=x):
            with torch.no_grad():
                x.copy_(model.step(x, gen))

        rows.append({"size": f"{w}x{h}", "alive_cells": canvas.alive_count(),
                     "cells": w * h, "ref_steps_per_s": rate(ref_step, min_s, 30)})
    configure_cpu(threads=1)
    for row, canvas in zip(rows, scenes.values(), strict=True):
        canvas.sparse = True
        row["ours_steps_per_s"] = rate(canvas.step, min_s, 60)
        canvas.sparse = False
        row["ours_dense_steps_per_s"] = rate(canvas.step, min_s, 30)
        canvas.sparse = True
        row["speedup"] = row["ours_steps_per_s"] / row["ref_steps_per_s"]
        row["alive_after"] = canvas.alive_count()
    return rows


def bench_cppn(frames: int) -> list[dict]:
    rows = []
    for w, h in ((320, 180), (480, 270)):
        for style in STYLES:
            field = CPPNField(style, w, h)
            field.steer([Steer(1, 0.3, 0.5, 0.2, 0.0), Steer(2, 0.7, 0.4, 0.0, -0.1)])
            ts = []
            for i in range(frames + 5):
                t0 = time.perf_counter()
                field.advance(1 / 30)
                field.frame()
                if i >= 5:
                    ts.append((time.perf_counter() - t0) * 1e3)
            ts.sort()
            rows.append({"size": f"{w}x{h}", "style": style, "ms_median": statistics.median(ts),
                         "ms_p95": ts[int(0.95 * (len(ts) - 1))]})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, default=weights_path("digits"))
    ap.add_argument("--seconds", type=float, default=1.5, help="minimum time per NCA measurement")
    ap.add_argument("--frames", type=int, default=60, help="CPPN frames per measurement")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    a = ap.parse_args(argv)
    if not a.weights.is_file():
        print(f"bench: no NCA weights at {a.weights}; train them (python -m models.train_nca) "
              "or pass --weights", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    model = NCA.load(a.weights)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, 1 thread, "
          f"weights {a.weights}")
    nca = bench_nca(model, a.seconds)
    print(f"{'NCA grid':>9} {'alive':>6} {'ref st/s':>9} {'ours st/s':>10} {'x':>5} "
          f"{'ours dense':>11}")
    for r in nca:
        print(f"{r['size']:>9} {r['alive_cells']:>6} {r['ref_steps_per_s']:9.1f} "
              f"{r['ours_steps_per_s']:10.1f} {r['speedup']:5.1f} "
              f"{r['ours_dense_steps_per_s']:11.1f}")
    cppn = bench_cppn(a.frames)
    print(f"{'CPPN':>9} {'style':>8} {'median ms':>10} {'p95 ms':>8}")
    for r in cppn:
        print(f"{r['size']:>9} {r['style']:>8} {r['ms_median']:10.2f} {r['ms_p95']:8.2f}")
    if a.json:
        a.json.write_text(json.dumps({"nca": nca, "cppn": cppn, "torch": torch.__version__,
                                      "weights": str(a.weights)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
