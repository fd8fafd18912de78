"""Does an NCA meet the visitor-level quality bar? ``python -m models.eval_nca WEIGHTS [--json]``.

Measured the way the exhibits run the model: through :class:`models.nca.NCACanvas` (the sparse
inference path), every target planted ``trials`` times (default :data:`TRIALS`, 16) side by side
on one canvas,
each seed in its own ``spacing``×``spacing`` block (default 44 cells). A pattern is compared on a
``WINDOW``×``WINDOW`` window (40 cells, whatever grid the model was trained on) around its seed,
taking the best of the
nine one-cell shifts (a digit one cell to the left is still the same digit). Errors are the
per-pixel premultiplied-RGBA mean squared error over that window.

Per target ``k``:

- ``bar`` = the MSE of target ``k`` blurred by a Gaussian of σ = 1 cell against target ``k``
  itself: what a reproduction that is "one cell soft" costs (about 0.004–0.009).
- ``grow``: after ``grow_steps`` (96) steps from the seed, mean MSE <= ``bar``;
- ``distinct``: in every trial, MSE to its own target <= 0.5 × MSE to the nearest other target;
- ``regrow``: a random half-plane through the seed is erased from the grown pattern; after
  ``regrow_steps`` (96) more steps, mean MSE <= 2 × ``bar`` and mean distinct ratio <= 0.5;
- ``stable``: after ``stable_steps`` (3,000, about a minute at the exhibit's 48 steps/s) from the
  seed, undamaged, mean MSE <= 1.5 × ``bar``, and in every trial the living cells (alpha > the
  alive threshold, counted in the pattern's block) are 0.8–1.25 × the target's cells with alpha
  over the same threshold: no explosion, no fading.

Resting: the exhibits let a settled pattern rest (frozen until damage wakes it,
:class:`models.nca.NCACanvas` ``rest_after``, per model in
:data:`models.catalog.NCA_REST_AFTER`), so by default the canvas here does the same and
``stable`` measures the stability a visitor really sees: the pattern as it rested. ``--no-rest``
measures the model left to run for all ``stable_steps`` (its own long-run stability).

Deterministic for ``--seed``. Exit status 0 only when every target passes every test, 1 when one
fails, 2 when the weights file is missing or unreadable. ``--write-provenance`` stores the result
under ``"eval"`` in the weights' provenance file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from models.catalog import NCA_MODELS, NCA_REST_AFTER, list_targets
from models.nca import NCA, NCACanvas
from models.targets import render_targets

#: Limits, as multiples of each target's own ``bar`` (MSE) or as plain ratios.
LIMITS = {"grow": 1.0, "regrow": 2.0, "stable": 1.5, "distinct": 0.5,
          "living_min": 0.8, "living_max": 1.25}
TESTS = ("grow", "distinct", "regrow", "stable", "living")
#: Trials per target (each its own seed cell and its own random cut). The bar asks for "at least 4
#: seeds"; 16 because a mean over 4 random cuts is mostly luck: regrowth depends strongly on the
#: cut, so one trial in ten or so regrows at 3-7 x bar while most heal under 1.5 x. Measured on
#: digits-hard2 at 1,400 its (2026-11-30): over 24 eval seeds, every digit's mean regrow was
#: 0.93-1.81 x bar (all under the 2 x limit), yet the 4-trial bar passed at only 4 of the 24
#: seeds, because each digit's 4-trial mean crossed 2 x at 0-33 % of them. Sixteen trials halve
#: that spread, and the tests that must hold in every trial (distinct, living) get 4 x the
#: chances to fail: a more exact measure of the same bar, not a looser one.
TRIALS = 16
#: The fast check the test suite runs on shipped weights (tests/test_models_nca.py): the full bar
#: on three targets per model, :data:`TRIALS` trials, at this seed. Its random cuts differ from
#: the full eval's (fewer targets draw fewer angles), so weights must pass it too before they ship.
SHIP_CHECK = {"seed": 99, "targets": {"digits": ["1", "4", "8"],
                                      "landmarks": ["museum", "railway_station", "star"]}}
#: ``evaluate(rest_after=EXHIBIT)``: rest patterns as the exhibits do (NCA_REST_AFTER[model]).
EXHIBIT = "exhibit"
#: Cells per side of the window a pattern is judged on (the bar's definition: the 32-cell target
#: plus a 4-cell margin). Fixed, so a model trained on a wider grid meets the same bar.
WINDOW = 40


def model_name(model: NCA) -> str:
    """The catalog name (``digits``/``landmarks``) whose targets ``model`` was trained on."""
    for name, keys in NCA_MODELS.items():
        if tuple(keys) == tuple(model.config.targets):
            return name
    raise ValueError(f"model targets {model.config.targets} match no catalog model")


def window_targets(name: str, size: int, grid: int) -> np.ndarray:
    """(K, 4, grid, grid) float32: every target centred on a grid×grid window (zero margin)."""
    _, t = render_targets(name, size)
    pad = (grid - size) // 2
    out = np.zeros((len(t), 4, grid, grid), np.float32)
    out[:, :, pad:pad + size, pad:pad + size] = t
    return out


def to_window(targets: np.ndarray, size: int = WINDOW) -> np.ndarray:
    """(K, 4, G, G) targets centred on a zero margin -> (K, 4, size, size), cropped or padded
    about the centre (training grids may be wider than the bar's window)."""
    g = targets.shape[-1]
    if g >= size:
        a = (g - size) // 2
        return np.ascontiguousarray(targets[..., a:a + size, a:a + size])
    out = np.zeros((*targets.shape[:-2], size, size), targets.dtype)
    a = (size - g) // 2
    out[..., a:a + g, a:a + g] = targets
    return out


def blur_bars(targets: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """(K,) MSE of each (4, G, G) target blurred by a Gaussian of ``sigma`` cells against itself."""
    blurred = gaussian_filter(targets, sigma=(0, 0, sigma, sigma), mode="constant")
    return ((blurred - targets) ** 2).mean(axis=(1, 2, 3))


def shift_mse(state: torch.Tensor, cx: int, cy: int, targets: torch.Tensor) -> torch.Tensor:
    """(K,) best-of-nine-shifts MSE of the window around (cx, cy) against each target.

    ``state``: the canvas RGBA (4, H, W); ``targets``: (K, 4, G, G). The seed sits at window
    cell (G // 2, G // 2), as on the training grid.
    """
    g = targets.shape[-1]
    x0, y0 = cx - g // 2, cy - g // 2
    region = state[:, y0 - 1:y0 + g + 1, x0 - 1:x0 + g + 1].clamp(0, 1)  # (4, G+2, G+2)
    wins = torch.stack([region[:, dy:dy + g, dx:dx + g] for dy in range(3) for dx in range(3)])
    err = ((wins[:, None] - targets[None]) ** 2).mean(dim=(2, 3, 4))  # (9, K)
    return err.min(dim=0).values


def half_plane_mask(shape: tuple[int, int], centres: list[tuple[int, int]], spacing: int,
                    rng: np.random.Generator | None = None,
                    angles: list[float] | None = None) -> np.ndarray:
    """(H, W) bool: for each centre, a half-plane through it, clipped to its block.

    The side erased points at ``angles[i]`` radians (0 = +x, pi/2 = +y) for centre ``i``, or
    with no ``angles`` in a random direction drawn from ``rng`` (one draw per centre, in order).
    """
    if angles is None:
        angles = [rng.uniform(0, 2 * math.pi) for _ in centres]
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w]
    mask = np.zeros(shape, bool)
    half = spacing // 2
    for (cx, cy), ang in zip(centres, angles, strict=True):
        side = (xs - cx) * math.cos(ang) + (ys - cy) * math.sin(ang) > 0
        block = (abs(xs - cx) <= half) & (abs(ys - cy) <= half)
        mask |= side & block
    return mask


def _measure(rgba: torch.Tensor, spots: list[tuple[int, int, int]],
             targets: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(own MSE, distinct ratio) per spot (k, cx, cy) of the (4, H, W) ``rgba``: own / nearest
    other target's MSE."""
    own, ratio = [], []
    for k, cx, cy in spots:
        err = shift_mse(rgba, cx, cy, targets)
        other = torch.cat([err[:k], err[k + 1:]]).min() if len(err) > 1 else torch.tensor(1.0)
        own.append(float(err[k]))
        ratio.append(float(err[k] / other.clamp_min(1e-12)))
    return np.array(own), np.array(ratio)


def _living(canvas: NCACanvas, spots: list[tuple[int, int, int]], spacing: int) -> np.ndarray:
    half = spacing // 2
    alive = (canvas.x[3] > canvas.threshold).cpu().numpy()
    return np.array([alive[max(cy - half, 0):cy + half, max(cx - half, 0):cx + half].sum()
                     for _, cx, cy in spots], dtype=np.float64)


@torch.inference_mode()
def evaluate(model: NCA, device: str | torch.device = "cpu", targets: list[str] | None = None,
             trials: int = TRIALS, seed: int = 1234, grow_steps: int = 96,
             regrow_steps: int = 96, stable_steps: int = 3000, spacing: int = 44,
             windows: np.ndarray | None = None, rest_after: int | str | None = EXHIBIT) -> dict:
    """The quality bar's numbers for ``model`` (see the module docstring) as a JSON-ready dict.

    ``targets`` limits which targets are planted (``distinct`` still compares against all).
    ``windows``: the (K, 4, G, G) targets if rendered elsewhere, centred on any zero margin
    (cropped or padded to :data:`WINDOW`); default: render here.
    ``rest_after``: steps after which a settled pattern rests (frozen until damage wakes it);
    :data:`EXHIBIT` (default) = as the exhibits run this model, None = never.
    Raises ``ValueError`` for a model whose targets match no catalog model, ``KeyError`` for an
    unknown target key.
    """
    device = torch.device(device)
    model = model.to(device).eval()
    cfg = model.config
    name = model_name(model)
    rest = NCA_REST_AFTER.get(name) if rest_after == EXHIBIT else rest_after
    win = (window_targets(name, cfg.target_size, WINDOW) if windows is None
           else to_window(windows))
    bars = blur_bars(win)
    tgt = torch.from_numpy(win).to(device)
    chosen = list(targets or cfg.targets)
    ks = [model.target_index(k) for k in chosen]
    if spacing < WINDOW + 4:
        raise ValueError(f"spacing {spacing} leaves no room for a {WINDOW}-cell window")
    width, height = spacing * len(ks), spacing * trials
    spots = [(k, i * spacing + spacing // 2, t * spacing + spacing // 2)
             for t in range(trials) for i, k in enumerate(ks)]
    t0 = time.time()

    canvas = NCACanvas(model, width, height, seed=seed, device=device, rest_after=rest)
    for k, cx, cy in spots:
        canvas.plant(cfg.targets[k], cx, cy)
    canvas.step(grow_steps)
    grow, grow_ratio = _measure(canvas.x[:4], spots, tgt)

    healed = NCACanvas(model, width, height, seed=seed + 1, device=device, rest_after=rest)
    for k, cx, cy in spots:  # the same patterns (their boxes, when they rest), grown state below
        healed.plant(cfg.targets[k], cx, cy)
    healed.x.copy_(canvas.x)
    rng = np.random.default_rng(seed)
    healed.damage(half_plane_mask((height, width), [(cx, cy) for _, cx, cy in spots], spacing,
                                  rng))
    healed.step(regrow_steps)
    regrow, regrow_ratio = _measure(healed.x[:4], spots, tgt)

    canvas.step(max(stable_steps - grow_steps, 0))
    stable, _ = _measure(canvas.x[:4], spots, tgt)
    opaque = (win[:, 3] > cfg.alive_threshold).sum(axis=(1, 2)).astype(np.float64)
    living = _living(canvas, spots, spacing) / opaque[[k for k, _, _ in spots]]

    per_target = {}
    n = len(ks)
    for i, (key, k) in enumerate(zip(chosen, ks, strict=True)):
        sl = slice(i, None, n)  # this target's spot in every trial row
        bar = float(bars[k])
        row = {
            "bar": round(bar, 6),
            "grow": round(float(grow[sl].mean()), 6), "grow_worst": round(float(grow[sl].max()), 6),
            "distinct_worst": round(float(grow_ratio[sl].max()), 4),
            "regrow": round(float(regrow[sl].mean()), 6),
            "regrow_worst": round(float(regrow[sl].max()), 6),
            "regrow_distinct": round(float(regrow_ratio[sl].mean()), 4),
            "stable": round(float(stable[sl].mean()), 6),
            "stable_worst": round(float(stable[sl].max()), 6),
            "living_min": round(float(living[sl].min()), 3),
            "living_max": round(float(living[sl].max()), 3),
        }
        checks = {
            "grow": row["grow"] <= LIMITS["grow"] * bar,
            "distinct": row["distinct_worst"] <= LIMITS["distinct"],
            "regrow": (row["regrow"] <= LIMITS["regrow"] * bar
                       and row["regrow_distinct"] <= LIMITS["distinct"]),
            "stable": row["stable"] <= LIMITS["stable"] * bar,
            "living": LIMITS["living_min"] <= row["living_min"]
            and row["living_max"] <= LIMITS["living_max"],
        }
        row["failed"] = [t for t in TESTS if not checks[t]]
        row["pass"] = not row["failed"]
        per_target[key] = row
    summary = {
        "pass": all(r["pass"] for r in per_target.values()),
        "failing": {k: r["failed"] for k, r in per_target.items() if not r["pass"]},
        "worst_grow_over_bar": max(r["grow"] / r["bar"] for r in per_target.values()),
        "worst_regrow_over_bar": max(r["regrow"] / r["bar"] for r in per_target.values()),
        "worst_stable_over_bar": max(r["stable"] / r["bar"] for r in per_target.values()),
    }
    return {
        "model": name, "limits": LIMITS,
        "steps": {"grow": grow_steps, "regrow": regrow_steps, "stable": stable_steps},
        "trials": trials, "seed": seed, "window": WINDOW, "training_grid": cfg.grid,
        "spacing": spacing, "rest_after": rest,
        "path": "NCACanvas (sparse)", "device": str(device),
        "duration_s": round(time.time() - t0, 1),
        "targets": per_target, "summary": summary,
    }


def reference(windows: np.ndarray, sigma: float = 1.0,
              alive_threshold: float = 0.1) -> list[dict]:
    """What a reproduction exactly ``sigma`` cells soft scores on the bar's own measures.

    ``windows``: the (K, 4, G, G) targets (:func:`window_targets`). For each target, the target
    blurred by a Gaussian of ``sigma`` cells (the very image whose MSE defines ``bar``) is
    measured like a grown pattern: ``grow`` (MSE, best of nine shifts; equals ``bar`` at
    σ = 1 unless a shift fits better), ``distinct`` (own / nearest other target's MSE) and
    ``living`` (its cells with alpha > ``alive_threshold`` / the target's). A bar whose tests this
    reference fails asks for more than "one cell soft" somewhere; ``--reference`` prints it.
    """
    blurred = gaussian_filter(windows, sigma=(0, 0, sigma, sigma), mode="constant")
    g = windows.shape[-1]
    tgt = torch.from_numpy(windows)
    rows = []
    for k in range(len(windows)):
        state = torch.zeros(4, g + 2, g + 2)
        state[:, 1:g + 1, 1:g + 1] = torch.from_numpy(blurred[k])
        (own,), (ratio,) = _measure(state, [(k, g // 2 + 1, g // 2 + 1)], tgt)
        opaque = float((windows[k, 3] > alive_threshold).sum())
        rows.append({"grow": float(own), "distinct": float(ratio),
                     "living": float((blurred[k, 3] > alive_threshold).sum()) / max(opaque, 1.0)})
    return rows


def print_reference(name: str, sigma: float = 1.0, size: int = 32, grid: int = WINDOW) -> bool:
    """Print :func:`reference` for catalog model ``name`` (targets ``size`` cells on a ``grid``
    window, the shipped models' architecture); True when it is within every limit."""
    win = window_targets(name, size, grid)
    keys = list_targets(name)
    bars = blur_bars(win)
    ok = True
    print(f"{name}: the targets blurred by σ = {sigma:g} cell(s), measured like grown patterns; "
          f"limits {LIMITS}")
    print(f"{'target':>18} {'bar':>7} {'grow':>7} {'dist':>5} {'living':>6}  within limits")
    for key, bar, r in zip(keys, bars, reference(win, sigma), strict=True):
        bad = [t for t, good in (("grow", r["grow"] <= LIMITS["grow"] * bar * (1 + 1e-5)),
                                 ("distinct", r["distinct"] <= LIMITS["distinct"]),
                                 ("living", LIMITS["living_min"] <= r["living"]
                                  <= LIMITS["living_max"])) if not good]
        ok &= not bad
        print(f"{key:>18} {bar:7.4f} {r['grow']:7.4f} {r['distinct']:5.2f} {r['living']:6.2f}  "
              f"{'yes' if not bad else 'no: ' + ','.join(bad)}")
    return ok


def print_table(res: dict) -> None:
    rest = res.get("rest_after")
    print(f"{res['model']}: {res['trials']} trials through {res['path']}, "
          + (f"patterns rest {rest} steps after seed or damage (as in the exhibits)"
             if rest else "patterns never rest") + f"; limits {res['limits']}")
    print(f"{'target':>18} {'bar':>7} {'grow':>7} {'dist':>5} {'regrow':>7} {'rdist':>5} "
          f"{'stable':>7} {'living':>11}  result")
    for k, r in res["targets"].items():
        print(f"{k:>18} {r['bar']:7.4f} {r['grow']:7.4f} {r['distinct_worst']:5.2f} "
              f"{r['regrow']:7.4f} {r['regrow_distinct']:5.2f} {r['stable']:7.4f} "
              f"{r['living_min']:5.2f}-{r['living_max']:<5.2f}  "
              f"{'pass' if r['pass'] else 'FAIL ' + ','.join(r['failed'])}")
    print("all pass:", res["summary"]["pass"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights", type=Path, nargs="?",
                    help="weights to evaluate (omit with --reference)")
    ap.add_argument("--reference", metavar="MODEL", default=None,
                    help="instead: how a reproduction one cell soft (the bar's own blur) of "
                         "MODEL's targets scores on these limits")
    ap.add_argument("--json", action="store_true", help="print the full result as JSON")
    ap.add_argument("--trials", type=int, default=TRIALS,
                    help=f"trials per target (default {TRIALS}; the bar asks for at least 4)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--stable-steps", type=int, default=3000)
    ap.add_argument("--targets", nargs="*", default=None, help="subset of target keys")
    ap.add_argument("--rest-after", type=int, default=None, metavar="STEPS",
                    help="patterns rest this many steps after seed or damage (default: as the "
                         "exhibits run the model, models.catalog.NCA_REST_AFTER)")
    ap.add_argument("--no-rest", action="store_true",
                    help="patterns never rest: the model's own long-run stability")
    ap.add_argument("--device", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write-provenance", action="store_true")
    a = ap.parse_args(argv)
    if a.reference:
        return 0 if print_reference(a.reference) else 1
    if a.weights is None:
        ap.error("give a weights file, or --reference MODEL")
    if not a.weights.is_file():
        print(f"eval_nca: weights file {a.weights} not found", file=sys.stderr)
        return 2
    torch.set_num_threads(a.threads)
    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        model = NCA.load(a.weights, device)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one clear line
        print(f"eval_nca: cannot load {a.weights}: {exc}", file=sys.stderr)
        return 2
    rest = None if a.no_rest else (a.rest_after if a.rest_after is not None else EXHIBIT)
    res = evaluate(model, device, a.targets, a.trials, a.seed, stable_steps=a.stable_steps,
                   rest_after=rest)
    res["weights"] = str(a.weights)
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        print_table(res)
    if a.write_provenance:
        pp = a.weights.with_name(a.weights.stem + ".provenance.json")
        prov = json.loads(pp.read_text()) if pp.is_file() else {}
        prov["eval"] = res
        pp.write_text(json.dumps(prov, indent=2) + "\n")
    return 0 if res["summary"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
