"""Measuring recorded sound: where notes start, their pitch, loudness. For tests and benches
that check what the engine really played (through ALSA's file plugin or offline renders).

All functions take mono float arrays ``(frames,)`` at ``sample_rate_hz`` and return plain
Python values; none of them runs on the audio thread.
"""

from __future__ import annotations

import math

import numpy as np

WINDOW_S = 0.005  # envelope resolution


def envelope_db(x: np.ndarray, sample_rate_hz: int, window_s: float = WINDOW_S) -> np.ndarray:
    """RMS level per window of ``window_s`` seconds, in dBFS: ``(frames // window,)``."""
    w = max(1, int(window_s * sample_rate_hz))
    n = len(x) // w
    if n == 0:
        return np.zeros(0)
    ms = np.mean(np.square(x[:n * w].reshape(n, w), dtype=np.float64), axis=1)
    return 10.0 * np.log10(np.maximum(ms, 1e-20))


def note_onsets(x: np.ndarray, sample_rate_hz: int, *, rise_db: float = 9.0,
                floor_db: float = -50.0, min_gap_s: float = 0.1) -> list[float]:
    """Times (s) where the level jumps by ``rise_db`` within 15 ms to above ``floor_db``."""
    lag = 3  # windows: 15 ms
    # silence before the recording, so a note at time 0 is found too
    env = np.concatenate([np.full(lag, -200.0), envelope_db(x, sample_rate_hz)])
    onsets: list[float] = []
    last = -math.inf
    for i in range(lag, len(env)):
        if env[i] > floor_db and env[i] - env[i - lag] >= rise_db:
            t = (i - 2 * lag) * WINDOW_S
            if t - last >= min_gap_s:
                # the start is the first window of the rise that is clearly above the past
                j = i - lag
                while j < i and env[j + 1] - env[i - lag] < 3.0:
                    j += 1
                onsets.append(max(0.0, (j - lag) * WINDOW_S))
                last = t
    return onsets


def pitch_hz(x: np.ndarray, sample_rate_hz: int, *, fmin: float = 50.0,
             fmax: float = 5000.0) -> float:
    """Frequency (Hz) of the strongest spectral peak of ``x``: Hann window, 16× zero padding
    and parabolic interpolation on the log magnitude (error well under a cent for a steady
    tone of 0.1 s or more)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    nfft = 1 << int(math.ceil(math.log2(n * 16)))
    spec = np.abs(np.fft.rfft(x * np.hanning(n), nfft))
    freqs = np.fft.rfftfreq(nfft, 1.0 / sample_rate_hz)
    band = (freqs >= fmin) & (freqs <= fmax)
    k = int(np.argmax(np.where(band, spec, 0.0)))
    if 0 < k < len(spec) - 1:
        a, b, c = np.log(spec[k - 1:k + 2] + 1e-30)
        shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    else:
        shift = 0.0
    return float((k + shift) * sample_rate_hz / nfft)


def cents(f: float, ref: float) -> float:
    """Pitch difference in cents (100 per semitone) of ``f`` relative to ``ref``."""
    return 1200.0 * math.log2(f / ref)


def notes(x: np.ndarray, sample_rate_hz: int, *, skip_s: float = 0.02,
          length_s: float = 0.12) -> list[tuple[float, float]]:
    """``[(onset_s, pitch_hz), …]``: each onset's pitch measured over ``length_s`` seconds
    starting ``skip_s`` after it (past the attack)."""
    out = []
    for t in note_onsets(x, sample_rate_hz):
        a = int((t + skip_s) * sample_rate_hz)
        b = a + int(length_s * sample_rate_hz)
        if b <= len(x):
            out.append((t, pitch_hz(x[a:b], sample_rate_hz)))
    return out
