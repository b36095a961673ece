"""Rectification notices, acknowledgement, deferrals and escalations against real PostGIS."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import Connection, text

from geoapi.auth.principal import Principal
from geoapi.notices import service
from tests.integration.test_issues_loop import move, report
from tests.integration.test_pages import UUID, visible_text
from tests.integration.test_roles import as_


def dispatched(client, unit="market_reg", **report_fields) -> dict:
    issue = report(client, **report_fields)
    response = move(client, issue, "dispatch", unit=unit)
    assert response.status_code == 200, response.text
    return response.json()


def notice(client, key=None, **body) -> dict:
    response = client.post("/notices", json=body, headers=as_(key) if key else None)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_notice_groups_the_units_dispatched_problems_and_is_numbered(client, keys, market):
    a = dispatched(client, type="garbage")
    b = dispatched(client, type="clutter")
    other = dispatched(client, unit="urban_mgmt", type="garbage")
    report(client, type="sewage")  # reported, not dispatched: not on a notice
    first = notice(client, key=keys["planner"], unit="market_reg", note="请抓紧整改")
    year = datetime.now(UTC).astimezone().year
    assert first["number"] == f"创城整改〔{year}〕0001号"
    assert {i["id"] for i in first["issues"]} == {a["id"], b["id"]}
    assert first["unit"] == {"code": "market_reg", "name": "market_reg"}
    assert first["issued_by"] == "office" and first["events"][0]["action"] == "issue"
    second = notice(client, unit="urban_mgmt")
    assert second["number"].endswith("0002号") and [i["id"] for i in second["issues"]] == [
        other["id"]
    ]
    # Everything of market_reg is on a notice already: nothing left to put on a new one.
    again = client.post("/notices", json={"unit": "market_reg"})
    assert again.status_code == 409 and "not on a notice yet" in again.json()["detail"]


def test_the_deadline_defaults_to_the_latest_problem_deadline(client, market):
    a = dispatched(client, type="street_vending")  # 1 day
    b = dispatched(client, type="illegal_building")  # 15 days
    made = notice(client, unit="market_reg")
    latest = max(datetime.fromisoformat(x["deadline"]) for x in (a, b))
    assert datetime.fromisoformat(made["deadline"]) == latest


def test_a_notice_sets_one_deadline_moving_earlier_ones_with_events(client, market):
    a = dispatched(client, type="street_vending")  # 1 day
    b = dispatched(client, type="illegal_building")  # 15 days
    common = datetime.fromisoformat(a["deadline"]) + timedelta(days=5)  # between the two
    made = notice(client, unit="market_reg", deadline=common.isoformat())
    listed = {i["id"]: datetime.fromisoformat(i["deadline"]) for i in made["issues"]}
    assert listed == {a["id"]: common, b["id"]: datetime.fromisoformat(b["deadline"])}
    moved = client.get(f"/issues/{a['id']}").json()
    last = moved["events"][-1]
    assert (last["action"], datetime.fromisoformat(last["deadline"])) == ("reschedule", common)
    assert made["number"] in last["note"] and "统一整改期限" in last["note"]
    assert moved["version"] == a["version"] + 1
    kept = client.get(f"/issues/{b['id']}").json()
    assert kept["version"] == b["version"] and kept["events"][-1]["action"] == "dispatch"


def test_a_notice_deadline_past_the_horizon_is_refused_and_nothing_is_stored(
    client, connection, market
):
    a = dispatched(client)
    far = datetime.now(UTC) + timedelta(days=400)
    refused = client.post("/notices", json={"unit": "market_reg", "deadline": far.isoformat()})
    assert refused.status_code == 400 and "at most 90 days ahead" in refused.json()["detail"]
    assert connection.scalar(text("SELECT count(*) FROM notices")) == 0
    assert client.get(f"/issues/{a['id']}").json()["deadline"] == a["deadline"]


def test_an_explicit_list_must_be_notifiable_as_a_whole(client, connection, market):
    a = dispatched(client)
    reported_only = report(client, type="garbage")
    elsewhere = dispatched(client, unit="urban_mgmt", type="clutter")
    response = client.post(
        "/notices",
        json={"unit": "market_reg", "issues": [a["id"], reported_only["id"], elsewhere["id"]]},
    )
    assert response.status_code == 409
    problems = response.json()["reasons"]
    assert any("is reported" in p for p in problems)
    assert any("dispatched to urban_mgmt" in p for p in problems)
    assert connection.scalar(text("SELECT count(*) FROM notices")) == 0
    made = notice(client, unit="market_reg", issues=[a["id"]])
    again = client.post("/notices", json={"unit": "market_reg", "issues": [a["id"]]})
    assert again.status_code == 409 and made["number"] in again.text


def test_a_reopened_problem_can_go_on_a_new_notice(client, keys, market):
    a = dispatched(client)
    notice(client, unit="market_reg")
    move(client, a, "rectify", key=keys["unit"])
    assert move(client, a, "reopen", key=keys["inspector"]).status_code == 200
    rework = notice(client, unit="market_reg")
    assert [i["id"] for i in rework["issues"]] == [a["id"]]


def test_notice_by_area_and_dispatch_period(client, connection, market):
    from tests.factories import make_area, square

    district = make_area(connection, "district", "D9", square(117.0, 36.6, 0.2))
    make_area(connection, "street", "S9", square(117.04, 36.65, 0.03), district)  # holds MK-1
    inside = dispatched(client)
    dispatched(client, type="clutter", lon=117.15, lat=36.75, point_code=None)  # outside S9
    made = notice(client, unit="market_reg", area="S9")
    assert [i["id"] for i in made["issues"]] == [inside["id"]] and made["area"]["code"] == "S9"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    nothing = client.post("/notices", json={"unit": "market_reg", "since": future})
    assert nothing.status_code == 409


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"unit": "nobody"}, 400, "no unit 'nobody'"),
        ({"unit": "market_reg", "area": "NOWHERE"}, 400, "no area with code"),
        ({"unit": "market_reg", "issues": []}, 400, "at least one"),
        ({"unit": "market_reg", "issues": [], "area": "X"}, 400, "not both"),
        ({"unit": "market_reg", "since": "2026-11-01T00:00:00"}, 400, "time zone"),
    ],
)
def test_bad_notice_requests(client, market, body, status, message):
    response = client.post("/notices", json=body)
    assert response.status_code == status and message in response.text


def test_who_may_issue_read_and_acknowledge(client, keys, connection, market):
    dispatched(client)
    for role in ("analyst", "inspector", "unit"):
        refused = client.post("/notices", json={"unit": "market_reg"}, headers=as_(keys[role]))
        assert refused.status_code == 403
    made = notice(client, unit="market_reg")
    url = f"/notices/{made['id']}"
    assert client.get(url, headers=as_(keys["unit"])).status_code == 200
    assert client.get(url, headers=as_(keys["other_unit"])).status_code == 403
    assert client.get(url, headers=as_(keys["analyst"])).status_code == 200
    assert client.get("/notices", headers=as_(keys["other_unit"])).json() == []
    assert [n["number"] for n in client.get("/notices", headers=as_(keys["unit"])).json()] == [
        made["number"]
    ]
    ack = f"{url}/acknowledge"
    assert client.post(ack, json={}, headers=as_(keys["other_unit"])).status_code == 403
    assert client.post(ack, json={}, headers=as_(keys["planner"])).status_code == 403
    signed = client.post(ack, json={"note": "已收到"}, headers=as_(keys["unit"]))
    assert signed.status_code == 200
    body = signed.json()
    assert body["acknowledged_by"] == "market-reg-1"
    assert [(e["action"], e["actor"], e["note"]) for e in body["events"]] == [
        ("issue", "test-admin", None),
        ("acknowledge", "market-reg-1", "已收到"),
    ]
    twice = client.post(ack, json={}, headers=as_(keys["unit"]))
    assert twice.status_code == 409 and "market-reg-1" in twice.json()["detail"]
    pending = client.get("/notices", params={"acknowledged": False}).json()
    assert pending == []


def test_printable_notice_lists_every_problem_with_photo_thumbnails(client, market, tmp_path):
    issue = dispatched(client, description="东门外占道经营")
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buffer, "JPEG")
    uploaded = client.post(
        f"/issues/{issue['id']}/photos",
        files={"file": ("a.jpg", buffer.getvalue(), "image/jpeg")},
        data={"tag": "before"},
    )
    assert uploaded.status_code == 201, uploaded.text
    made = notice(client, unit="market_reg")
    page = client.get(f"/notices/{made['id']}", params={"f": "html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert made["number"] in html and "整改通知单" in html and "签收" in html
    assert "东门外占道经营" in html and "占道经营" in html
    assert html.count('<img class="thumb" src="data:image/jpeg;base64,') == 1
    assert "@media print" in html
    negotiated = client.get(f"/notices/{made['id']}", headers={"Accept": "text/html"})
    assert negotiated.headers["content-type"].startswith("text/html")


def test_the_printed_notice_speaks_in_names_with_rework_lateness_and_a_reply_section(
    client, keys, connection, settings, market
):
    connection.execute(text("UPDATE units SET name = '区市场监管局' WHERE code = 'market_reg'"))
    connection.execute(text("UPDATE users SET display_name = '王科长' WHERE username = 'office'"))
    connection.execute(text("UPDATE points SET name = '东关农贸市场' WHERE code = 'MK-1'"))
    late = late_problem(connection, client, hours_late=24 * 33 - 1, now=datetime.now(UTC))
    reworked = dispatched(client, type="clutter")
    assert move(client, reworked, "rectify", key=keys["unit"]).status_code == 200
    assert move(client, reworked, "reopen", key=keys["verifier"], note="反弹").status_code == 200
    made = notice(client, key=keys["planner"], unit="market_reg")
    assert {i["id"] for i in made["issues"]} == {late["id"], reworked["id"]}
    page = client.get(f"/notices/{made['id']}", params={"f": "html"}, headers=as_(keys["unit"]))
    shown = visible_text(page.text)
    assert "区市场监管局" in shown and "东关农贸市场" in shown
    assert "签发时已超期 33 天" in shown and "返工（第 1 次）" in shown
    assert "原限期" in shown and "须优先整改" in shown
    assert "整改情况回复" in shown and "承办单位（盖章）" in shown
    assert f"签发：{settings.notice_office}" in shown and "经办人：王科长" in shown
    for code in ("market_reg", "street_vending", "clutter", "MK-1", "office"):
        assert code not in shown, code
    assert not UUID.search(shown)


def test_defer_moves_the_deadline_and_needs_a_reason(client, keys, market):
    issue = dispatched(client)
    later = (datetime.fromisoformat(issue["deadline"]) + timedelta(days=5)).isoformat()
    assert move(client, issue, "defer", deadline=later).status_code == 400  # no reason
    earlier = (datetime.fromisoformat(issue["deadline"]) - timedelta(hours=1)).isoformat()
    assert move(client, issue, "defer", deadline=earlier, note="x").status_code == 400
    assert (
        move(client, issue, "defer", deadline=later, note="x", key=keys["unit"]).status_code == 403
    )
    deferred = move(client, issue, "defer", deadline=later, note="需协调产权单位")
    assert deferred.status_code == 200
    body = deferred.json()
    assert body["status"] == "dispatched"
    assert datetime.fromisoformat(body["deadline"]) == datetime.fromisoformat(later)
    assert body["events"][-1]["action"] == "defer"


# --- escalations ------------------------------------------------------------------------------

OFFICE = Principal(username="office", role="planner")


def late_problem(connection: Connection, client, hours_late: float, now: datetime) -> dict:
    return made_late(connection, dispatched(client), hours_late, now)


def made_late(connection: Connection, issue: dict, hours_late: float, now: datetime) -> dict:
    connection.execute(
        text(
            "UPDATE issues SET reported_at = :d - interval '2 days', "
            "dispatched_at = :d - interval '1 day', deadline = :d WHERE id = :id"
        ),
        {"d": now - timedelta(hours=hours_late), "id": issue["id"]},
    )
    return issue


def test_escalation_fires_once_per_interval_and_becomes_supervision(
    client, connection, settings, market
):
    now = datetime.now(UTC)
    issue = dispatched(client)
    on_time = dispatched(client, type="illegal_building")  # 15 days left
    made = notice(client, unit="market_reg")
    made_late(connection, issue, hours_late=30, now=now)  # the notice's deadline passed
    run = lambda at: service.escalate(connection, settings, OFFICE, at)  # noqa: E731

    first = run(now)
    assert [(str(c.issue_id), c.level, c.notice) for c in first] == [
        (issue["id"], "reminder", made["number"])
    ]
    assert first[0].days_overdue == 1.25
    assert run(now + timedelta(hours=1)) == []  # within the interval (24 h): nothing
    assert run(now + timedelta(hours=23, minutes=59)) == []
    second = run(now + timedelta(hours=24, minutes=1))  # a day later: 2.25 days late
    assert [c.level for c in second] == ["reminder"]
    third = run(now + timedelta(hours=48, minutes=2))  # 3.25 days ≥ 3: 督办卡
    assert [c.level for c in third] == ["supervision"]
    events = client.get(f"/issues/{issue['id']}").json()["events"]
    assert [e["action"] for e in events if e["action"] in ("reminder", "supervision")] == [
        "reminder",
        "reminder",
        "supervision",
    ]
    follow_up = client.get(f"/notices/{made['id']}").json()
    assert follow_up["follow_up"]["reminders"] == 2 and follow_up["follow_up"]["supervisions"] == 1
    assert follow_up["follow_up"]["overdue"] == 1
    assert on_time["id"] not in {str(c.issue_id) for c in first + second + third}


def test_rectified_and_closed_problems_are_not_escalated(
    client, keys, connection, settings, market
):
    now = datetime.now(UTC)
    issue = late_problem(connection, client, hours_late=5, now=now)
    move(client, issue, "rectify", key=keys["unit"])
    assert service.escalate(connection, settings, OFFICE, now) == []


def test_escalations_through_the_api(client, keys, connection, market):
    issue = late_problem(connection, client, hours_late=2, now=datetime.now(UTC))
    assert client.post("/escalations", headers=as_(keys["unit"])).status_code == 403
    cards = client.post("/escalations", headers=as_(keys["planner"])).json()
    assert [(c["issue_id"], c["level"]) for c in cards] == [(issue["id"], "reminder")]
    assert client.post("/escalations").json() == []
