"""Per-stage timing and frame statistics for the loop, the bench and the diagnostic graph.

:class:`StageTimer` accumulates milliseconds per named stage (``input``, ``update``, ``draw``,
``present``, and any an exhibit adds such as ``model``). :class:`FrameStats` keeps the last N frame
times for graphs and all of them (bounded) for percentiles. Times come from an injectable clock.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np


class StageTimer:
    """Accumulates per-stage durations (ms) between :meth:`reset` calls."""

    def __init__(self, time_fn: Callable[[], float] = time.perf_counter) -> None:
        self.time_fn = time_fn
        self.total_ms: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.last_ms: dict[str, float] = {}

    @contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        t0 = self.time_fn()
        try:
            yield
        finally:
            self.add(stage, (self.time_fn() - t0) * 1000.0)

    def add(self, stage: str, ms: float) -> None:
        self.total_ms[stage] = self.total_ms.get(stage, 0.0) + ms
        self.count[stage] = self.count.get(stage, 0) + 1
        self.last_ms[stage] = ms

    def mean_ms(self, frames: int) -> dict[str, float]:
        """Mean ms per *frame* for each stage (a stage run twice a frame counts twice)."""
        n = max(1, frames)
        return {k: round(v / n, 3) for k, v in self.total_ms.items()}

    def reset(self) -> None:
        self.total_ms.clear()
        self.count.clear()


class FrameStats:
    """Frame durations in ms: a short ring for graphs and a long record for percentiles."""

    def __init__(self, graph_len: int = 240, keep: int = 200_000) -> None:
        self.recent: deque[float] = deque(maxlen=graph_len)
        self.all: deque[float] = deque(maxlen=keep)

    def add(self, ms: float) -> None:
        self.recent.append(ms)
        self.all.append(ms)

    def percentiles(self, skip: int = 0) -> dict[str, float]:
        """p50/p95/p99/max of every recorded frame after the first ``skip`` (warm-up)."""
        data = np.asarray(list(self.all)[skip:], dtype=np.float64)
        if data.size == 0:
            return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
        p50, p95, p99 = np.percentile(data, [50, 95, 99])
        return {"p50": round(float(p50), 3), "p95": round(float(p95), 3),
                "p99": round(float(p99), 3), "max": round(float(data.max()), 3)}


def rss_mb() -> float:
    """Resident memory of this process in MiB (Linux ``/proc``; 0.0 where unavailable)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
