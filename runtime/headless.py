"""Headless runs: offline renders (PNG folder or MP4) and the benchmark.

Both use SDL's dummy video driver and the same :class:`~runtime.app.Kiosk` as the window.

* :func:`render` runs on a fake clock: frame *n* happens at ``n / fps`` seconds whatever the
  machine's speed, so a render is repeatable for a seed and as long as asked.
* :func:`bench` runs on the real clock, paced at the configured fps like the kiosk (``paced=False``
  measures raw throughput), and reports fps, frame-time percentiles (work per frame: input +
  update + draw + present), mean ms per stage, input-to-present latency (a visitor event's
  timestamp, taken when the kiosk receives it, to the end of the present of the first frame that
  reflects it) and resident memory. With ``health_port`` it also serves ``/health`` and
  ``/metrics`` on 127.0.0.1 and publishes the snapshot twice a second, as the live kiosk does, so
  a Prometheus can scrape a headless kiosk (and the bench measures the cost of being scraped).
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from runtime.clock import FakeTime, Pacer
from runtime.config import KioskConfig
from runtime.timing import rss_mb
from runtime.visitors import visitor_sources


def tune_models_cpu() -> None:
    """Leave a core for rendering, as the live kiosk does (no-op without torch)."""
    try:
        from models.engine import configure_cpu

        configure_cpu()
    except Exception:  # noqa: BLE001 - exhibits fall back to their plain look without torch
        pass


def use_dummy_video() -> None:
    """Select SDL's dummy drivers before pygame initialises (idempotent)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def _init_pygame() -> None:
    use_dummy_video()
    import pygame

    pygame.display.init()
    pygame.font.init()
    if pygame.display.get_surface() is None:
        pygame.display.set_mode((1, 1))  # lets surfaces convert() to the display format


def frame_rgb(surface: Any) -> np.ndarray:
    """The surface as an (H, W, 3) uint8 RGB array (a copy)."""
    import pygame

    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2))


def offscreen_kiosk(cfg: KioskConfig, exhibit: str, size: tuple[int, int], *,
                    sources: list | None = None, clock: FakeTime | None = None, **kiosk_kw):
    """A started :class:`Kiosk` pinned to ``exhibit``, drawing offscreen on a fake clock.

    Returns ``(kiosk, clock)``; advance ``clock`` by ``1 / fps`` between ``kiosk.frame()`` calls.
    """
    _init_pygame()
    from runtime.app import Kiosk, OffscreenPresenter

    clock = clock or FakeTime(0.0)
    cfg = cfg.with_overrides(size=size, exhibit=exhibit)
    kiosk = Kiosk(cfg, OffscreenPresenter(size), time_fn=clock, sources=sources or [],
                  **kiosk_kw)
    kiosk.start()
    return kiosk, clock


def render(cfg: KioskConfig, exhibit: str, *, seconds: float, size: tuple[int, int], out: Path,
           visitors: str | None = None, fps: int | None = None, log=print) -> int:
    """Render ``exhibit`` for ``seconds`` at ``size`` to ``out`` (``.mp4`` or a PNG folder).

    Returns the number of frames written. Raises ``ValueError`` for a bad ``--visitors`` value
    and ``OSError`` when the output cannot be written.
    """
    _init_pygame()
    import pygame

    from runtime.audio import OfflineRenderer, mux_audio

    tune_models_cpu()
    fps = fps or cfg.display.fps
    sources = visitor_sources(visitors, cfg.runtime.seed)
    n = max(1, round(seconds * fps))
    clock = FakeTime(0.0)
    # The same synthesizer as the live kiosk, rendered offline on the render's own clock.
    audio = OfflineRenderer(cfg.audio, time_fn=clock) if cfg.audio.enabled else None
    writer = None
    out = Path(out)
    if out.suffix.lower() == ".mp4":
        import cv2

        out.parent.mkdir(parents=True, exist_ok=True)
        writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not writer.isOpened():
            raise OSError(f"cannot write video {out}")
    else:
        out.mkdir(parents=True, exist_ok=True)
    kiosk, clock = offscreen_kiosk(cfg, exhibit, size, sources=sources, clock=clock,
                                   audio=audio)
    try:
        for i in range(n):
            kiosk.frame()
            surface = kiosk.presenter.surface
            if writer is not None:
                writer.write(frame_rgb(surface)[:, :, ::-1])
            else:
                pygame.image.save(surface, str(out / f"frame_{i + 1:05d}.png"))
            clock.advance(1.0 / fps)
    finally:
        if writer is not None:
            writer.release()
        kiosk.stop()
    log(f"wrote {n} frames of {exhibit} at {size[0]}x{size[1]} to {out}")
    if audio is not None:
        wav = audio.render_wav(out.with_suffix(".wav") if writer is not None
                               else out / "sound.wav", n / fps)
        if writer is not None:
            try:
                mux_audio(out, wav)
                log(f"sound muxed into {out} (also {wav})")
            except RuntimeError as err:
                log(f"sound written to {wav} ({err})")
        else:
            log(f"sound written to {wav}")
    return n


