"""Hardening: whatever a config, landmark or calibration file holds, it is refused naming the file
(and key), ``check`` answers 0 or 2, and the running kiosk keeps its last good config.

Each test here reproduces one probe of the hardening issue (deep nesting, huge files, bad
encodings, long texts, format specs in captions, malformed calibration, the internal ``source``
key, an empty ``db_path``, an unwritable ``log_dir``) against the real loaders.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import typing
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from exhibits.city.landmarks import MAX_FILE_BYTES as MAX_LANDMARK_BYTES
from exhibits.city.landmarks import MAX_PROBLEMS, load_landmarks
from exhibits.city.settings import TEXT_LIMITS as CITY_LIMITS
from exhibits.numbers.settings import TEXT_LIMITS as NUMBERS_LIMITS
from runtime.admin import AdminAction
from runtime.assets import ASSETS_DIR
from runtime.check import check
from runtime.config import MAX_CONFIG_BYTES, KioskConfig, load_config, parse_config
from runtime.reload import ConfigWatcher
from runtime.settings import MAX_TEXT, ConfigError, fill_template
from runtime.vision.calibration import (
    CalibrationError,
    check_calibration,
    load_calibration,
    save_calibration,
    solve,
)
from runtime.visits import VisitConfig

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_LANDMARKS = ASSETS_DIR / "landmarks" / "gwangju.csv"
DEEP = "[" * 5000 + "]" * 5000


def refusal(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.source == str(path)  # every refusal names the file
    return err.value


def run_check(path: Path) -> tuple[int, str]:
    lines: list[str] = []
    code = check(path, render=False, out=lines.append)
    return code, "\n".join(lines)


# --- item 2: any failure while reading a config is a refusal naming the file ------------------
def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text(f"schema_version = 1\n[display]\nsize_px = {DEEP}\n")
    err = refusal(path)
    assert "nested too deeply" in str(err)
    code, out = run_check(path)
    assert code == 2 and str(path) in out and "nested too deeply" in out


def test_a_config_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"schema_version = 1\n[display]\n# caf\xe9\n")
    err = refusal(path)
    assert err.problems[0].line == 3 and "not UTF-8" in err.problems[0].message


def test_huge_values_make_short_messages(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text("schema_version = 1\n[display]\nfps = '" + "x" * 500_000 + "'\n"
                    "[transition]\nduration_s = " + "9" * 4000 + "\n")
    err = refusal(path)
    assert {p.path for p in err.problems} == {"display.fps", "transition.duration_s"}
    assert len(str(err)) < 1000


# --- item 9: the file size is capped; reading and parsing happen off the render thread ----------
def test_a_config_over_the_size_cap_is_refused_unparsed(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text("schema_version = 1\n#" + "x" * MAX_CONFIG_BYTES + "\n")
    err = refusal(path)
    assert "larger than 1 MiB" in str(err)


def write(path: Path, text: str) -> None:
    """Write and make sure the mtime differs from the last write (coarse file-system clocks)."""
    old = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns == old:
        import os

        os.utime(path, ns=(old + 1_000_000, old + 1_000_000))


def finish(watcher: ConfigWatcher, now: float):
    """One poll that starts the worker, then the poll that picks up its verdict."""
    assert watcher.poll(now) is None  # the render thread only starts the job
    assert watcher.busy  # ...which is still being read and validated on the worker
    assert watcher.wait(30.0)
    change = watcher.poll(now)
    assert change is not None and not watcher.busy
    return change


def test_reload_is_read_off_the_render_thread_and_keeps_the_last_good(tmp_path, caplog):
    path = tmp_path / "config.toml"
    write(path, "schema_version = 1\n[exhibits.diagnostic]\ngrid_px = 100\n")
    watcher = ConfigWatcher(path, load_config(path), interval_s=2.0)
    assert watcher.background
    assert watcher.poll(0.0) is None  # nothing changed
    bad_files = [
        f"schema_version = 1\n[display]\nsize_px = {DEEP}\n",
        "schema_version = 1\n[exhibits.city]\nprogress_en = '{found:>50000000}'\n",
        "schema_version = 1\n#" + "x" * (MAX_CONFIG_BYTES + 10) + "\n",
        "schema_version = 1\nsource = 'elsewhere'\n",
    ]
    now = 0.0
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        for text in bad_files:
            write(path, text)
            now += 2.0
            change = finish(watcher, now)
            assert change.config is None and change.error.source == str(path)
            assert watcher.last_error
    assert caplog.text.count("config change refused") == len(bad_files)
    write(path, "schema_version = 1\n[exhibits.diagnostic]\ngrid_px = 60\n")
    change = finish(watcher, now + 2.0)
    assert change.error is None and change.config.exhibit("diagnostic").grid_px == 60
    assert watcher.last_error == ""


def test_a_running_kiosk_keeps_its_config_through_a_hostile_edit(pygame_headless, tmp_path):
    from visitor_scripts import PushSource

    from runtime.app import Kiosk, OffscreenPresenter
    from runtime.clock import FakeTime

    path = tmp_path / "config.toml"
    write(path, "schema_version = 1\n[exhibits.diagnostic]\ngrid_px = 100\n")
    cfg = replace(load_config(path), visits=VisitConfig(idle_s=5.0, warning_s=1.0))
    clock = FakeTime()
    finger = PushSource()
    kiosk = Kiosk(cfg, OffscreenPresenter((160, 90)), time_fn=clock, config_path=path,
                  sources=[finger])
    kiosk.start()
    try:
        good = kiosk.cfg
        for text in (f"schema_version = 1\n[display]\nsize_px = {DEEP}\n",
                     "schema_version = 1\n[exhibits.numbers]\ngrew_en = '{n.__class__}'\n"):
            write(path, text)
            for _ in range(90):
                clock.advance(1 / 30)
                kiosk.frame()
            assert kiosk.cfg is good and kiosk.config_error
            assert kiosk.exit_code is None
        # The admin panel's "reload config" applies at once, even mid-visit, once valid.
        finger.push("enter", "touch:0:0", 0.5, 0.5)
        clock.advance(1 / 30)
        kiosk.frame()
        assert kiosk.visit.state != "idle"
        write(path, "schema_version = 1\n[exhibits.diagnostic]\ngrid_px = 60\n")
        kiosk._admin_action(AdminAction("reload"))
        clock.advance(1 / 30)
        kiosk.frame()
        assert kiosk.cfg.exhibit("diagnostic").grid_px == 60 and kiosk.config_error == ""
    finally:
        kiosk.stop()


# --- item 4: text limits and caption templates -----------------------------------------------
def string_fields(cls: type, prefix: str = ""):
    """Every string setting (and string-tuple setting) of a config section, recursively."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if "doc" not in f.metadata:
            continue
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            yield from string_fields(tp, f"{prefix}{f.name}.")
        elif typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
            yield from string_fields(typing.get_args(tp)[0], f"{prefix}{f.name}[0].")
        elif tp is str or (typing.get_origin(tp) is tuple and typing.get_args(tp)[0] is str):
            items = 0 if tp is str else max(1, f.metadata.get("min_items") or 0)
            yield f"{prefix}{f.name}", items, f.metadata.get("max_len") or MAX_TEXT


