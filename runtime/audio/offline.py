"""Offline sound for previews: the same synth, driven by commands stamped on the kiosk clock.

``kiosk.py render`` runs exhibits on a fake clock; an :class:`OfflineRenderer` given as
``ctx.audio`` records every call with the clock's time, and :meth:`OfflineRenderer.render_wav`
then plays those commands through :class:`~runtime.audio.synth.Synth` block by block (voice
starts placed to the sample within their block), so curators hear exactly what the kiosk would
play. Quiet hours do not apply to previews. :func:`mux_audio` puts the WAV into the MP4 with
PyAV (``av``, bundled FFmpeg; no network, no ffmpeg binary needed); without PyAV the WAV stays
beside the video and the function says so.

Failure modes: :func:`write_wav` / :func:`mux_audio` raise ``OSError`` when a file cannot be
written; :func:`mux_audio` raises ``RuntimeError`` when PyAV is missing or cannot mux.
"""

from __future__ import annotations

import os
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from runtime.audio.settings import AudioConfig
from runtime.audio.synth import CMD_VOICE, Synth
from runtime.audio.voicing import SoundAPI


class OfflineRenderer(SoundAPI):
    """The exhibit API, recording ``(time, command)`` pairs for :meth:`render`.

    Args:
        config: ``[audio]`` settings (rate, block size, voices, scale, master volume).
        time_fn: the clock the exhibits run on (the render's fake clock); time 0 of the audio
            is its value when the renderer is created (or ``start_s``).
    """

    def __init__(self, config: AudioConfig | None = None, *,
                 time_fn: Callable[[], float], start_s: float | None = None) -> None:
        config = config or AudioConfig()
        super().__init__(config.scale, config.root_note)
        self.config = config
        self.time_fn = time_fn
        self.start_s = time_fn() if start_s is None else float(start_s)
        self.commands: list[tuple[float, tuple]] = []
        self.state = "offline"
        self.device_name = "offline"
        self.underflows = self.restarts = self.failures = 0

    def _send(self, cmd: tuple) -> None:
        self.commands.append((float(self.time_fn()), cmd))

    def _gain(self) -> float:
        return self.config.master_volume * self.exhibit_volume

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "device": "offline", "commands": len(self.commands),
                "underflows": 0, "restarts": 0, "failures": 0, "mic": {"state": "off"}}

    def render(self, duration_s: float) -> np.ndarray:
        """Render ``duration_s`` seconds from ``start_s``: ``(frames, channels)`` float32."""
        cfg = self.config
        sr, n = cfg.sample_rate_hz, cfg.block_frames
        total = max(0, round(duration_s * sr))
        synth = Synth(sr, n, cfg.voices)
        synth.volume = synth.volume_target = cfg.master_volume
        cmds = sorted(self.commands, key=lambda tc: tc[0])  # stable: same-time order kept
        # one block more than asked: the limiter's look-ahead delays the output by a block
        blocks = -(-total // n) + 1
        out = np.zeros((blocks * n, cfg.channels), dtype=np.float32)
        i = 0
        for b in range(blocks):
            t_block = self.start_s + b * n / sr
            t_end = t_block + n / sr
            while i < len(cmds) and cmds[i][0] < t_end:
                t, cmd = cmds[i]
                i += 1
                if cmd[0] == CMD_VOICE:  # place the start inside the block
                    cmd = (*cmd[:-1], cmd[-1] + max(0.0, t - t_block))
                synth.apply(cmd)
            synth.render(out[b * n:(b + 1) * n])
        return out[n:n + total]

    def render_wav(self, path: str | Path, duration_s: float) -> Path:
        """Render and write a 16-bit WAV; returns its path."""
        return write_wav(path, self.render(duration_s), self.config.sample_rate_hz)


def write_wav(path: str | Path, samples: np.ndarray, sample_rate_hz: int) -> Path:
    """Write ``samples`` (``(frames,)`` or ``(frames, channels)`` float, ±1 full scale) as a
    16-bit PCM WAV with the standard library's :mod:`wave`."""
    path = Path(path)
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate_hz))
        w.writeframes(pcm.tobytes())
    return path


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV → ``((frames, channels) float32 in ±1, sample rate)``."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit WAV is supported")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return (data.reshape(-1, w.getnchannels()).astype(np.float32) / 32768.0,
                w.getframerate())


def mux_audio(video: str | Path, wav: str | Path, out: str | Path | None = None) -> Path:
    """Copy ``video``'s frames and ``wav`` (encoded to AAC) into ``out`` (default: replace
    ``video``). Uses PyAV; raises ``RuntimeError`` if it is missing or fails."""
    try:
        import av
    except ImportError as err:
        raise RuntimeError("PyAV (pip package `av`) is not installed; the WAV stays beside "
                           "the video") from err
    video, wav = Path(video), Path(wav)
    out = Path(out) if out is not None else video
    tmp = out.with_name(out.stem + ".muxing" + out.suffix)
    try:
        with av.open(str(video)) as vin, av.open(str(wav)) as ain, \
                av.open(str(tmp), "w") as dst:
            vs = vin.streams.video[0]
            ovs = dst.add_stream_from_template(vs)
            asrc = ain.streams.audio[0]
            # A WAV's layout reads "2 channels" (no speaker order); AAC needs a named one.
            layout = "stereo" if asrc.channels >= 2 else "mono"
            oas = dst.add_stream("aac", rate=asrc.rate, layout=layout)
            for packet in vin.demux(vs):
                if packet.dts is None:
                    continue
                packet.stream = ovs
                dst.mux(packet)
            # AAC wants planar float; the resampler also re-chunks to the encoder's frame size
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=asrc.rate)
            for frame in ain.decode(asrc):
                for chunk in resampler.resample(frame):
                    for packet in oas.encode(chunk):
                        dst.mux(packet)
            for chunk in resampler.resample(None):
                for packet in oas.encode(chunk):
                    dst.mux(packet)
            for packet in oas.encode(None):
                dst.mux(packet)
        os.replace(tmp, out)
    except Exception as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise
        raise RuntimeError(f"cannot mux {wav.name} into {video.name}: {err}") from err
    return out
