"""`/issues`: report problems, read them with their history, move them through the loop."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Header, Path, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from sqlalchemy import Connection, func

from geoapi import documents, readable
from geoapi.auth.dependency import PrincipalDep
from geoapi.catalog import needed
from geoapi.catalog.registry import Layer, LayersDep
from geoapi.db.engine import SessionDep
from geoapi.etags import etag, if_match_version
from geoapi.features import links
from geoapi.features.params import (
    ItemsQuery,
    PageParameters,
    SortKey,
    parse_bbox,
    parse_cursor,
    parse_limit,
)
from geoapi.features.queries import select_page
from geoapi.issues import ledger, listing, photos, service
from geoapi.issues.listing import IssueFiltersDep
from geoapi.issues.schemas import BatchTransitions, IssueCreate, IssuePublic, Moved, Transition
from geoapi.media import GEOJSON

router = APIRouter(prefix="/issues", tags=["Issues (closed loop)"])


@router.post(
    "",
    status_code=201,
    operation_id="createIssue",
    name="createIssue",
    responses={200: {"description": "Retried create: the issue already exists"}},
)
def create_issue(
    request: Request,
    response: Response,
    body: IssueCreate,
    session: SessionDep,
    principal: PrincipalDep,
) -> IssuePublic:
    """Report a problem; the same client `id` twice returns the first (201, then 200)."""
    principal.require("report")
    settings = request.app.state.settings
    result = service.create_issue(session.connection(), body, settings, principal)
    session.commit()
    response.status_code = 201 if result.created else 200
    response.headers["ETag"] = etag(result.issue.version)
    response.headers["Location"] = str(request.url_for("getIssue", issue_id=result.issue.id))
    return result.issue


@router.get("", operation_id="listIssues", name="listIssues", response_class=links.GeoJSONResponse)
def list_issues(
    request: Request,
    session: SessionDep,
    layers: LayersDep,
    principal: PrincipalDep,
    filters: IssueFiltersDep,
    page_params: Annotated[PageParameters, Query()],
    f: Annotated[
        Literal["json", "csv", "xlsx", "html"],
        Query(
            description="json: GeoJSON pages; csv or xlsx: the whole ledger (台账); html: its "
            "first rows as a printable page"
        ),
    ] = "json",
) -> Response:
    """Problems, newest first, as GeoJSON with keyset `next` links (the `issues` layer).

    Only the caller's rows: an inspector's area, a unit's own problems. `f=csv` or `f=xlsx`
    is the ledger (台账): every problem the same filters select, with Chinese headings,
    names and local times, in one file.
    """
    principal.require("read")
    layer = layers[needed.ISSUES.id]  # the list pages through the published layer
    connection = session.connection()
    if f != "json":
        return _ledger(request, connection, layer, filters, page_params.bbox, f)
    query = ItemsQuery(
        bbox=parse_bbox(page_params.bbox, page_params.bbox_crs),
        interval=None,
        filters={},
        properties=list(layer.definition.properties),
        sort=[SortKey("reported_at", descending=True)],
        limit=parse_limit(page_params.limit, request.app.state.settings),
        cursor=parse_cursor(page_params.cursor),
        where=listing.as_predicate(connection, layer, filters, datetime.now(UTC)),
    )
    page = select_page(connection, layer, query)
    return links.feature_collection(request, page, GEOJSON)


LEDGER_PAGE_ROWS = 1_000  # a printed ledger; the whole one is f=csv
LEDGER_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _ledger(
    request: Request,
    connection: Connection,
    layer: Layer,
    filters: listing.IssueFilters,
    bbox: str | None,
    f: str,
) -> Response:
    """The ledger file for the list's filters, streamed from a temporary file."""
    settings = request.app.state.settings
    where = [*layer.fixed_filter, *layer.scope]
    predicate = listing.as_predicate(connection, layer, filters, datetime.now(UTC))
    if predicate:
        where.append(ledger.with_values(*predicate))
    box = parse_bbox(bbox)
    if box is not None:
        where.append(func.ST_Intersects(layer.geom, func.ST_MakeEnvelope(*box, 4326)))
    if f == "html":
        headings, rows, more = ledger.html_rows(
            connection, where, settings.timezone, LEDGER_PAGE_ROWS
        )
        html = documents.render(
            "ledger.html",
            headings=headings,
            rows=rows,
            more=more,
            csv_url=str(request.url.include_query_params(f="csv")),
            office=settings.notice_office,
            today=settings.today(),
            base=documents.base_of(request),
        )
        return HTMLResponse(html)
    if f == "csv":
        file = ledger.csv_file(connection, where, settings.timezone)
    else:
        file = ledger.xlsx_file(connection, where, settings.timezone, settings.ledger_xlsx_rows)
    day = settings.today().isoformat()
    return StreamingResponse(
        ledger.chunks(file),
        media_type=LEDGER_TYPES[f],
        headers={"Content-Disposition": f'attachment; filename="ledger-{day}.{f}"'},
    )


