"""The visiting-order core against brute force and a known optimum."""

import itertools
import math

import numpy as np
import pytest

from geoapi.patrol.distances import haversine_matrix
from geoapi.patrol.solver import order_stops, tour_length


def euclidean(points: np.ndarray) -> np.ndarray:
    return np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))


def brute_force(metres: np.ndarray, start: int, return_to_start: bool) -> float:
    others = [i for i in range(len(metres)) if i != start]
    return min(
        tour_length(metres, [start, *rest], return_to_start)
        for rest in itertools.permutations(others)
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("return_to_start", [True, False])
def test_small_instances_are_solved_optimally(seed, return_to_start):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 10))
    metres = euclidean(rng.random((n, 2)) * 5_000)
    start = int(rng.integers(0, n))
    order = order_stops(metres, start, return_to_start, time_limit_s=2)
    assert sorted(order) == list(range(n)) and order[0] == start
    best = brute_force(metres, start, return_to_start)
    assert tour_length(metres, order, return_to_start) == pytest.approx(best, rel=1e-6)


def test_points_on_a_circle_are_visited_around_it():
    angles = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    shuffled = np.random.default_rng(1).permutation(40)
    points = np.column_stack([np.cos(angles), np.sin(angles)])[shuffled] * 1_000
    metres = euclidean(points)
    order = order_stops(metres, 0, True, time_limit_s=2)
    perimeter = 40 * 2 * 1_000 * math.sin(math.pi / 40)  # the optimum: the polygon itself
    assert tour_length(metres, order, True) == pytest.approx(perimeter, rel=1e-6)


def test_many_points_stay_within_the_time_limit_and_beat_the_given_order():
    rng = np.random.default_rng(7)
    metres = euclidean(rng.random((1_500, 2)) * 10_000)
    order = order_stops(metres, 3, True, time_limit_s=2)
    assert sorted(order) == list(range(1_500)) and order[0] == 3
    assert tour_length(metres, order, True) < 0.2 * tour_length(metres, list(range(1_500)), True)


def test_haversine_matrix_matches_a_known_distance():
    # One degree of latitude along a meridian: 111.195 km on the mean-radius sphere.
    metres = haversine_matrix(np.array([[117.0, 36.0], [117.0, 37.0]]))
    assert metres[0, 1] == pytest.approx(111_195, abs=1) and metres[1, 0] == metres[0, 1]
