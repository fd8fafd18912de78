"""Hot reload: watch the config file (and the asset files it names) and validate changes
(the config and the assets it names, exactly as ``kiosk.py check`` does, without rendering).

:class:`ConfigWatcher` compares file signatures (mtime, size) every ``interval_s`` on the render
thread — two ``stat`` calls, microseconds, and it works on every filesystem, unlike inotify on
network mounts. Reading, parsing and validating a changed file happen on a short-lived worker
thread (a 1 MiB config, the largest allowed, takes tens of milliseconds: too long for a 16 ms
frame); :meth:`ConfigWatcher.poll` only picks up the finished result. With ``background=False``
(a kiosk on a fake clock: renders and tests, which must be repeatable frame for frame) the same
work runs inline in :meth:`~ConfigWatcher.poll`. The engine applies a valid
config at the next visit boundary and keeps the last good config when it is invalid (the refusal,
with its key paths, is logged and shown in the admin panel). A config is never half-applied.

Failure modes: none escape. Whatever the file holds (deep nesting, bad encodings, huge sizes,
wrong types), the worker turns every failure into a :class:`ConfigError` naming the file (and key
path where there is one); an exception that is not a ``ConfigError`` is logged with its traceback
and refused the same way. The worker thread cannot die with a job left pending: its result is
always delivered.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import NamedTuple

from runtime.config import KioskConfig, asset_problems, load_config, log_warnings
from runtime.settings import ConfigError, Problem

log = logging.getLogger("kiosk.reload")


class Change(NamedTuple):
    """A finished reload: ``config`` when valid, else ``error``; ``forced`` when asked for
    (the admin panel's *reload config*) rather than noticed in the file."""

    config: KioskConfig | None
    error: ConfigError | None
    forced: bool = False


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
        except (OSError, ValueError):  # ValueError: a path with a NUL byte
            sig.append((str(p), None, None))
    return tuple(sig)


def validate_file(path: Path) -> KioskConfig:
    """Load ``path`` and check the asset files it names; raise only :class:`ConfigError`."""
    try:
        cfg = load_config(path)
        problems = asset_problems(cfg)  # a landmark file broken by the edit is refused too
    except ConfigError:
        raise
    except Exception as err:  # noqa: BLE001 - the running kiosk must survive any file
        log.exception("config change could not be validated")
        raise ConfigError([Problem("", f"cannot be validated: {type(err).__name__}: "
                                        f"{str(err)[:120]}")], str(path)) from None
    if problems:
        raise ConfigError(problems, str(path))
    log_warnings(cfg)  # retired keys in the changed file, once per change read
    return cfg


class ConfigWatcher:
    """Watches for config changes; :meth:`poll` returns a :class:`Change` when one is ready.

    Args:
        path: the config file.
        current: the running config (its asset files are watched too).
        interval_s: seconds between checks (by the kiosk clock).
        background: read and validate on a worker thread (the live kiosk); False: inline.
    """

    def __init__(self, path: Path, current: KioskConfig, interval_s: float = 2.0, *,
                 background: bool = True):
        self.path = Path(path)
        self.interval_s = interval_s
        self.background = background
        self._files = watched_files(current, self.path)
        self._sig = _signature(self._files)
        self._next_t = 0.0
        self.last_error: str = ""
        self._lock = threading.Lock()
        self._job: threading.Thread | None = None
        # the worker's result: the change, and for a valid config its files and their signature
        self._done: tuple[Change, list[Path], tuple] | None = None
        self._force = False

    def request(self) -> None:
        """Reload now, changed or not (the admin panel's *reload config*); see :meth:`poll`."""
        self._force = True

    @property
    def busy(self) -> bool:
        """True while a worker is reading and validating the file."""
        return self._job is not None

    def poll(self, now: float) -> Change | None:
        """Called every frame on the render thread; never blocks on the file's contents."""
        with self._lock:
            done, self._done = self._done, None
        if done is not None:
            self._job = None
            return self._finish(*done)
        if self._job is not None:
            return None
        if not self._force:
            if now < self._next_t:
                return None
            self._next_t = now + self.interval_s
            sig = _signature(self._files)
            if sig == self._sig:
                return None
            self._sig = sig
        forced, self._force = self._force, False
        if not self.background:
            self._work(forced)
            with self._lock:
                done, self._done = self._done, None
            return self._finish(*done)
        self._job = threading.Thread(target=self._work, args=(forced,), name="config-reload",
                                     daemon=True)
        self._job.start()
        return None

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Block until the worker (if any) has finished; True if none is left running. For tests
        and shutdown; the render loop never calls it."""
        job = self._job
        if job is not None:
            job.join(timeout_s)
            return not job.is_alive()
        return True

    def _work(self, forced: bool) -> None:
        """The worker thread: read, parse, validate; always deliver a result."""
        done = (Change(None, ConfigError([Problem("", "reload did not finish")], str(self.path)),
                       forced), [], ())
        try:
            # The config's signature is taken before reading it, so an edit made while this
            # worker reads is seen by the next poll rather than lost.
            before = _signature([self.path])
            cfg = validate_file(self.path)
            files = watched_files(cfg, self.path)
            done = (Change(cfg, None, forced), files, before + _signature(files[1:]))
        except ConfigError as err:
            done = (Change(None, err, forced), [], ())
        finally:
            with self._lock:
                self._done = done

    def _finish(self, change: Change, files: list[Path], sig: tuple) -> Change:
        """On the render thread: log the verdict and watch the new config's asset files."""
        if change.error is not None:
            self.last_error = "; ".join(str(p) for p in change.error.problems)
            log.error("config change refused, keeping the running config: %s", self.last_error)
            return change
        self.last_error = ""
        self._files, self._sig = files, sig
        log.info("config change is valid; it applies %s",
                 "now" if change.forced else "at the next visit boundary")
        return change
