"""Hot reload: watch the config file (and the asset files it names) and validate changes
(the config and the assets it names, exactly as ``kiosk.py check`` does, without rendering).

:class:`ConfigWatcher` polls file signatures (mtime, size) every ``interval_s`` — cheap enough for
the render loop, and works on every filesystem, unlike inotify on network mounts. A change is
loaded and validated in full; the engine applies a valid config at the next visit boundary and
keeps the last good config when it is invalid (the refusal, with its key paths, is logged and
shown in the admin panel). A config is never half-applied.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from runtime.config import KioskConfig, load_config
from runtime.settings import ConfigError

log = logging.getLogger("kiosk.reload")


def watched_files(cfg: KioskConfig, config_path: Path) -> list[Path]:
    """The config file plus every asset file an exhibit's settings name (``asset_files()``)."""
    files = [config_path]
    for settings in cfg.exhibits.values():
        names = getattr(settings, "asset_files", None)
        if names is not None:
            files.extend(Path(p) for p in names())
    return files


def _signature(paths: list[Path]) -> tuple:
    sig = []
    for p in paths:
        try:
            st = os.stat(p)
            sig.append((str(p), st.st_mtime_ns, st.st_size))
        except OSError:
            sig.append((str(p), None, None))
    return tuple(sig)


class ConfigWatcher:
    """Polls for config changes; :meth:`poll` returns ``(new_config, error)`` when one happened.

    Args:
        path: the config file.
        current: the running config (its asset files are watched too).
        interval_s: seconds between checks (by the kiosk clock).
    """

    def __init__(self, path: Path, current: KioskConfig, interval_s: float = 2.0):
        self.path = Path(path)
        self.interval_s = interval_s
        self._files = watched_files(current, self.path)
        self._sig = _signature(self._files)
        self._next_t = 0.0
        self.last_error: str = ""

    def poll(self, now: float) -> tuple[KioskConfig | None, ConfigError | None] | None:
        if now < self._next_t:
            return None
        self._next_t = now + self.interval_s
        sig = _signature(self._files)
        if sig == self._sig:
            return None
        self._sig = sig
        try:
            cfg = load_config(self.path)
            from runtime.check import asset_problems

            problems = asset_problems(cfg)  # a landmark file broken by the edit is refused too
            if problems:
                raise ConfigError(problems, str(self.path))
        except ConfigError as err:
            self.last_error = "; ".join(str(p) for p in err.problems)
            log.error("config change refused, keeping the running config: %s", self.last_error)
            return None, err
        self.last_error = ""
        self._files = watched_files(cfg, self.path)
        self._sig = _signature(self._files)
        log.info("config change is valid; it applies at the next visit boundary")
        return cfg, None
