"""Fuzz: hostile edits of the shipped files never crash ``check`` or the running kiosk.

Hypothesis builds structured mutations of the files the kiosk reads — ``config.toml``, the
landmark CSV and a calibration written by the kiosk's own writer: values of the wrong type, deep
nesting, huge sizes, bad encodings, NaN/inf, very long strings, format specs in captions,
truncation, stray bytes. For every one:

- ``check`` (in-process, without the test render) returns 0 or 2 and never raises;
- a running kiosk (real engine, offscreen, fake clock) fed the same file by hot reload never
  raises or exits, and keeps its last good config whenever it refuses the file;
- the calibration loader raises only ``CalibrationError``, and the camera start-up goes on
  uncalibrated.

One example of each kind also goes through ``kiosk.py check`` as a subprocess: exit 2, no
traceback. Deterministic (``derandomize``) and quick: a few seconds per test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from runtime.assets import ASSETS_DIR
from runtime.check import check
from runtime.config import MAX_CONFIG_BYTES, load_config
from runtime.settings import ConfigError
from runtime.vision.calibration import (
    CalibrationError,
    check_calibration,
    load_homography,
    save_calibration,
    solve,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG = (ROOT / "config.toml").read_text(encoding="utf-8")
SHIPPED_LANDMARKS = (ASSETS_DIR / "landmarks" / "gwangju.csv").read_text(encoding="utf-8")
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- hostile pieces shared by the three file kinds --------------------------------------------
def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


depths = st.sampled_from([3, 200, 999, 1000, 5000, 50_000])
long_lengths = st.sampled_from([41, 81, 121, 301, 1025, 100_000, 900_000])
hostile_text = st.one_of(
    st.text(max_size=40),
    long_lengths.map(lambda n: "x" * n),
    st.sampled_from(["{found:>50000000}", "{n!r}", "{n.__class__}", "{count[0]}", "{}", "{",
                     "}", "{{n}}", "nan", "inf", "-inf", "1e400", "\x00", "\ufeff", "😀" * 50,
                     "광주" * 100, "a\nb", '"', "'", ",", "\\", "9" * 5000]),
)
stray_bytes = st.sampled_from([b"\xff", b"\xfe\xff", b"\x00", b"\xc3", b"\xef\xbb\xbf",
                               b"\xed\xa0\x80", b"\r", b"\n" * 3])


@st.composite
def byte_mutation(draw, data: bytes) -> bytes:
    """Insert stray bytes, truncate, or pad past the size caps — on the encoded file."""
    kind = draw(st.sampled_from(["insert", "truncate", "pad", "none"]))
    at = draw(st.integers(0, len(data)))
    if kind == "insert":
        return data[:at] + draw(stray_bytes) + data[at:]
    if kind == "truncate":
        return data[:at]
    if kind == "pad":
        return data + b"\n#" + b"x" * draw(st.sampled_from([1000, MAX_CONFIG_BYTES]))
    return data


# --- config.toml ------------------------------------------------------------------------------
toml_scalars = st.one_of(
    st.integers(-2**70, 2**70).map(str),
    st.sampled_from(["nan", "inf", "-inf", "+inf", "1e400", "-0.0", "9" * 400, "9" * 5000,
                     "true", "false", "1979-05-27T07:32:00Z", "0x10", "[]", "{}"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    hostile_text.map(json.dumps),  # a TOML basic string (or, with lone surrogates, invalid TOML)
)
toml_values = st.one_of(
    toml_scalars,
    st.lists(toml_scalars, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.dictionaries(st.sampled_from(["a", "b", "fps"]), toml_scalars, max_size=3).map(
        lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}"),
    depths.map(nested),
    depths.map(lambda n: "{a = " * n + "1" + "}" * n),
)
extra_keys = st.sampled_from([
    ("", "source"), ("", "exhibits"), ("display", "source"), ("analytics", "db_path"),
    ("runtime", "log_dir"), ("exhibits.numbers", "grew_en"), ("exhibits.numbers", "info_ko"),
    ("exhibits.numbers", "text_digits"), ("exhibits.numbers", "hint_en"),
    ("exhibits.city", "progress_en"), ("exhibits.city", "title_ko"),
    ("exhibits.city", "source_label"), ("camera", "calibration_path"), ("input", "record_path"),
])


@st.composite
def config_files(draw, base: str) -> bytes:
    lines = base.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "add", "drop"]))
        keyed = [i for i, line in enumerate(lines) if "=" in line and not line.startswith("#")]
        if kind == "replace" and keyed:
            i = draw(st.sampled_from(keyed))
            lines[i] = lines[i].split("=", 1)[0] + "= " + draw(toml_values)
        elif kind == "drop" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
        else:
            table, key = draw(extra_keys)
            line = f"{key} = {draw(toml_values)}"
            header = f"[{table}]"
            at = lines.index(header) + 1 if header in lines else 0
            lines.insert(at if table else 0, line)
    return draw(byte_mutation("\n".join(lines).encode("utf-8", "surrogatepass")))


# --- the landmark CSV -------------------------------------------------------------------------
@st.composite
def landmark_files(draw) -> bytes:
    rows = list(csv.reader(io.StringIO(SHIPPED_LANDMARKS)))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["cell", "cell", "drop_column", "add_column", "repeat",
                                     "drop_rows"]))
        r = draw(st.integers(0, len(rows) - 1))
        if kind == "cell" and rows[r]:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(hostile_text)
        elif kind == "drop_column" and rows[r]:
            del rows[r][draw(st.integers(0, len(rows[r]) - 1))]
        elif kind == "add_column":
            rows[r].append(draw(hostile_text))
        elif kind == "repeat":
            rows += [rows[r]] * draw(st.sampled_from([1, 30, 5000]))
        else:
            rows = rows[:1] + rows[draw(st.integers(1, len(rows))):]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return draw(byte_mutation(out.getvalue().encode("utf-8", "surrogatepass")))


# --- calibration.json (the kiosk's own writer makes the starting file) --------------------------
def written_calibration(folder: Path) -> dict:
    targets = [(0.15, 0.15), (0.85, 0.15), (0.85, 0.85), (0.15, 0.85), (0.5, 0.5), (0.5, 0.15)]
    observed = [(0.1 + 0.8 * x, 0.12 + 0.7 * y + 0.05 * x) for x, y in targets]
    path = folder / "written.json"
    save_calibration(path, solve(targets, observed))
    return json.loads(path.read_text(encoding="utf-8"))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
              st.floats(allow_nan=True, allow_infinity=True), hostile_text),
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=12,
)


@st.composite
def calibration_files(draw, base: dict) -> bytes:
    data = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([*base, "extra"]))
        kind = draw(st.sampled_from(["value", "element", "deep", "drop"]))
        if kind == "value":
            data[key] = draw(json_values)
        elif kind == "element" and isinstance(data.get(key), list) and data[key]:
            i = draw(st.integers(0, len(data[key]) - 1))
            data[key][i] = draw(json_values)
        elif kind == "deep":
            data[key] = "@DEEP@"
        else:
            data.pop(key, None)
    text = json.dumps(data).replace('"@DEEP@"', nested(draw(depths)))
    return draw(byte_mutation(text.encode("utf-8", "surrogatepass")))


# --- the running kiosk that hot-reloads every file ---------------------------------------------
@dataclass
class Live:
    kiosk: object
    clock: object
    folder: Path
    config: Path
    landmarks: Path
    base: str  # the shipped config, pointing at this folder's landmark file


@pytest.fixture(scope="module")
def live(tmp_path_factory, pygame_headless):
    from runtime.app import Kiosk, OffscreenPresenter
    from runtime.clock import FakeTime

    folder = tmp_path_factory.mktemp("fuzz")
    landmarks = folder / "landmarks.csv"
    landmarks.write_text(SHIPPED_LANDMARKS, encoding="utf-8")
    base = SHIPPED_CONFIG.replace('landmarks_file = "landmarks/gwangju.csv"',
                                  f'landmarks_file = "{landmarks}"')
    assert base != SHIPPED_CONFIG
    config = folder / "config.toml"
    config.write_text(base, encoding="utf-8")
    clock = FakeTime()
    # Pinned to the light diagnostic exhibit at a small size: what is under test is the reload.
    kiosk = Kiosk(load_config(config), OffscreenPresenter((96, 54)), time_fn=clock,
                  config_path=config,
                  overrides=lambda c: c.with_overrides(size=(96, 54), exhibit="diagnostic"))
    kiosk.start()
    yield Live(kiosk, clock, folder, config, landmarks, base)
    kiosk.stop()


def write(path: Path, data: bytes) -> None:
    """Write ``data``; bump the mtime if the file system's clock did not move (coarse clocks)."""
    old = path.stat().st_mtime_ns if path.exists() else 0
    path.write_bytes(data)
    if path.stat().st_mtime_ns == old:
        os.utime(path, ns=(old + 1_000_000, old + 1_000_000))


