"""The exhibit template: copied into a fresh package (three files), registered, and run through a
headless smoke run like every shipped exhibit; its settings are checked by the config like theirs.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from pilot import Pilot

import exhibits
from exhibits import REGISTRY, register
from runtime.config import default_config, parse_config
from runtime.events import VisitorEvent
from runtime.exhibit import ExhibitSpec
from runtime.settings import ConfigError
from runtime.sources import SimulatedVisitors

SIZE = (320, 180)
TEMPLATE = Path(exhibits.__file__).parent / "_template"


@pytest.fixture
def copied(tmp_path, monkeypatch):
    """The template copied to ``<tmp>/copied_exhibit`` and registered as ``copied``."""
    dst = tmp_path / "copied_exhibit"
    shutil.copytree(TEMPLATE, dst, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = importlib.import_module("copied_exhibit.settings")
    spec = register(ExhibitSpec("copied", "복사한 전시", "Copied from the template",
                                settings.TemplateSettings,
                                "copied_exhibit.exhibit:TemplateExhibit"))
    try:
        yield spec, dst
    finally:
        REGISTRY.pop("copied", None)
        for name in [m for m in sys.modules if m.split(".")[0] == "copied_exhibit"]:
            del sys.modules[name]


def taps() -> list[VisitorEvent]:
    out = []
    for k in range(8):
        pos = (0.1 + 0.1 * k, 0.3 + 0.05 * (k % 3))
        out += [VisitorEvent("enter", f"touch:{k}", "touch", pos, t=0.5 + k),
                VisitorEvent("leave", f"touch:{k}", "touch", pos, t=0.55 + k)]
    return out


def shown(seconds: float, at: tuple[float, ...]) -> tuple[object, dict[float, np.ndarray]]:
    """The copied exhibit after ``seconds`` of the fake clock with a simulated person (seed 1,
    arriving at 2 s) and scripted taps; frames drawn at the times in ``at``."""
    with Pilot(default_config(), "copied", size=SIZE,
               walkers=SimulatedVisitors(1, first_arrival_s=2.0), script=taps()) as pilot:
        frames = pilot.advance_to(seconds, shots=at)
        assert pilot.kiosk.current is not None and pilot.kiosk.current.name == "copied"
        return pilot.exhibit, frames


def test_the_template_is_three_files_and_a_copy_runs_600_steps_repeatably(pygame_headless,
                                                                          copied):
    _, dst = copied
    assert sorted(p.name for p in dst.iterdir() if p.suffix == ".py") == [
        "__init__.py", "exhibit.py", "settings.py"]
    ex, frames = shown(10.0, (0.25, 4.0, 9.0))
    assert type(ex).__module__ == "copied_exhibit.exhibit"
    assert ex.ripples  # taps and the people who stay ripple
    assert frames[4.0].std() > 5  # not a blank screen
    again, frames2 = shown(10.0, (0.25, 4.0, 9.0))
    for t in frames:
        assert np.array_equal(frames[t], frames2[t]), t  # repeatable for a seed


def test_the_copy_has_settings_the_config_checks(copied):
    spec, _ = copied
    cfg = default_config()
    assert cfg.exhibit("copied") == spec.config_cls()
    cfg = parse_config({"schema_version": 1, "exhibits": {"copied": {"ripple_s": 3.0}}})
    assert cfg.exhibit("copied").ripple_s == 3.0
    with pytest.raises(ConfigError, match=r"exhibits\.copied\.ripple_s"):
        parse_config({"schema_version": 1, "exhibits": {"copied": {"ripple_s": 99.0}}})


def test_register_refuses_a_name_taken_by_another_exhibit(copied):
    spec, _ = copied
    assert register(spec) is spec  # the same spec again is fine
    other = ExhibitSpec("numbers", "다른", "another", spec.config_cls, spec.factory)
    with pytest.raises(ValueError, match="numbers"):
        register(other)
    assert REGISTRY["numbers"].factory == "exhibits.numbers.exhibit:NumbersExhibit"
