"""Browse and connect-time Reads against a PLC peer that pages references and enforces operation limits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.engine.hil.probe import browse
from app.engine.io import EndpointSpec
from tests.engine.hil.conftest import NAMESPACE, AsyncuaPlc

pytestmark = pytest.mark.timeout(120)


def _browse(plc: AsyncuaPlc, tmp_path: Path, node: str) -> list[dict]:
    return browse(EndpointSpec(name="plc", url=plc.url), tmp_path, node)


def test_browse_follows_continuation_points_to_every_child(make_plc: Callable[..., AsyncuaPlc], tmp_path: Path) -> None:
    plc = make_plc("--folder-vars", "500", "--max-refs", "100")
    children = _browse(plc, tmp_path, plc.node_id("Folder"))
    assert sorted(c["browse_name"] for c in children) == sorted(f"Folder.{i}" for i in range(500))


def test_browse_splits_attribute_reads_by_the_advertised_limit(
    make_plc: Callable[..., AsyncuaPlc], tmp_path: Path
) -> None:
    # 500 variables x 5 attributes against MaxNodesPerRead 64, and 100 references per Browse result.
    plc = make_plc("--folder-vars", "500", "--max-refs", "100", "--max-read", "64")
    children = {c["browse_name"]: c for c in _browse(plc, tmp_path, plc.node_id("Folder"))}
    assert len(children) == 500
    assert children["Folder.7"] == {
        "node_id": f"nsu={NAMESPACE};s=Folder.7",
        "browse_name": "Folder.7",
        "display_name": "Folder.7",
        "node_class": "Variable",
        "data_type": "Double",
        "readable": True,
        "writable": False,
        "access_level": 1,
        "value_rank": -1,
        "array_dimensions": None,
        "description": "tag 7",
    }
    assert (children["Folder.8"]["writable"], children["Folder.8"]["access_level"]) == (True, 3)
    assert plc.server_stats()["MaxReadBatch"] <= 64


def test_browse_halves_reads_for_a_limit_the_server_does_not_advertise(
    make_plc: Callable[..., AsyncuaPlc], tmp_path: Path
) -> None:
    plc = make_plc("--folder-vars", "300", "--max-read", "50", "--hide-limits")
    children = _browse(plc, tmp_path, plc.node_id("Folder"))
    assert len(children) == 300
    assert all(c["data_type"] == "Double" for c in children)
    assert plc.server_stats()["MaxReadBatch"] <= 50


def test_browse_reports_array_dimensions(make_plc: Callable[..., AsyncuaPlc], tmp_path: Path) -> None:
    plc = make_plc()
    children = {c["browse_name"]: c for c in _browse(plc, tmp_path, plc.node_id("PLC"))}
    assert (children["Array.Double"]["value_rank"], children["Array.Double"]["array_dimensions"]) == (1, [3])
    assert (children["Cmd"]["value_rank"], children["Cmd"]["array_dimensions"]) == (-1, None)
