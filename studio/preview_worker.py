"""The preview render, run by the Studio as its own low-priority process.

    python -m studio.preview_worker --config DRAFT.toml --exhibit numbers --seconds 4
        --size 480x270 --fps 24 --out DIR [--stills 1,2.5]

Renders with the kiosk's headless render (:func:`runtime.headless.render`: fake clock, simulated
visitors, the same exhibits) into ``DIR/frames/`` (the Studio counts the PNGs for its progress
bar), then encodes ``DIR/preview.webm`` (VP8, which every browser plays) with PyAV and copies the
still frames asked for to ``DIR/still_<seconds>.png``. Sound is left out (a silent preview).

Lowers its own priority (nice 15) and uses one torch thread, so the running kiosk keeps its
frames. Exit 0 done, 2 the config is refused (``DIR/error.txt`` says why), 1 anything else.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path


def encode_webm(frames: list[Path], out: Path, fps: int) -> None:
    import av
    import numpy as np
    from PIL import Image

    with av.open(str(out), "w", format="webm") as container:
        stream = None
        for path in frames:
            rgb = np.asarray(Image.open(path).convert("RGB"))
            if stream is None:
                stream = container.add_stream("libvpx", rate=fps)
                stream.width, stream.height = rgb.shape[1], rgb.shape[0]
                stream.pix_fmt = "yuv420p"
                stream.bit_rate = 1_500_000
                stream.options = {"deadline": "realtime", "cpu-used": "8"}
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="studio.preview_worker")
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--exhibit", required=True)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--size", default="480x270")
    p.add_argument("--fps", type=int, default=24)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--stills", default="")
    args = p.parse_args(argv)
    try:
        os.nice(15)
    except OSError:
        pass
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    import exhibits  # noqa: F401 - registers the shipped exhibits with the runtime
    from runtime.config import load_config
    from runtime.settings import ConfigError

    out = args.out
    frames_dir = out / "frames"
    frames_dir.mkdir(parents=True, exist_ok=True)
    try:
        cfg = load_config(args.config)
    except ConfigError as err:
        (out / "error.txt").write_text("\n".join(str(p) for p in err.problems), encoding="utf-8")
        return 2
    cfg = replace(cfg, audio=replace(cfg.audio, enabled=False))
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:  # noqa: BLE001 - exhibits fall back to their plain look without torch
        pass
    from runtime.headless import render

    w, h = (int(v) for v in args.size.split("x"))
    render(cfg, args.exhibit, seconds=args.seconds, size=(w, h), out=frames_dir,
           visitors="sim", fps=args.fps, log=lambda *_: None)
    frames = sorted(frames_dir.glob("frame_*.png"))
    (out / "encoding").touch()
    encode_webm(frames, out / "preview.webm.part", args.fps)
    os.replace(out / "preview.webm.part", out / "preview.webm")
    for text in args.stills.split(","):
        try:
            t = float(text)
        except ValueError:
            continue
        i = min(len(frames) - 1, max(0, round(t * args.fps)))
        if frames:
            shutil.copyfile(frames[i], out / f"still_{t:g}.png")
    (out / "done").touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
