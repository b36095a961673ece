"""Benchmark the features API and tiles against the SQL floor and tipg, on the scale-100 city.

    .venv/bin/geoapi demo load --scale 100 --replace      # into GEOAPI_DATABASE_URL, once
    .venv/bin/python bench/features.py [--requests 40] [--no-tipg]

Starts `geoapi serve` and tipg (developmentseed's OGC API server, installed by this script
into .bench/tipg-venv) on loopback ports, both without access logs, then times each query
at concurrency 1 and 8: p50/p95 latency and requests/s, the contenders taking turns in
blocks. The SQL floor runs the same result as one SQL statement through psycopg2 with no
web layer. Prints a Markdown table.
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import psycopg2

from geoapi.auth import lookup
from geoapi.db.engine import make_engine, session_options
from geoapi.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TIPG_VENV = ROOT / ".bench" / "tipg-venv"
GEOAPI_PORT, TIPG_PORT = 8101, 8102
BENCH_KEY = "bench-analyst"  # a benchmark database only
POINT_PROPS = (
    "code",
    "name",
    "category",
    "status",
    "address",
    "unit_code",
    "last_inspected_at",
    "open_issue_count",
    "district_id",
    "street_id",
    "community_id",
    "grid_id",
)


@dataclass
class Case:
    """One query, three ways."""

    name: str
    geoapi: str
    tipg: str | None
    floor_sql: str


def feature_sql(where: str, order: str, limit: int, matched: bool = True) -> str:
    """The floor: a FeatureCollection written by PostGIS in one statement.

    With `matched` (first pages: the API's document has it) the floor also counts
    `numberMatched`, as cheaply as SQL can: the page's own rows when it holds them all, a count
    of the matches only when it is full.
    """
    props = ", ".join(f"'{p}', {p}" for p in POINT_PROPS)
    count = (
        f", 'numberMatched', CASE WHEN count(*) < {limit} THEN count(*) ELSE "
        f"(SELECT count(*) FROM point_layer WHERE {where}) END"
        if matched
        else ""
    )
    return (
        "SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg(f)"
        f"{count})::text "
        "FROM (SELECT json_build_object('type', 'Feature', 'id', id, 'geometry', "
        f"ST_AsGeoJSON(geom, 7)::json, 'properties', json_build_object({props})) AS f "
        f"FROM point_layer WHERE {where} ORDER BY {order} LIMIT {limit}) page"
    )


def tile_sql(layer: str, table: str, where: str, props: str, z: int, x: int, y: int) -> str:
    """The floor for a tile: ST_AsMVT over the rows in the tile."""
    return (
        f"SELECT ST_AsMVT(t, '{layer}', 4096, 'geom') FROM (SELECT ST_AsMVTGeom("
        f"ST_Transform(geom, 3857), ST_TileEnvelope({z}, {x}, {y}), 4096, 64, true) AS geom, "
        f"{props} FROM {table} WHERE {where} AND geom && ST_Transform(ST_TileEnvelope("
        f"{z}, {x}, {y}, margin => 64.0 / 4096), 4326)) t"
    )


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """Web Mercator tile indices of a point."""
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def densest_spot(dsn: str) -> tuple[float, float, str]:
    """The centre of the grid with most points, and a bbox around it holding ~1,000 points."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM points")
        if cur.fetchone()[0] < 500_000:
            sys.exit("load the scale-100 demo first: geoapi demo load --scale 100 --replace")
        cur.execute(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(a.geom) c FROM areas a "
            "JOIN points p ON p.grid_id = a.id GROUP BY a.id ORDER BY count(*) DESC LIMIT 1) s"
        )
        lon, lat = cur.fetchone()
        half = 0.002
        for _ in range(30):
            cur.execute(
                "SELECT count(*) FROM points WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
                (lon - half, lat - half, lon + half, lat + half),
            )
            count = cur.fetchone()[0]
            if 950 <= count <= 1050:
                break
            half *= (1000 / max(count, 1)) ** 0.5
    return lon, lat, f"{lon - half:.6f},{lat - half:.6f},{lon + half:.6f},{lat + half:.6f}"


def deep_cursor(client: httpx.Client, base: str) -> str:
    """Walk 49 next links so the 50th page's URL carries a real keyset cursor."""
    url = f"{base}/collections/points/items?limit=100"
    for _ in range(49):
        body = client.get(url).json()
        url = next(link["href"] for link in body["links"] if link["rel"] == "next")
    return url.removeprefix(base)


