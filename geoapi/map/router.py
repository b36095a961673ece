"""`/map` (the planners' page) and `/aggregates/open-issues` (its heat numbers as GeoJSON)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from geoapi.auth.dependency import PrincipalDep
from geoapi.auth.principal import Principal
from geoapi.catalog import needed
from geoapi.catalog.registry import AllLayersDep
from geoapi.db.engine import ReportSessionDep
from geoapi.features.params import BBoxDep
from geoapi.map import aggregates, assets, basemaps, page
from geoapi.map.filters import MapFiltersDep, where
from geoapi.media import GEOJSON
from geoapi.settings import Settings

router = APIRouter(tags=["Map"])


def _viewer(principal: Principal, settings: Settings) -> Principal:
    """Who the map is drawn for: staff by key (scoped), or anyone on a public wall display."""
    if not settings.map_public:
        principal.require("read")
    return principal


@router.get("/map", response_class=HTMLResponse, operation_id="getMap", name="getMap")
def get_map(
    request: Request,
    session: ReportSessionDep,
    layers: AllLayersDep,
    principal: PrincipalDep,
    filters: MapFiltersDep,
    basemap: Annotated[str | None, Query(description="osm, amap, blank, tianditu, custom")] = None,
) -> HTMLResponse:
    """Heat map of open problems, points per category, overdue problems, choropleths by street
    and grid, reported problems per week; filters by query string. Scripts served locally."""
    settings = request.app.state.settings
    chosen = basemaps.choose(settings, basemap)
    built = page.build(
        session.connection(), layers, filters, _viewer(principal, settings), chosen, settings
    )
    return HTMLResponse(
        assets.localize(built.html), headers={"Cache-Control": "private, max-age=60"}
    )


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


@router.get(assets.TIMEDIMENSION_CSS, include_in_schema=False)
def timedimension_stylesheet(request: Request) -> Response:
    """The time slider's stylesheet, its icon font served from here too."""
    css = assets.timedimension_css(request.app.state.settings.web_assets_dir)
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"})
