"""Roles and scopes: who may read and move which problems, enforced in the SQL that selects."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from geoapi.auth import lookup
from tests.conftest import app_on
from tests.factories import make_area_tree, make_unit
from tests.integration.test_issues_loop import move, report

# Street A is 100..101 E, street B 101..102 E (tests/factories.make_area_tree).
IN_A = {"lon": 100.3, "lat": 30.3}
IN_B = {"lon": 101.3, "lat": 30.3}
IN_GRID_A1G = {"lon": 100.1, "lat": 30.1}


@pytest.fixture
def streets(connection: Connection) -> dict[str, str]:
    """Streets A and B, two units, and one key per person working there."""
    make_area_tree(connection)
    make_unit(connection, "unit_a")
    make_unit(connection, "unit_b")
    add = lookup.add_user
    return {
        "inspector_a": add(connection, "insp-a", "inspector", area_code="A"),
        "inspector_b": add(connection, "insp-b", "inspector", area_code="B"),
        "grid_worker": add(connection, "grid-a1", "inspector", area_code="A1g"),
        "unit_a": add(connection, "unit-a", "unit", unit_code="unit_a"),
        "unit_b": add(connection, "unit-b", "unit", unit_code="unit_b"),
        "analyst": add(connection, "analyst", "analyst"),
        "planner": add(connection, "planner", "planner"),
    }


def as_(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def dispatched_to(client: TestClient, unit: str, where: dict) -> dict:
    issue = report(client, type="garbage", **where)
    assert move(client, issue, "dispatch", unit=unit).status_code == 200
    return issue


def test_no_key_is_401_and_a_bad_or_revoked_key_too(anonymous, connection, streets):
    response = anonymous.get("/issues")
    assert response.status_code == 401 and "API key" in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("ApiKey")
    assert anonymous.get("/issues", headers=as_("gk_nonsense")).status_code == 401
    assert anonymous.get("/issues", headers=as_(streets["analyst"])).status_code == 200
    lookup.revoke(connection, "analyst")
    assert anonymous.get("/issues", headers=as_(streets["analyst"])).status_code == 200  # cached
    anonymous.app.state.key_cache.ttl = 0  # as after GEOAPI_KEY_CACHE_SECONDS
    assert anonymous.get("/issues", headers=as_(streets["analyst"])).status_code == 401


def test_the_key_may_come_as_api_key_parameter(anonymous, streets):
    key = {"api_key": streets["analyst"]}
    assert anonymous.get("/issues", params=key).status_code == 200
    # not taken for a property filter of the collection
    assert anonymous.get("/collections/issues/items", params=key).status_code == 200


def test_an_inspector_closes_only_inside_their_street(client, connection, streets):
    in_a = dispatched_to(client, "unit_a", IN_A)
    in_b = dispatched_to(client, "unit_b", IN_B)
    for issue, unit in ((in_a, "unit_a"), (in_b, "unit_b")):
        assert move(client, issue, "rectify", streets[unit]).status_code == 200
    refused = move(client, in_b, "close", streets["inspector_a"])
    assert refused.status_code == 403 and "outside the scope" in refused.json()["detail"]
    assert client.get(f"/issues/{in_b['id']}").json()["status"] == "rectified"
    assert move(client, in_a, "close", streets["inspector_a"]).status_code == 200
    assert move(client, in_b, "close", streets["inspector_b"]).status_code == 200
    closes = connection.scalar(text("SELECT count(*) FROM issue_events WHERE action = 'close'"))
    assert closes == 2


def test_a_grid_worker_reports_inside_their_grid_only(anonymous, connection, streets):
    def post(where: dict) -> int:
        body = {"type": "garbage", "source": "inspection", **where}
        return anonymous.post("/issues", json=body, headers=as_(streets["grid_worker"])).status_code

    assert post(IN_GRID_A1G) == 201
    assert post(IN_A) == 403  # street A, but outside grid A1g
    assert connection.scalar(text("SELECT count(*) FROM issues")) == 1  # the refusal rolled back


def test_a_unit_sees_only_its_own_problems_everywhere(client, anonymous, streets):
    mine = dispatched_to(client, "unit_a", IN_A)
    theirs = dispatched_to(client, "unit_b", IN_B)
    headers = as_(streets["unit_a"])
    listed = anonymous.get("/issues", headers=headers).json()["features"]
    assert [f["id"] for f in listed] == [mine["id"]]
    assert anonymous.get(f"/issues/{mine['id']}", headers=headers).status_code == 200
    assert anonymous.get(f"/issues/{theirs['id']}", headers=headers).status_code == 403
    for layer in ("issues", "open_issues", "issue_events"):
        items = anonymous.get(f"/collections/{layer}/items", headers=headers).json()
        ids = {f["properties"].get("issue_id", f["id"]) for f in items["features"]}
        assert ids == {mine["id"]}, layer
    by_id = anonymous.get(f"/collections/issues/items/{theirs['id']}", headers=headers)
    assert by_id.status_code == 404
    cql = {"filter": "unit_code = 'unit_b'", "filter-lang": "cql2-text"}
    sneaky = anonymous.get("/collections/issues/items", params=cql, headers=headers).json()
    assert sneaky["features"] == []


def test_callers_of_one_server_each_get_their_own_scope(client, anonymous, streets):
    # The server reuses a page's statement across requests; never one caller's scope.
    issues = {"unit_a": dispatched_to(client, "unit_a", IN_A)}
    issues["unit_b"] = dispatched_to(client, "unit_b", IN_B)
    places = {"unit_a": IN_A, "unit_b": IN_B}
    for unit in ("unit_a", "unit_b", "unit_a"):
        headers = as_(streets[unit])
        page = anonymous.get("/collections/issues/items", headers=headers).json()
        assert [f["id"] for f in page["features"]] == [issues[unit]["id"]]
        extent = anonymous.get("/collections/issues", headers=headers).json()["extent"]
        lon, lat = places[unit]["lon"], places[unit]["lat"]
        assert extent["spatial"]["bbox"] == [[lon, lat, lon, lat]]  # remembered per scope
        for owner, issue in issues.items():
            one = anonymous.get(f"/collections/issues/items/{issue['id']}", headers=headers)
            assert one.status_code == (200 if owner == unit else 404)


def test_a_unit_rectifies_but_does_not_dispatch_or_close(client, anonymous, streets):
    issue = dispatched_to(client, "unit_a", IN_A)
    assert move(client, issue, "start", streets["unit_b"]).status_code == 403  # not its issue
    assert move(client, issue, "start", streets["unit_a"]).status_code == 200
    assert move(client, issue, "rectify", streets["unit_a"]).status_code == 200
    refused = move(client, issue, "close", streets["unit_a"])
    assert refused.status_code == 403 and "role 'unit'" in refused.json()["detail"]
    again = move(client, issue, "dispatch", streets["unit_a"], unit="unit_a")
    assert again.status_code == 403


def test_an_analyst_reads_everything_and_changes_nothing(client, anonymous, streets):
    issue = dispatched_to(client, "unit_a", IN_A)
    headers = as_(streets["analyst"])
    assert anonymous.get(f"/issues/{issue['id']}", headers=headers).status_code == 200
    assert move(client, issue, "reject", streets["analyst"], note="x").status_code == 403
    created = anonymous.post(
        "/issues", json={"type": "garbage", "source": "inspection", **IN_A}, headers=headers
    )
    assert created.status_code == 403
    collections = anonymous.get("/collections", headers=headers).json()["collections"]
    assert "compliance_by_street" in {c["id"] for c in collections}


def test_the_public_reads_only_published_layers(anonymous, client, keys):
    report(client)
    collections = {c["id"] for c in anonymous.get("/collections").json()["collections"]}
    assert collections == {"points", "areas"}
    assert anonymous.get("/collections/points/items").status_code == 200
    assert anonymous.get("/collections/issues/items").status_code == 401
    assert anonymous.get("/collections/issues/tiles/WebMercatorQuad/10/0/0").status_code == 401
    public_app = as_(keys["public"])  # e.g. a snap-report app: a key, but no staff role
    assert anonymous.get("/collections/issues/items", headers=public_app).status_code == 403
    assert anonymous.get("/issues", headers=public_app).status_code == 403


def test_scoped_users_cannot_read_layers_without_their_scope_column(anonymous, streets):
    headers = as_(streets["inspector_a"])
    response = anonymous.get("/collections/compliance_by_street/items", headers=headers)
    assert response.status_code == 403 and "street_id" in response.json()["detail"]
    listed = {c["id"] for c in anonymous.get("/collections", headers=headers).json()["collections"]}
    assert "compliance_by_street" not in listed and "issues" in listed


def test_tiles_of_unpublished_layers_are_not_cached_by_proxies(client, market):
    report(client)
    # z10 tile holding 117.05 E 36.66 N
    tile = client.get("/collections/issues/tiles/WebMercatorQuad/10/845/403")
    assert tile.status_code in (200, 204)
    assert tile.headers["cache-control"].startswith("private")
    points = client.get("/collections/points/tiles/WebMercatorQuad/14/13520/6455")
    assert points.headers["cache-control"].startswith("public")


def test_settings_can_publish_more_layers(settings, session):
    app = app_on(settings.model_copy(update={"public_layers": ["points", "open_issues"]}), session)
    with TestClient(app) as anonymous:
        ids = {c["id"] for c in anonymous.get("/collections").json()["collections"]}
        assert ids == {"points", "open_issues"}
        assert anonymous.get("/collections/open_issues/items").status_code == 200
