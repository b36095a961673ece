"""`/map` (the planners' page) and `/aggregates/open-issues` (its heat numbers as GeoJSON)."""

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from geoapi.auth import sessions
from geoapi.auth.dependency import PrincipalDep
from geoapi.auth.principal import Principal
from geoapi.catalog import needed
from geoapi.catalog.registry import AllLayersDep
from geoapi.db.engine import ReportSessionDep, SessionDep
from geoapi.db.side_by_side import engine_of
from geoapi.errors import NotFound
from geoapi.features.params import BBoxDep
from geoapi.map import aggregates, assets, basemaps, data, display, page
from geoapi.map.filters import MapFiltersDep, where
from geoapi.media import GEOJSON
from geoapi.reference import queries as reference_queries
from geoapi.settings import Settings

router = APIRouter(tags=["Map"])
# The basemap drawn under the layers: its datum (GCJ-02 for amap) is the layers' too.
BasemapQuery = Annotated[str | None, Query(description="osm, amap, blank, tianditu, custom")]


def _viewer(principal: Principal, settings: Settings) -> Principal:
    """Who the map is drawn for: staff by key (scoped), or anyone on a public wall display."""
    if not settings.map_public:
        principal.require("read")
    return principal


@router.get("/map", response_class=HTMLResponse, operation_id="getMap", name="getMap")
def get_map(
    request: Request,
    session: ReportSessionDep,
    writer: SessionDep,
    layers: AllLayersDep,
    principal: PrincipalDep,
    filters: MapFiltersDep,
    basemap: BasemapQuery = None,
    print_: Annotated[
        str | None,
        Query(alias="print", description="a4, a3, a2 or a1: a wall poster of that sheet"),
    ] = None,
) -> Response:
    """Heat map of open problems, points per category, overdue problems, choropleths by street
    and grid, reported problems per week; filters by query string. Scripts served locally.

    Opened with `?api_key=` (a browser), it answers 303 to the same address without the key,
    with a session cookie: the key is not left in the address bar, the history or a printout,
    and the pages the popups open read with the cookie."""
    settings = request.app.state.settings
    viewer = _viewer(principal, settings)
    key = request.query_params.get("api_key")
    if key:  # a browser: the key is swapped for a session cookie and leaves the address bar
        token = sessions.start(writer.connection(), key, settings.session_hours)
        writer.commit()
        if token:
            moved = RedirectResponse(str(request.url.remove_query_params("api_key")), 303)
            sessions.set_cookie(moved, token, settings)
            return moved
    chosen = basemaps.choose(settings, basemap)
    asked = [(k, v) for k, v in request.query_params.multi_items() if k != "api_key"]
    built = page.build(
        session.connection(),
        layers,
        filters,
        viewer,
        chosen,
        settings,
        query=urlencode(asked),
        paper=print_,
        engine=engine_of(session),
    )
    return HTMLResponse(
        assets.localize(built.html), headers={"Cache-Control": "private, max-age=60"}
    )


@router.get("/map/categories/{code}/points", operation_id="getMapPoints")
def map_points(
    request: Request,
    session: ReportSessionDep,
    layers: AllLayersDep,
    principal: PrincipalDep,
    filters: MapFiltersDep,
    code: str,
    bbox: BBoxDep,
    zoom: Annotated[int, Query(ge=0, le=22, description="Sets the cell size")] = 13,
    basemap: Annotated[
        str | None, Query(description="The datum of the basemap drawn under")
    ] = None,
) -> dict[str, Any]:
    """One category's layer of the map for the view on screen: its points, or above the
    marker limit cells counting them (rows as the map page draws them)."""
    settings = request.app.state.settings
    chosen = basemaps.choose(settings, basemap)
    connection = session.connection()
    scope = where(connection, filters, _viewer(principal, settings), settings.timezone)
    if code not in reference_queries.codes(connection, "categories"):
        raise NotFound(f"no point category {code!r}")
    view = data.View((bbox[0], bbox[1], bbox[2], bbox[3]) if bbox else None, zoom)
    limit = layers[needed.POINTS.id].definition.marker_limit(settings.map_marker_limit)
    found = data.category_points(connection, scope, code, limit, view)
    return {
        "rows": display.shift_rows(found.rows, chosen.datum),
        "total": found.total,
        "aggregated": found.aggregated,
    }


@router.get("/map/weekly", operation_id="getMapWeekly")
def map_weekly(
    request: Request,
    session: ReportSessionDep,
    principal: PrincipalDep,
    filters: MapFiltersDep,
    basemap: Annotated[
        str | None, Query(description="The datum of the basemap drawn under")
    ] = None,
) -> dict[str, Any]:
    """The map's reported-per-week layer: per ISO week, [lat, lon, count] per ~200 m cell."""
    settings = request.app.state.settings
    connection = session.connection()
    scope = where(connection, filters, _viewer(principal, settings), settings.timezone)
    return page.weekly_rows(connection, scope, basemaps.choose(settings, basemap))


@router.get("/aggregates/open-issues", operation_id="getOpenIssueCells", response_class=Response)
def open_issue_cells(
    request: Request,
    session: ReportSessionDep,
    layers: AllLayersDep,
    principal: PrincipalDep,
    filters: MapFiltersDep,
    bbox: BBoxDep,
    cell: Annotated[Literal["hex", "square"], Query()] = "hex",
    size: Annotated[float, Query(gt=10, le=50_000, description="Cell size in metres")] = 500,
    by: Annotated[Literal["status", "type", "week", "none"], Query()] = "none",
) -> Response:
    """Open problems per cell (ST_HexagonGrid / ST_SquareGrid), with the heat map's weights."""
    settings = request.app.state.settings
    viewer = _viewer(principal, settings)
    heat = layers[needed.OPEN_ISSUES.id].definition.heatmap
    connection = session.connection()
    body = aggregates.open_issue_cells(
        connection,
        where(connection, filters, viewer, settings.timezone),
        cell,
        size,
        by,
        heat.weight if heat else "1",
        (bbox[0], bbox[1], bbox[2], bbox[3]) if bbox else None,
        settings.max_aggregate_cells,
    )
    return Response(body, media_type=GEOJSON)
