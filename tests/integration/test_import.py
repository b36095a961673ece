import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon
from sqlalchemy import Connection, text

from geoapi.chinacoords import wgs84_to_gcj02
from geoapi.db import bulk
from geoapi.transfer.areas import import_areas
from geoapi.transfer.export import export_points, read_points
from geoapi.transfer.points import import_points
from geoapi.transfer.read import UnreadableFile, read_file
from geoapi.transfer.row_errors import ImportRejected, write_rejects
from tests.factories import make_area_tree

POINTS = gpd.GeoDataFrame(
    {
        "code": ["M1", "A1", "C1"],
        "name": ["东关农贸市场", "曲水巷", "芙蓉小区"],
        "category": ["market", "back_alley", "old_compound"],
        "address": ["东关大街1号", "", "芙蓉街8号"],
        "unit": ["区市场监督管理局", "street_office", ""],
        "stalls": [120, None, None],
    },
    geometry=[
        Point(100.1, 30.1),
        LineString([(100.2, 30.2), (100.21, 30.2), (100.22, 30.21)]),
        Polygon([(100.3, 30.3), (100.31, 30.3), (100.31, 30.31), (100.3, 30.31)]),
    ],
    crs="EPSG:4326",
)


def import_file(connection: Connection, path, kind=import_points, **options):
    read = read_file(path, crs=options.pop("crs", None))
    return read, kind(connection, read.frame, read.errors, **options)


def count(connection: Connection, table: str = "points") -> int:
    return connection.scalar(text(f"SELECT count(*) FROM {table}"))


@pytest.mark.parametrize(("suffix", "driver"), [(".geojson", "GeoJSON"), (".gpkg", "GPKG")])
def test_geo_files_import_with_shapes_and_props(connection, tmp_path, suffix, driver):
    path = tmp_path / f"points{suffix}"
    POINTS.to_file(path, driver=driver)
    _, report = import_file(connection, path)
    assert (report.inserted, report.updated) == (3, 0)
    assert report.new_units == ["street_office", "区市场监督管理局"]
    rows = connection.execute(
        text(
            "SELECT code, GeometryType(geom), GeometryType(footprint), props->>'stalls' "
            "FROM points ORDER BY code"
        )
    ).all()
    assert rows == [
        ("A1", "POINT", "LINESTRING", None),
        ("C1", "POINT", "POLYGON", None),
        ("M1", "POINT", None, "120"),
    ]
    alley = connection.scalar(
        text("SELECT ST_Intersects(geom, footprint) FROM points WHERE code = 'A1'")
    )
    assert alley


def test_reimport_updates_by_code(connection, tmp_path):
    path = tmp_path / "points.geojson"
    POINTS.to_file(path)
    import_file(connection, path)
    changed = POINTS.assign(name=["新名字", "曲水巷", "芙蓉小区"])
    changed.to_file(path)
    _, report = import_file(connection, path)
    assert (report.inserted, report.updated) == (0, 3)
    assert count(connection) == 3
    assert connection.scalar(text("SELECT name FROM points WHERE code = 'M1'")) == "新名字"


SCHEMA_OF_POINTS = """
SELECT (SELECT array_agg(indexdef ORDER BY indexname) FROM pg_indexes WHERE tablename = 'points'),
       (SELECT array_agg(pg_get_constraintdef(oid) || convalidated::text ORDER BY conname)
          FROM pg_constraint WHERE conrelid = 'points'::regclass)
"""


