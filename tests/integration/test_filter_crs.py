import json

import pytest
from pyproj import Transformer
from sqlalchemy import Connection, text

from tests.integration.test_features import items

OPEN = "('reported', 'dispatched', 'rectifying', 'rectified')"

# (collection, CQL2 text, the same selection in SQL)
CASES = [
    ("points", "category = 'market'", "category = 'market'"),
    (
        "points",
        "category IN ('market', 'public_toilet') AND status <> 'compliant'",
        "category IN ('market', 'public_toilet') AND status <> 'compliant'",
    ),
    (
        "points",
        "NOT (category = 'parking') OR status = 'unchecked'",
        "NOT (category = 'parking') OR status = 'unchecked'",
    ),
    ("points", "name LIKE '%巷'", "name LIKE '%巷'"),
    ("issues", "severity BETWEEN 2 AND 3", "severity BETWEEN 2 AND 3"),
    ("issues", "deadline IS NULL", "deadline IS NULL"),
    ("issues", "1 < severity", "severity > 1"),
    (
        "issues",
        "reported_at >= TIMESTAMP('2026-11-01T00:00:00Z')",
        "reported_at >= '2026-11-01T00:00:00Z'",
    ),
    (
        "issues",
        "T_AFTER(reported_at, TIMESTAMP('2026-11-01T00:00:00Z'))",
        "reported_at > '2026-11-01T00:00:00Z'",
    ),
    (
        "issues",
        "T_DURING(reported_at, INTERVAL('2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z'))",
        "reported_at BETWEEN '2026-10-01T00:00:00Z' AND '2026-11-01T00:00:00Z'",
    ),
    (
        "points",
        "S_INTERSECTS(geometry, BBOX(117.03, 36.64, 117.06, 36.67))",
        "ST_Intersects(geom, ST_MakeEnvelope(117.03, 36.64, 117.06, 36.67, 4326))",
    ),
    (
        "points",
        "S_WITHIN(geometry, POLYGON((117.03 36.64, 117.06 36.64, 117.06 36.67, 117.03 36.64)))",
        "ST_Within(geom, ST_GeomFromText('POLYGON((117.03 36.64, 117.06 36.64, 117.06 36.67, "
        "117.03 36.64))', 4326))",
    ),
    (
        "points",
        "S_DWITHIN(geometry, POINT(117.05 36.66), 800, meters)",
        "ST_DWithin(geom::geography, ST_MakePoint(117.05, 36.66)::geography, 800)",
    ),
]


@pytest.mark.parametrize(("collection", "cql", "sql"), CASES, ids=[c[1][:40] for c in CASES])
def test_cql2_text_selects_what_sql_selects(
    client,
    connection: Connection,
    city,
    collection,
    cql,
    sql,
):
    table = "points" if collection == "points" else "issues"
    expected = connection.scalar(text(f"SELECT count(*) FROM {table} WHERE {sql}"))
    body = items(client, collection, filter=cql, limit=1)
    assert body["numberMatched"] == expected
    assert expected > 0 or "IS NULL" in sql


# Filters of one shape, differing only in values: one app serves them from one statement.
SAME_SHAPE = [
    ("points", "category = '{}'", ["market", "public_toilet"]),
    ("points", "category IN ('market', '{}')", ["back_alley", "parking"]),
    ("points", "name LIKE '{}'", ["%巷", "%市场"]),
    ("issues", "severity BETWEEN {}", ["1 AND 2", "3 AND 3"]),
    ("issues", "reported_at >= TIMESTAMP('{}')", ["2026-11-01T00:00:00Z", "2026-06-01T00:00:00Z"]),
    (
        "issues",
        "T_DURING(reported_at, INTERVAL('{}'))",
        [
            "2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z",
            "2026-06-01T00:00:00Z', '2026-10-15T00:00:00Z",
        ],
    ),
    (
        "points",
        "S_INTERSECTS(geometry, BBOX({}))",
        ["117.03, 36.64, 117.06, 36.67", "117, 36.6, 117.04, 36.7"],
    ),
    ("points", "S_DWITHIN(geometry, POINT(117.05 36.66), {})", ["800, meters", "2, kilometers"]),
]


@pytest.mark.parametrize(
    ("collection", "template", "values"), SAME_SHAPE, ids=[c[1] for c in SAME_SHAPE]
)
def test_filters_of_one_shape_each_select_their_own_rows(
    client, city, collection, template, values
):
    matched = [
        items(client, collection, filter=template.format(v), limit=1)["numberMatched"]
        for v in values
    ]
    again = items(client, collection, filter=template.format(values[0]), limit=1)["numberMatched"]
    assert len(set(matched)) == len(values) and again == matched[0], matched
    assert all(matched), matched


def test_true_and_false_in_a_filter_are_not_one_shape(client, city):
    markets = {"op": "=", "args": [{"property": "category"}, "market"]}
    counts = [
        items(
            client,
            "points",
            filter=json.dumps({"op": "and", "args": [flag, markets]}),
            **{"filter-lang": "cql2-json"},
        )["numberMatched"]
        for flag in (True, False)
    ]
    assert counts[0] == items(client, "points", category="market")["numberMatched"] > 0
    assert counts[1] == 0


