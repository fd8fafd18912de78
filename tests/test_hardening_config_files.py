"""Hardening, config files: whatever a config file holds, it is refused naming the file (and
key), ``check`` answers 0 or 2, reloads are read off the render thread and the running kiosk keeps
its last good config; internal fields, an empty ``db_path`` and an unwritable ``log_dir``.

Each test reproduces one probe of the hardening issue against the real loaders (texts and
captions: test_hardening_texts.py; calibration and landmark files:
test_hardening_calibration_files.py).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
from pilot import Pilot

from runtime.admin import AdminAction
from runtime.check import check
from runtime.config import MAX_CONFIG_BYTES, load_config, parse_config
from runtime.reload import ConfigWatcher
from runtime.settings import ConfigError
from runtime.visits import VisitConfig

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
    path = tmp_path / "config.toml"
    write(path, "schema_version = 1\n[exhibits.diagnostic]\ngrid_px = 100\n")
    cfg = replace(load_config(path), visits=VisitConfig(idle_s=5.0, warning_s=1.0))
    pilot = Pilot(cfg, size=(160, 90), config_path=path)
    kiosk = pilot.kiosk
    try:
        good = kiosk.cfg
        for text in (f"schema_version = 1\n[display]\nsize_px = {DEEP}\n",
                     "schema_version = 1\n[exhibits.numbers]\ngrew_en = '{n.__class__}'\n"):
            write(path, text)
            for _ in range(90):
                pilot.frame(fps=30)
            assert kiosk.cfg is good and kiosk.config_error
            assert kiosk.exit_code is None
        # The admin panel's "reload config" applies at once, even mid-visit, once valid.
        pilot.press((0.5, 0.5), touch_id=0)
        pilot.frame(fps=30)
        assert kiosk.visit.state != "idle"
        write(path, "schema_version = 1\n[exhibits.diagnostic]\ngrid_px = 60\n")
        kiosk._admin_action(AdminAction("reload"))
        pilot.frame(fps=30)
        assert kiosk.cfg.exhibit("diagnostic").grid_px == 60 and kiosk.config_error == ""
    finally:
        pilot.close()


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
