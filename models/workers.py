"""Frame workers: a model steps on its own thread (or inline) and hands over uint8 frames.

This module imports no torch (numpy and the standard library only), so a grower that is plain
numpy (Numbers' glyph cells in safe mode) uses the same worker as the torch models without
loading torch. :mod:`models.engine` adds the torch workers on top (``NCAWorker``, ``CPPNWorker``).

- :class:`FrameSource` is what a worker drives: ``tick(dt)`` advances the model by ``dt``
  seconds, ``render(out)`` writes a frame of ``shape`` into a uint8 array.
- :class:`FrameWorker` runs ``source.tick(dt)`` at ``rate_hz`` on a daemon thread and publishes
  ``source.render(out)`` into one of three pre-allocated uint8 buffers (triple buffering):
  :meth:`FrameWorker.latest` never waits for a step, it returns the newest finished frame, which
  the worker never touches again until the caller asks for a newer one. A source with a
  ``version`` is rendered only when that changed (a resting model publishes nothing new).
  Commands (plant, damage,
  steer) are queued and applied on the worker thread between ticks. Torch releases the GIL
  inside its kernels, so the render loop keeps running while a step computes.

Pacing (threaded): fixed tick period ``1 / rate_hz`` seconds; ``dt`` is the wall time since the
last tick, at most four periods. When a tick overruns, time is dropped (no catch-up spiral).

Inline mode (``inline=True``): no thread; the caller's :meth:`FrameWorker.advance` applies
queued commands and runs as many ticks of exactly one period as its ``dt`` covers, on the
caller's clock, then publishes one frame. Renders, goldens and tests use it (an exhibit decides
by ``ctx.inline_models``) so that two runs with one seed give the same frames: a thread follows
the wall clock, not the render's simulated one. The live kiosk keeps its threads.

Failure modes: an exception inside a tick or command is stored in ``worker.error``, logged, and
stops the worker (thread or inline); ``latest()`` keeps returning the last good frame, so the
exhibit can notice ``worker.error`` and fall back. After :meth:`FrameWorker.stop` an inline
worker ignores :meth:`~FrameWorker.advance` and drops queued commands.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

CATCH_UP_PERIODS = 4  # a threaded tick is told at most this many periods passed (after a stall)


class FrameSource(Protocol):
    """What a worker drives: ``tick`` advances the model, ``render`` writes a frame into ``out``."""

    shape: tuple[int, ...]  # frame shape, e.g. (H, W, 4)
    # Optional: ``version``, an int that changes whenever the next frame would differ. A worker
    # then renders and publishes only changed frames, so ``latest()``'s sequence number stays put
    # while the model rests and the drawing side's caches keyed on it hold.

    def tick(self, dt: float) -> None: ...

    def render(self, out: np.ndarray) -> None: ...


class FrameWorker:
    """Ticks a :class:`FrameSource` at ``rate_hz`` on a thread or inline; see the module docstring.

    Args:
        source: the model to drive.
        rate_hz: ticks per second (each tick is one period of ``1 / rate_hz`` seconds).
        name: the thread's name (and the log's, when it fails).
        warmup_ticks: how many scratch ticks a subclass's ``start`` may run before the first
            frame (the base class runs none; :class:`models.engine.NCAWorker` does).
        inline: no thread; :meth:`advance` ticks on the caller's clock.
    """

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
        self._version: object = None  # the source's version at the last publish (if it has one)
        self._lock = threading.Lock()  # held only to swap buffer indices
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.tick_ms = 0.0  # duration of the last tick + render
        self.ticks = 0

    # -- caller side (render thread) --------------------------------------------------------
    def start(self) -> FrameWorker:
        """Publish a first frame, then start the thread (none inline). Returns self."""
        self._publish()
        if not self.inline:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self

    def advance(self, dt: float) -> None:
        """Inline mode: apply queued commands and tick for ``dt`` seconds of the caller's clock,
        then publish one frame. A no-op for a threaded worker (its thread keeps its own time),
        after :meth:`stop`, and after an error (which is stored in ``error``, as on a thread)."""
        if not self.inline or self.error is not None or self._stop.is_set():
            return
        self._acc += dt
        period = 1.0 / self.rate_hz
        ticked = False
        try:
            # the epsilon: a dt summed from float steps (1/60 × 3) may fall short of a period
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
        """Ask the thread to finish and wait up to ``timeout`` seconds (inline: stop at once)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        elif self.inline:
            self._discard()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, command: Callable[[], None]) -> None:
        """Run ``command()`` on the worker (its thread, or the next inline tick) before the next
        tick."""
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
        version = getattr(self.source, "version", None)
        if version is not None and self._seq and version == self._version:
            return  # unchanged since the last frame: nothing to render, nothing new to take
        self._version = version
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

    def _discard(self) -> None:
        while True:
            try:
                self._commands.get_nowait()
            except queue.Empty:
                return

    def _run(self) -> None:
        period = 1.0 / self.rate_hz
        nxt = time.perf_counter()
        last = nxt
        try:
            while not self._stop.is_set():
                self._drain()
                now = time.perf_counter()
                t0 = now
                self.source.tick(min(now - last, CATCH_UP_PERIODS * period))
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