def test_cql2_json_equals_cql2_text(client, city):
    expression = {
        "op": "and",
        "args": [
            {"op": "=", "args": [{"property": "type"}, "garbage"]},
            {"op": ">=", "args": [{"property": "severity"}, 2]},
        ],
    }
    as_json = items(client, "issues", filter=json.dumps(expression), **{"filter-lang": "cql2-json"})
    as_text = items(client, "issues", filter="type = 'garbage' AND severity >= 2")
    assert as_json["numberMatched"] == as_text["numberMatched"] > 0


def test_filter_combines_with_bbox_and_paging(client, city):
    seen, url = [], None
    params = {"filter": "category = 'street_shop'", "bbox": "117.0,36.6,117.1,36.7", "limit": 20}
    body = items(client, "points", **params)
    matched = body["numberMatched"]
    while True:
        seen += [f["properties"]["category"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        if not url:
            break
        body = client.get(url).json()
    assert len(seen) == matched and set(seen) == {"street_shop"}


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"filter": "severity ="}, "not valid cql2-text"),
        ({"filter": "password = 'x'"}, "'password' is not a queryable"),
        ({"filter": "severity = 'high'"}, "severity: 'high' is not a valid int"),
        ({"filter": "{not json", "filter-lang": "cql2-json"}, "not valid cql2-json"),
        ({"filter": "severity = 1", "filter-lang": "ecql"}, "filter-lang 'ecql'"),
        ({"filter": "severity = 1", "filter-crs": "EPSG:2385"}, "filter-crs"),
        ({"filter": "A_CONTAINS(photos, ('a'))"}, "filter"),
        (
            {
                "filter": '{"op": "=", "args": [{"property": "severity"}]}',
                "filter-lang": "cql2-json",
            },
            "malformed",
        ),
        (
            {
                "filter": '{"op": "between", "args": [{"property": "severity"}, 1]}',
                "filter-lang": "cql2-json",
            },
            "malformed",
        ),
    ],
)
def test_bad_filters_are_400(client, params, needle):
    response = client.get("/collections/issues/items", params=params)
    assert response.status_code == 400, response.text
    assert needle in response.json()["detail"]


@pytest.mark.parametrize(
    "evil",
    [
        "description = 'x'' OR ''1''=''1'",
        "description LIKE '%'';DROP TABLE issues;--'",
    ],
)
def test_filter_values_are_bound(client, connection, city, evil):
    before = connection.scalar(text("SELECT count(*) FROM issues"))
    body = items(client, "issues", filter=evil)
    assert body["numberMatched"] == 0
    assert connection.scalar(text("SELECT count(*) FROM issues")) == before


def first_point(client, **params):
    response = client.get("/collections/points/items", params={"limit": 1, **params})
    assert response.status_code == 200, response.text
    return response, response.json()["features"][0]


def test_output_crs_epsg4326_is_lat_lon(client, city):
    _, lonlat = first_point(client)
    response, latlon = first_point(client, crs="http://www.opengis.net/def/crs/EPSG/0/4326")
    assert response.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    assert latlon["geometry"]["coordinates"] == lonlat["geometry"]["coordinates"][::-1]


def test_output_crs_web_mercator(client, city):
    _, lonlat = first_point(client)
    response, mercator = first_point(client, crs="http://www.opengis.net/def/crs/EPSG/0/3857")
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(
        *lonlat["geometry"]["coordinates"]
    )
    assert mercator["geometry"]["coordinates"] == pytest.approx([x, y], abs=0.02)
    one = client.get(f"/collections/points/items/{mercator['id']}", params={"crs": "EPSG:3857"})
    assert one.json()["geometry"] == mercator["geometry"]


def test_bbox_crs_lat_lon_and_mercator_select_the_same(client, city):
    crs84 = items(client, "points", bbox="117.03,36.64,117.06,36.67", limit=1)
    latlon = items(
        client,
        "points",
        bbox="36.64,117.03,36.67,117.06",
        limit=1,
        **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"},
    )
    to_merc = Transformer.from_crs(4326, 3857, always_xy=True)
    west, south = to_merc.transform(117.03, 36.64)
    east, north = to_merc.transform(117.06, 36.67)
    mercator = items(
        client,
        "points",
        bbox=f"{west},{south},{east},{north}",
        limit=1,
        **{"bbox-crs": "EPSG:3857"},
    )
    assert crs84["numberMatched"] == latlon["numberMatched"] == mercator["numberMatched"] > 0


@pytest.mark.parametrize(
    "params", [{"crs": "EPSG:2385"}, {"bbox-crs": "urn:nope", "bbox": "1,2,3,4"}]
)
def test_unsupported_crs_is_400(client, params):
    response = client.get("/collections/points/items", params=params)
    assert response.status_code == 400
    assert "is not supported" in response.json()["detail"]


def test_collection_lists_its_crs(client):
    body = client.get("/collections/points").json()
    assert "http://www.opengis.net/def/crs/EPSG/0/3857" in body["crs"]
    assert body["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