def all_string_settings():
    from exhibits import REGISTRY

    yield from string_fields(KioskConfig)
    for name, spec in REGISTRY.items():
        yield from string_fields(spec.config_cls, f"exhibits.{name}.")


def nest(key: str, value) -> dict:
    data: dict = {"schema_version": 1}
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        if part.endswith("[0]"):
            node[part[:-3]] = [{}]
            node = node[part[:-3]][0]
        else:
            node = node.setdefault(part, {})
    node[parts[-1]] = value
    return data


@pytest.mark.parametrize("key, items, limit", list(all_string_settings()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_text_setting_has_a_length_limit_naming_key_and_limit(key, items, limit):
    long = "x" * (limit + 1)
    with pytest.raises(ConfigError) as err:
        parse_config(nest(key, [long] * items if items else long))
    wanted = f"{key}[0]" if items else key
    msgs = {p.path: p.message for p in err.value.problems}
    assert msgs.get(wanted) == f"must be at most {limit} characters, got {limit + 1}", msgs


def test_on_screen_texts_have_limits_that_fit_the_screen():
    for limits in (NUMBERS_LIMITS, CITY_LIMITS):
        assert limits and all(0 < n <= 300 for n in limits.values())
    # At the limit a text is accepted (digits for text_digits, plain text for the captions).
    data = nest("exhibits.numbers.info_en", "x" * NUMBERS_LIMITS["info_en"])
    data["exhibits"]["numbers"]["text_digits"] = "1" * NUMBERS_LIMITS["text_digits"]
    data["exhibits"]["city"] = {"title_en": "t" * CITY_LIMITS["title_en"]}
    parse_config(data)


@pytest.mark.parametrize("exhibit, key, template, words", [
    ("city", "progress_en", "{found:>50000000} of {total}", "may not use a format spec"),
    ("city", "progress_ko", "{found!r} / {total}", "may not use a conversion"),
    ("city", "progress_en", "{found.__class__} / {total}", "attribute or index access"),
    ("city", "progress_en", "{found[0]} / {total}", "attribute or index access"),
    ("city", "progress_en", "{} / {total}", "empty placeholder"),
    ("city", "progress_en", "{visitors} / {total}", "unknown placeholder {visitors}"),
    ("numbers", "grew_en", "digit {n:09999}", "may not use a format spec"),
    ("numbers", "today_ko", "{count!s}", "may not use a conversion"),
    ("numbers", "hint_en", "{name.upper}", "attribute or index access"),
    ("numbers", "info_en", "a {brace", "not a valid template"),
])
def test_caption_templates_take_only_their_plain_fields(exhibit, key, template, words):
    with pytest.raises(ConfigError) as err:
        parse_config(nest(f"exhibits.{exhibit}.{key}", template))
    (problem,) = err.value.problems
    assert problem.path == f"exhibits.{exhibit}.{key}" and words in problem.message


def test_captions_are_filled_without_the_format_mini_language():
    assert fill_template("{found} / {total} places", found=3, total=7) == "3 / 7 places"
    assert fill_template("{{literal}} {n}", n=5) == "{literal} 5"
    # A template that bypassed validation (settings built in code) stays as written.
    assert fill_template("{found:>50000000}", found=3) == "{found:>50000000}"
    assert fill_template("{n.__class__}", n=3) == "{n.__class__}"
    assert fill_template("{oops", n=3) == "{oops"


# --- item 13: internal fields, empty db_path, unwritable log_dir -------------------------------
def test_the_internal_source_field_is_not_a_config_key():
    with pytest.raises(ConfigError) as err:
        parse_config({"schema_version": 1, "source": "/somewhere/else.toml"})
    (problem,) = err.value.problems
    assert problem.path == "source" and "unknown key" in problem.message
    assert "exhibits" in problem.message  # still listed as allowed
    assert parse_config({"schema_version": 1}, source="x.toml").source == "x.toml"


def test_an_empty_db_path_fails_check(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("schema_version = 1\n[analytics]\ndb_path = \" \"\n")
    code, out = run_check(path)
    assert code == 2 and "analytics.db_path: must not be empty" in out


def test_an_unwritable_log_dir_fails_check(tmp_path):
    (tmp_path / "plain-file").write_text("not a folder")
    for log_dir in ("plain-file/logs", "plain-file", "/proc/kiosk-logs"):
        path = tmp_path / "c.toml"
        path.write_text(f"schema_version = 1\n[runtime]\nlog_dir = \"{log_dir}\"\n")
        code, out = run_check(path)
        assert code == 2 and "runtime.log_dir: cannot write log files to" in out, out
    path.write_text("schema_version = 1\n[runtime]\nlog_dir = \"new/logs\"\n")
    assert run_check(path)[0] == 0
    assert not (tmp_path / "new").exists()  # check only tried; it leaves nothing behind


# --- item 5: malformed calibration files ------------------------------------------------------
def valid_calibration() -> dict:
    targets = [(0.15, 0.15), (0.85, 0.15), (0.85, 0.85), (0.15, 0.85), (0.5, 0.5)]
    return solve(targets, [(x * 0.8 + 0.1, y * 0.7 + 0.1) for x, y in targets]).to_json()


def with_field(key, value) -> str:
    data = valid_calibration()
    data[key] = value
    return json.dumps(data)


def with_first_target(token: str) -> str:
    """A valid file whose first target's x is ``token``, written as is (NaN, 1e400, ...)."""
    data = valid_calibration()
    data["targets"][0][0] = "@"
    return json.dumps(data).replace('"@"', token)


MALFORMED_CALIBRATIONS = {
    "inliers_int": (with_field("inliers", 5), "inliers"),
    "inliers_strings": (with_field("inliers", ["yes"] * 5), "inliers"),
    "deep": ('{"version": 1, "homography": ' + "[" * 100_000 + "]" * 100_000 + "}",
             "nested too deeply"),
    "nan": (with_field("rms_error", float("nan")), "NaN"),
    "infinity": (with_first_target("-Infinity"), "Infinity"),
    "1e400": (with_first_target("1e400"), "targets[0]"),
    "huge_int": (with_first_target("9" * 400), "targets[0]"),
    "homography_3x2": (with_field("homography", [[1, 0], [0, 1], [0, 0]]), "3×3"),
    "homography_strings": (with_field("homography", [["1", 0, 0], [0, 1, 0], [0, 0, 1]]),
                           "homography"),
    "homography_bools": (with_field("homography", [[True, 0, 0], [0, True, 0], [0, 0, True]]),
                         "homography"),
    "targets_triples": (with_field("targets", [[1, 2, 3]] * 5), "targets[0]"),
    "observed_object": (with_field("observed", {"x": 1}), "observed"),
    "version_true": (with_field("version", True), "version"),
    "mirrored_string": (with_field("mirrored", "false"), "mirrored"),
    "anchor_number": (with_field("anchor", 5), "anchor"),
    "created_list": (with_field("created", [1, 2]), "created"),
    "rms_string": (with_field("rms_error", "small"), "rms_error"),
    "array": ("[1, 2, 3]", "JSON object"),
    "not_json": ("{version: 1}", "not valid JSON"),
}


@pytest.mark.parametrize("name", list(MALFORMED_CALIBRATIONS))
def test_a_malformed_calibration_is_refused_in_one_line(tmp_path, name):
    text, words = MALFORMED_CALIBRATIONS[name]
    path = tmp_path / "calibration.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalibrationError) as err:
        load_calibration(path)
    assert str(err.value).startswith(f"{path}: ") and words in str(err.value)
    assert "\n" not in str(err.value) and len(str(err.value)) < 300
    assert check_calibration(path) == [str(err.value)]


def test_calibration_files_that_are_huge_or_not_utf8_are_refused(tmp_path):
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({**valid_calibration(), "pad": "x" * 300_000}))
    with pytest.raises(CalibrationError, match="larger than"):
        load_calibration(huge)
    latin = tmp_path / "latin.json"
    latin.write_bytes(json.dumps(valid_calibration()).encode()[:-1] + b', "created": "\xe9"}')
    with pytest.raises(CalibrationError, match="not UTF-8"):
        load_calibration(latin)


def test_a_calibration_written_by_the_kiosk_still_loads(tmp_path):
    path = tmp_path / "calibration.json"
    cal = solve(*(lambda t: (t, [(x * 0.8 + 0.1, y * 0.7 + 0.1) for x, y in t]))(
        [(0.15, 0.15), (0.85, 0.15), (0.85, 0.85), (0.15, 0.85), (0.5, 0.5), (0.3, 0.7)]))
    save_calibration(path, cal)
    back = load_calibration(path)
    assert np.allclose(back.homography, cal.homography) and back.inliers == cal.inliers
    assert check_calibration(path) == []


def test_check_and_run_go_on_uncalibrated_with_a_bad_calibration(tmp_path, caplog):
    from runtime.run import open_camera

    (tmp_path / "calibration.json").write_text(with_field("inliers", 5))
    config = tmp_path / "c.toml"
    config.write_text("schema_version = 1\n[camera]\nsource = \"clip.mp4\"\n")
    code, out = run_check(config)
    assert code == 2 and "camera.calibration_path" in out and "inliers" in out
    with caplog.at_level(logging.INFO, logger="kiosk"):
        source, homography, path = open_camera(load_config(config), tmp_path)
    assert source is not None and homography is None
    lines = [r for r in caplog.records if "calibrat" in r.getMessage()]
    assert len(lines) == 1 and str(path) in lines[0].getMessage()
    assert "inliers" in lines[0].getMessage()


# --- landmark files ---------------------------------------------------------------------------
def test_a_huge_landmark_file_is_refused_unread(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(SHIPPED_LANDMARKS.read_bytes() + b"a,b,c,d,e,f,g,h,i,j\n" * 300_000)
    landmarks, problems = load_landmarks(path, "big.csv")  # a 60 MB file took 74 s before
    assert landmarks == [] and problems == [
        f"big.csv: the landmark file is larger than {MAX_LANDMARK_BYTES // 1024} KiB, the most "
        "it may be (2..24 landmarks)"]


def test_landmark_problems_are_capped(tmp_path):
    path = tmp_path / "many.csv"
    path.write_bytes(SHIPPED_LANDMARKS.read_bytes() + b"a,b,c,d,e,f,g,h,i,j\n" * 2000)
    _, problems = load_landmarks(path, "many.csv")
    assert len(problems) == MAX_PROBLEMS + 1 and "stopped after" in problems[-1]