def test_a_first_load_builds_the_indexes_once_and_ends_as_it_began(connection, monkeypatch):
    """More rows than the table holds (and above the threshold, lowered here): indexes and
    keys are dropped for the load and rebuilt after; rows and area ids as row by row."""
    ids = make_area_tree(connection)
    schema = connection.execute(text(SCHEMA_OF_POINTS)).one()
    connection.execute(text("ANALYZE points"))  # empty: any load outgrows it
    monkeypatch.setattr(bulk, "REBUILD_FROM_ROWS", 2)
    rebuilt = []
    monkeypatch.setattr(
        bulk,
        "indexes_and_keys_rebuilt",
        lambda c, tables, when=True, original=bulk.indexes_and_keys_rebuilt: (
            (rebuilt.append(tables) if when else None) or original(c, tables, when)
        ),
    )
    report = import_points(connection, POINTS, [])
    placed = "SELECT code, district_id, street_id, community_id, grid_id FROM points ORDER BY code"
    stored = connection.execute(text(placed)).all()
    connection.execute(text("UPDATE points SET geom = geom"))  # the trigger's lookup, row by row
    assert rebuilt == [["points"]]
    assert report.inserted == 3 and connection.execute(text(SCHEMA_OF_POINTS)).one() == schema
    assert stored == connection.execute(text(placed)).all()  # the same ids without the trigger
    assert [(r.code, r.street_id, r.grid_id) for r in stored] == [
        ("A1", ids["A"], ids["A1g"]),
        ("C1", ids["A"], None),  # in community A1, beyond its one grid
        ("M1", ids["A"], ids["A1g"]),
    ]


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv"])
def test_export_then_import_round_trips(connection, tmp_path, fmt):
    make_area_tree(connection)
    source = tmp_path / "in.gpkg"
    POINTS.to_file(source)
    import_file(connection, source)
    before = read_points(connection)
    exported = tmp_path / f"out.{fmt}"
    assert export_points(connection, exported, fmt) == 3
    connection.execute(text("DELETE FROM points"))
    import_file(connection, exported)
    after = read_points(connection)
    compare = ["code", "name", "category", "address", "unit", "street", "grid", "lon", "lat"]
    pd.testing.assert_frame_equal(after[compare], before[compare], check_exact=False, atol=1e-7)
    props = [json.loads(p) for p in after["props"]]
    assert props == [json.loads(p) for p in before["props"]]  # not nested inside themselves
    assert props[before["code"].tolist().index("M1")] == {"stalls": 120}
    if fmt != "csv":  # CSV carries the point only
        assert shapely.equals_exact(
            after.geometry.to_numpy(), before.geometry.to_numpy(), tolerance=1e-7
        ).all()
    assert after["street"].iat[0] == "A"


def test_csv_with_lon_lat_and_gcj02_lands_in_wgs84(connection, tmp_path):
    lon, lat = wgs84_to_gcj02(117.05, 36.66)
    path = tmp_path / "amap.csv"
    path.write_text(f"code,name,category,lng,lat\nG1,高德点,market,{lon},{lat}\n", "utf-8")
    import_file(connection, path, crs="gcj02")
    x, y = connection.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM points")).one()
    assert (x, y) == pytest.approx((117.05, 36.66), abs=1e-7)


def test_projected_crs_is_transformed(connection, tmp_path):
    path = tmp_path / "cgcs.gpkg"
    POINTS.iloc[:1].to_crs("EPSG:4547").to_file(path)  # CGCS2000 3-degree GK CM 114E
    import_file(connection, path)
    x, y = connection.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM points")).one()
    assert (x, y) == pytest.approx((100.1, 30.1), abs=1e-6)


BAD_CSV = (
    "code,name,category,lon,lat\n"
    "OK1,好点,market,117.0,36.6\n"
    "OK1,重复,market,117.0,36.6\n"
    "X2,类别错,casino,117.0,36.6\n"
    "X3,坐标错,market,abc,36.6\n"
    "X4,越界,market,117.0,95\n"
    ",无编码,market,117.0,36.6\n"
)


def test_bad_rows_are_named_and_nothing_is_written(connection, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, "utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_file(connection, path)
    found = {(p.row, p.field) for p in caught.value.errors}
    assert found == {(2, "code"), (3, "category"), (4, "lon"), (5, "geometry"), (6, "code")}
    messages = {str(p) for p in caught.value.errors}
    assert "row 3, category: unknown category 'casino'" in " ".join(messages)
    assert count(connection) == 0


def test_skip_invalid_loads_good_rows_and_writes_rejects(connection, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, "utf-8")
    read, report = import_file(connection, path, skip_invalid=True)
    assert report.inserted == 1 and count(connection) == 1
    rejects = tmp_path / "rejects.csv"
    assert write_rejects(rejects, read.original, report.rejected) == 5
    table = pd.read_csv(rejects, dtype=str)
    assert list(table.columns[:2]) == ["row", "errors"]
    assert table["code"].fillna("").tolist() == ["OK1", "X2", "X3", "X4", ""]
    assert table.loc[2, "errors"] == "lon: 'abc' is not a number"


def test_skipping_a_bad_row_before_good_ones_keeps_each_good_row_whole(connection, tmp_path):
    path = tmp_path / "first_bad.csv"
    path.write_text(
        "code,name,category,lon,lat,stalls\n"
        "X1,类别错,casino,117.0,36.6,1\n"
        "G2,二号,market,117.01,36.61,20\n"
        "G3,三号,market,117.02,36.62,30\n",
        "utf-8",
    )
    _, report = import_file(connection, path, skip_invalid=True)
    stored = connection.execute(
        text("SELECT code, name, props->>'stalls', ST_X(geom) FROM points ORDER BY code")
    ).all()
    assert report.inserted == 2 and [p.row for p in report.rejected] == [1]
    assert [tuple(r) for r in stored] == [
        ("G2", "二号", "20", 117.01),
        ("G3", "三号", "30", 117.02),
    ]


def test_invalid_geometry_is_reported(connection, tmp_path):
    bowtie = Polygon([(100, 30), (100.1, 30.1), (100.1, 30), (100, 30.1)])
    frame = POINTS.iloc[:1].set_geometry([bowtie], crs="EPSG:4326")
    with pytest.raises(ImportRejected) as caught:
        import_points(connection, frame, [])
    assert "invalid geometry: Self-intersection" in str(caught.value.errors[0])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code,name\nA,B\n", "no longitude column"),
        (None, "no such file"),
    ],
)
def test_unreadable_files_say_why(tmp_path, content, message):
    path = tmp_path / "x.csv"
    if content:
        path.write_text(content)
    with pytest.raises(UnreadableFile, match=message):
        read_file(path)


