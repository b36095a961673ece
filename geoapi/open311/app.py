"""`/open311/v2`: a sub-application, so its errors take the spec's shape, not problem+json."""

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from geoapi import openapi
from geoapi.auth.dependency import PrincipalDep
from geoapi.auth.lookup import principal_for_key
from geoapi.auth.principal import ANONYMOUS, SYSTEM, Principal
from geoapi.db.engine import SessionDep
from geoapi.errors import GeoApiError, explain_database_error
from geoapi.instants import check_instant
from geoapi.issues import photos
from geoapi.issues import queries as issue_queries
from geoapi.issues import service as issues
from geoapi.issues.schemas import IssueCreate
from geoapi.open311 import forms, queries, spec
from geoapi.open311.formats import render
from geoapi.settings import Settings

log = logging.getLogger(__name__)
PREFIX = "/open311/v2"
Format = Annotated[str, Path(pattern="^(json|xml)$", description="json or xml")]
DEFAULT_DAYS = 90  # the spec's default window for GET requests
MAX_REQUESTS = 1000  # the spec's suggested maximum per response


class Open311Error(Exception):
    """An error in the spec's format: `[{"code": …, "description": …}]`."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def error_response(path: str, status: int, description: str) -> Response:
    """An error in the spec's shape, XML for an `.xml` path; also used by the request guard."""
    rows = [{"code": status, "description": description}]
    return render("xml" if path.endswith(".xml") else "json", "errors", "error", rows, status)


def _error(request: Request, status: int, description: str) -> Response:
    return error_response(request.url.path, status, description)


def create_open311_app(parent: FastAPI) -> FastAPI:
    """The GeoReport v2 endpoints, sharing the parent's settings, engine and layers."""
    app = FastAPI(
        title="geoapi Open311 GeoReport v2",
        description="Citizens' reports (随手拍) and their status, per " + spec.SPEC_URL,
    )
    openapi.install(app, openapi.OPEN311_ERROR_CONTENT, success_types=("text/xml",))
    app.state.settings = parent.state.settings
    app.state.engine = parent.state.engine
    app.state.read_engine = parent.state.read_engine
    app.state.key_cache = parent.state.key_cache
    app.dependency_overrides = parent.dependency_overrides  # one set of overrides for both

    @app.exception_handler(Open311Error)
    def _open311_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        return _error(request, exc.status, exc.description)

    @app.exception_handler(GeoApiError)
    def _api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GeoApiError)
        return _error(request, exc.status_code, exc.detail)

    @app.exception_handler(SQLAlchemyError)
    def _database_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SQLAlchemyError)
        explained = explain_database_error(exc)
        if explained.status_code == 500:
            log.error("database error on %s", request.url.path, exc_info=exc)
        return _error(request, explained.status_code, explained.detail)

    @app.exception_handler(Exception)
    def _unexpected_error(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
        return _error(request, 500, "The server could not complete the request.")

    @app.exception_handler(HTTPException)
    def _http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    def _validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        detail = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())
        return _error(request, 400, detail)

    app.add_api_route("/discovery.{fmt}", discovery, methods=["GET"])
    app.add_api_route("/services.{fmt}", services, methods=["GET"])
    app.add_api_route("/services/{code}.{fmt}", service_definition, methods=["GET"])
    app.add_api_route("/requests.{fmt}", list_requests, methods=["GET"])
    app.add_api_route("/requests.{fmt}", create_request, methods=["POST"], status_code=201)
    app.add_api_route("/requests/{request_id}.{fmt}", one_request, methods=["GET"])
    app.add_api_route(
        "/requests/{request_id}/media/{digest}",
        request_media,
        methods=["GET"],
        response_class=FileResponse,
        name="open311Media",
    )
    return app


