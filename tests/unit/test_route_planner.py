"""Sharing stops between inspectors (VROOM, then LKH-3): teams keep to their own stops, a stop
any team may take goes to exactly one, and the shift bounds every route."""

import numpy as np

from geoapi.patrol import planner


def durations(points: np.ndarray, speed: float = 5.0) -> np.ndarray:
    """Seconds between points (metres) at `speed` m/s."""
    return np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)) / speed


def two_teams(rng: np.random.Generator, shared: int) -> tuple[np.ndarray, list, list]:
    """Bases 0 and 1 two km apart, 12 stops round each, `shared` stops between them."""
    bases = np.array([[0.0, 0.0], [2000.0, 0.0]])
    own = [bases[t] + rng.normal(0, 300, (12, 2)) for t in (0, 1)]
    middle = np.array([[1000.0, 0.0]]) + rng.normal(0, 100, (shared, 2))
    points = np.vstack([bases, *own, middle])
    stops = [
        planner.StopToPlan(2 + i, 300, 50, team=None if i >= 24 else i // 12)
        for i in range(24 + shared)
    ]
    return durations(points), stops, points


def test_each_inspector_takes_only_its_own_teams_stops():
    matrix, stops, _ = two_teams(np.random.default_rng(3), shared=0)
    vehicles = [planner.VehicleToPlan(t, 8 * 3600, 20, team=t) for t in (0, 0, 1)]
    routes, left = planner.plan(matrix, vehicles, stops, time_limit_s=2)
    assert left == []
    for route, vehicle in zip(routes, vehicles, strict=True):
        assert all(stops[i].team == vehicle.team for i in route.stops)
    taken = [i for r in routes for i in r.stops]
    assert sorted(taken) == list(range(len(stops)))


def test_a_stop_any_team_may_take_goes_to_one_of_them():
    matrix, stops, _ = two_teams(np.random.default_rng(4), shared=4)
    vehicles = [planner.VehicleToPlan(t, 8 * 3600, 20, team=t) for t in (0, 1)]
    routes, left = planner.plan(matrix, vehicles, stops, time_limit_s=2)
    taken = [i for r in routes for i in r.stops]
    assert left == [] and sorted(taken) == list(range(len(stops)))
    for route, vehicle in zip(routes, vehicles, strict=True):
        assert all(stops[i].team in (None, vehicle.team) for i in route.stops)


def test_a_short_shift_keeps_the_urgent_stops_and_fits():
    matrix, stops, _ = two_teams(np.random.default_rng(5), shared=0)
    urgent = {0, 5, 9}
    stops = [
        planner.StopToPlan(s.location, 1200, 100 if i in urgent else 10, s.team)
        for i, s in enumerate(stops)
    ]
    shift = 2 * 3600  # room for about five 20-minute stops
    routes, left = planner.plan(matrix, [planner.VehicleToPlan(0, shift, 20, team=0)], stops, 2)
    order = routes[0].stops
    assert urgent <= set(order) and left and set(left) | set(order) == set(range(24))
    path = [0, *[stops[i].location for i in order], 0]
    travel = sum(matrix[a, b] for a, b in zip(path, path[1:], strict=False))
    assert travel + 1200 * len(order) <= shift
