"""Microphone analysis: a smoothed level and onset events (claps, shouts), block by block.

:class:`OnsetDetector` sees mono float32 blocks in order. Per block it measures the RMS level
(dBFS) and keeps two smoothed levels: the *display level* (time constant
``level_smoothing_s``) and a slow *background* (1 s) that ignores the blocks found to be onsets.
A block is an onset when it is louder than ``onset_threshold_db`` **and** louder than the
background by ``onset_rise_db``, at least ``onset_min_gap_s`` after the last onset; its time is
refined to the first sample above half the block's peak. So a steady loud hall does not fire
again and again, and a clap in a quiet room fires once.

Real-time rules: :meth:`OnsetDetector.process` allocates no arrays and never blocks; onsets go
to a bounded deque the main thread drains. Defaults: threshold −30 dBFS, rise 12 dB, gap 0.15 s,
smoothing 0.25 s.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np

from runtime.audio.voicing import Onset

FLOOR_DB = -100.0
LEVEL_RANGE_DB = 60.0  # level 0..1 spans −60..0 dBFS
BACKGROUND_TAU_S = 1.0


class OnsetDetector:
    """Block-wise level meter and onset detector (see module docstring).

    Args:
        sample_rate_hz / block_frames: the stream's rate and the largest block it delivers.
        threshold_db / rise_db / min_gap_s / smoothing_s: the ``[audio]`` onset settings.
        time_fn: the kiosk clock, to stamp :attr:`Onset.t`.
    """

    def __init__(self, sample_rate_hz: int = 48000, block_frames: int = 256, *,
                 threshold_db: float = -30.0, rise_db: float = 12.0, min_gap_s: float = 0.15,
                 smoothing_s: float = 0.25, time_fn: Callable[[], float] | None = None) -> None:
        self.sample_rate_hz = int(sample_rate_hz)
        self.threshold_db = float(threshold_db)
        self.rise_db = float(rise_db)
        self.min_gap_s = float(min_gap_s)
        self.smoothing_s = float(smoothing_s)
        self.time_fn = time_fn
        self.onsets: deque[Onset] = deque(maxlen=64)
        self.onsets_total = 0
        self.frames = 0  # frames seen since the stream opened
        self.level_db = FLOOR_DB
        self._power = 0.0  # smoothed mean square
        self._background = 0.0
        self._last_onset_s = -math.inf
        self._abs = np.zeros(block_frames, dtype=np.float32)
        self._above = np.zeros(block_frames, dtype=bool)

    @property
    def level(self) -> float:
        """Smoothed level mapped to 0..1 (−60 dBFS → 0, 0 dBFS → 1)."""
        return min(1.0, max(0.0, 1.0 + self.level_db / LEVEL_RANGE_DB))

    def process(self, x: np.ndarray) -> None:
        """Analyse the next block ``x``: ``(frames,)`` float32, full scale ±1."""
        n = x.shape[0]
        if n == 0:
            return
        if n > self._abs.shape[0]:  # never with a fixed block size; grow once if it happens
            self._abs = np.zeros(n, dtype=np.float32)
            self._above = np.zeros(n, dtype=bool)
        dt = n / self.sample_rate_hz
        ms = float(np.dot(x, x)) / n
        block_db = 10.0 * math.log10(ms) if ms > 1e-10 else FLOOR_DB
        a = math.exp(-dt / self.smoothing_s)
        self._power = a * self._power + (1.0 - a) * ms
        self.level_db = 10.0 * math.log10(self._power) if self._power > 1e-10 else FLOOR_DB
        bg_db = 10.0 * math.log10(self._background) if self._background > 1e-10 else FLOOR_DB
        start_s = self.frames / self.sample_rate_hz
        self.frames += n
        if (block_db > self.threshold_db and block_db > bg_db + self.rise_db
                and start_s - self._last_onset_s >= self.min_gap_s):
            ab, above = self._abs[:n], self._above[:n]
            np.abs(x, out=ab)
            peak = float(ab.max())
            np.greater_equal(ab, 0.5 * peak, out=above)
            first = int(above.argmax())
            at_s = start_s + first / self.sample_rate_hz
            if at_s - self._last_onset_s >= self.min_gap_s:
                self._last_onset_s = at_s
                now = self.time_fn() if self.time_fn is not None else at_s
                self.onsets.append(Onset(now - (n - first) / self.sample_rate_hz, at_s,
                                         block_db))
                self.onsets_total += 1
                return  # an onset does not raise the background
        b = math.exp(-dt / BACKGROUND_TAU_S)
        self._background = b * self._background + (1.0 - b) * ms

    def drain(self) -> list[Onset]:
        """Onsets since the last call, oldest first (safe against the audio thread appending)."""
        out = []
        q = self.onsets
        while q:
            try:
                out.append(q.popleft())
            except IndexError:
                break
        return out
