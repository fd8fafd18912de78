"""Who this kiosk is: ``[kiosk] id`` and ``location``, for a museum that runs several.

The id names the kiosk wherever a fleet sees it: the ``kiosk`` label of every ``/metrics``
series, a ``kiosk`` field in every line of ``logs/kiosk.log``, the ``kiosk`` column of the
analytics rows and the per-kiosk breakdown of ``kiosk.py report``. It is a short machine name
(letters, digits, ``.``, ``_``, ``-``; at most 64 characters) so it is safe as a metric label and
a file name; ``location`` is free text for people (e.g. "2F gallery 3, east wall", Korean is
fine). Neither identifies a visitor.

Defaults: an empty id means this computer's host name (cleaned to the allowed characters), so
a config rolled out unchanged to many kiosks still tells them apart; set it explicitly when
host names are not meaningful. An id change applies at the next start of the kiosk (metrics,
logs and analytics keep one name per run).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

from runtime.settings import setting

ID_MAX = 64
LOCATION_MAX = 120
_ID_RE = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class IdentityConfig:
    """``[kiosk]``: this kiosk's name and place in a fleet."""

    id: str = setting("", "this kiosk's name in metrics, logs, analytics and fleet reports: "
                      "letters, digits, '.', '_', '-' (empty: the computer's host name)",
                      max_len=ID_MAX)
    location: str = setting("", "where it stands, for people (e.g. \"2F gallery 3\")",
                            max_len=LOCATION_MAX)

    def check(self) -> list[tuple[str, str]]:
        if self.id and not _ID_RE.fullmatch(self.id):
            return [("id", "may hold only letters, digits, '.', '_' and '-' (it becomes a "
                     f"metric label and a file name); got {self.id!r}")]
        return []


def clean_id(text: str) -> str:
    """``text`` reduced to the allowed id characters (others become ``-``), never empty."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:ID_MAX]
    return cleaned or "kiosk"


def kiosk_id(cfg: IdentityConfig) -> str:
    """The id in use: ``[kiosk] id``, or the host name when it is empty."""
    if cfg.id:
        return cfg.id
    try:
        return clean_id(socket.gethostname())
    except OSError:
        return "kiosk"