def reload_and_assert_kept(live: Live, path: Path, data: bytes) -> None:
    """Feed ``data`` to the running kiosk's hot reload; it must survive and keep a good config."""
    kiosk = live.kiosk
    before = kiosk.cfg
    write(path, data)
    for _ in range(3):  # the watcher looks every 2 s of kiosk time
        live.clock.advance(1.0)
        kiosk.frame()
    assert kiosk.exit_code is None
    if kiosk.config_error:
        assert kiosk.cfg is before  # refused: the last good config keeps running
    else:  # accepted: it is the file's config, validated as check does
        assert kiosk.cfg.source == str(live.config)
    # Back to the good file, so the next example starts from a known state.
    write(live.config, live.base.encode())
    write(live.landmarks, SHIPPED_LANDMARKS.encode())
    for _ in range(3):
        live.clock.advance(1.0)
        kiosk.frame()
    assert kiosk.config_error == "" and kiosk.exit_code is None


def check_verdict(path: Path) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = check(path, render=False, out=lines.append)
    assert code in (0, 2), lines
    assert not any("Traceback" in line for line in lines)
    return code, lines


# --- the properties ----------------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_hostile_configs_are_refused_by_check_and_by_the_running_kiosk(live, data):
    text = data.draw(config_files(live.base))
    path = live.folder / "candidate.toml"
    write(path, text)
    code, lines = check_verdict(path)
    event(f"check exit {code}")
    if code == 2:
        assert lines[0].startswith(f"{path}: ")  # names the file
    try:
        load_config(path)
    except ConfigError as err:
        assert err.problems and err.source == str(path)
    reload_and_assert_kept(live, live.config, text)


