"""Planning a day (`POST /routes/plan`): choose each team's stops by the rules (problems
waiting for verification, points due or overdue, points asked for), measure travel between
them, share them out within the shifts, and store the routes with their legs."""

import json
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, text

from geoapi.auth.principal import Principal
from geoapi.errors import Forbidden, InvalidParameter
from geoapi.inspections import worklist
from geoapi.inspections.checklists import Checklists
from geoapi.patrol import planner, queries
from geoapi.patrol.distances import haversine_matrix
from geoapi.patrol.matrix import TravelMatrix, travel_matrix
from geoapi.patrol.network import OFF_NETWORK_KMH, metres_per_second
from geoapi.patrol.schemas import PlanRequest

# Urgency of a stop for VROOM (0–100): verification closes the loop (核查销号) and comes first.
PRIORITY = {"verify": 100, "requested": 90, "overdue": 80, "never_inspected": 70, "due": 40}
WHY = {
    "shift": "班次内排不下（更紧急的点位优先）",
    "max_stops": "超出每人最多点位数（max_stops）",
}


@dataclass(frozen=True)
class Team:
    """A team's row and where its day starts."""

    id: int
    code: str
    name: str
    area_id: int | None
    area_level: str | None
    lon: float
    lat: float
    start_label: str = ""


def plan_day(
    connection: Connection,
    body: PlanRequest,
    principal: Principal,
    checklists: Checklists,
    tz: ZoneInfo,
    default_service_minutes: int,
    detour_factor: float,
) -> tuple[list[int], list[dict[str, Any]]]:
    """Plan and store a route per team; their ids, and the stops no team could take."""
    teams = _with_start(connection, body, _teams(connection, body.teams, principal), principal)
    stops, owners = _candidates(connection, body, teams, principal, checklists, tz)
    minutes = checklists.service_minutes(body.date)
    service = [60 * minutes.get(s["category"] or "", default_service_minutes) for s in stops]
    positions = [(t.lon, t.lat) for t in teams] + [(s["lon"], s["lat"]) for s in stops]
    costs, groups = _team_matrices(
        connection, positions, owners, len(teams), body.mode, detour_factor
    )
    day_start = datetime.combine(body.date, time.fromisoformat(body.shift_start), tz)
    day_end = datetime.combine(body.date, time.fromisoformat(body.shift_end), tz)
    shift_s = int((day_end - day_start).total_seconds())
    vehicles = [
        planner.VehicleToPlan(t, shift_s, body.max_stops, team=t)
        for t in range(len(teams))
        for _ in range(body.inspectors_per_team)
    ]
    routes, left = planner.plan(
        costs,
        vehicles,
        [
            planner.StopToPlan(len(teams) + i, service[i], PRIORITY[s["reason"]], owners[i])
            for i, s in enumerate(stops)
        ],
        body.time_limit_s,
    )
    full = [len(r.stops) >= body.max_stops for r in routes]
    unassigned = [_unassigned(stops[i], vehicles, full, owners[i]) for i in left]
    ids = [
        _store(
            connection,
            body,
            teams[vehicle.team],
            v % body.inspectors_per_team + 1,
            route.stops,
            stops,
            service,
            groups[vehicle.team],
            day_start,
            day_end,
            [u for i, u in zip(left, unassigned, strict=True) if owners[i] in (vehicle.team, None)],
            principal.username,
            len(teams),
        )
        for v, (vehicle, route) in enumerate(zip(vehicles, routes, strict=True))
    ]
    return ids, unassigned


@dataclass(frozen=True)
class TeamMatrix:
    """Travel between a team's base (first) and the stops it may take; `rows` are their
    indexes among all positions."""

    rows: list[int]
    matrix: TravelMatrix


def _team_matrices(
    connection: Connection,
    positions: list[tuple[float, float]],
    owners: list[int | None],
    team_count: int,
    mode: str,
    detour_factor: float,
) -> tuple[np.ndarray, list[TeamMatrix]]:
    """Seconds between all positions, measured on the roads only within each team's group
    (its base, its area's stops and the stops any team may take): a team never travels to
    another's stops, and a city-wide matrix costs minutes where nine street-sized ones cost
    seconds. Pairs across groups keep the straight-line estimate."""
    lonlat = np.asarray(positions, dtype=float)
    costs = haversine_matrix(lonlat) * detour_factor / metres_per_second(OFF_NETWORK_KMH[mode])
    groups = []
    for v in range(team_count):
        rows = [v] + [team_count + i for i, owner in enumerate(owners) if owner in (v, None)]
        matrix = travel_matrix(
            connection, [positions[r] for r in rows], mode, "time", detour_factor
        )
        costs[np.ix_(rows, rows)] = matrix.costs
        groups.append(TeamMatrix(rows, matrix))
    return costs, groups


