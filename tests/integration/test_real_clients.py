"""Clients nobody here wrote read the running service: GDAL's OGC API driver and OWSLib."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pyogrio
import pytest
from owslib.ogcapi.features import Features
from sqlalchemy import Engine, text

from geoapi.demo import load
from geoapi.demo.generate import generate
from geoapi.settings import Settings
from tests.conftest import DEMO_AS_OF

LAYERS = [
    "areas",
    "compliance_by_street",
    "issue_events",
    "issues",
    "open_issues",
    "overdue_issues",
    "points",
]
TABLES = {
    "issue_events": "issue_events",
    "points": "points",
    "issues": "issues",
    "areas": "areas",
    "open_issues": "issues WHERE status IN ('reported', 'dispatched', 'rectifying', 'rectified')",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(settings: Settings, engine: Engine) -> Iterator[str]:
    """`geoapi serve` in its own process over a committed demo city (removed afterwards).

    A separate process, as in production: GDAL holds the GIL while it fetches, so a server
    thread in the test process could never answer it.
    """
    with engine.begin() as connection:
        load.clear(connection)  # the test database only; a crashed earlier run may have left rows
        load.load(connection, load.plan(generate(0.03, 4, DEMO_AS_OF)))
    port = free_port()
    env = os.environ | {
        "GEOAPI_DATABASE_URL": str(settings.database_url),
        "GEOAPI_LAYERS_DIR": str(settings.layers_dir),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "geoapi.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        with engine.begin() as connection:
            load.clear(connection)


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("server did not become healthy in 30 s")


def test_gdal_lists_every_collection(server):
    layers = sorted(name for name, _ in pyogrio.list_layers(f"OAPIF:{server}"))
    assert layers == LAYERS


@pytest.mark.parametrize("layer", list(TABLES))
def test_gdal_pages_through_whole_collections(server, engine, layer):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer=layer, PAGE_SIZE=97)
    with engine.connect() as connection:
        expected = connection.scalar(text(f"SELECT count(*) FROM {TABLES[layer]}"))
    assert len(frame) == expected > 0
    assert frame.crs.to_string() == "OGC:CRS84"
    assert frame.geometry.notna().all()


def test_gdal_applies_attribute_filters_server_side(server, engine):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}", layer="points", where="category = 'market'")
    with engine.connect() as connection:
        expected = connection.scalar(text("SELECT count(*) FROM points WHERE category = 'market'"))
    assert len(frame) == expected and set(frame["category"]) == {"market"}


def test_owslib_reads_collections_queryables_and_items(server):
    api = Features(server)
    assert sorted(c["id"] for c in api.collections()["collections"]) == LAYERS
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in api.conformance()["conformsTo"]
    )
    queryables = api.collection_queryables("issues")["properties"]
    assert queryables["severity"]["type"] == "integer"
    page = api.collection_items("points", limit=5, category="market")
    assert page["numberReturned"] == len(page["features"]) <= 5
    assert all(f["properties"]["category"] == "market" for f in page["features"])
    assert api.collection("points")["extent"]["spatial"]["bbox"]
