import pytest
import shapely
from fastapi.testclient import TestClient
from geojson_pydantic import Feature, FeatureCollection
from sqlalchemy import Connection, text

from geoapi.demo.generate import generate
from geoapi.demo.points import point_rows
from tests.conftest import DEMO_AS_OF

LAYER_IDS = {
    "points",
    "issues",
    "open_issues",
    "overdue_issues",
    "areas",
    "compliance_by_street",
    "issue_events",
    "inspections",
    "footprints",
}


def items(client: TestClient, collection: str, **params) -> dict:
    response = client.get(f"/collections/{collection}/items", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    return FeatureCollection.model_validate(response.json()).model_dump() | response.json()


def next_link(body: dict, rel: str = "next") -> str | None:
    return next((link["href"] for link in body["links"] if link["rel"] == rel), None)


def test_landing_page_and_conformance(client: TestClient):
    rels = {link["rel"] for link in client.get("/").json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conforms = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conforms
    api = client.get("/api")
    assert api.status_code == 200 and "/collections/{collectionId}/items" in api.json()["paths"]


def test_collections_list_every_layer(client: TestClient):
    body = client.get("/collections").json()
    assert {c["id"] for c in body["collections"]} == LAYER_IDS


def test_collection_extent_comes_from_the_data(client: TestClient, city):
    body = client.get("/collections/points").json()
    west, south, east, north = body["extent"]["spatial"]["bbox"][0]
    lon, lat = city.points["lon"], city.points["lat"]
    expected = (lon.min(), lat.min(), lon.max(), lat.max())
    assert [west, south, east, north] == pytest.approx(list(expected), abs=1e-6)
    assert body["extent"]["temporal"]["interval"][0][1] is not None


def test_collections_carry_extents_remembered_for_a_while(
    client: TestClient, connection: Connection, city
):
    def bbox(path: str, collection: str = "points") -> list[float]:
        body = client.get(path).json()
        doc = (
            body if "id" in body else next(c for c in body["collections"] if c["id"] == collection)
        )
        return doc["extent"]["spatial"]["bbox"][0]

    before = bbox("/collections")
    assert bbox("/collections/points") == before
    connection.execute(
        text("UPDATE points SET geom = ST_SetSRID(ST_MakePoint(118.5, 37.5), 4326) WHERE id = :id"),
        {"id": int(connection.scalar(text("SELECT min(id) FROM points")))},
    )
    assert bbox("/collections") == before  # remembered (GEOAPI_EXTENT_CACHE_SECONDS)
    client.app.state.extent_cache.ttl = 0
    assert bbox("/collections")[2:] == bbox("/collections/points")[2:] == [118.5, 37.5]


def test_items_count_and_page_size(client: TestClient, connection: Connection, city):
    body = items(client, "points", limit=7)
    assert body["numberReturned"] == 7 == len(body["features"])
    assert body["numberMatched"] == len(city.points)
    assert body["timeStamp"].endswith("Z")


def test_paging_by_next_links_returns_every_feature_once(client: TestClient, connection, city):
    seen, url, pages = [], "/collections/points/items?limit=100&category=street_shop", 0
    while url:
        response = client.get(url)
        body = response.json()
        seen += [f["id"] for f in body["features"]]
        url, pages = next_link(body), pages + 1
    expected = connection.scalar(text("SELECT count(*) FROM points WHERE category = 'street_shop'"))
    assert len(seen) == len(set(seen)) == expected
    assert pages == -(-expected // 100)


def test_number_matched_is_exact_on_first_pages_and_left_out_after(client, connection, city):
    shops = int((city.points["category"] == "street_shop").sum())
    fits = items(client, "points", category="street_shop", limit=shops + 5)
    spills = items(client, "points", category="street_shop", limit=7)
    assert fits["numberMatched"] == spills["numberMatched"] == shops > 7
    second = client.get(next_link(spills)).json()
    assert "numberMatched" not in second and second["numberReturned"] == 7


def test_prev_link_returns_the_previous_page(client: TestClient, city):
    first = items(client, "issues", limit=5, sortby="-deadline")
    second = client.get(next_link(first)).json()
    back = client.get(next_link(second, "prev")).json()
    assert [f["id"] for f in back["features"]] == [f["id"] for f in first["features"]]
    assert next_link(first, "prev") is None


def test_prev_links_walk_back_from_the_last_page_to_the_first(client: TestClient, city):
    forward, url = [], "/collections/issues/items?limit=40&sortby=-deadline"
    while url:
        body = client.get(url).json()
        forward.append([f["id"] for f in body["features"]])
        last, url = body, next_link(body)
    backward, url = [], next_link(last, "prev")
    while url:
        body = client.get(url).json()
        backward.append([f["id"] for f in body["features"]])
        url = next_link(body, "prev")
    assert len(forward) > 3
    assert backward == forward[-2::-1]


def test_sortby_orders_with_nulls_last(client: TestClient, city, reference):
    deadlines = []
    url = "/collections/issues/items?limit=50&sortby=-deadline"
    while url:
        body = client.get(url).json()
        deadlines += [f["properties"]["deadline"] for f in body["features"]]
        url = next_link(body)
    present = [d for d in deadlines if d is not None]
    assert present == sorted(present, reverse=True)
    assert len(deadlines) == len(generate(0.05, 9, DEMO_AS_OF, reference).issues)


def test_ascending_pages_reach_the_nulls_after_the_values(client: TestClient, city, reference):
    deadlines, ids = [], []
    url = "/collections/issues/items?limit=30&sortby=deadline"
    while url:
        body = client.get(url).json()
        deadlines += [f["properties"]["deadline"] for f in body["features"]]
        ids += [f["id"] for f in body["features"]]
        url = next_link(body)
    present = [d for d in deadlines if d is not None]
    assert present == sorted(present)
    assert None in deadlines and deadlines[len(present) :] == [None] * (len(ids) - len(present))
    assert len(ids) == len(set(ids)) == len(generate(0.05, 9, DEMO_AS_OF, reference).issues)


def test_bbox_keeps_only_features_inside(client: TestClient, connection, city):
    # Two boxes of one request shape: the second reuses the first's statement, not its values.
    for bbox in ((117.03, 36.64, 117.06, 36.67), (117.0, 36.6, 117.03, 36.64)):
        body = items(client, "points", bbox=",".join(map(str, bbox)), limit=10000)
        box = shapely.box(*bbox)
        assert body["features"]
        assert all(box.covers(shapely.geometry.shape(f["geometry"])) for f in body["features"])
        inside = connection.scalar(
            text(
                "SELECT count(*) FROM points "
                "WHERE ST_Intersects(geom, ST_MakeEnvelope(:w, :s, :e, :n, 4326))"
            ),
            dict(zip("wsen", bbox, strict=True)),
        )
        assert body["numberMatched"] == inside


def test_datetime_instants_and_intervals_filter_the_temporal_property(
    client: TestClient, connection, city
):
    instant = connection.scalar(
        text("SELECT reported_at FROM issues ORDER BY reported_at OFFSET 5 LIMIT 1")
    )
    between = "reported_at BETWEEN :start AND :end"
    cases = {
        instant.isoformat(): ("reported_at = :start", {"start": instant}),
        "2026-11-10": (between, {"start": "2026-11-10", "end": "2026-11-10T23:59:59.999999Z"}),
        "2026-11-01/..": ("reported_at >= :start", {"start": "2026-11-01T00:00:00Z"}),
        "2026-11-15/..": ("reported_at >= :start", {"start": "2026-11-15T00:00:00Z"}),
        "../2026-11-01": ("reported_at <= :end", {"end": "2026-11-01T23:59:59.999999Z"}),
        "2026-10-20/2026-11-05": (
            between,
            {"start": "2026-10-20T00:00:00Z", "end": "2026-11-05T23:59:59.999999Z"},
        ),
    }
    for value, (condition, bounds) in cases.items():
        body = items(client, "issues", datetime=value, limit=1)
        expected = connection.scalar(text(f"SELECT count(*) FROM issues WHERE {condition}"), bounds)
        assert body["numberMatched"] == expected > 0, value


def test_property_filters_and_property_selection(client: TestClient, city):
    for category in ("market", "public_toilet"):
        body = items(client, "points", category=category, properties="code,status", limit=1000)
        assert body["numberMatched"] == (city.points["category"] == category).sum() > 0
        assert all(set(f["properties"]) == {"code", "status"} for f in body["features"])


def test_one_feature_and_missing_ones(client: TestClient, city):
    for row in (0, 1):
        point_id = int(city.points["id"].iat[row])
        response = client.get(f"/collections/points/items/{point_id}")
        assert response.status_code == 200
        feature = Feature.model_validate(response.json())
        assert feature.properties["code"] == point_rows(city.points)["code"].iat[row]
    for missing in ("999999999", "not-a-number"):
        assert client.get(f"/collections/points/items/{missing}").status_code == 404


def test_open_issues_layer_applies_its_fixed_filter(client: TestClient, connection, city):
    body = items(client, "open_issues", limit=1)
    expected = connection.scalar(
        text(
            "SELECT count(*) FROM issues WHERE status IN "
            "('reported', 'dispatched', 'rectifying', 'rectified')"
        )
    )
    assert body["numberMatched"] == expected
    closed = connection.scalar(text("SELECT id FROM issues WHERE status = 'closed' LIMIT 1"))
    assert client.get(f"/collections/open_issues/items/{closed}").status_code == 404


def test_compliance_by_street_is_computed_in_sql(client: TestClient, connection, city):
    body = items(client, "compliance_by_street", limit=20)
    assert body["numberMatched"] == 9
    opens = [f["properties"]["open_count"] for f in body["features"]]
    assert opens == sorted(opens, reverse=True)
    total_open = connection.scalar(
        text(
            "SELECT count(*) FROM issues WHERE status IN "
            "('reported', 'dispatched', 'rectifying', 'rectified') AND street_id IS NOT NULL"
        )
    )
    assert sum(opens) == total_open


def test_queryables_are_json_schema_with_types(client: TestClient):
    response = client.get("/collections/issues/queryables")
    assert response.headers["content-type"] == "application/schema+json"
    properties = response.json()["properties"]
    assert properties["severity"]["type"] == "integer"
    assert properties["deadline"]["format"] == "date-time"
    assert "description" in properties


def test_each_collection_describes_every_property_with_its_type(client: TestClient):
    collection = client.get("/collections/issue_events").json()
    described = [link for link in collection["links"] if link["rel"] == "describedby"]
    assert [link["type"] for link in described] == ["application/schema+json"]
    feature = client.get(described[0]["href"]).json()
    assert feature["properties"]["type"]["enum"] == ["Feature"]
    part5 = [link for link in collection["links"] if link["rel"].endswith("/rel/ogc/1.0/schema")]
    response = client.get(part5[0]["href"])
    assert response.headers["content-type"] == "application/schema+json"
    properties = response.json()["properties"]
    assert feature["properties"]["properties"]["properties"] == {
        k: v for k, v in properties.items() if k != "geometry"
    }
    assert properties["hours_since_report"]["type"] == "number"  # not guessed from a page
    assert properties["reported_at"]["format"] == "date-time"
    assert properties["geometry"]["x-ogc-role"] == "primary-geometry"
    items = client.get("/collections/issue_events/items", params={"limit": 1}).json()
    assert set(properties) >= set(items["features"][0]["properties"]) if items["features"] else True


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("headers", {"Authorization": "Bearer gk_abc"}),
        ("headers", {"apikey": "gk_abc"}),
        ("params", {"apikey": "gk_abc"}),
        ("params", {"key": "gk_abc"}),
    ],
)
def test_a_key_sent_the_wrong_way_is_401_saying_where_to_send_it(anonymous, where, value):
    response = anonymous.get("/collections", **{where: value})
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "X-API-Key header" in detail and "api_key query parameter" in detail
    assert anonymous.get("/collections", params={"key": "market"}).status_code == 200


def test_f_json_gives_plain_json(client: TestClient, city):
    response = client.get("/collections/areas/items", params={"f": "json", "limit": 1})
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("path", "params", "status", "needle"),
    [
        ("/collections/points/items", {"bbox": "1,2,3"}, 400, "bbox"),
        ("/collections/points/items", {"datetime": "soon"}, 400, "datetime"),
        ("/collections/areas/items", {"datetime": "2026-11-01"}, 400, "no temporal property"),
        ("/collections/points/items", {"limit": "0"}, 400, "limit must be between 1 and 10000"),
        ("/collections/points/items", {"limit": "10001"}, 400, "limit"),
        ("/collections/points/items", {"limit": "many"}, 400, "limit"),
        ("/collections/points/items", {"colour": "red"}, 400, "unknown property 'colour'"),
        ("/collections/points/items", {"sortby": "secret"}, 400, "sortby"),
        ("/collections/points/items", {"properties": "code,password"}, 400, "'password'"),
        ("/collections/issues/items", {"severity": "high"}, 400, "severity: 'high'"),
        ("/collections/points/items", {"f": "xml"}, 400, "f='xml'"),
        ("/collections/points/items", {"cursor": "%%%"}, 400, "cursor"),
        ("/collections/nowhere/items", {}, 404, "no collection 'nowhere'"),
        ("/collections/nowhere", {}, 404, "nowhere"),
    ],
)
def test_bad_requests_get_problem_json(client: TestClient, path, params, status, needle):
    response = client.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert needle in body["detail"]
    assert body["code"] in {"InvalidParameterValue", "NotFound"}


@pytest.mark.parametrize(
    "evil",
    [
        "' OR '1'='1",
        "market'; DROP TABLE points; --",
        'market") OR 1=1 --',
    ],
)
def test_filter_values_never_reach_sql_as_text(client: TestClient, connection, city, evil):
    body = items(client, "points", category=evil, name=evil)
    assert body["numberMatched"] == 0
    assert connection.scalar(text("SELECT count(*) FROM points")) == len(city.points)
