"""Benchmark the figures, rankings and bulletins at every level of the district.

    GEOAPI_DATABASE_URL=…/geoapi_scale_100 .venv/bin/python bench/levels.py [--runs 3]

Times, through the ASGI app as a planner: a community's figures, rankings of streets,
communities (city-wide and in one street), grids (in one community), units, teams and
inspectors, and the city's, a street's and a community's weekly bulletin (last week), and
prints each answer's median and slowest time and its size.
"""

import argparse
import statistics
from datetime import timedelta

from fastapi.testclient import TestClient
from planner_key import BENCH_KEY, ensure_bench_planner
from timed import timed_get
from sqlalchemy import text

from geoapi.app import create_app
from geoapi.db.engine import make_engine
from geoapi.settings import Settings
from geoapi.stats import periods


def answers(settings: Settings) -> dict[str, str]:
    """The answers, for the district's first street and its first community."""
    engine = make_engine(settings)
    with engine.begin() as connection:
        ensure_bench_planner(connection)
        street, community = connection.execute(
            text(
                "SELECT s.code, c.code FROM areas s JOIN areas c ON c.parent_id = s.id "
                "WHERE s.level = 'street' ORDER BY s.code, c.code LIMIT 1"
            )
        ).one()
    engine.dispose()
    week = periods.week_of(settings.today() - timedelta(days=7), settings.zone).label
    ranking = f"/stats/rankings?week={week}&by="
    return {
        "`/stats/figures?area=` (a community)": f"/stats/figures?week={week}&area={community}",
        "`/stats/rankings?by=street`": ranking + "street",
        "`/stats/rankings?by=community&area=` (a street's)": f"{ranking}community&area={street}",
        "`/stats/rankings?by=community` (the city's)": ranking + "community",
        "`/stats/rankings?by=grid&area=` (a community's)": f"{ranking}grid&area={community}",
        "`/stats/rankings?by=unit`": ranking + "unit",
        "`/stats/rankings?by=team`": ranking + "team",
        "`/stats/rankings?by=inspector`": ranking + "inspector",
        f"`/bulletins/{week}` (the city's)": f"/bulletins/{week}",
        f"`/bulletins/{week}?area=` (a street's)": f"/bulletins/{week}?area={street}",
        f"`/bulletins/{week}?area=` (a community's)": f"/bulletins/{week}?area={community}",
        "`/responsibilities?area=` (a street's)": f"/responsibilities?area={street}",
    }


def main() -> None:
    """Print each answer's median and slowest time and its size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(map_basemap="blank")
    print("| answer | p50 s | max s | size MB |\n|---|---|---|---|")
    with TestClient(create_app(settings), headers={"X-API-Key": BENCH_KEY}) as client:
        for name, path in answers(settings).items():
            seconds, response = timed_get(client, path, args.runs)
            print(
                f"| {name} | {statistics.median(seconds):.3f} | {max(seconds):.3f} | "
                f"{len(response.content) / 1e6:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
