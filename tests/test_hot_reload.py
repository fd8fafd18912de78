"""Config hot reload in a running kiosk: a valid edit applies at the next visit boundary, an
invalid one keeps the last good config and says why."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from pathlib import Path

from pilot import Pilot, Wall

from runtime.config import load_config
from runtime.visits import VisitConfig

TUESDAY_NOON = dt.datetime(2026, 11, 24, 12, 0)


def write_config(path: Path, grid_px, fps=60):
    path.write_text(f"schema_version = 1\n[display]\nfps = {fps}\n"
                    f"[exhibits.diagnostic]\ngrid_px = {grid_px}\n")


def test_valid_edit_applies_at_the_next_visit_invalid_edit_keeps_the_old(pygame_headless, caplog,
                                                                           tmp_path):
    path = tmp_path / "config.toml"
    write_config(path, 100)
    cfg = replace(load_config(path), visits=VisitConfig(idle_s=5.0, warning_s=1.0))
    pilot = Pilot(cfg, wall_fn=Wall(TUESDAY_NOON), config_path=path)
    kiosk = pilot.kiosk
    try:
        pilot.press((0.5, 0.5), touch_id=0)
        pilot.run(1.0, fps=30)
        write_config(path, 60)
        pilot.run(3.0, fps=30)
        assert kiosk.pending_cfg is not None
        assert kiosk.cfg.exhibit("diagnostic").grid_px == 100  # not in the middle of a visit
        pilot.release(touch_id=0)
        pilot.run(7.0, fps=30)
        assert kiosk.cfg.exhibit("diagnostic").grid_px == 60
        assert kiosk.current.exhibit.settings.grid_px == 60
        good = kiosk.cfg

        with caplog.at_level(logging.ERROR, logger="kiosk"):
            write_config(path, 5, fps=1000)
            pilot.run(3.0, fps=30)
        assert kiosk.cfg is good
        assert "display.fps: must be 24..240, got 1000 (line 3)" in kiosk.config_error
        assert "exhibits.diagnostic.grid_px" in kiosk.config_error
        assert "config change refused" in caplog.text
        assert kiosk.health()["status"] == "degraded"
        assert kiosk.failures == {}
    finally:
        pilot.close()