def discovery(request: Request, fmt: Format) -> Response:
    """Where the GeoReport v2 endpoint is and what it speaks."""
    base = str(request.url).rsplit("/discovery.", 1)[0]
    body = {
        "changeset": "2026-11-24T00:00:00Z",
        "contact": "创城办 (campaign office)",
        "key_service": "API keys from the campaign office (geoapi users add … --role public)",
        "endpoints": [
            {
                "specification": spec.SPEC_URL,
                "url": base,
                "changeset": "2026-11-24T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(fmt, "discovery", "discovery", body)


def services(session: SessionDep, fmt: Format) -> Response:
    """Every problem type citizens can report."""
    rows = [spec.service(row) for row in queries.services(session.connection())]
    return render(fmt, "services", "service", rows)


def service_definition(session: SessionDep, code: str, fmt: Format) -> Response:
    """A service's extra attributes: none here, the description says it all."""
    if queries.service(session.connection(), code) is None:
        raise Open311Error(404, f"service_code {code!r} not found")
    return render(
        fmt, "service_definition", "service_definition", {"service_code": code, "attributes": []}
    )


def _dates(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = check_instant(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError as exc:
        raise Open311Error(400, f"{name}: not a W3C date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name}: include a time zone (Z or ±hh:mm)")
    return parsed


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def list_requests(
    request: Request,
    session: SessionDep,
    fmt: Format,
    service_request_id: Annotated[str | None, Query()] = None,
    service_code: Annotated[str | None, Query()] = None,
    start_date: Annotated[str | None, Query()] = None,
    end_date: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query(description="open, closed, or both")] = None,
    jurisdiction_id: Annotated[str | None, Query()] = None,  # noqa: ARG001 - one jurisdiction
) -> Response:
    """Service requests, newest first: the last 90 days unless dates are given, at most 1000."""
    settings = request.app.state.settings
    _enabled(settings)
    ids = [_uuid(v) for v in _split(service_request_id)]
    wanted = set(_split(status))
    if wanted - set(spec.OPEN311_STATES):
        raise Open311Error(400, f"status: open or closed, not {status!r}")
    states = [state for name in sorted(wanted) for state in spec.OPEN311_STATES[name]]
    start, end = _dates(start_date, "start_date"), _dates(end_date, "end_date")
    if start is None and end is None and not ids:
        start = datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
    rows = queries.requests(
        session.connection(),
        settings.open311_sources,
        ids=ids,
        codes=_split(service_code),
        start=start,
        end=end,
        states=states,
        limit=MAX_REQUESTS,
    )
    base = _base(request)
    return render(fmt, "service_requests", "request", [spec.request(r, base) for r in rows])


def one_request(request: Request, session: SessionDep, request_id: str, fmt: Format) -> Response:
    """One service request (as a one-element list, as the spec has it)."""
    _enabled(request.app.state.settings)
    rows = queries.requests(
        session.connection(), request.app.state.settings.open311_sources, ids=[_uuid(request_id)]
    )
    if not rows:
        raise Open311Error(404, f"service_request_id {request_id!r} not found")
    return render(fmt, "service_requests", "request", [spec.request(rows[0], _base(request))])


def request_media(
    request: Request, session: SessionDep, request_id: str, digest: str
) -> FileResponse:
    """A photo of a service request, readable by whoever may read the request (its reporter
    sees the before photo, then the fix)."""
    settings = request.app.state.settings
    _enabled(settings)
    issue_id = _uuid(request_id)
    connection = session.connection()
    if not queries.requests(connection, settings.open311_sources, ids=[issue_id]):
        raise Open311Error(404, f"service_request_id {request_id!r} not found")
    entry = issue_queries.photo_entry(connection, issue_id, digest)
    if entry is None:
        raise Open311Error(404, f"service request {request_id} has no media {digest!r}")
    path = photos.path_of(settings.photos_dir, digest, entry["content_type"])
    return FileResponse(path, media_type=entry["content_type"])


def _base(request: Request) -> str:
    """The Open311 root as this request reached it."""
    return str(request.base_url).rstrip("/") + request.scope.get("root_path", "")


async def create_request(
    request: Request, session: SessionDep, principal: PrincipalDep, fmt: Format
) -> Response:
    """A citizen's report: service_code, lat and long (or address_id: a point code), description.

    Stored as a `citizen` problem; the response carries its id and the promised period.
    """
    settings = request.app.state.settings
    _enabled(settings)
    try:
        fields = await forms.form_fields(request)
    except forms.FormError as exc:
        raise Open311Error(400, str(exc)) from exc
    reporter = await _reporter(session, principal, fields.get("api_key"), settings)
    service_row = queries.service(session.connection(), fields.get("service_code", ""))
    if service_row is None:
        raise Open311Error(404, f"service_code {fields.get('service_code')!r} not found")
    body = _issue_body(fields)
    media = await forms.media(request, photos.Limits.of(settings).upload_bytes)
    created = await run_in_threadpool(
        lambda: issues.create_issue(session.connection(), body, settings, reporter)
    )
    if media is not None:  # the report and its photo are stored together, or neither
        await run_in_threadpool(
            lambda: issues.add_photo(
                session.connection(),
                created.issue.id,
                media,
                "before",
                None,
                settings,
                SYSTEM,
                actor=reporter.username,
            )
        )
    await run_in_threadpool(session.commit)
    notice = spec.service_notice(service_row["name_zh"], service_row["days"])
    rows = [
        {
            "service_request_id": str(created.issue.id),
            "service_notice": notice,
            "account_id": fields.get("account_id"),
        }
    ]
    return render(fmt, "service_requests", "request", rows, status_code=201)


def _issue_body(fields: dict[str, str]) -> IssueCreate:
    located = ("lat" in fields and "long" in fields) or "address_id" in fields
    if not located:
        raise Open311Error(
            400,
            "lat and long (or address_id, a point code) are required; "
            "addresses are not geocoded here",
        )
    description = fields.get("description")
    if fields.get("media_url"):
        description = f"{description or ''}\n[media] {fields['media_url']}".strip()
    try:
        return IssueCreate(
            type=fields["service_code"],
            source="citizen",
            lat=fields.get("lat"),
            lon=fields.get("long"),
            point_code=fields.get("address_id") if "lat" not in fields else None,
            description=description,
        )
    except ValidationError as exc:
        detail = "; ".join(
            f"{'long' if e['loc'] and e['loc'][0] == 'lon' else '.'.join(map(str, e['loc']))}: "
            f"{e['msg']}"
            for e in exc.errors()
        )
        raise Open311Error(400, detail) from exc


async def _reporter(
    session: SessionDep, principal: Principal, form_key: str | None, settings: Settings
) -> Principal:
    """Who reports: the key's user (header, query or form `api_key`), else the public."""
    if form_key and principal is ANONYMOUS:
        found = await run_in_threadpool(lambda: principal_for_key(session.connection(), form_key))
        if found is None:
            raise Open311Error(403, "invalid api_key received -- can't proceed with create_request")
        principal = found
    if principal is ANONYMOUS:
        if settings.open311_key_required:
            raise Open311Error(403, "api_key required -- can't proceed with create_request")
        return Principal(username="open311", role="public")
    if principal.role != "public":  # an app's key reports as the public; staff need `report`
        principal.require("report")
    return principal


def _enabled(settings: Settings) -> None:
    if not settings.open311_enabled:
        raise Open311Error(404, "Open311 is not enabled on this server")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Open311Error(400, f"service_request_id: not a request id: {value!r}") from exc
