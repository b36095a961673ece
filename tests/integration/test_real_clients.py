"""Clients nobody here wrote read the running service: GDAL's OGC API driver and OWSLib."""

import json
import re
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from xml.etree import ElementTree

import pyogrio
import pytest
from owslib.ogcapi.features import Features
from sqlalchemy import Connection, Engine, text

from geoapi.auth import lookup
from geoapi.catalog import qgis
from geoapi.catalog.load import load_layers
from geoapi.catalog.registry import LayerRegistry
from geoapi.settings import Settings
from tests.integration.serving import committed_city, running_server

LAYERS = [
    "areas",
    "compliance_by_street",
    "footprints",
    "inspections",
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


@dataclass(frozen=True)
class Server:
    url: str
    analyst_key: str
    unit_key: str
    unit: str


@pytest.fixture(scope="module")
def server(settings: Settings, engine: Engine) -> Iterator[Server]:
    """`geoapi serve` in its own process over a committed demo city (removed afterwards)."""

    def users(connection: Connection) -> tuple[str, str, str]:
        analyst_key = lookup.add_user(connection, "analyst", "analyst")
        unit = connection.scalar(
            text("SELECT unit_code FROM issues GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        )
        return analyst_key, lookup.add_user(connection, "unit-user", "unit", unit_code=unit), unit

    with (
        committed_city(engine, 0.03, 4, users) as (analyst_key, unit_key, unit),
        running_server(settings) as url,
    ):
        yield Server(url, analyst_key, unit_key, unit)


@contextmanager
def gdal_key(key: str) -> Iterator[None]:
    """GDAL sends this API key with every request (GDAL_HTTP_HEADER_FILE: the OAPIF driver
    sets its own Accept header, which replaces GDAL_HTTP_HEADERS)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as headers:
        headers.write(f"X-API-Key: {key}\n")
        headers.flush()
        pyogrio.set_gdal_config_options({"GDAL_HTTP_HEADER_FILE": headers.name})
        try:
            yield
        finally:
            pyogrio.set_gdal_config_options({"GDAL_HTTP_HEADER_FILE": None})


def test_gdal_lists_every_collection_to_staff_and_the_published_ones_to_the_public(server):
    with gdal_key(server.analyst_key):
        layers = sorted(name for name, _ in pyogrio.list_layers(f"OAPIF:{server.url}"))
    assert layers == LAYERS
    public = sorted(name for name, _ in pyogrio.list_layers(f"OAPIF:{server.url}"))
    assert public == ["areas", "points"]


@pytest.mark.parametrize("layer", list(TABLES))
def test_gdal_pages_through_whole_collections(server, engine, layer):
    with gdal_key(server.analyst_key):
        frame = pyogrio.read_dataframe(f"OAPIF:{server.url}", layer=layer, PAGE_SIZE=97)
    with engine.connect() as connection:
        expected = connection.scalar(text(f"SELECT count(*) FROM {TABLES[layer]}"))
    assert len(frame) == expected > 0
    assert frame.crs.to_string() == "OGC:CRS84"
    assert frame.geometry.notna().all()


JSON_TO_NUMPY = {"integer": "int", "number": "float", "boolean": "bool", "string": "object"}


@pytest.mark.parametrize("layer", LAYERS)
def test_gdal_types_every_field_by_the_collections_schema(server, layer):
    """GDAL reads `describedby` (OGC API - Features Part 5): a fraction of an hour stays a
    float, a time a datetime, whatever the first page happens to hold."""
    with gdal_key(server.analyst_key):
        info = pyogrio.read_info(f"OAPIF:{server.url}", layer=layer)
    fields = dict(zip(info["fields"], info["dtypes"], strict=True))
    request = urllib.request.Request(
        f"{server.url.rstrip('/')}/collections/{layer}/schema",
        headers={"X-API-Key": server.analyst_key},
    )
    with urllib.request.urlopen(request) as response:
        schema = json.load(response)["properties"]
    for name, spec in schema.items():
        if name == "geometry":
            continue
        dated = spec.get("format") in ("date-time", "date")
        expected = "datetime" if dated else JSON_TO_NUMPY[spec["type"]]
        assert fields[name].startswith(expected), (name, fields[name], spec)
    if layer == "issue_events":
        assert fields["hours_since_report"] == "float64"


@pytest.mark.parametrize(
    ("layer", "rows"),
    [("inspections", "inspections"), ("footprints", "points WHERE footprint IS NOT NULL")],
)
def test_gdal_reads_visits_and_footprints_with_names(server, engine, layer, rows):
    with gdal_key(server.analyst_key):
        frame = pyogrio.read_dataframe(f"OAPIF:{server.url}", layer=layer, PAGE_SIZE=500)
    with engine.connect() as connection:
        expected = connection.scalar(text(f"SELECT count(*) FROM {rows}"))
    assert len(frame) == expected > 0
    assert frame["street_name"].notna().all() and frame["category_name"].notna().all()


def test_problems_and_points_carry_names_beside_codes(server, engine):
    with gdal_key(server.analyst_key):
        problems = pyogrio.read_dataframe(f"OAPIF:{server.url}", layer="issues", max_features=50)
    with engine.connect() as connection:
        names = dict(connection.execute(text("SELECT code, name_zh FROM issue_types")).all())
    assert (problems["type_name"] == problems["type"].map(names)).all()
    assert problems["street_name"].notna().all()


def test_the_qgis_project_opens_every_layer_through_gdal(server, settings, engine):
    """The .qgs as `geoapi qgis project` writes it, read as QGIS would: each layer's OGC API
    source (url, typename) opens through GDAL and has its features and a renderer."""
    layers = LayerRegistry(load_layers(settings.layers_dir)).bind(engine)
    with engine.connect() as connection:
        document = ElementTree.fromstring(qgis.project(connection, layers, server.url, None))
    sources = {}
    for maplayer in document.iter("maplayer"):
        source = dict(re.findall(r"(\w+)='([^']*)'", maplayer.findtext("datasource")))
        assert maplayer.findtext("provider") == "OAPIF" and maplayer.find("renderer-v2") is not None
        sources[source["typename"]] = source["url"]
    assert sorted(sources) == LAYERS
    with gdal_key(server.analyst_key):
        for typename, url in sources.items():
            info = pyogrio.read_info(f"OAPIF:{url}", layer=typename, force_feature_count=True)
            assert info["features"] > 0, typename


@pytest.mark.parametrize("layer", list(TABLES))
def test_gdal_knows_each_collections_bounds_without_reading_it(server, engine, layer):
    # Without an extent in /collections GDAL has no bounds short of paging through the layer.
    with gdal_key(server.analyst_key):
        bounds = pyogrio.read_info(f"OAPIF:{server.url}", layer=layer)["total_bounds"]
    table, _, where = TABLES[layer].partition(" WHERE ")
    table = {"issue_events": "issue_event_layer"}.get(table, table)  # events take their place
    with engine.connect() as connection:
        extent = connection.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                f"FROM (SELECT ST_Extent(geom) e FROM {table} WHERE {where or 'true'}) s"
            )
        ).one()
    assert bounds is not None
    assert list(bounds) == pytest.approx(list(extent), abs=1e-6)


def test_a_unit_reads_only_its_own_problems_through_gdal(server, engine):
    with gdal_key(server.unit_key):
        frame = pyogrio.read_dataframe(f"OAPIF:{server.url}", layer="issues", PAGE_SIZE=50)
    with engine.connect() as connection:
        expected = connection.scalar(
            text("SELECT count(*) FROM issues WHERE unit_code = :u"), {"u": server.unit}
        )
    assert len(frame) == expected > 0 and set(frame["unit_code"]) == {server.unit}


def test_gdal_applies_attribute_filters_server_side(server, engine):
    url = f"OAPIF:{server.url}"
    frame = pyogrio.read_dataframe(url, layer="points", where="category = 'market'")
    with engine.connect() as connection:
        expected = connection.scalar(text("SELECT count(*) FROM points WHERE category = 'market'"))
    assert len(frame) == expected and set(frame["category"]) == {"market"}


def test_owslib_reads_collections_queryables_and_items(server):
    api = Features(server.url, headers={"X-API-Key": server.analyst_key})
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
