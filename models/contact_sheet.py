"""What a model grows, at a glance: ``python -m models.contact_sheet WEIGHTS --out sheet.png``.

One column per target, five rows, each pattern in its own 44-cell slot of one
:class:`models.nca.NCACanvas` (the exhibits' path, resting as the exhibits rest it):

1. the target (the 32-cell drawing the model learned, centred in its slot);
2. grown: ``grow_steps`` (96) steps from its seed cell;
3. damaged: a random half-plane through the seed erased from the grown pattern;
4. regrown: ``regrow_steps`` (96) steps later;
5. later: ``stable_steps`` (3,000) steps from the seed, undamaged (as it rested).

Cells are drawn over the City's night blue at ``scale`` (default 4) screen pixels per cell, so a
sheet of ten targets is 1,760 × 880 px. Deterministic for ``--seed``. Exit status 2 when the
weights cannot be read. Used for the quality notes of training runs (see the README).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from models.catalog import NCA_REST_AFTER
from models.eval_nca import WINDOW, half_plane_mask, model_name, window_targets
from models.nca import NCA, NCACanvas

SLOT = 44  # cells per pattern: the 40-cell window of the quality bar plus a gutter
NIGHT = np.array([6, 10, 28], np.float32) / 255.0  # background the premultiplied cells sit on


def rows(model: NCA, seed: int = 7, grow_steps: int = 96, regrow_steps: int = 96,
         stable_steps: int = 3000) -> list[np.ndarray]:
    """The five rows as premultiplied RGBA ``(4, SLOT, SLOT * K)`` float32 arrays."""
    keys = model.config.targets
    width = SLOT * len(keys)
    rest = NCA_REST_AFTER.get(model_name(model))
    centres = [(i * SLOT + SLOT // 2, SLOT // 2) for i in range(len(keys))]
    target = np.zeros((4, SLOT, width), np.float32)
    win = window_targets(model_name(model), model.config.target_size, WINDOW)
    pad = (SLOT - WINDOW) // 2
    for i in range(len(keys)):
        target[:, pad:pad + WINDOW, i * SLOT + pad:i * SLOT + pad + WINDOW] = win[i]

    grown = NCACanvas(model, width, SLOT, seed=seed, rest_after=rest)
    healed = NCACanvas(model, width, SLOT, seed=seed + 1, rest_after=rest)
    for key, (cx, cy) in zip(keys, centres, strict=True):
        grown.plant(key, cx, cy)
        healed.plant(key, cx, cy)
    grown.step(grow_steps)
    healed.x.copy_(grown.x)
    healed.damage(half_plane_mask((SLOT, width), centres, SLOT, np.random.default_rng(seed)))
    damaged = healed.x[:4].clone()
    healed.step(regrow_steps)
    snapshot = grown.x[:4].clone()
    grown.step(max(stable_steps - grow_steps, 0))
    return [target] + [x.clamp(0, 1).numpy() for x in (snapshot, damaged, healed.x[:4],
                                                       grown.x[:4])]


def sheet(model: NCA, scale: int = 4, **kw) -> np.ndarray:
    """The contact sheet as ``(5 * SLOT * scale, K * SLOT * scale, 3)`` uint8 RGB."""
    rgb = [r[:3] + NIGHT[:, None, None] * (1.0 - r[3:4]) for r in rows(model, **kw)]
    img = np.concatenate(rgb, axis=1).transpose(1, 2, 0)
    img = img.repeat(scale, axis=0).repeat(scale, axis=1)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights", type=Path)
    ap.add_argument("--out", type=Path, required=True, help="PNG to write")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=int, default=4, help="screen pixels per cell")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    try:
        model = NCA.load(a.weights)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one clear line
        print(f"contact_sheet: cannot load {a.weights}: {exc}", file=sys.stderr)
        return 2
    from PIL import Image

    with torch.inference_mode():
        Image.fromarray(sheet(model, a.scale, seed=a.seed)).save(a.out)
    print(f"{a.out}: rows target, grown (96 steps), damaged, regrown (96), later (3,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
