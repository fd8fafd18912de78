"""The live engine's failure handling in-process: no matching device → silent, one log line,
retries with backoff, every call still safe. (Playing through a device: test_audio_device.)"""

from __future__ import annotations

import dataclasses
import logging
import time

import pytest

from runtime.audio import AudioConfig, AudioEngine, create_audio
from runtime.audio.devices import portaudio


def test_a_missing_device_means_silence_one_log_line_and_retries(caplog):
    if portaudio()[0] is None:
        pytest.skip("PortAudio not available (sudo apt-get install libportaudio2)")
    cfg = dataclasses.replace(AudioConfig(), output="no such device 7f3a", retry_min_s=0.1,
                              retry_max_s=0.4)
    caplog.set_level(logging.INFO, logger="kiosk.audio")
    engine = AudioEngine(cfg)
    engine.start()
    try:
        deadline = time.monotonic() + 10
        while engine.failures < 4 and time.monotonic() < deadline:
            engine.note(3)  # the render loop keeps calling: nothing raises, nothing queues
            engine.chime("discover")
            time.sleep(0.05)
        status = engine.status()
        assert status["state"] == "retrying" and status["failures"] >= 4
        assert "no output device named like" in status["reason"]
        assert len(engine._queue) == 0  # commands are dropped while silent, not hoarded
        assert engine.onsets() == [] and engine.level == 0.0
    finally:
        t0 = time.monotonic()
        engine.close()
        assert time.monotonic() - t0 < 2.0
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "running silent" in warnings[0].getMessage()
    assert engine.state == "closed"


def test_disabled_sound_is_the_silent_null_object():
    audio = create_audio(dataclasses.replace(AudioConfig(), enabled=False))
    audio.note(1)
    assert audio.status()["state"] == "silent"
    audio.close()
