"""WallClock.set_time_scale: the next tick keeps its deadline, later ticks follow the new pace (no jump)."""

from __future__ import annotations

import pytest

from app.engine import WallClock
from app.engine import clock as clock_module


class FakeTime:
    """perf_counter/sleep on a clock that only moves when someone sleeps or spins."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 1e-6  # the spin-wait must make progress
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake_time = FakeTime()
    monkeypatch.setattr(clock_module, "time", fake_time)
    return fake_time


def test_a_faster_time_scale_starts_at_the_next_tick_deadline(fake: FakeTime) -> None:
    clock = WallClock(1.0)
    clock.start(0.1, 0)
    clock.wait(0)
    clock.wait(1)
    assert fake.now == pytest.approx(0.1, abs=1e-3)
    clock.set_time_scale(10.0)
    clock.wait(2)
    assert fake.now == pytest.approx(0.2, abs=1e-3)  # its deadline at the old pace: no jump
    clock.wait(3)
    assert fake.now == pytest.approx(0.21, abs=1e-3)
    clock.wait(12)
    assert fake.now == pytest.approx(0.30, abs=1e-3)
    assert clock.time_scale == 10.0 and clock.overruns == 0


def test_a_late_tick_is_not_caught_up_at_the_new_pace(fake: FakeTime) -> None:
    clock = WallClock(1.0)
    clock.start(0.1, 0)
    clock.wait(0)
    fake.now = 1.0  # the run fell behind by ~9 ticks
    clock.set_time_scale(2.0)
    clock.wait(1)
    clock.wait(2)
    assert fake.now == pytest.approx(1.05, abs=1e-3)


def test_time_scale_must_be_within_0_1_and_100() -> None:
    with pytest.raises(ValueError):
        WallClock(1.0).set_time_scale(0.01)
