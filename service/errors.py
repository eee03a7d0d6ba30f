"""Errors the plain functions raise, and how the API turns them into responses.

Validation error bodies carry the field location, a message and the error type, never the input
value: an input may be an IIN or a name (guardrail 6).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)


class ErrorRead(BaseModel):
    """The body of every error answer except 422: what went wrong, never the input value."""

    detail: str = Field(description="What went wrong and, where it helps, what to do.")


class FieldErrorRead(BaseModel):
    loc: list[str | int] = Field(
        description="Where: `body`, `path`, `query` or `header`, then "
        "the field (and list index) the error is about."
    )
    msg: str = Field(description="What was expected.")
    type: str = Field(description="The error type, e.g. `int_type`, `less_than_equal`.")


class ValidationErrorRead(BaseModel):
    """The body of a 422: one entry per invalid field, never the value that came."""

    detail: list[FieldErrorRead]


class ServiceError(Exception):
    """Base of the errors the service's functions raise on purpose."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers  # sent with the answer (`Retry-After`, `WWW-Authenticate`)


class NotFoundError(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND


class ConflictError(ServiceError):
    status_code = status.HTTP_409_CONFLICT


class UnauthorizedError(ServiceError):
    """No valid credentials (401)."""

    status_code = status.HTTP_401_UNAUTHORIZED


class TooManyRequestsError(ServiceError):
    """Too many attempts; `Retry-After` says when to try again (429)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class UnavailableError(ServiceError):
    """The request could not be completed now and may be retried (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


class FieldError(ServiceError):
    """Invalid input in one field that the schema alone cannot catch (422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT

    def __init__(self, loc: Sequence[str | int], msg: str) -> None:
        super().__init__(msg)
        self.loc = list(loc)


def _clean(errors: Sequence[Any]) -> list[dict[str, Any]]:
    cleaned = []
    for error in errors:
        msg = str(error.get("msg", "invalid value"))
        loc = list(error.get("loc", []))
        if error.get("type") == "extra_forbidden" and loc:
            loc[-1] = "(unexpected field)"  # the name came from the client: it may be an IIN
        cleaned.append(
            {
                "loc": loc,
                "msg": msg,
                "type": error.get("type", "value_error"),
            }
        )
    return cleaned


def install_handlers(app: FastAPI) -> None:
    """Register the handlers that shape error bodies."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"detail": _clean(exc.errors())},
        )

    @app.exception_handler(FieldError)
    async def _field(_request: Request, exc: FieldError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": [{"loc": exc.loc, "msg": exc.detail, "type": "value_error"}]},
        )

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        # The driver's message may quote row values (PostgreSQL's DETAIL does), and a row may
        # hold a name: log and answer with the error class and SQLSTATE only.
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "sqlite_errorname", "")
        logger.error("database error %s %s", type(exc.orig).__name__, code)
        return JSONResponse(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            content={
                "detail": "database error; try again (a submission with the same Idempotency-Key)"
            },
        )

    @app.exception_handler(ServiceError)
    async def _service(_request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers
        )
