"""Responsibility beyond the dispatched unit: leaders and units paired with places, keepers,
shops answering for their frontage with stars that inspections keep, imported from CSV."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from typer.testing import CliRunner

from geoapi.cli import app
from geoapi.notices import service
from tests.factories import make_area_tree
from tests.integration.test_inspections import MARKET, answers
from tests.integration.test_issues_loop import move, report
from tests.integration.test_notices import OFFICE
from tests.integration.test_pages import visible_text
from tests.integration.test_roles import as_

LEADER = {"area": "A", "role": "leader", "person": "王建国", "title": "副区长"}


def test_the_office_pairs_people_and_units_with_places(client, keys, connection, market):
    make_area_tree(connection)
    made = client.post("/responsibilities", json=LEADER, headers=as_(keys["planner"]))
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["role_name"] == "包联领导" and body["area"]["code"] == "A"
    keeper = {"point": "MK-1", "role": "keeper", "person": "李秀英", "title": "小巷管家"}
    backing = {"point": "MK-1", "role": "unit", "unit": "urban_mgmt"}
    for one in (keeper, backing):
        assert client.post("/responsibilities", json=one).status_code == 201
    listed = client.get("/responsibilities", params={"point": "MK-1"}, headers=as_(keys["unit"]))
    assert [(r["role"], r["person"]) for r in listed.json()] == [
        ("keeper", "李秀英"),
        ("unit", None),
    ]
    assert (
        client.get("/responsibilities", params={"role": "leader"}).json()[0]["person"] == "王建国"
    )
    refused = client.post("/responsibilities", json=keeper, headers=as_(keys["unit"]))
    assert refused.status_code == 403
    gone = client.delete(f"/responsibilities/{body['id']}", headers=as_(keys["planner"]))
    assert gone.status_code == 204
    assert client.delete(f"/responsibilities/{body['id']}").status_code == 404


def test_bad_responsibilities_are_400_and_nothing_is_stored(client, connection, market):
    for body, message in (
        ({"role": "leader", "person": "王"}, "point or area"),
        ({"point": "MK-1", "area": "A", "role": "leader", "person": "王"}, "point or area"),
        ({"point": "MK-1", "role": "leader"}, "person, unit or both"),
        ({"point": "NOPE", "role": "leader", "person": "王"}, "no point 'NOPE'"),
        ({"point": "MK-1", "role": "boss", "person": "王"}, "role"),
        ({"point": "MK-1", "role": "keeper", "unit": "nobody"}, "no unit 'nobody'"),
        ({"point": "MK-1", "role": "keeper", "person": "王", "phone": "<script>"}, "phone"),
    ):
        answer = client.post("/responsibilities", json=body)
        assert answer.status_code == 400 and message in answer.text, (body, answer.text)
    assert connection.scalar(text("SELECT count(*) FROM responsibilities")) == 0


def test_a_visit_rates_the_shops_frontage_in_stars(client, keys, connection, market):
    shop = {"point": "MK-1", "role": "frontage", "person": "赵春梅", "title": "店主"}
    assert client.post("/responsibilities", json=shop).status_code == 201
    floors = ((0.95, 5), (0.85, 4), (0.70, 3), (0.50, 2), (0.0, 1))  # 得分率 → 星级
    for failed in ([], MARKET[:2], MARKET[:5]):
        visit = client.post(
            "/inspections",
            json={"point_code": "MK-1", "answers": answers(**dict.fromkeys(failed, "fail"))},
            headers=as_(keys["inspector"]),
        )
        assert visit.status_code == 201, visit.text
        rate = visit.json()["score_rate"]
        (row,) = client.get("/responsibilities", params={"role": "frontage"}).json()
        assert row["stars"] == next(stars for floor, stars in floors if rate >= floor), rate
    assert row["stars"] < 5
    page = client.get("/points/MK-1", params={"f": "html"})
    assert "门前三包" in visible_text(page.text) and "赵春梅（店主）" in visible_text(page.text)


def test_a_card_is_addressed_to_the_leader_too(client, connection, settings, market):
    make_area_tree(connection)  # street A: 100–101 E, 30–31 N
    assert client.post("/responsibilities", json=LEADER).status_code == 201
    issue = report(client, lon=100.3, lat=30.3)
    assert move(client, issue, "dispatch", unit="market_reg").status_code == 200
    now = datetime.now(UTC)
    connection.execute(
        text(
            "UPDATE issues SET reported_at = :d - interval '2 days', "
            "dispatched_at = :d - interval '1 day', deadline = :d WHERE id = :id"
        ),
        {"d": now - timedelta(hours=30), "id": issue["id"]},
    )
    assert len(service.escalate(connection, settings, OFFICE, now)) == 1
    (card,) = client.get("/escalations").json()
    assert client.get(f"/escalations/{card['id']}").json()["leaders"] == ["王建国（副区长）"]
    page = client.get(f"/escalations/{card['id']}", params={"f": "html"})
    assert "抄送包联领导：王建国（副区长）" in visible_text(page.text)


def test_responsibilities_import_from_csv_all_or_nothing(engine, tmp_path, monkeypatch, settings):
    monkeypatch.setenv("GEOAPI_DATABASE_URL", str(settings.database_url))
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO units (code, name) VALUES ('csv_unit', '测试单位')"))
        connection.execute(
            text(
                "INSERT INTO areas (level, code, name, geom) VALUES ('district', 'CSVD', '测试区', "
                "ST_Multi(ST_MakeEnvelope(120, 30, 121, 31, 4326)))"
            )
        )
    try:
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "area,role,person,unit,title\nCSVD,leader,王建国,,副区长\nCSVD,boss,李,,\n"
            "NOPE,unit,,csv_unit,\n",
            "utf-8",
        )
        refused = CliRunner().invoke(app, ["import", "responsibilities", str(bad)])
        assert refused.exit_code == 2
        assert "line 3" in refused.output and "line 4" in refused.output
        good = tmp_path / "good.csv"
        good.write_text(
            "\ufeffarea,role,person,unit,title\nCSVD,leader,王建国,,副区长\nCSVD,unit,,csv_unit,\n",
            "utf-8",
        )
        stored = CliRunner().invoke(app, ["import", "responsibilities", str(good)])
        assert stored.exit_code == 0 and "2 responsibilities imported" in stored.output
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT role, person, unit_code FROM responsibilities r JOIN areas a "
                    "ON a.id = r.area_id WHERE a.code = 'CSVD' ORDER BY r.id"
                )
            ).all()
        assert rows == [("leader", "王建国", None), ("unit", None, "csv_unit")]
    finally:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "DELETE FROM responsibilities WHERE area_id = "
                    "(SELECT id FROM areas WHERE code = 'CSVD')"
                )
            )
            connection.execute(text("DELETE FROM areas WHERE code = 'CSVD'"))
            connection.execute(text("DELETE FROM units WHERE code = 'csv_unit'"))
