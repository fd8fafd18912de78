"""Model names and targets: listable without torch; targets drawn by our code, right shapes."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.catalog import CPPN_STYLES, NCA_MODELS, list_styles, list_targets, weights_path
from models.targets import SIZE, font_info, render_targets

REPO = Path(__file__).resolve().parents[1]
LANDMARKS_CSV = REPO.parent / "shared" / "data" / "gwangju_landmarks.csv"
DATA_KINDS = {"culture_center", "cemetery_memorial", "mountain", "national_park",
              "railway_station", "university"}


def test_names_listed_without_importing_torch():
    code = ("import sys, models; "
            "t = models.list_targets('digits'); s = models.list_styles(); "
            "assert 'torch' not in sys.modules, 'torch imported'; print(len(t), len(s))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=False, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["10", str(len(CPPN_STYLES))]


def test_catalog_lists():
    assert list_targets("digits") == tuple("0123456789")
    assert 8 <= len(list_targets("landmarks")) <= 12
    assert set(list_styles()) == set(CPPN_STYLES)
    assert weights_path("digits").name == "nca_digits.pt"
    with pytest.raises(KeyError, match="known"):
        list_targets("faces")


def test_landmark_kinds_of_the_data_have_pictograms():
    kinds = set(DATA_KINDS)
    if LANDMARKS_CSV.is_file():
        with LANDMARKS_CSV.open(newline="", encoding="utf-8") as f:
            kinds |= {row["kind"] for row in csv.DictReader(f)}
    assert kinds <= set(list_targets("landmarks"))


@pytest.mark.parametrize("model", sorted(NCA_MODELS))
def test_targets_are_premultiplied_rgba(model):
    keys, t = render_targets(model)
    assert keys == list_targets(model)
    assert t.shape == (len(keys), 4, SIZE, SIZE) and t.dtype == np.float32
    assert t.min() >= 0.0 and t.max() <= 1.0
    assert (t[:, :3] <= t[:, 3:4] + 1e-6).all()  # premultiplied
    alpha = t[:, 3]
    assert ((alpha > 0.05) & (alpha < 0.95)).any()  # antialiased edges
    cover = (alpha > 0.5).mean(axis=(1, 2))
    assert (cover > 0.05).all() and (cover < 0.7).all()
    flat = t.reshape(len(keys), -1)
    dist = ((flat[:, None] - flat[None]) ** 2).mean(-1) + np.eye(len(keys))
    assert dist.min() > 1e-3  # every target differs from every other


def test_font_is_recorded():
    info = font_info()
    assert info["path"] is None or Path(info["path"]).is_file()


def test_target_images_are_cached_and_read_only():
    from models.targets import render_digit, render_pictogram

    a = render_digit("7")
    assert a is render_digit("7") and not a.flags.writeable
    p = render_pictogram("tower")
    assert p is render_pictogram("tower") and not p.flags.writeable


def test_weights_summary_reads_the_provenance(tmp_path):
    import json

    from models.catalog import weights_summary

    path = tmp_path / "nca_digits.pt"
    state, line = weights_summary("digits", path)
    assert state == "missing" and "plain look" in line
    path.write_bytes(b"weights")
    state, line = weights_summary("digits", path)
    assert state == "unchecked" and "provenance" in line
    prov = {"total_iterations": 12000, "total_duration_s": 7200, "device": "cpu", "seed": 0,
            "config": {"hidden": 192}, "git_commit": "0123456789abcdef",
            "eval": {"summary": {"pass": False}}}
    (tmp_path / "nca_digits.provenance.json").write_text(json.dumps(prov))
    state, line = weights_summary("digits", path)
    assert state == "unchecked" and "NOT passed" in line and "12,000 iterations" in line
    prov["eval"]["summary"]["pass"] = True
    (tmp_path / "nca_digits.provenance.json").write_text(json.dumps(prov))
    state, line = weights_summary("digits", path)
    assert state == "ok" and "2.0 h on cpu" in line and "commit 01234567" in line


def test_check_reports_a_shipped_models_provenance(tmp_path, monkeypatch):
    import json
    from pathlib import Path

    import models.catalog
    from runtime.check import check

    path = tmp_path / "nca_digits.pt"
    path.write_bytes(b"weights")
    (tmp_path / "nca_digits.provenance.json").write_text(json.dumps(
        {"total_iterations": 6000, "eval": {"summary": {"pass": True}}}))
    real = models.catalog.weights_path
    monkeypatch.setattr(models.catalog, "weights_path",
                        lambda name: path if name == "digits" else real(name))
    lines: list[str] = []
    assert check(Path("config.toml"), render=False, out=lines.append) == 0
    text = "\n".join(lines)
    assert "note: digits NCA: nca_digits.pt, 6,000 iterations" in text
    assert "quality bar passed" in text and "landmarks NCA" not in text  # absent: said elsewhere
