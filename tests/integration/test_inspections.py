"""Scored visits through the API: arithmetic, far visits, problems opened, the point follows."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, text

from geoapi.points import state as point_state
from tests.factories import make_area_tree, make_point
from tests.integration.test_issues_loop import move, report
from tests.integration.test_roles import as_

MARKET = ["MK01", "MK02", "MK03", "MK04", "MK05", "MK06", "MK07", "MK08", "MK09"]  # 100 points


def answers(**special: str | dict) -> list[dict]:
    """Every market criterion passed except those given (a result or a full answer)."""
    out = []
    for criterion in MARKET:
        given = special.get(criterion, "pass")
        out.append(
            {"criterion": criterion, **(given if isinstance(given, dict) else {"result": given})}
        )
    return out


def visit(client, key=None, **body) -> dict:
    body = {"point_code": "MK-1", "answers": answers()} | body
    response = client.post("/inspections", json=body, headers=as_(key) if key else None)
    assert response.status_code == 201, response.text
    return response.json()


def point(client, code="MK-1") -> dict:
    return client.get(f"/points/{code}").json()["properties"]


def test_score_rate_from_the_answers(client, market):
    # MK01 (15) fails keeping 5, MK06 (10) not applicable: 80 of 90.
    result = visit(
        client,
        answers=answers(MK01={"result": "fail", "partial": 5}, MK06="na"),
        notes="周二上午",
    )
    assert (result["earned"], result["possible"], result["score_rate"]) == (80, 90, 0.8889)
    assert result["passed"] and result["failed"] == ["MK01"]
    assert result["checklist_version"] == "market@2026.1" and result["inspector"] == "test-admin"
    stored = client.get(f"/inspections/{result['id']}").json()
    assert stored["score_rate"] == 0.8889 and stored["notes"] == "周二上午"
    assert point(client)["score"] == 0.8889 and point(client)["status"] == "compliant"


def test_a_visit_far_from_the_point_is_flagged(client, market):
    near = visit(client, lon=117.0500, lat=36.6610)  # ~111 m north
    far = visit(client, lon=117.0500, lat=36.6630)  # ~333 m north
    unknown = visit(client)
    assert 105 < near["distance_m"] < 117 and not near["far_from_point"]
    assert 320 < far["distance_m"] < 345 and far["far_from_point"]
    assert unknown["distance_m"] is None and not unknown["far_from_point"]


def test_failed_criteria_open_problems_in_the_same_transaction(client, connection, market):
    result = visit(
        client,
        answers=answers(
            MK01={"result": "fail", "open_issue": True, "note": "东门外三处摊点", "severity": 3},
            MK02={"result": "fail"},
        ),
        problems=[{"type": "illegal_ads", "description": "立柱小广告"}],
    )
    assert len(result["issues"]) == 2 and not result["passed"]  # 70 of 100 < 0.8
    found = connection.execute(
        text(
            "SELECT id, type, severity, source, inspection_id, description FROM issues "
            "ORDER BY type"
        )
    ).all()
    assert [(r.type, r.severity, r.source, r.inspection_id) for r in found] == [
        ("illegal_ads", 2, "inspection", result["id"]),
        ("street_vending", 3, "inspection", result["id"]),
    ]
    assert "东门外三处摊点" in found[1].description
    assert point(client)["status"] == "non_compliant" and point(client)["open_issues"] == 2
    again = visit(client, answers=answers(MK01={"result": "fail", "open_issue": True}))
    assert again["issues"] == [] and again["already_open"] == [str(found[1].id)]


def test_the_point_turns_compliant_when_its_problems_close_and_the_visit_passes(
    client, keys, market
):
    issue = report(client, point_code="MK-1", type="garbage")
    assert point(client)["status"] == "non_compliant"
    visit(client)  # a passing visit does not clear an open problem
    assert point(client)["status"] == "non_compliant"
    move(client, issue, "dispatch", unit="market_reg")
    move(client, issue, "rectify", key=keys["unit"])
    move(client, issue, "close", key=keys["inspector"])
    assert point(client)["status"] == "compliant"


def test_a_retried_upload_is_stored_once(client, connection, market):
    body = {"id": str(uuid.uuid4()), "point_code": "MK-1", "answers": answers()}
    first = client.post("/inspections", json=body)
    second = client.post("/inspections", json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert connection.scalar(text("SELECT count(*) FROM inspections")) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"answers": answers()[:-1]}, "not answered: MK09"),
        ({"point_code": "NOPE"}, "no point 'NOPE'"),
        ({"team": "T99"}, "no team 'T99'"),
        ({"answers": answers(MK06={"result": "fail", "open_issue": True})}, "list it under"),
        ({"answers": answers(MK01={"result": "pass", "open_issue": True})}, "needs a fail"),
        ({"issues": [{"type": "volcano"}]}, "unknown issue type"),
        ({"visited_at": "2030-01-01T00:00:00+08:00"}, "in the future"),
        ({"visited_at": "2026-11-20T09:00:00"}, "time zone"),
        ({"lon": 117.05}, "lon and lat go together"),
    ],
)
def test_bad_visits_are_400_and_store_nothing(client, connection, market, body, message):
    response = client.post("/inspections", json={"point_code": "MK-1", "answers": answers()} | body)
    assert response.status_code in (400, 422), response.text
    assert message in response.text
    assert connection.scalar(text("SELECT count(*) FROM inspections")) == 0
    assert connection.scalar(text("SELECT count(*) FROM issues")) == 0


def add_kiosks(connection: Connection) -> None:
    """A category added as data, before anyone has written its checklist."""
    connection.execute(
        text("INSERT INTO categories (code, name_zh, name_en) VALUES ('kiosk', '报刊亭', 'Kiosk')")
    )


def test_a_category_without_a_checklist_is_400(client, connection, market):
    add_kiosks(connection)
    make_point(connection, "KI-1", lon=117.06, lat=36.66, category="kiosk")
    response = client.post("/inspections", json={"point_code": "KI-1", "answers": answers()})
    assert response.status_code == 400 and "no checklist for category 'kiosk'" in response.text


def test_every_category_of_the_campaign_can_be_inspected(client, connection):
    """校园周边, 建筑工地 and 站点周边 are task forces of their own: each has a checklist."""
    categories = set(connection.scalars(text("SELECT code FROM categories")))
    for category in sorted(categories):
        listed = client.get(f"/checklists/{category}")
        assert listed.status_code == 200, category
        weights = [c["weight"] for c in listed.json()["criteria"]]
        assert sum(weights) == 100 and len(weights) >= 4, category


def test_who_may_record_visits(client, keys, connection, market):
    body = {"point_code": "MK-1", "answers": answers()}
    for role in ("inspector", "planner"):
        assert client.post("/inspections", json=body, headers=as_(keys[role])).status_code == 201
    for role in ("analyst", "unit", "public"):
        assert client.post("/inspections", json=body, headers=as_(keys[role])).status_code == 403
    make_area_tree(connection)  # streets A and B around 100–102 E
    from geoapi.auth import lookup

    insp_a = lookup.add_user(connection, "insp-a", "inspector", area_code="A")
    make_point(connection, "B-1", lon=101.3, lat=30.3, category="market")
    outside = {"point_code": "B-1", "answers": answers()}
    response = client.post("/inspections", json=outside, headers=as_(insp_a))
    assert response.status_code == 403 and "outside the area" in response.text


def test_checklists_are_served_for_devices(client, connection):
    checklists = client.get("/checklists").json()
    assert {c["category"] for c in checklists} >= {"market", "public_toilet", "practice_station"}
    market = client.get("/checklists/market").json()
    assert [c["id"] for c in market["criteria"]] == MARKET
    assert sum(c["weight"] for c in market["criteria"]) == 100
    add_kiosks(connection)
    assert client.get("/checklists/kiosk").status_code == 404


# --- due lists --------------------------------------------------------------------------------

TZ8 = timedelta(hours=8)


def visited(connection: Connection, point_id: int, at: datetime, passed: bool = True) -> None:
    connection.execute(
        text(
            "INSERT INTO inspections (point_id, inspector, visited_at, checklist_version, "
            "score_rate, passed) VALUES (:p, 'x', :at, 'market@2026.1', 1, :passed)"
        ),
        {"p": point_id, "at": at, "passed": passed},
    )
    point_state.refresh(connection, [point_id])  # as every write of a visit does


@pytest.fixture
def due_fixture(connection: Connection, market: int) -> dict[str, int]:
    """Markets (7-day cycle) and a toilet (3 days), visited on fixed dates (Beijing time)."""
    ids = {"MK-1": market}
    for code in ("MK-2", "MK-3", "MK-4"):
        ids[code] = make_point(connection, code, lon=117.05, lat=36.661, category="market")
    ids["PT-1"] = make_point(connection, "PT-1", lon=117.05, lat=36.662, category="public_toilet")
    add_kiosks(connection)
    ids["ST-1"] = make_point(connection, "ST-1", lon=117.05, lat=36.663, category="kiosk")
    beijing = lambda d, h=10: datetime(2026, 11, d, h, tzinfo=UTC) - TZ8  # noqa: E731
    visited(connection, ids["MK-1"], beijing(10))  # due 11-17: 3 days late on 11-20
    visited(connection, ids["MK-2"], beijing(13))  # due 11-20 10:00: due on 11-20
    visited(connection, ids["MK-3"], beijing(14))  # due 11-21: not due on 11-20
    # MK-4 never visited; PT-1 visited 11-16, due 11-19: 1 day late; ST-1 has no cycle
    visited(connection, ids["PT-1"], beijing(16))
    visited(connection, ids["MK-1"], beijing(25))  # after the day asked: ignored for 11-20
    return ids


def test_due_points_on_a_fixed_date(client, due_fixture):
    response = client.get("/points/due", params={"date": "2026-11-20"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    rows = [
        (f["id"], f["properties"]["due"], f["properties"]["days_late"], f["properties"]["priority"])
        for f in body["features"]
    ]
    # Priority = weight (markets and toilets 3) × days late to the end of 11-20 (local):
    # MK-1 due 11-17 10:00 → 3 × 3.58; PT-1 due 11-19 10:00 → 3 × 1.58; MK-4 never
    # inspected counts as 1 day; MK-2 due 11-20 10:00 → 3 × 0.58.
    assert rows == [
        ("MK-1", "overdue", 3, 10.75),
        ("PT-1", "overdue", 1, 4.75),
        ("MK-4", "never_inspected", 0, 3.0),
        ("MK-2", "due", 0, 1.75),
    ]
    assert body["numberReturned"] == 4 and body["date"] == "2026-11-20"
    assert body["links"] == []  # one page holds them all
    on_21 = client.get("/points/due", params={"date": "2026-11-21"}).json()
    assert "MK-3" in [f["id"] for f in on_21["features"]]


def test_points_with_open_problems_come_first(client, connection, due_fixture):
    connection.execute(
        text(
            "INSERT INTO issues (id, point_id, geom, type, source, status, reported_at) "
            "SELECT gen_random_uuid(), id, geom, 'garbage', 'inspection', 'reported', '2026-11-18' "
            "FROM points WHERE code = 'MK-2'"
        )
    )
    features = client.get("/points/due", params={"date": "2026-11-20"}).json()["features"]
    assert [f["id"] for f in features] == ["MK-2", "MK-1", "PT-1", "MK-4"]
    assert (features[0]["properties"]["tier"], features[0]["properties"]["open_issues"]) == (0, 1)


def test_pages_follow_next_links_to_the_same_list(client, due_fixture):
    whole = [f["id"] for f in client.get("/points/due?date=2026-11-20").json()["features"]]
    paged, url = [], "/points/due?date=2026-11-20&limit=1"
    while url:
        body = client.get(url).json()
        paged += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert paged == whole and len(whole) == 4


def test_the_worklist_as_csv_and_as_a_printable_page(client, due_fixture):
    csv = client.get("/points/due", params={"date": "2026-11-20", "f": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("层级(0=有未销号问题),优先级,点位编码,点位名称,类别")
    assert [line.split(",")[2] for line in lines[1:]] == ["MK-1", "PT-1", "MK-4", "MK-2"]
    page = client.get("/points/due", params={"date": "2026-11-20", "f": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "待巡查点位清单" in page.text and "从未巡查" in page.text and "集贸市场" in page.text


def test_a_cursor_that_is_not_ours_is_400(client, due_fixture):
    for token in ("nonsense", "WzksMSwiYSJd"):  # garbage; a valid encoding of tier 9
        response = client.get("/points/due", params={"cursor": token})
        assert response.status_code == 400 and "cursor" in response.text


def test_a_point_may_override_its_cycle(client, connection, due_fixture):
    connection.execute(text("UPDATE points SET cycle_days = 30 WHERE code = 'MK-1'"))
    ids = [
        f["id"] for f in client.get("/points/due", params={"date": "2026-11-20"}).json()["features"]
    ]
    assert "MK-1" not in ids


def test_due_filters_and_errors(client, due_fixture):
    only = client.get("/points/due", params={"date": "2026-11-20", "category": "public_toilet"})
    assert [f["id"] for f in only.json()["features"]] == ["PT-1"]
    assert (
        client.get("/points/due", params={"date": "2026-11-20", "limit": 2}).json()[
            "numberReturned"
        ]
        == 2
    )
    for params, message in [
        ({"area": "NOWHERE"}, "no area with code"),
        ({"category": "kiosk"}, "has no inspection cycle"),
        ({"date": "2026-13-01"}, "date"),
        ({"limit": 10**6}, "limit"),
    ]:
        response = client.get("/points/due", params=params)
        assert response.status_code in (400, 422) and message in response.text


def test_paging_the_demo_city_gives_the_whole_list_once_in_order(client, city):
    day = "2026-11-21"
    whole = client.get("/points/due", params={"date": day, "limit": 10000}).json()["features"]
    keys = [(f["properties"]["tier"], -f["properties"]["priority"]) for f in whole]
    assert keys == sorted(keys) and {k[0] for k in keys} == {0, 1}  # both tiers, in order
    paged, url = [], f"/points/due?date={day}&limit=37"
    while url:
        body = client.get(url).json()
        paged += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert paged == [f["id"] for f in whole] and len(set(paged)) == len(paged) > 100
