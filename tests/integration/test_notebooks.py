"""The analysts' notebooks run end to end with papermill on a committed demo city and a running
service, as an analyst would run them: parameters in, figures and maps out, their own
cross-checks (a notebook's figures against the service's) holding."""

import json
from collections.abc import Iterator
from pathlib import Path

import papermill
import pytest
from sqlalchemy import Connection, Engine, make_url, text

from geoapi.auth import lookup
from geoapi.db import analysts
from geoapi.settings import Settings
from tests.integration.serving import committed_city, running_server

NOTEBOOKS_DIR = Path(__file__).parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
WEEK = "2026-W47"  # the demo city's last week (AS_OF 2026-11-20)
ROUTE_DAY = "2026-11-19"
READER = "notebook_reader"
# What each notebook must leave in its output directory.
OUTPUTS = {
    "closure_performance": ["closure_control_chart.png"],
    "hot_spots": ["hot_spots.png", "hot_spots.html"],
    "inspection_coverage": ["coverage_by_street.png", "failing_criteria.png"],
    "problems_overview": [
        "problems_open_overdue.png",
        "problems_weekly.png",
        "problems_heat.html",
    ],
    "routes": ["routes_planned_actual.png"],
    "time_to_close": ["time_to_close_by_type.png", "time_to_close_slowest_units.png"],
}


@pytest.fixture(scope="module")
def service(settings: Settings, engine: Engine) -> Iterator[tuple[str, str, str, str]]:
    """A committed demo city, the service over it, a read-only analyst role's database URL
    (so a notebook that read anything but the `analytics` views would fail), an analyst's key
    and a planner's."""

    def keys(connection: Connection) -> tuple[str, str, str]:
        password = analysts.create_role(connection, READER)
        reader = make_url(str(settings.database_url)).set(username=READER, password=password)
        return (
            reader.render_as_string(hide_password=False),
            lookup.add_user(connection, "nb-analyst", "analyst"),
            lookup.add_user(connection, "nb-planner", "planner"),
        )

    try:
        with (
            committed_city(engine, 0.2, 7, keys) as (reader, analyst, planner),
            running_server(settings) as url,
        ):
            yield url, reader, analyst, planner
    finally:
        with engine.begin() as connection:
            analysts.drop_role(connection, READER)


def test_the_committed_notebooks_carry_no_outputs():
    assert {p.stem for p in NOTEBOOKS} == set(OUTPUTS)
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text("utf-8"))["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path.name
        assert "parameters" in code[0]["metadata"].get("tags", []), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_notebook_runs_and_saves_its_figures(path, service, engine, tmp_path):
    url, reader, analyst, planner = service
    if path.stem == "routes":
        _plan_routes(url, planner, engine)
    out = tmp_path / "figures"
    papermill.execute_notebook(
        str(path),
        str(tmp_path / path.name),
        parameters={
            "database_url": reader,  # the read-only role: the analytics views and nothing else
            "service_url": url.rstrip("/"),
            "api_key": analyst,
            "until": WEEK,
            "weeks": 8,
            "out_dir": str(out),
        },
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
        kernel_name="python3",
    )
    for name in OUTPUTS[path.stem]:
        assert (out / name).stat().st_size > 1000, name


def _plan_routes(url: str, planner: str, engine: Engine) -> None:
    import urllib.request

    with engine.connect() as connection:
        teams = list(connection.scalars(text("SELECT code FROM teams ORDER BY code LIMIT 2")))
    body = json.dumps({"teams": teams, "date": ROUTE_DAY}).encode()
    request = urllib.request.Request(
        url.rstrip("/") + "/routes/plan",
        data=body,
        headers={"X-API-Key": planner, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 201