def cases(dsn: str, client: httpx.Client, base: str) -> list[Case]:
    """The benchmark's queries."""
    lon, lat, bbox = densest_spot(dsn)
    west, south, east, north = bbox.split(",")
    # Exact, as the API: `&&` alone compares float4 boxes and lets in points just outside.
    envelope = f"ST_Intersects(geom, ST_MakeEnvelope({west}, {south}, {east}, {north}, 4326))"
    deep = deep_cursor(client, base)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT code, id FROM point_layer ORDER BY code, id OFFSET 4899 LIMIT 1")
        code, last_id = cur.fetchone()
        cur.execute("SELECT id FROM points ORDER BY id OFFSET 500000 LIMIT 1")
        one_id = cur.fetchone()[0]
    cql = "category IN ('market','public_toilet') AND status = 'non_compliant'"
    tipg = "/collections/public.point_layer"
    result = [
        Case(
            "bbox page, 1,000 features",
            f"/collections/points/items?bbox={bbox}&limit=1000",
            f"{tipg}/items?bbox={bbox}&limit=1000&sortby=code",
            feature_sql(envelope, "code, id", 1000),
        ),
        Case(
            "page of 10,000 features",
            "/collections/points/items?limit=10000",
            f"{tipg}/items?limit=10000&sortby=code",
            feature_sql("true", "code, id", 10000),
        ),
        Case(
            "one feature by id",
            f"/collections/points/items/{one_id}",
            f"{tipg}/items/{one_id}",
            feature_sql(f"id = {one_id}", "id", 1, matched=False),
        ),
        Case(
            "deep page (page 50 of 100)",
            deep,
            f"{tipg}/items?limit=100&offset=4900&sortby=code",
            feature_sql(f"(code, id) > ('{code}', {last_id})", "code, id", 100, matched=False),
        ),
        Case(
            "CQL2 filter, 100 features",
            f"/collections/points/items?limit=100&filter={cql.replace(' ', '%20')}",
            f"{tipg}/items?limit=100&sortby=code&filter-lang=cql2-text&filter="
            f"{cql.replace(' ', '%20')}",
            feature_sql(cql, "code, id", 100),
        ),
    ]
    issue_props = (
        "id::text AS id, status, type, unit_code, deadline::text AS deadline, "
        "reported_at::text AS reported_at"
    )
    open_filter = "status IN ('reported', 'dispatched', 'rectifying', 'rectified')"
    for z in (11, 14):
        _, x, y = tile_of(lon, lat, z)
        result.append(
            Case(
                f"tile z{z}, open problems",
                f"/collections/open_issues/tiles/WebMercatorQuad/{z}/{x}/{y}",
                None,
                tile_sql("open_issues", "issues", open_filter, issue_props, z, x, y),
            )
        )
    _, x, y = tile_of(lon, lat, 14)
    result.append(
        Case(
            "tile z14, points",
            f"/collections/points/tiles/WebMercatorQuad/14/{x}/{y}",
            f"{tipg}/tiles/WebMercatorQuad/14/{x}/{y}?properties=code,name,category,status,"
            "open_issue_count,last_inspected_at",
            tile_sql(
                "points",
                "point_layer",
                "true",
                "id, code, name, category, status, "
                "open_issue_count, last_inspected_at::text AS last_inspected_at",
                14,
                x,
                y,
            ),
        )
    )
    return result


def block(
    pool: ThreadPoolExecutor, task: Callable[[], None], requests: int, concurrency: int
) -> tuple[list[float], float]:
    """Latencies (s) of `requests` calls over `concurrency` threads of `pool`, and the wall time.

    The pool's threads outlive a block, and with them each thread's connection: no request
    pays for connecting.
    """
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = max(1, requests // concurrency)

    def worker() -> None:
        for _ in range(per_thread):
            start = time.perf_counter()
            task()
            with lock:
                latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    for future in [pool.submit(worker) for _ in range(concurrency)]:
        future.result()
    return latencies, time.perf_counter() - started


def compare(
    tasks: dict[str, Callable[[], None]], requests: int, concurrency: int, rounds: int
) -> dict[str, tuple[float, float, float]]:
    """p50 and p95 latency (ms) and requests/s of each contender.

    The contenders take turns in `rounds` blocks (floor, geoapi, tipg, floor, …): this machine
    drifts by ±20 % over minutes, and a drift then falls on all of them alike.
    """
    per_block = max(1, round(requests / rounds / concurrency)) * concurrency
    latencies: dict[str, list[float]] = {name: [] for name in tasks}
    walls = dict.fromkeys(tasks, 0.0)
    with ThreadPoolExecutor(concurrency) as pool:
        for task in tasks.values():
            block(pool, task, concurrency, concurrency)  # warm-up: caches, a connection a thread
        for _ in range(rounds):
            for name, task in tasks.items():
                taken, wall = block(pool, task, per_block, concurrency)
                latencies[name] += taken
                walls[name] += wall
    result = {}
    for name, values in latencies.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        result[name] = (statistics.median(values) * 1000, p95 * 1000, len(values) / walls[name])
    return result


def http_task(
    base: str, path: str, headers: dict[str, str] | None = None, client: str = "stdlib"
) -> Callable[[], None]:
    """A request whose body is read in full, on a kept-alive connection per thread; non-2xx
    fails the benchmark.

    `stdlib` (http.client) spends about a millisecond less per 400 KB response than `httpx`
    reading it: the client's own cost, which the floor's psycopg2 (C) hardly has.
    """
    local = threading.local()
    url = urllib.parse.urlsplit(base)

    def task() -> None:
        if client == "httpx":
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=base, timeout=120, headers=headers)
            response = local.client.get(path)
            status, body = response.status_code, response.content
        else:
            # Servers drop a connection idle for 5 s (while the other contenders take their
            # turn): reconnect first, as any client would (on loopback it costs ~0.1 ms).
            if time.monotonic() - getattr(local, "used", 0.0) > 4:
                local.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
            local.connection.request("GET", path, headers=headers or {})
            reply = local.connection.getresponse()
            status, body = reply.status, reply.read()
            local.used = time.monotonic()
        if status >= 300:
            raise RuntimeError(f"{base}{path}: {status} {body[:200]!r}")

    return task


