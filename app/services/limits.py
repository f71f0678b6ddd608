"""Limits on what one run may cost (ticks, recorded values), refused up front with the numbers.

The request's settings reach the services through ``session.info`` (set by the session dependency), so
the limits follow the same configuration as everything else the request does; without them (the CLI, a
script) the defaults of ``Settings`` apply.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.errors import UnprocessableError

SETTINGS_KEY = "settings"


def settings_of(session: Session) -> Settings:
    """The request's settings, or the defaults of ``Settings`` for a session no request opened."""
    settings = session.info.get(SETTINGS_KEY)
    return settings if isinstance(settings, Settings) else Settings.model_construct()


def _limit(session: Session, name: str) -> int:
    return int(getattr(settings_of(session), name))


def run_ticks(duration: float, dt: float) -> int:
    """Ticks of a run of ``duration`` seconds at step ``dt`` (the final state at t = duration included)."""
    return math.floor(duration / dt + 1e-6) + 1


def check_run_size(session: Session, *, ticks: int, values: int, what: str, loc: dict[str, Any]) -> None:
    """422 naming both numbers when a run would take more ticks or record more values than allowed."""
    max_ticks, max_values = _limit(session, "max_run_ticks"), _limit(session, "max_recorded_values")
    problems = []
    if ticks > max_ticks:
        problems.append({"loc": loc.get("ticks", "body.duration"), "ticks": ticks, "limit": max_ticks,
                         "message": f"{ticks} ticks is more than the limit of {max_ticks} (setting MAX_RUN_TICKS); "
                                    "shorten the duration or use a larger dt"})
    if values > max_values:
        problems.append({"loc": loc.get("values", "body.record"), "values": values, "limit": max_values,
                         "message": f"{values} recorded values is more than the limit of {max_values} (setting "
                                    "MAX_RECORDED_VALUES); record fewer ports or less often"})
    if problems:
        raise UnprocessableError(f"{what} is too large: {problems[0]['message']}", problems, code="run_too_large")
