"""The hidden admin panel for technicians.

Opening it: tap the screen corners in the configured order (default top-left, top-right,
bottom-right, bottom-left) within ``sequence_s`` seconds, then enter the PIN. The PIN is stored
only as a salted PBKDF2 hash in the config (``python kiosk.py pin NEW`` prints the line). Three
wrong PINs lock the pad for ``lockout_s``; the lockout survives a config reload (the engine hands
the old panel to the new one). The panel closes itself after ``auto_close_s`` without a touch.

The kiosk ships with no PIN. Failure modes, all silent to visitors and logged once:

* no ``pin_hash``: the corner sequence shows nothing (the panel cannot be opened);
* a ``pin_hash`` of a publicly known PIN (:data:`PUBLIC_PINS`, e.g. the ``0518`` an earlier
  release shipped and printed in its README): the shipped hash opens nothing, and typing any
  public PIN never opens the panel whatever hash it matches; ``kiosk.py check`` refuses such a
  hash and ``doctor`` reports it;
* a hash whose PBKDF2 iteration count is outside :data:`ITERATIONS_RANGE` is refused by the
  config (a huge count would freeze the render thread at the OK key).

The panel shows live health (fps, frame-time graph, per-stage ms, camera, audio, analytics,
model device, memory trend, visits, config errors) and offers: switch exhibit, test pattern
(``diagnostic``), camera calibration (when a camera is configured), reload config, exit to
desktop (asks again: a second tap on a separate confirm button), close. Actions are returned to
the engine as :class:`AdminAction`; the panel itself changes nothing else.

While the panel or PIN pad is open, touch and mouse visitors go to it, not to the exhibit.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runtime.admin_settings import CORNERS, AdminConfig, pin_findings
from runtime.events import TOUCH_SOURCES, VisitorEvent
from runtime.pins import (
    ITERATIONS_RANGE,
    PBKDF2_ITERATIONS,
    PUBLIC_HASHES,
    PUBLIC_PINS,
    hash_pin,
    verify_pin,
)

if TYPE_CHECKING:
    import pygame

    from runtime.assets import Assets

log = logging.getLogger("kiosk.admin")

# [admin] settings and PIN findings live in runtime.admin_settings, PIN hashing in runtime.pins;
# these names are this module's API too.
__all__ = ["CONFIRM_EXIT_S", "CORNERS", "ITERATIONS_RANGE", "PBKDF2_ITERATIONS", "PUBLIC_HASHES",
           "PUBLIC_PINS", "AdminAction", "AdminConfig", "AdminPanel", "Button", "hash_pin",
           "health_lines", "pin_findings", "verify_pin"]

CONFIRM_EXIT_S = 8.0  # the "yes, exit to desktop" button disappears after this long

@dataclass(frozen=True)
class AdminAction:
    """What a technician asked for: ``kind`` is switch, reload, calibrate, exit or close."""

    kind: str
    exhibit: str = ""


@dataclass
class Button:
    label: str
    rect: tuple[int, int, int, int]
    action: AdminAction | None = None
    key: str = ""


class AdminPanel:
    """Corner-sequence detector, PIN pad and health panel (see module docstring).

    Args:
        cfg: ``[admin]`` settings.
        size: screen size in pixels.
        exhibits: registered exhibit names for the switch buttons.
        can_calibrate: show the camera calibration button.
        previous: the panel this one replaces after a config reload: its wrong-PIN count and
            lockout carry over, so saving the config cannot be used to reset a lockout.
    """

    def __init__(self, cfg: AdminConfig, size: tuple[int, int], exhibits: list[str],
                 can_calibrate: bool = False, previous: AdminPanel | None = None):
        self.cfg = cfg
        self.size = size
        self.exhibits = exhibits
        self.can_calibrate = can_calibrate
        self.mode = "closed"  # closed | pin | panel
        self.entered = ""
        self.message = ""
        self.failed_attempts = previous.failed_attempts if previous else 0
        self.locked_until = previous.locked_until if previous else 0.0
        self.last_touch_t = 0.0
        self.confirm_exit_until = 0.0  # while now < this, "yes, exit to desktop" is shown
        self._logged: set[str] = set(previous._logged) if previous else set()
        self._corners: deque[tuple[float, str]] = deque(maxlen=len(cfg.corner_sequence))
        self._buttons: list[Button] = []

    @property
    def is_open(self) -> bool:
        return self.mode != "closed"

    def corner_of(self, pos: tuple[float, float]) -> str | None:
        c = self.cfg.corner_size
        x, y = pos
        horiz = "l" if x <= c else "r" if x >= 1 - c else None
        vert = "t" if y <= c else "b" if y >= 1 - c else None
        return f"{vert}{horiz}" if horiz and vert else None

    def locked(self, now: float) -> bool:
        return now < self.locked_until

    def unavailable(self) -> str:
        """Why the PIN pad cannot open ("" when it can): no PIN, or a published hash."""
        if not self.cfg.pin_hash:
            return ("no [admin] pin_hash is set, so the admin panel cannot be opened; set one: "
                    "python kiosk.py pin NEW_PIN")
        if self.cfg.pin_hash in PUBLIC_HASHES:
            return ("[admin] pin_hash is the publicly known shipped PIN, so the admin panel stays "
                    "shut; set your own: python kiosk.py pin NEW_PIN")
        return ""

    def _log_once(self, key: str, message: str) -> None:
        # One line per cause, not per attempt: a visitor tapping corners must not flood the log.
        if key not in self._logged:
            self._logged.add(key)
            log.warning("%s", message)

    # --- input -----------------------------------------------------------------------------------
    def handle(self, event: VisitorEvent, now: float) -> AdminAction | None:
        """Feed a touch/mouse event. Returns an action when a button is pressed."""
        if event.source not in TOUCH_SOURCES or not self.cfg.enabled:
            return None
        if self.mode == "closed":
            if event.kind == "enter":
                self._watch_corners(event, now)
            return None
        self.last_touch_t = now
        if event.kind != "enter":
            return None
        px = (event.pos[0] * self.size[0], event.pos[1] * self.size[1])
        for b in self._layout():
            x, y, w, h = b.rect
            if x <= px[0] < x + w and y <= px[1] < y + h:
                return self._press(b, now)
        return None

    def _watch_corners(self, event: VisitorEvent, now: float) -> None:
        corner = self.corner_of(event.pos)
        if corner is None:
            self._corners.clear()
            return
        self._corners.append((now, corner))
        seq = tuple(c for _, c in self._corners)
        if seq == self.cfg.corner_sequence and now - self._corners[0][0] <= self.cfg.sequence_s:
            self._corners.clear()
            why = self.unavailable()
            if why:
                self._log_once("unavailable:" + why, f"corner sequence completed, but {why}")
                return  # visitors see nothing at all
            self.mode, self.entered, self.last_touch_t = "pin", "", now
            self.message = ""

    def _press(self, button: Button, now: float) -> AdminAction | None:
        if self.mode == "pin":
            if button.key == "C":
                self.entered = ""
            elif button.key == "X":
                self.close()
            elif button.key == "OK":
                self._submit(now)
            elif button.key.isdigit() and len(self.entered) < 12:
                self.entered += button.key
            return None
        kind = button.action.kind if button.action is not None else ""
        if kind == "exit":  # first tap: only ask; the exit itself is a different button
            self.confirm_exit_until = now + CONFIRM_EXIT_S
            return None
        confirming = now < self.confirm_exit_until
        self.confirm_exit_until = 0.0
        if kind == "confirm_exit":
            return AdminAction("exit") if confirming else None
        if kind == "cancel_exit":
            return None
        if kind == "close":
            self.close()
        return button.action

    def _submit(self, now: float) -> None:
        if self.locked(now):
            self.entered = ""
            return
        public = self.entered in PUBLIC_PINS
        if public:
            self._log_once("public-pin", "a publicly known PIN was entered on the admin pad; it "
                           "never opens the panel (set your own: python kiosk.py pin NEW_PIN)")
        if not public and verify_pin(self.entered, self.cfg.pin_hash):
            self.mode, self.failed_attempts, self.message = "panel", 0, ""
        else:
            self.failed_attempts += 1
            left = self.cfg.max_attempts - self.failed_attempts
            if left <= 0:
                self.locked_until = now + self.cfg.lockout_s
                self.failed_attempts = 0
                self.message = "locked"
            else:
                self.message = f"wrong PIN · {left} tries left"
        self.entered = ""

    def close(self) -> None:
        self.mode, self.entered = "closed", ""
        self.confirm_exit_until = 0.0
        self._buttons = []

    def update(self, now: float) -> None:
        if self.is_open and now - self.last_touch_t > self.cfg.auto_close_s:
            self.close()
        if self.confirm_exit_until and now >= self.confirm_exit_until:
            self.confirm_exit_until = 0.0  # asked, not confirmed: forget it

    # --- layout and drawing ------------------------------------------------------------------
    def _layout(self) -> list[Button]:
        w, h = self.size
        buttons: list[Button] = []
        if self.mode == "pin":
            cell = int(min(w, h) * 0.11)
            x0, y0 = (w - 3 * cell) // 2, int(h * 0.28)
            keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "OK"]
            for i, k in enumerate(keys):
                r, c = divmod(i, 3)
                buttons.append(Button(k, (x0 + c * cell + 4, y0 + r * cell + 4, cell - 8,
                                          cell - 8), key=k))
            buttons.append(Button("✕", (w - cell, 0, cell, cell), key="X"))
        elif self.mode == "panel":
            bw, bh = int(w * 0.26), max(28, int(h * 0.065))
            x, y = w - bw - int(w * 0.03), int(h * 0.12)
            actions = [(f"show {n}", AdminAction("switch", n)) for n in self.exhibits]
            actions.append(("test pattern", AdminAction("switch", "diagnostic")))
            if self.can_calibrate:
                actions.append(("calibrate camera", AdminAction("calibrate")))
            actions.append(("reload config", AdminAction("reload")))
            if self.confirm_exit_until:
                # The confirm button is not where "exit to desktop" was: a double tap on that
                # spot only cancels.
                actions += [("keep running", AdminAction("cancel_exit")),
                            ("close", AdminAction("close")),
                            ("yes, exit to desktop", AdminAction("confirm_exit"))]
            else:
                actions += [("exit to desktop", AdminAction("exit")),
                            ("close", AdminAction("close"))]
            # On a small screen the column would run off the bottom: the rows shrink to fit
            # (every button stays on screen and tappable).
            bh = max(1, min(bh, (h - y - int(h * 0.02)) // len(actions)))
            for label, action in actions:
                buttons.append(Button(label, (x, y, bw, max(1, bh - min(6, bh // 5))), action))
                y += bh
        self._buttons = buttons
        return buttons

    def draw(self, surface: pygame.Surface, assets: Assets, health: dict[str, Any],
             now: float) -> None:
        """Draw the PIN pad or the panel over the exhibit (reads state only)."""
        import pygame

        if not self.is_open:
            return
        w, h = self.size
        shade = pygame.Surface((w, h), pygame.SRCALPHA)
        shade.fill((6, 8, 16, 230))
        surface.blit(shade, (0, 0))
        font = assets.font(max(12, h // 34))
        small = assets.font(max(10, h // 52))
        for b in self._layout():
            pygame.draw.rect(surface, (40, 52, 84), b.rect, border_radius=8)
            pygame.draw.rect(surface, (110, 130, 180), b.rect, 1, border_radius=8)
            label = font.render(b.label, True, (230, 236, 250))
            x, y, bw, bh = b.rect
            surface.blit(label, (x + (bw - label.get_width()) // 2,
                                 y + (bh - label.get_height()) // 2))
        if self.mode == "pin":
            title = "관리자 PIN · Admin PIN"
            if self.locked(now):
                left = int(self.locked_until - now)
                title = f"잠김 · Locked {left // 60}:{left % 60:02d}"
            t = font.render(title, True, (230, 236, 250))
            surface.blit(t, ((w - t.get_width()) // 2, int(h * 0.1)))
            dots = font.render("●" * len(self.entered) or " ", True, (255, 214, 80))
            surface.blit(dots, ((w - dots.get_width()) // 2, int(h * 0.18)))
            if self.message and not self.locked(now):
                m = small.render(self.message, True, (255, 140, 120))
                surface.blit(m, ((w - m.get_width()) // 2, int(h * 0.23)))
            return
        self._draw_health(surface, font, small, health)

    def _draw_health(self, surface, font, small, health: dict[str, Any]) -> None:
        import pygame

        from runtime.graphs import draw_frame_graph

        w, h = self.size
        x, y = int(w * 0.04), int(h * 0.05)
        surface.blit(font.render("관리 · Admin", True, (255, 214, 80)), (x, y))
        y += int(h * 0.07)
        if self.confirm_exit_until:
            ask = ("Exit to desktop? The kiosk stays off until restarted "
                   "(systemctl --user start gwangju-kiosk). Tap 'yes, exit to desktop'.")
            surface.blit(small.render(ask, True, (255, 140, 120)), (x, y))
            y += small.get_linesize() + 6
        for line in health_lines(health):
            surface.blit(small.render(line, True, (215, 222, 240)), (x, y))
            y += small.get_linesize() + 2
        gw, gh = int(w * 0.45), int(h * 0.16)
        draw_frame_graph(surface, pygame.Rect(x, h - gh - int(h * 0.05), gw, gh),
                         health.get("frame_ms_recent", []), background=(20, 26, 44),
                         line=(230, 236, 250))


def health_lines(health: dict[str, Any]) -> list[str]:
    """The panel's text lines from a health snapshot (also used by tests)."""
    stages = health.get("stages_ms", {})
    cam = health.get("camera", {})
    audio = health.get("audio", {})
    mem = health.get("memory_mb", {})
    lines = [
        f"status {health.get('status', '?')}   exhibit {health.get('exhibit', '-')}   "
        f"uptime {health.get('uptime_s', 0) / 3600:.1f} h",
        f"fps {health.get('fps', 0):.1f}   frame p99 {health.get('frame_p99_ms', 0):.1f} ms",
        "stages " + "  ".join(f"{k} {v:.1f}" for k, v in stages.items()),
        f"camera {cam.get('status', 'none')}   frame age {cam.get('frame_age_s', '-')} s   "
        f"people {cam.get('people', 0)}",
        f"audio {audio.get('status', 'none')} {audio.get('device', '')}   "
        f"underflows {audio.get('underflows', 0)}",
        f"models on {health.get('device', 'cpu')}   memory {mem.get('now', 0):.0f} MB "
        f"(start {mem.get('start', 0):.0f}, hour ago {mem.get('hour_ago', 0):.0f})",
        f"visits today {health.get('visits_today', 0)} (median "
        f"{health.get('median_visit_s', 0):.0f} s)   visitors now "
        f"{health.get('visitors_present', 0)}   visit {health.get('visit_state', '-')}",
    ]
    analytics = health.get("analytics") or {}
    if analytics:
        line = (f"analytics {analytics.get('state', 'off')}   queued {analytics.get('queued', 0)}"
                f"   dropped {analytics.get('dropped', 0)}")
        if analytics.get("error"):
            line += f"   ({analytics['error']})"
        lines.append(line)
    if health.get("safe_mode"):
        lines.append("SAFE MODE: started after repeated crashes (no camera, no models)")
    if health.get("config_error"):
        lines.append(f"config refused: {health['config_error']}")
    if health.get("last_error"):
        lines.append(f"last error: {health['last_error']}")
    return lines
