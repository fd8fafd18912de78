"""``python -m runtime.audio``: check the speakers and microphone without the kiosk.

    python -m runtime.audio devices                  # what PortAudio sees, doctor's verdict
    python -m runtime.audio play --digits 31415926   # digits as the numbers exhibit plays them
    python -m runtime.audio play --chime discover
    python -m runtime.audio listen --seconds 10      # print the mic level and claps

``play``/``listen`` use the live :class:`~runtime.audio.engine.AudioEngine` (the same code as the
kiosk) and can write its :meth:`~runtime.audio.engine.AudioEngine.status` plus the onsets heard
to ``--status-json``; the tests drive it this way through ALSA's file plugin. Exit code 2 when
no output device opened within ``--open-timeout-s``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time

from runtime.audio.doctor import check_audio, list_devices
from runtime.audio.engine import AudioEngine
from runtime.audio.scales import digit_to_degree
from runtime.audio.settings import AudioConfig


def _config(args: argparse.Namespace, mic: bool) -> AudioConfig:
    return dataclasses.replace(
        AudioConfig(), output=args.output, block_frames=args.block_frames,
        master_volume=args.volume, mic_enabled=mic, mic_input=args.mic_input,
        onset_threshold_db=args.onset_threshold_db, retry_min_s=0.5)


def _finish(engine: AudioEngine, args: argparse.Namespace, onsets: list, extra: dict) -> None:
    status = engine.status()
    status["onsets_heard"] = [o._asdict() for o in onsets]
    status["synth"] = {"peak_out": engine._synth.peak_out,
                       "limiter_gain_min": engine._synth.limiter_gain_min}
    status.update(extra)
    engine.close()
    if args.status_json:
        with open(args.status_json, "w", encoding="utf-8") as f:
            json.dump(status, f, indent=1, default=str)
    load = status["load"]
    print(f"audio: {status['state']} on {status['device'] or '-'}; underflows "
          f"{status['underflows']}, restarts {status['restarts']}, callback p50 "
          f"{load['p50_pct']:.1f}% p99 {load['p99_pct']:.1f}% of the block; "
          f"{len(onsets)} onset(s)")


def _play(args: argparse.Namespace) -> int:
    engine = AudioEngine(_config(args, args.mic_seconds > 0))
    engine.start()
    if not engine.wait_ready(args.open_timeout_s):
        print(f"audio: no output: {engine.last_error}", file=sys.stderr)
        _finish(engine, args, [], {})
        return 2
    time.sleep(args.lead_s)
    played = []
    for ch in args.digits:
        if ch.isdigit():
            engine.note(digit_to_degree(int(ch)), args.velocity, args.note_s, timbre=args.timbre)
            played.append(int(ch))
            time.sleep(args.interval_s)
    for name in args.chime:
        engine.chime(name)
        time.sleep(args.interval_s)
    time.sleep(args.tail_s)
    onsets = []
    if args.mic_seconds > 0:
        deadline = time.monotonic() + args.mic_seconds * 4 + 10
        want = args.mic_seconds * engine.config.sample_rate_hz
        while engine._detector.frames < want and time.monotonic() < deadline:
            time.sleep(0.01)
        onsets = engine.onsets()
    _finish(engine, args, onsets, {"digits_played": played})
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m runtime.audio", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("devices", help="list PortAudio devices and say whether sound will work")
    for name in ("play", "listen"):
        p = sub.add_parser(name, help="play digits/chimes" if name == "play" else
                           "print microphone onsets")
        p.add_argument("--output", default="default", help="device: default, index or name")
        p.add_argument("--mic-input", default="default")
        p.add_argument("--block-frames", type=int, default=256, choices=(64, 128, 256, 512))
        p.add_argument("--volume", type=float, default=0.8)
        p.add_argument("--onset-threshold-db", type=float, default=-30.0)
        p.add_argument("--status-json", default="", help="write the engine's status here")
        p.add_argument("--open-timeout-s", type=float, default=10.0)
        p.add_argument("--digits", default="" if name == "listen" else "31415926")
        p.add_argument("--chime", action="append", default=[])
        p.add_argument("--interval-s", type=float, default=0.35)
        p.add_argument("--note-s", type=float, default=0.2, help="hold of each note")
        p.add_argument("--velocity", type=float, default=0.8)
        p.add_argument("--timbre", default="soft")
        p.add_argument("--lead-s", type=float, default=0.2, help="silence before the first note")
        p.add_argument("--tail-s", type=float, default=1.0, help="silence after the last note")
        p.add_argument("--mic-seconds", type=float, default=10.0 if name == "listen" else 0.0,
                       help="listen until this much microphone audio was analysed")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.cmd == "devices":
        for line in list_devices():
            print(line)
        print("{:<8} {:<14} {}".format(*check_audio()))
        return 0
    return _play(args)


if __name__ == "__main__":
    sys.exit(main())
