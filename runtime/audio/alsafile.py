"""A real PortAudio sound card without hardware: ALSA's ``file`` plugin, for tests and benches.

:func:`write_alsa_config` writes an ``asound.conf`` whose ``default`` PCM is

* playback: ``plug`` (fixes float32, the rate and channels) → ``file`` → ``null``, the file
  piped through :mod:`runtime.audio.pacer` so the stream runs in real time and underflows are
  counted (the raw samples land in ``out_path``: float32 little-endian, interleaved);
* capture: ``plug`` (float32, mono) → ``file`` with ``infile`` = ``in_path`` (raw float32 mono;
  see :func:`write_raw`). ALSA reads the infile as fast as it is asked, so capture runs faster
  than real time; when the file ends ALSA repeats its last 2048 frames, so end it with silence.

Point ``ALSA_CONFIG_PATH`` at the file **before** PortAudio initialises (before importing
``sounddevice``; a subprocess is the robust way). Then ``[audio] output = "default"`` and
``mic_input = "default"`` are these pretend devices.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import numpy as np

ALSA_CONF = "/usr/share/alsa/alsa.conf"
PACER = Path(__file__).with_name("pacer.py")


def write_alsa_config(folder: str | Path, *, out_path: str | Path,
                      in_path: str | Path | None = None, stats_path: str | Path | None = None,
                      sample_rate_hz: int = 48000, channels: int = 2, paced: bool = True,
                      pipe_bytes: int = 16384) -> Path:
    """Write ``folder/asound.conf`` (see module docstring) and return its path.

    ``paced=False`` writes straight to ``out_path`` (faster than real time, no underflow
    figures). ``stats_path`` receives the pacer's JSON counters.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out_path = Path(out_path).resolve()
    if paced:
        cmd = [sys.executable, str(PACER), "--rate", str(sample_rate_hz), "--frame-bytes",
               str(4 * channels), "--out", str(out_path), "--pipe-bytes", str(pipe_bytes)]
        if stats_path is not None:
            cmd += ["--stats", str(Path(stats_path).resolve())]
        target = "|exec " + " ".join(shlex.quote(c) for c in cmd)
    else:
        target = str(out_path)
    capture = '"null"'
    extra = ""
    if in_path is not None:
        capture = '"kiosk_in"'
        extra = f"""
pcm.kiosk_in {{ type plug slave {{ pcm "kiosk_in_file" format FLOAT_LE rate {sample_rate_hz}
  channels 1 }} }}
pcm.kiosk_in_file {{ type file slave.pcm "null" file "/dev/null"
  infile {_q(str(Path(in_path).resolve()))} format "raw" }}
"""
    text = f"""<{ALSA_CONF}>
pcm.!default {{ type asym playback.pcm "kiosk_out" capture.pcm {capture} }}
pcm.kiosk_out {{ type plug slave {{ pcm "kiosk_out_file" format FLOAT_LE rate {sample_rate_hz}
  channels {channels} }} }}
pcm.kiosk_out_file {{ type file slave.pcm "null" file {_q(target)} format "raw" }}
{extra}"""
    path = folder / "asound.conf"
    path.write_text(text, encoding="utf-8")
    return path


def _q(s: str) -> str:
    """An ALSA config string literal."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_raw(path: str | Path, samples: np.ndarray) -> Path:
    """Write mono samples (±1) as the raw float32 little-endian an ``infile`` expects."""
    path = Path(path)
    np.asarray(samples, dtype="<f4").tofile(path)
    return path


def read_raw(path: str | Path, channels: int = 2) -> np.ndarray:
    """Read what the playback side captured: ``(frames, channels)`` float32."""
    data = np.fromfile(path, dtype="<f4")
    frames = len(data) // channels
    return data[:frames * channels].reshape(frames, channels)
