"""Benchmark the domain lists a planner or inspector waits for: due points, the problem list
with its typed filters, and the reference tables, through HTTP to the ASGI app as a planner.

    GEOAPI_DATABASE_URL=…/geoapi_bench .venv/bin/python bench/lists.py [--runs 5]

Prints a Markdown table: wall time (p50, max) and answer size per request.
"""

import argparse
import statistics
import time
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
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    engine = make_engine(settings)
    with engine.begin() as connection:
        ensure_bench_planner(connection)
        street = connection.scalar(text("SELECT code FROM areas WHERE level = 'street' LIMIT 1"))
        points = connection.scalar(text("SELECT count(*) FROM points"))
        issues = connection.scalar(text("SELECT count(*) FROM issues"))
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    requests = {
        "due points, one street, tomorrow (100)": f"/points/due?area={street}&date={tomorrow}&limit=100",
        "due points, city, tomorrow (1,000)": f"/points/due?date={tomorrow}&limit=1000",
        "problems, overdue (100)": "/issues?overdue=true&limit=100",
        "problems, street + status (100)": f"/issues?area={street}&status=dispatched,rectifying&limit=100",
        "categories": "/categories",
        "problem types": "/issue-types",
        "units": "/units",
        "teams": "/teams",
    }
    print(f"{points:,} points, {issues:,} problems\n")
    print("| request | p50 s | max s | bytes |")
    print("|---|---|---|---|")
    with TestClient(create_app(settings), headers={"X-API-Key": BENCH_KEY}) as client:
        for name, url in requests.items():
            seconds, size = [], 0
            for _ in range(args.runs):
                begun = time.monotonic()
                response = client.get(url)
                seconds.append(time.monotonic() - begun)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: {response.status_code} {response.text[:200]}")
                size = len(response.content)
            print(
                f"| {name} | {statistics.median(seconds):.3f} | {max(seconds):.3f} | {size:,} |",
                flush=True,
            )
    engine.dispose()


if __name__ == "__main__":
    main()
