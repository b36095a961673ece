"""The benchmark planner's API key, created in the benchmark database on first use."""

from sqlalchemy import Connection

from geoapi.auth import lookup

BENCH_KEY = "bench-planner"  # a benchmark database only


def ensure_bench_planner(connection: Connection) -> str:
    """The key of user `bench-planner` (a planner), adding the user when missing."""
    if lookup.principal_for_key(connection, BENCH_KEY) is None:
        lookup.add_user(connection, BENCH_KEY, "planner", key=BENCH_KEY)
    return BENCH_KEY
