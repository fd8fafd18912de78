"""``kiosk.py track VIDEO --out tracks.txt``: run the kiosk's tracker on a video file, offline.

The same :class:`runtime.vision.processor.VisionProcessor` as the live kiosk runs synchronously,
frame by frame, with the clip's own frame times (``frame / fps``). Output: MOTChallenge rows::

    frame,id,left,top,width,height,conf,-1,-1,-1

in the video's pixel coordinates (never mirrored), frames 1-based, one row per person the kiosk
would report in that frame (people predicted through an occlusion are included; ``conf`` is 1 for
a detected person and 0.5 for a predicted one).

``--warmup-passes N`` first runs the clip N times through the background's learning phase only,
as a kiosk learns its empty room; those passes output nothing. ``--debug-video OUT.mp4`` draws the
tracks onto the frames for people to look at: the one place where camera frames are written, an
explicit offline choice (see :mod:`runtime.vision.debug_video`).

Exit codes: 0 written; 1 the video cannot be read or the output cannot be written; 2 bad
arguments or config. Usable before ``kiosk.py`` registers it:
``python -m runtime.vision.track_cli``.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from runtime.vision.processor import VisionFrame, VisionProcessor
from runtime.vision.settings import CameraConfig


@dataclass
class TrackResult:
    """What :func:`track_video` produced.

    Attributes:
        rows: MOTChallenge rows ``(frame, id, left, top, width, height, conf)``.
        frames: frames processed in the output pass.
        size: the video's ``(width, height)``.
        fps: the video's frame rate (``fallback_fps`` when the file does not say).
        vision_ms: per-frame wall time of the vision stage (processing size, after resize).
        resize_ms: per-frame wall time of scaling camera frames to the processing size.
    """

    rows: list[tuple[int, int, float, float, float, float, float]] = field(default_factory=list)
    frames: int = 0
    size: tuple[int, int] = (0, 0)
    fps: float = 0.0
    vision_ms: list[float] = field(default_factory=list)
    resize_ms: list[float] = field(default_factory=list)


class VideoError(Exception):
    """A video file could not be opened or read."""


def _open(path: str | Path) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise VideoError(f"cannot open video {path}")
    return cap


def track_video(path: str | Path, cfg: CameraConfig | None = None, *, warmup_passes: int = 0,
                fallback_fps: float = 25.0, include_occluded: bool = True,
                on_frame: Callable[[np.ndarray, VisionFrame, VisionProcessor], None] | None = None,
                ) -> TrackResult:
    """Run the tracker over a video file and collect MOTChallenge rows.

    Args:
        path: a video file (anything ``cv2.VideoCapture`` reads, also ``img/%04d.jpg``).
        cfg: ``[camera]`` settings (defaults when ``None``). With warm-up passes the learning
            happens in those passes; otherwise the first ``learn_s`` seconds of the clip learn.
        warmup_passes: whole passes over the clip that only teach the background.
        fallback_fps: frame rate assumed when the file does not state one.
        include_occluded: also write people predicted through occlusions.
        on_frame: called with ``(frame, vision_frame, processor)`` after each output frame
            (the debug video uses it).

    Raises:
        VideoError: the file cannot be opened, or holds no frame.
    """
    cfg = cfg or CameraConfig()
    cap = _open(path)
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if fps and np.isfinite(fps) and 0 < fps < 1000 else fallback_fps
    ok, frame = cap.read()
    if not ok:
        raise VideoError(f"no frame in video {path}")
    size = (frame.shape[1], frame.shape[0])
    proc = VisionProcessor(cfg, size, mirror=False)
    if warmup_passes > 0:
        for _ in range(warmup_passes):
            while ok:
                proc.learn(proc.prepare(frame))
                ok, frame = cap.read()
            cap.release()
            cap = _open(path)
            ok, frame = cap.read()
        proc.finish_learning()
    result = TrackResult(size=size, fps=fps)
    n = 0
    while ok:
        n += 1
        t0 = time.perf_counter()
        small = proc.prepare(frame)
        result.resize_ms.append((time.perf_counter() - t0) * 1000.0)
        vf = proc.process(small, (n - 1) / fps)
        result.vision_ms.append(vf.process_ms)
        sx, sy = proc.scale
        for s in proc.tracks:
            if not (s.seen or include_occluded):
                continue
            x, y, w, h = s.box
            result.rows.append((n, s.id, x * sx, y * sy, w * sx, h * sy, 1.0 if s.seen else 0.5))
        if on_frame is not None:
            on_frame(frame, vf, proc)
        ok, frame = cap.read()
    cap.release()
    result.frames = n
    return result


def write_mot(rows: list[tuple[int, int, float, float, float, float, float]],
              out: str | Path) -> None:
    """Write MOTChallenge rows ``frame,id,left,top,width,height,conf,-1,-1,-1``."""
    lines = [f"{f},{i},{x:.2f},{y:.2f},{w:.2f},{h:.2f},{c:.2f},-1,-1,-1\n"
             for f, i, x, y, w, h, c in rows]
    Path(out).write_text("".join(lines), encoding="utf-8")


def load_camera_config(path: str | Path | None) -> CameraConfig:
    """``[camera]`` from a kiosk config file (other tables are ignored here); defaults if None.

    Raises:
        runtime.settings.ConfigError: unreadable file or invalid ``[camera]`` values.
    """
    from runtime.settings import ConfigError, Problem, build, locate, toml_key_lines

    if path is None:
        return CameraConfig()
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError([Problem("", f"cannot read config: {err}")], str(path)) from None
    table = data.get("camera", {})
    problems: list[Problem] = []
    if not isinstance(table, dict):
        raise ConfigError([Problem("camera", "must be a table")], str(path))
    cfg = build(CameraConfig, table, "camera", problems)
    if problems or cfg is None:
        raise ConfigError(locate(problems, toml_key_lines(text)), str(path))
    return cfg


def add_track_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``track``'s arguments to a (sub)parser."""
    parser.add_argument("video", type=Path, help="video file to track (never modified)")
    parser.add_argument("--out", type=Path, required=True,
                        help="MOTChallenge text file to write (frame,id,left,top,width,height,…)")
    parser.add_argument("--warmup-passes", type=int, default=0, metavar="N",
                        help="passes over the clip that only learn the background (default 0)")
    parser.add_argument("--debug-video", type=Path, default=None, metavar="OUT.mp4",
                        help="also write the frames with the tracks drawn (offline inspection)")
    parser.add_argument("--config", type=Path, default=None,
                        help="kiosk config whose [camera] table to use (default: built-in "
                             "defaults)")


