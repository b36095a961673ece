"""`/points`: the same checks as an import, concurrency by ETag, no history ever lost."""

import pytest
from sqlalchemy import text

from tests.factories import make_area_tree
from tests.integration.test_roles import as_

MARKET = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [100.1, 30.1]},
    "properties": {"code": "MK-9", "name": "东关市场", "category": "market", "stalls": 40},
}


def test_create_read_replace_delete(client, connection):
    make_area_tree(connection)
    created = client.post("/points", json=MARKET)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/geo+json"
    feature = created.json()
    assert feature["id"] == "MK-9" and feature["properties"]["street"] == "A"
    assert feature["properties"]["grid"] == "A1g"  # the database's area join ran
    assert feature["properties"]["props"] == {"stalls": 40}
    assert client.get("/points/MK-9").json() == feature
    alley = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[101.1, 30.1], [101.2, 30.1]]},
        "properties": {"name": "东关后街", "category": "back_alley"},
    }
    etag = created.headers["etag"]
    replaced = client.put("/points/MK-9", json=alley, headers={"If-Match": etag})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["geometry"]["type"] == "LineString"
    assert replaced.json()["properties"]["street"] == "B"
    assert replaced.headers["etag"] != etag
    assert client.delete("/points/MK-9", headers={"If-Match": etag}).status_code == 412
    assert client.delete("/points/MK-9").status_code == 204
    assert client.get("/points/MK-9").status_code == 404


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"properties": {"code": "X", "name": "x", "category": "zoo"}}, "unknown category 'zoo'"),
        ({"properties": {"code": "X", "category": "market"}}, "name: missing"),
        ({"geometry": {"type": "Point", "coordinates": [200, 30]}}, "out of range"),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                }
            },
            "invalid geometry",
        ),
        ({"geometry": {"type": "Blob", "coordinates": []}}, "not a GeoJSON geometry"),
        ({"geometry": None}, "missing geometry"),
        ({"type": "FeatureCollection"}, "GeoJSON Feature"),
    ],
)
def test_bad_points_are_400_with_the_import_messages(client, connection, change, needle):
    response = client.post("/points", json=MARKET | change)
    assert response.status_code == 400
    assert needle in response.json()["detail"]
    assert connection.scalar(text("SELECT count(*) FROM points")) == 0


def test_a_taken_code_is_409_and_a_path_code_mismatch_400(client):
    assert client.post("/points", json=MARKET).status_code == 201
    assert client.post("/points", json=MARKET).status_code == 409
    assert client.put("/points/MK-10", json=MARKET).status_code == 404
    assert (
        client.put(
            "/points/MK-9", json=MARKET | {"properties": MARKET["properties"] | {"code": "Z"}}
        ).status_code
        == 400
    )


def test_a_point_with_problems_is_not_deleted(client, connection, market):
    client.post(
        "/issues", json={"type": "street_vending", "source": "inspection", "point_code": "MK-1"}
    )
    response = client.delete("/points/MK-1")
    assert response.status_code == 409 and response.json()["issues"] == 1
    assert connection.scalar(text("SELECT count(*) FROM points WHERE code = 'MK-1'")) == 1


def test_who_may_edit_points(client, anonymous, keys):
    assert anonymous.get("/points/MK-1").status_code == 200  # the points layer is published
    assert anonymous.post("/points", json=MARKET).status_code == 401
    for role, status in (("inspector", 403), ("unit", 403), ("analyst", 403), ("planner", 201)):
        response = anonymous.post("/points", json=MARKET, headers=as_(keys[role]))
        assert response.status_code == status, role
    assert anonymous.delete("/points/MK-9", headers=as_(keys["planner"])).status_code == 403
    assert anonymous.delete("/points/MK-9", headers=as_(keys["admin"])).status_code == 204
