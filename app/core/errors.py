"""Domain errors. Each carries the HTTP status the API renders it with; services raise them."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error the service layer raises on purpose."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[dict[str, Any]] = details or []
        if code is not None:
            self.code = code

    @property
    def headers(self) -> dict[str, str]:
        """Response headers that go with the error (e.g. ``Retry-After``)."""
        return {}


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"


class UnprocessableError(AppError):
    status_code = 422
    code = "unprocessable"


class BadGatewayError(AppError):
    """An outside server the request depends on (e.g. a PLC's OPC UA endpoint) failed or could not be reached."""

    status_code = 502
    code = "bad_gateway"


class UnauthorizedError(AppError):
    """No valid session or token (or wrong credentials at sign-in)."""

    status_code = 401
    code = "unauthorized"


class ForbiddenError(AppError):
    """The caller can see the object but their role (or a missing PLC-write grant) does not allow the action."""

    status_code = 403
    code = "forbidden"


class TooManyRequestsError(AppError):
    """As many requests of this kind as allowed are already in progress; refused at once, never queued."""

    status_code = 429
    code = "too_many_requests"

    def __init__(
        self, message: str, details: list[dict[str, Any]] | None = None, code: str | None = None, *,
        retry_after: int = 1,
    ) -> None:
        super().__init__(message, details, code)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
