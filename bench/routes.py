"""Benchmark the visiting-order core: its tour length and time beside LKH-3 (elkai with its
default settings, several runs: the reference), OR-Tools (guided local search, 1 s and 5 s) and
VROOM alone (stopped after --vroom-timeout s), on clustered instances with fixed seeds.

    .venv/bin/python bench/routes.py [--sizes 50,200,300,1000] [--time-limit 1,1,1,5]

Prints a Markdown table: per size, mean gap to the reference (%) and mean wall time (s).
"""

import argparse
import time
from datetime import timedelta

import elkai
import numpy as np
import vroom
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from geoapi.patrol.solver import order_stops, tour_length

SEEDS = (1, 2, 3)  # --seeds N takes the first N


def clustered(n: int, seed: int) -> np.ndarray:
    """Points in 8 Gaussian clusters over a 10 km square, as a district's hot spots."""
    rng = np.random.default_rng(seed)
    centres = rng.random((8, 2)) * 10_000
    points = centres[rng.integers(0, 8, n)] + rng.normal(0, 600, (n, 2))
    return np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))


def lkh_reference(metres: np.ndarray, runs: int) -> float:
    """LKH-3 with elkai's default settings: the best tour of `runs` runs."""
    tour = elkai.DistanceMatrix(np.rint(metres).astype(int).tolist()).solve_tsp(runs=runs)
    return tour_length(metres, tour[:-1], True)


def vroom_alone(metres: np.ndarray, timeout_s: float) -> float:
    """VROOM's single-vehicle tour (its local search stopped after `timeout_s`)."""
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=np.rint(metres).astype(int).tolist())
    problem.add_vehicle([vroom.Vehicle(0, start=0, end=0)])
    problem.add_job([vroom.Job(i, location=i) for i in range(1, len(metres))])
    solution = problem.solve(
        exploration_level=1, nb_threads=1, timeout=timedelta(seconds=timeout_s)
    )
    return float(solution.summary.cost)


def or_tools(metres: np.ndarray, seconds: int) -> float:
    """OR-Tools' routing solver: cheapest arc, then guided local search for `seconds`."""
    costs = np.rint(metres).astype(int).tolist()
    manager = pywrapcp.RoutingIndexManager(len(costs), 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    callback = routing.RegisterTransitCallback(
        lambda i, j: costs[manager.IndexToNode(i)][manager.IndexToNode(j)]
    )
    routing.SetArcCostEvaluatorOfAllVehicles(callback)
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    search.time_limit.FromSeconds(seconds)
    solution = routing.SolveWithParameters(search)
    index, tour = routing.Start(0), []
    while not routing.IsEnd(index):
        tour.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return tour_length(metres, tour, True)


def timed(solve, *args) -> tuple[float, float]:
    """(length, wall seconds) of one solve."""
    begun = time.monotonic()
    length = solve(*args)
    return length, time.monotonic() - begun


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,200,300,1000")
    parser.add_argument("--time-limit", default="1,1,1,5")
    parser.add_argument("--reference-runs", type=int, default=3)
    parser.add_argument("--vroom-timeout", type=float, default=10.0)
    parser.add_argument("--seeds", type=int, default=len(SEEDS))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    limits = [float(t) for t in args.time_limit.split(",")]
    solvers = {
        "ours": lambda m, limit: tour_length(m, order_stops(m, 0, True, limit), True),
        "OR-Tools 1 s": lambda m, limit: or_tools(m, 1),
        "OR-Tools 5 s": lambda m, limit: or_tools(m, 5),
        "VROOM": lambda m, limit: vroom_alone(m, args.vroom_timeout),
    }
    columns = " | ".join(f"{k} gap % | {k} s" for k in solvers)
    print(f"| points | limit s | LKH-3 s | {columns} |")
    print("|---" * (3 + 2 * len(solvers)) + "|")
    for n, limit in zip(sizes, limits, strict=True):
        gaps = {k: [] for k in solvers}
        times = {k: [] for k in solvers}
        reference_times = []
        for seed in SEEDS[: args.seeds]:
            metres = clustered(n, seed)
            reference, seconds = timed(lkh_reference, metres, args.reference_runs)
            reference_times.append(seconds)
            for name, solve in solvers.items():
                length, seconds = timed(solve, metres, limit)
                gaps[name].append(100 * (length / reference - 1))
                times[name].append(seconds)
        cells = " | ".join(f"{np.mean(gaps[k]):.2f} | {np.mean(times[k]):.2f}" for k in solvers)
        print(f"| {n} | {limit:g} | {np.mean(reference_times):.2f} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
