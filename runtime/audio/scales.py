"""Notes for exhibits: scales, scale degrees → frequencies, digits → degrees.

Exhibits speak in *scale degrees* (0 = the root, 1 = the next note of the scale, negative
degrees go down), never in Hz, so whatever visitors do stays in key. Equal temperament with
A4 = 440 Hz. Default: C-major pentatonic from C4 (261.63 Hz), where any two notes are consonant.

Failure modes: :func:`parse_note` raises ``ValueError`` for a name it cannot read (config
validation reports it with its key path); the other functions accept any integer.
"""

from __future__ import annotations

import re

# Semitone steps above the root for each degree within one octave.
SCALES: dict[str, tuple[int, ...]] = {
    "pentatonic": (0, 2, 4, 7, 9),          # major pentatonic: no semitone clashes
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "whole_tone": (0, 2, 4, 6, 8, 10),
}

_NOTE = re.compile(r"^([A-Ga-g])([#b]?)(-?\d)$")
_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def parse_note(name: str) -> int:
    """A note name (``"C4"``, ``"F#3"``, ``"Bb2"``) → MIDI number (C4 = 60, A4 = 69)."""
    m = _NOTE.match(name.strip())
    if not m:
        raise ValueError(f"must be a note name like C4, F#3 or Bb2, got {name!r}")
    letter, accidental, octave = m.groups()
    midi = 12 * (int(octave) + 1) + _PITCH_CLASS[letter.upper()]
    midi += {"#": 1, "b": -1, "": 0}[accidental]
    if not 12 <= midi <= 108:
        raise ValueError(f"must be between C0 and C8, got {name!r}")
    return midi


def midi_to_hz(midi: float) -> float:
    """MIDI note number → frequency in Hz (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def degree_to_midi(degree: int, scale: str = "pentatonic", root_note: str = "C4") -> int:
    """Scale degree (any integer; 0 = root) → MIDI note number."""
    steps = SCALES[scale]
    octave, index = divmod(int(degree), len(steps))
    return parse_note(root_note) + 12 * octave + steps[index]


def degree_to_hz(degree: int, scale: str = "pentatonic", root_note: str = "C4") -> float:
    """Scale degree → frequency in Hz. ``degree_to_hz(0)`` is C4 = 261.63 Hz."""
    return midi_to_hz(degree_to_midi(degree, scale, root_note))


def digit_to_degree(digit: int) -> int:
    """A digit 0..9 (of π, e, …) → the scale degree the numbers exhibit plays for it.

    Digit *d* plays degree *d*: on the pentatonic scale the ten digits span two octaves from
    the root, so 0 is the lowest note and 9 the highest, and any mix of digits stays consonant.
    Raises ``ValueError`` outside 0..9.
    """
    d = int(digit)
    if not 0 <= d <= 9:
        raise ValueError(f"a digit must be 0..9, got {digit!r}")
    return d
