"""`/points/{code}`: inspection points one at a time (bulk loads go through `geoapi import`);
`/points/due`: the points due for a visit on a day."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from geoapi import areas, documents, readable
from geoapi.auth.dependency import PrincipalDep
from geoapi.catalog import needed
from geoapi.catalog.registry import AllLayersDep, for_principal
from geoapi.db.engine import SessionDep
from geoapi.downloads import csv_download
from geoapi.errors import InvalidParameter, NotFound
from geoapi.etags import etag, if_match_version
from geoapi.features.links import GeoJSONResponse
from geoapi.inspections import due, worklist
from geoapi.instants import Day
from geoapi.media import GEOJSON
from geoapi.points import queries, service

router = APIRouter(prefix="/points", tags=["Inspection points"])
CodePath = Annotated[str, Path(min_length=1, max_length=100, description="The point's code")]
IfMatch = Annotated[str | None, Header(description="ETag of the version you edited")]

EXAMPLE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [117.05, 36.66]},
    "properties": {
        "code": "MK-0101",
        "name": "和平路农贸市场",
        "category": "market",
        "address": "和平路18号",
        "unit": "market_reg",
        "stalls": 120,
    },
}
FeatureBody = Annotated[
    dict[str, Any],
    Body(
        description="A GeoJSON Feature: Point, or a line or polygon footprint (the point is "
        "then placed on it); properties code, name, category, address, unit (code or name), "
        "any others kept as props. Checked exactly as `geoapi import points` checks a row.",
        examples=[EXAMPLE],
    ),
]


def _read(request: Request, session: SessionDep, code: str) -> Response:
    row = queries.select_point(session.connection(), code)
    if row is None:
        raise NotFound(f"no point {code!r}")
    headers = {
        "ETag": etag(row["version"]),
        "Location": str(request.url_for("getPoint", code=code)),
    }
    return Response(row["feature"], media_type=GEOJSON, headers=headers)


GEOJSON_ANSWER: dict[int | str, dict[str, Any]] = {200: {"content": {GEOJSON: {}}}}


DUE_COLUMNS = {  # CSV columns of the due worklist, with headings people read
    "tier": "层级(0=有未销号问题)",
    "priority": "优先级",
    "code": "点位编码",
    "name": "点位名称",
    "category_name": "类别",
    "street": "街道",
    "community": "社区",
    "address": "地址",
    "unit_name": "责任单位",
    "last_inspected_at": "上次巡查",
    "due_at": "应巡查时间",
    "due": "状态",
    "days_late": "超期天数",
    "open_issues": "未销号问题",
    "awaiting_verification": "待核查",
    "lon": "经度",
    "lat": "纬度",
}
DUE_STATES_ZH = {"never_inspected": "从未巡查", "overdue": "超期", "due": "到期"}


@router.get(
    "/due",
    operation_id="listDuePoints",
    response_class=GeoJSONResponse,
    responses={200: {"content": {GEOJSON: {}, "text/csv": {}, "text/html": {}}}},
)
def list_due_points(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    area: Annotated[str | None, Query(description="Area code, any level")] = None,
    day: Annotated[Day | None, Query(alias="date", description="Default: today")] = None,
    category: str | None = None,
    limit: Annotated[int, Query(ge=1, description="Points per page")] = 100,
    cursor: Annotated[
        str | None, Query(max_length=400, description="From a page's `next` link")
    ] = None,
    f: Annotated[Literal["json", "csv", "html"], Query(description="Answer format")] = "json",
) -> Response:
    """The due worklist for `date`: points due or overdue for a visit, most urgent first, a
    page at a time (follow the `next` link).

    A point falls due its cycle's days after its last visit (the category's checklist sets the
    cycle; a point's `cycle_days` overrides it). Categories without a cycle are never due.
    Points with open problems come first; then priority = the category's weight (`priority`
    in its checklist) × days late to the end of the day, a point never inspected counting as
    one day late.
    """
    principal.require("read")
    settings = request.app.state.settings
    if limit > settings.max_limit:
        raise InvalidParameter(f"limit: at most {settings.max_limit}")
    connection = session.connection()
    place = areas.resolve(connection, area) if area else None
    day = day or settings.today()
    checklists = request.app.state.checklists
    cycles = checklists.cycles(day)
    if category is not None and category not in cycles:
        raise InvalidParameter(
            f"category: {category!r} has no inspection cycle; known: {', '.join(sorted(cycles))}"
        )
    if category is not None:
        cycles = {category: cycles[category]}
    result = worklist.page(
        connection,
        day,
        settings.zone,
        cycles,
        checklists.priorities(day),
        due.point_filter(place, principal.scope_sql("p.")),
        limit,
        worklist.Cursor.decode(cursor) if cursor else None,
    )
    next_href = (
        str(request.url.include_query_params(cursor=result.next.encode())) if result.next else None
    )
    if f == "csv":
        return csv_download(result.rows, f"due-{day}.csv", DUE_COLUMNS)
    if f == "html":
        return HTMLResponse(
            documents.render(
                "due_list.html",
                rows=result.rows,
                day=day,
                zone=settings.zone,
                scope=place.name if place else "全域",
                states=DUE_STATES_ZH,
                next_href=next_href,
            )
        )
    return GeoJSONResponse(due.feature_collection(result.rows, day, next_href))


@router.get(
    "/{code}",
    operation_id="getPoint",
    name="getPoint",
    response_class=Response,
    responses=GEOJSON_ANSWER,
)
def get_point(
    request: Request,
    code: CodePath,
    session: SessionDep,
    layers: AllLayersDep,
    principal: PrincipalDep,
    f: Annotated[Literal["json", "html"] | None, Query(description="html: a page to read")] = None,
) -> Response:
    """One point as a GeoJSON Feature, with its area codes and open problems; ETag for edits.

    `f=html` (or a browser's Accept) is the page a map popup opens: names, open problems and
    last visits, in the reader's scope."""
    if documents.wants_html(request, f):
        settings = request.app.state.settings
        base = documents.base_of(request)
        return HTMLResponse(
            readable.point_page(session.connection(), code, principal, settings, base)
        )
    for_principal(layers[needed.POINTS.id], principal)  # as reading the points layer
    return _read(request, session, code)


@router.post(
    "",
    status_code=201,
    operation_id="createPoint",
    response_class=Response,
    responses={201: {"content": {GEOJSON: {}}}},
)
def create_point(
    request: Request, feature: FeatureBody, session: SessionDep, principal: PrincipalDep
) -> Response:
    """Add a point; 400 lists every problem, 409 if the code exists."""
    principal.require("edit_points")
    limit = request.app.state.settings.max_props_bytes
    code = service.create(session.connection(), feature, limit)
    session.commit()
    response = _read(request, session, code)
    response.status_code = 201
    return response


@router.put(
    "/{code}", operation_id="replacePoint", response_class=Response, responses=GEOJSON_ANSWER
)
def replace_point(
    request: Request,
    code: CodePath,
    feature: FeatureBody,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> Response:
    """Replace a point's fields and geometry; a stale If-Match is 412 and changes nothing."""
    principal.require("edit_points")
    limit = request.app.state.settings.max_props_bytes
    service.replace(session.connection(), code, feature, if_match_version(if_match), limit)
    session.commit()
    return _read(request, session, code)


@router.delete("/{code}", status_code=204, operation_id="deletePoint", response_class=Response)
def delete_point(
    code: CodePath, session: SessionDep, principal: PrincipalDep, if_match: IfMatch = None
) -> Response:
    """Delete a point without history (problems or inspections at it: 409, nothing lost)."""
    principal.require("delete_points")
    service.delete(session.connection(), code, if_match_version(if_match))
    session.commit()
    return Response(status_code=204)
