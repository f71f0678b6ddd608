"""Campaigns: one scenario over a grid of parameter values and many seeds, on local processes or a Dask cluster.

``Campaign(scenario, model, seeds, sweeps, metrics)`` -> ``run_campaign(campaign, executor=...)`` ->
``CampaignResult`` (cases in (point, seed) order; ``to_dict`` is JSON-able) -> ``campaign_junit`` /
``campaign_html``. ``dask_executor(address)`` connects to a Dask scheduler; Dask is imported only then.
"""

from ._dask import dask_executor
from ._report import campaign_html, campaign_junit, format_point
from ._runner import CampaignResult, CaseResult, Distribution, PointSummary, run_campaign, run_case, run_chunk
from ._spec import (
    REDUCERS,
    Campaign,
    CampaignError,
    Metric,
    Sweep,
    apply_point,
    check_campaign,
    linspace,
    parse_metric,
    parse_sweep,
    parse_value,
    sweep_from_values,
)

__all__ = [
    "REDUCERS",
    "Campaign",
    "CampaignError",
    "CampaignResult",
    "CaseResult",
    "Distribution",
    "Metric",
    "PointSummary",
    "Sweep",
    "apply_point",
    "campaign_html",
    "campaign_junit",
    "check_campaign",
    "dask_executor",
    "format_point",
    "linspace",
    "parse_metric",
    "parse_sweep",
    "parse_value",
    "run_campaign",
    "run_case",
    "run_chunk",
    "sweep_from_values",
]
