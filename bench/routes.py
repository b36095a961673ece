"""Benchmark the visiting-order core: its tour length and time beside LKH-3 (elkai, several
runs, the reference) and VROOM alone, on clustered instances with fixed seeds.

    .venv/bin/python bench/routes.py [--sizes 50,200,1000] [--time-limit 1,1,5]

Prints a Markdown table: per size, mean gap to the reference (%) and mean wall time (s).
"""

import argparse
import time

import elkai
import numpy as np
import vroom

from geoapi.patrol.solver import order_stops, tour_length

SEEDS = (1, 2, 3)  # --seeds N takes the first N


def clustered(n: int, seed: int) -> np.ndarray:
    """Points in 8 Gaussian clusters over a 10 km square, as a district's hot spots."""
    rng = np.random.default_rng(seed)
    centres = rng.random((8, 2)) * 10_000
    points = centres[rng.integers(0, 8, n)] + rng.normal(0, 600, (n, 2))
    return np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))


def lkh_reference(metres: np.ndarray, runs: int) -> float:
    tour = elkai.DistanceMatrix(np.rint(metres).astype(int).tolist()).solve_tsp(runs=runs)
    return tour_length(metres, tour[:-1], True)


def vroom_alone(metres: np.ndarray) -> float:
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=np.rint(metres).astype(int).tolist())
    problem.add_vehicle([vroom.Vehicle(0, start=0, end=0)])
    problem.add_job([vroom.Job(i, location=i) for i in range(1, len(metres))])
    return float(problem.solve(exploration_level=1, nb_threads=1).summary.cost)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,200,1000")
    parser.add_argument("--time-limit", default="1,1,5")
    parser.add_argument("--reference-runs", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=len(SEEDS))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    limits = [float(t) for t in args.time_limit.split(",")]
    print("| points | limit s | ours gap % | ours s | VROOM gap % | VROOM s | LKH-3 s |")
    print("|---|---|---|---|---|---|---|")
    for n, limit in zip(sizes, limits, strict=True):
        gaps, times, vgaps, vtimes, rtimes = [], [], [], [], []
        for seed in SEEDS[: args.seeds]:
            metres = clustered(n, seed)
            begun = time.monotonic()
            reference = lkh_reference(metres, args.reference_runs)
            rtimes.append(time.monotonic() - begun)
            begun = time.monotonic()
            ours = tour_length(metres, order_stops(metres, 0, True, limit), True)
            times.append(time.monotonic() - begun)
            begun = time.monotonic()
            theirs = vroom_alone(metres)
            vtimes.append(time.monotonic() - begun)
            gaps.append(100 * (ours / reference - 1))
            vgaps.append(100 * (theirs / reference - 1))
        print(
            f"| {n} | {limit:g} | {np.mean(gaps):.2f} | {np.mean(times):.2f} | "
            f"{np.mean(vgaps):.2f} | {np.mean(vtimes):.2f} | {np.mean(rtimes):.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
