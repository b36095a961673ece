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
    vehicle that may take it (None: any)."""

    location: int
    service_s: int
    priority: int
    vehicle: int | None


@dataclass(frozen=True)
class VehicleToPlan:
    """A team's day: its start (and end) row in the matrix and the shift's length."""

    location: int
    shift_s: int
    max_stops: int


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
    """Routes per vehicle (in the vehicles' order) and the stops left unassigned."""
    if not stops:
        return [PlannedRoute(v, []) for v in range(len(vehicles))], []
    problem = vroom.Input()
    problem.set_durations_matrix(
        profile="car", matrix_input=np.rint(durations).astype(np.int64).tolist()
    )
    for v, vehicle in enumerate(vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                v,
                start=vehicle.location,
                end=vehicle.location,
                skills={v},
                time_window=vroom.TimeWindow(0, vehicle.shift_s),
                max_tasks=vehicle.max_stops,
            )
        )
    for s, stop in enumerate(stops):
        skills = {stop.vehicle} if stop.vehicle is not None else set()  # a subset of the team's
        problem.add_job(
            vroom.Job(
                s,
                location=stop.location,
                default_service=stop.service_s,
                priority=stop.priority,
                skills=skills,
            )
        )
    solution = problem.solve(
        exploration_level=5 if len(stops) <= 200 else 2,
        nb_threads=2,
        timeout=timedelta(seconds=time_limit_s / 2),
    )
    frame = solution.routes
    jobs = frame[frame["type"] == "job"] if "id" in frame else frame.iloc[0:0].assign(id=[])
    routes = []
    for v, vehicle in enumerate(vehicles):
        ordered = [int(i) for i in jobs[jobs["vehicle_id"] == v]["id"]]
        routes.append(PlannedRoute(v, _shorter(durations, vehicle, stops, ordered, time_limit_s)))
    assigned = {i for r in routes for i in r.stops}
    return routes, [s for s in range(len(stops)) if s not in assigned]


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
