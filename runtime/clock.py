"""Fixed-step clock with an injectable time source.

The loop asks :meth:`FixedStepClock.tick` once per frame. It measures the real frame time with
the injected ``time_fn`` (``time.perf_counter`` by default, :class:`FakeTime` in tests), clamps it
to ``max_frame_s`` so a stall (a swapped-out process, a debugger) drops time instead of spiralling
into a burst of catch-up steps, and returns how many fixed steps of ``step_s`` seconds to run plus
``alpha`` (0..1), the fraction of a step left over, which ``draw`` may use to interpolate.

:class:`Pacer` is the one real-time pacing loop: the live kiosk (:mod:`runtime.run`) and the
paced bench (:mod:`runtime.headless`) sleep through it between frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


class FakeTime:
    """A manual clock for tests and offline rendering: ``now()`` only changes via ``advance``."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = float(start)

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class Tick:
    """One frame's worth of clock: ``steps`` fixed updates, interpolation ``alpha``, ``frame_s``."""

    steps: int
    alpha: float
    frame_s: float
    now: float


class FixedStepClock:
    """Accumulator-based fixed-step clock.

    Args:
        step_s: fixed update step in seconds (default 1/60).
        max_frame_s: longest frame time that is simulated; longer frames drop the excess (0.25).
        time_fn: seconds, monotonic; injectable for tests.
    """

    def __init__(self, step_s: float = 1 / 60, max_frame_s: float = 0.25,
                 time_fn: Callable[[], float] = time.perf_counter) -> None:
        if step_s <= 0 or max_frame_s < step_s:
            raise ValueError("need 0 < step_s <= max_frame_s")
        self.step_s = step_s
        self.max_frame_s = max_frame_s
        self.time_fn = time_fn
        self._last = time_fn()
        self._acc = 0.0
        self.dropped_s = 0.0
        self.steps_total = 0

    def now(self) -> float:
        return self.time_fn()

    def tick(self) -> Tick:
        now = self.time_fn()
        frame = max(0.0, now - self._last)
        self._last = now
        if frame > self.max_frame_s:
            self.dropped_s += frame - self.max_frame_s
            frame = self.max_frame_s
        self._acc += frame
        # A small epsilon keeps an exact multiple (1/60 + 1/60 …) from losing a step to rounding.
        steps = int((self._acc + 1e-9) / self.step_s)
        self._acc = max(0.0, self._acc - steps * self.step_s)
        self.steps_total += steps
        return Tick(steps=steps, alpha=min(1.0, self._acc / self.step_s), frame_s=frame, now=now)


class Pacer:
    """Real-time pacing for a frame loop (the live kiosk and the paced bench share it).

    Call :meth:`wait` after each frame: it sleeps until the next frame is due, one ``period_s``
    after the last one was due. A loop that fell more than a period behind starts its schedule
    again from now instead of running a burst of frames to catch up.

    Args:
        period_s: seconds per frame (``1 / display.fps``).
        start_t: when the first frame was due (default: now).
        time_fn / sleep_fn: injectable for tests (``time.perf_counter``, ``time.sleep``).
    """

    def __init__(self, period_s: float, *, start_t: float | None = None,
                 time_fn: Callable[[], float] = time.perf_counter,
                 sleep_fn: Callable[[float], None] = time.sleep) -> None:
        self.period_s = period_s
        self.time_fn = time_fn
        self.sleep_fn = sleep_fn
        self.next_t = time_fn() if start_t is None else start_t

    def wait(self) -> None:
        self.next_t += self.period_s
        delay = self.next_t - self.time_fn()
        if delay > 0:
            self.sleep_fn(delay)
        elif delay < -self.period_s:
            self.next_t = self.time_fn()  # fell behind: don't try to catch up in a burst
