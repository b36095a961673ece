import json
from pathlib import Path

import pytest

from geoapi.demo import load
from geoapi.demo.generate import generate
from tests.integration.test_demo_load import AS_OF

NOTEBOOKS = sorted(Path(__file__).parents[2].joinpath("notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_demo_data_with_clean_outputs(
    path, settings, engine, reference, monkeypatch
):
    notebook = json.loads(path.read_text("utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    monkeypatch.setenv("GEOAPI_DATABASE_URL", str(settings.database_url))
    city = generate(0.02, 1, AS_OF, reference)
    with engine.begin() as connection:
        load.load(connection, load.plan(city))
    try:
        namespace: dict = {}
        for cell in code:
            exec(compile("".join(cell["source"]), f"{path.name}", "exec"), namespace)
        assert len(namespace["points"]) == len(city.points)
    finally:
        with engine.begin() as connection:
            load.clear(connection)


def test_there_is_a_notebook():
    assert NOTEBOOKS
