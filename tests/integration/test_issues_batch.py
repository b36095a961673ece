"""`POST /issues/transitions`: several moves at once, all of them or none, with every failing
item named."""

from sqlalchemy import text

from tests.integration.test_issues_loop import after_photo, move, report
from tests.integration.test_roles import as_


def dispatched(client, count: int, unit: str = "market_reg", photos: bool = True) -> list[dict]:
    """`count` problems dispatched to `unit`, each with its after photo unless told not."""
    issues = [report(client, type="garbage") for _ in range(count)]
    for issue in issues:
        assert move(client, issue, "dispatch", unit=unit).status_code == 200
        assert not photos or after_photo(client, issue).status_code == 201
    return issues


def history(connection, issues: list[dict]) -> list[tuple]:
    return connection.execute(
        text(
            "SELECT issue_id, action, to_status FROM issue_events "
            "WHERE issue_id = ANY(CAST(:ids AS uuid[])) ORDER BY id"
        ),
        {"ids": [i["id"] for i in issues]},
    ).all()


def states(connection, issues: list[dict]) -> dict[str, tuple[str, int]]:
    rows = connection.execute(
        text("SELECT id, status, version FROM issues WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": [i["id"] for i in issues]},
    ).all()
    return {str(row.id): (row.status, row.version) for row in rows}


def test_a_unit_rectifies_a_whole_notice_in_one_call(client, keys, connection):
    issues = dispatched(client, 4)
    moves = [{"id": i["id"], "action": "rectify", "note": "已清理"} for i in issues]
    answer = client.post("/issues/transitions", json={"moves": moves}, headers=as_(keys["unit"]))
    assert answer.status_code == 200, answer.text
    assert [m["id"] for m in answer.json()] == [i["id"] for i in issues]
    assert {m["status"] for m in answer.json()} == {"rectified"}
    now = states(connection, issues)
    assert {state for state, _ in now.values()} == {"rectified"}
    rectified = [row for row in history(connection, issues) if row.action == "rectify"]
    assert len(rectified) == 4  # one history row per problem, by the unit


def test_one_bad_item_stores_nothing_and_is_named(client, keys, connection):
    issues = dispatched(client, 3)
    before, events = states(connection, issues), history(connection, issues)
    moves = [
        {"id": issues[0]["id"], "action": "rectify"},
        {"id": issues[1]["id"], "action": "close"},  # not rectified yet: 409
        {"id": issues[2]["id"], "action": "rectify"},
    ]
    answer = client.post("/issues/transitions", json={"moves": moves}, headers=as_(keys["admin"]))
    assert answer.status_code == 409
    body = answer.json()
    assert "none was made" in body["detail"]
    [error] = body["errors"]
    assert (error["index"], error["id"], error["status"]) == (1, issues[1]["id"], 409)
    assert error["current_status"] == "dispatched" and "rectify" in error["allowed_actions"]
    assert states(connection, issues) == before and history(connection, issues) == events


def test_a_stale_version_and_an_unknown_problem_are_each_listed(client, keys, connection):
    issues = dispatched(client, 2)
    before = states(connection, issues)
    missing = "00000000-0000-4000-8000-000000000000"
    moves = [
        {"id": issues[0]["id"], "action": "rectify", "version": before[issues[0]["id"]][1] - 1},
        {"id": issues[1]["id"], "action": "rectify"},
        {"id": missing, "action": "rectify"},
    ]
    answer = client.post("/issues/transitions", json={"moves": moves}, headers=as_(keys["admin"]))
    assert answer.status_code == 409  # two kinds of failure
    assert [(e["index"], e["status"]) for e in answer.json()["errors"]] == [(0, 412), (2, 404)]
    assert states(connection, issues) == before


def test_another_units_problems_are_refused_as_out_of_scope(client, keys, connection):
    theirs = dispatched(client, 2, unit="urban_mgmt")
    before = states(connection, theirs)
    moves = [{"id": i["id"], "action": "rectify"} for i in theirs]
    answer = client.post("/issues/transitions", json={"moves": moves}, headers=as_(keys["unit"]))
    assert answer.status_code == 403 and len(answer.json()["errors"]) == 2
    assert states(connection, theirs) == before


def test_a_role_that_may_not_act_gets_a_plain_403(client, keys, connection):
    issues = dispatched(client, 1)
    moves = [{"id": issues[0]["id"], "action": "dispatch", "unit": "market_reg"}]
    answer = client.post("/issues/transitions", json={"moves": moves}, headers=as_(keys["unit"]))
    assert answer.status_code == 403 and "errors" not in answer.json()


def test_batches_are_bounded_and_checked_before_any_work(client, keys):
    too_many = [{"id": "00000000-0000-4000-8000-000000000000", "action": "rectify"}] * 501
    for body in ({"moves": []}, {"moves": too_many}, {"moves": [{"action": "rectify"}]}):
        assert client.post("/issues/transitions", json=body).status_code in (400, 422)
