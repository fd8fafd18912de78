"""The admin panel: PIN hashes, the corner sequence, lockout, auto-close, and the panel in a
running kiosk (driven by :class:`pilot.Pilot`) exiting to the desktop."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from pilot import Pilot, Wall

from runtime.admin import AdminConfig, AdminPanel, hash_pin, verify_pin
from runtime.app import EXIT_TO_DESKTOP
from runtime.config import default_config
from runtime.events import VisitorEvent

SIZE = (320, 180)
TUESDAY_NOON = dt.datetime(2026, 11, 24, 12, 0)


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
    pilot = Pilot(cfg, wall_fn=Wall(TUESDAY_NOON))
    kiosk = pilot.kiosk

    def touch_at(x, y):
        # A real finger through pygame's events: every button fits the 320×180 screen
        # (tests/test_admin_layout.py), the confirm button included.
        pilot.tap((x, y))

    try:
        for x, y in ((0.01, 0.01), (0.99, 0.01), (0.99, 0.99), (0.01, 0.99)):
            touch_at(x, y)
        assert kiosk.admin.mode == "pin"
        for key in [*PIN, "OK"]:
            b = next(b for b in kiosk.admin._layout() if b.key == key)
            touch_at((b.rect[0] + b.rect[2] / 2) / SIZE[0], (b.rect[1] + b.rect[3] / 2) / SIZE[1])
        assert kiosk.admin.mode == "panel"
        frame = pilot.screenshot()
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
        pilot.close()
