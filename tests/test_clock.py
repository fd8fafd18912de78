"""The fixed-step clock: steps, alpha, clamping, the fake time source."""

from __future__ import annotations

import pytest

from runtime.clock import FakeTime, FixedStepClock, Pacer


def test_exact_frames_give_one_step_each():
    t = FakeTime()
    clock = FixedStepClock(1 / 60, time_fn=t)
    steps = []
    for _ in range(120):
        t.advance(1 / 60)
        steps.append(clock.tick().steps)
    assert steps == [1] * 120
    assert clock.steps_total == 120


def test_slow_frames_run_several_steps_and_report_alpha():
    t = FakeTime()
    clock = FixedStepClock(0.01, time_fn=t)
    t.advance(0.035)
    tick = clock.tick()
    assert tick.steps == 3
    assert tick.alpha == pytest.approx(0.5, abs=1e-6)
    t.advance(0.005)
    tick = clock.tick()
    assert tick.steps == 1 and tick.alpha == pytest.approx(0.0, abs=1e-6)


def test_fast_frames_accumulate_until_a_step_is_due():
    t = FakeTime()
    clock = FixedStepClock(1 / 30, time_fn=t)
    got = []
    for _ in range(4):
        t.advance(1 / 120)
        got.append(clock.tick().steps)
    assert got == [0, 0, 0, 1]


def test_a_stall_is_clamped_not_replayed():
    t = FakeTime()
    clock = FixedStepClock(1 / 60, max_frame_s=0.25, time_fn=t)
    t.advance(10.0)
    tick = clock.tick()
    assert tick.steps == 15  # 0.25 s worth, not 600 steps
    assert clock.dropped_s == pytest.approx(9.75)


def test_time_never_goes_backwards():
    t = FakeTime(5.0)
    clock = FixedStepClock(1 / 60, time_fn=t)
    t.t = 4.0
    assert clock.tick().steps == 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        FixedStepClock(0)
    with pytest.raises(ValueError):
        FixedStepClock(0.1, max_frame_s=0.05)


def test_pacer_sleeps_to_the_next_frame_and_drops_a_backlog():
    t = FakeTime(10.0)
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(round(s, 6))
        t.advance(s)

    pacer = Pacer(0.1, time_fn=t, sleep_fn=sleep)
    t.advance(0.03)  # a frame that took 30 ms
    pacer.wait()
    assert slept == [0.07] and abs(t() - 10.1) < 1e-9
    t.advance(0.15)  # 50 ms late: still on the schedule, no sleep
    pacer.wait()
    assert slept == [0.07] and abs(pacer.next_t - 10.2) < 1e-9
    t.advance(0.5)  # far behind: the schedule restarts from now instead of a burst
    pacer.wait()
    assert slept == [0.07] and pacer.next_t == t()
