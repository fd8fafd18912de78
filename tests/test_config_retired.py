"""Retired settings keys (issue 17): a section's ``RETIRED`` keys still load, their value
ignored, with a warning naming the key and why; unknown keys stay refused."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

import pytest

from runtime.check import check
from runtime.config import ConfigError, load_config
from runtime.exhibit import ExhibitSpec
from runtime.registry import REGISTRY, register
from runtime.reload import validate_file
from runtime.settings import Problem, build, retired_keys, setting


@dataclass(frozen=True)
class KiteSettings:
    """A test section that retired ``tail_s`` and ``wind``."""

    RETIRED: ClassVar[dict[str, str]] = {
        "tail_s": "no longer used: [visits] idle_s decides when the kites land",
        "wind": "the wind now follows the visitors",
    }

    colour: str = setting("red", "the kite's colour", choices=("red", "blue"))
    count: int = setting(3, "kites in the sky", range=(1, 9))


@dataclass(frozen=True)
class Sky:
    kites: KiteSettings = setting(KiteSettings(), "the kites")


def test_a_retired_key_loads_with_a_warning_and_its_value_ignored():
    out: list[Problem] = []
    warnings: list[Problem] = []
    got = build(KiteSettings, {"colour": "blue", "tail_s": 12.5, "wind": [1, 2]}, "kites", out,
                warnings=warnings)
    assert out == [] and got == KiteSettings(colour="blue")
    assert [w.path for w in warnings] == ["kites.tail_s", "kites.wind"]
    assert "retired, value ignored" in str(warnings[0])
    assert "[visits] idle_s decides" in str(warnings[0])


def test_unknown_keys_stay_refused_and_a_retired_key_is_no_allowed_key():
    out: list[Problem] = []
    warnings: list[Problem] = []
    assert build(KiteSettings, {"tail_s": 1, "tial_s": 1}, "kites", out,
                 warnings=warnings) is None
    assert [p.path for p in out] == ["kites.tial_s"]
    assert "unknown key" in out[0].message and "tail_s" not in out[0].message
    assert [w.path for w in warnings] == ["kites.tail_s"]


def test_nested_sections_report_retired_keys_with_their_path():
    out: list[Problem] = []
    warnings: list[Problem] = []
    assert build(Sky, {"kites": {"wind": 3}}, "", out, warnings=warnings) == Sky()
    assert out == [] and [w.path for w in warnings] == ["kites.wind"]


def test_a_retired_key_that_is_still_a_setting_is_a_programming_error():
    @dataclass(frozen=True)
    class Confused:
        RETIRED: ClassVar[dict[str, str]] = {"count": "gone"}
        count: int = setting(3, "kites")

    with pytest.raises(TypeError, match="still has: count"):
        retired_keys(Confused)


@pytest.fixture
def kites():
    spec = ExhibitSpec(name="kites", title_ko="연", title_en="Kites", config_cls=KiteSettings,
                       factory="nowhere:Kites")
    register(spec)
    try:
        yield spec
    finally:
        REGISTRY.pop(spec.name, None)


CONFIG = """schema_version = 1

[exhibits.kites]
colour = "blue"
tail_s = 40
"""


def test_the_loader_keeps_the_warning_and_check_shows_it(kites, tmp_path, caplog):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.exhibit("kites") == KiteSettings(colour="blue")
    assert [(w.path, w.line) for w in cfg.warnings] == [("exhibits.kites.tail_s", 5)]
    lines: list[str] = []
    assert check(path, render=False, out=lines.append) == 0
    shown = [line for line in lines if "warning:" in line]
    assert len(shown) == 1 and "exhibits.kites.tail_s" in shown[0] and "idle_s" in shown[0]
    assert "(line 5)" in shown[0]
    # A kiosk reading the changed file logs it, once.
    with caplog.at_level(logging.WARNING, logger="kiosk.config"):
        validate_file(path)
    assert [r.getMessage().count("exhibits.kites.tail_s") for r in caplog.records] == [1]
    # An unknown key next to it is still refused.
    path.write_text(CONFIG + "tails = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="exhibits.kites.tails: unknown key"):
        load_config(path)
