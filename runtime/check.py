"""``kiosk.py check``: the one command that checks everything a curator wrote.

Validates the config (every problem with its key path and line), the asset files each exhibit's
settings name (settings may define ``check_assets(assets) -> list[tuple[str, str]]``), and then
renders a few frames of every playlist exhibit headless so a config that validates but cannot
draw is caught before it reaches the gallery. Exit code 0 when valid, 2 when not.
"""

from __future__ import annotations

import io
import logging
from contextlib import redirect_stdout
from pathlib import Path

from runtime.config import KioskConfig, load_config
from runtime.settings import ConfigError, Problem


def asset_problems(cfg: KioskConfig) -> list[Problem]:
    from runtime.assets import Assets

    assets = Assets()
    problems: list[Problem] = []
    for name, settings in cfg.exhibits.items():
        check = getattr(settings, "check_assets", None)
        if check is not None:
            for key, msg in check(assets):
                problems.append(Problem(f"exhibits.{name}.{key}" if key else f"exhibits.{name}",
                                        msg))
    return problems


def render_problems(cfg: KioskConfig, frames: int = 8) -> list[Problem]:
    """Render a few frames of each playlist exhibit at a small size; exhibit errors → problems."""
    from runtime.headless import offscreen_kiosk

    problems = []
    for name in dict.fromkeys(e.exhibit for e in cfg.playlist):
        logging.getLogger("kiosk").disabled = True  # problems are reported below, not logged
        try:
            kiosk, clock = offscreen_kiosk(cfg, name, (320, 180))
            for _ in range(frames):
                kiosk.frame()
                clock.advance(1 / 30)
            kiosk.stop()
        finally:
            logging.getLogger("kiosk").disabled = False
        if kiosk.failures:
            problems.append(Problem(f"exhibits.{name}", f"fails to run: {kiosk.last_error}"))
    return problems


def check(path: Path, *, render: bool = True, out=print) -> int:
    try:
        cfg = load_config(path)
    except ConfigError as err:
        out(f"{path}: {len(err.problems)} problem(s)")
        for p in err.problems:
            out(f"  {p}")
        return 2
    problems = asset_problems(cfg)
    if not problems and render:
        with redirect_stdout(io.StringIO()):
            problems = render_problems(cfg)
    if problems:
        out(f"{path}: {len(problems)} problem(s)")
        for p in problems:
            out(f"  {p}")
        return 2
    names = ", ".join(e.exhibit for e in cfg.playlist)
    out(f"{path}: ok (schema {cfg.schema_version}; playlist: {names})")
    return 0
