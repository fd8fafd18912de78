"""``[audio]``: the sound engine's settings (output device, synth, quiet hours, microphone).

Defaults: the system's default output at 48 kHz in blocks of 256 frames (5.3 ms), master volume
0.8, no quiet hours, notes on a C-major pentatonic scale from C4, microphone off. Every field is
validated where it is declared; :meth:`AudioConfig.check` adds the cross-field rules (quiet-hour
strings, the root note, retry bounds). A bad value is refused with its key path like every other
section (``audio.quiet_hours[0]: ...``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from runtime.audio.scales import SCALES, parse_note
from runtime.settings import setting

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def parse_quiet_hours(spec: str) -> tuple[int, int]:
    """``"22:00-08:30"`` → ``(start_min, end_min)`` minutes after midnight (end may be < start,
    meaning the span crosses midnight). Raises ``ValueError`` for anything else."""
    m = _HHMM.match(spec.strip())
    if not m:
        raise ValueError(f"must look like \"22:00-08:00\" (24-hour HH:MM-HH:MM), got {spec!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    return h1 * 60 + m1, h2 * 60 + m2


@dataclass(frozen=True)
class AudioConfig:
    """``[audio]``: sound output, the note scale, quiet hours and the optional microphone."""

    enabled: bool = setting(True, "play sound at all (false: the kiosk is silent by design)")
    output: str = setting(
        "default", "output device: \"default\", its index as listed by `kiosk.py doctor` "
        "(\"3\"), or part of its name (\"USB Audio\")")
    sample_rate_hz: int = setting(48000, "output (and microphone) sample rate in Hz",
                                  choices=(44100, 48000))
    block_frames: int = setting(
        256, "frames per audio callback; 256 at 48 kHz is 5.3 ms (smaller: less delay, more "
        "risk of underflows)", choices=(64, 128, 256, 512))
    latency_s: float = setting(
        0.0, "extra output buffering in seconds; 0 uses the device's low-latency default. "
        "Raise it (0.05..0.1) if the log reports underflows", range=(0.0, 0.5))
    channels: int = setting(2, "output channels: 2 (stereo) or 1 (mono)", choices=(1, 2))
    master_volume: float = setting(0.8, "overall loudness 0..1 (1 = full scale)", range=(0, 1))
    quiet_hours: tuple[str, ...] = setting(
        (), "local-time spans played at quiet_volume, e.g. [\"09:00-10:30\", \"17:00-18:00\"]; "
        "a span may cross midnight (\"22:00-07:00\")", max_items=8)
    quiet_volume: float = setting(0.3, "loudness 0..1 used during quiet_hours", range=(0, 1))
    scale: str = setting("pentatonic", "note scale exhibits play on (pentatonic is consonant "
                         "whatever visitors do)", choices=tuple(SCALES))
    root_note: str = setting("C4", "lowest note of the scale (degree 0), e.g. C4, D#4, Bb3",)
    voices: int = setting(32, "most notes sounding at once; the oldest quiet one is reused",
                          range=(8, 64))
    retry_min_s: float = setting(1.0, "first wait before reopening a lost device, seconds",
                                 range=(0.1, 60))
    retry_max_s: float = setting(60.0, "longest wait between reopen attempts (the wait doubles "
                                 "up to this), seconds", range=(1, 3600))
    mic_enabled: bool = setting(False, "listen to a microphone (level and claps for exhibits)")
    mic_input: str = setting("default", "microphone device: \"default\", index or part of name")
    onset_threshold_db: float = setting(
        -30.0, "a clap/shout must be louder than this, in dBFS (0 = full scale); raise it "
        "(toward -10) in a noisy gallery", range=(-80, 0))
    onset_rise_db: float = setting(
        12.0, "and this many dB louder than the recent background level", range=(3, 40))
    onset_min_gap_s: float = setting(0.15, "shortest time between two onsets, seconds",
                                     range=(0.02, 2))
    level_smoothing_s: float = setting(0.25, "time constant of the smoothed mic level, seconds",
                                       range=(0.01, 5))

    def check(self) -> list[tuple[str, str]]:
        problems = []
        for i, span in enumerate(self.quiet_hours):
            try:
                parse_quiet_hours(span)
            except ValueError as err:
                problems.append((f"quiet_hours[{i}]", str(err)))
        try:
            parse_note(self.root_note)
        except ValueError as err:
            problems.append(("root_note", str(err)))
        if self.retry_max_s < self.retry_min_s:
            problems.append(("retry_max_s", f"must be >= retry_min_s ({self.retry_min_s})"))
        return problems


def quiet_now(spans: tuple[str, ...], now: dt.datetime) -> bool:
    """Whether local time ``now`` falls in any ``"HH:MM-HH:MM"`` span (end exclusive)."""
    minute = now.hour * 60 + now.minute
    for spec in spans:
        try:
            start, end = parse_quiet_hours(spec)
        except ValueError:
            continue
        if start <= end and start <= minute < end:
            return True
        if start > end and (minute >= start or minute < end):
            return True
    return False