def test_unknown_crs_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("code,lon,lat\nA,1,2\n")
    with pytest.raises(UnreadableFile, match="unknown CRS 'EPSG:99999'"):
        read_file(path, crs="EPSG:99999")


def area_frame(rows):
    return gpd.GeoDataFrame(
        [{k: v for k, v in r.items() if k != "geometry"} for r in rows],
        geometry=[r["geometry"] for r in rows],
        crs="EPSG:4326",
    )


def box(w, s, size):
    return shapely.box(w, s, w + size, s + size)


def test_areas_import_links_parents_and_rejoins_points(connection, tmp_path):
    connection.execute(
        text(
            "INSERT INTO points (code, name, category, geom) VALUES "
            "('P', 'P', 'market', ST_SetSRID(ST_MakePoint(100.1, 30.1), 4326))"
        )
    )
    path = tmp_path / "areas.geojson"
    area_frame(
        [
            {
                "code": "S1",
                "name": "街道",
                "level": "street",
                "parent_code": "D1",
                "geometry": box(100, 30, 1),
            },
            {
                "code": "D1",
                "name": "区",
                "level": "district",
                "parent_code": "",
                "geometry": box(100, 30, 2),
            },
        ]
    ).to_file(path)
    _, report = import_file(connection, path, kind=import_areas)
    assert report.inserted == 2
    parent = connection.scalar(
        text("SELECT p.code FROM areas a JOIN areas p ON p.id = a.parent_id WHERE a.code = 'S1'")
    )
    assert parent == "D1"
    street = connection.scalar(
        text("SELECT a.code FROM points p JOIN areas a ON a.id = p.street_id")
    )
    assert street == "S1"


def test_areas_with_wrong_parents_are_rejected(connection, tmp_path):
    make_area_tree(connection)
    path = tmp_path / "areas.geojson"
    area_frame(
        [
            {
                "code": "G9",
                "name": "网格",
                "level": "grid",
                "parent_code": "A",
                "geometry": box(100, 30, 0.1),
            },
            {
                "code": "C9",
                "name": "社区",
                "level": "community",
                "parent_code": "nowhere",
                "geometry": box(100, 30, 0.1),
            },
            {
                "code": "G8",
                "name": "网格",
                "level": "grid",
                "parent_code": "C9",
                "geometry": box(100, 30, 0.1),
            },
            {
                "code": "X",
                "name": "x",
                "level": "county",
                "parent_code": "",
                "geometry": box(100, 30, 0.1),
            },
        ]
    ).to_file(path)
    with pytest.raises(ImportRejected) as caught:
        import_file(connection, path, kind=import_areas)
    messages = [str(p) for p in caught.value.errors]
    assert "row 1, parent_code: 'A' is a street, a grid needs a community" in messages
    assert "row 2, parent_code: unknown area 'nowhere'" in messages
    assert any(m.startswith("row 4, level: unknown level 'county'") for m in messages)
    # With skipping, the grid under the rejected community is rejected too.
    _, report = import_file(connection, path, kind=import_areas, skip_invalid=True)
    assert report.inserted == 0
    assert {p.row for p in report.rejected} == {1, 2, 3, 4}
