#!/usr/bin/env python3
"""Gwangju AI Art Kiosk — entry point and command line.

    python kiosk.py [run] [--config PATH] [--windowed] [--exhibit NAME] [--visitors sim|FILE]
    python kiosk.py check [PATH] [--no-render] [--explain]
    python kiosk.py render NAME --seconds S --size WxH --out PATH [--visitors sim|FILE]
    python kiosk.py bench [NAME ...|all] --seconds S --size WxH [--visitors sim|FILE] [--json]
                          [--camera VIDEO] [--health-port PORT]
    python kiosk.py track VIDEO --out tracks.txt [--warmup-passes N] [--debug-video OUT.mp4]
    python kiosk.py doctor [--config PATH]
    python kiosk.py pin NEW_PIN
    python kiosk.py report [--from DATE] [--to DATE] --out DIR [--db FILE_OR_FOLDER ...]
    python kiosk.py studio [--config PATH] [--host IP] [--port N]

Exit codes: 0 success; 1 runtime failure (no display, unwritable output, a crash); 2 invalid
input (config, arguments, recordings, a publicly known admin PIN); 3 "exit to desktop" from the
admin panel; 70 the watchdog ended a frozen loop.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
DEFAULT_CONFIG = ROOT / "config.toml"
COMMANDS = ("run", "check", "render", "bench", "doctor", "pin", "report", "track", "studio")


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None
    if not (16 <= w <= 7680 and 16 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"size must be 16..7680 x 16..4320, got {text!r}")
    return w, h


def parse_date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"dates look like 2026-11-21, got {text!r}") from None


def positive_seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seconds must be a number, got {text!r}") from None
    if not 0 < v <= 86400:
        raise argparse.ArgumentTypeError(f"seconds must be 0..86400, got {text!r}")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk.py", description="Gwangju AI Art Kiosk")
    sub = p.add_subparsers(dest="command")

    def add_config(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="config file (default: config.toml beside kiosk.py)")

    run = sub.add_parser("run", help="start the kiosk (the default command)")
    add_config(run)
    run.add_argument("--windowed", action="store_true", help="a window instead of fullscreen")
    run.add_argument("--exhibit", help="show only this exhibit")
    run.add_argument("--visitors", help="add simulated visitors (sim) or replay a JSONL file")

    chk = sub.add_parser("check", help="validate a config and its assets (exit 0 ok, 2 not)")
    chk.add_argument("path", nargs="?", type=Path, default=DEFAULT_CONFIG)
    chk.add_argument("--no-render", action="store_true", help="skip the headless test render")
    chk.add_argument("--explain", action="store_true",
                     help="list every config key with its default, range and meaning")

    ren = sub.add_parser("render", help="render an exhibit headless to MP4 or PNG frames")
    ren.add_argument("exhibit")
    ren.add_argument("--seconds", type=positive_seconds, default=5.0)
    ren.add_argument("--size", type=parse_size, default=(1280, 720))
    ren.add_argument("--out", type=Path, required=True, help="file.mp4, or a folder for PNGs")
    ren.add_argument("--visitors", default="sim", help="sim, none, or a JSONL recording")
    ren.add_argument("--fps", type=int, default=None, help="frames per second (default: config)")
    add_config(ren)

    ben = sub.add_parser("bench", help="measure fps, frame times, stages and latency headless")
    ben.add_argument("exhibits", nargs="*",
                     help="exhibit names (default: each registered one), or 'all': one soak run "
                          "rotating through every exhibit between visits")
    ben.add_argument("--seconds", type=positive_seconds, default=10.0)
    ben.add_argument("--size", type=parse_size, default=(1920, 1080))
    ben.add_argument("--visitors", default="sim", help="sim, none, or a JSONL recording")
    ben.add_argument("--warmup", type=float, default=1.0, help="seconds not measured at start")
    ben.add_argument("--unpaced", action="store_true", help="run flat out (throughput)")
    ben.add_argument("--rotate-s", type=positive_seconds, default=20.0,
                     help="with 'all': seconds per exhibit in the rotation (soak)")
    ben.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ben.add_argument("--camera", type=Path, help="a recorded video played as the camera")
    ben.add_argument("--audio", action="store_true",
                     help="play sound through the [audio] device and report underflows")
    ben.add_argument("--health-port", type=int, default=None, metavar="PORT",
                     help="serve /health and /metrics on 127.0.0.1:PORT during the run "
                          "(a Prometheus can scrape the bench)")
    add_config(ben)

    doc = sub.add_parser("doctor", help="check display, camera, audio, font, torch, weights and "
                                       "the admin PIN")
    add_config(doc)
    from runtime.vision.track_cli import add_track_arguments

    trk = sub.add_parser("track", help="run the people tracker on a video; MOTChallenge rows")
    add_track_arguments(trk)
    rep = sub.add_parser("report", help="plots and a CSV of visits for curators")
    rep.add_argument("--from", dest="date_from", type=parse_date, help="first day, YYYY-MM-DD")
    rep.add_argument("--to", dest="date_to", type=parse_date, help="last day, YYYY-MM-DD")
    rep.add_argument("--out", type=Path, required=True, help="folder for the report")
    rep.add_argument("--db", type=Path, action="append",
                     help="analytics database, or a folder of them; repeat for a fleet report "
                          "across kiosks (default: the config's database)")
    add_config(rep)
    pin = sub.add_parser("pin", help="print the [admin] pin_hash line for a new admin PIN")
    pin.add_argument("new_pin", help="4 to 12 digits, not a publicly known one (0518, 1234, …)")
    stu = sub.add_parser("studio", help="the curators' web Studio (http://127.0.0.1:8790/)")
    add_config(stu)
    stu.add_argument("--host", help="listen address (default [studio] host: 127.0.0.1)")
    stu.add_argument("--port", type=int, help="port (default [studio] port: 8790)")
    return p


def _load(path: Path):
    from runtime.config import load_config
    from runtime.settings import ConfigError

    try:
        return load_config(path)
    except ConfigError as err:
        print(f"{path}: config refused:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _exhibit_known(name: str) -> bool:
    from exhibits import REGISTRY

    if name in REGISTRY:
        return True
    print(f"unknown exhibit {name!r}; known: {', '.join(REGISTRY)}", file=sys.stderr)
    return False


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "run")
    args = build_parser().parse_args(argv)
    # The composition root: the shipped exhibits register with the runtime (which never imports
    # them) before any config is read. Loads their settings only: no pygame, no torch.
    import exhibits  # noqa: F401

    if args.command == "pin":
        from runtime.admin import PUBLIC_PINS, hash_pin

        if args.new_pin in PUBLIC_PINS:
            print(f"{args.new_pin} is a publicly known PIN and would never open the admin panel; "
                  f"choose another (not {', '.join(PUBLIC_PINS)})", file=sys.stderr)
            return 2
        try:
            print(f'pin_hash = "{hash_pin(args.new_pin)}"')
        except ValueError as err:
            print(err, file=sys.stderr)
            return 2
        print("# paste under [admin] in config.toml (the PIN itself is never stored)")
        return 0
    if args.command == "studio":
        from studio.server import serve

        return serve(args.config, args.host, args.port)
    if args.command == "track":
        from runtime.vision.track_cli import run_track

        return run_track(args)
    if args.command == "doctor":
        from runtime.doctor import doctor

        return doctor(config_path=args.config)
    if args.command == "check":
        from runtime.check import check, explain

        if args.explain:
            return explain()
        return check(args.path, render=not args.no_render)

    cfg = _load(args.config)
    if cfg is None:
        return 2
    if args.command == "report":
        from runtime.report import report

        dbs = args.db or [args.config.parent / cfg.analytics.db_path]
        try:
            files = report(dbs, args.out, args.date_from, args.date_to)
        except ValueError as err:  # runtime.fleet.FleetError: names the file
            print(err, file=sys.stderr)
            return 2
        print(f"wrote {len(files)} files to {args.out} (open {args.out / 'index.html'})")
        return 0
    if args.command == "run":
        if args.exhibit and not _exhibit_known(args.exhibit):
            return 2
        from runtime.run import run

        def overrides(c):
            return c.with_overrides(windowed=args.windowed, exhibit=args.exhibit)

        try:
            return run(overrides(cfg), visitors=args.visitors, config_path=args.config,
                       overrides=overrides)
        except ValueError as err:
            print(err, file=sys.stderr)
            return 2
    if args.command == "render":
        if not _exhibit_known(args.exhibit):
            return 2
        from runtime.headless import render

        try:
            render(cfg, args.exhibit, seconds=args.seconds, size=args.size, out=args.out,
                   visitors=args.visitors, fps=args.fps)
        except ValueError as err:
            print(err, file=sys.stderr)
            return 2
        except OSError as err:
            print(f"cannot write {args.out}: {err}", file=sys.stderr)
            return 1
        return 0
    if args.command == "bench":
        from exhibits import REGISTRY
        from runtime.headless import bench

        names = args.exhibits or list(REGISTRY)
        if not all(n == "all" or _exhibit_known(n) for n in names):
            return 2
        results = []
        for name in names:
            try:
                r = bench(cfg, name, seconds=args.seconds, size=args.size,
                          visitors=args.visitors, warmup_s=args.warmup, paced=not args.unpaced,
                          rotate_s=args.rotate_s, camera=args.camera, audio=args.audio,
                          health_port=args.health_port)
            except ValueError as err:
                print(err, file=sys.stderr)
                return 2
            except OSError as err:  # the health port is taken
                print(f"--health-port {args.health_port}: {err}", file=sys.stderr)
                return 1
            results.append(r)
            if not args.json:
                print(format_bench(r))
        if args.json:
            print(json.dumps({"bench": results}, ensure_ascii=False))
        return 0
    return 2


def format_bench(r: dict) -> str:
    f, lat = r["frame_ms"], r["input_to_present_ms"]
    stages = "  ".join(f"{k} {v:.2f}" for k, v in r["stages_ms"].items())
    return (f"{r['exhibit']:<12} {r['size']}  {r['frames']} frames  {r['fps']:.1f} fps\n"
            f"  frame ms   p50 {f['p50']:.2f}  p95 {f['p95']:.2f}  p99 {f['p99']:.2f}  "
            f"max {f['max']:.2f}  (>33 ms: {r['frames_over_33ms']})\n"
            f"  stages ms  {stages}\n"
            f"  input→present ms  p50 {lat['p50']:.2f}  p95 {lat['p95']:.2f}  "
            f"({lat['events']} events)\n"
            + (f"  camera     vision {r['vision_ms']['p50']:.2f} ms p50, camera→present "
               f"p50 {r['camera']['camera_to_present_ms']['p50']:.2f} p95 "
               f"{r['camera']['camera_to_present_ms']['p95']:.2f} ms "
               f"({r['camera']['frames_processed']} frames)\n" if "camera" in r else "")
            + (f"  audio      {r['audio']['state']} {r['audio']['device']}  underflows "
               f"{r['audio']['underflows']}  restarts {r['audio']['restarts']}\n"
               if "audio" in r else "")
            + f"  rss MB     {r['rss_mb']['start']} → {r['rss_mb']['after_warmup']} (warm) → "
            f"{r['rss_mb']['end']}  (growth after warm-up "
            f"{r['rss_mb']['growth_after_warmup']}"
            + (f"; after the first rotation {r['rss_mb']['growth_after_first_rotation']}"
               if "growth_after_first_rotation" in r["rss_mb"] else "") + ")\n"
            f"  visits {r['visits']}  shown {r['exhibits_shown']}  errors {r['exhibit_errors']}")


if __name__ == "__main__":
    sys.exit(main())
