"""Benchmark planning a day (`POST /routes/plan`) on the database in settings, through HTTP
to the ASGI app as a planner: one team, and all teams at once.

    GEOAPI_DATABASE_URL=…/geoapi_bench .venv/bin/python bench/plan.py [--runs 3] [--day 2026-11-25]

Prints a Markdown table: wall time (p50, max), stops planned, stops unassigned, network.
Planned routes are removed afterwards (the benchmark database keeps only the demo).
"""

import argparse
import statistics
import time

from fastapi.testclient import TestClient
from planner_key import BENCH_KEY, ensure_bench_planner
from sqlalchemy import text

from geoapi.app import create_app
from geoapi.db.engine import make_engine
from geoapi.settings import Settings


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--day", default="2026-11-25")
    parser.add_argument("--max-stops", type=int, default=30)
    args = parser.parse_args()
    settings = Settings()
    engine = make_engine(settings)
    with engine.begin() as connection:
        ensure_bench_planner(connection)
        teams = list(connection.scalars(text("SELECT code FROM teams ORDER BY code")))
        points = connection.scalar(text("SELECT count(*) FROM points"))
        roads = connection.scalar(text("SELECT count(*) FROM roads"))
        before = connection.scalar(text("SELECT coalesce(max(id), 0) FROM routes"))
    cases = {"one team": teams[:1], f"all {len(teams)} teams": teams}
    print(f"{points:,} points, {roads:,} road segments, day {args.day}\n")
    print("| plan | p50 s | max s | stops planned | unassigned | network |")
    print("|---|---|---|---|---|---|")
    try:
        with TestClient(create_app(settings), headers={"X-API-Key": BENCH_KEY}) as client:
            for name, codes in cases.items():
                seconds, body = [], {}
                for _ in range(args.runs):
                    begun = time.monotonic()
                    response = client.post(
                        "/routes/plan",
                        json={"teams": codes, "date": args.day, "max_stops": args.max_stops},
                    )
                    seconds.append(time.monotonic() - begun)
                    if response.status_code != 201:
                        raise SystemExit(f"{response.status_code}: {response.text}")
                    body = response.json()
                stops = sum(len(r["stops"]) for r in body["routes"])
                networks = {r["network"] for r in body["routes"]}
                print(
                    f"| {name} | {statistics.median(seconds):.2f} | {max(seconds):.2f} | "
                    f"{stops} | {len(body['unassigned'])} | {', '.join(sorted(networks))} |",
                    flush=True,
                )
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM routes WHERE id > :id"), {"id": before})
        engine.dispose()


if __name__ == "__main__":
    main()
