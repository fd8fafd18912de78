"""The Studio's files: the draft, validation, publishing, history and rollback.

Layout (``state_dir``, by default ``studio-data/`` beside the config, ignored by git)::

    draft/config.toml        the curator's draft (a full config; absent = no draft)
    draft/base.json          SHA-256 of the published file the draft started from
    draft/landmarks.csv      a draft of the landmark file (absent = unchanged)
    history/index.jsonl      one line per version of a published file: who, when, what, SHA-256
    history/blobs/SHA256     the bytes of each version, stored once

One schema, one validator, one writer: the draft is checked by the kiosk's own loader
(:func:`runtime.config.load_config`), the asset checks of ``kiosk.py check`` (the landmark file,
the draft's when there is one), the camera calibration, log folder and PIN checks; edits go
through :func:`studio.tomledit.set_values`. :meth:`Store.publish` refuses a draft with any problem,
or one whose published file changed on disk since the draft began (someone edited it by hand).
Publishing writes each changed file atomically (a temporary file in the same folder, fsync,
rename), after recording the bytes that were there, so every earlier version can be restored byte
for byte by :meth:`Store.rollback`. The running kiosk sees the new file by its hot reload.

Failure modes: file errors while publishing raise ``OSError`` (the published file is then either
the old or the new version, never half written); problems with content are returned, not raised.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import os
import tempfile
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.assets import ASSETS_DIR
from runtime.config import load_config, log_dir_problems, read_config_text
from runtime.settings import ConfigError, Problem
from studio.tomledit import set_values

LANDMARKS_KEY = "exhibits.city.landmarks_file"
MAX_LANDMARK_BYTES = 256 * 1024  # the kiosk refuses bigger landmark files unread


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` in one step (readers see the old or the new file)."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".studio-tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename is still atomic


@dataclass(frozen=True)
class Version:
    """One line of the history: a file as it was published, found or rolled back to."""

    id: int
    file: str  # as a curator knows it: config.toml, assets/landmarks/gwangju.csv
    path: str
    sha256: str
    who: str
    when: str
    action: str


class Store:
    """The draft and the published files of one config (see the module docstring).

    Args:
        config_path: the published ``config.toml`` (the file the kiosk reads).
        state_dir: where drafts and history live (default ``studio-data`` beside the config).
        assets_root: the only folder whose files the Studio writes besides the config.
    """

    def __init__(self, config_path: Path, state_dir: Path | None = None,
                 assets_root: Path = ASSETS_DIR):
        self.config_path = Path(config_path).resolve()
        self.state_dir = Path(state_dir or self.config_path.parent / "studio-data").resolve()
        self.assets_root = Path(assets_root).resolve()
        self.draft_dir = self.state_dir / "draft"
        self.history_dir = self.state_dir / "history"
        self.lock = threading.RLock()
        self._findings: dict[tuple, list[Problem]] = {}
        for d in (self.draft_dir, self.history_dir / "blobs"):
            d.mkdir(parents=True, exist_ok=True)

    # --- the published file and the draft -------------------------------------------------------
    @property
    def draft_path(self) -> Path:
        return self.draft_dir / "config.toml"

    @property
    def landmarks_draft_path(self) -> Path:
        return self.draft_dir / "landmarks.csv"

    def published_bytes(self) -> bytes:
        try:
            return self.config_path.read_bytes()
        except OSError:
            return b""

    def has_draft(self) -> bool:
        return self.draft_path.exists() or self.landmarks_draft_path.exists()

    def draft_text(self) -> str:
        """The draft's text; the published file's while there is no draft."""
        path = self.draft_path if self.draft_path.exists() else self.config_path
        try:
            return read_config_text(path)
        except ConfigError:
            return ""

    def draft_data(self) -> dict:
        try:
            return tomllib.loads(self.draft_text())
        except tomllib.TOMLDecodeError:
            return {}

    def _start_draft(self) -> None:
        if not self.draft_path.exists():
            base = self.published_bytes()
            atomic_write(self.draft_path, base)
            (self.draft_dir / "base.json").write_text(json.dumps({"sha256": sha256(base)}))

    def base_changed(self) -> bool:
        """The published file changed since the draft began (a hand edit, another Studio)."""
        try:
            base = json.loads((self.draft_dir / "base.json").read_text())["sha256"]
        except (OSError, ValueError, KeyError):
            return False
        return base != sha256(self.published_bytes())

    def edit(self, changes: dict[tuple[str, ...], Any]) -> bool:
        """Apply ``changes`` (key path → value) to the draft; True if comments were lost."""
        if not changes:
            return False
        with self.lock:
            try:
                tomllib.loads(self.draft_text())
            except tomllib.TOMLDecodeError as err:
                raise ValueError(f"the draft is not valid TOML ({err}); discard it") from None
            self._start_draft()
            new, rewritten = set_values(self.draft_text(), changes)
            atomic_write(self.draft_path, new.encode("utf-8"))
            return rewritten

    def discard(self) -> None:
        with self.lock:
            for p in (self.draft_path, self.landmarks_draft_path, self.draft_dir / "base.json"):
                p.unlink(missing_ok=True)

    # --- landmarks -------------------------------------------------------------------------------
    def landmarks_file(self) -> tuple[str, Path | None]:
        """``(name in the config, path)`` of the draft's landmark file; path None when it lies
        outside ``assets/`` (the Studio never writes there)."""
        city = self.draft_data().get("exhibits", {}).get("city", {})
        name = city.get("landmarks_file", "landmarks/gwangju.csv")
        if not isinstance(name, str) or not name or "\x00" in name:
            return str(name), None
        p = Path(name)
        path = (p if p.is_absolute() else self.assets_root / p).resolve()
        return name, path if path.is_relative_to(self.assets_root) else None

    def landmarks_text(self) -> str:
        """The draft landmark CSV if there is one, else the published file ("" if unreadable)."""
        _, path = self.landmarks_file()
        src = self.landmarks_draft_path if self.landmarks_draft_path.exists() else path
        try:
            raw = src.read_bytes()[:MAX_LANDMARK_BYTES + 1] if src else b""
            return raw.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return ""

    def save_landmarks(self, text: str) -> None:
        data = text.encode("utf-8")
        if len(data) > MAX_LANDMARK_BYTES:
            raise ValueError(f"a landmark file may be at most {MAX_LANDMARK_BYTES // 1024} KiB")
        with self.lock:
            self._start_draft()
            atomic_write(self.landmarks_draft_path, data)

    # --- validation (the kiosk's own checks) -----------------------------------------------------
    def problems(self) -> list[Problem]:
        """Every problem of the draft, each with its key path (empty: it may be published)."""
        from runtime.assets import Assets
        from runtime.check import camera_problems, operator_findings

        with self.lock:
            path = self.draft_path if self.draft_path.exists() else self.config_path
            name, lm_path = self.landmarks_file()
            draft_csv = self.landmarks_draft_path.exists()
            try:
                cfg = load_config(path)
            except ConfigError as err:
                if not draft_csv:
                    return list(err.problems)
                # the landmark draft is still checked, so both lists show at once
                from exhibits.city.landmarks import load_landmarks

                _, found = load_landmarks(self.landmarks_draft_path, name)
                return list(err.problems) + [Problem(LANDMARKS_KEY, m) for m in found]
            problems: list[Problem] = []
            assets = Assets(self.assets_root)
            for exhibit, settings in cfg.exhibits.items():
                if exhibit == "city" and draft_csv:
                    settings = dataclasses.replace(
                        settings, landmarks_file=str(self.landmarks_draft_path))
                check = getattr(settings, "check_assets", None)
                for key, msg in (check(assets) if check else []):
                    msg = msg.replace(str(self.landmarks_draft_path), name)
                    problems.append(Problem(f"exhibits.{exhibit}.{key}" if key
                                            else f"exhibits.{exhibit}", msg))
            if lm_path is None:
                problems.append(Problem(LANDMARKS_KEY, "must name a file under assets/ (the "
                                        "Studio edits only files there)"))
            base = self.config_path.parent
            # a few PBKDF2 runs (public PINs): once per hash, not on every page
            key = (cfg.admin.pin_hash, cfg.input.record_path, cfg.input.record_camera)
            if key not in self._findings:
                self._findings[key] = operator_findings(cfg, path)[0]
            found = self._findings[key]
            problems += camera_problems(cfg, base) + log_dir_problems(cfg, base) + found
            return problems

    # --- publish, history, rollback --------------------------------------------------------------
    def _index(self) -> Path:
        return self.history_dir / "index.jsonl"

    def history(self) -> list[Version]:
        """Every recorded version, newest first."""
        try:
            lines = self._index().read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            try:
                out.append(Version(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # a damaged line hides one version, never the page
        return out[::-1]

    def version(self, vid: int) -> Version | None:
        return next((v for v in self.history() if v.id == vid), None)

    def version_bytes(self, v: Version) -> bytes:
        return (self.history_dir / "blobs" / v.sha256).read_bytes()

    def _record(self, path: Path, data: bytes, who: str, action: str) -> Version:
        digest = sha256(data)
        blob = self.history_dir / "blobs" / digest
        if not blob.exists():
            atomic_write(blob, data)
        history = self.history()
        shown = ("config.toml" if path == self.config_path
                 else f"assets/{path.relative_to(self.assets_root)}")
        v = Version(id=(history[0].id + 1) if history else 1, file=shown, path=str(path),
                    sha256=digest, who=who, when=dt.datetime.now().isoformat(timespec="seconds"),
                    action=action)
        with open(self._index(), "a", encoding="utf-8") as f:
            f.write(json.dumps(dataclasses.asdict(v), ensure_ascii=False) + "\n")
        return v

    def _replace(self, path: Path, data: bytes, who: str, action: str) -> Version:
        """Write ``data`` to ``path`` atomically, recording what was there first."""
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            old = None
        if old is not None:
            last = next((v for v in self.history() if v.path == str(path)), None)
            if last is None or last.sha256 != sha256(old):
                self._record(path, old, "(on disk)", "found on disk before this change")
        atomic_write(path, data)
        return self._record(path, data, who, action)

    def publish(self, who: str) -> tuple[list[Version], list[Problem]]:
        """Publish the draft; ``(versions written, problems)``; nothing is written on problems."""
        with self.lock:
            if not self.has_draft():
                return [], [Problem("", "nothing to publish: the draft is the published config")]
            if self.base_changed():
                return [], [Problem("", "config.toml was changed on disk since this draft began "
                                    "(edited by hand?); discard the draft and edit again")]
            problems = self.problems()
            if problems:
                return [], problems
            written = []
            _, lm_path = self.landmarks_file()
            if self.landmarks_draft_path.exists() and lm_path is not None:
                data = self.landmarks_draft_path.read_bytes()
                try:
                    same = lm_path.read_bytes() == data
                except OSError:
                    same = False
                if not same:
                    written.append(self._replace(lm_path, data, who, "published"))
            if self.draft_path.exists():
                data = self.draft_path.read_bytes()
                if data != self.published_bytes():
                    written.append(self._replace(self.config_path, data, who, "published"))
            self.discard()
            return written, []

    def rollback(self, vid: int, who: str) -> tuple[Version | None, list[Problem]]:
        """Restore version ``vid`` byte for byte (a config is validated first)."""
        with self.lock:
            v = self.version(vid)
            if v is None:
                return None, [Problem("", f"no version {vid}")]
            path = Path(v.path)
            allowed = path == self.config_path or path.resolve().is_relative_to(self.assets_root)
            if not allowed:
                return None, [Problem("", f"{v.file} is not a file the Studio may write")]
            data = self.version_bytes(v)
            if path == self.config_path:
                check = self.draft_dir / "rollback-check.toml"
                atomic_write(check, data)
                try:
                    load_config(check)
                except ConfigError as err:
                    return None, list(err.problems)
                finally:
                    check.unlink(missing_ok=True)
            written = self._replace(path, data, who, f"rollback to version {v.id}")
            return written, []

    def diff(self, v: Version) -> str:
        """A unified diff from the version before ``v`` (same file) to ``v``."""
        older = [o for o in self.history() if o.path == v.path and o.id < v.id]
        before = self.version_bytes(older[0]).decode("utf-8", "replace") if older else ""
        after = self.version_bytes(v).decode("utf-8", "replace")
        label = f"version {older[0].id}" if older else "(nothing)"
        return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                            label, f"version {v.id}", n=2))

    def draft_diff(self) -> str:
        """What publishing would change in config.toml (unified diff)."""
        before = self.published_bytes().decode("utf-8", "replace")
        after = self.draft_text()
        return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                            "published config.toml", "draft", n=2))