def _teams(connection: Connection, codes: list[str], principal: Principal) -> list[Team]:
    rows = {
        r.code: Team(**r._mapping)
        for r in connection.execute(text(queries.TEAMS), {"codes": codes})
    }
    unknown = [c for c in codes if c not in rows]
    if unknown:
        raise InvalidParameter(f"teams: no team with code {', '.join(map(repr, unknown))}")
    if principal.role == "inspector" and codes != [principal.team_code]:
        mine = principal.team_code or "none"
        raise Forbidden(f"teams: an inspector plans its own team only (yours: {mine})")
    return [rows[c] for c in codes]


def _with_start(
    connection: Connection, body: PlanRequest, teams: list[Team], principal: Principal
) -> list[Team]:
    """Teams starting at their base, or (one team) where the request says."""
    if body.start_position is not None:
        lon, lat = body.start_position
        return [replace(teams[0], lon=lon, lat=lat, start_label="指定起点")]
    if body.start_point is not None:
        scope, params = principal.scope_sql("p.")
        row = connection.execute(
            text(queries.requested_sql(scope)), params | {"codes": [body.start_point]}
        ).first()
        if row is None:
            raise InvalidParameter(
                f"start_point: no point (in your scope) with code {body.start_point}"
            )
        return [replace(teams[0], lon=row.lon, lat=row.lat, start_label=row.name)]
    return [replace(t, start_label=f"{t.name}驻地") for t in teams]


def _candidates(
    connection: Connection,
    body: PlanRequest,
    teams: list[Team],
    principal: Principal,
    checklists: Checklists,
    tz: ZoneInfo,
) -> tuple[list[dict[str, Any]], list[int | None]]:
    """Stops by the rules, most urgent first, one per point; and the team each belongs to.

    Each team gets a pool of the stops its inspectors can take plus one route's worth:
    verifications first, points due filling what is left (a pool full of verifications needs
    no due list). Enough to choose a compact day from; the travel matrix grows with the
    square of the pool."""
    pool = body.max_stops * (body.inspectors_per_team + 1)
    cycles = checklists.cycles(body.date)
    weights = checklists.priorities(body.date)
    found: list[tuple[dict[str, Any], int | None]] = []
    for v, team in enumerate(teams):
        if team.area_id is None or team.area_level is None:
            continue
        area = {"area_id": team.area_id, "limit": pool}
        mine: list[tuple[dict[str, Any], int | None]] = []
        if body.include_verification:
            sql = queries.verifications_sql(team.area_level)
            mine += [(dict(r._mapping), v) for r in connection.execute(text(sql), area)]
        if body.include_due and len(mine) < pool:
            where: tuple[str, dict[str, object]] = (
                f"p.{team.area_level}_id = :area_id",
                {"area_id": team.area_id},
            )
            due = worklist.page(connection, body.date, tz, cycles, weights, where, pool - len(mine))
            mine += [(_due_stop(row), v) for row in due.rows]
        found += mine
    if body.points:
        scope, params = principal.scope_sql("p.")
        rows = connection.execute(
            text(queries.requested_sql(scope)), params | {"codes": body.points}
        ).all()
        missing = sorted(set(body.points) - {r.code for r in rows})
        if missing:
            raise InvalidParameter(
                f"points: no point (in your scope) with code {', '.join(missing)}"
            )
        found += [(dict(r._mapping), None) for r in rows]
    found.sort(key=lambda pair: -PRIORITY[pair[0]["reason"]])
    stops, owners, seen = [], [], set()
    for stop, owner in found:
        key = stop["point_id"] or stop["issue_id"]
        if key in seen:
            continue
        seen.add(key)
        stops.append(stop)
        owners.append(owner)
    return stops, owners


def _due_stop(row: Any) -> dict[str, Any]:
    """A row of the due worklist as a stop to plan."""
    return {
        "issue_id": None,
        "point_id": row["point_id"],
        "code": row["code"],
        "name": row["name"],
        "category": row["category"],
        "lon": row["lon"],
        "lat": row["lat"],
        "reason": row["due"],
    }


