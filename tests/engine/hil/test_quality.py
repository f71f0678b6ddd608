"""Quality of PLC reads against a real PLC (asyncua peer): stale while it is away, bad on a Bad status, and the
served twin publishing such values as Uncertain/Bad rather than Good."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from asyncua import Client, ua

from app.engine import Simulator, parse_document
from app.engine.hil.client import OpcUaIO
from app.engine.hil.runner import TWIN_NAMESPACE_URI, TwinLink
from app.engine.io import BAD, GOOD, STALE, BindingSpec
from tests.engine.hil.conftest import AsyncuaPlc, wait_for
from tests.engine.hil.test_runner import FAST, free_port, loop_document, plc_loop

pytestmark = pytest.mark.timeout(90)


class Witness:
    """The real OpcUaIO, plus what each tick's read returned for binding 0 and the link state right after it."""

    def __init__(self, inner: OpcUaIO) -> None:
        self.inner = inner
        self.missing: list[bool] = []
        self.states: list[str] = []

    def open(self, reads: Sequence[BindingSpec], writes: Sequence[BindingSpec]) -> None:
        self.inner.open(reads, writes)

    def read(self) -> list[Any]:
        values = self.inner.read()
        self.missing.append(values[0] is None)
        self.states.append(self.inner.stats()["state"])
        return values

    def bad_reads(self) -> set[int]:
        return self.inner.bad_reads()

    def write(self, values: Sequence[Any]) -> None:
        self.inner.write(values)

    def close(self) -> None:
        self.inner.close()

    def stats(self) -> dict[str, Any]:
        return self.inner.stats()


@pytest.fixture
def linked() -> Iterator[Callable[..., TwinLink]]:
    made: list[TwinLink] = []

    def make(document: dict[str, Any], **options: Any) -> TwinLink:
        sim = Simulator(parse_document(document), record=["*"])
        witnessed = lambda endpoints, **kw: Witness(OpcUaIO(endpoints, **kw))  # noqa: E731
        link = TwinLink(sim, io_factory=witnessed, **{**FAST, **options})
        made.append(link)
        link.open()
        return link

    yield make
    for link in made:
        link.close()


def quality_column(link: TwinLink, port: str) -> list[int]:
    rec = link.sim.recording
    assert rec is not None
    i = rec.ports.index(f"{port}:quality")
    return [row[i] for row in rec.rows]


def served_status(url: str, ref: str) -> tuple[Any, int]:
    """Value and status code of a served twin's node, read by a plain asyncua client."""

    async def read() -> tuple[Any, int]:
        async with Client(url, timeout=5) as client:
            ns = await client.get_namespace_index(TWIN_NAMESPACE_URI)
            dv = await client.get_node(ua.NodeId(ref, ns)).read_data_value(raise_on_bad_status=False)
            return dv.Value.Value if dv.Value is not None else None, dv.StatusCode.value

    return asyncio.run(read())


def set_faulty(plc: AsyncuaPlc, faulty: bool) -> None:
    async def write() -> None:
        async with Client(plc.url, timeout=5) as client:
            ns = await client.get_namespace_index("urn:dtwin:test-plc")
            await client.get_node(ua.NodeId("Ctl.Faulty", ns)).write_value(ua.Variant(faulty, ua.VariantType.Boolean))

    asyncio.run(write())


def test_samples_recorded_while_the_plc_is_away_are_stale_and_only_those(
    make_plc: Callable[..., AsyncuaPlc], linked: Callable[..., TwinLink]
) -> None:
    plc = make_plc()
    link = linked(plc_loop(plc), server_port=free_port())
    io: Witness = link.io  # type: ignore[assignment]
    wait_for(lambda: link.sim.value("fb.in") == 3.0, step=lambda: link.run(ticks=5))
    assert served_status(link.server_url, "fb.in") == (3.0, ua.StatusCodes.Good)  # type: ignore[arg-type]
    plc.freeze()
    try:
        wait_for(lambda: link.io_state == "degraded", step=lambda: link.run(ticks=2))
        link.run(ticks=10)  # ticking on held values
        value, status = wait_for(lambda: (s := served_status(link.server_url, "fb.in"))[1] != ua.StatusCodes.Good and s)  # type: ignore[arg-type]
        assert (value, status) == (3.0, ua.StatusCodes.UncertainLastUsableValue)  # the held value, marked
    finally:
        plc.thaw()
    wait_for(lambda: link.io_state == "connected" and not io.missing[-1], step=lambda: link.run(ticks=2))
    link.run(ticks=5)

    marked = quality_column(link, "fb.in")
    assert marked == [STALE if missing else GOOD for missing in io.missing]  # one sample per tick read
    assert all(state == "degraded" for state, q in zip(io.states, marked, strict=True) if q == STALE)
    assert STALE in marked and marked[0] == GOOD and marked[-1] == GOOD
    first, last = marked.index(STALE), len(marked) - 1 - marked[::-1].index(STALE)
    assert set(marked[first : last + 1]) == {STALE}  # one stretch: the time the PLC was away

    status = link.status()
    quality = status["quality"]
    stale = marked.count(STALE)
    assert quality["stale"] == stale and quality["bad"] == 0 and quality["ticks"] == len(marked)
    assert quality["bindings"][0]["stale_ratio"] == stale / len(marked) == quality["stale_ratio"]
    assert quality["degraded_ticks"] == stale
    assert status["dropped_writes"] >= 1 and status["endpoints"]["plc"]["dropped_writes"] == status["dropped_writes"]
    assert status["degraded"] is True
    wait_for(lambda: served_status(link.server_url, "fb.in")[1] == ua.StatusCodes.Good, step=lambda: link.run(ticks=1))  # type: ignore[arg-type]


def test_a_bad_status_from_the_plc_marks_the_samples_bad_and_the_served_twin_bad(
    plc: AsyncuaPlc, linked: Callable[..., TwinLink]
) -> None:
    document = loop_document(
        plc.url, [{"port": "fb.in", "endpoint": "plc", "node_id": plc.node_id("Faulty.Double"), "direction": "read"}]
    )
    link = linked(document, server_port=free_port())
    wait_for(lambda: link.sim.value("fb.in") == 1.5, step=lambda: link.run(ticks=2))
    set_faulty(plc, True)
    try:
        wait_for(lambda: quality_column(link, "fb.in")[-1] == BAD, step=lambda: link.run(ticks=2))
        link.run(ticks=3)
        value, status = wait_for(lambda: (s := served_status(link.server_url, "fb.in"))[1] != ua.StatusCodes.Good and s)  # type: ignore[arg-type]
        assert (value, status) == (1.5, ua.StatusCodes.BadNoCommunication)
    finally:
        set_faulty(plc, False)
    wait_for(lambda: quality_column(link, "fb.in")[-1] == GOOD, step=lambda: link.run(ticks=2))

    marked = quality_column(link, "fb.in")
    quality = link.status()["quality"]
    assert STALE not in marked and quality["stale"] == 0
    assert quality["bad"] == marked.count(BAD) > 0
    assert link.status()["degraded"] is True
    assert link.status()["binding_errors"] == []  # cleared once the node is good again


def test_a_run_that_never_lost_its_plc_is_not_degraded(plc: AsyncuaPlc, linked: Callable[..., TwinLink]) -> None:
    link = linked(plc_loop(plc))
    wait_for(lambda: link.sim.value("fb.in") == 3.0, step=lambda: link.run(ticks=5))
    link.run(ticks=5)
    status = link.status()
    assert set(quality_column(link, "fb.in")[-5:]) == {GOOD}
    assert status["degraded"] is False and status["dropped_writes"] == 0
