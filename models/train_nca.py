"""Train one conditional growing NCA: ``python -m models.train_nca --targets digits --seed 0``.

Recipe (Mordvintsev et al. 2020, "regenerating" experiment, made conditional):

- every target is padded to a ``grid``×``grid`` training grid (default 40 = 32 + 2×4 margin) and
  grows from one centre seed cell carrying its code (:meth:`models.nca.NCA.seed`). A wider grid
  (``--grid 56``) costs little with the living-cell step and lets the loss see growth past 40
  cells: on the 40-cell grid the edge itself stops a pattern, which the open canvas does not;
- a sample pool (default 1024 states, each with its target index); every iteration draws a batch,
  replaces its highest-loss sample (its ``seeds`` worst) with a fresh seed (targets take turns,
  ``focus`` targets twice per round, or with ``reseed_same_target`` each keeps its own)
  and damages the ``damage_n`` lowest-loss samples (a random circle or a random half-plane
  through the pattern; ``rank_by_target`` ranks against each target's running loss instead of
  raw loss; ``hard_cuts`` aims a share of the half-planes at the directions each target has
  regrown worst from); with ``max_age`` a sample older than that many steps is reseeded too;
- the batch is run ``steps_min``…``steps_max`` steps, loss = per-pixel RGBA MSE on the whole grid,
  Adam with per-parameter gradient normalisation, cosine lr decay ``lr`` -> ``lr_end``;
- results go back into the pool.

Deterministic for a seed (one ``torch.Generator`` for every draw; 1 CPU thread by default); uses
CUDA when present unless ``--device cpu``. ``--init WEIGHTS`` continues from earlier weights with a
fresh pool and schedule (the provenance records the starting file's sha256); with ``--channels``
above its count the starting model is widened first, computing the same (:meth:`NCA.widened`).

Writes ``OUT`` (weights, ~40 KB), ``OUT`` with ``.provenance.json`` (script, commit, config, seed,
device, torch version, duration, final and per-target loss, eval numbers), and a checkpoint every
``--ckpt-every`` iterations to ``--ckpt`` (default in the temp dir, ~30 MB with the pool) so
``--resume`` continues a killed run exactly.

Failure modes: an unknown ``--targets`` name exits with the known names; ``--resume`` with a
checkpoint from a different config exits with an error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from models.catalog import NCA_MODELS, list_targets, weights_path
from models.nca import CHANNELS, NCA, NCAConfig
from models.targets import font_info, render_targets


@dataclass(frozen=True)
class TrainConfig:
    targets: str = "digits"
    seed: int = 0
    iterations: int = 6000
    batch: int = 8
    pool: int = 1024  # the published notebook's pool size
    steps_min: int = 64
    steps_max: int = 96  # the quality bar grows 96 steps: train up to that
    lr: float = 1e-3
    lr_end: float = 3e-5
    damage_n: int = 3  # the 3 lowest-loss samples of each batch, as in the notebook
    damage_after: int = 200  # iterations before damage starts (let growth appear first)
    grid: int = 40
    target_size: int = 32
    hidden: int = 192
    # state channels (RGBA + free hidden + 4 genome); ``--init`` with fewer widens that model
    # (NCA.widened: same function, room to learn more)
    channels: int = CHANNELS
    fire_rate: float = 0.5
    overflow: float = 1.0  # weight of the penalty on states outside [-2, 2] (isotropic-NCA)
    living: bool = True  # update only living, firing cells (same math, ~2-3x faster on CPU)
    # Fresh seeds per batch (replacing its worst samples): the notebook's 1 trains persistence
    # for thousands of steps; the exhibits rest a settled pattern (models.catalog.NCA_REST_AFTER),
    # so more of the batch may go to what the bar measures: growing from one cell in 96 steps.
    seeds: int = 1
    half_planes: float = 0.5  # share of the damage that erases a half-plane (else a circle)
    # Steps a pool sample may live (0 = forever, the notebook's pool). The exhibits rest a pattern
    # 160 steps after its seed or last damage, so they never ask one to persist for thousands of
    # steps. With a max age the batch is spent on what the exhibit runs: growing, and regrowing a
    # young pattern. (Tried because a damaged digit starts regrowing ~30 steps late, which may be
    # trained persistence; 1,600 fine-tuning iterations with 320 did not shorten that delay.)
    max_age: int = 0
    # How the batch is ranked for reseeding (worst) and damage (best). False: by raw loss, as the
    # notebook (one target). With several targets that ranks by how hard a target is: the hardest
    # digits were almost never damaged (2 got 4% of the damage, 1 got 15%), and they are the ones
    # that fail to regrow. True: each sample's loss over its target's running loss (the per-target
    # EMA), so every target's most mature samples are damaged and its worst reseeded.
    rank_by_target: bool = False
    # Which target a fresh seed grows. False: targets take turns (the seeds are balanced, but the
    # pool is not: the hardest targets' samples are reseeded most, as other targets, so they drain
    # from it: 43 museums and 144 trees of 1,024 in a landmarks pool). True: a reseeded sample
    # keeps its target, so the pool keeps the balance it starts with (the issue's "balanced
    # reseeding across targets").
    reseed_same_target: bool = False
    # Share of the damaged samples (of ``damage_n``) cut by a half-plane whose direction is drawn
    # by how badly each target has regrown from each direction (16 sectors, the running loss of
    # the samples cut from that sector over the target's running loss; a quarter of the draws stay
    # uniform so no sector is forgotten). 0: every direction alike. Why: the regrow sweep
    # (models.regrow_sweep) finds a model's failures at a few directions per digit (a 9 with its
    # loop cut away, a 7 without its bar) that uniform cuts visit once in 16.
    hard_cuts: float = 0.0
    # Target keys (comma-separated, e.g. "2,9") that get a double share of the pool and of the
    # fresh seeds: the targets a model regrows worst get twice the gradient. "" = all alike.
    # Why: with every digit but two averaging 0.8-1.6 x bar over all cuts, the 2 and the 9 sat
    # at 1.8-2.0 x, on the limit, through 2,000 iterations of the balanced recipe.
    focus: str = ""


#: Directions of cut that ``hard_cuts`` tells apart (sectors of 22.5°, as the regrow sweep's 16).
CUT_SECTORS = 16


def padded_targets(model: str, size: int, grid: int) -> tuple[tuple[str, ...], torch.Tensor]:
    """(keys, (K, 4, grid, grid)) targets centred on the training grid."""
    keys, t = render_targets(model, size)
    return keys, pad_targets(t, grid)


def pad_targets(t: np.ndarray, grid: int) -> torch.Tensor:
    """(K, 4, S, S) targets -> (K, 4, grid, grid), centred with a zero margin."""
    size = t.shape[-1]
    pad = (grid - size) // 2
    out = torch.zeros(len(t), 4, grid, grid)
    out[:, :, pad:pad + size, pad:pad + size] = torch.as_tensor(np.asarray(t, np.float32))
    return out


def damage_masks(n: int, grid: int, size: int, generator: torch.Generator,
                 device: torch.device, half_planes: float = 0.5,
                 angles: torch.Tensor | None = None) -> torch.Tensor:
    """(n, 1, grid, grid) float keep-masks (0 = erased): random circles, or with probability
    ``half_planes`` half-planes (the quality bar's regrow test erases a half-plane).

    ``angles``: (n,) radians (0 = the +x side erased, pi/2 = +y); where not NaN, that sample is
    cut by a half-plane erasing that side (through a point near the centre, as the random ones).
    """
    ys, xs = torch.meshgrid(torch.arange(grid, device=device, dtype=torch.float32),
                            torch.arange(grid, device=device, dtype=torch.float32), indexing="ij")
    u = torch.rand(n, 5, generator=generator, device=device)
    c = grid / 2
    keep = torch.ones(n, 1, grid, grid, device=device)
    for i in range(n):
        given = angles is not None and not bool(torch.isnan(angles[i]))
        if not given and u[i, 0] < 1.0 - half_planes:  # circle somewhere over the pattern
            cx = c + (u[i, 1] - 0.5) * size
            cy = c + (u[i, 2] - 0.5) * size
            r = size * (0.1 + 0.3 * u[i, 3])
            erased = (xs - cx) ** 2 + (ys - cy) ** 2 < r**2
        else:  # half-plane through a point near the centre, random direction
            ang = angles[i].to(device) if given else u[i, 1] * 2 * math.pi
            off = (u[i, 2] - 0.5) * size * 0.25
            erased = (xs - c) * torch.cos(ang) + (ys - c) * torch.sin(ang) > off
        keep[i, 0] = (~erased).float()
    return keep


def target_turns(keys: tuple[str, ...] | list[str], focus: str) -> torch.Tensor:
    """(K + F,) target indices in the order fresh seeds take turns: every target once, then each
    ``focus`` key (comma-separated) once more. Raises ``ValueError`` naming an unknown key."""
    extra = [f.strip() for f in focus.split(",") if f.strip()]
    unknown = [f for f in extra if f not in keys]
    if unknown:
        raise ValueError(f"focus targets {unknown} unknown; known: {list(keys)}")
    return torch.tensor(list(range(len(keys))) + [list(keys).index(f) for f in extra])


def batch_order(per: torch.Tensor, bk: torch.Tensor, ema: torch.Tensor, too_old: torch.Tensor,
                by_target: bool) -> torch.Tensor:
    """Indices of a batch, worst first: the first are reseeded, the last damaged.

    ``per``: (B,) loss of each sample; ``bk``: (B,) its target; ``ema``: (K,) running loss per
    target (NaN for one not seen yet); ``too_old``: (B,) bool, samples past ``max_age``, which
    sort before all others. ``by_target``: rank by ``per / ema[bk]`` (see
    :attr:`TrainConfig.rank_by_target`) instead of ``per``.
    """
    score = per
    if by_target:
        seen = ema[~ema.isnan()]
        level = torch.nan_to_num(ema, nan=float(seen.mean()) if len(seen) else 1.0)
        score = per / level.to(per.device)[bk].clamp_min(1e-12)
    return torch.where(too_old, score + 1e3, score).argsort(descending=True)


def cut_angles(bk: torch.Tensor, cut_ema: torch.Tensor, generator: torch.Generator,
               explore: float = 0.25) -> tuple[torch.Tensor, torch.Tensor]:
    """(sectors, angles) for cutting samples of targets ``bk`` (n,): each sector (0..15) drawn
    with probability proportional to ``cut_ema[target]`` (K, CUT_SECTORS; how badly that
    target regrew from each direction, 1 = as well as its average), or uniformly with
    probability ``explore``; the angle (radians) uniform within its sector."""
    dev = generator.device
    n = len(bk)
    w = cut_ema[bk.cpu()].clamp_min(1e-6).to(dev)
    w = (1 - explore) * w / w.sum(dim=1, keepdim=True) + explore / CUT_SECTORS
    sectors = torch.multinomial(w, 1, generator=generator).squeeze(1)
    within = torch.rand(n, generator=generator, device=dev)
    return sectors.cpu(), ((sectors.float() + within) * (2 * math.pi / CUT_SECTORS)).cpu()


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=False, cwd=Path(__file__).resolve().parent, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def lr_at(cfg: TrainConfig, it: int) -> float:
    t = it / max(1, cfg.iterations - 1)
    return cfg.lr_end + 0.5 * (cfg.lr - cfg.lr_end) * (1 + math.cos(math.pi * t))


def train(cfg: TrainConfig, out: Path, ckpt: Path, device: torch.device, resume: bool,
          log_every: int = 20, ckpt_every: int = 100, run_eval: bool = True,
          init: Path | None = None, targets_given: np.ndarray | None = None) -> dict:
    """Train, write ``out`` and its provenance, return the provenance dict.

    ``init``: start from these weights (same targets and architecture, or fewer channels: then
    widened to ``cfg.channels``) instead of a fresh model, to continue training shipped weights
    with a new schedule (fine-tuning).
    ``targets_given``: the (K, 4, size, size) targets as rendered on another machine (the GPU
    one-shot, :mod:`models.train_gpu`, where our font is not installed); default: render here.
    """
    if targets_given is None:
        keys, targets = padded_targets(cfg.targets, cfg.target_size, cfg.grid)
    else:
        keys, targets = list_targets(cfg.targets), pad_targets(targets_given, cfg.grid)
    targets = targets.to(device)
    k_n = len(keys)
    ncfg = NCAConfig(targets=keys, hidden=cfg.hidden, fire_rate=cfg.fire_rate,
                     target_size=cfg.target_size, grid=cfg.grid, channels=cfg.channels)
    model = NCA(ncfg, generator=torch.Generator().manual_seed(cfg.seed)).to(device)
    init_info = None
    if init is not None:
        start = NCA.load(init)
        from_channels = start.config.channels
        if from_channels < ncfg.channels:  # capacity A/B: same function, more room
            start = start.widened(ncfg.channels, torch.Generator().manual_seed(cfg.seed))
        # The training grid is not part of the weights: a model may continue on a wider grid
        # (e.g. to see, and unlearn, growth past the old grid's edge).
        if replace(start.config, grid=ncfg.grid) != ncfg:
            sys.exit(f"--init {init}: its config {start.config} differs from {ncfg}")
        model.load_state_dict(start.state_dict())
        init_info = {"path": str(init), "sha256": hashlib.sha256(init.read_bytes()).hexdigest(),
                     "grid": start.config.grid, "channels": from_channels}
        if provenance_path(init).is_file():  # the chain of runs behind the starting weights
            init_info["provenance"] = json.loads(provenance_path(init).read_text())
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    turns = target_turns(keys, cfg.focus).to(device)  # targets in turn, focus ones twice
    pool_k = turns[torch.arange(cfg.pool, device=device) % len(turns)]
    pool_age = torch.zeros(cfg.pool, dtype=torch.long, device=device)  # steps since seeded
    with torch.no_grad():
        pool = model.seed(pool_k, cfg.grid)
    start_it, elapsed, history = 0, 0.0, []
    ema = torch.full((k_n,), float("nan"))
    cut_ema = torch.ones(k_n, CUT_SECTORS)  # see cut_angles; 1 = nothing known yet
    if resume and ckpt.exists():
        blob = torch.load(ckpt, map_location=device, weights_only=False)
        # a checkpoint from before a field existed ran with that field's default
        if {**asdict(TrainConfig()), **blob["config"]} != asdict(cfg):
            sys.exit(f"checkpoint {ckpt} was made with a different config: {blob['config']}")
        model.load_state_dict(blob["model"])
        opt.load_state_dict(blob["opt"])
        pool, pool_k = blob["pool"].to(device), blob["pool_k"].to(device)
        if "pool_age" in blob:  # checkpoints from before max_age kept no ages (it was off)
            pool_age = blob["pool_age"].to(device)
        gen.set_state(blob["gen"])
        start_it, elapsed, history = blob["it"], blob["elapsed"], blob["history"]
        ema = blob["ema"]
        if "cut_ema" in blob:  # from before hard_cuts existed: nothing learnt yet
            cut_ema = blob["cut_ema"]
        print(f"resumed from {ckpt} at iteration {start_it}", flush=True)

    t_start = time.time() - elapsed
    t_log = time.time()
    for it in range(start_it, cfg.iterations):
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, it)
        idx = torch.randperm(cfg.pool, generator=gen, device=device)[: cfg.batch]
        x, bk, age = pool[idx].clone(), pool_k[idx].clone(), pool_age[idx].clone()
        with torch.no_grad():
            per = ((x[:, :4] - targets[bk]) ** 2).mean(dim=(1, 2, 3))
            too_old = age >= cfg.max_age if cfg.max_age else torch.zeros_like(age, dtype=bool)
            order = batch_order(per, bk, ema, too_old, cfg.rank_by_target)
            x, bk, age = x[order], bk[order], age[order]
            # replace those with fresh seeds (at least ``seeds``) of their own target, or of
            # targets taking turns
            n_seed = max(1, min(cfg.seeds, cfg.batch), min(int(too_old.sum()), cfg.batch - 1))
            if not cfg.reseed_same_target:
                bk[:n_seed] = turns[(it * n_seed + torch.arange(n_seed, device=device))
                                    % len(turns)]
            x[:n_seed] = model.seed(bk[:n_seed], cfg.grid)
            age[:n_seed] = 0
            n_dmg = min(cfg.damage_n, cfg.batch - n_seed)  # never a fresh seed
            n_hard, sectors = 0, None
            if it >= cfg.damage_after and n_dmg > 0:
                angles = torch.full((n_dmg,), float("nan"))
                n_hard = round(cfg.hard_cuts * n_dmg)
                if n_hard:  # the last n_hard of the batch (its most mature samples)
                    sectors, angles[-n_hard:] = cut_angles(bk[-n_hard:], cut_ema, gen)
                x[-n_dmg:] *= damage_masks(n_dmg, cfg.grid, cfg.target_size, gen, device,
                                           cfg.half_planes, angles)
        steps = int(torch.randint(cfg.steps_min, cfg.steps_max + 1, (1,), generator=gen,
                                  device=device)[0])
        y = model(x, steps, gen, living=cfg.living)
        per = ((y[:, :4] - targets[bk]) ** 2).mean(dim=(1, 2, 3))
        loss = per.mean()
        if cfg.overflow:  # keeps hidden states bounded, so long runs neither explode nor fade
            loss = loss + cfg.overflow * (y - y.clamp(-2.0, 2.0)).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                if p.grad is not None:
                    p.grad /= p.grad.norm() + 1e-8
        opt.step()
        with torch.no_grad():
            pool[idx], pool_k[idx], pool_age[idx] = y.detach(), bk, age + steps
            for k, v in zip(bk.tolist(), per.detach().cpu().tolist(), strict=True):
                ema[k] = v if math.isnan(ema[k]) else 0.9 * ema[k] + 0.1 * v
            if n_hard:  # how these cuts regrew, against their target's running loss
                for k, s_, v in zip(bk[-n_hard:].tolist(), sectors.tolist(),
                                    per[-n_hard:].detach().cpu().tolist(), strict=True):
                    cut_ema[k, s_] = 0.8 * cut_ema[k, s_] + 0.2 * v / max(float(ema[k]), 1e-12)
        history.append(float(loss.detach()))
        done = it + 1
        if done % log_every == 0 or done == cfg.iterations:
            dt = (time.time() - t_log) / log_every
            t_log = time.time()
            eta = dt * (cfg.iterations - done) / 60
            recent = sum(history[-log_every:]) / len(history[-log_every:])
            worst = int(torch.nan_to_num(ema, -1).argmax())
            print(f"it {done:5d}/{cfg.iterations} loss {recent:.5f} "
                  f"log10 {math.log10(max(recent, 1e-12)):.2f} worst-target "
                  f"{keys[worst]}={float(ema.nan_to_num(0).max()):.4f} "
                  f"lr {lr_at(cfg, it):.2e} {dt:.2f}s/it eta {eta:.0f} min", flush=True)
        if done % ckpt_every == 0 and done < cfg.iterations:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            tmp = ckpt.with_suffix(".tmp")
            torch.save({"config": asdict(cfg), "model": model.state_dict(),
                        "opt": opt.state_dict(), "pool": pool.cpu(), "pool_k": pool_k.cpu(),
                        "pool_age": pool_age.cpu(), "gen": gen.get_state(), "it": done,
                        "elapsed": time.time() - t_start,
                        "history": history, "ema": ema, "cut_ema": cut_ema}, tmp)
            os.replace(tmp, ckpt)
            # the latest weights, with their own provenance: a snapshot may be evaluated, and
            # shipped when it passes, with the chain behind it recorded
            snap = ckpt.with_suffix(".weights.pt")
            model.save(snap)
            provenance_path(snap).write_text(json.dumps(_provenance(
                cfg, ncfg, keys, model, targets, history, ema, cut_ema, init_info, device,
                time.time() - t_start, done, targets_given is None), indent=2) + "\n")

    duration = time.time() - t_start
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    prov = _provenance(cfg, ncfg, keys, model, targets, history, ema, cut_ema, init_info,
                       device, duration, cfg.iterations, targets_given is None)
    prov_path = provenance_path(out)
    prov_path.write_text(json.dumps(prov, indent=2) + "\n")
    print(f"wrote {out} and {prov_path} ({duration / 60:.1f} min)", flush=True)
    if not run_eval:
        return prov
    try:  # the eval numbers belong in the provenance too; weights are safe if this fails
        from models.eval_nca import evaluate
        windows = None if targets_given is None else targets.cpu().numpy()
        prov["eval"] = evaluate(NCA.load(out, device), device=device, windows=windows)
        prov_path.write_text(json.dumps(prov, indent=2) + "\n")
        print(json.dumps(prov["eval"]["summary"], indent=2), flush=True)
    except Exception as exc:  # noqa: BLE001 - reported, never fatal after weights are written
        print(f"eval failed: {exc!r}", flush=True)
    return prov


def _provenance(cfg: TrainConfig, ncfg: NCAConfig, keys, model: NCA, targets: torch.Tensor,
                history: list[float], ema: torch.Tensor, cut_ema: torch.Tensor,
                init_info: dict | None, device: torch.device, duration: float, done: int,
                own_targets: bool) -> dict:
    """The provenance of weights after ``done`` of ``cfg.iterations`` iterations (``duration`` s
    of this run): command, commit, config, seed, device, the whole chain's iterations and time,
    losses. Fewer than ``cfg.iterations`` marks a checkpoint's snapshot (``snapshot_at``)."""
    tail = history[-100:]
    before = (init_info or {}).get("provenance") or {}  # the run(s) behind the --init weights
    prov = {
        "script": "python -m models.train_nca " + " ".join(sys.argv[1:]),
        "git_commit": git_commit(),
        "config": asdict(cfg),
        "model_config": asdict(ncfg),
        "seed": cfg.seed,
        "init_from": init_info,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "duration_s": round(duration, 1),
        # over this run and every run its --init weights came from
        "total_iterations": done + before.get(
            "total_iterations", before.get("config", {}).get("iterations", 0)),
        "total_duration_s": round(duration + before.get(
            "total_duration_s", before.get("duration_s", 0)), 1),
        "parameters": sum(p.numel() for p in model.parameters()),
        "final_loss": sum(tail) / len(tail) if tail else None,
        "per_target_loss_ema": {k: float(ema[i]) for i, k in enumerate(keys)},
        **({"cut_loss_by_sector": {k: [round(float(v), 3) for v in cut_ema[i]]
                                   for i, k in enumerate(keys)}} if cfg.hard_cuts else {}),
        "loss_every_100": [sum(history[i:i + 100]) / len(history[i:i + 100])
                           for i in range(0, len(history), 100)],
        "font": font_info() if cfg.targets == "digits" and own_targets else None,
        "targets_sha256": hashlib.sha256(
            np.ascontiguousarray(targets.cpu().numpy()).tobytes()).hexdigest(),
        "targets_drawn_by": "models/targets.py",
    }
    if done < cfg.iterations:
        prov["snapshot_at"] = done
    return prov


def provenance_path(weights: Path) -> Path:
    """``models/weights/nca_digits.pt`` -> ``models/weights/nca_digits.provenance.json``."""
    return weights.with_name(weights.stem + ".provenance.json")


def _truth(text: str) -> bool:
    """``true``/``1``/``yes``/``on`` (any case) -> True, ``false``/``0``/``no``/``off`` -> False."""
    t = text.lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def add_recipe_arguments(ap: argparse.ArgumentParser, defaults: dict | None = None,
                         skip: tuple[str, ...] = ("targets", "seed")) -> None:
    """One ``--field-name`` option per :class:`TrainConfig` field not in ``skip``, typed as the
    field and defaulting to it, or to ``defaults[field]`` (which may be None: the caller then
    chooses). A bool field takes ``true``/``false`` or, given alone, means true
    (``--rank-by-target`` = ``--rank-by-target true``).

    Why one place: ``train_nca`` and the GPU one-shot (:mod:`models.train_gpu`) take the same
    recipe, and a flag added to the recipe reaches both.
    """
    defaults = defaults or {}

    def later(d: object) -> str:
        return "chosen at run time" if d is None else str(d)

    for f, v in asdict(TrainConfig()).items():
        if f in skip:
            continue
        d = defaults.get(f, v)
        flag = "--" + f.replace("_", "-")
        if isinstance(v, bool):
            ap.add_argument(flag, type=_truth, nargs="?", const=True, default=d,
                            help="true or false (default " + later(d) + ")")
        else:
            ap.add_argument(flag, type=type(v), default=d, help="default " + later(d))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default="digits", help=f"one of {sorted(NCA_MODELS)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="weights file (default: shipped path)")
    ap.add_argument("--ckpt", type=Path, default=None, help="checkpoint file (default: temp dir)")
    ap.add_argument("--resume", action="store_true", help="continue from --ckpt if it exists")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--no-eval", action="store_true", help="skip eval_nca after training")
    ap.add_argument("--init", type=Path, default=None,
                    help="start from these weights (fine-tune) instead of a fresh model")
    add_recipe_arguments(ap)
    a = ap.parse_args(argv)
    if a.targets not in NCA_MODELS:
        ap.error(f"--targets {a.targets!r} unknown; known: {sorted(NCA_MODELS)}")
    try:
        target_turns(list_targets(a.targets), a.focus)
    except ValueError as exc:
        ap.error(f"--focus: {exc}")
    cfg = TrainConfig(**{f: getattr(a, f) for f in asdict(TrainConfig())})
    torch.set_num_threads(a.threads)
    device = torch.device(a.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    out = a.out or weights_path(a.targets)
    ckpt = a.ckpt or Path(tempfile.gettempdir()) / "gwangju_nca" / f"{out.stem}.ckpt.pt"
    print(f"training {cfg} on {device} -> {out} (checkpoint {ckpt})", flush=True)
    train(cfg, out, ckpt, device, a.resume, a.log_every, a.ckpt_every, not a.no_eval, a.init)


if __name__ == "__main__":
    main()
