from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

OPEN = "('reported', 'dispatched', 'rectifying', 'rectified')"


def listed(client: TestClient, **params) -> tuple[dict, list[str]]:
    """First page and every id over all next links."""
    response = client.get("/issues", params={"limit": 40, **params})
    assert response.status_code == 200, response.text
    first = body = response.json()
    ids = []
    while True:
        ids += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        if url is None:
            return first, ids
        body = client.get(url).json()


def ids_where(connection: Connection, where: str, **params) -> set[str]:
    return {
        str(i) for i in connection.scalars(text(f"SELECT id FROM issues WHERE {where}"), params)
    }


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({}, "true"),
        ({"status": "dispatched,rectifying"}, "status IN ('dispatched', 'rectifying')"),
        ({"type": "garbage"}, "type = 'garbage'"),
        ({"source": "citizen"}, "source = 'citizen'"),
        ({"unit": "urban_mgmt"}, "unit_code = 'urban_mgmt'"),
        ({"overdue": "true"}, "status IN ('dispatched', 'rectifying') AND deadline < now()"),
        (
            {"overdue": "false"},
            "NOT (status IN ('dispatched', 'rectifying') AND deadline < now()) OR deadline IS NULL",
        ),
        ({"reported_since": "2026-11-01T00:00:00Z"}, "reported_at >= '2026-11-01T00:00:00Z'"),
        (
            {"bbox": "117.0,36.6,117.05,36.7"},
            "ST_Intersects(geom, ST_MakeEnvelope(117.0, 36.6, 117.05, 36.7, 4326))",
        ),
    ],
)
def test_list_filters_select_what_sql_selects(client, connection, city, params, where):
    first, ids = listed(client, **params)
    expected = ids_where(connection, where)
    assert expected, "the demo city should have such problems"
    assert set(ids) == expected and len(ids) == len(expected)
    assert first["numberMatched"] == len(expected)


def test_area_filter_works_at_every_level(client, connection, city):
    for level in ("district", "street", "community"):
        code, area_id = connection.execute(
            text(
                f"SELECT a.code, a.id FROM areas a JOIN issues i ON i.{level}_id = a.id "
                f"WHERE a.level = '{level}' LIMIT 1"
            )
        ).one()
        _, ids = listed(client, area=code)
        assert set(ids) == ids_where(connection, f"{level}_id = :a", a=area_id)


def test_point_filter_and_newest_first(client, connection, city):
    code, point_id = connection.execute(
        text(
            "SELECT p.code, p.id FROM points p JOIN issues i ON i.point_id = p.id "
            "GROUP BY p.id HAVING count(*) > 1 LIMIT 1"
        )
    ).one()
    first, ids = listed(client, point=code)
    assert set(ids) == ids_where(connection, "point_id = :p", p=point_id)
    reported = [datetime.fromisoformat(f["properties"]["reported_at"]) for f in first["features"]]
    assert reported == sorted(reported, reverse=True)
    assert all(r <= datetime.now(UTC) for r in reported)


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"status": "lost"}, "status: unknown"),
        ({"source": "rumour"}, "source: unknown"),
        ({"area": "000000"}, "no area with code '000000'"),
        ({"point": "NOPE"}, "no point 'NOPE'"),
        ({"overdue": "maybe"}, "overdue"),
        ({"reported_since": "yesterday"}, "reported_since"),
    ],
)
def test_bad_list_filters_are_400(client, params, needle):
    response = client.get("/issues", params=params)
    assert response.status_code == 400
    assert needle in response.json()["detail"]
