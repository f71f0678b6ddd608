"""RunWriter: chunks grow until full, then the next starts; every row is stored once, in order, whatever the pace."""

from __future__ import annotations

from sqlalchemy import select

from app.db.runs import RunTelemetry, SimulationRun
from app.db.session import get_session_factory
from app.db.telemetry import RunTelemetryChunk
from app.services.telemetry_codec import decode_chunk
from app.services.telemetry_writer import RecordedRows, RunWriter


def test_a_slow_run_grows_its_last_chunk_and_a_fast_one_starts_new_ones(database_url: str) -> None:
    factory = get_session_factory(database_url)
    with factory() as session, session.begin():
        run = SimulationRun(model_name="m", model_hash="0" * 64, engine_version="t", dt=0.1, tick=0, sim_time=0.0,
                            wall_time=0.0, overruns=0, mean_lateness=0.0, max_lateness=0.0)
        session.add(run)
        session.flush()
        run_id = run.id
    times: list[float] = []
    rows: list[tuple[float, bool]] = []
    recorded = RecordedRows(["x.out", "x.on"], times, rows, port_types={"x.out": "float", "x.on": "bool"}, dt=0.1,
                            max_samples=1_000_000)
    writer = RunWriter(factory, run_id, recorded)
    writer.begin({"status": "running"})
    full = writer._chunk_rows()

    def record(count: int) -> None:
        for _ in range(count):
            k = len(rows)
            times.append(k * 0.1)
            rows.append((k * 0.5, k % 3 == 0))

    for _ in range(5):  # slow: a few rows per write, all into the first chunk
        record(7)
        writer._write({"tick": len(rows)}, len(rows))
    record(full)  # fast: more than a chunk at once starts a new one
    writer._write(None, len(rows))
    record(3)
    writer.finish({"status": "completed"})

    with factory() as session:
        chunks = list(session.scalars(
            select(RunTelemetryChunk).where(RunTelemetryChunk.run_id == run_id).order_by(RunTelemetryChunk.seq)))
        header = session.scalar(select(RunTelemetry).where(RunTelemetry.run_id == run_id))
        assert [c.samples for c in chunks] == [35, full, 3] and [c.seq for c in chunks] == [1, 2, 3]
        assert header is not None and header.samples == len(rows) == 38 + full
        stored_times: list[float] = []
        stored_rows: list[tuple[float, bool]] = []
        for c in chunks:
            t, (values, flags), _kinds = decode_chunk(c.data)
            stored_times += list(t)
            stored_rows += list(zip(values, flags))
            assert c.first_tick == round(t[0] / 0.1) and c.last_tick == round(t[-1] / 0.1)
        assert stored_times == times and stored_rows == rows
