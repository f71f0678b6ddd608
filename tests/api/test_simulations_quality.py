"""Quality of PLC reads in HIL runs over the HTTP stack (asyncua PLC peer): telemetry marks the stale samples, the run
record carries the ratios, dropped writes and ``degraded``, and the status stays what it was."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_simulations import API, import_model, start, status, wait_until
from tests.api.test_simulations_hil import hil_model, loop_document, stop
from tests.cli.test_simulate_degraded import set_faulty
from tests.engine.hil.conftest import AsyncuaPlc

pytestmark = pytest.mark.timeout(120)


def telemetry(client: TestClient, run_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/{run_id}/telemetry")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def faulty(plc: AsyncuaPlc) -> Iterator[AsyncuaPlc]:
    set_faulty(plc, True)
    yield plc
    set_faulty(plc, False)


def test_samples_recorded_while_the_plc_was_frozen_are_marked_stale_and_counted(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc
) -> None:
    run = start(client, hil_model(client, project, plc), mode="hil", record={"ports": ["fb.*"]})
    wait_until(lambda: status(client, run["id"]), lambda s: s["status"] == "running", "running")
    try:
        plc.freeze()
        wait_until(lambda: status(client, run["id"]), lambda s: s["io"]["quality"]["stale"] >= 10, "stale samples")
    finally:
        plc.thaw()
    wait_until(lambda: status(client, run["id"]), lambda s: s["status"] == "running" and s["io"]["reconnects"] >= 1,
               "running again")  # fmt: skip
    final = stop(client, run["id"])
    assert final["status"] == "stopped" and final["degraded"] is True and final["io"]["degraded"] is True

    data = telemetry(client, run["id"])
    assert data["ports"][data["ports"].index("fb.in") + 1] == "fb.in:quality"
    marked = data["series"]["fb.in:quality"]
    quality = final["io"]["quality"]
    assert quality["stale"] == marked.count(1) and quality["bad"] == marked.count(2) == 0
    assert quality["ticks"] == len(marked) and quality["stale_ratio"] == marked.count(1) / len(marked)
    assert quality["bindings"][0]["port"] == "fb.in" and quality["bindings"][0]["stale"] == quality["stale"]
    assert final["io"]["dropped_writes"] >= 1 and final["io"]["seconds_degraded"] > 0
    # Good samples before the PLC froze and after it came back (a single read may also miss its tick on a loaded
    # machine: that sample is rightly stale too, so the freeze is the longest stale stretch, not the only one).
    stretches = [m.span() for m in re.finditer(r"1+", "".join(map(str, marked)))]
    freeze_start, freeze_end = max(stretches, key=lambda span: span[1] - span[0])
    assert 0 in marked[:freeze_start] and 0 in marked[freeze_end:]


def test_a_run_that_read_bad_values_completes_and_says_it_was_degraded(
    client: TestClient, project: dict[str, Any], faulty: AsyncuaPlc
) -> None:
    document = loop_document(faulty.url, faulty.node_id("Cmd"), faulty.node_id("Faulty.Double"))
    model_id = import_model(client, project["id"], document)["id"]
    run = start(client, model_id, mode="hil", duration=0.4, record={"ports": ["fb.in"]})
    final = wait_until(lambda: status(client, run["id"]), lambda s: s["status"] not in ("pending", "running"), "end")
    assert final["status"] == "completed" and final["degraded"] is True
    quality = final["io"]["quality"]
    assert quality["bad"] == quality["ticks"] > 0 and quality["stale"] == 0 and quality["bad_ratio"] == 1.0
    assert set(telemetry(client, run["id"])["series"]["fb.in:quality"]) == {2}


def test_a_run_with_every_sample_good_is_not_degraded(
    client: TestClient, project: dict[str, Any], plc: AsyncuaPlc
) -> None:
    run = start(client, hil_model(client, project, plc), mode="hil", duration=0.4, record={"ports": ["fb.in"]})
    final = wait_until(lambda: status(client, run["id"]), lambda s: s["status"] not in ("pending", "running"), "end")
    assert final["status"] == "completed" and final["degraded"] is False
    assert final["io"]["quality"]["stale"] == 0 and final["io"]["dropped_writes"] == 0
    assert set(telemetry(client, run["id"])["series"]["fb.in:quality"]) == {0}