def run_track(args: argparse.Namespace) -> int:
    """Run ``track`` with parsed arguments; returns the exit code."""
    from runtime.settings import ConfigError

    if args.warmup_passes < 0 or args.warmup_passes > 100:
        print(f"--warmup-passes must be 0..100, got {args.warmup_passes}", file=sys.stderr)
        return 2
    try:
        cfg = load_camera_config(args.config)
    except ConfigError as err:
        print(f"{err.source}: config refused:", file=sys.stderr)
        for p in err.problems:
            print(f"  {p}", file=sys.stderr)
        return 2
    writer = None
    on_frame = None
    if args.debug_video is not None:
        from runtime.vision.debug_video import DebugVideo

        probe = cv2.VideoCapture(str(args.video))
        fps = probe.get(cv2.CAP_PROP_FPS) if probe.isOpened() else 0.0
        probe.release()
        writer = DebugVideo(args.debug_video, fps if fps and 0 < fps < 1000 else 25.0)
        on_frame = writer.add
    try:
        result = track_video(args.video, cfg, warmup_passes=args.warmup_passes,
                             on_frame=on_frame)
    except (VideoError, OSError) as err:
        print(err, file=sys.stderr)
        return 1
    finally:
        if writer is not None:
            writer.close()
    try:
        write_mot(result.rows, args.out)
    except OSError as err:
        print(f"cannot write {args.out}: {err}", file=sys.stderr)
        return 1
    ids = len({r[1] for r in result.rows})
    ms = float(np.median(result.vision_ms)) if result.vision_ms else 0.0
    print(f"{args.video}: {result.frames} frames {result.size[0]}x{result.size[1]} "
          f"@ {result.fps:g} fps, {len(result.rows)} rows, {ids} people, "
          f"vision {ms:.2f} ms/frame (median) -> {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime.vision.track_cli",
                                     description="track people in a video (MOTChallenge rows)")
    add_track_arguments(parser)
    return run_track(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
