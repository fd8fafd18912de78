"""``kiosk.py doctor``: one line per component with ok / missing / how to fix.

Checks the display, cameras, audio devices, the Korean font, the torch device, model weights and
the admin PIN. Each check is independent and never raises: a broken component is reported, not
fatal. The one exception to "not fatal" is security: an admin ``pin_hash`` of a publicly known
PIN is reported ``refused`` and makes the exit code 2; a missing PIN is only ``missing`` (the
kiosk is safe, but technicians cannot open the admin panel).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Result = tuple[str, str, str]  # (status, component, detail)


def check_display() -> Result:
    if os.environ.get("SDL_VIDEODRIVER") == "dummy":
        return ("ok", "display", "SDL dummy driver (headless)")
    from runtime.run import has_display

    try:
        if has_display():
            import pygame

            driver, info = pygame.display.get_driver(), pygame.display.Info()
            pygame.display.quit()
            return ("ok", "display", f"{driver} {info.current_w}x{info.current_h}")
    except Exception as err:  # noqa: BLE001
        return ("missing", "display", f"display check failed: {err}")
    return ("missing", "display", "no usable display (DISPLAY/WAYLAND_DISPLAY unset); run in the "
            "desktop session (DISPLAY=:0), or preview with `python kiosk.py render`")


def check_camera() -> Result:
    from runtime.vision.capture import list_devices

    devices = list_devices()
    calibration = ROOT / "calibration.json"
    cal = "calibrated" if calibration.exists() else "not calibrated (admin panel → calibrate)"
    if devices:
        return ("ok", "camera", ", ".join(devices[:3]) + f"; {cal}")
    return ("missing", "camera", "no camera device (/dev/video*); the kiosk runs by touch alone. "
            "Plug in a UVC camera, check `ls /dev/v4l/by-id/`")


def check_audio(config_path: Path | None = None) -> Result:
    from runtime.audio.doctor import check_audio as audio_check

    return audio_check(load_config_quietly(config_path).audio)


def load_config_quietly(path: Path | None = None):
    """The config (default: the shipped one) when it is valid, else the defaults (doctor must
    never fail on it)."""
    from runtime.config import default_config, load_config
    from runtime.settings import ConfigError

    try:
        return load_config(path or ROOT / "config.toml")
    except ConfigError:
        return default_config()


def check_font() -> Result:
    from runtime.assets import find_font

    path = find_font()
    if path is None:
        return ("missing", "korean font", "no Nanum/Noto CJK font; install: "
                "sudo apt-get install fonts-nanum (Hangul shows as boxes until then)")
    return ("ok", "korean font", str(path))


def check_torch() -> Result:
    try:
        import torch
    except Exception as err:  # noqa: BLE001
        return ("missing", "torch", f"cannot import torch ({err}); run `make venv`")
    if torch.cuda.is_available():
        return ("ok", "torch device", f"cuda: {torch.cuda.get_device_name(0)} "
                f"(torch {torch.__version__})")
    return ("ok", "torch device", f"cpu, {torch.get_num_threads()} threads "
            f"(torch {torch.__version__})")


def check_weights() -> Result:
    """Every NCA model's weights and provenance (see :func:`models.catalog.weights_summary`)."""
    from models.catalog import NCA_MODELS, weights_summary

    found = [weights_summary(name) for name in NCA_MODELS]
    states = {state for state, _ in found}
    state = "ok" if states == {"ok"} else ("missing" if "missing" in states else "unchecked")
    detail = "; ".join(line for _, line in found)
    if "missing" in states:
        detail += " — train and ship with `make train && make ship-models` (see README)"
    return (state, "model weights", detail)


def check_admin(config_path: Path | None = None) -> Result:
    from runtime.admin import pin_findings

    cfg = load_config_quietly(config_path).admin
    if not cfg.enabled:
        return ("ok", "admin panel", "disabled ([admin] enabled = false)")
    problems, notes = pin_findings(cfg)
    if problems:
        return ("refused", "admin panel", f"[admin] {problems[0][0]} {problems[0][1]}")
    if notes:
        return ("missing", "admin panel", "no PIN set: the panel cannot be opened; set one: "
                "python kiosk.py pin NEW_PIN, paste the line under [admin] in config.toml")
    return ("ok", "admin panel", "PIN set")


CHECKS: tuple[Callable[[], Result], ...] = (check_display, check_camera, check_audio, check_font,
                                           check_torch, check_weights, check_admin)


def doctor(out=print, config_path: Path | None = None) -> int:
    """Print one line per component; exit code 2 if anything is ``refused``, else 0 (missing
    parts are not fatal). ``config_path``: the config to read (default: the shipped one)."""
    refused = False
    for fn in CHECKS:
        try:
            status, component, detail = (fn(config_path) if fn in (check_audio, check_admin)
                                         else fn())
        except Exception as err:  # noqa: BLE001 - the doctor itself must never crash
            status, component, detail = "error", fn.__name__.removeprefix("check_"), repr(err)
        refused |= status == "refused"
        out(f"{status:<8} {component:<14} {detail}")
    return 2 if refused else 0
