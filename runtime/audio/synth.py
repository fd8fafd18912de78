"""The additive synthesizer shared by the live engine and offline previews.

A :class:`Synth` holds up to ``max_voices`` voices of :data:`PARTIALS` sine partials each, all
in preallocated numpy arrays, and renders fixed blocks of ``block_frames`` frames in place:

* a voice = ``PARTIALS`` rows (frequency ratio, amplitude, extra decay per partial) and an
  envelope (linear attack, exponential decay to a sustain level, hold, exponential release);
  envelopes are evaluated at each block's start and end and interpolated linearly in between;
* the mix is a 4×R by R×N matrix product of per-row gains and the rows' sines;
* a master gain glides to its target (no zipper noise when the volume changes);
* a one-block look-ahead peak limiter keeps every output sample within :data:`CEILING`
  (−1 dBFS) however many voices sound: its gain is interpolated linearly across a block and is
  never above ``CEILING / peak`` of the block it scales, so the output cannot clip.

Real-time rules: :meth:`Synth.render` and :meth:`Synth.apply` never allocate arrays (every numpy
call writes into preallocated buffers with ``out=``), never block and never raise for any
command produced by :mod:`runtime.audio.voicing`. Active voices are kept compacted in slots
``0..n_voices-1`` so the cost follows the number of sounding voices. When every slot is busy a
new voice takes the slot of the quietest sounding one.

Commands are plain tuples (see ``CMD_*``) so the main thread can build them cheaply.
"""

from __future__ import annotations

import math

import numpy as np

PARTIALS = 4
CEILING = 0.891  # −1 dBFS: the limiter's output never exceeds this
VOICE_GAIN = 0.22  # one full-velocity voice peaks near −13 dBFS: four notes fit unlimited
LIMITER_RELEASE_DB_PER_S = 20.0
VOLUME_GLIDE_S = 0.05  # time constant of master-volume changes
_SILENT = 1e-4  # −80 dB relative to a voice's peak: the voice is over

# name → (frequency ratios, amplitudes, extra decay of each partial in 1/s)
TIMBRES: dict[str, tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]] = {
    "sine": ((1, 2, 3, 4), (1, 0, 0, 0), (0, 0, 0, 0)),
    "soft": ((1, 2, 3, 4), (1, 0.3, 0.12, 0.05), (0, 1.0, 2.0, 3.0)),
    "bell": ((1, 2.756, 5.404, 8.933), (1, 0.45, 0.25, 0.12), (0, 1.5, 3.0, 5.0)),
    "glass": ((1, 2.32, 4.25, 6.63), (1, 0.4, 0.2, 0.1), (0.3, 2.0, 4.0, 6.0)),
    "pulse": ((1, 2, 3, 4), (1, 0.25, 0.06, 0), (0, 4.0, 8.0, 0)),
}
TIMBRE_INDEX = {name: i for i, name in enumerate(TIMBRES)}

# Command tuples (built by runtime.audio.voicing, consumed by Synth.apply):
#   (CMD_VOICE, freq_hz, amp, attack_s, decay_s, sustain, hold_s, release_s, pan, timbre_idx,
#    delay_s)
#   (CMD_VOLUME, gain, glide_s)
#   (CMD_FADE, seconds)          release every voice over about ``seconds``
#   (CMD_SILENCE,)               stop everything now (restart, tests)
CMD_VOICE, CMD_VOLUME, CMD_FADE, CMD_SILENCE = 0, 1, 2, 3


