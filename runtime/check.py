"""``kiosk.py check``: the one command that checks everything a curator wrote.

Validates the config (every problem with its key path and line), the asset files each exhibit's
settings name (settings may define ``check_assets(assets) -> list[tuple[str, str]]``), and then
renders a few frames of every playlist exhibit headless so a config that validates but cannot
draw is caught before it reaches the gallery. Exit code 0 when valid, 2 when not.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from contextlib import redirect_stdout
from pathlib import Path

from runtime.config import KioskConfig, asset_problems, load_config, log_dir_problems
from runtime.settings import ConfigError, Problem


def toml_value(v) -> str:
    """A Python default written the way a curator types it in TOML."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, tuple):
        return "[" + ", ".join(toml_value(i) for i in v) + "]"
    return str(v)


def explain(out=print) -> int:
    """Print every config key with its default, allowed values and meaning (``check --explain``)."""
    from runtime.registry import REGISTRY

    def walk(cls: type, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            if "doc" not in f.metadata:
                continue
            default = f.default
            if dataclasses.is_dataclass(default):
                out(f"\n[{prefix}{f.name}]  {f.metadata['doc']}")
                walk(type(default), f"{prefix}{f.name}.")
                continue
            if isinstance(default, tuple) and default and dataclasses.is_dataclass(default[0]):
                out(f"\n[[{prefix}{f.name}]]  {f.metadata['doc']}")
                walk(type(default[0]), f"{prefix}{f.name}.")
                continue
            limits = []
            if f.metadata.get("range"):
                lo, hi = f.metadata["range"]
                limits.append(f"{lo}..{hi}")
            choices = f.metadata.get("choices")
            if choices is not None:
                limits.append("one of " + ", ".join(map(str, choices() if callable(choices)
                                                       else choices)))
            extra = f"  [{'; '.join(limits)}]" if limits else ""
            out(f"  {prefix}{f.name} = {toml_value(default)}{extra}\n      {f.metadata['doc']}")

    walk(KioskConfig, "")
    for name, spec in REGISTRY.items():
        out(f"\n[exhibits.{name}]  {spec.title_en} / {spec.title_ko}")
        walk(spec.config_cls, f"exhibits.{name}.")
    return 0


def camera_problems(cfg: KioskConfig, config_dir: Path) -> list[Problem]:
    """The camera calibration file, when a camera is configured (a missing file is allowed)."""
    from runtime.vision.calibration import check_calibration
    from runtime.vision.settings import resolve_path

    cam = cfg.camera
    if cam.source.strip() == "none":
        return []
    path = resolve_path(cam.calibration_path, config_dir)
    return [Problem("camera.calibration_path", msg) for msg in
            check_calibration(path, anchor=cam.anchor, mirrored=cam.mirror)]


def operator_findings(cfg: KioskConfig, path: Path) -> tuple[list[Problem], list[str]]:
    """Security and privacy: ``(problems, notes)``.

    A ``pin_hash`` of a publicly known PIN is a problem (``admin.pin_hash``); no PIN at all, and
    camera path recording, are notes. Costs a few PBKDF2 runs (well under a second at the
    shipped iteration count).
    """
    from runtime.admin import pin_findings
    from runtime.settings import locate, toml_key_lines

    found, notes = pin_findings(cfg.admin)
    problems = [Problem(f"admin.{key}", msg) for key, msg in found]
    if problems:
        try:
            problems = locate(problems, toml_key_lines(Path(path).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            pass  # the line is a courtesy; the key path is what matters
    if cfg.input.record_path and cfg.input.record_camera:
        notes.append(f"input.record_camera is on: the paths of people walking in front of the "
                     f"camera (position and size, every frame) are written to "
                     f"{cfg.input.record_path}; turn it off in the gallery")
    return problems, notes


class _Collect(logging.Handler):
    """Keeps warnings logged during the test render, to show them as notes."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() not in self.notes:
            self.notes.append(record.getMessage())


def render_problems(cfg: KioskConfig, frames: int = 8) -> tuple[list[Problem], list[str]]:
    """Render a few frames of each playlist exhibit at a small size.

    Returns ``(problems, notes)``: exhibit errors are problems; warnings (say, model weights
    not shipped yet, so the exhibit shows its plain look) are notes for the curator.
    """
    from runtime.headless import offscreen_kiosk

    problems = []
    collect = _Collect()
    kiosk_log = logging.getLogger("kiosk")
    saved = kiosk_log.handlers, kiosk_log.propagate
    kiosk_log.handlers, kiosk_log.propagate = [collect], False
    try:
        for name in dict.fromkeys(e.exhibit for e in cfg.playlist):
            kiosk, clock = offscreen_kiosk(cfg, name, (320, 180))
            for _ in range(frames):
                kiosk.frame()
                clock.advance(1 / 30)
            kiosk.stop()
            if kiosk.failures:
                problems.append(Problem(f"exhibits.{name}", f"fails to run: {kiosk.last_error}"))
    finally:
        kiosk_log.handlers, kiosk_log.propagate = saved
    return problems, [n for n in collect.notes if "raised in" not in n]


def model_notes(cfg: KioskConfig) -> list[str]:
    """One line per shipped NCA model the playlist's exhibits use, from its provenance (the
    exhibits' own warnings already say when weights are absent)."""
    from models.catalog import weights_summary

    used = {"numbers": "digits", "city": "landmarks"}
    models = dict.fromkeys(used[e.exhibit] for e in cfg.playlist if e.exhibit in used)
    return [line for state, line in map(weights_summary, models) if state != "missing"]


def check(path: Path, *, render: bool = True, out=print) -> int:
    """Check the config at ``path`` and print the verdict; 0 valid, 2 not. Never raises."""
    try:
        return _check(path, render=render, out=out)
    except Exception as err:  # noqa: BLE001 - a curator gets a verdict, never a traceback
        out(f"{path}: 1 problem(s)")
        out(f"  cannot be checked: {type(err).__name__}: {str(err)[:200]}")
        return 2


def _check(path: Path, *, render: bool, out) -> int:
    try:
        cfg = load_config(path)
    except ConfigError as err:
        out(f"{path}: {len(err.problems)} problem(s)")
        for p in err.problems:
            out(f"  {p}")
        return 2
    safety, safety_notes = operator_findings(cfg, Path(path))
    problems = asset_problems(cfg) + camera_problems(cfg, Path(path).parent) + safety
    problems += log_dir_problems(cfg, Path(path).parent)
    notes: list[str] = []
    if not problems and render:
        with redirect_stdout(io.StringIO()):
            problems, notes = render_problems(cfg)
    notes += safety_notes + model_notes(cfg)
    if problems:
        out(f"{path}: {len(problems)} problem(s)")
        for p in problems:
            out(f"  {p}")
        for w in cfg.warnings:
            out(f"  warning: {w}")
        return 2
    names = ", ".join(e.exhibit for e in cfg.playlist)
    out(f"{path}: ok (schema {cfg.schema_version}; playlist: {names})")
    for w in cfg.warnings:
        out(f"  warning: {w}")
    for note in notes:
        out(f"  note: {note}")
    return 0
