import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from geoapi.app import create_app
from geoapi.auth import lookup
from geoapi.demo import load
from geoapi.settings import Settings
from tests.factories import make_unit, noise_jpeg


def report(client: TestClient, headers: dict | None = None, **overrides) -> dict:
    body = {
        "type": "street_vending",
        "source": "inspection",
        "lon": 117.0501,
        "lat": 36.6601,
    } | overrides
    response = client.post("/issues", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json() | {"_status": response.status_code, "_etag": response.headers["etag"]}


def move(
    client: TestClient,
    issue: dict,
    action: str,
    key: str | None = None,
    etag: str | None = None,
    evidence: bool = True,
    **extra,
):
    """A transition as the user of `key` (default: the client's own, an admin); a rectify
    first uploads the after photo it needs, unless `evidence` is False."""
    headers = {"X-API-Key": key} if key else {}
    if action == "rectify" and evidence:
        uploaded = after_photo(client, issue, headers | ({"If-Match": etag} if etag else {}))
        etag = uploaded.headers["etag"] if uploaded.status_code == 201 else etag
    headers |= {"If-Match": etag} if etag else {}
    return client.post(
        f"/issues/{issue['id']}/transitions", headers=headers, json={"action": action} | extra
    )


def after_photo(client: TestClient, issue: dict, headers: dict | None = None, data=None):
    """Upload an after photo (整改后照片): a new picture unless `data` is given."""
    return client.post(
        f"/issues/{issue['id']}/photos",
        headers=headers or {},
        files={"file": ("after.jpg", data or noise_jpeg(), "image/jpeg")},
        data={"tag": "after"},
    )


def test_report_links_the_nearest_compatible_point(client, market):
    issue = report(client)
    assert issue["_status"] == 201 and issue["status"] == "reported"
    assert issue["point"]["code"] == "MK-1" and issue["point"]["linked_automatically"]
    assert 0 < issue["point"]["distance_m"] < 50
    far = report(client, lon=117.06, lat=36.66)
    assert far["point"] is None
    wrong_kind = report(client, type="flying_wire_charging")
    assert wrong_kind["point"] is None  # markets do not get flying-wire charging


def test_retried_create_with_the_same_id_returns_the_first(client, connection, market):
    issue_id = str(uuid.uuid4())
    first = report(client, id=issue_id)
    again = report(client, id=issue_id, description="retry")
    assert (first["_status"], again["_status"]) == (201, 200)
    assert again["id"] == issue_id and again["description"] is None
    assert connection.scalar(text("SELECT count(*) FROM issues")) == 1
    assert connection.scalar(text("SELECT count(*) FROM issue_events")) == 1


def test_the_whole_loop_with_rework_is_in_the_history(client, keys):
    issue = report(client, headers={"X-API-Key": keys["inspector"]})
    steps = [
        ("dispatch", "planner", {"unit": "market_reg"}),
        ("start", "unit", {}),
        ("rectify", "unit", {"note": "已清理"}),
        ("reopen", "verifier", {"note": "反弹"}),
        ("rectify", "unit", {}),
        ("close", "verifier", {}),
    ]
    etag = issue["_etag"]
    for action, role, extra in steps:
        response = move(client, issue, action, keys[role], etag, **extra)
        assert response.status_code == 200, response.text
        etag = response.headers["etag"]
    body = response.json()
    assert body["status"] == "closed" and body["closed_at"] and body["version"] == 9
    rounds = ["dispatch", "start", "photo", "rectify", "reopen", "photo", "rectify", "close"]
    assert [e["action"] for e in body["events"]] == ["report", *rounds]
    unit, verifier = "market-reg-1", "inspector2"
    actors = ["inspector1", "office", unit, unit, unit, verifier, unit, unit, verifier]
    assert [e["actor"] for e in body["events"]] == actors
    assert [p["tag"] for p in body["photos"]] == ["after", "after"]
    assert body["events"][5]["from_status"] == "rectified"
    assert body["events"][5]["to_status"] == "dispatched"
    assert body["unit"] == "market_reg" and body["deadline"] > body["reported_at"]


def test_dispatch_deadline_defaults_by_type(client, market):
    issue = report(client, type="illegal_building")
    body = move(client, issue, "dispatch", unit="urban_mgmt").json()
    period = datetime.fromisoformat(body["deadline"]) - datetime.fromisoformat(
        body["dispatched_at"]
    )
    assert period == timedelta(days=15)  # 私搭乱建: 15 days


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ([], "close"),
        ([], "start"),
        ([], "reopen"),
        (["dispatch"], "reject"),
        (["dispatch"], "close"),
        (["dispatch", "rectify", "close"], "reopen"),
        (["reject"], "dispatch"),
    ],
)
def test_forbidden_moves_are_409_with_state_and_allowed_actions(
    client, connection, keys, path, action
):
    issue = report(client)
    extras = {"dispatch": {"unit": "market_reg"}, "reject": {"note": "不是问题"}}
    for step in path:
        key = keys["verifier"] if step == "close" else None
        assert move(client, issue, step, key, **extras.get(step, {})).status_code == 200
    before = connection.scalar(text("SELECT count(*) FROM issue_events"))
    response = move(client, issue, action, **extras.get(action, {}))
    assert response.status_code == 409
    problem = response.json()
    assert problem["current_status"] in problem["detail"]
    assert isinstance(problem["allowed_actions"], list)
    assert connection.scalar(text("SELECT count(*) FROM issue_events")) == before