def _unassigned(
    stop: dict[str, Any],
    vehicles: list[planner.VehicleToPlan],
    full: list[bool],  # per vehicle: it holds max_stops already
    owner: int | None,
) -> dict[str, Any]:
    could = [f for v, f in zip(vehicles, full, strict=True) if owner in (None, v.team)]
    why = WHY["max_stops"] if could and all(could) else WHY["shift"]
    return {
        "point": stop["code"],
        "name": stop["name"],
        "issue_id": str(stop["issue_id"]) if stop["issue_id"] else None,
        "reason": stop["reason"],
        "why": why,
        "position": [stop["lon"], stop["lat"]],
    }


def _store(
    connection: Connection,
    body: PlanRequest,
    team: Team,
    inspector: int,  # 1 … body.inspectors_per_team
    order: list[int],
    stops: list[dict[str, Any]],
    service: list[int],
    group: "TeamMatrix",
    day_start: datetime,
    day_end: datetime,
    unassigned: list[dict[str, Any]],  # the stops of this team's area (or any team's) left out
    username: str,
    offset: int,
) -> int:
    """Write one route and its stops: legs along the roads (or straight), arrival times."""
    local = {row: k for k, row in enumerate(group.rows)}
    path = [0, *[local[offset + i] for i in order], 0]  # from the base and back
    matrix = group.matrix
    legs = _legs(connection, matrix, path, body.mode)
    clock = day_start
    written = []
    for k, i in enumerate(order):
        metres, seconds, geojson = legs[k]
        clock += timedelta(seconds=seconds)
        s = stops[i]
        written.append(
            {
                "seq": k + 1,
                "point_id": s["point_id"],
                "lon": s["lon"],
                "lat": s["lat"],
                "issue_id": str(s["issue_id"]) if s["issue_id"] else None,
                "reason": s["reason"],
                "arrival": clock.isoformat(),
                "service_s": service[i],
                "leg_m": metres,
                "leg_s": seconds,
                "leg": geojson,
            }
        )
        clock += timedelta(seconds=service[i])
    back_m, back_s, back_geojson = legs[-1]
    total_m = sum(leg[0] for leg in legs)
    duration = (clock - day_start).total_seconds() + back_s
    route_id = connection.scalar(
        text(queries.INSERT_ROUTE),
        {
            "team_id": team.id,
            "inspector": inspector,
            "inspectors": body.inspectors_per_team,
            "day": body.date,
            "mode": body.mode,
            "network": matrix.network,
            "lon": team.lon,
            "lat": team.lat,
            "label": team.start_label,
            "shift_start": day_start,
            "shift_end": day_end,
            "distance_m": total_m,
            "duration_s": duration,
            "end_geojson": back_geojson,
            "unassigned": json.dumps(unassigned, ensure_ascii=False),
            "by": username,
        },
    )
    if written:
        connection.execute(
            text(queries.INSERT_STOPS), {"route_id": route_id, "stops": json.dumps(written)}
        )
    return int(route_id)


def _legs(
    connection: Connection, matrix: TravelMatrix, path: list[int], mode: str
) -> list[tuple[float, float, str]]:
    """(metres, seconds, GeoJSON line) of each step of `path` (matrix rows): along the roads
    between the stops' junctions, or straight where there are no roads or no road path."""
    steps = list(zip(path, path[1:], strict=False))
    on_roads: dict[tuple[int, int], queries.Leg] = {}
    if matrix.snaps is not None and matrix.edges is not None:
        pairs = [(matrix.snaps[a].node, matrix.snaps[b].node) for a, b in steps]
        on_roads = queries.legs(connection, pairs, mode, matrix.edges)
    out = []
    for a, b in steps:
        ends = (matrix.positions[a], matrix.positions[b])
        seconds = float(matrix.costs[a, b])
        snaps = matrix.snaps
        leg = on_roads.get((snaps[a].node, snaps[b].node)) if snaps is not None else None
        if leg is None or snaps is None:
            metres = seconds * metres_per_second(OFF_NETWORK_KMH[mode])
            coords = [list(ends[0]), list(ends[1])]
        else:
            metres = snaps[a].metres + leg.metres + snaps[b].metres
            middle = json.loads(leg.geojson)["coordinates"] if leg.geojson else []
            coords = [list(ends[0]), *middle, list(ends[1])]
        out.append((round(metres, 1), round(seconds, 1), _line(coords)))
    return out


def _line(coords: list[list[float]]) -> str:
    if len(coords) < 2 or all(c == coords[0] for c in coords):
        coords = [coords[0], coords[0]]
    return json.dumps({"type": "LineString", "coordinates": coords})
