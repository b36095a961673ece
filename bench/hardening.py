"""Benchmark the service under abuse: many keep-alive clients, and the requests that used to
crash or stall it, against one `geoapi serve` on the database in settings.

    GEOAPI_DATABASE_URL=…/geoapi_bench .venv/bin/python bench/hardening.py [--seconds 10]
    .venv/bin/python bench/hardening.py --url http://127.0.0.1:8000/   # a server already up

Prints a Markdown table: per client count, requests answered, req/s, p50/p99/max latency and
every status and error seen; then each hostile request's status and time.
"""

import argparse
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parents[1]))

from planner_key import BENCH_KEY, ensure_bench_planner  # noqa: E402

from geoapi.db.engine import make_engine  # noqa: E402
from geoapi.settings import Settings  # noqa: E402
from tests.integration.serving import running_server  # noqa: E402
from tests.loadgen import run_load  # noqa: E402

DEEP = 2000


def hostile_requests(point: str) -> dict[str, str]:
    """Requests that crashed, stalled or failed the service, by what they do."""
    nots = "NOT (" * DEEP + "code='x'" + ")" * DEEP
    return {
        "aggregate, world bbox, 20 m cells": "/aggregates/open-issues?bbox=-180,-85,180,85&size=20",
        "NUL in a property filter": "/collections/points/items?category=%00",
        "sortby with 1,000 keys": "/collections/points/items?sortby=" + ",".join(["code"] * 1000),
        "year-9999 datetime, offset -10:00": (
            "/collections/issues/items?datetime=9999-12-31T23:59:59-10:00"
        ),
        "crafted cursor": "/collections/points/items?cursor=eyJrIjpbeyJhIjoxfV0sImIiOjF9",
        "unknown route": "/no/such/route",
        f"one point by code ({point})": f"/points/{point}",
        f"CQL2 {DEEP} NOTs deep (last: it crashed the server)": (
            f"/collections/points/items?filter={nots}"
        ),
    }


def main() -> None:
    """Print the load table and the hostile requests' answers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", default="8,64,128")
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--workers", default="1", help="processes of the server started")
    args = parser.parse_args()
    settings = Settings()
    engine = make_engine(settings)
    with engine.begin() as connection:
        ensure_bench_planner(connection)
        codes = list(connection.scalars(text("SELECT code FROM points ORDER BY id LIMIT 50")))
    engine.dispose()
    paths = [f"/points/{code}" for code in codes]
    paths += ["/collections/points/items?limit=10", "/issues?limit=10"]
    headers = {"X-API-Key": BENCH_KEY}
    with ExitStack() as stack:
        url = args.url or stack.enter_context(
            running_server(settings, GEOAPI_ACCESS_LOG="false", GEOAPI_WORKERS=args.workers)
        )
        print("| clients | answered | req/s | p50 ms | p99 ms | max ms | statuses | errors |")
        print("|---|---|---|---|---|---|---|---|")
        for clients in (int(c) for c in args.clients.split(",") if c):
            result = run_load(url, paths, clients, args.seconds, headers, timeout=120)
            print(
                f"| {clients} | {result.requests} | {result.requests / result.seconds:.0f} | "
                f"{result.percentile(50) * 1000:.0f} | {result.percentile(99) * 1000:.0f} | "
                f"{max(result.latencies, default=0) * 1000:.0f} | {dict(result.statuses)} | "
                f"{dict(result.errors)} |",
                flush=True,
            )
        print("\n| hostile request | status | ms |\n|---|---|---|")
        for name, path in hostile_requests(codes[0]).items():
            status, seconds = _fetch(url + quote(path.lstrip("/"), safe="/?=&,%"), headers)
            print(f"| {name} | {status} | {seconds * 1000:.0f} |", flush=True)


def _fetch(url: str, headers: dict[str, str]) -> tuple[int | str, float]:
    begun = time.monotonic()
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
            status: int | str = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        status = f"{type(exc).__name__} (server down?)"
    return status, time.monotonic() - begun


if __name__ == "__main__":
    main()
