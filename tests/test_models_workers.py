"""models.workers: the one frame worker (threaded or inline) is importable without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from models.workers import FrameWorker

ROOT = Path(__file__).resolve().parent.parent


class _Counter:
    shape = (1, 1, 3)

    def __init__(self):
        self.ticks = 0

    def tick(self, dt):
        self.ticks += 1

    def render(self, out):
        out[...] = self.ticks % 256


def test_the_worker_module_imports_no_torch():
    code = "import sys, models.workers; assert 'torch' not in sys.modules, 'torch loaded'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_the_engine_reexports_the_same_worker():
    from models import engine

    assert engine.FrameWorker is FrameWorker


def test_a_stopped_inline_worker_drops_its_commands_and_keeps_its_last_frame():
    src = _Counter()
    worker = FrameWorker(src, rate_hz=10.0, inline=True).start()
    worker.advance(0.1)
    ran = []
    worker.submit(lambda: ran.append(1))
    worker.stop()
    worker.advance(1.0)
    frame, seq = worker.latest()
    assert src.ticks == 1 and ran == [] and seq == 2 and int(np.asarray(frame)[0, 0, 0]) == 1


def test_inline_ticks_do_not_drift_over_many_small_steps():
    src = _Counter()
    worker = FrameWorker(src, rate_hz=48.0, inline=True).start()
    for _ in range(600):  # 10 s in steps of 1/60 s
        worker.advance(1 / 60)
    assert src.ticks == 480


class _Resting(_Counter):
    """Changes only while ``moving``: it has a version, so unchanged frames are not published."""

    def __init__(self):
        super().__init__()
        self.moving, self.version, self.renders = True, 0, 0

    def tick(self, dt):
        super().tick(dt)
        self.version += self.moving

    def render(self, out):
        self.renders += 1
        super().render(out)


def test_a_source_with_a_version_publishes_only_changed_frames():
    src = _Resting()
    worker = FrameWorker(src, rate_hz=10.0, inline=True).start()
    worker.advance(0.1)
    _, seq = worker.latest()
    assert seq == 2 and src.renders == 2
    src.moving = False
    for _ in range(5):
        worker.advance(0.1)
    frame, same = worker.latest()
    assert same == seq and src.renders == 2 and int(frame[0, 0, 0]) == 1  # nothing re-rendered
    src.moving = True
    worker.advance(0.1)
    frame, newer = worker.latest()
    assert newer == seq + 1 and int(frame[0, 0, 0]) == 7
