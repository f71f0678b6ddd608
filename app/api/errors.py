"""One error shape for every 4xx/5xx: ``{"error": {"code", "message", "details": [...]}}``."""

from __future__ import annotations

import json
import logging
import math
import reprlib
from http import HTTPStatus
from itertools import islice
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import AppError, ConflictError, NotFoundError, UnprocessableError
from app.engine._exceptions import SimulationError

__all__ = [
    "AppError",
    "ConflictError",
    "NotFoundError",
    "UnprocessableError",
    "error_responses",
    "http_error",
    "install",
]

logger = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["project 42 not found"])
    details: list[dict[str, Any]] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


_DESCRIPTIONS = {
    400: "The Host header names a server this one does not answer to (setting ALLOWED_HOSTS)",
    401: "No valid session or API token (once a user exists, every route but sign-in and /health needs one)",
    403: "The caller sees the object but its role (or a missing PLC-write grant) does not allow this; or a "
    "cross-site request tried to change this server (its Origin is neither this server nor a CORS origin)",
    404: "A referenced object does not exist",
    409: "Conflicts with existing data (duplicate name, input port already driven, ...)",
    413: "The request body is larger than the limit (setting MAX_BODY_BYTES)",
    422: "The request is not acceptable; `details` lists every problem with its location",
    429: "Too many requests of this kind are in progress (waits on a PLC: settings PLC_WAITS_PER_USER and "
    "PLC_WAITS_TOTAL); refused at once, retry after `Retry-After` seconds",
    502: "An outside server (e.g. the OPC UA endpoint) could not be reached or used; `details` say why",
}


_HEADERS: dict[int, dict[str, Any]] = {
    429: {"headers": {"Retry-After": {"description": "seconds after which a retry may find a free slot",
                                      "schema": {"type": "integer"}}}},
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` mapping that documents error codes of a route in OpenAPI."""
    return {
        code: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(code, "Error"), **_HEADERS.get(code, {})}
        for code in status_codes
    }


# A bad value echoed back can never make an error large: texts are cut, containers shortened, and the
# whole details list is held to a byte budget.
MAX_TEXT = 200
MAX_ITEMS = 20
MAX_DETAILS = 50
MAX_DETAILS_BYTES = 32_000
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 2, 5, 5, 60, 60, 40


def bounded(value: Any, depth: int = 0) -> Any:
    """``value`` made small enough to echo in an error (JSON-able, finite numbers, cut texts)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else f"{value[:MAX_TEXT]}... ({len(value)} characters)"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, int):
        return value if abs(value) < 2**63 else f"an integer of {value.bit_length()} bits"
    if depth < 3 and isinstance(value, list | tuple):
        items = [bounded(item, depth + 1) for item in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"... {len(value) - MAX_ITEMS} more")
        return items
    if depth < 3 and isinstance(value, dict):
        out = {bounded(str(k)): bounded(v, depth + 1) for k, v in islice(value.items(), MAX_ITEMS)}
        if len(value) > MAX_ITEMS:
            out["..."] = f"{len(value) - MAX_ITEMS} more"
        return out
    return _SHORT.repr(value)[:MAX_TEXT]


def bounded_details(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most ``MAX_DETAILS`` bounded problems within ``MAX_DETAILS_BYTES``; the rest are counted."""
    out: list[dict[str, Any]] = []
    size = 0
    for index, detail in enumerate(details):
        item = bounded(detail) if isinstance(detail, dict) else {"message": bounded(detail, 1)}
        length = len(json.dumps(item))
        if length > MAX_DETAILS_BYTES // 8:  # one problem may not take the whole budget: flatten its values
            item = {key: value if not isinstance(value, list | dict) else _SHORT.repr(value)[:MAX_TEXT]
                    for key, value in item.items()}
            length = len(json.dumps(item))
        size += length
        if index >= MAX_DETAILS or size > MAX_DETAILS_BYTES:
            out.append({"loc": "", "message": f"{len(details) - index} more problem(s) not shown"})
            break
        out.append(item)
    return out


def error_json(status_code: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> JSONResponse:
    text = message if len(message) <= 1000 else f"{message[:1000]}... ({len(message)} characters)"
    return JSONResponse(
        status_code=status_code,
        content={"error": {"code": code, "message": text, "details": bounded_details(details or [])}},
    )


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    response = error_json(exc.status_code, exc.code, exc.message, exc.details)
    if exc.status_code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    response.headers.update(exc.headers)
    return response


async def _engine_error(_request: Request, exc: Exception) -> JSONResponse:
    # A safety net: services translate engine errors themselves, anything left is still the client's model.
    assert isinstance(exc, SimulationError)
    return error_json(422, exc.code, exc.message, exc.problems)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {
            "loc": ".".join(str(part) for part in err.get("loc", ())),
            "message": err.get("msg", ""),
            "type": err.get("type"),
        }
        for err in exc.errors()
    ]
    return error_json(422, "validation_error", "the request is not valid", details)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden", 400: "bad_request"}


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    response = error_json(exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # A check-then-insert race lost to a concurrent request: the database's constraint decided (409).
    logger.info("integrity error: %s", exc)
    return error_json(409, "conflict", "the change conflicts with data stored by another request; reload and retry")


async def _out_of_range(_request: Request, exc: Exception) -> JSONResponse:
    # A number the database cannot hold (e.g. an id >= 2**63): SQLite raises OverflowError, PostgreSQL DataError.
    logger.info("value out of range: %s", exc)
    return error_json(422, "out_of_range", "a number in the request is outside the range the database can hold")


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return error_json(500, "internal_error", "internal server error")


def install(app: FastAPI) -> None:
    """Register the handlers that render every error in the one shape."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(SimulationError, _engine_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected_error)
