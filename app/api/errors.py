"""One error shape for every 4xx/5xx: ``{"error": {"code", "message", "details": [...]}}``."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
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
    401: "No valid session or API token (once a user exists, every route but sign-in and /health needs one)",
    403: "The caller sees the object but its role (or a missing PLC-write grant) does not allow this",
    404: "A referenced object does not exist",
    409: "Conflicts with existing data (duplicate name, input port already driven, ...)",
    422: "The request is not acceptable; `details` lists every problem with its location",
    502: "An outside server (e.g. the OPC UA endpoint) could not be reached or used; `details` say why",
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` mapping that documents error codes of a route in OpenAPI."""
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(code, "Error")} for code in status_codes}


def error_json(status_code: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=status_code, content={"error": {"code": code, "message": message, "details": details or []}}
    )


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    response = error_json(exc.status_code, exc.code, exc.message, exc.details)
    if exc.status_code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
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


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return error_json(500, "internal_error", "internal server error")


def install(app: FastAPI) -> None:
    """Register the handlers that render every error in the one shape."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(SimulationError, _engine_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, _unexpected_error)
