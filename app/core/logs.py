"""Log records that say which request, run, user and project they belong to; text or JSON lines.

``RequestContextMiddleware`` (app/api/request_context.py) gives each HTTP request a ``LogContext``; the
principal and the first object looked up fill in user and project (app/api/security.py, app/services/access.py);
a run's thread sets its run id. ``ContextFilter`` copies them onto every record, so both formats can show them.
"""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

LogFormat = Literal["text", "json"]


@dataclass
class LogContext:
    """What a request's records carry; mutable, so what a threadpool dependency learns is seen afterwards."""

    request_id: str
    user: str | None = None
    project_id: int | None = None


request_context: ContextVar[LogContext | None] = ContextVar("dtwin_request_context", default=None)
run_context: ContextVar[int | None] = ContextVar("dtwin_run_id", default=None)


def note_user(user: str) -> None:
    context = request_context.get()
    if context is not None:
        context.user = user


def note_project(project_id: int | None) -> None:
    context = request_context.get()
    if context is not None and context.project_id is None:
        context.project_id = project_id


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``run_id``, ``user`` and ``project_id`` (None when unknown) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = request_context.get()
        record.request_id = context.request_id if context else None
        record.user = context.user if context else None
        record.project_id = context.project_id if context else None
        record.run_id = run_context.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the context, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "run_id", "user", "project_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_TAGS = (("request", "request_id"), ("run", "run_id"), ("user", "user"), ("project", "project_id"))


class TextFormatter(logging.Formatter):
    """``LEVEL logger: message [request=... run=... user=... project=...]``."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname:<7} {record.name}: {record.getMessage()}"
        tags = [
            f"{label}={value}"
            for label, key in _TAGS
            if (value := getattr(record, key, None)) is not None
        ]
        if tags:
            text += f" [{' '.join(tags)}]"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def uvicorn_log_config(log_format: LogFormat, level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and the app: one handler on stderr in the chosen format."""
    formatter = "app.core.logs.JsonFormatter" if log_format == "json" else "app.core.logs.TextFormatter"
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "default",
               "filters": ["context"]}  # fmt: skip
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "app.core.logs.ContextFilter"}},
        "formatters": {"default": {"()": formatter}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "app": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


def configure(log_format: LogFormat, level: str = "info") -> None:
    """Set up logging for a process that is not started by uvicorn (the same configuration)."""
    logging.config.dictConfig(uvicorn_log_config(log_format, level))
