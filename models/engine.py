"""Inference engine: model steps run on a worker thread; the render loop takes uint8 frames.

- :func:`configure_cpu` tunes this process for CPU inference once at start: torch threads leave one
  core for rendering (``cpu_count - 1``, at least 1) and glibc's allocator keeps freed tensor memory
  instead of returning it (``mallopt`` M_MMAP_THRESHOLD / M_TRIM_THRESHOLD, what the env vars
  ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` do, but settable after start-up). Without
  it every multi-MB temporary is a fresh ``mmap`` whose page faults cost more than the maths.
- :class:`FrameWorker` runs ``source.tick(dt)`` at ``rate_hz`` on a daemon thread and publishes
  ``source.render(out)`` into one of three pre-allocated uint8 buffers (triple buffering):
  :meth:`FrameWorker.latest` never waits for a step, it returns the newest finished frame, which
  the worker never touches again until the caller asks for a newer one. Commands (plant, damage,
  steer) are queued and applied on the worker thread between ticks. Torch releases the GIL inside
  its kernels, so the render loop keeps running while a step computes.
- :class:`NCAWorker` and :class:`CPPNWorker` wrap :class:`models.nca.NCACanvas` and
  :class:`models.cppn.CPPNField`.

Pacing: fixed tick period; when a tick overruns, time is dropped (no catch-up spiral). ``start()``
warms the model up (a few ticks on a scratch state, so the first real frame does not pay for
allocation and kernel selection) before the thread begins.

Inline mode (``inline=True``): no thread; the caller's :meth:`FrameWorker.advance` applies queued
commands and runs as many ticks as its ``dt`` covers on the caller's clock. Renders, goldens and
tests use it so that two runs with one seed give the same frames (a thread follows the wall clock,
not the render's simulated one); the live kiosk keeps its threads.

Failure modes: an exception inside a tick or command is stored in ``worker.error``, logged, and
stops the worker; ``latest()`` keeps returning the last good frame, so the exhibit can notice
``worker.error`` and fall back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch

from models.cppn import CPPNField, Steer
from models.nca import NCACanvas

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def tune_allocator(mmap_threshold: int = 32 << 20, trim_threshold: int = 256 << 20) -> bool:
    """Set glibc malloc thresholds (bytes); returns False where that is not possible."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)) == 1
        return libc.mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)) == 1 and ok
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to tune
        return False


def configure_cpu(threads: int | None = None, allocator: bool = True) -> dict:
    """Process-wide CPU tuning for inference; call once at start. Returns what was set."""
    n = threads if threads is not None else max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(n)
    tuned = tune_allocator() if allocator else False
    return {"torch_threads": n, "allocator_tuned": tuned}


class FrameSource(Protocol):
    """What a worker drives: ``tick`` advances the model, ``render`` writes a frame into ``out``."""

    shape: tuple[int, ...]  # frame shape, e.g. (H, W, 4)

    def tick(self, dt: float) -> None: ...

    def render(self, out: np.ndarray) -> None: ...


class FrameWorker:
    """Ticks a :class:`FrameSource` at ``rate_hz`` on a thread; see the module docstring."""

    def __init__(self, source: FrameSource, rate_hz: float, name: str = "model-worker",
                 warmup_ticks: int = 3, inline: bool = False):
        self.source, self.rate_hz, self.name = source, float(rate_hz), name
        self.inline = inline
        self._acc = 0.0  # inline mode: simulated seconds not yet ticked
        self.warmup_ticks = warmup_ticks
        self._bufs = [np.zeros(source.shape, np.uint8) for _ in range(3)]
        self._front, self._ready, self._back = 0, 1, 2
        self._fresh = False
        self._seq = 0  # frames published
        self._lock = threading.Lock()  # held only to swap buffer indices
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.tick_ms = 0.0  # duration of the last tick + render
        self.ticks = 0

    # -- caller side (render thread) --------------------------------------------------------
    def start(self) -> FrameWorker:
        """Warm up, publish a first frame, then start the thread. Returns self."""
        self._publish()
        if not self.inline:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self

    def advance(self, dt: float) -> None:
        """Inline mode: apply queued commands and tick for ``dt`` seconds of the caller's clock,
        then publish one frame. A no-op for a threaded worker (its thread keeps its own time).
        An exception is stored in ``error`` (as on the thread) and stops further ticks."""
        if not self.inline or self.error is not None:
            return
        self._acc += dt
        period = 1.0 / self.rate_hz
        ticked = False
        try:
            while self._acc >= period - 1e-9:
                self._acc -= period
                self._drain()
                self.source.tick(period)
                self.ticks += 1
                ticked = True
            if ticked:
                self._publish()
        except Exception as exc:  # noqa: BLE001 - stored for the exhibit, as on the thread
            self.error = exc
            log.exception("%s stopped: %r", self.name, exc)

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to finish and wait up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, command: Callable[[], None]) -> None:
        """Run ``command()`` on the worker thread before its next tick."""
        self._commands.put(command)

    def latest(self) -> tuple[np.ndarray, int]:
        """(newest finished frame, its sequence number). Never waits for a step.

        The array stays unchanged until the next call of ``latest()``; copy it to keep it longer.
        """
        with self._lock:
            if self._fresh:
                self._front, self._ready = self._ready, self._front
                self._fresh = False
            return self._bufs[self._front], self._seq

    # -- worker side ------------------------------------------------------------------------
    def _publish(self) -> None:
        self.source.render(self._bufs[self._back])
        with self._lock:
            self._back, self._ready = self._ready, self._back
            self._fresh = True
            self._seq += 1

    def _drain(self) -> None:
        while True:
            try:
                cmd = self._commands.get_nowait()
            except queue.Empty:
                return
            cmd()

    def _run(self) -> None:
        period = 1.0 / self.rate_hz
        nxt = time.perf_counter()
        last = nxt
        try:
            while not self._stop.is_set():
                self._drain()
                now = time.perf_counter()
                t0 = now
                self.source.tick(min(now - last, 4 * period))
                last = now
                self._publish()
                self.ticks += 1
                self.tick_ms = (time.perf_counter() - t0) * 1e3
                nxt += period
                now = time.perf_counter()
                if nxt < now:  # overran: drop the lost time instead of catching up
                    nxt = now
                self._stop.wait(nxt - now)
        except BaseException as exc:  # noqa: BLE001 - stored for the exhibit, never re-raised here
            self.error = exc
            log.exception("%s stopped: %r", self.name, exc)


