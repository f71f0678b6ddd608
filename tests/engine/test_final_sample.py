"""The state a run ends in (t = ticks * dt) can be recorded without disturbing the run."""

from __future__ import annotations

from app.engine import Simulator

from .support import comp, model

DOC = model([comp("ramp", "Ramp", slope=1.0), comp("noisy", "Sensor", noise_std=0.5)], [("ramp.out", "noisy.in")],
            dt=0.1)


def test_final_sample_is_the_state_at_the_end_of_the_run() -> None:
    sim = Simulator(DOC, record=["ramp.out"], record_every=4)
    sim.run(ticks=10)
    assert sim.recording is not None and sim.recording.times == [0.0, 0.4, 0.8]
    assert sim.record_final_sample() is True
    assert sim.recording.times[-1] == 1.0 and sim.recording.rows[-1] == (1.0,)
    assert sim.record_final_sample() is False  # already there


def test_evaluating_the_end_state_leaves_the_run_and_its_noise_unchanged() -> None:
    plain = Simulator(DOC, seed=3, record=["noisy.value"])
    plain.run(ticks=20)
    peeked = Simulator(DOC, seed=3, record=["noisy.value"])
    peeked.run(ticks=10)
    peeked.record_final_sample()
    assert peeked.recording is not None
    peeked.recording.times.pop()
    peeked.recording.rows.pop()
    peeked.run(ticks=10)
    assert plain.recording is not None and peeked.recording.rows == plain.recording.rows
