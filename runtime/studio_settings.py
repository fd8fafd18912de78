"""``[studio]``: where the curators' web Studio listens and how it renders previews.

A section of the kiosk's config, so it lives with the runtime's config schema (which imports no
Studio code); the Studio (``studio/``) reads it from here. Imports nothing heavy. Localhost only
by default: a technician who wants curators to reach the Studio from a laptop sets ``host`` to
the kiosk PC's LAN address explicitly (an IP address, never a name); the PIN login, lockout and
CSRF checks still apply, but the traffic is plain HTTP, so only on a trusted museum network.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from runtime.settings import setting


@dataclass(frozen=True)
class StudioConfig:
    """``[studio]``: the web Studio (``python kiosk.py studio``)."""

    host: str = setting("127.0.0.1", "address the Studio listens on: 127.0.0.1 (this PC only) "
                        "or the PC's LAN address to let a curator's laptop in (plain HTTP: a "
                        "trusted network only)", max_len=64)
    port: int = setting(8790, "TCP port of the Studio", range=(1024, 65535))
    preview_s: float = setting(4.0, "seconds of exhibit a preview renders", range=(1.0, 20.0))
    preview_timeout_s: float = setting(
        180.0, "a preview render still running after this long is stopped", range=(10, 900))
    session_idle_s: float = setting(1800.0, "a curator who does nothing this long is logged out",
                                    range=(60, 86400))

    def check(self) -> list[tuple[str, str]]:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return [("host", f"must be an IP address such as 127.0.0.1 or 192.168.0.20, got "
                             f"{self.host[:40]!r}")]
        return []
