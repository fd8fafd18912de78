"""models.contact_sheet: five rows per target (target, grown, damaged, regrown, later)."""

from __future__ import annotations

import numpy as np
import torch

from models.contact_sheet import SLOT, main, rows, sheet
from tests.test_models_nca import random_model


def test_rows_show_the_targets_and_what_the_canvas_grew():
    torch.set_num_threads(1)
    model = random_model(std=0.05)
    with torch.inference_mode():
        target, grown, damaged, regrown, later = rows(model, grow_steps=6, regrow_steps=4,
                                                      stable_steps=12)
    assert target.shape == grown.shape == later.shape == (4, SLOT, SLOT * 10)
    for i in range(10):  # every slot holds its target's drawing
        assert target[3, :, i * SLOT:(i + 1) * SLOT].max() > 0.9
    assert grown[3].sum() > 0 and damaged[3].sum() < grown[3].sum()  # half-planes erased
    img = sheet(model, scale=2, grow_steps=6, regrow_steps=4, stable_steps=12)
    assert img.shape == (5 * SLOT * 2, 10 * SLOT * 2, 3) and img.dtype == np.uint8


def test_an_unreadable_weights_file_is_one_clear_error(tmp_path, capsys):
    bad = tmp_path / "nca_digits.pt"
    bad.write_bytes(b"not weights")
    assert main([str(bad), "--out", str(tmp_path / "s.png")]) == 2
    assert "cannot load" in capsys.readouterr().err
    assert not (tmp_path / "s.png").exists()
