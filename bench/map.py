"""Benchmark the planners' map: page build time and page size, for the database in settings.

    GEOAPI_DATABASE_URL=…/geoapi_bench .venv/bin/python bench/map.py [--runs 5]

Times GET /map (and a filtered map, and the hexagon aggregates) through the ASGI app, as a
planner, and prints a Markdown table with the point and problem counts of the database.
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
    """Print build time (p50, max) and size of each page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(map_basemap="blank")
    engine = make_engine(settings)
    with engine.begin() as connection:
        ensure_bench_planner(connection)
        points = connection.scalar(text("SELECT count(*) FROM points"))
        issues = connection.scalar(text("SELECT count(*) FROM issues"))
        street = connection.scalar(text("SELECT code FROM areas WHERE level = 'street' LIMIT 1"))
    engine.dispose()
    pages = {
        "/map": "/map",
        "/map one street, markets": f"/map?area={street}&category=market",
        "/aggregates/open-issues 500 m hexagons by status": "/aggregates/open-issues?size=500&by=status",
    }
    print(f"{points:,} points, {issues:,} problems\n")
    print("| page | build p50 s | build max s | size MB |")
    print("|---|---|---|---|")
    with TestClient(create_app(settings), headers={"X-API-Key": BENCH_KEY}) as client:
        for name, path in pages.items():
            seconds, size = [], 0
            for _ in range(args.runs):
                started = time.perf_counter()
                response = client.get(path)
                seconds.append(time.perf_counter() - started)
                response.raise_for_status()
                size = len(response.content)
            print(
                f"| {name} | {statistics.median(seconds):.2f} | {max(seconds):.2f} | "
                f"{size / 1e6:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
