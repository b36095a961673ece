"""Sharing a day's stops between teams within their shifts: a duration matrix in, routes out;
no I/O. VROOM assigns and orders (priorities, shift windows, area skills, a stop limit per
team); each route's order is then improved by LKH-3 within the time limit, which shortens the
travel without moving any stop off the route (service times stay, so the shift still fits)."""

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import vroom

from geoapi.patrol.solver import order_stops, tour_length


@dataclass(frozen=True)
class StopToPlan:
    """A place to visit: its row in the matrix, minutes there, urgency (0–100), and the
    team whose vehicles may take it (None: any)."""

    location: int
    service_s: int
    priority: int
    team: int | None


@dataclass(frozen=True)
class VehicleToPlan:
    """An inspector's day: the start (and end) row in the matrix, the shift's length, and
    the team it belongs to (a team may send several out)."""

    location: int
    shift_s: int
    max_stops: int
    team: int


@dataclass(frozen=True)
class PlannedRoute:
    """Indexes into the stops list, in visiting order, for one vehicle."""

    vehicle: int
    stops: list[int]


def plan(
    durations: np.ndarray,
    vehicles: list[VehicleToPlan],
    stops: list[StopToPlan],
    time_limit_s: float,
) -> tuple[list[PlannedRoute], list[int]]:
    """Routes per vehicle (in the vehicles' order) and the stops left unassigned.

    When every stop belongs to one team, the teams' days are independent problems: each is
    solved on its own (nine problems of sixty stops take a fraction of one of 540)."""
    if any(stop.team is None for stop in stops):
        parts = [(list(range(len(vehicles))), list(range(len(stops))))]
    else:
        teams = sorted({v.team for v in vehicles})
        parts = [
            (
                [k for k, v in enumerate(vehicles) if v.team == team],
                [k for k, s in enumerate(stops) if s.team == team],
            )
            for team in teams
        ]
    routes: dict[int, list[int]] = {}
    for vehicle_ids, stop_ids in parts:
        orders = _solve(
            durations,
            [vehicles[k] for k in vehicle_ids],
            [stops[k] for k in stop_ids],
            time_limit_s / len(parts),
        )
        for k, order in zip(vehicle_ids, orders, strict=True):
            routes[k] = [stop_ids[i] for i in order]
    planned = [PlannedRoute(k, routes.get(k, [])) for k in range(len(vehicles))]
    assigned = {i for r in planned for i in r.stops}
    return planned, [s for s in range(len(stops)) if s not in assigned]


def _solve(
    durations: np.ndarray,
    vehicles: list[VehicleToPlan],
    stops: list[StopToPlan],
    time_limit_s: float,
) -> list[list[int]]:
    """Each vehicle's stops (indexes into `stops`) in visiting order: VROOM, then LKH-3."""
    if not stops or not vehicles:
        return [[] for _ in vehicles]
    rows = sorted({v.location for v in vehicles} | {s.location for s in stops})
    local = {row: k for k, row in enumerate(rows)}  # VROOM sees only this part's rows
    problem = vroom.Input()
    problem.set_durations_matrix(
        profile="car",
        matrix_input=np.rint(durations[np.ix_(rows, rows)]).astype(np.int64).tolist(),
    )
    for v, vehicle in enumerate(vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                v,
                start=local[vehicle.location],
                end=local[vehicle.location],
                skills={vehicle.team},
                time_window=vroom.TimeWindow(0, vehicle.shift_s),
                max_tasks=vehicle.max_stops,
            )
        )
    for s, stop in enumerate(stops):
        skills = {stop.team} if stop.team is not None else set()  # a subset of the vehicle's
        problem.add_job(
            vroom.Job(
                s,
                location=local[stop.location],
                default_service=stop.service_s,
                priority=stop.priority,
                skills=skills,
            )
        )
    solution = problem.solve(
        exploration_level=5 if len(stops) <= 30 else 2,  # 60 stops: level 2 as good, 3× faster
        nb_threads=2,
        timeout=timedelta(seconds=time_limit_s / 2),
    )
    frame = solution.routes
    jobs = frame[frame["type"] == "job"] if "id" in frame else frame.iloc[0:0].assign(id=[])
    orders = []
    for v, vehicle in enumerate(vehicles):
        ordered = [int(i) for i in jobs[jobs["vehicle_id"] == v]["id"]]
        orders.append(_shorter(durations, vehicle, stops, ordered, time_limit_s))
    return orders


def _shorter(
    durations: np.ndarray,
    vehicle: VehicleToPlan,
    stops: list[StopToPlan],
    ordered: list[int],
    time_limit_s: float,
) -> list[int]:
    """`ordered` re-sequenced by LKH-3 when that travels less (start and end at the base)."""
    if len(ordered) < 3:
        return ordered
    rows = [vehicle.location, *[stops[s].location for s in ordered]]
    sub = durations[np.ix_(rows, rows)]
    tour = order_stops(sub, 0, True, max(time_limit_s / 4, 0.1))
    if tour_length(sub, tour, True) < tour_length(sub, list(range(len(rows))), True):
        return [ordered[i - 1] for i in tour[1:]]
    return ordered