class NCASource:
    """:class:`FrameSource` over an :class:`NCACanvas`: ``steps_per_tick`` steps per tick; frames
    are its premultiplied (H, W, 4) uint8 RGBA. Used by :class:`NCAWorker` on a thread, and by
    callers that step inline (repeatable renders)."""

    def __init__(self, canvas: NCACanvas, steps_per_tick: int):
        self.canvas, self.steps_per_tick = canvas, steps_per_tick
        self.shape = (canvas.height, canvas.width, 4)

    def tick(self, dt: float) -> None:
        self.canvas.step(self.steps_per_tick)

    def render(self, out: np.ndarray) -> None:
        self.canvas.rgba_uint8(out)


class NCAWorker(FrameWorker):
    """Steps an :class:`NCACanvas` at ``steps_per_s`` on a thread; frames are (H, W, 4) uint8.

    ``plant``, ``damage`` and ``clear`` are queued (they return at once) and applied between steps.
    ``steps_per_s / steps_per_tick`` frames per second are published.
    """

    def __init__(self, canvas: NCACanvas, steps_per_s: float = 48.0, steps_per_tick: int = 2,
                 name: str = "nca-worker", inline: bool = False):
        super().__init__(NCASource(canvas, steps_per_tick), steps_per_s / steps_per_tick, name,
                         inline=inline)
        self.canvas = canvas

    def start(self) -> NCAWorker:
        warm = NCACanvas(self.canvas.model, 48, 48, seed=0, device=self.canvas.device)
        warm.plant(warm.targets[0], 24, 24)
        warm.step(8 * self.warmup_ticks)
        warm.rgba_uint8()
        super().start()
        return self

    def plant(self, key: str, cx: int, cy: int) -> None:
        self.canvas.model.target_index(key)  # raise for a bad key here, in the caller
        self.submit(lambda: self.canvas.plant(key, cx, cy))

    def damage(self, mask) -> None:
        m = np.array(mask, copy=True)  # the caller may reuse its buffer
        self.submit(lambda: self.canvas.damage(m))

    def clear(self) -> None:
        self.submit(self.canvas.clear)


class _CPPNSource:
    def __init__(self, field: CPPNField):
        self.field = field
        self.shape = (field.height, field.width, 3)

    def tick(self, dt: float) -> None:
        self.field.advance(dt)

    def render(self, out: np.ndarray) -> None:
        self.field.frame(out)


class CPPNWorker(FrameWorker):
    """Evaluates a :class:`CPPNField` at ``fps`` on a thread; frames are (H, W, 3) uint8."""

    def __init__(self, field: CPPNField, fps: float = 30.0, name: str = "cppn-worker",
                 inline: bool = False):
        super().__init__(_CPPNSource(field), fps, name, inline=inline)
        self.field = field

    # (style, width, height, device) already warmed up in this process: torch's first calls of
    # a shape are the slow ones, and the warm-up frames change no state, so a field started again
    # (an exhibit re-entered at every rotation) skips them instead of stalling that frame.
    _warmed: set[tuple[str, int, int, str]] = set()

    def start(self) -> CPPNWorker:
        f = self.field
        key = (f.name, f.width, f.height, str(f.device))
        if key not in CPPNWorker._warmed:
            for _ in range(self.warmup_ticks):
                f.frame_tensor()  # not frame(): that copies a cached first frame
            CPPNWorker._warmed.add(key)
        super().start()
        return self

    def steer(self, visitors: list[Steer]) -> None:
        vs = list(visitors)
        self.submit(lambda: self.field.steer(vs))
