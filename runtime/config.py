"""The kiosk's configuration: schema, loading and validation of ``config.toml``.

Layers, lowest first: the defaults declared below → the TOML file → command-line overrides
(``--windowed``, ``--exhibit``). The file is validated into frozen objects; unknown keys are errors,
and every problem names its key path, the allowed range or values, and the line when known::

    display.fps: must be 24..240, got 500 (line 7)

Each exhibit declares its own ``[exhibits.NAME]`` table (see ``exhibits/__init__.py``); a table
that is absent gets that exhibit's defaults.

Failure modes: :func:`load_config` raises :class:`ConfigError` (with every problem, each naming the
file and, where there is one, the key path) for a missing/unreadable file, a file over
:data:`MAX_CONFIG_BYTES`, text that is not UTF-8, invalid TOML (with its line), nesting too deep
for the parser, or invalid values; it raises nothing else, whatever the file holds, and never
half-applies. A key a section has retired (its ``RETIRED`` table) is not a problem: the value
is ignored and ``warnings`` names the key and why (:func:`log_warnings`, ``kiosk.py check``).
``source`` and ``digest`` (the first 12 hex digits of the file's SHA-256, which ``/metrics``
reports as the config version) are filled in by the loader and are not keys a file may set.
:func:`log_dir_problems` (for ``kiosk.py check``) tells whether ``[runtime] log_dir`` can be
written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runtime.admin_settings import AdminConfig
from runtime.analytics import AnalyticsConfig
from runtime.audio.settings import AudioConfig
from runtime.health import HealthConfig
from runtime.identity import IdentityConfig
from runtime.safemode import WatchdogConfig
from runtime.schedule import ScheduleConfig
from runtime.settings import (
    ConfigError,
    Problem,
    build,
    locate,
    setting,
    short_text,
    toml_key_lines,
)
from runtime.studio_settings import StudioConfig
from runtime.vision.settings import CameraConfig
from runtime.visits import VisitConfig

log = logging.getLogger("kiosk.config")

SCHEMA_VERSION = 1
#: a curator's config is a few KiB; a bigger file is refused before it is read or parsed (a 50 MB
#: file took most of a second to parse and held the memory)
MAX_CONFIG_BYTES = 1024 * 1024


def _exhibit_names() -> tuple[str, ...]:
    from runtime.registry import REGISTRY

    return tuple(REGISTRY)


@dataclass(frozen=True)
class DisplayConfig:
    """``[display]``: the window or screen the kiosk draws on."""

    size_px: tuple[int, int] = setting(
        (1920, 1080), "render size [width, height] in pixels; fullscreen scales to the screen",
        range=(64, 7680))
    fullscreen: bool = setting(True, "fill the whole screen (false: a window, for previews)")
    fps: int = setting(60, "target frames per second of the render loop", range=(24, 240))
    hide_cursor: bool = setting(True, "hide the mouse pointer (a touchscreen kiosk shows none)")
    vsync: bool = setting(True, "wait for the screen's refresh to avoid tearing")


@dataclass(frozen=True)
class InputConfig:
    """``[input]``: pointing devices and the visitor-event post-processing chain."""

    touch: bool = setting(True, "accept multi-touch fingers (each finger is a visitor)")
    mouse: bool = setting(True, "accept the mouse (one visitor while a button is held)")
    dejitter_px: float = setting(
        2.0, "ignore moves smaller than this many screen pixels (sensor noise)", range=(0, 50))
    retain_s: float = setting(
        0.15, "a visitor that leaves and re-enters nearby within this time keeps its id",
        range=(0, 2))
    retain_sources: tuple[str, ...] = setting(
        ("camera",), "sources whose visitors are retained: camera blobs flicker; taps on a "
        "touchscreen should each count, so touch is off by default",
        choices=("camera", "touch", "mouse", "replay", "sim"), max_items=5)
    retain_distance_px: float = setting(
        60.0, "how near (screen pixels) a re-entry must be to keep the old id", range=(0, 500))
    ignore_zones: tuple[tuple[float, float, float, float], ...] = setting(
        (), "screen areas [x, y, w, h] (normalized 0..1) whose events are dropped",
        range=(0, 1), max_items=32)
    record_path: str = setting(
        "", "if set, append touch and mouse events (time, kind, id, screen position; never "
        "images) to this JSONL")
    record_camera: bool = setting(
        False, "also record camera-tracked people's paths to record_path (positions and sizes "
        "of people in front of the screen: leave off in the gallery)")


@dataclass(frozen=True)
class TransitionConfig:
    """``[transition]``: how one exhibit hands over to the next."""

    kind: str = setting("crossfade", "crossfade or cut", choices=("crossfade", "cut"))
    duration_s: float = setting(0.8, "crossfade length in seconds", range=(0, 5))


@dataclass(frozen=True)
class PlaylistEntry:
    """``[[playlist]]``: one exhibit in the rotation."""

    exhibit: str = setting("diagnostic", "registered exhibit name", choices=_exhibit_names)
    duration_s: float = setting(300.0, "seconds before the next entry", range=(5, 86400))


@dataclass(frozen=True)
class RuntimeConfig:
    """``[runtime]``: engine settings technicians rarely touch."""

    seed: int = setting(0, "seed for every random draw (visuals repeat for a seed)",
                        range=(0, 2**31 - 1))
    device: str = setting("auto", "torch device: auto (CUDA when present), cpu or cuda",
                          choices=("auto", "cpu", "cuda"))
    log_dir: str = setting("logs", "folder for rotating log files (relative to config file)")
    log_level: str = setting("info", "debug, info, warning or error",
                             choices=("debug", "info", "warning", "error"))


@dataclass(frozen=True)
class KioskConfig:
    """The whole validated config. ``exhibits`` maps every registered name to its settings."""

    schema_version: int = setting(SCHEMA_VERSION, "config format version", choices=(1,))
    kiosk: IdentityConfig = setting(IdentityConfig(), "this kiosk's id and location in a fleet")
    display: DisplayConfig = setting(DisplayConfig(), "the screen")
    input: InputConfig = setting(InputConfig(), "pointing devices and event cleaning")
    transition: TransitionConfig = setting(TransitionConfig(), "exhibit hand-over")
    playlist: tuple[PlaylistEntry, ...] = setting(
        (PlaylistEntry(),), "exhibits in rotation, in order", min_items=1, max_items=64)
    runtime: RuntimeConfig = setting(RuntimeConfig(), "engine settings")
    visits: VisitConfig = setting(VisitConfig(), "when a visit ends; attract mode between visits")
    schedule: ScheduleConfig = setting(ScheduleConfig(), "opening hours and closed dates")
    admin: AdminConfig = setting(AdminConfig(), "the hidden technicians' panel")
    health: HealthConfig = setting(HealthConfig(), "the localhost monitoring endpoint")
    watchdog: WatchdogConfig = setting(WatchdogConfig(), "freeze detection and safe mode")
    studio: StudioConfig = setting(StudioConfig(), "the curators' web Studio")
    analytics: AnalyticsConfig = setting(AnalyticsConfig(), "anonymous counts and durations")
    camera: CameraConfig = setting(CameraConfig(), "the camera that tracks visitors")
    audio: AudioConfig = setting(AudioConfig(), "sound: output device, scale, quiet hours, "
                                 "microphone")
    exhibits: Mapping[str, Any] = field(default_factory=lambda: types.MappingProxyType({}))
    source: str = field(default="", compare=False)
    digest: str = field(default="", compare=False)
    #: retired keys the file still sets (value ignored), each naming the key and why; filled in
    #: by the loader, shown by ``kiosk.py check`` and logged when a kiosk loads the file
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    def exhibit(self, name: str) -> Any:
        """The settings object of exhibit ``name`` (defaults when the file has no table)."""
        return self.exhibits[name]

    def with_overrides(self, *, windowed: bool = False, size: tuple[int, int] | None = None,
                       exhibit: str | None = None) -> KioskConfig:
        """The command-line layer: ``--windowed``, ``--size``, ``--exhibit`` (pins one)."""
        cfg = self
        if windowed:
            cfg = replace(cfg, display=replace(cfg.display, fullscreen=False, hide_cursor=False))
        if size is not None:
            cfg = replace(cfg, display=replace(cfg.display, size_px=size))
        if exhibit is not None:
            cfg = replace(cfg, playlist=(PlaylistEntry(exhibit=exhibit, duration_s=86400.0),))
        return cfg


def parse_config(data: dict, *, source: str = "", text: str | None = None) -> KioskConfig:
    """Validate parsed TOML into a :class:`KioskConfig`; raise :class:`ConfigError` if invalid."""
    from runtime.registry import REGISTRY, require

    require()  # nothing registered is the program's mistake, not the curator's (RuntimeError)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    data = dict(data)
    exhibit_tables = data.pop("exhibits", {})
    if "schema_version" not in data:
        problems.append(Problem("schema_version", f"missing; this kiosk reads {SCHEMA_VERSION}"))
    cfg = build(KioskConfig, data, "", problems, also=("exhibits",), warnings=warnings)
    if cfg is not None and not cfg.analytics.db_path.strip():
        # an empty path would make SQLite open the config folder itself and fail at start
        problems.append(Problem("analytics.db_path", "must not be empty (a file name such as "
                                "\"analytics.sqlite\"; set [analytics] enabled = false to turn "
                                "analytics off)"))
    exhibits: dict[str, Any] = {}
    if not isinstance(exhibit_tables, dict):
        problems.append(Problem("exhibits", "must be a table of [exhibits.NAME] tables"))
        exhibit_tables = {}
    for name, table in exhibit_tables.items():
        if name not in REGISTRY:
            allowed = ", ".join(REGISTRY)
            problems.append(Problem(f"exhibits.{short_text(name, 60)}",
                                    f"unknown exhibit; known: {allowed}"))
        elif not isinstance(table, dict):
            problems.append(Problem(f"exhibits.{name}", "must be a table"))
        else:
            exhibits[name] = build(REGISTRY[name].config_cls, table, f"exhibits.{name}", problems,
                                   warnings=warnings)
    for name, spec in REGISTRY.items():
        exhibits.setdefault(name, spec.config_cls())
    if problems:
        if text is not None:
            problems = locate(problems, toml_key_lines(text))
        raise ConfigError(problems, source)
    assert cfg is not None
    digest = hashlib.sha256(text.encode()).hexdigest()[:12] if text is not None else ""
    if warnings and text is not None:
        warnings = locate(warnings, toml_key_lines(text))
    return replace(cfg, exhibits=types.MappingProxyType(exhibits), source=source, digest=digest,
                   warnings=tuple(warnings))


def log_warnings(cfg: KioskConfig) -> None:
    """Log each of ``cfg.warnings`` once (the kiosk at start and at each reload it reads)."""
    for w in cfg.warnings:
        log.warning("config %s: %s", cfg.source or "(in memory)", w)


def _refusal(path: Path, message: str, line: int | None = None) -> ConfigError:
    return ConfigError([Problem("", message, line)], str(path))


def read_config_text(path: Path) -> str:
    """The file's text, at most :data:`MAX_CONFIG_BYTES`; :class:`ConfigError` otherwise."""
    def refuse(message: str, line: int | None = None) -> ConfigError:
        return _refusal(path, message, line)

    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)  # never more: a huge file is not read whole
    except OSError as err:
        raise refuse(f"cannot read config file: {err.strerror or err}") from None
    except ValueError as err:  # a path with a NUL byte
        raise refuse(f"cannot read config file: {err}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise refuse(f"config file is larger than {MAX_CONFIG_BYTES / 2**20:g} MiB "
                     f"({MAX_CONFIG_BYTES} bytes), the most a config may be")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise refuse("config file is not UTF-8 text (save it as UTF-8)", line) from None


