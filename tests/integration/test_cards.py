"""Cards as worklists and documents: listed and filtered, printed for the unit, answered once,
and a planner's own supervision card."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from geoapi.notices import service
from tests.integration.test_issues_loop import report
from tests.integration.test_notices import OFFICE, dispatched, late_problem
from tests.integration.test_pages import UUID, visible_text
from tests.integration.test_roles import as_


@pytest.fixture
def named_units(connection, market):
    connection.execute(
        text(
            "UPDATE units SET name = CASE code WHEN 'market_reg' THEN '区市场监管局' "
            "ELSE '区城管局' END"
        )
    )


@pytest.fixture
def cards(client, connection, settings, named_units):
    """A reminder and a supervision card for market_reg, a reminder for urban_mgmt."""
    now = datetime.now(UTC)
    late_problem(connection, client, hours_late=30, now=now)
    late_problem(connection, client, hours_late=24 * 5, now=now)
    other = dispatched(client, unit="urban_mgmt")
    connection.execute(
        text(
            "UPDATE issues SET reported_at = :d - interval '2 days', "
            "dispatched_at = :d - interval '1 day', deadline = :d WHERE id = :id"
        ),
        {"d": now - timedelta(hours=3), "id": other["id"]},
    )
    return service.escalate(connection, settings, OFFICE, now)


def test_the_office_lists_and_filters_cards(client, keys, cards, connection):
    assert len(cards) == 3
    every = client.get("/escalations", headers=as_(keys["planner"])).json()
    assert len(every) == 3 and every == sorted(every, key=lambda c: (c["at"], c["id"]))[::-1]
    levels = {c["unit"]["name"]: [] for c in every}
    for card in every:
        levels[card["unit"]["name"]].append(card["level_name"])
    assert sorted(levels["区市场监管局"]) == ["提醒卡", "督办卡"]
    assert levels["区城管局"] == ["提醒卡"]
    theirs = client.get("/escalations", params={"unit": "market_reg", "level": "supervision"})
    assert [c["days_overdue"] for c in theirs.json()] == [5.0]
    assert client.get("/escalations", params={"state": "replied"}).json() == []
    this_week = client.get("/escalations", params={"week": "2020-W01"}).json()
    assert this_week == []


def test_a_unit_reads_only_its_own_cards_and_inspectors_none(client, keys, cards):
    own = client.get("/escalations", headers=as_(keys["unit"])).json()
    assert {c["unit"]["code"] for c in own} == {"market_reg"} and len(own) == 2
    theirs = client.get("/escalations", headers=as_(keys["other_unit"])).json()
    assert len(theirs) == 1
    refused = client.get(f"/escalations/{theirs[0]['id']}", headers=as_(keys["unit"]))
    assert refused.status_code == 403
    assert client.get("/escalations", headers=as_(keys["inspector"])).status_code == 403
    assert client.get("/escalations/999999").status_code == 404


def test_the_unit_replies_once_and_the_card_shows_it(client, keys, cards):
    card = client.get("/escalations", params={"unit": "market_reg"}).json()[0]
    path = f"/escalations/{card['id']}/reply"
    body = {"measures": "已清理占道摊点，设置劝导员值守", "responsible": "张明"}
    assert client.post(path, json=body, headers=as_(keys["planner"])).status_code == 403
    assert client.post(path, json=body, headers=as_(keys["other_unit"])).status_code == 403
    empty = client.post(
        path, json={"measures": "", "responsible": "张明"}, headers=as_(keys["unit"])
    )
    assert empty.status_code == 400
    answered = client.post(path, json=body, headers=as_(keys["unit"]))
    assert answered.status_code == 200, answered.text
    reply = answered.json()["reply"]
    assert (reply["measures"], reply["responsible"], reply["by"]) == (
        body["measures"],
        "张明",
        "market-reg-1",
    )
    again = client.post(path, json=body | {"measures": "改口"}, headers=as_(keys["unit"]))
    assert again.status_code == 409 and "answered by market-reg-1" in again.json()["detail"]
    replied = client.get("/escalations", params={"state": "replied"}).json()
    assert [c["id"] for c in replied] == [card["id"]]
    assert len(client.get("/escalations", params={"state": "open"}).json()) == 2


def test_a_planner_supervises_a_problem_with_a_reply_date(client, keys, named_units, connection):
    issue = dispatched(client)
    path = f"/issues/{issue['id']}/supervision"
    body = {"note": "迎检前必须清理完毕", "reply_days": 2}
    assert client.post(path, json=body, headers=as_(keys["unit"])).status_code == 403
    made = client.post(path, json=body, headers=as_(keys["planner"]))
    assert made.status_code == 201, made.text
    card = made.json()
    assert card["level"] == "supervision" and card["note"] == body["note"]
    assert card["unit"] == {"code": "market_reg", "name": "区市场监管局"}
    due = datetime.fromisoformat(card["reply_due"]) - datetime.fromisoformat(card["at"])
    assert due == timedelta(days=2) and card["days_overdue"] == 0
    assert client.get(made.headers["location"]).json()["id"] == card["id"]
    events = client.get(f"/issues/{issue['id']}").json()["events"]
    assert events[-1]["action"] == "supervision" and body["note"] in events[-1]["note"]
    fresh = report(client)
    refused = client.post(f"/issues/{fresh['id']}/supervision", json=body)
    assert refused.status_code == 409 and refused.json()["current_status"] == "reported"


def test_the_printed_card_speaks_the_offices_language(client, keys, cards, settings):
    card = client.get("/escalations", params={"unit": "market_reg", "level": "supervision"})
    card_id = card.json()[0]["id"]
    page = client.get(f"/escalations/{card_id}", params={"f": "html"}, headers=as_(keys["unit"]))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    seen = visible_text(page.text)
    assert "督办卡" in seen and "区市场监管局" in seen and "占道经营" in seen
    assert "整改情况回复" in seen and "责任人" in seen and "盖章" in seen
    assert f"签发：{settings.notice_office}" in seen
    assert "market_reg" not in seen and "street_vending" not in seen
    assert not UUID.search(seen)
    assert "size: A5" in page.text
    a4 = client.get(f"/escalations/{card_id}", params={"f": "html", "paper": "A4"})
    assert "size: A4" in a4.text


def test_a_units_weekly_digest_downloads_with_chinese_headings(client, keys, cards, connection):
    week = datetime.now(UTC).astimezone(client.app.state.settings.zone).strftime("%G-W%V")
    answer = client.get(
        "/escalations",
        params={"unit": "market_reg", "week": week, "f": "csv"},
        headers=as_(keys["unit"]),
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    expected = connection.scalar(
        text("SELECT count(*) FROM escalations WHERE unit_code = 'market_reg'")
    )
    assert len(rows) == expected == 2
    assert {r["责任单位"] for r in rows} == {"区市场监管局"}
    assert {r["类别"] for r in rows} == {"提醒卡", "督办卡"}
    digest = client.get("/escalations", params={"unit": "market_reg", "f": "html"})
    seen = visible_text(digest.text)
    assert "区市场监管局 提醒卡、督办卡清单" in seen and "未回复 2 张" in seen
