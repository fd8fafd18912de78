"""The live kiosk: a window (or fullscreen) paced at the configured fps until told to stop.

Stops cleanly on SIGTERM/SIGINT (systemd, Ctrl+C) and, in a window only, on the window's close
button or Esc; in fullscreen nothing a visitor can press quits. With no display at all it says so
in one line and points to ``kiosk.py render``.

Crash accounting (``logs/starts.json``, see :mod:`runtime.safemode`): only a stop that leaves
the loop normally (a signal, the window closed, the admin panel's exit) is recorded as clean. An
exception that escapes the loop is logged with its traceback, devices are still released, and the
start stays unclean, so repeated crashes lead to safe mode; so does the watchdog's exit (70),
which ends the process without reaching any clean-up.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
from pathlib import Path

from runtime.config import KioskConfig, log_warnings
from runtime.identity import kiosk_id
from runtime.logs import setup_logging
from runtime.visitors import visitor_sources

log = logging.getLogger("kiosk")

WINDOW_CLASS = "gwangju-kiosk"
NO_DISPLAY = ("no display found (DISPLAY/WAYLAND_DISPLAY unset or unusable); to preview without "
              "a screen run: python kiosk.py render diagnostic --seconds 5 --size 1280x720 "
              "--out preview.mp4")


HEADLESS_DRIVERS = ("offscreen", "dummy")


def has_display() -> bool:
    """Whether SDL found a real screen. With no X11/Wayland/KMS, SDL falls back to its invisible
    ``offscreen`` driver: a kiosk drawing there would look alive in the logs and show nothing.
    An explicitly requested headless driver (``SDL_VIDEODRIVER=dummy``) is honoured."""
    import glob

    import pygame

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            or os.environ.get("SDL_VIDEODRIVER") or glob.glob("/dev/dri/card*")):
        return False  # nothing SDL could draw on (and its probes would only print noise)
    try:
        pygame.display.init()
    except pygame.error:
        return False
    driver = pygame.display.get_driver()
    requested = os.environ.get("SDL_VIDEODRIVER", "")
    if driver in HEADLESS_DRIVERS and driver != requested:
        pygame.display.quit()
        return False
    return True


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


def open_camera(cfg: KioskConfig, base: Path):
    """``(CameraSource or None, homography or None, calibration file path)`` from ``[camera]``.

    A missing or invalid calibration logs one line and leaves camera positions uncalibrated
    (camera-normalized = screen-normalized) until a technician calibrates from the admin panel.
    """
    from runtime.vision.calibration import CalibrationError, load_homography
    from runtime.vision.settings import resolve_path

    cam = cfg.camera
    path = resolve_path(cam.calibration_path, base)
    if cam.source.strip() == "none":
        return None, None, path
    from runtime.vision.source import CameraSource

    try:
        homography = load_homography(path)
    except CalibrationError as err:  # one line: the message names the file and the field
        log.error("camera calibration refused, camera positions uncalibrated: %s", err)
        return CameraSource(cam, config_dir=base), None, path
    if homography is None:
        log.warning("camera not calibrated yet (%s): calibrate from the admin panel", path)
    return CameraSource(cam, config_dir=base), homography, path


def open_analytics(cfg: KioskConfig, base: Path):
    """The analytics writer from ``[analytics]``, or the null one (off or unusable file)."""
    from runtime.analytics import Analytics, NullAnalytics

    if not cfg.analytics.enabled:
        return NullAnalytics()
    path = Path(cfg.analytics.db_path)
    analytics = Analytics(path if path.is_absolute() else base / path, cfg.analytics,
                          kiosk=kiosk_id(cfg.kiosk), location=cfg.kiosk.location)
    try:
        analytics.start()
    except Exception as err:  # noqa: BLE001 - sqlite3/OSError: run on without analytics
        log.error("analytics off: cannot open %s (%s)", analytics.path, err)
        return NullAnalytics()
    return analytics


def run(cfg: KioskConfig, *, visitors: str | None = None, config_path: Path | None = None,
        overrides=lambda c: c) -> int:
    """Run until stopped; returns the exit code (0 clean, 1 no display, 3 admin exit)."""
    base = config_path.parent if config_path else Path.cwd()
    log_dir = Path(cfg.runtime.log_dir)
    log_dir = log_dir if log_dir.is_absolute() else base / log_dir
    setup_logging(cfg.runtime.log_level, log_dir, kiosk=kiosk_id(cfg.kiosk))
    log_warnings(cfg)  # retired keys, once, now that the log goes to its file
    os.environ.setdefault("SDL_VIDEO_ALLOW_SCREENSAVER", "0")
    os.environ.setdefault("SDL_MOUSE_TOUCH_EVENTS", "0")  # real mice never fake touches
    # A fixed X11 class lets technicians' tools (xdotool, window rules) find the kiosk window.
    os.environ.setdefault("SDL_VIDEO_X11_WMCLASS", WINDOW_CLASS)
    import pygame

    if not has_display():
        print(NO_DISPLAY)
        return 1
    pygame.font.init()
    from runtime.app import DisplayPresenter, Kiosk
    from runtime.clock import Pacer
    from runtime.health import HealthPublisher
    from runtime.safemode import StartLedger
    from runtime.watchdog import Watchdog, sd_notify

    stop = {"requested": False}

    def request_stop(signum, _frame) -> None:
        log.info("signal %s received; stopping", signal.Signals(signum).name)
        stop["requested"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    ledger = StartLedger(log_dir / "starts.json")
    safe_mode = ledger.record_start(cfg.watchdog)
    d = cfg.display
    try:
        presenter = DisplayPresenter(d.size_px, fullscreen=d.fullscreen, vsync=d.vsync,
                                     hide_cursor=d.hide_cursor)
    except pygame.error as err:
        print(f"{NO_DISPLAY} ({err})")
        ledger.record_clean_stop()
        return 1
    sources = [] if safe_mode else visitor_sources(visitors, cfg.runtime.seed)
    camera, homography, calibration_path = (None, None, None) if safe_mode else \
        open_camera(cfg, base)
    if camera is not None:
        sources.append(camera)
    analytics = open_analytics(cfg, base)
    from runtime.audio import create_audio

    audio = create_audio(cfg.audio)  # returns at once; the device opens in the background
    try:
        from models.engine import configure_cpu

        log.info("models: %s", configure_cpu())  # leave a core for rendering; tune malloc
    except Exception as err:  # noqa: BLE001 - a broken torch must not stop the kiosk
        log.warning("torch unavailable (%s); exhibits fall back to their plain look", err)
    kiosk = Kiosk(cfg, presenter, sources=sources, device=torch_device(cfg.runtime.device),
                  config_path=config_path, overrides=overrides, safe_mode=safe_mode,
                  analytics=analytics, homography=homography,
                  calibration_path=calibration_path, audio=audio)
    health = None
    if cfg.health.port:
        try:
            health = HealthPublisher(cfg.health.port, kiosk)
            health.start()
        except OSError as err:
            log.error("health endpoint disabled: port %d unavailable (%s)", cfg.health.port, err)
            health = None
    midnight = dt.datetime.combine(dt.date.today(), dt.time()).timestamp()
    kiosk.skip_today(ledger.hung_today(midnight))

    def note_hang() -> None:  # on the watchdog thread, just before it ends the process
        ledger.record_hang(kiosk.current.name if kiosk.current is not None else None)

    watchdog = Watchdog(cfg.watchdog.freeze_s, cfg.watchdog.exit_after_s, on_give_up=note_hang)
    kiosk.start()
    watchdog.start()
    sd_notify("READY=1")
    log.info("kiosk started: %dx%d %s at %d fps%s", *d.size_px,
             "fullscreen" if d.fullscreen else "windowed", d.fps,
             " in SAFE MODE" if safe_mode else "")
    pacer = Pacer(1.0 / d.fps)
    clean = False
    try:
        while not stop["requested"] and kiosk.exit_code is None:
            events = pygame.event.get()
            for ev in events:
                # In fullscreen nothing a visitor presses quits (Alt+F4 arrives as QUIT).
                if not kiosk.cfg.display.fullscreen and (ev.type == pygame.QUIT or (
                        ev.type == pygame.KEYDOWN and ev.key == pygame.K_ESCAPE)):
                    stop["requested"] = True
            kiosk.frame(events)
            watchdog.beat()
            if health is not None:
                health.tick()  # twice a second: /health calls a snapshot 2 s old frozen
            pacer.wait()
        clean = True  # only here: the loop ended because it was asked to
    except BaseException:
        log.critical("kiosk crashed; this start is recorded as a crash", exc_info=True)
        raise
    finally:
        sd_notify("STOPPING=1")
        watchdog.stop()
        if health is not None:
            health.stop()
        kiosk.stop()
        audio.close()
        analytics.close()
        pygame.quit()
        if clean:
            ledger.record_clean_stop()
    code = kiosk.exit_code or 0
    log.info("kiosk stopped cleanly after %d frames%s", kiosk.frame_count,
             " (exit to desktop from the admin panel)" if code else "")
    return code
