"""Campaigns of a stored scenario: checked up front (sweeps, seeds, metrics against the model), run in the background.

A campaign belongs to the project of its scenario. Every problem with the request is a 422 located in the body
(``body.sweep.tank.area``, ``body.metrics[0]``); a campaign larger than ``MAX_CAMPAIGN_RUNS`` runs, or whose single
run would pass the run limits, is refused before anything runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from app import engine
from app.core.errors import ConflictError, NotFoundError, UnprocessableError
from app.db.base import utcnow
from app.db.campaigns import ACTIVE_CAMPAIGN_STATUSES
from app.db.campaigns import Campaign as CampaignRow
from app.db.models import Project
from app.db.scenarios import Scenario
from app.engine.campaigns import (
    Campaign,
    CampaignError,
    CampaignResult,
    CaseResult,
    Metric,
    Sweep,
    campaign_html,
    campaign_junit,
    check_campaign,
    parse_metric,
    sweep_from_values,
)
from app.engine.scenarios import recorded_ports
from app.schemas.campaigns import CampaignCreate
from app.services import access, limits
from app.services.campaign_runner import STOPPED_MESSAGE, CampaignRunner, decode_cases
from app.services.common import get_or_404, paginate
from app.services.scenarios import _checked, _model_document

STOP_WAIT_SECONDS = 2.0

__all__ = ["create", "get", "html", "junit", "list_", "read", "reproduce_body", "stop"]


def get(session: Session, campaign_id: int) -> CampaignRow:
    """The campaign row, or 404 (also when the request may not see it)."""
    return get_or_404(session, CampaignRow, campaign_id)


def _invalid(message: str, problems: list[dict[str, Any]]) -> UnprocessableError:
    return UnprocessableError(message, problems, code="invalid_campaign")


def _too_large(runs: int, limit: int) -> UnprocessableError:
    return UnprocessableError(
        f"the campaign has {runs} runs, more than the limit of {limit} (setting MAX_CAMPAIGN_RUNS)",
        [{"loc": "body.seeds", "runs": runs, "limit": limit}],
        code="campaign_too_large",
    )


def _seeds(body: CampaignCreate, default: int, limit: int) -> tuple[int, ...]:
    if body.seeds is None:
        return (default,)
    if isinstance(body.seeds, int):
        if body.seeds < 1:
            raise _invalid("body.seeds: give at least 1", [{"loc": "body.seeds", "message": "must be >= 1"}])
        if body.seeds > limit:
            raise _too_large(body.seeds, limit)
        return tuple(range(body.seeds))
    return tuple(body.seeds)


def _parsed(body: CampaignCreate) -> tuple[tuple[Sweep, ...], tuple[Metric, ...], list[dict[str, Any]]]:
    """The sweeps and metrics of the body, and the syntax problems of those that do not parse."""
    problems: list[dict[str, Any]] = []
    sweeps = []
    for target, values in body.sweep.items():
        try:
            sweeps.append(sweep_from_values(target, values))
        except CampaignError as exc:
            problems.append({"loc": f"body.sweep.{target}", "message": exc.message})
    metrics = []
    for i, text in enumerate(body.metrics):
        try:
            metrics.append(parse_metric(text))
        except CampaignError as exc:
            problems.append({"loc": f"body.metrics[{i}]", "message": exc.message})
    return tuple(sweeps), tuple(metrics), problems


def _body_loc(loc: str, campaign: Campaign) -> str:
    """``sweep[1]`` -> ``body.sweep.level_pid.kp`` and so on: where in the request body a problem is."""
    kind, _, rest = loc.partition("[")
    index = int(rest.rstrip("]")) if rest else None
    if kind == "sweep" and index is not None:
        return f"body.sweep.{campaign.sweeps[index].target}"
    if kind == "set" and index is not None:
        return f"body.parameters.{list(campaign.fixed)[index]}"
    if kind == "metrics" and index is not None:
        return f"body.metrics[{index}]"
    return {"seeds": "body.seeds", "scenario": "body.scenario_id", "metrics": "body.metrics"}.get(kind, "body.sweep")


def create(session: Session, runner: CampaignRunner, body: CampaignCreate) -> CampaignRow:
    """Check the campaign against the scenario's model as it is now, store it pending, start it once committed."""
    scenario_row = get_or_404(session, Scenario, body.scenario_id, "body.scenario_id")
    document, model, scenario = _checked(session, scenario_row.document, scenario_row.machine_model_id)
    model_doc = _model_document(session, model)
    problems = engine.check_model(model_doc)
    if problems:
        raise UnprocessableError(
            f"machine model {model.id} cannot run: {problems[0].get('message', '')}",
            [{"loc": "body.scenario_id", **p} for p in problems],
            code="invalid_model",
        )
    limit = limits.settings_of(session).max_campaign_runs
    sweeps, metrics, problems = _parsed(body)
    campaign = Campaign(scenario, model_doc, seeds=_seeds(body, scenario.seed, limit), sweeps=sweeps,
                        metrics=metrics, fixed=dict(body.parameters))
    if campaign.runs > limit:  # before the checks, which visit every grid point
        raise _too_large(campaign.runs, limit)
    problems += [{**p, "loc": _body_loc(p["loc"], campaign)} for p in check_campaign(campaign)]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise _invalid(f"{problems[0]['loc']}: {problems[0]['message']}{more}", problems)
    dt = scenario.dt or model_doc.dt
    ticks = limits.run_ticks(scenario.duration, dt)
    ports = len(set(recorded_ports(scenario, model_doc)) | {m.port for m in metrics})
    limits.check_run_size(session, ticks=ticks, values=ticks * ports, what="each run of the campaign",
                          loc={"ticks": "body.scenario_id", "values": "body.metrics"})
    request = {"seeds": list(campaign.seeds), "sweep": {s.target: list(s.values) for s in sweeps},
               "parameters": dict(campaign.fixed), "metrics": [m.name for m in metrics], "worst": body.worst}
    row = CampaignRow(
        scenario_id=scenario_row.id, machine_model_id=model.id, project_id=model.project_id,
        scenario_name=scenario.name, model_name=model.name, model_hash=model_doc.digest(),
        engine_version=engine.ENGINE_VERSION, status="pending", request=request, document=document,
        executor=runner.describe(), runs_total=campaign.runs, runs_done=0, runs_passed=0, wall_time=0.0,
    )
    session.add(row)
    session.flush()
    campaign_id = row.id
    # The thread writes to this row from its own session: start it only once the row is committed.
    event.listen(session, "after_commit", lambda _s: runner.launch(campaign_id, campaign, body.worst), once=True)
    return row


