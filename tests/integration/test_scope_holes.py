"""Each request here was an attack that worked: a caller reaching past its area or its role.
Each must now be refused and change nothing."""

import uuid

from sqlalchemy import Connection, text

from tests.factories import make_point
from tests.integration.test_inspections import answers
from tests.integration.test_issues_loop import move, report
from tests.integration.test_roles import IN_A, IN_B, as_, dispatched_to, streets  # noqa: F401


def status_of(connection: Connection, issue: dict) -> tuple:
    return connection.execute(
        text("SELECT status, unit_code, deadline, merged_into, point_id FROM issues WHERE id = :i"),
        {"i": issue["id"]},
    ).one()


def test_a_visit_is_read_only_within_scope(client, anonymous, connection, streets):  # noqa: F811
    make_point(connection, "MK-B", lon=101.3, lat=30.3, category="market")
    connection.execute(text("UPDATE points SET unit_code = 'unit_b' WHERE code = 'MK-B'"))
    client_id = str(uuid.uuid4())
    stored = client.post(
        "/inspections", json={"id": client_id, "point_code": "MK-B", "answers": answers()}
    )
    assert stored.status_code == 201, stored.text
    path = f"/inspections/{stored.json()['id']}"
    assert anonymous.get(path, headers=as_(streets["inspector_b"])).status_code == 200
    assert anonymous.get(path, headers=as_(streets["unit_b"])).status_code == 200
    assert anonymous.get(path, headers=as_(streets["inspector_a"])).status_code == 404
    assert anonymous.get(path, headers=as_(streets["unit_a"])).status_code == 404
    retried = anonymous.post(
        "/inspections",
        json={"id": client_id, "point_code": "MK-B", "answers": answers()},
        headers=as_(streets["inspector_a"]),
    )
    assert retried.status_code == 404 and "MK-B" not in retried.text


def test_a_report_cannot_name_a_point_in_another_street_or_far_away(
    anonymous,
    connection,
    streets,  # noqa: F811
):
    make_point(connection, "MK-A", lon=100.3, lat=30.3, category="market")
    make_point(connection, "MK-B", lon=101.3, lat=30.3, category="market")
    inspector_a = as_(streets["inspector_a"])
    body = {"type": "street_vending", "source": "inspection"}
    other_street = anonymous.post(
        "/issues", json=body | IN_A | {"point_code": "MK-B"}, headers=inspector_a
    )
    assert other_street.status_code == 400 and "in your scope" in other_street.json()["detail"]
    far = anonymous.post(
        "/issues",
        json=body | {"lon": 100.31, "lat": 30.3, "point_code": "MK-A"},  # ~960 m east
        headers=inspector_a,
    )
    assert far.status_code == 400 and "m from point 'MK-A'" in far.json()["detail"]
    assert connection.scalar(text("SELECT count(*) FROM issues")) == 0
    near = anonymous.post(
        "/issues",
        json=body | {"lon": 100.3005, "lat": 30.3, "point_code": "MK-A"},
        headers=inspector_a,
    )
    assert near.status_code == 201, near.text


def test_an_inspector_cannot_merge_into_a_problem_outside_its_street(
    client,
    connection,
    streets,  # noqa: F811
):
    mine = report(client, **IN_A)
    theirs = report(client, **IN_B)
    move(client, theirs, "reject", note="not real")
    response = move(client, mine, "merge", key=streets["inspector_a"], into=theirs["id"])
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "in your scope" in detail and "rejected" not in detail
    assert status_of(connection, mine)[0] == "reported"


def test_an_inspectors_reopen_keeps_the_unit_and_deadline(client, connection, streets):  # noqa: F811
    issue = dispatched_to(client, "unit_a", IN_A)
    assert move(client, issue, "start", key=streets["unit_a"]).status_code == 200
    assert move(client, issue, "rectify", key=streets["unit_a"]).status_code == 200
    before = status_of(connection, issue)
    redirected = move(
        client, issue, "reopen", key=streets["inspector_a"], unit="unit_b", note="not fixed"
    )
    assert redirected.status_code == 403
    assert status_of(connection, issue) == before
    plain = move(client, issue, "reopen", key=streets["inspector_a"], note="not fixed")
    assert plain.status_code == 200, plain.text
    assert plain.json()["unit"] == "unit_a"


def test_a_read_only_key_cannot_report_through_open311(anonymous, connection, streets):  # noqa: F811
    response = anonymous.post(
        "/open311/v2/requests.json",
        data={"service_code": "garbage", "lat": 30.3, "long": 100.3},
        headers=as_(streets["analyst"]),
    )
    assert response.status_code == 403
    assert connection.scalar(text("SELECT count(*) FROM issues")) == 0


def test_possible_duplicates_list_only_problems_in_scope(client, anonymous, streets):  # noqa: F811
    # Street A ends at 101 E: these two are ~19 m apart, on either side of the line.
    across = report(client, type="garbage", lon=101.0001, lat=30.5)
    response = anonymous.post(
        "/issues",
        json={"type": "garbage", "source": "inspection", "lon": 100.9999, "lat": 30.5},
        headers=as_(streets["inspector_a"]),
    )
    assert response.status_code == 201, response.text
    assert response.json()["possible_duplicates"] == []
    as_planner = report(client, type="garbage", lon=100.99985, lat=30.5)
    listed = {d["id"] for d in as_planner["possible_duplicates"]}
    assert {across["id"], response.json()["id"]} <= listed


def test_a_unit_stops_reading_a_problem_reassigned_away_from_it(
    client,
    anonymous,
    streets,  # noqa: F811
):
    kept = dispatched_to(client, "unit_a", IN_A)
    moved = dispatched_to(client, "unit_a", IN_A)
    made = client.post("/notices", json={"unit": "unit_a", "issues": [kept["id"], moved["id"]]})
    assert made.status_code == 201, made.text
    assert move(client, moved, "start", key=streets["unit_a"]).status_code == 200
    assert move(client, moved, "rectify", key=streets["unit_a"]).status_code == 200
    assert move(client, moved, "reopen", unit="unit_b", note="their job").status_code == 200
    seen = anonymous.get(f"/notices/{made.json()['id']}", headers=as_(streets["unit_a"]))
    assert seen.status_code == 200
    assert [i["id"] for i in seen.json()["issues"]] == [kept["id"]]
    assert (
        anonymous.get(f"/issues/{moved['id']}", headers=as_(streets["unit_a"])).status_code == 403
    )
