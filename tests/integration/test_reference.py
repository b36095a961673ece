"""Reference data as data: categories, problem types (with their links and default units),
units and teams listed for every role and changed by admins, through the API and the CLI; a
type added this way links reports to points and steers dispatch without a migration."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from geoapi.inspections.checklists import load_checklists
from tests.integration.test_issues_loop import move, report
from tests.integration.test_roles import as_

NOISE = {
    "name_zh": "噪声扰民",
    "name_en": "Noise",
    "default_deadline_days": 3,
    "default_unit": "urban_mgmt",
    "categories": ["market"],
}


def test_every_signed_in_role_lists_the_reference_tables(client, keys, anonymous):
    for path, known in (
        ("/categories", "market"),
        ("/issue-types", "street_vending"),
        ("/units", "market_reg"),
    ):
        for role in ("planner", "analyst", "inspector", "unit"):
            listed = client.get(path, headers=as_(keys[role]))
            assert listed.status_code == 200, (path, role)
            assert known in {row["code"] for row in listed.json()}
        assert anonymous.get(path).status_code == 401
    market = client.get("/categories/market").json()
    assert "street_vending" in market["issue_types"] and market["name_zh"] == "集贸市场/农贸市场"


def test_an_admin_adds_a_problem_type_that_links_reports_to_points(client, market):
    put = client.put("/issue-types/noise", json=NOISE)
    assert put.status_code == 201, put.text
    assert put.json() | {"code": "noise"} == put.json() and put.json()["categories"] == ["market"]
    assert "noise" in client.get("/categories/market").json()["issue_types"]
    found = report(client, type="noise")  # 15 m from market MK-1: linked to it
    assert found["point"]["code"] == "MK-1" and found["point"]["linked_automatically"]
    again = client.put("/issue-types/noise", json=NOISE | {"default_deadline_days": 5})
    assert again.status_code == 200 and again.json()["default_deadline_days"] == 5


def test_dispatch_goes_to_the_points_unit_then_the_types_default(client, connection, market):
    connection.execute(
        text("UPDATE points SET unit_code = 'market_reg' WHERE id = :id"), {"id": market}
    )
    client.put("/issue-types/noise", json=NOISE)
    at_market = report(client, type="noise")
    assert move(client, at_market, "dispatch").json()["unit"] == "market_reg"  # 门前三包
    elsewhere = report(client, type="noise", lon=117.2, lat=36.9)
    assert move(client, elsewhere, "dispatch").json()["unit"] == "urban_mgmt"  # the type's
    unknown = report(client, type="garbage", lon=117.2, lat=36.9)  # no default unit
    refused = move(client, unknown, "dispatch")
    assert refused.status_code == 400 and "no default unit" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "word"),
    [
        ("/issue-types/x", NOISE | {"categories": ["nowhere"]}, "'nowhere'"),
        ("/issue-types/x", NOISE | {"default_unit": "nobody"}, "'nobody'"),
        ("/issue-types/x", NOISE | {"default_deadline_days": 0}, "default_deadline_days"),
        ("/categories/x", {"name_zh": "x", "name_en": "x", "issue_types": ["nope"]}, "'nope'"),
        ("/teams/T9", {"name": "九组", "area": "NOWHERE"}, "NOWHERE"),
        ("/teams/T9", {"name": "九组", "base": [200, 0]}, "base"),
        ("/units/bad code", {"name": "x"}, "code"),
    ],
)
def test_bad_reference_rows_are_400_and_change_nothing(client, market, path, body, word):
    before = client.get("/issue-types").json()
    response = client.put(path, json=body)
    assert response.status_code in (400, 404, 422) and word in response.text, response.text
    assert client.get("/issue-types").json() == before


def test_only_admins_change_reference_data(client, keys):
    for role in ("planner", "analyst", "inspector", "unit"):
        denied = client.put("/units/parks", json={"name": "园林局"}, headers=as_(keys[role]))
        assert denied.status_code == 403, role
    assert client.get("/units/parks").status_code == 404


def test_a_stale_write_is_412_and_a_unit_name_stays_unique(client, market):
    read = client.get("/units/market_reg")
    etag = read.headers["etag"]
    first = client.put("/units/market_reg", json={"name": "市场监管局"}, headers={"If-Match": etag})
    assert first.status_code == 200 and first.headers["etag"] != etag
    stale = client.put("/units/market_reg", json={"name": "又一个名字"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert client.get("/units/market_reg").json()["name"] == "市场监管局"
    taken = client.put("/units/other", json={"name": "市场监管局"})
    assert taken.status_code == 409 and "market_reg" in taken.json()["detail"]


def test_teams_are_listed_with_their_area_and_base(client, city):
    teams = client.get("/teams").json()
    assert [t["code"] for t in teams][:2] == ["T01", "T02"]
    assert all(t["area"] and len(t["base"]) == 2 for t in teams)
    made = client.put("/teams/T99", json={"name": "夜查组", "area": teams[0]["area"]})
    assert made.status_code == 201 and made.json()["base"] is None


def test_shipped_checklists_name_known_categories_and_problem_types(reference, client):
    shipped = load_checklists(Path("checklists"))
    categories = {row["code"] for row in client.get("/categories").json()}
    for category in shipped.categories:
        checklist = shipped.current(category, date(2026, 11, 24))
        assert checklist.category in categories
        assert {c.issue_type for c in checklist.criteria} - {None} <= set(reference.issue_types)
