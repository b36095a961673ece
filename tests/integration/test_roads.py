"""The road network: import (GIS lines and OpenStreetMap), topology, and pgRouting's costs."""

import json

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from geoapi.patrol.matrix import travel_matrix
from geoapi.transfer.read import read_file
from geoapi.transfer.roads import import_roads, read_osm
from geoapi.transfer.row_errors import ImportRejected

# A square block: A(SW) B(SE) C(NE) D(NW); B→C is one-way north.
A, B, C, D = (117.00, 36.60), (117.01, 36.60), (117.01, 36.61), (117.00, 36.61)
SQUARE = [
    {"name": "南街", "class": "local", "line": [A, B]},
    {"name": "东巷", "class": "local", "line": [B, C], "oneway": "yes"},
    {"name": "北街", "class": "local", "line": [C, D]},
    {"name": "西街", "class": "local", "line": [D, A]},
]


def write_lines(path, rows):
    features = [
        {
            "type": "Feature",
            "properties": {k: v for k, v in row.items() if k != "line"},
            "geometry": {"type": "LineString", "coordinates": row["line"]},
        }
        for row in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def load_lines(connection, path):
    read = read_file(path)
    return import_roads(connection, read.frame, read.errors)


def lengths(connection):
    return dict(connection.execute(text("SELECT name, length_m FROM roads")).all())


def test_a_one_way_street_is_a_detour_for_cars_not_for_walkers(connection, tmp_path):
    load_lines(connection, write_lines(tmp_path / "square.geojson", SQUARE))
    m = lengths(connection)
    car = travel_matrix(connection, [A, B, C], "car", "time", 1.3)
    walk = travel_matrix(connection, [A, B, C], "walk", "length", 1.3)
    assert car.network == walk.network == "roads" and car.unreachable_pairs == 0
    speed = 20 / 3.6  # a local road by car
    assert car.costs[1, 2] == pytest.approx(m["东巷"] / speed, rel=1e-4)  # with the one-way
    assert car.costs[2, 1] == pytest.approx(
        (m["北街"] + m["西街"] + m["南街"]) / speed, rel=1e-4
    )  # against it: round the block
    assert walk.costs[2, 1] == pytest.approx(m["东巷"], rel=1e-4)
    assert walk.costs[0, 2] == pytest.approx(
        min(m["南街"] + m["东巷"], m["西街"] + m["北街"]), rel=1e-4
    )


def test_lines_crossing_at_a_shared_vertex_become_four_roads_and_one_junction(connection, tmp_path):
    cross = [
        {
            "name": "东西路",
            "class": "arterial",
            "line": [(117.0, 36.6), (117.01, 36.6), (117.02, 36.6)],
        },
        {
            "name": "南北路",
            "class": "secondary",
            "line": [(117.01, 36.59), (117.01, 36.6), (117.01, 36.61)],
        },
    ]
    report = load_lines(connection, write_lines(tmp_path / "cross.geojson", cross))
    assert report.inserted == 4
    degree = connection.execute(
        text(
            "SELECT n.id, count(*) FROM road_nodes n JOIN roads r ON n.id IN (r.source, r.target) "
            "GROUP BY n.id ORDER BY count(*) DESC"
        )
    ).all()
    assert len(degree) == 5 and degree[0][1] == 4


def test_bad_rows_are_named_and_nothing_is_written(connection, tmp_path):
    load_lines(connection, write_lines(tmp_path / "square.geojson", SQUARE))
    before = lengths(connection)
    bad = [
        {"name": "好路", "class": "local", "line": [A, B]},
        {"name": "怪路", "class": "highway", "line": [B, C]},
        {"name": "快路", "class": "local", "line": [C, D], "speed_car": -5},
        {"name": "单行", "class": "local", "line": [D, A], "oneway": "maybe"},
    ]
    with pytest.raises(ImportRejected) as rejected:
        load_lines(connection, write_lines(tmp_path / "bad.geojson", bad))
    found = {(p.row, p.field) for p in rejected.value.errors}
    assert found == {(2, "class"), (3, "speed_car"), (4, "oneway")}
    assert lengths(connection) == before


def test_a_geopackage_in_another_crs_is_read_in_wgs84(connection, tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": [r["name"] for r in SQUARE], "class": ["local"] * 4},
        geometry=[shapely.LineString(r["line"]) for r in SQUARE],
        crs="EPSG:4326",
    ).to_crs("EPSG:32650")
    path = tmp_path / "roads.gpkg"
    frame.to_file(path, driver="GPKG")
    load_lines(connection, path)
    west, south = connection.execute(
        text("SELECT ST_XMin(ST_Extent(geom)), ST_YMin(ST_Extent(geom)) FROM roads")
    ).one()
    assert west == pytest.approx(117.0, abs=1e-6) and south == pytest.approx(36.6, abs=1e-6)


OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="36.60" lon="117.00" version="1"/>
  <node id="2" lat="36.60" lon="117.01" version="1"/>
  <node id="3" lat="36.61" lon="117.01" version="1"/>
  <node id="4" lat="36.61" lon="117.00" version="1"/>
  <node id="5" lat="36.605" lon="117.02" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="name" v="泉城路"/></way>
  <way id="11" version="1"><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="service"/><tag k="service" v="alley"/><tag k="oneway" v="-1"/></way>
  <way id="12" version="1"><nd ref="2"/><nd ref="5"/><tag k="waterway" v="river"/></way>
  <way id="13" version="1"><nd ref="4"/><nd ref="1"/><tag k="highway" v="footway"/></way>
</osm>
"""


def test_an_openstreetmap_extract_maps_highways_to_classes(connection, tmp_path):
    path = tmp_path / "town.osm"
    path.write_text(OSM, "utf-8")
    frame = read_osm(path)
    assert sorted(frame["class"]) == ["alley", "arterial", "path"]  # the river is no road
    report = import_roads(connection, frame, [])
    assert report.inserted == 3  # node 2 is on the river only: no junction there
    alley = connection.execute(
        text("SELECT oneway, speed_car, ST_X(ST_StartPoint(geom)) FROM roads WHERE class = 'alley'")
    ).one()
    assert alley == (True, None, pytest.approx(117.00))  # oneway=-1: drawn against the flow
    assert lengths(connection)["泉城路"] == pytest.approx(
        float(
            connection.scalar(
                text(
                    "SELECT ST_Length(ST_GeomFromText("
                    "'LINESTRING(117 36.6,117.01 36.6,117.01 36.61)', 4326)::geography)"
                )
            )
        ),
        rel=1e-6,
    )


def test_the_solve_endpoint_walks_the_loaded_roads(client, connection, tmp_path):
    load_lines(connection, write_lines(tmp_path / "square.geojson", SQUARE))
    body = client.post("/routes/solve", json={"points": [A, C], "metric": "network"}).json()
    m = lengths(connection)
    assert body["network"] == "roads"
    assert body["length_m"] == pytest.approx(
        2 * min(m["南街"] + m["东巷"], m["西街"] + m["北街"]), rel=1e-3
    )


def test_the_demo_city_has_one_connected_walking_network(city, connection):
    biggest = connection.scalar(
        text(
            "SELECT max(size) FROM (SELECT component, count(*) AS size "
            "FROM pgr_connectedComponents('SELECT id, source, target, length_m AS cost, "
            "length_m AS reverse_cost FROM roads') GROUP BY component) c"
        )
    )
    total = connection.scalar(text("SELECT count(*) FROM road_nodes"))
    assert biggest >= 0.99 * total, f"{biggest} of {total} junctions in the largest component"
    classes = set(connection.scalars(text("SELECT DISTINCT class FROM roads")))
    assert {"arterial", "local", "alley", "connector"} <= classes
    outside = connection.scalar(
        text(
            "SELECT count(*) FROM teams t JOIN areas a ON a.id = t.area_id "
            "WHERE NOT ST_Contains(a.geom, t.base)"
        )
    )
    assert outside == 0  # each team starts in its own street
