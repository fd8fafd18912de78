"""The exhibit-facing sound API, shared by the live engine, the offline renderer and silence.

:class:`SoundAPI` turns musical calls into synth command tuples (see :mod:`runtime.audio.synth`)
and hands each to ``self._send``; subclasses decide where commands go (the audio thread's queue,
a timed list for offline rendering, nowhere). Every method is O(1) in the number of sounding
voices, never blocks and never raises: a bad argument is clamped, an unknown chime or timbre is
logged once and ignored, so an exhibit bug can never silence the kiosk or crash a frame.

Exhibits use only these calls (``ctx.audio`` is one of the subclasses)::

    audio.note(degree, velocity=0.8, duration_s=0.6)   # a scale degree (0 = root note)
    audio.chord([0, 2, 4])                             # several degrees at once (or strummed)
    audio.chime("discover")                            # a named little motif, see CHIMES
    audio.pulse()                                      # a soft low thump (a clap answered)
    audio.set_volume(0.5)                              # exhibit-level volume 0..1
    audio.fade_all(1.0)                                # release everything over ~1 s
    audio.level, audio.level_db, audio.onsets()        # the microphone (0 / -inf / [] if off)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import NamedTuple

from runtime.audio.scales import SCALES, degree_to_hz
from runtime.audio.synth import CMD_FADE, CMD_VOICE, CMD_VOLUME, TIMBRE_INDEX

log = logging.getLogger("kiosk.audio")


class Onset(NamedTuple):
    """A sudden loud sound at the microphone (a clap, a shout).

    Attributes:
        t: when it happened on the kiosk clock (seconds; estimated from the block it was in).
        stream_s: its position in the microphone stream, seconds since the stream opened
            (sample-accurate to a few ms; what tests check).
        level_db: the loudness of the block it was found in, dBFS.
    """

    t: float
    stream_s: float
    level_db: float


# name → (timbre, ((degree offset, delay_s, velocity), ...), decay_s)
CHIMES: dict[str, tuple[str, tuple[tuple[int, float, float], ...], float]] = {
    "discover": ("bell", ((5, 0.0, 0.8), (7, 0.09, 0.7), (10, 0.18, 0.75)), 1.2),
    "celebrate": ("bell", ((5, 0.0, 0.7), (7, 0.12, 0.7), (9, 0.24, 0.7), (10, 0.36, 0.8),
                           (12, 0.48, 0.9), (15, 0.62, 0.8)), 1.6),
    "hint": ("glass", ((10, 0.0, 0.45), (12, 0.15, 0.35)), 0.9),
    "hello": ("glass", ((7, 0.0, 0.5), (9, 0.1, 0.5)), 0.8),
    "bye": ("glass", ((9, 0.0, 0.4), (7, 0.12, 0.35)), 0.8),
    "grow": ("soft", ((0, 0.0, 0.5),), 0.5),
}


class SoundAPI:
    """Musical calls → synth commands. Subclasses implement :meth:`_send`.

    Args:
        scale / root_note: the scale degrees map to (``[audio] scale``, ``root_note``).
    """

    def __init__(self, scale: str = "pentatonic", root_note: str = "C4") -> None:
        self.scale = scale if scale in SCALES else "pentatonic"
        self.root_note = root_note
        self._hz_cache: dict[int, float] = {}
        self._warned: set[str] = set()
        self.exhibit_volume = 1.0

    # --- where commands go (subclasses) ----------------------------------------------------
    def _send(self, cmd: tuple) -> None:
        raise NotImplementedError

    # --- the API --------------------------------------------------------------------------
    def note(self, degree: int, velocity: float = 0.8, duration_s: float = 0.6, *,
             timbre: str = "soft", pan: float = 0.0, delay_s: float = 0.0) -> None:
        """Play scale ``degree`` (0 = root; negative goes down) at ``velocity`` 0..1 for
        ``duration_s`` seconds (then a ~0.8 s release). ``pan`` −1 (left) .. 1 (right)."""
        try:
            self._send(self._voice(degree, velocity, duration_s, timbre, pan, delay_s))
        except Exception as err:  # noqa: BLE001 - sound must never break an exhibit
            self._warn_once("note", f"audio: note({degree!r}) ignored: {err}")

    def chord(self, degrees: Iterable[int], velocity: float = 0.6, duration_s: float = 1.2, *,
              timbre: str = "soft", strum_s: float = 0.0, pan: float = 0.0) -> None:
        """Several degrees together (``strum_s`` apart); loudness is shared between them."""
        try:
            degrees = list(degrees)[:8]
            if not degrees:
                return
            v = _clamp(velocity) / math.sqrt(len(degrees))
            for i, d in enumerate(degrees):
                self._send(self._voice(d, v, duration_s, timbre, pan, i * max(0.0, strum_s)))
        except Exception as err:  # noqa: BLE001
            self._warn_once("chord", f"audio: chord ignored: {err}")

    def chime(self, name: str = "discover", velocity: float = 1.0, *, pan: float = 0.0) -> None:
        """A named motif from :data:`CHIMES` (``discover``, ``celebrate``, ``hint``, …)."""
        spec = CHIMES.get(name)
        if spec is None:
            self._warn_once(f"chime:{name}", f"audio: unknown chime {name!r}; known: "
                            + ", ".join(CHIMES))
            return
        try:
            timbre, notes, decay_s = spec
            tidx = TIMBRE_INDEX[timbre]
            for degree, delay, vel in notes:
                self._send((CMD_VOICE, self._hz(degree), _clamp(vel * velocity), 0.004,
                            decay_s, 0.0, 0.0, 0.3, _clamp(pan, -1.0), tidx, delay))
        except Exception as err:  # noqa: BLE001
            self._warn_once("chime", f"audio: chime({name!r}) ignored: {err}")

    def pulse(self, strength: float = 1.0) -> None:
        """A soft low thump two octaves below the root (digits pulsing to a clap)."""
        try:
            self._send((CMD_VOICE, self._hz(-2 * len(SCALES[self.scale])), _clamp(strength),
                        0.004, 0.16, 0.0, 0.0, 0.1, 0.0, TIMBRE_INDEX["pulse"], 0.0))
        except Exception as err:  # noqa: BLE001
            self._warn_once("pulse", f"audio: pulse ignored: {err}")

    def set_volume(self, volume: float, glide_s: float = 0.2) -> None:
        """The exhibit's volume 0..1, multiplied with the configured master/quiet volume."""
        try:
            self.exhibit_volume = _clamp(volume)
            self._send((CMD_VOLUME, self._gain(), max(0.001, float(glide_s))))
        except Exception as err:  # noqa: BLE001
            self._warn_once("volume", f"audio: set_volume ignored: {err}")

    def fade_all(self, seconds: float = 1.0) -> None:
        """Release every sounding voice over about ``seconds`` (exhibit hand-over)."""
        try:
            self._send((CMD_FADE, max(0.001, float(seconds))))
        except Exception as err:  # noqa: BLE001
            self._warn_once("fade", f"audio: fade_all ignored: {err}")

    # microphone defaults (no microphone); the live engine overrides them
    @property
    def level(self) -> float:
        """Smoothed microphone level 0..1 (−60 dBFS → 0, 0 dBFS → 1); 0 without a mic."""
        return 0.0

    @property
    def level_db(self) -> float:
        """Smoothed microphone level in dBFS; ``-inf`` without a microphone."""
        return -math.inf

    def onsets(self) -> list[Onset]:
        """Onsets (claps, shouts) since the last call, oldest first; never blocks."""
        return []

    # --- helpers --------------------------------------------------------------------------
    def _gain(self) -> float:
        """The synth's master gain: configured volume × exhibit volume (subclasses refine)."""
        return self.exhibit_volume

    def _hz(self, degree: int) -> float:
        hz = self._hz_cache.get(degree)
        if hz is None:
            hz = degree_to_hz(int(degree), self.scale, self.root_note)
            if len(self._hz_cache) < 512:
                self._hz_cache[degree] = hz
        return hz

    def _voice(self, degree: int, velocity: float, duration_s: float, timbre: str, pan: float,
               delay_s: float) -> tuple:
        tidx = TIMBRE_INDEX.get(timbre)
        if tidx is None:
            self._warn_once(f"timbre:{timbre}", f"audio: unknown timbre {timbre!r}; using soft")
            tidx = TIMBRE_INDEX["soft"]
        hold = min(30.0, max(0.01, float(duration_s)))
        return (CMD_VOICE, self._hz(degree), _clamp(velocity), 0.008, 0.4, 0.35, hold, 0.12,
                _clamp(pan, -1.0), tidx, max(0.0, float(delay_s)))

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned and len(self._warned) < 100:
            self._warned.add(key)
            log.warning(message)


def _clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    x = float(x)
    if not math.isfinite(x):
        return lo
    return min(hi, max(lo, x))
