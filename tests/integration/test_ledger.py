"""The ledger (台账): `/issues?f=csv|xlsx`, the list's filters over every row, in the office's
words, read back with a CSV reader and openpyxl and compared with SQL."""

import csv
import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from geoapi.auth import lookup
from geoapi.issues import router
from geoapi.issues.ledger import HEADINGS
from geoapi.issues.states import NAMES_ZH
from tests.conftest import app_on
from tests.integration.test_pages import UUID, visible_text
from tests.integration.test_roles import as_

FILTERED = {"status": "dispatched,rectifying", "type": "street_vending"}


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())  # spreadsheet programs then read UTF-8
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def ids_in_sql(connection, where: str = "TRUE", **params) -> set[str]:
    return {
        str(i) for i in connection.scalars(text(f"SELECT id FROM issues WHERE {where}"), params)
    }


def test_the_csv_ledger_holds_every_filtered_problem_in_chinese(client, city, connection, settings):
    answer = client.get("/issues", params=FILTERED | {"f": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = read_csv(answer.content)
    assert list(rows[0]) == HEADINGS
    expected = ids_in_sql(
        connection,
        "status IN ('dispatched', 'rectifying') AND type = 'street_vending'",
    )
    assert {row["问题编号"] for row in rows} == expected and len(rows) == len(expected) > 0
    assert {row["状态"] for row in rows} <= {NAMES_ZH["dispatched"], NAMES_ZH["rectifying"]}
    one = rows[0]
    reported, unit = connection.execute(
        text(
            "SELECT i.reported_at, u.name FROM issues i LEFT JOIN units u ON u.code = i.unit_code "
            "WHERE i.id = :id"
        ),
        {"id": one["问题编号"]},
    ).one()
    assert one["发现时间"] == reported.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
    assert one["责任单位"] == unit and one["问题类型"] == "占道经营"
    newest_first = [row["发现时间"] for row in rows]
    assert newest_first == sorted(newest_first, reverse=True)


def test_the_workbook_has_the_same_rows_as_the_csv(client, city):
    as_csv = read_csv(client.get("/issues", params=FILTERED | {"f": "csv"}).content)
    answer = client.get("/issues", params=FILTERED | {"f": "xlsx"})
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True)["台账"]
    [headings, *rows] = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert headings == HEADINGS
    by_id = {row[-1]: row for row in rows}
    assert set(by_id) == {row["问题编号"] for row in as_csv}
    for row in as_csv:
        cells = by_id[row["问题编号"]]
        assert ["" if v is None else str(v) for v in cells[:2]] == [
            row["发现时间"],
            row["问题类型"],
        ]
        assert cells[HEADINGS.index("纬度")] == pytest.approx(float(row["纬度"]))


def test_a_unit_s_ledger_holds_only_its_own_problems(client, city, connection):
    unit = connection.scalar(
        text("SELECT unit_code FROM issues WHERE unit_code IS NOT NULL GROUP BY 1 ORDER BY 1")
    )
    key = lookup.add_user(connection, "ledger-unit", "unit", unit_code=unit)
    rows = read_csv(client.get("/issues", params={"f": "csv"}, headers=as_(key)).content)
    expected = ids_in_sql(connection, "unit_code = :unit", unit=unit)
    assert {row["问题编号"] for row in rows} == expected and expected


def test_a_ledger_too_big_for_a_workbook_is_a_400_that_says_what_to_do(
    settings, session, admin_key, city
):
    app = app_on(settings.model_copy(update={"ledger_xlsx_rows": 5}), session)
    with TestClient(app, headers=as_(admin_key)) as small:
        answer = small.get("/issues", params={"f": "xlsx"})
        assert answer.status_code == 400 and "use f=csv" in answer.json()["detail"]
        assert small.get("/issues", params={"f": "csv"}).status_code == 200


def test_the_ledger_takes_the_lists_time_and_place_filters(client, city, connection):
    since = connection.scalar(text("SELECT max(reported_at) FROM issues")) - timedelta(days=7)
    box = "117.0,36.6,117.06,36.7"
    rows = read_csv(
        client.get(
            "/issues", params={"f": "csv", "reported_since": since.isoformat(), "bbox": box}
        ).content
    )
    expected = ids_in_sql(
        connection,
        "reported_at >= :since AND "
        "ST_Intersects(geom, ST_MakeEnvelope(117.0, 36.6, 117.06, 36.7, 4326))",
        since=since,
    )
    assert {row["问题编号"] for row in rows} == expected


@pytest.mark.parametrize("f", ["csv", "xlsx"])
def test_values_that_look_like_sql_stay_values(client, city, f):
    for value in ("%", "%(tz)s", "x'; DROP TABLE issues; --"):
        answer = client.get("/issues", params={"f": f, "unit": value})
        assert answer.status_code == 200
        if f == "csv":
            assert read_csv(answer.content) == []


def test_the_printed_ledger_lists_the_same_problems_and_links_each(
    client, city, connection, monkeypatch
):
    answer = client.get("/issues", params=FILTERED | {"f": "html"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    expected = ids_in_sql(
        connection, "status IN ('dispatched', 'rectifying') AND type = 'street_vending'"
    )
    linked = set(re.findall(r'href="http://testserver/issues/([0-9a-f-]{36})"', answer.text))
    assert linked == expected
    shown = visible_text(answer.text)
    assert "问题台账" in shown and "整改期限" in shown and not UUID.search(shown)
    monkeypatch.setattr(router, "LEDGER_PAGE_ROWS", 2)
    short = client.get("/issues", params={"f": "html"})  # every problem: more than two
    assert len(re.findall(r'href="http://testserver/issues/', short.text)) == 2
    assert "下载完整台账（CSV）" in short.text and "f=csv" in short.text
