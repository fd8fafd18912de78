"""Operations, headless on a fake clock: schedule, rotation, visits, admin, reload, watchdog,
health, safe mode."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import urllib.request
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from visitor_scripts import PushSource

from runtime.admin import AdminConfig, AdminPanel, hash_pin, verify_pin
from runtime.app import EXIT_TO_DESKTOP, Kiosk, OffscreenPresenter, replace_playlist
from runtime.clock import FakeTime
from runtime.config import default_config, load_config
from runtime.events import VisitorEvent
from runtime.exhibit import BaseExhibit
from runtime.headless import frame_rgb
from runtime.health import HealthServer
from runtime.safemode import StartLedger, WatchdogConfig
from runtime.schedule import ScheduleConfig, parse_hours
from runtime.settings import ConfigError
from runtime.visits import VisitConfig, VisitTracker
from runtime.watchdog import FROZEN_EXIT_CODE, Watchdog, sd_notify

SIZE = (320, 180)
TUESDAY_NOON = dt.datetime(2026, 11, 24, 12, 0)
MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0)


class Wall:
    """A settable local wall clock for schedule tests."""

    def __init__(self, when: dt.datetime):
        self.when = when

    def __call__(self) -> dt.datetime:
        return self.when


def make_kiosk(cfg=None, *, wall=None, sources=(), **kw):
    clock = FakeTime()
    kiosk = Kiosk(cfg or default_config(), OffscreenPresenter(SIZE), time_fn=clock,
                  wall_fn=wall or Wall(TUESDAY_NOON), sources=list(sources), **kw)
    kiosk.start()
    return kiosk, clock


def run_for(kiosk, clock, seconds, fps=30):
    for _ in range(int(seconds * fps)):
        clock.advance(1 / fps)
        kiosk.frame()


# --- schedule ------------------------------------------------------------------------------------
def test_opening_hours_parse_and_refuse_nonsense():
    assert parse_hours("closed") == []
    assert parse_hours("10:00-12:00, 13:00-24:00")[1][0] == dt.time(13, 0)
    for bad in ("10-18", "18:00-10:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_bad_hours_in_a_config_name_the_day(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("schema_version = 1\n[schedule]\nenabled = true\nwed = '9-5'\n"
                    "closed_dates = ['2026-13-01']\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    paths = {p.path for p in err.value.problems}
    assert paths == {"schedule.wed", "schedule.closed_dates[0]"}


def test_a_closed_day_shows_the_closed_screen_and_opening_resumes(pygame_headless):
    cfg = replace(default_config(), schedule=ScheduleConfig(enabled=True))
    wall = Wall(MONDAY_NOON)  # Mondays are closed by default
    kiosk, clock = make_kiosk(cfg, wall=wall)
    try:
        run_for(kiosk, clock, 1)
        assert kiosk.closed and kiosk.current.name == "closed"
        assert kiosk.health()["status"] == "closed"
        assert frame_rgb(kiosk.presenter.surface).std() > 2  # a calm screen, not black
        wall.when = TUESDAY_NOON
        run_for(kiosk, clock, 2)
        assert not kiosk.closed and kiosk.current.name == "diagnostic"
        wall.when = dt.datetime(2026, 11, 24, 18, 30)  # Tuesday after hours
        run_for(kiosk, clock, 2)
        assert kiosk.current.name == "closed"
    finally:
        kiosk.stop()


def test_closed_dates_close_an_otherwise_open_day():
    s = ScheduleConfig(enabled=True, closed_dates=("2026-11-24",))
    assert not s.is_open(TUESDAY_NOON)
    assert s.is_open(TUESDAY_NOON + dt.timedelta(days=1))
    assert ScheduleConfig().is_open(MONDAY_NOON)  # disabled: always open


# --- visits and rotation -------------------------------------------------------------------------
def test_visit_tracker_warns_then_ends():
    v = VisitTracker(VisitConfig(idle_s=10, warning_s=3))
    assert v.observe(0.0, events=1, present=1) == "start"
    assert v.observe(1.0, events=0, present=0) is None and v.state == "active"
    v.observe(7.5, events=0, present=0)
    assert v.state == "warning" and 0 < v.warning_fraction(7.5) < 1
    assert v.observe(8.0, events=1, present=0) is None and v.state == "active"  # a touch saves it
    assert v.observe(18.0, events=0, present=0) == "end"
    assert v.state == "idle" and v.visits == 1 and v.durations_s[-1] == pytest.approx(8.0)


def test_someone_standing_in_front_of_the_camera_keeps_the_visit():
    v = VisitTracker(VisitConfig(idle_s=10, warning_s=3))
    v.observe(0.0, events=1, present=1)
    for t in range(1, 60):
        assert v.observe(float(t), events=0, present=1) is None
    assert v.state == "active"


def test_warning_overlay_then_reset_and_rotation_waits_for_the_visit(pygame_headless):
    cfg = replace_playlist(default_config(), ("diagnostic", 5.0), ("diagnostic", 5.0))
    cfg = replace(cfg, visits=VisitConfig(idle_s=10.0, warning_s=4.0))
    finger = PushSource()
    kiosk, clock = make_kiosk(cfg, sources=[finger])
    try:
        first = kiosk.current
        finger.push("enter", "touch:0:0", 0.5, 0.5)
        run_for(kiosk, clock, 0.5)
        assert kiosk.visit.state == "active"
        finger.push("leave", "touch:0:0", 0.5, 0.5)
        run_for(kiosk, clock, 6.0)  # past the exhibit's 5 s, but the visit is still on
        assert kiosk.current is first
        calm = frame_rgb(kiosk.presenter.surface).astype(float).mean()
        run_for(kiosk, clock, 2.5)  # into the warning
        assert kiosk.visit.state == "warning"
        assert frame_rgb(kiosk.presenter.surface).astype(float).mean() < calm  # dims
        run_for(kiosk, clock, 2.0)
        assert kiosk.visit.state == "idle" and kiosk.visit.visits == 1
        run_for(kiosk, clock, 1.0)
        assert kiosk.current is not first and kiosk.index == 1  # rotated after the visit
    finally:
        kiosk.stop()


class Recorder(BaseExhibit):
    """Counts visit hooks (an exhibit resetting to attract mode)."""

    def __init__(self, ctx):
        super().__init__(ctx, None)
        self.started = self.ended = 0

    def on_visit_start(self):
        self.started += 1

    def on_visit_end(self):
        self.ended += 1


def test_exhibits_hear_visit_start_and_end(pygame_headless):
    cfg = replace(default_config(), visits=VisitConfig(idle_s=5.0, warning_s=1.0))
    finger = PushSource()
    kiosk, clock = make_kiosk(cfg, sources=[finger],
                              exhibit_factory=lambda name, ctx: Recorder(ctx))
    try:
        ex = kiosk.current.exhibit
        assert ex.ctx.visit.attract
        finger.push("enter", "touch:0:0", 0.5, 0.5)
        finger.push("leave", "touch:0:0", 0.5, 0.5)
        run_for(kiosk, clock, 1.0)
        assert (ex.started, ex.ended) == (1, 0) and not ex.ctx.visit.attract
        run_for(kiosk, clock, 6.0)
        assert (ex.started, ex.ended) == (1, 1) and ex.ctx.visit.attract
    finally:
        kiosk.stop()


# --- crash isolation -----------------------------------------------------------------------------
class DrawBomb(BaseExhibit):
    def draw(self, surface, alpha):
        raise RuntimeError("draw failed")


def test_a_failing_exhibit_is_restarted_once_then_skipped_for_the_day(pygame_headless, caplog):
    made = []

    def factory(name, ctx):
        made.append(name)
        return DrawBomb(ctx, None)

    wall = Wall(TUESDAY_NOON)
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        kiosk, clock = make_kiosk(wall=wall, exhibit_factory=factory)
        run_for(kiosk, clock, 1.0)
    try:
        assert made == ["diagnostic", "diagnostic"]  # first + one restart
        assert kiosk.failures == {"diagnostic": 2}
        assert kiosk.current.name == "safe" and kiosk.health()["status"] == "degraded"
        assert "skipped for the rest of today" in caplog.text
        wall.when = TUESDAY_NOON + dt.timedelta(days=1)
        run_for(kiosk, clock, 1.5)
        assert made.count("diagnostic") >= 3  # a new day: tried again
    finally:
        kiosk.stop()


# --- admin panel ---------------------------------------------------------------------------------
PIN = "7391"  # not one of runtime.pins.PUBLIC_PINS (those never open the panel)


def admin_cfg(**kw):
    return AdminConfig(pin_hash=hash_pin(PIN, iterations=10_000), **kw)  # the lowest allowed


def tap(panel, x, y, now, source="touch"):
    return panel.handle(VisitorEvent("enter", "touch:9:0", source, (x, y)), now)


def press_key(panel, key, now):
    for b in panel._layout():
        if b.key == key:
            x, y, w, h = b.rect
            return tap(panel, (x + w / 2) / panel.size[0], (y + h / 2) / panel.size[1], now)
    raise AssertionError(f"no key {key}")


def open_pad(panel, now=0.0):
    for i, (x, y) in enumerate(((0.01, 0.01), (0.99, 0.01), (0.99, 0.99), (0.01, 0.99))):
        tap(panel, x, y, now + i * 0.5)
    assert panel.mode == "pin"


def enter_pin(panel, pin, now):
    for d in pin:
        press_key(panel, d, now)
    press_key(panel, "OK", now)


def test_pin_hash_round_trip_and_malformed_hashes():
    stored = hash_pin("0518")
    assert verify_pin("0518", stored) and not verify_pin("0519", stored)
    assert not verify_pin("0518", "nonsense")
    with pytest.raises(ValueError):
        hash_pin("12")


def test_corner_sequence_then_right_pin_opens_the_panel():
    panel = AdminPanel(admin_cfg(), (800, 450), ["diagnostic"])
    tap(panel, 0.5, 0.5, 0.0)
    assert panel.mode == "closed"
    open_pad(panel, 1.0)
    enter_pin(panel, PIN, 4.0)
    assert panel.mode == "panel"


def test_a_slow_or_wrong_corner_sequence_does_nothing():
    panel = AdminPanel(admin_cfg(sequence_s=3.0), (800, 450), ["diagnostic"])
    for i, (x, y) in enumerate(((0.01, 0.01), (0.99, 0.01), (0.99, 0.99), (0.01, 0.99))):
        tap(panel, x, y, i * 2.0)  # 6 s in all
    assert panel.mode == "closed"
    for x, y in ((0.01, 0.01), (0.01, 0.99), (0.99, 0.99), (0.99, 0.01)):
        tap(panel, x, y, 10.0)
    assert panel.mode == "closed"


def test_three_wrong_pins_lock_the_pad_for_a_while():
    panel = AdminPanel(admin_cfg(max_attempts=3, lockout_s=120.0), (800, 450), ["diagnostic"])
    open_pad(panel)
    enter_pin(panel, "1111", 3.0)
    assert panel.message == "wrong PIN · 2 tries left"
    enter_pin(panel, "2222", 4.0)
    enter_pin(panel, "3333", 5.0)
    assert panel.locked(6.0)
    enter_pin(panel, PIN, 6.0)  # even the right PIN is refused while locked
    assert panel.mode == "pin"
    enter_pin(panel, PIN, 5.0 + 121.0)
    assert panel.mode == "panel"


def test_the_panel_closes_itself_when_left_open():
    panel = AdminPanel(admin_cfg(auto_close_s=30.0), (800, 450), ["diagnostic"])
    open_pad(panel)
    enter_pin(panel, PIN, 3.0)
    panel.update(20.0)
    assert panel.is_open
    panel.update(40.0)
    assert not panel.is_open


def test_admin_in_the_running_kiosk_exits_to_desktop(pygame_headless):
    cfg = replace(default_config(), admin=admin_cfg())
    finger = PushSource()
    kiosk, clock = make_kiosk(cfg, sources=[finger])

    def touch_at(x, y):
        finger.push("enter", "touch:1:0", x, y)
        finger.push("leave", "touch:1:0", x, y)
        clock.advance(1 / 30)
        kiosk.frame()

    try:
        for x, y in ((0.01, 0.01), (0.99, 0.01), (0.99, 0.99), (0.01, 0.99)):
            touch_at(x, y)
        assert kiosk.admin.mode == "pin"
        for key in [*PIN, "OK"]:
            b = next(b for b in kiosk.admin._layout() if b.key == key)
            touch_at((b.rect[0] + b.rect[2] / 2) / SIZE[0], (b.rect[1] + b.rect[3] / 2) / SIZE[1])
        assert kiosk.admin.mode == "panel"
        frame = frame_rgb(kiosk.presenter.surface)
        assert frame.std() > 5
        exit_button = next(b for b in kiosk.admin._layout() if b.label == "exit to desktop")
        x, y, w, h = exit_button.rect
        touch_at((x + w / 2) / SIZE[0], (y + h / 2) / SIZE[1])
        assert kiosk.exit_code is None  # the first tap only asks
        confirm = next(b for b in kiosk.admin._layout() if b.label == "yes, exit to desktop")
        x, y, w, h = confirm.rect
        touch_at((x + w / 2) / SIZE[0], (y + h / 2) / SIZE[1])
        assert kiosk.exit_code == EXIT_TO_DESKTOP
        assert not kiosk.current.exhibit.visitors  # admin touches never reached the exhibit
    finally:
        kiosk.stop()


# --- hot reload ----------------------------------------------------------------------------------
def write_config(path: Path, grid_px, fps=60):
    path.write_text(f"schema_version = 1\n[display]\nfps = {fps}\n"
                    f"[exhibits.diagnostic]\ngrid_px = {grid_px}\n")


def test_valid_edit_applies_at_the_next_visit_invalid_edit_keeps_the_old(pygame_headless, caplog,
                                                                           tmp_path):
    path = tmp_path / "config.toml"
    write_config(path, 100)
    cfg = replace(load_config(path), visits=VisitConfig(idle_s=5.0, warning_s=1.0))
    finger = PushSource()
    kiosk, clock = make_kiosk(cfg, sources=[finger], config_path=path)
    try:
        finger.push("enter", "touch:0:0", 0.5, 0.5)
        run_for(kiosk, clock, 1.0)
        write_config(path, 60)
        run_for(kiosk, clock, 3.0)
        assert kiosk.pending_cfg is not None
        assert kiosk.cfg.exhibit("diagnostic").grid_px == 100  # not in the middle of a visit
        finger.push("leave", "touch:0:0", 0.5, 0.5)
        run_for(kiosk, clock, 7.0)
        assert kiosk.cfg.exhibit("diagnostic").grid_px == 60
        assert kiosk.current.exhibit.settings.grid_px == 60
        good = kiosk.cfg

        with caplog.at_level(logging.ERROR, logger="kiosk"):
            write_config(path, 5, fps=1000)
            run_for(kiosk, clock, 3.0)
        assert kiosk.cfg is good
        assert "display.fps: must be 24..240, got 1000 (line 3)" in kiosk.config_error
        assert "exhibits.diagnostic.grid_px" in kiosk.config_error
        assert "config change refused" in caplog.text
        assert kiosk.health()["status"] == "degraded"
        assert kiosk.failures == {}
    finally:
        kiosk.stop()


# --- watchdog, health, safe mode -----------------------------------------------------------------
def test_a_frozen_loop_is_detected_and_ends_the_process(caplog):
    t = FakeTime(100.0)
    exits = []
    wd = Watchdog(freeze_s=5.0, exit_after_s=10.0, time_fn=t, on_exit=exits.append)
    wd.beat()
    t.advance(1.0)
    assert wd.check()
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        t.advance(6.0)
        assert not wd.check()
    assert wd.frozen and wd.freezes == 1
    assert "render loop frozen" in caplog.text and "main thread is at" in caplog.text
    assert exits == []
    t.advance(10.0)
    wd.check()
    assert exits == [FROZEN_EXIT_CODE]
    wd.beat()
    assert wd.check() and not wd.frozen


def test_sd_notify_speaks_the_systemd_protocol(tmp_path, monkeypatch):
    sock_path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(sock_path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(sock_path))
        assert sd_notify("READY=1")
        assert server.recv(64) == b"READY=1"
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert not sd_notify("WATCHDOG=1")


def test_health_endpoint_answers_json(pygame_headless):
    kiosk, clock = make_kiosk()
    server = HealthServer(0)
    server.start()
    try:
        run_for(kiosk, clock, 1.0)
        server.publish(kiosk.health())
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health", timeout=5) as r:
            assert r.headers["Content-Type"].startswith("application/json")
            body = json.loads(r.read())
        assert body["status"] == "ok" and body["exhibit"] == "diagnostic"
        assert {"uptime_s", "fps", "camera", "audio", "last_error"} <= set(body)
        assert body["fps"] == pytest.approx(30, abs=1)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/other", timeout=5)
        assert err.value.code == 404
    finally:
        server.stop()
        kiosk.stop()


def test_the_watchdog_notes_the_hung_exhibit_and_the_next_start_learns_it(tmp_path):
    now = [5000.0]
    ledger = StartLedger(tmp_path / "starts.json", time_fn=lambda: now[0])
    ledger.record_start(WatchdogConfig())
    exits: list[int] = []
    clock = [0.0]
    dog = Watchdog(freeze_s=2.0, exit_after_s=5.0, time_fn=lambda: clock[0],
                   on_exit=exits.append, on_give_up=lambda: ledger.record_hang("city"))
    clock[0] = 3.0
    assert not dog.check() and not exits  # frozen, not yet given up: nothing noted
    assert "hung" not in json.loads((tmp_path / "starts.json").read_text())[-1]
    clock[0] = 7.5
    dog.check()
    assert exits == [FROZEN_EXIT_CODE]
    later = StartLedger(tmp_path / "starts.json", time_fn=lambda: now[0] + 60)
    later.record_start(WatchdogConfig())
    assert later.hung_today(day_start=now[0] - 10) == {"city"}
    assert later.hung_today(day_start=now[0] + 1) == set()  # a hang from yesterday is forgiven


def test_repeated_crashes_start_safe_mode(tmp_path):
    cfg = WatchdogConfig(crash_loop_count=3, crash_loop_window_s=600)
    now = [1000.0]
    ledger_path = tmp_path / "starts.json"

    def start():
        ledger = StartLedger(ledger_path, time_fn=lambda: now[0])
        return ledger, ledger.record_start(cfg)

    ledger, safe = start()
    ledger.record_clean_stop()
    assert not safe
    for _ in range(3):  # three crashes: no clean stop recorded
        now[0] += 30
        _, safe = start()
        assert not safe
    now[0] += 30
    ledger, safe = start()
    assert safe
    now[0] += 3600  # an hour later the crashes are old news
    _, safe = start()
    assert not safe


def test_safe_mode_shows_in_health(pygame_headless):
    kiosk, clock = make_kiosk(safe_mode=True)
    try:
        run_for(kiosk, clock, 0.2)
        assert kiosk.current.exhibit.ctx.safe_mode
        h = kiosk.health()
        assert h["safe_mode"] and h["status"] == "degraded"
    finally:
        kiosk.stop()


def test_health_lines_render_in_the_panel(pygame_headless, assets):
    from runtime.admin import health_lines

    kiosk, clock = make_kiosk()
    try:
        run_for(kiosk, clock, 0.5)
        lines = health_lines(kiosk.health())
        assert lines[0].startswith("status ok") and any("fps" in ln for ln in lines)
        assert np.isfinite(kiosk.health()["frame_p99_ms"])
    finally:
        kiosk.stop()