def list_(session: Session, limit: int, offset: int, project_id: int | None = None,
          scenario_id: int | None = None) -> tuple[Sequence[CampaignRow], int]:
    """Campaigns newest first, optionally of one project and/or scenario."""
    stmt = access.restrict(session, select(CampaignRow).order_by(CampaignRow.id.desc()), CampaignRow.project_id)
    if project_id is not None:
        get_or_404(session, Project, project_id, "project_id")
        stmt = stmt.where(CampaignRow.project_id == project_id)
    if scenario_id is not None:
        get_or_404(session, Scenario, scenario_id, "scenario_id")
        stmt = stmt.where(CampaignRow.scenario_id == scenario_id)
    return paginate(session, stmt, limit, offset)


def stop(session: Session, runner: CampaignRunner, row: CampaignRow) -> CampaignRow:
    """Stop an active campaign: no new run starts; it ends ``aborted`` with the runs that finished. 409 if it ended."""
    if row.status not in ACTIVE_CAMPAIGN_STATUSES:
        raise ConflictError(f"campaign {row.id} is not active: it is {row.status}",
                            [{"id": row.id, "status": row.status}], code="campaign_not_active")
    if not runner.stop(row.id, wait=STOP_WAIT_SECONDS):
        # Not going in this process (its thread already ended or never started): mark it here.
        session.execute(
            sql_update(CampaignRow)
            .where(CampaignRow.id == row.id, CampaignRow.status.in_(ACTIVE_CAMPAIGN_STATUSES))
            .values(status="aborted", error=STOPPED_MESSAGE, finished_at=utcnow())
        )
    session.refresh(row)
    return row


def reproduce_body(row: CampaignRow, result: CampaignResult, case: CaseResult) -> dict[str, Any]:
    """The ``POST /campaigns`` body that runs exactly this case again: its seed and every parameter it ran with."""
    return {"scenario_id": row.scenario_id, "seeds": [case.seed], "parameters": result.case_parameters(case)}


def read(row: CampaignRow, summary: bool = True) -> dict[str, Any]:
    """The row's fields, the pass rate, and (when asked and ended) the summary with a reproduce body per worst case."""
    fields = {c.key: getattr(row, c.key) for c in CampaignRow.__table__.columns if c.key not in ("cases", "summary")}
    fields["pass_rate"] = row.runs_passed / row.runs_done if row.runs_done else None
    fields["summary"] = None
    if summary and row.summary is not None:
        result = CampaignResult.from_summary(row.summary, [])
        data = dict(row.summary)
        data["worst"] = [{**c, "reproduce": reproduce_body(row, result, CaseResult.from_dict(c))}
                         for c in data["worst"]]
        fields["summary"] = data
    return fields


def _result(row: CampaignRow) -> CampaignResult:
    if row.summary is None:
        raise NotFoundError(
            f"campaign {row.id} has no result: it is {row.status}" + (f" ({row.error})" if row.error else ""),
            [{"id": row.id, "status": row.status}],
            code="no_result",
        )
    return CampaignResult.from_summary(row.summary, decode_cases(row.cases))


def _reproduce_text(row: CampaignRow) -> Any:
    def text(result: CampaignResult, case: CaseResult) -> str:
        return f"POST /api/v1/campaigns {json.dumps(reproduce_body(row, result, case), separators=(',', ':'))}"

    return text


def junit(row: CampaignRow) -> str:
    """JUnit XML of the campaign: a testsuite per grid point, a testcase per seed."""
    return campaign_junit(_result(row), _reproduce_text(row))


def html(row: CampaignRow) -> str:
    """The campaign's offline HTML summary."""
    return campaign_html(_result(row), _reproduce_text(row), title=f"Campaign {row.id}: {row.scenario_name}")
