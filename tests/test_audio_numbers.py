"""End to end: 10 s of the real Numbers exhibit with simulated visitors, sounding through the real
audio engine into ALSA's ``file`` plugin as the sound card; the captured samples must hold the
notes of the digits that grew.

The kiosk runs in a subprocess (PortAudio reads ``ALSA_CONFIG_PATH`` once, at initialisation).
A thin recorder around the engine notes which scale degrees the exhibit asked for; the test then
finds every note in the captured audio and checks its pitch against those degrees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runtime.audio.alsafile import ALSA_CONF, read_raw, write_alsa_config
from runtime.audio.analysis import cents, notes
from runtime.audio.scales import degree_to_hz

ROOT = Path(__file__).resolve().parent.parent
SR = 48000
pytestmark = pytest.mark.slow

KIOSK = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {root!r})
    from runtime.headless import _init_pygame
    _init_pygame()
    from runtime.app import DisplayPresenter, Kiosk
    from runtime.audio import create_audio
    from runtime.config import default_config
    from runtime.sources import SimulatedVisitors
    import exhibits  # registers the shipped exhibits

    cfg = default_config().with_overrides(size=(320, 180), exhibit="numbers", windowed=True)
    engine = create_audio(cfg.audio)
    assert engine.wait_ready(15), engine.status()

    class Recorder:
        # Passes every call to the engine and remembers the notes asked for.
        def __init__(self, inner):
            self.inner, self.degrees = inner, []
        def note(self, degree, *a, **k):
            self.degrees.append(int(degree))
            return self.inner.note(degree, *a, **k)
        def __getattr__(self, name):
            return getattr(self.inner, name)

    audio = Recorder(engine)
    kiosk = Kiosk(cfg, DisplayPresenter((320, 180), fullscreen=False, vsync=False,
                                        hide_cursor=True),
                  sources=[SimulatedVisitors(3, first_arrival_s=0.0)], audio=audio)
    kiosk.start()
    end = time.perf_counter() + 10.0
    next_t = time.perf_counter()
    while time.perf_counter() < end:
        kiosk.frame()
        next_t += 1 / 60
        time.sleep(max(0.0, next_t - time.perf_counter()))
    kiosk.stop()
    time.sleep(1.5)  # let the last notes ring out
    status = engine.status()
    engine.close()
    print(json.dumps({{"degrees": audio.degrees, "failures": kiosk.failures,
                      "state": status["state"], "scale": cfg.audio.scale,
                      "root": cfg.audio.root_note}}))
""")


@pytest.fixture(scope="module", autouse=True)
def portaudio_and_alsa():
    probe = subprocess.run([sys.executable, "-c", "import sounddevice"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        pytest.skip("PortAudio not available (sudo apt-get install libportaudio2)")
    if not Path(ALSA_CONF).exists():
        pytest.skip(f"{ALSA_CONF} missing (ALSA's configuration, package libasound2-data)")


def test_ten_seconds_of_numbers_sound_the_digits_grown(tmp_path):
    conf = write_alsa_config(tmp_path, out_path=tmp_path / "out.raw",
                             stats_path=tmp_path / "pacer.json")
    env = dict(os.environ, ALSA_CONFIG_PATH=str(conf), SDL_VIDEODRIVER="dummy",
               SDL_AUDIODRIVER="dummy", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", KIOSK.format(root=str(ROOT))], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["failures"] == {} and report["state"] == "playing"
    asked = report["degrees"]
    assert len(asked) >= 3, report  # digits grew and sounded in 10 s
    expected_hz = {d: degree_to_hz(d, report["scale"], report["root"]) for d in set(asked)}

    mono = read_raw(tmp_path / "out.raw").mean(axis=1)
    heard = notes(mono, SR)
    print(f"degrees asked {asked}; notes heard {[round(hz, 1) for _, hz in heard]}")
    assert len(heard) >= max(2, len(asked) // 2), (heard, asked)
    for _, hz in heard:
        # Every note in the captured sound is one of the digits' degrees, in tune.
        assert min(abs(cents(hz, ref)) for ref in expected_hz.values()) < 15.0, (hz, asked)
    # In order: the heard notes are the digits as they grew (overlapping ones may merge).
    heard_degrees = [min(expected_hz, key=lambda d: abs(cents(hz, expected_hz[d])))
                     for _, hz in heard]
    remaining = iter(asked)
    assert all(d in remaining for d in heard_degrees), (heard_degrees, asked)