class Synth:
    """Additive synth rendering ``(block_frames, channels)`` float32 blocks.

    Args:
        sample_rate_hz: output rate.
        block_frames: frames per :meth:`render` call (fixed; the limiter looks one block ahead).
        max_voices: voices that can sound at once.
    """

    def __init__(self, sample_rate_hz: int = 48000, block_frames: int = 256,
                 max_voices: int = 32) -> None:
        self.sample_rate_hz = int(sample_rate_hz)
        self.block_frames = int(block_frames)
        self.max_voices = int(max_voices)
        p = self.max_voices * PARTIALS
        n = self.block_frames
        self._tables = np.array([[*r, *a, *d] for r, a, d in TIMBRES.values()], dtype=np.float64)
        # per-row state (a row is one partial of one voice)
        self._phase = np.zeros(p)
        self._inc = np.zeros(p)  # radians per frame
        self._amp = np.zeros((2, p))  # (2, p) like the envelope parameters below
        self._age = np.zeros(p)  # seconds since the voice started (negative: starts later)
        # Envelope parameters are stored twice, (2, p), matching the (block start, block end)
        # ages they are combined with: equal shapes keep numpy from allocating broadcast
        # iterators on the audio thread.
        self._pdecay = np.zeros((2, p))  # 1/s
        self._attack = np.ones((2, p))
        self._decay = np.ones((2, p))  # time constant, s
        self._sustain = np.zeros((2, p))
        self._one_minus_sustain = np.ones((2, p))
        self._hold = np.full((2, p), np.inf)  # age at which the release starts
        self._release = np.ones((2, p))  # time constant, s
        self._gl = np.zeros(p)
        self._gr = np.zeros(p)
        self._vlevel = np.zeros(self.max_voices)  # each voice's envelope at the last block end
        self._vdone = np.zeros(self.max_voices, dtype=bool)
        # scratch, all preallocated
        self._ages = np.zeros((2, p))
        self._clipped = np.zeros((2, p))
        self._tmp = np.zeros((2, p))
        self._env = np.zeros((2, p))
        self._flag = np.zeros(p, dtype=bool)
        self._flag2 = np.zeros(p, dtype=bool)
        self._w64 = np.zeros((4, p))
        self._w = np.zeros((4, p), dtype=np.float32)
        self._sin = np.zeros((p, n), dtype=np.float32)
        # Row sines come from one small matrix product, [inc, phase] @ [ramp; 1]: a broadcast
        # outer product would make numpy allocate iteration buffers on every block.
        self._coef = np.zeros((p, 2), dtype=np.float32)
        self._basis = np.stack([np.arange(n), np.ones(n)]).astype(np.float32)
        self._ramp = np.arange(n, dtype=np.float32)
        self._ramp01 = self._ramp / n
        self._mix = np.zeros((4, n), dtype=np.float32)
        self._cur = np.zeros((2, n), dtype=np.float32)  # this block, before the limiter
        self._prev = np.zeros((2, n), dtype=np.float32)  # last block: the limiter's look-ahead
        self._gain_ramp = np.zeros(n, dtype=np.float32)
        self._abs = np.zeros((2, n), dtype=np.float32)
        self.n_voices = 0
        self.volume = 1.0  # current master gain (glides to volume_target)
        self.volume_target = 1.0
        self._volume_tau = VOLUME_GLIDE_S
        self._lim_gain = 1.0
        self._peak_prev = 0.0
        self.limiter_gain_min = 1.0  # lowest limiter gain since reset_stats (1 = never engaged)
        self.voices_stolen = 0
        self.peak_out = 0.0  # highest |sample| written since reset_stats

    # --- commands --------------------------------------------------------------------------
    def apply(self, cmd: tuple) -> None:
        """Apply one command tuple (``CMD_*``); unknown commands are ignored."""
        kind = cmd[0]
        if kind == CMD_VOICE:
            self._start_voice(*cmd[1:])
        elif kind == CMD_VOLUME:
            self.volume_target = min(1.0, max(0.0, float(cmd[1])))
            self._volume_tau = max(1e-3, float(cmd[2]))
        elif kind == CMD_FADE:
            self._fade(float(cmd[1]))
        elif kind == CMD_SILENCE:
            self.n_voices = 0
            self._prev.fill(0.0)
            self._peak_prev = 0.0

    def _start_voice(self, freq: float, amp: float, attack: float, decay: float, sustain: float,
                     hold: float, release: float, pan: float, timbre: int, delay: float) -> None:
        if self.n_voices < self.max_voices:
            v = self.n_voices
            self.n_voices += 1
        else:  # steal the quietest voice; a click in a near-silent tail is the least bad
            v = int(np.argmin(self._vlevel))
            self.voices_stolen += 1
        rows = slice(v * PARTIALS, (v + 1) * PARTIALS)
        t = self._tables[timbre]
        ratios, amps, decays = t[:PARTIALS], t[PARTIALS:2 * PARTIALS], t[2 * PARTIALS:]
        nyquist_guard = 0.45 * self.sample_rate_hz
        two_pi_over_sr = 2.0 * math.pi / self.sample_rate_hz
        angle = (min(1.0, max(-1.0, pan)) + 1.0) * math.pi / 4  # equal-power pan
        for k in range(PARTIALS):
            r = v * PARTIALS + k
            f = freq * ratios[k]
            self._inc[r] = f * two_pi_over_sr
            self._amp[:, r] = amp * VOICE_GAIN * amps[k] if f < nyquist_guard else 0.0
            self._pdecay[:, r] = decays[k]
        self._phase[rows] = 0.0
        self._age[rows] = -max(0.0, delay)
        self._attack[:, rows] = max(1e-3, attack)
        self._decay[:, rows] = max(1e-3, decay)
        self._sustain[:, rows] = sustain
        self._one_minus_sustain[:, rows] = 1.0 - sustain
        self._hold[:, rows] = hold if hold > 0 else np.inf
        self._release[:, rows] = max(1e-3, release)
        self._gl[rows] = math.cos(angle)
        self._gr[rows] = math.sin(angle)
        self._vlevel[v] = 1.0

    def _fade(self, seconds: float) -> None:
        r = self.n_voices * PARTIALS
        if r == 0:
            return
        age, hold = self._age[:r], self._hold[:, :r]
        # Release from now, reaching −60 dB after ``seconds``; voices not started yet never do.
        np.minimum(hold, np.maximum(age, 0.0, out=self._tmp[0, :r]), out=hold)
        self._release[:, :r] = max(1e-3, seconds) / math.log(1000.0)
        np.less(age, 0.0, out=self._flag[:r])
        np.copyto(self._amp[:, :r], 0.0, where=self._flag[:r])

    # --- rendering -------------------------------------------------------------------------
    def render(self, out: np.ndarray) -> None:
        """Render the next block into ``out``: ``(block_frames, channels)`` float32, 1 or 2
        channels (mono gets the mean of left and right)."""
        n = self.block_frames
        dt = n / self.sample_rate_hz
        cur = self._cur
        r = self.n_voices * PARTIALS
        if r:
            self._voices_block(r, n, dt)
        else:
            cur.fill(0.0)
        # master volume: one-pole glide, linear within the block
        g0 = self.volume
        g1 = self.volume_target + (g0 - self.volume_target) * math.exp(-dt / self._volume_tau)
        self.volume = g1
        if g0 != 1.0 or g1 != 1.0:
            np.multiply(self._ramp01, g1 - g0, out=self._gain_ramp)
            self._gain_ramp += g0
            cur[0] *= self._gain_ramp
            cur[1] *= self._gain_ramp
        self._limit(out, dt)

    def _voices_block(self, r: int, n: int, dt: float) -> None:
        ages, cl, tmp, env = self._ages[:, :r], self._clipped[:, :r], self._tmp[:, :r], \
            self._env[:, :r]
        age, hold = self._age[:r], self._hold[:, :r]
        ages[0] = age
        np.add(age, dt, out=ages[1])
        # attack × decay, on the age clipped to [0, hold] (the shape freezes during the release)
        np.maximum(ages, 0.0, out=cl)
        np.minimum(cl, hold, out=cl)
        np.divide(cl, self._attack[:, :r], out=env)
        np.minimum(env, 1.0, out=env)
        np.subtract(cl, self._attack[:, :r], out=tmp)
        np.maximum(tmp, 0.0, out=tmp)
        np.divide(tmp, self._decay[:, :r], out=tmp)
        np.negative(tmp, out=tmp)
        np.exp(tmp, out=tmp)
        np.multiply(tmp, self._one_minus_sustain[:, :r], out=tmp)
        np.add(tmp, self._sustain[:, :r], out=tmp)
        env *= tmp
        # release after hold, and each partial's own extra decay
        np.subtract(ages, hold, out=tmp)
        np.maximum(tmp, 0.0, out=tmp)
        np.divide(tmp, self._release[:, :r], out=tmp)
        np.maximum(ages, 0.0, out=cl)
        np.multiply(cl, self._pdecay[:, :r], out=cl)
        tmp += cl
        np.negative(tmp, out=tmp)
        np.exp(tmp, out=tmp)
        env *= tmp
        # per-voice level (for stealing and ending voices), before partial amplitudes
        v = r // PARTIALS
        np.max(env[1].reshape(v, PARTIALS), axis=1, out=self._vlevel[:v])
        env *= self._amp[:, :r]
        # row gains: [left start, left slope, right start, right slope] × (linear in the block)
        w64 = self._w64[:, :r]
        np.multiply(env[0], self._gl[:r], out=w64[0])
        np.subtract(env[1], env[0], out=tmp[0])
        np.multiply(tmp[0], self._gl[:r], out=w64[1])
        np.multiply(env[0], self._gr[:r], out=w64[2])
        np.multiply(tmp[0], self._gr[:r], out=w64[3])
        w = self._w[:, :r]
        np.copyto(w, w64, casting="same_kind")
        # the partials' sines for this block
        s = self._sin[:r]
        coef = self._coef[:r]
        coef[:, 0] = self._inc[:r]
        coef[:, 1] = self._phase[:r]
        np.matmul(coef, self._basis, out=s)
        np.sin(s, out=s)
        np.matmul(w, s, out=self._mix)
        mix, cur = self._mix, self._cur
        np.multiply(mix[1], self._ramp01, out=cur[0])
        cur[0] += mix[0]
        np.multiply(mix[3], self._ramp01, out=cur[1])
        cur[1] += mix[2]
        # advance
        np.multiply(self._inc[:r], n, out=tmp[0])
        self._phase[:r] += tmp[0]
        np.remainder(self._phase[:r], 2.0 * math.pi, out=self._phase[:r])
        age += dt
        # end voices that fell below −80 dB after their attack
        done = self._vdone[:v]
        np.less(self._vlevel[:v], _SILENT, out=done)
        if done.any():
            self._end_voices(v)

    def _end_voices(self, v: int) -> None:
        # Walk down so moving the last voice into a freed slot never skips one.
        for i in range(v - 1, -1, -1):
            row = i * PARTIALS
            if not self._vdone[i] or self._age[row] <= self._attack[0, row]:
                continue
            last = self.n_voices - 1
            if i != last:
                src, dst = slice(last * PARTIALS, self.n_voices * PARTIALS), \
                    slice(row, row + PARTIALS)
                for arr in (self._phase, self._inc, self._amp, self._pdecay, self._age,
                            self._attack, self._decay, self._sustain, self._one_minus_sustain,
                            self._hold, self._release, self._gl, self._gr):
                    arr[..., dst] = arr[..., src]
                self._vlevel[i] = self._vlevel[last]
            self.n_voices = last

    def _limit(self, out: np.ndarray, dt: float) -> None:
        """Write the previous block (one-block look-ahead) scaled by the limiter gain."""
        cur, prev = self._cur, self._prev
        np.abs(cur, out=self._abs)
        peak = float(self._abs.max())
        g0 = self._lim_gain
        g1 = min(1.0, g0 * 10.0 ** (LIMITER_RELEASE_DB_PER_S * dt / 20.0))
        if self._peak_prev * g1 > CEILING:
            g1 = CEILING / self._peak_prev
        if peak * g1 > CEILING:
            g1 = CEILING / peak
        # g0 <= CEILING / peak_prev (it was bounded by it a block ago) and so is g1: a linear
        # ramp between them keeps every sample of the previous block within the ceiling.
        np.multiply(self._ramp01, g1 - g0, out=self._gain_ramp)
        self._gain_ramp += g0
        prev[0] *= self._gain_ramp
        prev[1] *= self._gain_ramp
        self.limiter_gain_min = min(self.limiter_gain_min, g0, g1)
        self.peak_out = max(self.peak_out, self._peak_prev * max(g0, g1))
        if out.shape[1] >= 2:
            out[:, 0] = prev[0]
            out[:, 1] = prev[1]
            if out.shape[1] > 2:
                out[:, 2:] = 0.0
        else:
            np.add(prev[0], prev[1], out=out[:, 0])
            out[:, 0] *= 0.5
        self._lim_gain = g1
        self._peak_prev = peak
        self._prev, self._cur = cur, prev  # swap: this block is next call's look-ahead

    def reset_stats(self) -> None:
        self.limiter_gain_min = 1.0
        self.peak_out = 0.0
        self.voices_stolen = 0
