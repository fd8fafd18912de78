"""The synthesizer, scales, config and offline rendering: pure numpy, no sound card needed."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.audio import (
    AudioConfig,
    OfflineRenderer,
    SilentAudio,
    degree_to_hz,
    digit_to_degree,
    parse_note,
    read_wav,
    write_wav,
)
from runtime.audio.analysis import cents, note_onsets, notes, pitch_hz
from runtime.audio.synth import CEILING, Synth
from runtime.audio.voicing import SoundAPI
from runtime.clock import FakeTime
from runtime.settings import Problem, build

SR = 48000


class Direct(SoundAPI):
    """The exhibit API applied straight to a synth (what the audio thread does, minus PortAudio)."""

    def __init__(self, synth: Synth) -> None:
        super().__init__()
        self.synth = synth

    def _send(self, cmd: tuple) -> None:
        self.synth.apply(cmd)


def run(synth: Synth, seconds: float) -> np.ndarray:
    blocks = math.ceil(seconds * synth.sample_rate_hz / synth.block_frames)
    out = np.zeros((blocks * synth.block_frames, 2), dtype=np.float32)
    for b in range(blocks):
        synth.render(out[b * synth.block_frames:(b + 1) * synth.block_frames])
    return out


# --- scales --------------------------------------------------------------------------------
def test_degrees_follow_the_pentatonic_scale_from_c4():
    assert degree_to_hz(0) == pytest.approx(261.6256, abs=1e-3)
    assert degree_to_hz(5) == pytest.approx(523.2511, abs=1e-3)  # one octave up
    assert degree_to_hz(3) == pytest.approx(391.9954, abs=1e-3)  # G4
    assert degree_to_hz(-1) == pytest.approx(220.0, abs=1e-3)  # A3, below the root
    assert degree_to_hz(0, "major", "A4") == pytest.approx(440.0)


def test_digits_map_to_ten_rising_degrees():
    hz = [degree_to_hz(digit_to_degree(d)) for d in range(10)]
    assert hz == sorted(hz) and len(set(hz)) == 10
    with pytest.raises(ValueError):
        digit_to_degree(10)


@pytest.mark.parametrize("name,midi", [("C4", 60), ("A4", 69), ("F#3", 54), ("Bb2", 46)])
def test_note_names(name, midi):
    assert parse_note(name) == midi


# --- config --------------------------------------------------------------------------------
def test_config_defaults_validate():
    problems: list[Problem] = []
    cfg = build(AudioConfig, {}, "audio", problems)
    assert problems == [] and cfg.block_frames <= 512 and cfg.sample_rate_hz == 48000
    assert cfg.mic_enabled is False


def test_config_errors_name_the_key():
    problems: list[Problem] = []
    build(AudioConfig, {"quiet_hours": ["22:00-7:00"], "root_note": "H2", "block_frames": 1024,
                        "retry_min_s": 10.0, "retry_max_s": 5.0}, "audio", problems)
    paths = {p.path for p in problems}
    assert "audio.block_frames" in paths  # checked first: cross-field rules wait for it
    problems = []
    build(AudioConfig, {"quiet_hours": ["22:00-7:00"], "root_note": "H2",
                        "retry_min_s": 10.0, "retry_max_s": 5.0}, "audio", problems)
    assert {p.path for p in problems} == {"audio.quiet_hours[0]", "audio.root_note",
                                          "audio.retry_max_s"}


def test_quiet_hours_cross_midnight():
    import datetime as dt

    from runtime.audio.engine import quiet_now

    spans = ("22:00-07:30",)
    assert quiet_now(spans, dt.datetime(2024, 1, 1, 23, 0))
    assert quiet_now(spans, dt.datetime(2024, 1, 1, 7, 29))
    assert not quiet_now(spans, dt.datetime(2024, 1, 1, 7, 30))
    assert not quiet_now(spans, dt.datetime(2024, 1, 1, 12, 0))


# --- synth ---------------------------------------------------------------------------------
def test_a_note_has_its_pitch_and_ends_in_silence():
    synth = Synth(SR, 256, 32)
    Direct(synth).note(4, 0.8, 0.3, timbre="sine")
    x = run(synth, 2.0).mean(axis=1)
    assert abs(cents(pitch_hz(x[2400:12000], SR), degree_to_hz(4))) < 1.0
    assert synth.n_voices == 0  # released and ended
    assert not x[-SR // 4:].any()  # exact digital silence after the release


def test_many_loud_voices_never_clip():
    synth = Synth(SR, 256, 32)
    api = Direct(synth)
    for i in range(40):  # more than the voices: the quietest are reused
        api.note(i % 10, 1.0, 2.0)
        api.chime("celebrate")
    x = run(synth, 1.0)
    assert np.abs(x).max() <= CEILING + 1e-6
    assert synth.limiter_gain_min < 0.5  # the limiter did the work
    assert synth.n_voices == 32 and synth.voices_stolen > 0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(-10, 20), st.floats(0, 1), st.floats(0.01, 1)),
                min_size=1, max_size=48),
       st.floats(0, 1))
def test_any_notes_any_volume_stay_below_the_ceiling(notes_, volume):
    synth = Synth(SR, 128, 32)
    api = Direct(synth)
    api.set_volume(volume, 0.01)
    for degree, velocity, duration in notes_:
        api.note(degree, velocity, duration)
    x = run(synth, 0.15)
    assert np.isfinite(x).all() and np.abs(x).max() <= CEILING + 1e-6


def test_fade_all_silences_every_voice():
    synth = Synth(SR, 256, 32)
    api = Direct(synth)
    api.chord([0, 2, 4], 1.0, 10.0)
    run(synth, 0.2)
    api.fade_all(0.2)
    x = run(synth, 1.0)
    assert synth.n_voices == 0 and not x[-SR // 4:].any()


def test_volume_changes_glide_without_clicks():
    synth = Synth(SR, 256, 32)
    api = Direct(synth)
    api.note(0, 1.0, 5.0, timbre="sine")
    run(synth, 0.3)
    api.set_volume(0.1, 0.05)
    x = run(synth, 0.3)[:, 0]
    # a sine at 262 Hz changes by at most 2π·f/sr·amp per sample; a gain jump would exceed it
    assert np.abs(np.diff(x)).max() <= 2 * math.pi * 262 / SR * np.abs(x).max() * 1.5


def test_render_allocates_no_block_buffers():
    synth = Synth(SR, 256, 32)
    api = Direct(synth)
    for i in range(32):
        api.note(i % 10, 0.9, 100.0)
    out = np.zeros((256, 2), dtype=np.float32)
    for _ in range(5):
        synth.render(out)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for _ in range(50):
            synth.render(out)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One (128 partials × 256 frames) float32 sine block is 128 KiB and even the output block
    # is 2 KiB × 2; what remains (< 16 KiB) is numpy's reduction bookkeeping and Python floats.
    assert peak - base < 16 * 1024
    assert current - base < 4 * 1024


def test_bad_calls_are_ignored_not_raised(caplog):
    api = Direct(Synth(SR, 256, 8))
    api.note("x")  # type: ignore[arg-type]
    api.chime("no such chime")
    api.chime("no such chime")
    api.note(0, float("nan"), -1.0)
    api.chord([])
    assert sum("unknown chime" in r.message for r in caplog.records) == 1


def test_silent_audio_has_the_same_api():
    audio = SilentAudio()
    audio.note(3)
    audio.chord([0, 2])
    audio.chime("discover")
    audio.pulse()
    audio.set_volume(0.5)
    audio.fade_all(1.0)
    assert audio.onsets() == [] and audio.level == 0.0 and audio.level_db == -math.inf
    assert audio.status()["state"] == "silent"
    for name in ("note", "chord", "chime", "pulse", "set_volume", "fade_all", "onsets",
                 "status", "start", "close"):
        assert callable(getattr(audio, name))


# --- offline rendering ---------------------------------------------------------------------
def test_offline_render_places_notes_on_the_kiosk_clock(tmp_path):
    clock = FakeTime(100.0)
    audio = OfflineRenderer(AudioConfig(), time_fn=clock)
    digits = [3, 1, 4, 1, 5]
    for d in digits:
        audio.note(digit_to_degree(d), 0.8, 0.15, timbre="sine")
        clock.advance(0.4)
    path = audio.render_wav(tmp_path / "numbers.wav", 2.5)
    x, sr = read_wav(path)
    assert sr == SR and x.shape == (int(2.5 * SR), 2)
    found = notes(x.mean(axis=1), SR)
    assert [round(t, 2) for t, _ in found] == pytest.approx([0.0, 0.4, 0.8, 1.2, 1.6], abs=0.011)
    for (_, hz), d in zip(found, digits, strict=True):
        assert abs(cents(hz, degree_to_hz(digit_to_degree(d)))) < 2.0


def test_write_wav_round_trip(tmp_path):
    t = np.arange(SR // 10) / SR
    x = 0.5 * np.sin(2 * np.pi * 440 * t)
    y, sr = read_wav(write_wav(tmp_path / "a.wav", x, SR))
    assert sr == SR and np.abs(y[:, 0] - x).max() < 1e-4


def test_onset_finder_on_a_synthetic_signal():
    x = np.zeros(SR)
    x[12000:12480] = 0.3 * np.sin(np.arange(480))
    assert note_onsets(x, SR) == pytest.approx([0.25], abs=0.006)


def test_mux_wav_into_mp4(tmp_path):
    av = pytest.importorskip("av", reason="PyAV (pip package `av`) muxes the preview's sound")
    import cv2

    from runtime.audio import mux_audio

    video = tmp_path / "v.mp4"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30, (64, 48))
    for i in range(30):
        w.write(np.full((48, 64, 3), i * 8, dtype=np.uint8))
    w.release()
    clock = FakeTime(0.0)
    audio = OfflineRenderer(AudioConfig(), time_fn=clock)
    audio.chime("discover")
    wav = audio.render_wav(tmp_path / "v.wav", 1.0)
    mux_audio(video, wav)
    with av.open(str(video)) as c:
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 1
        assert c.streams.audio[0].rate == SR
        assert sum(1 for _ in c.decode(video=0)) == 30