def rotation_config(cfg: KioskConfig, rotate_s: float) -> KioskConfig:
    """Every registered exhibit in one playlist, ``rotate_s`` each, with short visits (soak)."""
    from dataclasses import replace

    from runtime.app import replace_playlist
    from runtime.registry import REGISTRY

    names = list(REGISTRY) * (2 if len(REGISTRY) == 1 else 1)  # a rotation needs two entries
    cfg = replace_playlist(cfg, *((name, rotate_s) for name in names))
    return replace(cfg, visits=replace(cfg.visits, idle_s=10.0, warning_s=3.0))


def camera_from_video(cfg: KioskConfig, video: Path):
    """A real :class:`CameraSource` reading ``video`` in real time, as if it were a camera."""
    from dataclasses import replace

    from runtime.vision.source import CameraSource

    if not Path(video).is_file():
        raise ValueError(f"--camera: no such video file {video}")
    cam = replace(cfg.camera, source=str(Path(video).resolve()), loop_video=True,
                  realtime_video=True)
    return CameraSource(cam)


def bench(cfg: KioskConfig, exhibit: str, *, seconds: float, size: tuple[int, int],
          visitors: str | None = "sim", warmup_s: float = 1.0, paced: bool = True,
          rotate_s: float = 20.0, camera: Path | None = None, audio: bool = False,
          health_port: int | None = None) -> dict:
    """Run ``exhibit`` headless in real time and return its figures (see module docstring).

    ``health_port``: serve ``/health`` and ``/metrics`` there during the run (None: not at all;
    raises ``OSError`` when the port is taken).

    ``exhibit == "all"`` runs every registered exhibit in rotation (``rotate_s`` each, switching
    only between visits; simulated visitors come in waves so visits end) — the soak run.
    """
    _init_pygame()
    tune_models_cpu()
    from runtime.app import DisplayPresenter, Kiosk
    from runtime.sources import SimulatedVisitors

    if exhibit == "all":
        cfg = rotation_config(cfg.with_overrides(size=size, windowed=True), rotate_s)
        sources = ([SimulatedVisitors(cfg.runtime.seed, busy_s=40.0, quiet_s=30.0)]
                   if visitors == "sim" else visitor_sources(visitors, cfg.runtime.seed))
    else:
        cfg = cfg.with_overrides(size=size, exhibit=exhibit, windowed=True)
        sources = visitor_sources(visitors, cfg.runtime.seed)
    cam_source = camera_from_video(cfg, camera) if camera is not None else None
    if cam_source is not None:
        sources = [*sources, cam_source]
    gc.collect()
    rss_start = rss_mb()
    rss_warm = rss_start
    presenter = DisplayPresenter(size, fullscreen=False, vsync=False, hide_cursor=True)
    sound = None
    if audio:
        from runtime.audio import create_audio

        sound = create_audio(cfg.audio)
    kiosk = Kiosk(cfg, presenter, sources=sources, audio=sound)
    health = None
    if health_port is not None:
        from runtime.health import HealthPublisher

        health = HealthPublisher(health_port, kiosk)
        health.start()
    kiosk.start()
    latencies: list[float] = []
    shown: dict[str, int] = {}
    t_start = time.perf_counter()
    warm_end = t_start + warmup_s
    measured_start = None
    warm_frames = 0
    vision_ms_start = 0
    pacer = Pacer(1.0 / cfg.display.fps, start_t=t_start)
    rotation = {e.exhibit for e in cfg.playlist}
    cycle_end: float | None = None
    rss_trace: list[tuple[float, float]] = []
    next_rss_t = t_start
    try:
        while True:
            now = time.perf_counter()
            if now - t_start >= warmup_s + seconds:
                break
            if measured_start is None and now >= warm_end:
                measured_start = now
                warm_frames = kiosk.frame_count
                kiosk.stages.reset()
                kiosk.camera_latencies_ms.clear()
                vision_ms_start = len(cam_source.vision_ms()) if cam_source else 0
                gc.collect()
                rss_warm = rss_mb()
            before = kiosk.current
            report = kiosk.frame()
            if kiosk.current is not before and kiosk.current is not None:
                shown[kiosk.current.name] = shown.get(kiosk.current.name, 0) + 1
                if cycle_end is None and set(shown) >= set(rotation):
                    cycle_end = time.perf_counter()  # every exhibit has been shown once
            if now >= next_rss_t:
                next_rss_t = now + 10.0
                rss_trace.append((round(now - t_start, 1), round(rss_mb(), 1)))
            if measured_start is not None:
                latencies.extend(report.latencies_ms)
            if health is not None:
                health.tick(now)  # as the live kiosk does
            if paced:
                pacer.wait()
        elapsed = time.perf_counter() - (measured_start or t_start)
        frames = kiosk.frame_count - warm_frames
        lat = np.asarray(latencies) if latencies else np.zeros(1)
        gc.collect()
        rss_end = rss_mb()
        result = {
            "exhibit": exhibit,
            "size": f"{size[0]}x{size[1]}",
            "paced": paced,
            "target_fps": cfg.display.fps,
            "frames": frames,
            "fps": round(frames / max(elapsed, 1e-9), 2),
            "frame_ms": kiosk.frames.percentiles(skip=warm_frames),
            "frames_over_33ms": int(sum(1 for v in list(kiosk.frames.all)[warm_frames:]
                                        if v > 33.0)),
            "stages_ms": kiosk.stages.mean_ms(frames),
            "input_to_present_ms": {
                "p50": round(float(np.percentile(lat, 50)), 3),
                "p95": round(float(np.percentile(lat, 95)), 3),
                "events": len(latencies),
            },
            "rss_mb": {"start": round(rss_start, 1), "after_warmup": round(rss_warm, 1),
                       "end": round(rss_end, 1),
                       "growth_after_warmup": round(rss_end - rss_warm, 1),
                       "trace": rss_trace},
            "visits": kiosk.visit.visits,
            "exhibits_shown": shown,
            "exhibit_errors": dict(kiosk.failures),
        }
        if health is not None:
            result["health_port"] = health.port
        if exhibit == "all" and cycle_end is not None:
            # A rotation's warm-up ends when every exhibit has been loaded once.
            after = [mb for t, mb in rss_trace if t >= cycle_end - t_start]
            if after:
                result["rss_mb"]["after_first_rotation"] = after[0]
                result["rss_mb"]["growth_after_first_rotation"] = round(rss_end - after[0], 1)
        if sound is not None:
            result["audio"] = {k: v for k, v in sound.status().items()
                               if k in ("state", "device", "underflows", "restarts", "failures",
                                        "block_frames", "sample_rate_hz")}
        if cam_source is not None:
            cam_lat = np.asarray(kiosk.camera_latencies_ms) if kiosk.camera_latencies_ms \
                else np.zeros(1)
            vms = np.asarray(cam_source.vision_ms()[vision_ms_start:] or [0.0])
            st = cam_source.status()
            result["camera"] = {
                "video": str(camera),
                "frames_processed": st["frames_processed"],
                "frames_skipped": st["frames_skipped"],
                "camera_to_present_ms": {"p50": round(float(np.percentile(cam_lat, 50)), 3),
                                         "p95": round(float(np.percentile(cam_lat, 95)), 3),
                                         "frames": len(kiosk.camera_latencies_ms)},
            }
            result["stages_ms"]["vision"] = round(float(vms.mean()), 3)
            result["vision_ms"] = {"p50": round(float(np.percentile(vms, 50)), 3),
                                   "p95": round(float(np.percentile(vms, 95)), 3)}
    finally:
        if health is not None:
            health.stop()
        kiosk.stop()
        if sound is not None:
            sound.close()
    return result
