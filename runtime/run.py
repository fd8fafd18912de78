"""The live kiosk: a window (or fullscreen) paced at the configured fps until told to stop.

Stops cleanly on SIGTERM/SIGINT (systemd, Ctrl+C) and, in a window only, on the window's close
button or Esc; in fullscreen nothing a visitor can press quits. With no display at all it says so
in one line and points to ``kiosk.py render``.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

from runtime.config import KioskConfig
from runtime.logs import setup_logging
from runtime.visitors import visitor_sources

log = logging.getLogger("kiosk")

WINDOW_CLASS = "gwangju-kiosk"
NO_DISPLAY = ("no display found (DISPLAY/WAYLAND_DISPLAY unset or unusable); to preview without "
              "a screen run: python kiosk.py render diagnostic --seconds 5 --size 1280x720 "
              "--out preview.mp4")


def torch_device(choice: str) -> str:
    """Resolve ``[runtime] device`` without importing torch unless needed."""
    if choice == "cpu":
        return "cpu"
    try:
        import torch

        if torch.cuda.is_available():
            return "cuda"
    except Exception:  # noqa: BLE001 - a broken torch install must not stop the kiosk
        log.warning("torch unavailable; models run on CPU if at all")
    if choice == "cuda":
        log.warning("[runtime] device = cuda but no CUDA device is available; using cpu")
    return "cpu"


def run(cfg: KioskConfig, *, visitors: str | None = None, config_path: Path | None = None) -> int:
    """Run until stopped; returns the process exit code (0 clean, 1 no display)."""
    base = config_path.parent if config_path else Path.cwd()
    log_dir = Path(cfg.runtime.log_dir)
    setup_logging(cfg.runtime.log_level, log_dir if log_dir.is_absolute() else base / log_dir)
    os.environ.setdefault("SDL_VIDEO_ALLOW_SCREENSAVER", "0")
    os.environ.setdefault("SDL_MOUSE_TOUCH_EVENTS", "0")  # real mice never fake touches
    # A fixed X11 class lets technicians' tools (xdotool, window rules) find the kiosk window.
    os.environ.setdefault("SDL_VIDEO_X11_WMCLASS", WINDOW_CLASS)
    import pygame

    try:
        pygame.display.init()
    except pygame.error:
        print(NO_DISPLAY)
        return 1
    pygame.font.init()
    from runtime.app import DisplayPresenter, Kiosk

    stop = {"requested": False}

    def request_stop(signum, _frame) -> None:
        log.info("signal %s received; stopping", signal.Signals(signum).name)
        stop["requested"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    d = cfg.display
    try:
        presenter = DisplayPresenter(d.size_px, fullscreen=d.fullscreen, vsync=d.vsync,
                                     hide_cursor=d.hide_cursor)
    except pygame.error as err:
        print(f"{NO_DISPLAY} ({err})")
        return 1
    kiosk = Kiosk(cfg, presenter, sources=visitor_sources(visitors, cfg.runtime.seed),
                  device=torch_device(cfg.runtime.device))
    kiosk.start()
    log.info("kiosk started: %dx%d %s at %d fps", *d.size_px,
             "fullscreen" if d.fullscreen else "windowed", d.fps)
    period = 1.0 / d.fps
    next_t = time.perf_counter()
    try:
        while not stop["requested"]:
            events = pygame.event.get()
            for ev in events:
                if not d.fullscreen and (ev.type == pygame.QUIT or (
                        ev.type == pygame.KEYDOWN and ev.key == pygame.K_ESCAPE)):
                    stop["requested"] = True
            kiosk.frame(events)
            next_t += period
            delay = next_t - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif delay < -period:
                next_t = time.perf_counter()
    finally:
        kiosk.stop()
        pygame.quit()
    log.info("kiosk stopped cleanly after %d frames", kiosk.frame_count)
    return 0