@router.get(
    "/{issue_id}",
    operation_id="getIssue",
    name="getIssue",
    response_model=IssuePublic,
    responses={200: {"content": {"text/html": {}}}},
)
def get_issue(
    request: Request,
    issue_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    f: Annotated[Literal["json", "html"] | None, Query(description="html: a page to read")] = None,
) -> Any:
    """One problem with its whole event history; `f=html` (or a browser's Accept) is the page
    a map popup opens: names, photos, deadline and history in the office's words."""
    if documents.wants_html(request, f):
        settings = request.app.state.settings
        base = documents.base_of(request)
        return HTMLResponse(
            readable.issue_page(session.connection(), issue_id, principal, settings, base)
        )
    issue = service.read_issue(session.connection(), issue_id, principal)
    response.headers["ETag"] = etag(issue.version)
    return issue


@router.post("/transitions", operation_id="transitionIssues", name="transitionIssues")
def transition_issues(
    request: Request, batch: BatchTransitions, session: SessionDep, principal: PrincipalDep
) -> list[Moved]:
    """Several moves at once, all or none (a unit rectifies a whole notice's problems; a
    planner closes a checked batch). Each item is a move as in `/issues/{id}/transitions`
    with the problem's `id` and, optionally, the `version` it was read at.

    If any item cannot be made, nothing is stored and the 409 lists each failing item
    (`errors`: index, id, status, detail) so the client can mend them in one go.
    """
    settings = request.app.state.settings
    moved = service.transition_all(session.connection(), batch.moves, settings, principal)
    session.commit()
    return moved


@router.post("/{issue_id}/transitions", operation_id="transitionIssue", name="transitionIssue")
def transition_issue(
    request: Request,
    issue_id: uuid.UUID,
    move: Transition,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header()] = None,
) -> IssuePublic:
    """Move a problem (dispatch, start, rectify, close, reopen, reject, merge).

    409 names the current state and the allowed actions; a stale If-Match is 412.
    """
    version = if_match_version(if_match)
    settings = request.app.state.settings
    issue = service.transition(session.connection(), issue_id, move, version, settings, principal)
    session.commit()
    response.headers["ETag"] = etag(issue.version)
    return issue


DigestPath = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the photo")]


@router.post(
    "/{issue_id}/photos",
    status_code=201,
    operation_id="addIssuePhoto",
    name="addIssuePhoto",
    responses={
        413: {"description": "Too large"},
        415: {"description": "Not JPEG/PNG/WebP/MP4/WebM"},
    },
)
def add_photo(
    request: Request,
    issue_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    file: UploadFile,
    tag: Annotated[Literal["before", "after"], Form()],
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Attach a photo or short video (before or after rectification). EXIF time and position
    are kept and checked against the problem: doubtful evidence is flagged for the verifier
    (`flags`), not refused."""
    settings = request.app.state.settings
    data = photos.read_limited(file.file, photos.Limits.of(settings).upload_bytes)
    version = if_match_version(if_match)
    entry = service.add_photo(
        session.connection(), issue_id, data, tag, version, settings, principal
    )
    session.commit()
    response.headers["ETag"] = etag(entry["version"])
    response.headers["Location"] = str(
        request.url_for("getIssuePhoto", issue_id=issue_id, digest=entry["sha256"])
    )
    return entry


@router.get(
    "/{issue_id}/photos/{digest}",
    operation_id="getIssuePhoto",
    name="getIssuePhoto",
    response_class=FileResponse,
)
def get_photo(
    request: Request,
    issue_id: uuid.UUID,
    digest: DigestPath,
    session: SessionDep,
    principal: PrincipalDep,
) -> FileResponse:
    """A photo of the issue, with its real content type; cacheable forever (content-addressed)."""
    path, content_type = service.photo_file(
        session.connection(), issue_id, digest, request.app.state.settings, principal
    )
    return FileResponse(
        path,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=31536000, immutable"},
    )
