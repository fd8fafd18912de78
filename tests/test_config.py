"""Config validation: every bad case names its key path; junk never crashes the checker."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.config import KioskConfig, default_config, load_config, parse_config
from runtime.settings import ConfigError, toml_key_lines

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [ROOT / "config.toml", *sorted((ROOT / "configs").glob("*.toml"))]


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    return [str(p) for p in err.value.problems]


def base(**tables) -> dict:
    data: dict = {"schema_version": 1}
    data.update(tables)
    return data


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_configs_are_valid(path):
    cfg = load_config(path)
    assert isinstance(cfg, KioskConfig)
    assert cfg.playlist


def test_defaults_are_frozen_and_complete():
    cfg = default_config()
    assert cfg.display.size_px == (1920, 1080)
    assert "diagnostic" in cfg.exhibits
    with pytest.raises(AttributeError):
        cfg.display.fps = 30  # type: ignore[misc]


@pytest.mark.parametrize(("data", "expected"), [
    (base(display={"fps": 500}), "display.fps: must be 24..240, got 500"),
    (base(display={"fps": 59.5}), "display.fps: must be an integer, got 59.5"),
    (base(display={"fullscreen": "yes"}), "display.fullscreen: must be true or false"),
    (base(display={"size_px": [1920]}), "display.size_px: must be a list of 2 items, got 1"),
    (base(display={"size_px": [1920, 10]}), "display.size_px[1]: must be 64..7680, got 10"),
    (base(display={"colour": 1}), "display.colour: unknown key"),
    (base(transition={"kind": "wipe"}),
     "transition.kind: must be one of 'crossfade', 'cut'; got 'wipe'"),
    (base(input={"ignore_zones": [[0, 0, 2, 0.1]]}), "input.ignore_zones[0][2]: must be 0..1"),
    (base(playlist=[{"exhibit": "diagnostic"}, {"exhibit": "nope"}]),
     "playlist[1].exhibit: must be one of"),
    (base(playlist=[]), "playlist: must have at least 1 items, got 0"),
    (base(playlist=[{"exhibit": "diagnostic", "duration_s": 1}]),
     "playlist[0].duration_s: must be 5..86400, got 1"),
    (base(exhibits={"diagnostic": {"grid_px": 5}}),
     "exhibits.diagnostic.grid_px: must be 16..1000, got 5"),
    (base(exhibits={"nope": {}}), "exhibits.nope: unknown exhibit; known: "),
    (base(runtime={"device": "tpu"}), "runtime.device: must be one of 'auto', 'cpu', 'cuda'"),
    ({}, "schema_version: missing"),
    (base(schema_version=2), "schema_version: must be one of 1; got 2"),
    (base(display=3), "display: must be a table, got 3"),
])
def test_each_bad_value_names_its_key_path(data, expected):
    found = problems_of(data)
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_at_once():
    found = problems_of(base(display={"fps": 1, "vsync": 2}, transition={"duration_s": -1}))
    assert {p.split(":")[0] for p in found} == {"display.fps", "display.vsync",
                                                "transition.duration_s"}


def test_problems_carry_the_toml_line(tmp_path):
    text = (
        "schema_version = 1\n"
        "[display]\n"
        "fps = 60\n"
        "size_px = [1920, 1080]\n"
        "\n"
        "[[playlist]]\n"
        "exhibit = 'diagnostic'\n"
        "[[playlist]]\n"
        "exhibit = 'diagnostic'\n"
        "duration_s = 2\n"
        "[exhibits.diagnostic]\n"
        "grid_px = 9999\n"
    )
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    lines = {p.path: p.line for p in err.value.problems}
    assert lines == {"playlist[1].duration_s": 10, "exhibits.diagnostic.grid_px": 12}


def test_invalid_toml_names_the_line(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("schema_version = 1\n[display]\nfps = = 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    (problem,) = err.value.problems
    assert problem.line == 3 and "not valid TOML" in problem.message


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.toml")


def test_key_line_scanner_understands_tables_and_arrays():
    lines = toml_key_lines("a = 1\n[t]\nb = 2\n[[p]]\nc = 3\n[[p]]\nc = 4\n[x.y]\n  d = 5\n")
    assert lines["a"] == 1 and lines["t.b"] == 3
    assert lines["p[0].c"] == 5 and lines["p[1].c"] == 7 and lines["x.y.d"] == 9


def test_overrides_layer_on_top_of_the_file():
    cfg = default_config().with_overrides(windowed=True, size=(640, 360), exhibit="diagnostic")
    assert not cfg.display.fullscreen and cfg.display.size_px == (640, 360)
    assert [e.exhibit for e in cfg.playlist] == ["diagnostic"]


# --- junk never crashes the checker -------------------------------------------------------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
toml_like = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=20,
)
known_keys = st.sampled_from(["display", "input", "transition", "playlist", "runtime",
                              "exhibits", "schema_version", "size_px", "fps", "exhibit",
                              "diagnostic", "grid_px", "ignore_zones", "duration_s"])
config_like = st.dictionaries(st.one_of(known_keys, st.text(max_size=6)),
                              st.one_of(toml_like, st.dictionaries(known_keys, toml_like)),
                              max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_like)
def test_random_configs_are_accepted_or_refused_with_paths(data):
    try:
        parse_config(data)
    except ConfigError as err:
        assert err.problems
        for p in err.problems:
            assert p.path and p.message


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_crashes_the_loader(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text(text, encoding="utf-8")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        pass
    try:
        load_config(path)
    except ConfigError as err:
        assert err.problems


# --- the check command ------------------------------------------------------------------------
def run_check(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "kiosk.py"), "check", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_check_command_accepts_the_shipped_config():
    done = run_check(str(ROOT / "config.toml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok" in done.stdout


def test_check_command_refuses_a_wrong_value_naming_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (ROOT / "config.toml").read_text().replace("grid_px = 120", "grid_px = 5000")
    bad.write_text(text)
    done = run_check(str(bad))
    assert done.returncode == 2
    assert "exhibits.diagnostic.grid_px: must be 16..1000, got 5000" in done.stdout
    assert "(line " in done.stdout


def test_explain_lists_every_key_with_its_doc():
    done = subprocess.run([sys.executable, str(ROOT / "kiosk.py"), "check", "--explain"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0
    for key in ("display.fps = 60  [24..240]", "transition.kind = \"crossfade\"",
                "exhibits.diagnostic.grid_px = 120"):
        assert key in done.stdout