def load_config(path: str | Path) -> KioskConfig:
    """Read and validate a TOML config file; raise :class:`ConfigError` naming every problem.

    Raises only :class:`ConfigError`, whatever the file holds (see the module's failure modes).
    """
    path = Path(path)
    text = read_config_text(path)

    def refuse(message: str, line: int | None = None) -> ConfigError:
        return _refusal(path, message, line)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"at line (\d+)", str(err))
        line = int(found.group(1)) if found else None
        msg = str(err).split(" (at ")[0]
        raise refuse(f"not valid TOML: {msg}", line) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise refuse("not valid TOML for this kiosk: arrays or tables nested too deeply") \
            from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise refuse(f"not valid TOML for this kiosk: {str(err)[:120]}") from None
    try:
        return parse_config(data, source=str(path), text=text)
    except ConfigError:
        raise
    except (RecursionError, ValueError, TypeError, OverflowError) as err:
        # Validation is written not to raise on bad data; if a value still trips it, the file is
        # refused (naming it) rather than the error escaping into check or the running kiosk.
        raise refuse(f"cannot be validated: {type(err).__name__}: {str(err)[:120]}") from None


def log_dir_problems(cfg: KioskConfig, config_dir: Path) -> list[Problem]:
    """``[runtime] log_dir`` must be a folder the kiosk can create or write (for ``check``).

    Tried for real (a temporary file or folder, removed at once): permission bits do not tell
    for root or for special file systems such as ``/proc``.
    """
    log_dir = Path(cfg.runtime.log_dir)
    log_dir = log_dir if log_dir.is_absolute() else Path(config_dir) / log_dir
    try:
        if log_dir.exists():
            if not log_dir.is_dir():
                raise NotADirectoryError(f"{log_dir} is a file, not a folder")
            with tempfile.TemporaryFile(dir=log_dir):
                pass
        else:
            parent = log_dir.parent
            while not parent.exists() and parent != parent.parent:
                parent = parent.parent
            if not parent.is_dir():
                raise NotADirectoryError(f"{parent} is a file, not a folder")
            os.rmdir(tempfile.mkdtemp(dir=parent))
    except (OSError, ValueError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        return [Problem("runtime.log_dir", f"cannot write log files to {log_dir}: {why}")]
    return []


def asset_problems(cfg: KioskConfig) -> list[Problem]:
    """The asset files each exhibit's settings name (settings may define
    ``check_assets(assets) -> list[tuple[str, str]]``), for ``check`` and the hot reload."""
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


def default_config() -> KioskConfig:
    """Every default, as if the file held only ``schema_version``."""
    return parse_config({"schema_version": SCHEMA_VERSION}, source="<defaults>")
