"""Errors the API can explain, and the one handler that renders them as problem+json."""

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from geoapi.media import PROBLEM_JSON

log = logging.getLogger(__name__)


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


class Gone(GeoApiError):
    """The resource existed and is no longer usable (a used or expired one-time link)."""

    status_code = 410
    title = "Gone"
    code = "Gone"


class BatchRefused(Conflict):
    """Moves made together or not at all, some of which cannot be made (listed in `errors`)."""

    title = "No move was made"


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


class TooBusy(GeoApiError):
    """Every database connection stayed taken for the whole bounded wait."""

    status_code = 503
    title = "Service busy"
    code = "ServiceUnavailable"


class TooSlow(GeoApiError):
    """The query ran past its statement timeout and was cancelled."""

    status_code = 503
    title = "Query took too long"
    code = "ServiceUnavailable"


class UriTooLong(GeoApiError):
    """A query string longer than the service reads."""

    status_code = 414
    title = "URI too long"
    code = "InvalidParameterValue"


# SQLSTATE classes (PostgreSQL appendix A) that mean "the server or the link is gone".
CONNECTION_LOST = ("08", "57P")
QUERY_CANCELED = "57014"  # statement_timeout


def problem_detail(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """Render an RFC 9457 problem details document (an error answer, not a campaign problem)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _geoapi_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GeoApiError)
    response = problem_detail(exc.status_code, exc.title, exc.detail, code=exc.code, **exc.extra)
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
    return response


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    messages = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
    return problem_detail(
        400, InvalidParameter.title, "; ".join(messages), code=InvalidParameter.code
    )


def explain_database_error(exc: SQLAlchemyError) -> GeoApiError:
    """What a database error means to the client, never with the database's own text.

    A lost connection or server is 503 (retry later), a cancelled statement 503 naming the
    timeout, a full pool 503 (busy), a value PostgreSQL refused (SQLSTATE class 22: out of
    range, wrong type) 400; anything else is our fault, a 500.
    """
    if isinstance(exc, PoolTimeout):
        return TooBusy("every database connection is in use; retry in a moment")
    pgcode = getattr(getattr(exc, "orig", None), "pgcode", None) or ""
    if pgcode == QUERY_CANCELED:
        return TooSlow(
            "the query ran past the statement timeout; ask for less (a smaller bbox or "
            "period, a filter, a larger cell)"
        )
    lost = pgcode.startswith(CONNECTION_LOST) or (
        not pgcode and isinstance(exc, OperationalError | InterfaceError)
    )
    if lost or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return DatabaseUnavailable("The database cannot be reached.")
    if isinstance(exc, DataError):
        return InvalidParameter("a value in the request is out of range or of the wrong type")
    return GeoApiError("The server could not complete the request.")


def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SQLAlchemyError)
    explained = explain_database_error(exc)
    if explained.status_code == 500:
        log.error("database error on %s", request.url.path, exc_info=exc)
    else:
        log.warning("%s on %s: %s", explained.title, request.url.path, exc)
    return _geoapi_error(request, explained)


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown route 404, wrong method 405, bad multipart 400)."""
    assert isinstance(exc, HTTPException)
    titles = {404: NotFound.title, 405: "Method not allowed", 400: InvalidParameter.title}
    response = problem_detail(
        exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail)
    )
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s", request.url.path, exc_info=exc)
    return problem_detail(500, GeoApiError.title, "The server could not complete the request.")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the service can raise to one problem+json shape."""
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(GeoApiError, _geoapi_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(HTTPException, _http_error)
