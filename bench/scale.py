"""Benchmark every answer a person waits for, on demo cities of several scales.

    .venv/bin/python bench/scale.py [--scales 1 10 100] [--runs 5] [--readme]

For each scale it uses the database `geoapi_scale_<scale>` on the local PostgreSQL (created
and loaded with `geoapi demo load` when it does not hold that city yet; the load is timed),
then times each request through the ASGI app as a planner: the first answer after start-up
(cold) and p50/p95 of the next `--runs` (warm). Prints a Markdown table; `--readme` also
writes it into README.md between the `scale-benchmark` markers.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from planner_key import BENCH_KEY, ensure_bench_planner
from sqlalchemy import create_engine, text

from geoapi.app import create_app
from geoapi.db import migrate
from geoapi.db.engine import make_engine
from geoapi.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql+psycopg2://geoapi:geoapi@127.0.0.1:5432"
POINTS_PER_SCALE = 10_000
MARKERS = ("<!-- scale-benchmark:begin -->", "<!-- scale-benchmark:end -->")


@dataclass
class Timing:
    """One request's times at one scale."""

    cold: float
    warm: list[float] = field(default_factory=list)
    size: int = 0

    def cell(self) -> str:
        """`p50 / p95 (cold)` in seconds."""
        ordered = sorted(self.warm)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return f"{statistics.median(ordered):.3f} / {p95:.3f} ({self.cold:.2f})"


DEMO_COMMUNITY = "370199001001"  # the demo district's first community, at every scale


def requests(today_label: str, last_week: str, tomorrow: str) -> dict[str, str]:
    """The answers people wait for, by name."""
    return {
        f"`GET /bulletins/{{last week}}` ({last_week})": f"/bulletins/{last_week}",
        "`GET /stats/figures` (this week)": f"/stats/figures?week={today_label}",
        "`GET /stats/figures?area=` (a community, this week)": (
            f"/stats/figures?area={DEMO_COMMUNITY}&week={today_label}"
        ),
        "`GET /stats/rankings?by=unit`": f"/stats/rankings?by=unit&week={last_week}",
        "`GET /stats/rankings?by=street`": f"/stats/rankings?by=street&week={last_week}",
        "`GET /stats/weekly` (12 weeks)": f"/stats/weekly?until={last_week}&weeks=12",
        "`GET /points/due` (first page of 100)": f"/points/due?date={tomorrow}&limit=100",
        "`GET /map` (first view)": "/map",
        "`GET /aggregates/open-issues` (500 m hexagons)": "/aggregates/open-issues?cell=hex&size=500",
        "`GET /issues?f=csv` (the whole ledger)": "/issues?f=csv",
        "`GET /issues?f=xlsx&overdue=true` (overdue ledger)": "/issues?f=xlsx&overdue=true",
    }


def database(scale: float) -> str:
    """The URL of the scale's database, created (with PostGIS and pgRouting) if missing."""
    name = f"geoapi_scale_{scale:g}".replace(".", "_")
    admin = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = f"{SERVER}/{name}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for extension in ("postgis", "pgrouting"):
            connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS {extension}"))
    engine.dispose()
    return url


def ensure_city(url: str, scale: float) -> float | None:
    """Load the demo city of `scale` unless it is there; the load's seconds, or None."""
    settings = Settings(database_url=url)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        points = connection.scalar(text("SELECT count(*) FROM points"))
    engine.dispose()
    if points == round(scale * POINTS_PER_SCALE):
        return None
    started = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "geoapi"),
            "demo",
            "load",
            "--replace",
            "--scale",
            f"{scale:g}",
        ],
        check=True,
        env=os.environ | {"GEOAPI_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def time_scale(url: str, runs: int) -> tuple[dict[str, Timing], int, int]:
    """Each request's timing at one database, with its point and problem counts."""
    settings = Settings(database_url=url, map_basemap="blank")
    engine = make_engine(settings)
    with engine.begin() as connection:
        ensure_bench_planner(connection)
        points = connection.scalar(text("SELECT count(*) FROM points"))
        problems = connection.scalar(text("SELECT count(*) FROM issues"))
    engine.dispose()
    today = settings.today()
    label = lambda day: "{}-W{:02d}".format(*day.isocalendar()[:2])  # noqa: E731
    paths = requests(label(today), label(today - timedelta(days=7)), str(today + timedelta(1)))
    timings: dict[str, Timing] = {}
    with TestClient(create_app(settings), headers={"X-API-Key": BENCH_KEY}) as client:
        for name, path in paths.items():
            seconds = []
            for _ in range(runs + 1):
                started = time.perf_counter()
                response = client.get(path)
                seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
            timings[name] = Timing(seconds[0], seconds[1:], len(response.content))
            print(f"  {name}: {timings[name].cell()}", file=sys.stderr, flush=True)
    return timings, points, problems


def table(results: dict[float, tuple[dict[str, Timing], int, int]], loads: dict) -> str:
    """The Markdown table: one row per answer, one column per scale."""
    scales = sorted(results)
    head = " | ".join(
        f"scale {s:g}: {results[s][1]:,} points, {results[s][2]:,} problems" for s in scales
    )
    lines = [
        "| answer (s: p50 / p95 warm (cold)) | " + head + " | size at the largest |",
        "|---|" + "---|" * len(scales) + "---|",
    ]
    largest = results[scales[-1]][0]
    for name in largest:
        cells = " | ".join(results[s][0][name].cell() for s in scales)
        lines.append(f"| {name} | {cells} | {largest[name].size / 1e6:.2f} MB |")
    load_cells = " | ".join(
        f"{loads[s]:.0f} s" if loads.get(s) is not None else "(loaded earlier)" for s in scales
    )
    lines.append(f"| `geoapi demo load --scale N` | {load_cells} | |")
    return "\n".join(lines)


def write_readme(markdown: str) -> None:
    """Replace the table between the markers in README.md."""
    readme = ROOT / "README.md"
    body = readme.read_text()
    pattern = re.compile(re.escape(MARKERS[0]) + ".*?" + re.escape(MARKERS[1]), re.S)
    if not pattern.search(body):
        raise SystemExit(f"README.md has no {MARKERS[0]} … {MARKERS[1]} section")
    readme.write_text(pattern.sub(f"{MARKERS[0]}\n{markdown}\n{MARKERS[1]}", body))


def main() -> None:
    """Load or reuse each scale's city, time it, print (and write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    results, loads = {}, {}
    for scale in args.scales:
        url = database(scale)
        print(f"scale {scale:g}: {url}", file=sys.stderr, flush=True)
        loads[scale] = ensure_city(url, scale)
        results[scale] = time_scale(url, args.runs)
    markdown = table(results, loads)
    print(markdown)
    if args.readme:
        write_readme(markdown)


if __name__ == "__main__":
    main()
