"""Benchmark an inspector's phone on the city: a sign-in link made and opened, the route's
phone page, and a visit saved from it — through the ASGI app, as the phone does.

    GEOAPI_DATABASE_URL=…/geoapi_scale_100 .venv/bin/python bench/phone.py [--runs 3]

Writes a route, a user, links, sessions and visits to the benchmark database and removes
them afterwards.
"""

import argparse
import statistics
import time
import uuid
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from planner_key import BENCH_KEY, ensure_bench_planner
from sqlalchemy import text
from timed import timed_get

from geoapi.app import create_app
from geoapi.auth import lookup
from geoapi.db.engine import make_engine
from geoapi.points import state as point_state
from geoapi.settings import Settings

INSPECTOR = "bench-phone"
DAY = "2026-12-01"


def main() -> None:
    """Print each step's median time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(map_basemap="blank")
    engine = make_engine(settings)
    with engine.begin() as connection:
        ensure_bench_planner(connection)
        known = text("SELECT EXISTS (SELECT FROM users WHERE username = :u)")
        if not connection.scalar(known, {"u": INSPECTOR}):
            lookup.add_user(connection, INSPECTOR, "inspector")
        connection.execute(
            text(
                "UPDATE users SET team_id = (SELECT id FROM teams ORDER BY code LIMIT 1) "
                "WHERE username = :u"
            ),
            {"u": INSPECTOR},
        )
        team = connection.scalar(text("SELECT code FROM teams ORDER BY code LIMIT 1"))
    timings: dict[str, list[float]] = {}
    app = create_app(settings)
    try:
        with TestClient(app, headers={"X-API-Key": BENCH_KEY}) as office:
            planned = office.post("/routes/plan", json={"teams": [team], "date": DAY})
            assert planned.status_code == 201, planned.text
            route = planned.json()["routes"][0]
            stop = next(s for s in route["stops"] if s["point"] and s["category"])
            criteria = office.get(f"/checklists/{stop['category']}").json()["criteria"]
            for _ in range(args.runs):
                with TestClient(app) as phone:
                    started = time.perf_counter()
                    link = office.post(
                        "/sign-in-links",
                        json={"user": INSPECTOR, "next": f"/routes/{route['id']}/view"},
                    ).json()
                    timings.setdefault("`POST /sign-in-links`", []).append(
                        time.perf_counter() - started
                    )
                    started = time.perf_counter()
                    opened = phone.get(urlsplit(link["url"]).path, follow_redirects=False)
                    timings.setdefault("`GET /sign-in/{token}` (session)", []).append(
                        time.perf_counter() - started
                    )
                    assert opened.status_code == 303, opened.text
                    seconds, page = timed_get(phone, f"/routes/{route['id']}/view", 1)
                    timings.setdefault("`GET /routes/{id}/view` (phone page)", []).extend(seconds)
                    body = {
                        "id": str(uuid.uuid4()),
                        "point_code": stop["point"],
                        "team": team,
                        "lon": stop["position"][0],
                        "lat": stop["position"][1],
                        "answers": [{"criterion": c["id"], "result": "pass"} for c in criteria],
                    }
                    started = time.perf_counter()
                    saved = phone.post(
                        "/inspections", json=body, headers={"X-Geoapi-Client": "phone"}
                    )
                    timings.setdefault("`POST /inspections` (the form's save)", []).append(
                        time.perf_counter() - started
                    )
                    assert saved.status_code == 201, saved.text
        print(f"route of {len(route['stops'])} stops, page {len(page.content) / 1e6:.2f} MB\n")
        print("| step | p50 s | max s |\n|---|---|---|")
        for name, seconds in timings.items():
            print(f"| {name} | {statistics.median(seconds):.3f} | {max(seconds):.3f} |")
    finally:
        with engine.begin() as connection:
            visited = connection.scalars(
                text("DELETE FROM inspections WHERE inspector = :u RETURNING point_id"),
                {"u": INSPECTOR},
            ).all()
            point_state.refresh(connection, visited)  # the points as they were
            connection.execute(
                text("DELETE FROM routes WHERE day = :d AND created_by = :u"),
                {"d": DAY, "u": BENCH_KEY},
            )
            lookup.revoke(connection, INSPECTOR)
        engine.dispose()


if __name__ == "__main__":
    main()
