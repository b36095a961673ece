import math

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

MVT = "application/vnd.mapbox-vector-tile"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def tile_url(layer: str, z: int, x: int, y: int) -> str:
    return f"/collections/{layer}/tiles/WebMercatorQuad/{z}/{x}/{y}"


def tile_bounds_count(connection: Connection, table: str, z, x, y, where="true") -> int:
    return connection.scalar(
        text(
            f"SELECT count(*) FROM {table} WHERE {where} AND "
            "ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y))"
        ),
        {"z": z, "x": x, "y": y},
    )


def test_point_tiles_have_the_features_and_properties(client: TestClient, connection, city):
    for z, x, y in (tile_of(117.05, 36.66, 14), tile_of(117.01, 36.64, 14)):
        response = client.get(tile_url("points", z, x, y))
        assert response.status_code == 200
        assert response.headers["content-type"] == MVT
        assert "max-age" in response.headers["cache-control"]
        layer = mapbox_vector_tile.decode(response.content)["points"]
        features = layer["features"]
        assert len({f["id"] for f in features}) >= tile_bounds_count(connection, "points", z, x, y)
        codes = {f["properties"]["code"] for f in features}
        expected = set(
            connection.scalars(
                text(
                    "SELECT code FROM points WHERE ST_Intersects(ST_Transform(geom, 3857), "
                    "ST_TileEnvelope(:z, :x, :y))"
                ),
                {"z": z, "x": x, "y": y},
            )
        )
        assert expected and expected <= codes
        # Tiles carry what the map draws and pops up (the catalog's tile properties); MVT
        # leaves out NULL values, so look at every feature.
        carried = set().union(*(f["properties"] for f in features))
        assert carried == {
            "code",
            "name",
            "category",
            "status",
            "open_issue_count",
            "last_inspected_at",
        }


def test_uuid_ids_travel_as_a_property(client: TestClient, city):
    z, x, y = tile_of(117.05, 36.66, 12)
    layer = mapbox_vector_tile.decode(client.get(tile_url("open_issues", z, x, y)).content)
    statuses = {f["properties"]["status"] for f in layer["open_issues"]["features"]}
    assert statuses <= {"reported", "dispatched", "rectifying", "rectified"}
    assert all(len(f["properties"]["id"]) == 36 for f in layer["open_issues"]["features"])


def test_empty_tile_is_204_and_etag_gives_304(client: TestClient, city):
    assert client.get(tile_url("points", 14, 0, 0)).status_code == 204
    url = tile_url("areas", *tile_of(117.05, 36.66, 10))
    first = client.get(url)
    etag = first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    ("url", "status", "needle"),
    [
        (tile_url("points", 3, 6, 3), 404, "zoom 13–22 only"),
        (tile_url("points", 12, 4096, 0), 400, "must be below 4096"),
        (tile_url("points", 25, 0, 0), 400, "z"),
        (tile_url("nowhere", 12, 0, 0), 404, "nowhere"),
    ],
)
def test_bad_tiles(client: TestClient, url, status, needle):
    response = client.get(url)
    assert response.status_code == status
    assert needle in response.json()["detail"]


def test_tilejson_describes_the_tiles(client: TestClient, city):
    body = client.get("/collections/points/tiles/WebMercatorQuad/tilejson.json").json()
    assert body["tilejson"] == "3.0.0"
    assert body["tiles"][0].endswith("/collections/points/tiles/WebMercatorQuad/{z}/{x}/{y}")
    assert body["minzoom"] == 13
    assert body["vector_layers"][0]["fields"]["open_issue_count"] == "integer"
    west, south, east, north = body["bounds"]
    assert west < 117.05 < east and south < 36.66 < north
