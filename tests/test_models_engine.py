"""Inference engine: frames handed over without waiting, commands applied on the worker."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from models.catalog import list_targets
from models.cppn import CPPNField, Steer
from models.engine import CPPNWorker, FrameWorker, NCAWorker, configure_cpu, tune_allocator
from models.nca import NCA, NCACanvas, NCAConfig


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def growing_model() -> NCA:
    model = NCA(NCAConfig(targets=list_targets("digits")))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.08)
    return model.eval()


def wait_for(cond, timeout=10.0):
    t0 = time.monotonic()
    while not cond():
        assert time.monotonic() - t0 < timeout, "timed out"
        time.sleep(0.01)


def test_configure_cpu_leaves_a_core():
    info = configure_cpu()
    assert info["torch_threads"] >= 1
    assert isinstance(tune_allocator(), bool)


def test_nca_worker_hands_over_frames_and_applies_commands():
    canvas = NCACanvas(growing_model(), 48, 32, seed=0)
    worker = NCAWorker(canvas, steps_per_s=120, steps_per_tick=2).start()
    try:
        frame, seq = worker.latest()
        assert frame.shape == (32, 48, 4) and frame.dtype == np.uint8
        worker.plant("4", 24, 16)
        with pytest.raises(KeyError):
            worker.plant("nope", 1, 1)
        wait_for(lambda: worker.latest()[0][..., 3].max() > 0)
        # latest() never waits for a step: many calls take far less than one tick
        t0 = time.perf_counter()
        for _ in range(200):
            worker.latest()
        assert (time.perf_counter() - t0) / 200 < 0.002
        worker.damage(np.ones((32, 48), bool))
        wait_for(lambda: canvas.alive_count() == 0 or canvas.steps == 0)
        _, s1 = worker.latest()
        wait_for(lambda: worker.latest()[1] > s1)
    finally:
        worker.stop()
    assert not worker.running and worker.error is None


def test_worker_error_is_kept_and_last_frame_stays():
    canvas = NCACanvas(growing_model(), 16, 16, seed=0)
    worker = NCAWorker(canvas, steps_per_s=100).start()
    try:
        worker.submit(lambda: 1 / 0)
        wait_for(lambda: worker.error is not None)
        assert isinstance(worker.error, ZeroDivisionError)
        frame, _ = worker.latest()
        assert frame.shape == (16, 16, 4)
    finally:
        worker.stop()


def test_cppn_worker():
    worker = CPPNWorker(CPPNField("ink", 64, 36), fps=60).start()
    try:
        worker.steer([Steer(1, 0.5, 0.5)])
        _, s0 = worker.latest()
        wait_for(lambda: worker.latest()[1] > s0 + 3)
        frame, _ = worker.latest()
        assert frame.shape == (36, 64, 3) and frame.std() > 1.0
    finally:
        worker.stop()


class _Counter:
    """A frame source that counts its ticks and renders the count."""

    shape = (1, 1, 3)

    def __init__(self):
        self.ticks, self.log = 0, []

    def tick(self, dt):
        self.ticks += 1
        self.log.append(("tick", round(dt, 6)))

    def render(self, out):
        out[...] = self.ticks


def test_inline_worker_ticks_on_the_callers_clock_with_commands_first():
    src = _Counter()
    worker = FrameWorker(src, rate_hz=10.0, inline=True).start()
    assert not worker.running  # no thread
    worker.submit(lambda: src.log.append(("cmd",)))
    worker.advance(0.05)  # half a period: nothing yet
    assert src.ticks == 0 and worker.latest()[1] == 1
    worker.advance(0.26)  # 0.31 s in all: three ticks, the command before the first
    assert src.ticks == 3 and src.log[0] == ("cmd",)
    assert src.log[1:] == [("tick", 0.1)] * 3
    frame, seq = worker.latest()
    assert int(frame[0, 0, 0]) == 3 and seq == 2  # one frame published per advance


def test_inline_worker_stores_an_error_and_stops_ticking():
    class Broken(_Counter):
        def tick(self, dt):
            super().tick(dt)
            raise RuntimeError("model blew up")

    src = Broken()
    worker = FrameWorker(src, rate_hz=10.0, inline=True).start()
    worker.advance(0.5)
    assert isinstance(worker.error, RuntimeError) and src.ticks == 1
    worker.advance(0.5)
    assert src.ticks == 1