def sql_task(dsn: str, options: str, sql: str) -> Callable[[], None]:
    """The statement through psycopg2 (with the service's session settings), result fetched."""
    local = threading.local()

    def task() -> None:
        if not hasattr(local, "conn"):
            local.conn = psycopg2.connect(dsn, options=options)
            local.conn.autocommit = True
        with local.conn.cursor() as cur:
            cur.execute(sql)
            cur.fetchall()

    return task


def start(command: list[str], env: dict[str, str], health: str) -> subprocess.Popen[bytes]:
    """Start a server and wait until `health` answers."""
    process = subprocess.Popen(
        command, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(health, timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit(f"server did not start: {' '.join(command)}")


def ensure_tipg() -> Path:
    """tipg in its own virtualenv (it pins its own FastAPI and asyncpg)."""
    python = TIPG_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "tipg>=1.0", "uvicorn[standard]"],
            check=True,
        )
    return TIPG_VENV / "bin" / "uvicorn"


def bench_key(settings: Settings) -> str:
    """The key of an analyst the benchmark reads as (created once in the bench database)."""
    engine = make_engine(settings)
    with engine.begin() as connection:
        if lookup.principal_for_key(connection, BENCH_KEY) is None:
            lookup.add_user(connection, "bench-analyst", "analyst", key=BENCH_KEY)
    engine.dispose()
    return BENCH_KEY


def main() -> None:
    """Run every case against every contender and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per measurement")
    parser.add_argument("--no-tipg", action="store_true", help="skip the tipg comparison")
    parser.add_argument("--only", default="", help="run only queries whose name contains this")
    parser.add_argument(
        "--rounds", type=int, default=8, help="turns the contenders take (blocks per contender)"
    )
    parser.add_argument(
        "--client", choices=("stdlib", "httpx"), default="stdlib", help="HTTP client of the load"
    )
    args = parser.parse_args()
    settings = Settings()
    dsn = str(settings.database_url)
    options = session_options(settings)
    key = {"X-API-Key": bench_key(settings)}  # staff read unpublished layers with a key
    servers = [
        start(
            [sys.executable, "-m", "geoapi.cli", "serve", "--port", str(GEOAPI_PORT)],
            {"GEOAPI_LAYERS_DIR": str(ROOT / "layers"), "GEOAPI_ACCESS_LOG": "false"},
            f"http://127.0.0.1:{GEOAPI_PORT}/health",
        )
    ]
    if not args.no_tipg:
        servers.append(
            start(
                [str(ensure_tipg()), "tipg.main:app", "--port", str(TIPG_PORT), "--no-access-log"],
                {
                    "DATABASE_URL": dsn,
                    "TIPG_DB_SCHEMAS": '["public"]',
                    "TIPG_MAX_FEATURES_PER_QUERY": "10000",
                    # its default cap (10,000) would drop most of the dense tile's points
                    "TIPG_MAX_FEATURES_PER_TILE": "10000000",
                },
                f"http://127.0.0.1:{TIPG_PORT}/collections",
            )
        )
    geoapi_base = f"http://127.0.0.1:{GEOAPI_PORT}"
    try:
        with httpx.Client(base_url=geoapi_base, timeout=120, headers=key) as client:
            plan = cases(dsn, client, geoapi_base)
        print(
            "| query | conc. | SQL floor p50/p95 ms | geoapi p50/p95 ms | geoapi req/s "
            "| geoapi ÷ floor (p50) | tipg p50/p95 ms | tipg req/s |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for case in (c for c in plan if args.only in c.name):
            for concurrency in (1, 8):
                tasks = {
                    "floor": sql_task(dsn, options, case.floor_sql),
                    "geoapi": http_task(geoapi_base, case.geoapi, key, args.client),
                }
                if case.tipg and not args.no_tipg:
                    tipg_base = f"http://127.0.0.1:{TIPG_PORT}"
                    tasks["tipg"] = http_task(tipg_base, case.tipg, None, args.client)
                measured = compare(tasks, args.requests, concurrency, args.rounds)
                floor, ours, theirs = (measured.get(n) for n in ("floor", "geoapi", "tipg"))
                tipg_cells = (
                    f"{theirs[0]:.1f} / {theirs[1]:.1f} | {theirs[2]:.1f}" if theirs else "– | –"
                )
                print(
                    f"| {case.name} | {concurrency} | {floor[0]:.1f} / {floor[1]:.1f} | "
                    f"{ours[0]:.1f} / {ours[1]:.1f} | {ours[2]:.1f} | "
                    f"{ours[0] / floor[0]:.2f} | {tipg_cells} |",
                    flush=True,
                )
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
