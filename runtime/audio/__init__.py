"""Sound for the kiosk: a generative synth exhibits play, a microphone that listens, and
recovery from lost devices (PortAudio through ``sounddevice``).

Exhibits only see the small API of :class:`~runtime.audio.voicing.SoundAPI` through
``ctx.audio``: ``note``, ``chord``, ``chime``, ``pulse``, ``set_volume``, ``fade_all``, ``level``,
``level_db``, ``onsets()``. Three implementations share it:

* :class:`AudioEngine`: live output (and microphone), see :mod:`runtime.audio.engine`;
* :class:`SilentAudio`: sound disabled; every call does nothing (:mod:`runtime.audio.silent`);
* :class:`OfflineRenderer`: records calls on a fake clock and renders a WAV for previews.

Importing this package does not load PortAudio (that happens in the engine's thread), so
config checking and rendering work on a machine without ``libportaudio2``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from runtime.audio.engine import AudioEngine
from runtime.audio.offline import OfflineRenderer, mux_audio, read_wav, write_wav
from runtime.audio.scales import SCALES, degree_to_hz, digit_to_degree, parse_note
from runtime.audio.settings import AudioConfig
from runtime.audio.silent import SilentAudio
from runtime.audio.voicing import CHIMES, Onset, SoundAPI

__all__ = ["CHIMES", "SCALES", "AudioConfig", "AudioEngine", "OfflineRenderer", "Onset",
           "SilentAudio", "SoundAPI", "create_audio", "degree_to_hz", "digit_to_degree",
           "mux_audio", "parse_note", "read_wav", "write_wav"]


def create_audio(config: AudioConfig, *,
                 time_fn: Callable[[], float] = time.perf_counter) -> AudioEngine | SilentAudio:
    """The kiosk's ``ctx.audio``: a started :class:`AudioEngine`, or :class:`SilentAudio` when
    ``[audio] enabled = false``. Returns at once (the device opens in the background) and
    never raises; call ``.close()`` at shutdown."""
    if not config.enabled:
        return SilentAudio(scale=config.scale, root_note=config.root_note)
    engine = AudioEngine(config, time_fn=time_fn)
    engine.start()
    return engine
