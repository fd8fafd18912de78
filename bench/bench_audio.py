"""Benchmark the sound engine: ``python bench/bench_audio.py [--seconds 600] [--json OUT]``.

Two parts, both printed and optionally written as JSON:

1. **Callback work** (no device): the live engine's PortAudio callback with 32 voices sounding,
   at 256 and 512 frames per block, on this thread: median and p99 µs per block and as % of the
   block's duration (target: ≤ 20 %).
2. **A run on a real PortAudio device** without a sound card: a child process with
   ``ALSA_CONFIG_PATH`` pointing at ALSA's file plugin paced in real time
   (:mod:`runtime.audio.alsafile`, :mod:`runtime.audio.pacer`). The engine plays a workload like
   both exhibits (a digit note every ~0.4 s, a landmark chime every ~3 s, pulses, and a burst of
   32 voices every 15 s) from a worker thread while the main thread runs the real kiosk headless
   (``--kiosk all``: every exhibit in rotation with simulated visitors, as ``kiosk.py bench``),
   so the audio callback competes with rendering for the CPU and the GIL. Reports PortAudio's
   underflow count, the pacer's (the "sound card" running dry), restarts and callback load.

Run it on an otherwise idle machine; other processes on the same cores cause underflows that a
gallery PC would not have.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # also runnable as a plain script

import numpy as np  # noqa: E402

from runtime.audio.settings import AudioConfig  # noqa: E402


class _Flags:
    output_underflow = False
    input_overflow = False


def callback_work(block_frames: int, voices: int = 32, blocks: int = 3000) -> dict:
    """Time the engine's real callback (queue drain + synth + limiter) with ``voices`` notes."""
    from runtime.audio.engine import AudioEngine

    cfg = dataclasses.replace(AudioConfig(), block_frames=block_frames, voices=voices)
    engine = AudioEngine(cfg)
    engine._accepting = True
    for i in range(voices):  # sustained notes across three octaves, all sounding at once
        engine.note(i % 15, 0.8, 3600.0, timbre="soft" if i % 2 else "bell")
    out = np.zeros((block_frames, 2), dtype=np.float32)
    flags = _Flags()
    for _ in range(50):
        engine._callback(out, block_frames, None, flags)
    assert engine._synth.n_voices == voices
    times = np.empty(blocks)
    for i in range(blocks):
        t0 = time.perf_counter()
        engine._callback(out, block_frames, None, flags)
        times[i] = time.perf_counter() - t0
    block_us = 1e6 * block_frames / cfg.sample_rate_hz
    p50, p99 = np.percentile(times * 1e6, [50, 99])
    return {"block_frames": block_frames, "voices": voices, "block_us": block_us,
            "p50_us": p50, "p99_us": p99, "p50_pct": 100 * p50 / block_us,
            "p99_pct": 100 * p99 / block_us}


def _workload(engine, stop: threading.Event, seed: int = 0) -> None:
    rng = random.Random(seed)
    next_chime, next_burst, next_pulse = 3.0, 15.0, 5.0
    t0 = time.monotonic()
    while not stop.is_set():
        t = time.monotonic() - t0
        engine.note(rng.randrange(10), rng.uniform(0.5, 0.9), 0.3, pan=rng.uniform(-0.6, 0.6))
        if t >= next_chime:
            engine.chime(rng.choice(["discover", "hint", "celebrate"]))
            next_chime += rng.uniform(2.0, 4.0)
        if t >= next_pulse:
            engine.pulse()
            next_pulse += rng.uniform(3.0, 7.0)
        if t >= next_burst:
            for i in range(32):
                engine.note(i % 15, 0.7, 1.5)
            next_burst += 15.0
        stop.wait(rng.uniform(0.25, 0.55))


