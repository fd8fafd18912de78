"""Freeze detection: a heartbeat from the render loop, a watchdog thread, and systemd's watchdog.

The loop calls :meth:`Watchdog.beat` every frame. A daemon thread checks the heartbeat's age:

* fresh: it tells systemd ``WATCHDOG=1`` (when started by a ``Type=notify`` unit with
  ``WatchdogSec=``), so systemd restarts a kiosk whose loop froze;
* older than ``freeze_s``: it logs the freeze once with the main thread's stack (so the cause is in
  the log), stops feeding systemd, and after ``exit_after_s`` more calls ``on_give_up`` (the kiosk
  notes which exhibit hung, so the next start skips it today) and exits the process with code 70
  so a supervisor without a systemd watchdog restarts it too.

:func:`sd_notify` speaks systemd's notify protocol over ``$NOTIFY_SOCKET`` with the standard
library only; it is a no-op when not started by systemd.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable

log = logging.getLogger("kiosk.watchdog")
FROZEN_EXIT_CODE = 70


def sd_notify(message: str) -> bool:
    """Send ``message`` (e.g. ``"READY=1"``) to systemd; False when not under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
        return True
    except OSError:
        return False


class Watchdog:
    """Heartbeat watchdog (see module docstring). Times are ``time_fn`` seconds (monotonic)."""

    def __init__(self, freeze_s: float = 10.0, exit_after_s: float = 20.0,
                 time_fn: Callable[[], float] = time.monotonic,
                 on_exit: Callable[[int], None] = os._exit,
                 on_give_up: Callable[[], None] | None = None):
        self.freeze_s = freeze_s
        self.exit_after_s = exit_after_s
        self.time_fn = time_fn
        self.on_exit = on_exit
        self.on_give_up = on_give_up
        self.last_beat = time_fn()
        self.frozen = False
        self.freezes = 0
        self._main_ident = threading.main_thread().ident
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        self.last_beat = self.time_fn()

    def check(self) -> bool:
        """One watchdog pass; True while the loop is healthy. Called by the thread (or tests)."""
        age = self.time_fn() - self.last_beat
        if age < self.freeze_s:
            if self.frozen:
                log.warning("render loop recovered after a freeze")
            self.frozen = False
            sd_notify("WATCHDOG=1")
            return True
        if not self.frozen:
            self.frozen = True
            self.freezes += 1
            frame = sys._current_frames().get(self._main_ident)
            stack = "".join(traceback.format_stack(frame)) if frame else "(no stack)"
            log.error("render loop frozen for %.1f s; main thread is at:\n%s", age, stack)
        if age >= self.freeze_s + self.exit_after_s:
            log.error("render loop still frozen after %.1f s; exiting so it restarts", age)
            if self.on_give_up is not None:
                try:
                    self.on_give_up()
                except Exception:  # noqa: BLE001 - nothing may stop the exit itself
                    log.exception("watchdog: noting the hang failed")
            self.on_exit(FROZEN_EXIT_CODE)
        return False

    def start(self, interval_s: float = 1.0) -> None:
        def loop() -> None:
            while not self._stop.wait(interval_s):
                self.check()

        self._thread = threading.Thread(target=loop, name="watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
