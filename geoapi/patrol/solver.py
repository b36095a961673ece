"""The visiting order of one route: a distance matrix in, an order out; no I/O.

LKH-3 (through elkai's parameter interface) finds optimal or near-optimal tours. Its default
settings spend most of their time on the subgradient ascent and on n trials (1,000 stops: 9 s);
a short ascent (INITIAL_PERIOD), few trials and a time limit on the search keep the tour within
a fraction of a per cent of the default's (bench/routes.py) at a tenth of the time. What LKH
spends outside its TIME_LIMIT (reading the matrix, the ascent, the trial under way when time
runs out) cannot be interrupted and grows with n² (2,000 stops: about 2.9 s here): the search
gets what is left of the caller's limit after that estimate, and when the estimate does not
fit most of the limit, a nearest-neighbour tour is improved by 2-opt moves until the limit
instead.

An open route (no return to the start) is solved as a tour through a dummy stop that every stop
reaches for free and that leads only back to the start: cutting the tour there leaves the
best path that begins at the start.
"""

import time

import numpy as np
from elkai import _elkai

LKH_OVERHEAD_SECONDS_AT_1000 = 0.75  # outside LKH's TIME_LIMIT; grows with n² (measured here)
LKH_OVERHEAD_SECONDS_FIXED = 0.05
LKH_ASCENT_PERIOD = 50
# LKH works in integers and multiplies them by its own precision: costs are scaled so the
# longest leg is SCALE (and a forbidden one 10 × that), far from overflow, fine enough to rank.
SCALE = 100_000
FORBIDDEN = 10 * SCALE


def order_stops(
    metres: np.ndarray, start: int, return_to_start: bool, time_limit_s: float
) -> list[int]:
    """A permutation of every index of the square matrix `metres`, beginning with `start`,
    short in total length (back to `start` too when `return_to_start`)."""
    n = len(metres)
    longest = float(np.max(metres)) if n else 0.0
    if n <= 3 or longest <= 0:  # nothing to order: every stop at the same place
        return [start, *[i for i in range(n) if i != start]]
    scaled = np.asarray(metres, dtype=float) * (SCALE / longest)
    deadline = time.monotonic() + time_limit_s
    matrix = _rooted(scaled, start, return_to_start)
    overhead = LKH_OVERHEAD_SECONDS_FIXED + LKH_OVERHEAD_SECONDS_AT_1000 * (len(matrix) / 1000) ** 2
    if overhead <= 0.7 * time_limit_s:
        left = deadline - time.monotonic() - overhead
        tour = _lkh(matrix, search_seconds=0.9 * left)
    else:
        tour = _two_opt(matrix, _nearest_neighbour(matrix), deadline)
    order = [i for i in tour if i < n]  # the dummy stop (index n) is left out
    position = order.index(0)
    order = order[position:] + order[:position]
    original = _original_index(n, start)
    return [original[i] for i in order]


def tour_length(metres: np.ndarray, order: list[int], return_to_start: bool) -> float:
    """Metres along `order` (and back to its first stop when `return_to_start`)."""
    legs = list(zip(order, order[1:], strict=False))
    if return_to_start and len(order) > 1:
        legs.append((order[-1], order[0]))
    return float(sum(metres[a][b] for a, b in legs))


def _original_index(n: int, start: int) -> list[int]:
    """Index in the caller's matrix of each index of the rooted one (start first)."""
    return [start, *[i for i in range(n) if i != start]]


def _rooted(metres: np.ndarray, start: int, return_to_start: bool) -> np.ndarray:
    """The matrix with `start` moved to index 0 and, for an open route, the dummy stop."""
    order = _original_index(len(metres), start)
    rooted = metres[np.ix_(order, order)]
    if return_to_start:
        return rooted
    n = len(rooted)
    opened = np.full((n + 1, n + 1), float(FORBIDDEN))
    opened[:n, :n] = rooted
    opened[:n, n] = 0  # any stop may end the route
    opened[n, 0] = 0  # and the dummy leads back to the start alone
    opened[n, n] = 0
    return opened


def _lkh(matrix: np.ndarray, search_seconds: float) -> list[int]:
    """One LKH-3 run with a short ascent, at most n trials, and a limit on the search."""
    n = len(matrix)
    symmetric = bool(np.array_equal(matrix, matrix.T))
    params = (
        "PROBLEM_FILE = :stdin:\nRUNS = 1\n"
        f"MAX_TRIALS = {n}\nINITIAL_PERIOD = {min(n // 2 + 1, LKH_ASCENT_PERIOD)}\n"
        f"TIME_LIMIT = {max(search_seconds, 0.01):.3f}\n"
    )
    rows = "\n".join(" ".join(map(str, row)) for row in np.rint(matrix).astype(np.int64).tolist())
    problem = (
        f"TYPE : {'TSP' if symmetric else 'ATSP'}\nDIMENSION : {n}\n"
        "EDGE_WEIGHT_TYPE : EXPLICIT\nEDGE_WEIGHT_FORMAT : FULL_MATRIX\n"
        f"EDGE_WEIGHT_SECTION\n{rows}\n"
    )
    return [i - 1 for i in _elkai.solve_problem(params, problem)]  # LKH counts from 1


def _nearest_neighbour(matrix: np.ndarray) -> list[int]:
    n = len(matrix)
    unvisited = np.ones(n, dtype=bool)
    tour = [0]
    unvisited[0] = False
    for _ in range(n - 1):
        costs = np.where(unvisited, matrix[tour[-1]], np.inf)
        nearest = int(np.argmin(costs))
        tour.append(nearest)
        unvisited[nearest] = False
    return tour


def _two_opt(matrix: np.ndarray, tour: list[int], deadline: float) -> list[int]:
    """Reverse segments while one shortens the tour, until none does or time is up.

    The gain is measured on the symmetric part of the matrix (a one-way street makes a
    reversed segment a little dearer than measured; the route stays valid)."""
    symmetric = (matrix + matrix.T) / 2
    path = np.array(tour)
    n = len(path)
    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        for i in range(1, n - 1):
            a, b = path[i - 1], path[i]
            c, d = path[i + 1 :], np.roll(path, -1)[i + 1 :]
            gains = symmetric[a, b] + symmetric[c, d] - symmetric[a, c] - symmetric[b, d]
            j = int(np.argmax(gains))
            if gains[j] > 1e-9:
                path[i : i + 2 + j] = path[i : i + 2 + j][::-1]
                improved = True
            if time.monotonic() >= deadline:
                break
    return path.tolist()