def child(args: argparse.Namespace) -> int:
    """Runs under the file-plugin ALSA config (set by the parent)."""
    from runtime.audio.engine import AudioEngine

    cfg = dataclasses.replace(AudioConfig(), block_frames=args.block_frames,
                              latency_s=args.latency_s)
    engine = AudioEngine(cfg)
    engine.start()
    if not engine.wait_ready(15):
        print(json.dumps({"error": engine.last_error}))
        return 2
    stop = threading.Event()
    worker = threading.Thread(target=_workload, args=(engine, stop), daemon=True)
    worker.start()
    kiosk = None
    t0 = time.monotonic()
    if args.kiosk != "none":
        import exhibits  # noqa: F401 - registers the shipped exhibits with the runtime
        from runtime.config import default_config
        from runtime.headless import bench as kiosk_bench

        w, h = (int(v) for v in args.size.split("x"))
        kiosk = kiosk_bench(default_config(), args.kiosk, seconds=args.seconds, size=(w, h),
                            visitors="sim")
    remaining = args.seconds - (time.monotonic() - t0)
    if remaining > 0:
        time.sleep(remaining)
    stop.set()
    worker.join()
    status = engine.status()
    engine.close()
    summary = {"underflows": status["underflows"], "restarts": status["restarts"],
               "failures": status["failures"], "load": status["load"],
               "callback_errors": status["callback_errors"], "device": status["device"]}
    if kiosk is not None:
        summary["kiosk"] = {k: kiosk[k] for k in ("fps", "frame_ms_p50", "frame_ms_p99")
                            if k in kiosk} or {k: v for k, v in kiosk.items()
                                               if isinstance(v, (int, float))}
    print("RESULT " + json.dumps(summary, default=float))
    return 0


def device_run(args: argparse.Namespace) -> dict:
    from runtime.audio.alsafile import write_alsa_config

    with tempfile.TemporaryDirectory(prefix="bench_audio_") as tmp:
        tmp_path = Path(tmp)
        # the captured samples are not needed: /dev/null keeps a 10-minute run off the disk
        conf = write_alsa_config(tmp_path, out_path="/dev/null",
                                 stats_path=tmp_path / "pacer.json")
        env = dict(os.environ, ALSA_CONFIG_PATH=str(conf), SDL_VIDEODRIVER="dummy",
                   SDL_AUDIODRIVER="dummy", PYTHONPATH=str(ROOT))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--seconds",
               str(args.seconds), "--kiosk", args.kiosk, "--size", args.size,
               "--block-frames", str(args.block_frames), "--latency-s", str(args.latency_s)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                              timeout=args.seconds + 180)
        result: dict = {"error": proc.stderr[-2000:]}
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                result = json.loads(line[7:])
        deadline = time.monotonic() + 10
        pacer = tmp_path / "pacer.json"
        while time.monotonic() < deadline:
            if pacer.exists() and json.loads(pacer.read_text()).get("done"):
                break
            time.sleep(0.1)
        if pacer.exists():
            result["pacer"] = json.loads(pacer.read_text())
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the device run")
    ap.add_argument("--kiosk", default="all",
                    help="exhibit rendered meanwhile: all (rotation), numbers, city, or none")
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--block-frames", type=int, default=256)
    ap.add_argument("--latency-s", type=float, default=0.0)
    ap.add_argument("--skip-device", action="store_true", help="only the callback timing")
    ap.add_argument("--json", default="", help="also write the figures here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)
    report: dict = {"callback": [callback_work(256), callback_work(512)]}
    for r in report["callback"]:
        print(f"callback, {r['voices']} voices, {r['block_frames']} frames "
              f"({r['block_us'] / 1000:.1f} ms): median {r['p50_us']:.0f} µs "
              f"({r['p50_pct']:.1f} %), p99 {r['p99_us']:.0f} µs ({r['p99_pct']:.1f} %)")
    if not args.skip_device:
        run = device_run(args)
        report["device_run"] = run
        if "error" in run and "underflows" not in run:
            print(f"device run failed: {run['error']}")
        else:
            load, pacer = run["load"], run.get("pacer", {})
            print(f"device run {args.seconds:.0f} s on ALSA file plugin ({run['device']}), "
                  f"kiosk {args.kiosk}: PortAudio underflows {run['underflows']}, pacer "
                  f"underflows {pacer.get('underflows', '?')}, restarts {run['restarts']}, "
                  f"callback p50 {load['p50_pct']:.1f} % p99 {load['p99_pct']:.1f} % of block")
            if "kiosk" in run:
                print(f"kiosk meanwhile: {run['kiosk']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