def test_stale_if_match_is_412_and_changes_nothing(client, connection, market):
    issue = report(client)
    assert (
        move(client, issue, "dispatch", etag=issue["_etag"], unit="market_reg").status_code == 200
    )
    stale = move(client, issue, "start", etag=issue["_etag"])
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    assert client.get(f"/issues/{issue['id']}").json()["status"] == "dispatched"
    assert move(client, issue, "start", etag='"nonsense"').status_code == 400


def test_the_rectifier_cannot_verify(client, keys):
    issue = report(client)
    move(client, issue, "dispatch", unit="market_reg")
    move(client, issue, "rectify")  # the admin fixes it (on a unit's behalf)
    response = move(client, issue, "close")
    assert response.status_code == 403 and "cannot also verify" in response.json()["detail"]
    assert move(client, issue, "close", keys["verifier"]).status_code == 200


def test_reject_needs_a_reason_and_merge_a_target(client, market):
    issue = report(client)
    assert move(client, issue, "reject").status_code == 400
    other = report(client)
    assert move(client, issue, "merge", into=issue["id"]).status_code == 400
    merged = move(client, issue, "merge", into=other["id"], note="同一摊位")
    assert merged.status_code == 200 and merged.json()["status"] == "merged"
    assert merged.json()["merged_into"] == other["id"]
    assert other["id"] in merged.json()["events"][-1]["note"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"type": "nonsense", "source": "citizen", "lon": 117, "lat": 36}, "unknown issue type"),
        ({"type": "garbage", "source": "rumour", "lon": 117, "lat": 36}, "source"),
        ({"type": "garbage", "source": "citizen"}, "lon and lat, or point_code"),
        ({"type": "garbage", "source": "citizen", "lon": 200, "lat": 36}, "lon"),
        (
            {"type": "garbage", "source": "citizen", "severity": 5, "lon": 117, "lat": 36},
            "severity",
        ),
        ({"type": "garbage", "source": "citizen", "point_code": "NOPE"}, "no point 'NOPE'"),
    ],
)
def test_bad_reports_are_400(client, market, body, needle):
    response = client.post("/issues", json=body)
    assert response.status_code == 400
    assert needle in response.json()["detail"]


def test_unknown_issue_is_404(client):
    assert client.get(f"/issues/{uuid.uuid4()}").status_code == 404


@pytest.fixture
def committed(settings: Settings, engine: Engine) -> Iterator[tuple[TestClient, list[str]]]:
    """A client on the real pool (separate connections) and two verifiers' keys; cleaned after."""
    with engine.begin() as connection:
        load.clear(connection)
        make_unit(connection, "market_reg")
        admin = lookup.add_user(connection, "admin", "admin")
        verifiers = [lookup.add_user(connection, name, "inspector") for name in ("甲", "乙")]
    with TestClient(create_app(settings), headers={"X-API-Key": admin}) as client:
        yield client, verifiers
    with engine.begin() as connection:
        load.clear(connection)


def test_two_concurrent_closes_from_one_version_one_wins(committed, engine):
    client, verifiers = committed
    issue = report(client)
    for action in ("dispatch", "rectify"):
        response = move(client, issue, action, unit="market_reg")
    etag = response.headers["etag"]
    barrier, results = threading.Barrier(2), []

    def close(key: str) -> None:
        barrier.wait()
        results.append(move(client, issue, "close", key, etag).status_code)

    threads = [threading.Thread(target=close, args=(key,)) for key in verifiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 412]
    with engine.connect() as connection:
        closes = connection.scalar(
            text("SELECT count(*) FROM issue_events WHERE issue_id = :i AND action = 'close'"),
            {"i": issue["id"]},
        )
    assert closes == 1


def test_nearby_open_problems_of_the_same_type_are_possible_duplicates(client, market):
    first = report(client, lon=117.05010, lat=36.66010)
    second = report(client, lon=117.05020, lat=36.66012)  # ~9 m away
    assert [d["id"] for d in second["possible_duplicates"]] == [first["id"]]
    assert 5 < second["possible_duplicates"][0]["distance_m"] < 15
    other_type = report(client, type="garbage", lon=117.05020, lat=36.66012)
    assert other_type["possible_duplicates"] == []
    far = report(client, lon=117.0510, lat=36.6601)  # ~80 m
    assert far["possible_duplicates"] == []


def test_confident_camera_report_is_merged_into_the_human_one(client, market):
    human = report(client, lon=117.05010, lat=36.66010)
    camera = report(client, source="camera", confidence=0.93, lon=117.05012, lat=36.66011)
    assert camera["status"] == "merged" and camera["merged_into"] == human["id"]
    assert [e["action"] for e in camera["events"]] == ["report", "merge"]
    assert camera["events"][-1]["actor"] == "system"
    unsure = report(client, source="camera", confidence=0.5, lon=117.05012, lat=36.66011)
    assert unsure["status"] == "reported"
    assert {d["id"] for d in unsure["possible_duplicates"]} == {human["id"]}
