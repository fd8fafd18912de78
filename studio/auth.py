"""Studio login: the kiosk's admin PIN (same PBKDF2 hash, same attempts and lockout), sessions
and CSRF tokens.

The PIN is checked against ``[admin] pin_hash`` of the *published* config, read at every attempt
(a new PIN works at once). As on the kiosk's pad: with no PIN set nobody can log in (the page says
how to set one: ``python kiosk.py pin NEW_PIN``); a hash of a publicly known PIN and typing a
publicly known PIN never log in; ``[admin] max_attempts`` wrong PINs lock the login for
``[admin] lockout_s``. The lockout is written to ``lockout.json`` in the Studio's state folder, so
restarting the Studio does not reset it.

Sessions live in memory (a restart logs everyone out): a random token in an HttpOnly,
SameSite=Strict cookie, ended after ``session_idle_s`` without a request. Each session has its own
CSRF token that every form posts back; the login form uses a pre-session token (a cookie and a
hidden field that must match).

Failure modes: an unreadable or invalid config falls back to its ``[admin]`` table alone, and to
the defaults (3 attempts, 300 s) when that too is invalid; a damaged ``lockout.json`` counts as
no failures.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from runtime.admin import AdminConfig
from runtime.pins import PUBLIC_HASHES, PUBLIC_PINS, verify_pin
from runtime.settings import build

COOKIE = "studio_session"
PRE_COOKIE = "studio_pre"


@dataclass
class Session:
    who: str
    csrf: str
    last_t: float
    created_t: float = field(default_factory=time.time)


def same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def read_admin(config_path: Path) -> AdminConfig:
    """``[admin]`` of the published config (defaults when unreadable or invalid)."""
    try:
        data = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
        table = data.get("admin", {})
        if isinstance(table, dict):
            cfg = build(AdminConfig, table, "admin", [])
            if cfg is not None:
                return cfg
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        pass
    return AdminConfig()


class Auth:
    """PIN login with lockout, and the sessions it opens (see the module docstring)."""

    def __init__(self, config_path: Path, state_dir: Path, idle_s: float = 1800.0,
                 time_fn=time.time):
        self.config_path = Path(config_path)
        self.lock_file = Path(state_dir) / "lockout.json"
        self.idle_s = idle_s
        self.time_fn = time_fn
        self.sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    # --- lockout ---------------------------------------------------------------------------------
    def _state(self) -> dict:
        try:
            st = json.loads(self.lock_file.read_text())
            return {"failed": int(st["failed"]), "locked_until": float(st["locked_until"])}
        except (OSError, ValueError, KeyError, TypeError):
            return {"failed": 0, "locked_until": 0.0}

    def _save(self, st: dict) -> None:
        self.lock_file.write_text(json.dumps(st))

    def locked_for(self) -> int:
        """Seconds the login stays locked (0: not locked)."""
        left = self._state()["locked_until"] - self.time_fn()
        return max(0, int(left + 0.999))

    def unavailable(self) -> str:
        """Why nobody can log in ("" when a PIN is set): an i18n key."""
        admin = read_admin(self.config_path)
        if not admin.pin_hash:
            return "login.no_pin"
        if admin.pin_hash in PUBLIC_HASHES:
            return "login.public_hash"
        return ""

    def login(self, pin: str, who: str) -> tuple[str | None, str, dict]:
        """``(session token or None, i18n key of the refusal, its values)``.

        Blocking: one PBKDF2 run (tens of ms); call it off the event loop.
        """
        with self._lock:
            why = self.unavailable()
            if why:
                return None, why, {}
            admin = read_admin(self.config_path)
            st = self._state()
            now = self.time_fn()
            if now < st["locked_until"]:
                return None, "login.locked", {"seconds": self.locked_for()}
            pin = pin.strip()[:32]
            if pin not in PUBLIC_PINS and verify_pin(pin, admin.pin_hash):
                self._save({"failed": 0, "locked_until": 0.0})
                token = secrets.token_urlsafe(32)
                name = " ".join(who.split())[:40] or "curator"
                self.sessions[token] = Session(name, secrets.token_urlsafe(32), now)
                return token, "", {}
            st["failed"] += 1
            left = admin.max_attempts - st["failed"]
            if left <= 0:
                st = {"failed": 0, "locked_until": now + admin.lockout_s}
                self._save(st)
                return None, "login.locked", {"seconds": self.locked_for()}
            self._save(st)
            return None, "login.wrong", {"left": left}

    # --- sessions --------------------------------------------------------------------------------
    def session(self, token: str | None) -> Session | None:
        """The live session of ``token`` (its idle clock restarts), or None."""
        if not token:
            return None
        with self._lock:
            now = self.time_fn()
            for t, s in list(self.sessions.items()):
                if now - s.last_t > self.idle_s:
                    del self.sessions[t]
            s = self.sessions.get(token)
            if s is not None:
                s.last_t = now
            return s

    def logout(self, token: str | None) -> None:
        with self._lock:
            self.sessions.pop(token or "", None)
