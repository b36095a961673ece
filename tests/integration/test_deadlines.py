"""Deadlines that make sense: within a horizon, corrected by the office either way with a
reason, and every deadline a step set kept in the history."""

from datetime import UTC, datetime, timedelta

from tests.integration.test_issues_loop import move, report


def iso(instant: datetime) -> str:
    return instant.isoformat()


def test_a_deadline_past_the_horizon_is_refused_and_nothing_changes(client, keys, market):
    issue = report(client)
    far = datetime.now(UTC) + timedelta(days=91)
    refused = move(client, issue, "dispatch", keys["planner"], unit="market_reg", deadline=iso(far))
    assert refused.status_code == 400 and "at most 90 days ahead" in refused.json()["detail"]
    assert move(client, issue, "dispatch", keys["planner"], unit="market_reg").status_code == 200
    before = client.get(f"/issues/{issue['id']}").json()
    typo = datetime(2099, 12, 9, tzinfo=UTC)  # 2026 mistyped
    deferred = move(client, issue, "defer", keys["planner"], note="天气", deadline=iso(typo))
    assert deferred.status_code == 400 and "typo" in deferred.json()["detail"]
    after = client.get(f"/issues/{issue['id']}").json()
    assert (after["deadline"], after["version"]) == (before["deadline"], before["version"])


def test_the_office_corrects_a_deadline_either_way_with_a_reason(client, keys, market):
    issue = report(client)
    dispatched = move(client, issue, "dispatch", keys["planner"], unit="market_reg").json()
    first = datetime.fromisoformat(dispatched["deadline"])
    earlier = first - timedelta(hours=12)
    silent = move(client, issue, "reschedule", keys["planner"], deadline=iso(earlier))
    assert silent.status_code == 400 and "note" in silent.json()["detail"]
    by_unit = move(client, issue, "reschedule", keys["unit"], note="x", deadline=iso(earlier))
    assert by_unit.status_code == 403
    sooner = move(
        client, issue, "reschedule", keys["planner"], note="创城迎检提前", deadline=iso(earlier)
    )
    assert sooner.status_code == 200, sooner.text
    body = sooner.json()
    assert datetime.fromisoformat(body["deadline"]) == earlier
    assert body["status"] == "dispatched"  # a new deadline is not a new step
    later = earlier + timedelta(days=3)
    back = move(client, issue, "reschedule", keys["planner"], note="录入错误", deadline=iso(later))
    assert back.status_code == 200
    history = [
        (e["action"], e["deadline"] and datetime.fromisoformat(e["deadline"]))
        for e in back.json()["events"]
    ]
    assert history == [
        ("report", None),
        ("dispatch", first),
        ("reschedule", earlier),
        ("reschedule", later),
    ]


def test_a_deadline_is_corrected_only_while_a_unit_holds_the_problem(client, keys, market):
    issue = report(client)
    soon = datetime.now(UTC) + timedelta(days=2)
    refused = move(client, issue, "reschedule", keys["planner"], note="x", deadline=iso(soon))
    assert refused.status_code == 409 and "reschedule" in refused.json()["detail"]
    move(client, issue, "dispatch", unit="market_reg")
    same = client.get(f"/issues/{issue['id']}").json()["deadline"]
    unchanged = move(client, issue, "reschedule", keys["planner"], note="x", deadline=same)
    assert unchanged.status_code == 400 and "current one" in unchanged.json()["detail"]
