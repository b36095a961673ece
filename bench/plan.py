"""Benchmark planning a day (`POST /routes/plan`) on the database in settings, through HTTP
to the ASGI app as a planner: one team, and all teams at once.

    GEOAPI_DATABASE_URL=…/geoapi_bench .venv/bin/python bench/plan.py [--runs 3] [--day YYYY-MM-DD]

The day defaults to tomorrow (the demo's history ends today): what a team leader plans.
Prints a Markdown table: wall time (p50, max), stops planned by reason, stops unassigned.
Planned routes are removed afterwards (the benchmark database keeps only the demo).
"""

import argparse
import statistics
import time
from collections import Counter
from datetime import date, timedelta

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
    parser.add_argument("--day", default=(date.today() + timedelta(days=1)).isoformat())
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
    everyone = f"all {len(teams)} teams"
    cases = {
        "one team": {"teams": teams[:1]},
        everyone: {"teams": teams},
        f"{everyone}, due points only": {"teams": teams, "include_verification": False},
        f"{everyone}, 3 inspectors each": {"teams": teams, "inspectors_per_team": 3},
    }
    print(f"{points:,} points, {roads:,} road segments, day {args.day}\n")
    print("| plan | p50 s | max s | routes | stops planned (by reason) | unassigned | network |")
    print("|---|---|---|---|---|---|---|")
    try:
        with TestClient(create_app(settings), headers={"X-API-Key": BENCH_KEY}) as client:
            for name, case in cases.items():
                seconds, body = [], {}
                for _ in range(args.runs):
                    begun = time.monotonic()
                    response = client.post(
                        "/routes/plan",
                        json=case | {"date": args.day, "max_stops": args.max_stops},
                    )
                    seconds.append(time.monotonic() - begun)
                    if response.status_code != 201:
                        raise SystemExit(f"{response.status_code}: {response.text}")
                    body = response.json()
                reasons = Counter(s["reason"] for r in body["routes"] for s in r["stops"])
                mix = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
                networks = {r["network"] for r in body["routes"]}
                print(
                    f"| {name} | {statistics.median(seconds):.2f} | {max(seconds):.2f} | "
                    f"{len(body['routes'])} | {sum(reasons.values())} ({mix}) | "
                    f"{len(body['unassigned'])} | {', '.join(sorted(networks))} |",
                    flush=True,
                )
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM routes WHERE id > :id"), {"id": before})
        engine.dispose()


if __name__ == "__main__":
    main()