@FUZZ
@given(data=st.data())
def test_hostile_landmark_files_are_refused_by_check_and_by_the_running_kiosk(live, data):
    blob = data.draw(landmark_files())
    write(live.landmarks, blob)
    code, lines = check_verdict(live.config)
    event(f"check exit {code}")
    if code == 2:
        assert any("exhibits.city.landmarks_file" in line for line in lines), lines
    reload_and_assert_kept(live, live.landmarks, blob)


@pytest.fixture(scope="module")
def calibration_base(tmp_path_factory) -> dict:
    return written_calibration(tmp_path_factory.mktemp("calibration"))


@FUZZ
@given(data=st.data())
def test_hostile_calibrations_are_refused_in_one_line_and_the_camera_runs_uncalibrated(
        live, calibration_base, data):
    from runtime.run import open_camera

    blob = data.draw(calibration_files(calibration_base))
    cal = live.folder / "fuzzed-calibration.json"  # not the config's default calibration.json
    write(cal, blob)
    config = live.folder / "camera.toml"
    config.write_text(f'schema_version = 1\n[camera]\nsource = "clip.mp4"\n'
                      f'calibration_path = "{cal}"\n', encoding="utf-8")
    event(f"check exit {check_verdict(config)[0]}")
    messages = check_calibration(cal)
    assert all(isinstance(m, str) and m.startswith(f"{cal}: ") for m in messages)
    try:
        load_homography(cal)
    except CalibrationError as err:
        assert "\n" not in str(err) and str(err).startswith(f"{cal}: ")
    source, homography, _ = open_camera(load_config(config), live.folder)
    assert source is not None
    assert homography is None or homography.shape == (3, 3)


def test_the_shipped_files_pass_as_the_fuzzers_start_from_them(live, calibration_base):
    assert check_verdict(live.config)[0] == 0
    path = live.folder / "shipped-calibration.json"
    path.write_text(json.dumps(calibration_base), encoding="utf-8")
    assert check_calibration(path) == []


@pytest.mark.parametrize("name, files", [
    ("deep.toml", {"deep.toml": "schema_version = 1\n[display]\nsize_px = " + nested(5000)}),
    ("cal.toml", {"cal.json": '{"version": 1, "homography": [[1,0,0],[0,1,0],[0,0,1]], '
                              '"inliers": 5}',
                  "cal.toml": 'schema_version = 1\n[camera]\nsource = "0"\n'
                              'calibration_path = "cal.json"\n'}),
])
def test_kiosk_check_exits_2_without_a_traceback(tmp_path, name, files):
    for file, text in files.items():
        (tmp_path / file).write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "kiosk.py"), "check", "--no-render",
                           str(tmp_path / name)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert str(tmp_path / name) in done.stdout
