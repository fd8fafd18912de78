"""Inference engine: model steps run on a worker thread; the render loop takes uint8 frames.

- :func:`configure_cpu` tunes this process for CPU inference once at start: torch threads leave one
  core for rendering (``cpu_count - 1``, at least 1) and glibc's allocator keeps freed tensor memory
  instead of returning it (``mallopt`` M_MMAP_THRESHOLD / M_TRIM_THRESHOLD, what the env vars
  ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` do, but settable after start-up). Without
  it every multi-MB temporary is a fresh ``mmap`` whose page faults cost more than the maths.
- :class:`~models.workers.FrameWorker` (re-exported here) ticks a model on a daemon thread, or
  inline on the caller's clock, and hands over uint8 frames by triple buffering; it lives in the
  torch-free :mod:`models.workers` so a numpy grower can use it without loading torch.
- :class:`NCAWorker` and :class:`CPPNWorker` wrap :class:`models.nca.NCACanvas` and
  :class:`models.cppn.CPPNField`.

``NCAWorker.start()`` warms the model up (a few steps on a scratch canvas, so the first real
frame does not pay for allocation and kernel selection); ``CPPNWorker.start()`` evaluates a few
scratch frames once per (style, size, device) in the process.

Inline mode (``inline=True``, see :mod:`models.workers`): no thread; the caller's ``advance(dt)``
ticks on its own clock, so renders, goldens and tests repeat for a seed.

Failure modes: an exception inside a tick or command is stored in ``worker.error``, logged, and
stops the worker; ``latest()`` keeps returning the last good frame, so the exhibit can notice
``worker.error`` and fall back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

import numpy as np
import torch

from models.cppn import CPPNField, Steer
from models.nca import NCACanvas
from models.workers import FrameSource, FrameWorker

__all__ = ["CPPNWorker", "FrameSource", "FrameWorker", "NCASource", "NCAWorker",
           "configure_cpu", "tune_allocator"]

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


class NCASource:
    """:class:`FrameSource` over an :class:`NCACanvas`: ``steps_per_tick`` steps per tick; frames
    are its premultiplied (H, W, 4) uint8 RGBA. Used by :class:`NCAWorker` on a thread, and by
    callers that step inline (repeatable renders)."""

    def __init__(self, canvas: NCACanvas, steps_per_tick: int):
        self.canvas, self.steps_per_tick = canvas, steps_per_tick
        self.shape = (canvas.height, canvas.width, 4)

    @property
    def version(self) -> int:
        """Changes whenever the canvas does (so resting patterns publish no new frames)."""
        return self.canvas.version

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
    # (an exhibit re-entered at every rotation) skips them instead of stalling that frame. This
    # mirrors torch's own per-process caches (what is warm is the process, not an instance), so
    # it is process state on purpose; exhibit state belongs in the runtime's ``ctx.store``.
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
