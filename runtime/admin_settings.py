"""``[admin]``: how technicians open the hidden panel (:class:`AdminConfig`), and what
``kiosk.py check`` and ``doctor`` say about its PIN (:func:`pin_findings`).

The panel itself is :mod:`runtime.admin`; PIN hashing is :mod:`runtime.pins`. Both names here
stay importable from :mod:`runtime.admin`. Importing this module loads no pygame.

Failure modes: none raised; a ``pin_hash`` that is not a hash, or whose PBKDF2 iteration count
is outside :data:`~runtime.pins.ITERATIONS_RANGE`, is a config problem (:meth:`AdminConfig.check`).
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.pins import ITERATIONS_RANGE, public_pin_of, valid_hash
from runtime.settings import setting

CORNERS = ("tl", "tr", "br", "bl")


def pin_findings(cfg: AdminConfig) -> tuple[list[tuple[str, str]], list[str]]:
    """``(problems, notes)`` about ``[admin]`` for ``check`` and ``doctor``.

    A hash of a public PIN is a problem (key ``pin_hash``); no PIN at all is a note (the kiosk
    is safe, but technicians cannot open the panel).
    """
    if not cfg.enabled:
        return [], []
    if not cfg.pin_hash:
        return [], ["admin.pin_hash is empty: the admin panel cannot be opened until a technician "
                    "sets a PIN (python kiosk.py pin NEW_PIN prints the line)"]
    if not valid_hash(cfg.pin_hash):
        return [], []  # AdminConfig.check has already refused it
    public = public_pin_of(cfg.pin_hash)
    if public is not None:
        return [("pin_hash", f"is the hash of the publicly known PIN {public}; set your own: "
                 "python kiosk.py pin NEW_PIN")], []
    return [], []


@dataclass(frozen=True)
class AdminConfig:
    """``[admin]``: how technicians open the hidden panel."""

    enabled: bool = setting(True, "allow the hidden admin panel")
    corner_sequence: tuple[str, ...] = setting(
        ("tl", "tr", "br", "bl"), "corners to tap in order: tl, tr, br, bl",
        choices=CORNERS, min_items=3, max_items=8)
    corner_size: float = setting(0.08, "size of a corner hot zone, as a fraction of the screen",
                                 range=(0.02, 0.3))
    sequence_s: float = setting(6.0, "time allowed for the whole corner sequence, seconds",
                                range=(1, 30))
    pin_hash: str = setting(
        "", "PBKDF2 hash of the PIN; make one with `python kiosk.py pin NEW_PIN`. Empty (as "
        "shipped): the panel cannot be opened")
    max_attempts: int = setting(3, "wrong PINs before the pad locks", range=(1, 10))
    lockout_s: float = setting(300.0, "how long the pad stays locked", range=(10, 86400))
    auto_close_s: float = setting(60.0, "the panel closes after this long untouched",
                                  range=(10, 3600))

    def check(self) -> list[tuple[str, str]]:
        if self.pin_hash and not valid_hash(self.pin_hash):
            return [("pin_hash", "is not a PIN hash; make one with `python kiosk.py pin NEW_PIN`")]
        if self.pin_hash:
            rounds = int(self.pin_hash.split("$")[1])
            lo, hi = ITERATIONS_RANGE
            if not lo <= rounds <= hi:
                return [("pin_hash", f"iteration count must be {lo}..{hi}, got {rounds}; make "
                         "a new hash with `python kiosk.py pin NEW_PIN`")]
        return []
