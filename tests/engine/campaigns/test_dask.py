"""The same campaign on a real Dask cluster (a scheduler and two workers on loopback, as subprocesses) gives the very
same result as on local processes: same cases, verdicts and numbers, in the same order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.engine.campaigns import CampaignError, dask_executor, run_campaign
from tests.engine.campaigns.support import campaign
from tests.peers.dask_cluster import DaskCluster

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskCluster]:
    with DaskCluster(workers=2) as running:
        yield running


def test_a_campaign_on_dask_equals_the_local_run_bit_for_bit(cluster: DaskCluster) -> None:
    local = run_campaign(campaign(), workers=2)
    with dask_executor(cluster.address) as (executor, threads):
        remote = run_campaign(campaign(), executor=executor, workers=threads, executor_name="dask")
    assert threads == 2
    assert remote.executor == "dask" and remote.counts() == local.counts()
    assert remote.verdicts() == local.verdicts()
    assert [c.metrics for c in remote.cases] == [c.metrics for c in local.cases]  # floats equal, not approximately


def test_an_unreachable_scheduler_is_a_campaign_error() -> None:
    with pytest.raises(CampaignError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        with dask_executor("tcp://127.0.0.1:9", timeout=1):
            pass
