"""Admin PIN hashes: PBKDF2-SHA256 strings, their bounds, and the PINs anyone can know.

A stored PIN is ``pbkdf2_sha256$ITERATIONS$SALT$HASH`` (``python kiosk.py pin NEW_PIN`` prints
one). Failure modes: a malformed hash, or one whose iteration count is outside
:data:`ITERATIONS_RANGE`, never verifies (and the config refuses it), so no stored string can make
a PIN check run unboundedly long; :data:`PUBLIC_PINS` are PINs printed in docs or trivially
guessed, and :func:`public_pin_of` finds a hash of one (for ``check`` and ``doctor``; the admin
panel refuses typing them without any hashing at all).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PBKDF2_ITERATIONS = 60_000
# Below 10k a stolen config is cheap to brute-force; above 1M one PIN check stalls the render
# thread for about a second (PBKDF2 runs there when OK is pressed).
ITERATIONS_RANGE = (10_000, 1_000_000)
# PINs anyone can know: the one an earlier release shipped and printed in its README, the
# examples in the docs, and the usual first guesses. They never open the panel.
PUBLIC_PINS = ("0518", "0000", "1111", "1234", "2468", "4321", "9999", "123456")
# The exact hash strings that were published (the shipped config.toml carried this one, of 0518):
# recognised without any PBKDF2 work, so the running kiosk can refuse them for free.
PUBLIC_HASHES = frozenset({
    "pbkdf2_sha256$60000$9881d164d1217c48$93dadec7115397715545d2fba648d15cdf610db8829d13b21041c2"
    "9c078ad586",
})


def hash_pin(pin: str, *, salt: str | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """``pbkdf2_sha256$ITERATIONS$SALT$HASH`` for a PIN of 4–12 digits."""
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("a PIN must be 4 to 12 digits")
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """Constant-time check of ``pin`` against a :func:`hash_pin` string.

    False if the hash is malformed or its iteration count is outside :data:`ITERATIONS_RANGE`
    (never hashes for an unbounded time).
    """
    try:
        scheme, iterations, salt, digest = stored.split("$")
        rounds = int(iterations)
        if scheme != "pbkdf2_sha256" or not ITERATIONS_RANGE[0] <= rounds <= ITERATIONS_RANGE[1]:
            return False
        got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), rounds)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def valid_hash(stored: str) -> bool:
    """The shape of a :func:`hash_pin` string (scheme, digits, hex); bounds not checked."""
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not parts[1].isdigit():
        return False
    try:
        bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        return False
    return True


def public_pin_of(stored: str) -> str | None:
    """The publicly known PIN that ``stored`` is a hash of, or None.

    Costs one PBKDF2 run per entry of :data:`PUBLIC_PINS` (up to a few seconds at the maximum
    iteration count): for ``check`` and ``doctor``, never the render loop.
    """
    if stored in PUBLIC_HASHES:
        return "0518"
    return next((p for p in PUBLIC_PINS if verify_pin(p, stored)), None)
