"""`/routes`: plan a team's day, read it back (JSON, GeoJSON, GPX, CSV), and `/routes/solve`
for any list of positions."""

import json
from datetime import date
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, text
from starlette.concurrency import run_in_threadpool

from geoapi.auth.dependency import PrincipalDep
from geoapi.auth.principal import Principal
from geoapi.db.engine import ReaderDep, SessionDep
from geoapi.errors import Forbidden, NotFound
from geoapi.map import assets, basemaps
from geoapi.media import GEOJSON
from geoapi.patrol import formats, queries
from geoapi.patrol.distances import haversine_matrix
from geoapi.patrol.matrix import travel_matrix
from geoapi.patrol.phone import SERVICE_WORKER, VisitForm, phone_page
from geoapi.patrol.plan import plan_day
from geoapi.patrol.schemas import PlanRequest, SolveAnswer, SolveRequest
from geoapi.patrol.sheet import route_sheet
from geoapi.patrol.solver import order_stops, tour_length
from geoapi.patrol.stored import route_document, route_legs
from geoapi.reference import queries as reference_queries

router = APIRouter(prefix="/routes", tags=["Route lists (巡查路线)"])
RouteFormat = Literal["json", "geojson", "gpx", "csv", "html"]
MEDIA = {
    "geojson": GEOJSON,
    "gpx": "application/gpx+xml",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


@router.post("/solve", operation_id="solveRoute")
async def solve_route(
    request: Request, body: SolveRequest, principal: PrincipalDep, read: ReaderDep
) -> SolveAnswer:
    """The shortest visiting order found within `time_limit_s` (LKH-3; 2-opt when even its
    preparation would not fit). `metric=network` measures walking distance on the loaded road
    network (`network: roads`), or straight lines times the detour factor when there is none
    (`network: straight_line`)."""
    principal.require("read")
    network: Literal["haversine", "roads", "straight_line"] = "haversine"
    if body.metric == "network":
        detour = request.app.state.settings.route_detour_factor
        matrix = await read(lambda c: travel_matrix(c, body.points, "walk", "length", detour))
        metres, network = matrix.costs, matrix.network
    else:
        metres = haversine_matrix(np.asarray(body.points, dtype=float))
    order = await run_in_threadpool(
        order_stops, metres, body.start_index, body.return_to_start, body.time_limit_s
    )
    length = tour_length(metres, order, body.return_to_start)
    return SolveAnswer(order=order, length_m=round(length, 1), network=network)


@router.post("/plan", operation_id="planRoutes", status_code=201)
def plan_routes(
    request: Request, body: PlanRequest, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Plan and store a day for each team: problems waiting for verification, then points
    overdue, never visited and due in the team's area, then those asked for, shared between
    the teams within the shift and ordered on the road network. Stops that fit no shift come
    back under `unassigned` with the reason. An inspector plans its own team only."""
    principal.require("plan_routes")
    state = request.app.state
    settings = state.settings
    connection = session.connection()
    ids, unassigned = plan_day(
        connection,
        body,
        principal,
        state.checklists,
        settings.zone,
        settings.route_service_minutes,
        settings.route_detour_factor,
    )
    session.commit()
    connection = session.connection()  # the commit gave the first one back to the pool
    routes = [route_document(connection, i, settings.timezone) for i in ids]
    return {"routes": routes, "unassigned": unassigned}


@router.get("", operation_id="listRoutes")
def list_routes(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    team: Annotated[str | None, Query(max_length=64)] = None,
    date: Annotated[date | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Stored routes, newest first, by team and day (an inspector sees its own team's)."""
    principal.require("routes")
    connection = session.connection()
    own = (principal.team_code or "") if principal.role == "inspector" else None
    ids = connection.scalars(
        text(queries.ROUTE_IDS),
        {"team": team, "day": date, "only_team": own, "limit": limit},
    ).all()
    return {
        "routes": [route_document(connection, i, request.app.state.settings.timezone) for i in ids]
    }


@router.get("/sw.js", operation_id="phoneServiceWorker", include_in_schema=False)
def phone_service_worker() -> Response:
    """The phone page's service worker: its pages open again with no signal."""
    return Response(
        SERVICE_WORKER,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/routes/"},
    )


@router.get("/{route_id}", operation_id="getRoute")
def get_route(
    request: Request,
    route_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    f: RouteFormat = "json",
) -> Response:
    """A stored route with its progress (`visited_at` per stop, done and left): JSON; GeoJSON
    (stops and legs); GPX 1.1 (waypoints and a track); CSV with Chinese headers; `f=html` the
    printable route sheet (A4) with a map, QR codes and Amap/Baidu navigation links."""
    principal.require("routes")
    connection = session.connection()
    _check_team(connection, route_id, principal)
    route = route_document(connection, route_id, request.app.state.settings.timezone)
    if f == "json":
        return Response(json.dumps(route, ensure_ascii=False), media_type="application/json")
    if f == "csv":
        return Response(formats.to_csv(route), media_type=MEDIA["csv"])
    legs = route_legs(connection, route_id)
    if f == "geojson":
        return Response(legs, media_type=MEDIA["geojson"])
    if f == "html":
        state = request.app.state
        page = route_sheet(
            route,
            json.loads(legs),
            state.checklists,
            state.settings.zone,
            state.settings.photos_dir,
        )
        return Response(page, media_type=MEDIA["html"])
    return Response(formats.gpx(route, json.loads(legs)), media_type=MEDIA["gpx"])


@router.get("/{route_id}/view", operation_id="viewRoute", response_class=HTMLResponse)
def view_route(
    request: Request,
    route_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    basemap: Annotated[str | None, Query(description="osm, amap, blank, tianditu, custom")] = None,
) -> HTMLResponse:
    """The route on a phone: a map (the `/map` basemaps, scripts served locally) above the
    stops in order with Amap/Baidu navigation links and each stop's checklist."""
    principal.require("routes")
    settings = request.app.state.settings
    chosen = basemaps.choose(settings, basemap)
    connection = session.connection()
    _check_team(connection, route_id, principal)
    route = route_document(connection, route_id, settings.timezone)
    legs = json.loads(route_legs(connection, route_id))
    form = VisitForm(
        reference_queries.names_zh(connection, "issue_types"), settings.inspection_far_m
    )
    page = phone_page(route, legs, chosen, settings.zone, request.app.state.checklists, form)
    return HTMLResponse(assets.localize(page))


def _check_team(connection: Connection, route_id: int, principal: Principal) -> None:
    team = connection.scalar(text(queries.ROUTE_TEAM), {"id": route_id})
    if team is None:
        raise NotFound(f"no route {route_id}")
    if principal.role == "inspector" and team != principal.team_code:
        raise Forbidden(f"route {route_id} belongs to team {team}, not yours")
