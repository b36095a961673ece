"""Errors the API can explain, and the one handler that renders them as problem+json."""

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError, SQLAlchemyError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class GeoApiError(Exception):
    """An error we can explain to the client; subclasses set status and title."""

    status_code: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    code: ClassVar[str] = "ServerError"  # OGC API exception code

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidParameter(GeoApiError):
    """A request value the API cannot accept."""

    status_code = 400
    title = "Invalid parameter value"
    code = "InvalidParameterValue"  # OGC API - Features /req/core/query-param-invalid


class NotFound(GeoApiError):
    """The addressed resource does not exist."""

    status_code = 404
    title = "Not found"
    code = "NotFound"


class Unauthorized(GeoApiError):
    """No API key, or one that is unknown or revoked."""

    status_code = 401
    title = "Unauthorized"
    code = "Unauthorized"


class Forbidden(GeoApiError):
    """The caller may not do this."""

    status_code = 403
    title = "Forbidden"
    code = "Forbidden"


class Conflict(GeoApiError):
    """The request is valid but not in the resource's current state."""

    status_code = 409
    title = "Conflict"
    code = "Conflict"


class PreconditionFailed(GeoApiError):
    """The client's If-Match names a version that is no longer current."""

    status_code = 412
    title = "Precondition failed"
    code = "PreconditionFailed"


class PayloadTooLarge(GeoApiError):
    """An upload larger than the configured limit."""

    status_code = 413
    title = "Payload too large"
    code = "PayloadTooLarge"


class UnsupportedMediaType(GeoApiError):
    """An upload whose content is not of an accepted type."""

    status_code = 415
    title = "Unsupported media type"
    code = "UnsupportedMediaType"


class DatabaseUnavailable(GeoApiError):
    """PostGIS cannot be reached; the service cannot answer from data."""

    status_code = 503
    title = "Database unavailable"
    code = "ServiceUnavailable"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """Render an RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _geoapi_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GeoApiError)
    response = problem(exc.status_code, exc.title, exc.detail, code=exc.code, **exc.extra)
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
    return response


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    messages = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
    return problem(400, InvalidParameter.title, "; ".join(messages), code=InvalidParameter.code)


def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, OperationalError):
        log.warning("database unavailable on %s: %s", request.url.path, exc.orig)
        return problem(503, DatabaseUnavailable.title, "The database cannot be reached.")
    log.error("database error on %s", request.url.path, exc_info=exc)
    return problem(500, GeoApiError.title, "The server could not complete the request.")


def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s", request.url.path, exc_info=exc)
    return problem(500, GeoApiError.title, "The server could not complete the request.")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the service can raise to one problem+json shape."""
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(GeoApiError, _geoapi_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
