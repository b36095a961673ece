"""Figures and rankings against a fixture counted by hand (week 2026-W47, Beijing time)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, text

from geoapi.auth import lookup
from tests.factories import make_area_tree, make_issue, make_point, make_unit
from tests.integration.test_roles import as_

A = {"lon": 100.3, "lat": 30.3}  # street A
B = {"lon": 101.3, "lat": 30.3}  # street B
W47 = {"week": "2026-W47"}  # 2026-11-16 00:00 +08 = 11-15 16:00 UTC … 11-22 16:00 UTC


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def event(
    conn: Connection,
    issue,
    when: datetime,
    action: str,
    old: str | None,
    new: str,
    deadline: datetime | None = None,
):
    conn.execute(
        text(
            "INSERT INTO issue_events "
            "(issue_id, at, actor, action, from_status, to_status, deadline) "
            "VALUES (:i, :at, 'x', :a, :f, :t, :d)"
        ),
        {"i": issue, "at": when, "a": action, "f": old, "t": new, "d": deadline},
    )


def problem(conn, where, unit, reported, deadline=None, status="dispatched", closed=None, **kw):
    issue = make_issue(
        conn,
        status=status,
        reported_at=reported,
        dispatched_at=reported if unit else None,
        deadline=deadline,
        closed_at=closed,
        unit_code=unit,
        **where,
        **kw,
    )
    event(conn, issue, reported, "report", None, "reported")
    if unit:
        event(conn, issue, reported, "dispatch", "reported", "dispatched")
    if closed:
        event(conn, issue, closed, "close", "rectified", "closed")
    return issue


@pytest.fixture
def week(connection: Connection) -> dict:
    """Eight problems, two visits; the expected figures are worked out in the comments."""
    areas = make_area_tree(connection)
    make_unit(connection, "u1")
    make_unit(connection, "u2")
    c = connection
    ids = {}
    # I1 A/u1: closed 11-17, deadline 11-18: due in W47 and on time; 168 h to close
    ids["I1"] = problem(c, A, "u1", at(10), at(18), "closed", closed=at(17))
    # I2 A/u1: closed 11-20 after its 11-19 deadline: due, late; 192 h
    ids["I2"] = problem(c, A, "u1", at(12), at(19), "closed", closed=at(20))
    # I3 A/u1: deadline deferred to 11-21, still rectifying: due but deferred; overdue at the end
    ids["I3"] = problem(c, A, "u1", at(14), at(21), "rectifying")
    event(c, ids["I3"], at(17), "defer", "dispatched", "dispatched")
    # I4 B/u2: reported in W47, deadline 11-25: open, not due, not overdue
    ids["I4"] = problem(c, B, "u2", at(17), at(25))
    # I5 B/u2: rectified, reopened 11-17 (rework), closed 11-19 by its new 11-20 deadline; 432 h
    ids["I5"] = problem(c, B, "u2", at(1), at(20), "closed", closed=at(19))
    event(c, ids["I5"], at(17), "reopen", "rectified", "dispatched")
    # I6 B: reported 11-18 and rejected: reported, but never open at the end
    ids["I6"] = problem(c, B, None, at(18), status="rejected")
    event(c, ids["I6"], at(18, 2), "reject", "reported", "rejected")
    # I7 A/u1: deadline 11-10, still dispatched: open and overdue
    ids["I7"] = problem(c, A, "u1", at(5), at(10))
    # I8 A/u1: closed 11-12, in W46
    ids["I8"] = problem(c, A, "u1", at(8), at(11), "closed", closed=at(12))
    pa = make_point(c, "PA", category="market", **A)
    pb = make_point(c, "PB", category="market", **B)
    for point, when, rate in ((pa, at(17), 0.8), (pb, at(18), 0.6), (pa, at(2), 0.1)):
        c.execute(
            text(
                "INSERT INTO inspections (point_id, inspector, visited_at, checklist_version, "
                "score_rate, passed) VALUES (:p, 'x', :at, 'market@2026.1', :r, :r >= 0.8)"
            ),
            {"p": point, "at": when, "r": rate},
        )
    return {"areas": areas, "ids": ids}


EXPECTED_W47 = {
    "open": 3,  # I3, I4, I7
    "overdue": 2,  # I3 (11-21), I7
    "reported": 2,  # I4, I6
    "closed": 3,  # I1, I2, I5
    "closure_rate": 0.5,  # 3 / (3 + 3)
    "due": 4,  # I1, I2, I3, I5
    "deferred": 1,  # I3
    "closed_on_time": 2,  # I1, I5
    "on_time_rate": 0.6667,  # 2 / (4 − 1)
    "reworked": 1,  # I5's reopen
    "rework_rate": 0.25,  # 1 of 4 verifications (3 closes + 1 reopen)
    "median_hours_to_close": 192.0,  # of 168, 192, 432
    "p90_hours_to_close": 384.0,  # 192 + 0.8 × (432 − 192)
    "visits": 2,
    "mean_score_rate": 0.7,  # (0.8 + 0.6) / 2
}


def test_figures_of_the_week_equal_the_hand_count(client, week):
    response = client.get("/stats/figures", params=W47)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"]["label"] == "2026-W47"
    assert body["period"]["start"] == "2026-11-16T00:00:00+08:00"
    assert {k: body[k] for k in EXPECTED_W47} == EXPECTED_W47


def test_closed_equals_the_close_events_of_the_history(client, connection, week):
    closes = connection.scalar(
        text(
            "SELECT count(*) FROM issue_events WHERE action = 'close' "
            "AND at >= '2026-11-15 16:00Z' AND at < '2026-11-22 16:00Z'"
        )
    )
    assert client.get("/stats/figures", params=W47).json()["closed"] == closes == 3


def test_filters_by_area_unit_and_type(client, week):
    street_b = client.get("/stats/figures", params=W47 | {"area": "B"}).json()
    assert (street_b["open"], street_b["closed"], street_b["reported"]) == (1, 1, 2)
    assert street_b["mean_score_rate"] == 0.6
    u1 = client.get("/stats/figures", params=W47 | {"unit": "u1"}).json()
    assert (u1["open"], u1["closed"], u1["due"], u1["closed_on_time"]) == (2, 2, 3, 1)
    clutter = client.get("/stats/figures", params=W47 | {"type": "garbage"}).json()
    assert clutter["open"] == 0 and clutter["closure_rate"] is None


def test_weekly_series(client, week):
    series = client.get("/stats/weekly", params={"until": "2026-W47", "weeks": 2}).json()
    assert [s["period"]["label"] for s in series] == ["2026-W46", "2026-W47"]
    w46, w47 = series
    # W46 ends 11-15 16:00 UTC: open I1, I2, I3, I5, I7 (5); closed I8 (1)
    assert (w46["open"], w46["closed"], w46["closure_rate"]) == (5, 1, round(1 / 6, 4))
    assert {k: w47[k] for k in EXPECTED_W47} == EXPECTED_W47


def test_street_ranking_with_the_change_from_last_week(client, week):
    body = client.get("/stats/rankings", params=W47 | {"by": "street"}).json()
    assert body["previous"] == "2026-W46"
    rows = [(r["code"], r["rank"], r["previous_rank"], r["change"]) for r in body["rows"]]
    # W47: both 0.5, B has no overdue problem so ranks first; W46: A 1/5 = 0.2 beats B 0/1.
    assert rows == [("B", 1, 2, 1), ("A", 2, 1, -1)]


def test_unit_ranking_and_csv(client, week):
    body = client.get("/stats/rankings", params=W47 | {"by": "unit", "metric": "on_time_rate"})
    rows = {r["code"]: r for r in body.json()["rows"]}
    assert rows["u2"]["on_time_rate"] == 1.0 and rows["u1"]["on_time_rate"] == 0.5
    assert rows["u2"]["rank"] == 1
    csv = client.get("/stats/rankings", params=W47 | {"by": "unit", "f": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("rank,previous_rank,change,code,name,open,overdue")
    assert len(lines) == 3  # u1 and u2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"week": "2026-47"}, "not an ISO week"),
        ({"week": "2026-W54"}, "2026-W54"),
        ({"week": "2026-W47", "from": "2026-11-01"}, "not both"),
        ({"from": "2026-11-01"}, "go together"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "before"),
        ({"area": "NOWHERE"}, "no area"),
        ({"unit": "nobody"}, "unknown unit"),
        ({"type": "volcano"}, "unknown type"),
    ],
)
def test_bad_parameters_are_400(client, week, params, message):
    response = client.get("/stats/figures", params=params)
    assert response.status_code == 400 and message in response.text


def test_community_and_grid_rankings_equal_the_hand_count(client, week):
    # Street A's problems all lie in community A1 (none in its grid A1g): at the end of W47
    # open I3, I7; closed in W47 I1, I2 (168 h, 192 h); overdue I3, I7.
    a1 = client.get("/stats/figures", params=W47 | {"area": "A1"}).json()
    assert (a1["open"], a1["closed"], a1["overdue"], a1["closure_rate"]) == (2, 2, 2, 0.5)
    assert a1["median_hours_to_close"] == 180.0  # of A1's own closes only
    communities = client.get("/stats/rankings", params=W47 | {"by": "community"}).json()
    (row,) = communities["rows"]
    assert (row["code"], row["open"], row["closed"], row["rank"]) == ("A1", 2, 2, 1)
    assert row["median_hours_to_close"] == 180.0 and row["visits"] == 1  # PA's visit
    grids = client.get("/stats/rankings", params=W47 | {"by": "grid", "area": "A"}).json()
    assert [(r["code"], r["open"], r["closed"]) for r in grids["rows"]] == [("A1g", 0, 0)]
    outside = client.get("/stats/rankings", params=W47 | {"by": "community", "area": "B"})
    assert outside.json()["rows"] == []  # street B has no community


def test_overdue_counts_the_deadline_in_force_at_the_time(client, connection):
    """A problem late under its first deadline stays late for those days after an extension;
    one whose deadline was corrected before it passed was never late then."""
    make_area_tree(connection)
    make_unit(connection, "u1")
    c = connection
    # P1: dispatched 11-01, deadline 11-10, extended on 11-20 to 11-30: late 11-10 … 11-20,
    # so overdue at the end of W46 (11-15), not at the end of W47 (11-22).
    p1 = make_issue(c, reported_at=at(1), dispatched_at=at(1), deadline=at(30), unit_code="u1")
    p1_first = at(10)
    # P2: dispatched 11-03, deadline 11-12, corrected on 11-13 to 11-19: late for a day in W46
    # (not at its end), overdue at the end of W47 (11-22).
    p2 = make_issue(c, reported_at=at(3), dispatched_at=at(3), deadline=at(19), unit_code="u1")
    event(c, p1, at(1), "report", None, "reported")
    event(c, p1, at(1), "dispatch", "reported", "dispatched", deadline=p1_first)
    event(c, p2, at(3), "report", None, "reported")
    event(c, p2, at(3), "dispatch", "reported", "dispatched", deadline=at(12))
    event(c, p1, at(20), "defer", "dispatched", "dispatched", deadline=at(30))
    event(c, p2, at(13), "reschedule", "dispatched", "dispatched", deadline=at(19))
    w46 = client.get("/stats/figures", params={"week": "2026-W46"}).json()
    w47 = client.get("/stats/figures", params=W47).json()
    assert (w46["open"], w46["overdue"]) == (2, 1)  # P1 under 11-10
    assert (w47["open"], w47["overdue"]) == (2, 1)  # P2 under 11-19
    by_unit = client.get("/stats/rankings", params={"week": "2026-W46", "by": "unit"}).json()
    assert [(r["code"], r["overdue"]) for r in by_unit["rows"]] == [("u1", 1)]
    a1 = client.get("/stats/figures", params={"week": "2026-W46", "area": "A1"}).json()
    assert a1["overdue"] == 1  # the recount of a community reads the same spans
    spans = "SELECT id, overdue_spans::text FROM issues ORDER BY id"
    kept = c.execute(text(spans)).all()
    c.execute(text("UPDATE issues SET overdue_spans = '{}'"))
    c.execute(text("SELECT geoapi_issues_derive_overdue_spans()"))
    assert c.execute(text(spans)).all() == kept  # the bulk loads' derive agrees


def test_who_may_read_figures(client, keys, week):
    for role, status in (("analyst", 200), ("planner", 200), ("unit", 200), ("inspector", 200)):
        assert client.get("/stats/figures", headers=as_(keys[role])).status_code == status
    for role in ("unit", "inspector"):
        refused = client.get("/stats/rankings", headers=as_(keys[role]))
        assert refused.status_code == 403


def test_a_unit_reads_its_own_figures_only(client, keys, week, connection):
    connection.execute(text("UPDATE users SET unit_code = 'u1' WHERE username = 'market-reg-1'"))
    own = client.get("/stats/figures", params=W47, headers=as_(keys["unit"])).json()
    u1 = client.get("/stats/figures", params=W47 | {"unit": "u1"}).json()
    assert own == u1 and own["due"] == 3
    other = client.get("/stats/figures", params=W47 | {"unit": "u2"}, headers=as_(keys["unit"]))
    assert other.status_code == 403 and "its own figures" in other.json()["detail"]


# --- the weekly bulletin on demo data ---------------------------------------------------------


def test_the_bulletin_has_every_section_and_the_figures_of_the_api(client, city):
    page = client.get("/bulletins/2026-W47")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for section in (
        "总体情况",
        "街道排名",
        "责任单位排名",
        "超期未整改",
        "反复返工",
        "得分率",
        "分布",
    ):
        assert section in html
    assert html.count('src="data:image/png;base64,') == 3  # weekly chart, ranking, map
    figures = client.get("/stats/figures", params=W47).json()
    assert f"新发现问题<b>{figures['reported']}</b>" in html
    assert f'超期未改<b class="late">{figures["overdue"]}</b>' in html
    streets = client.get("/stats/rankings", params=W47 | {"by": "street"}).json()["rows"]
    assert html.index(streets[0]["name"]) < html.index(streets[-1]["name"])
    assert "@media print" in html
    assert client.get("/bulletins/2026-47").status_code == 400


def test_every_unit_and_inspector_reads_the_bulletin_and_a_street_its_own(client, connection, city):
    unit = connection.scalar(text("SELECT code FROM units ORDER BY code LIMIT 1"))
    readers = [
        lookup.add_user(connection, "a-unit", "unit", unit_code=unit),
        lookup.add_user(connection, "an-inspector", "inspector"),
    ]
    for key in readers:
        assert client.get("/bulletins/2026-W47", headers=as_(key)).status_code == 200
    street = client.get("/stats/rankings", params=W47 | {"by": "street"}).json()["rows"][0]
    page = client.get("/bulletins/2026-W47", params={"area": street["code"]})
    assert page.status_code == 200
    html = page.text
    assert f"<h1>{street['name']} 创建全国文明城市工作周通报</h1>" in html
    assert "社区排名" in html and "红黑榜" in html
    own = client.get("/stats/figures", params=W47 | {"area": street["code"]}).json()
    assert f"新发现问题<b>{own['reported']}</b>" in html
    communities = client.get(
        "/stats/rankings", params=W47 | {"by": "community", "area": street["code"]}
    ).json()["rows"]
    assert communities and all(c["name"] in html for c in communities)
    assert html.index(communities[0]["name"]) < html.index(communities[-1]["name"])
    assert client.get("/bulletins/2026-W47", params={"area": "NOWHERE"}).status_code == 400
    assert client.get("/bulletins/2026-W47").text.count("表扬（红榜）") == 1


def test_geoapi_bulletin_writes_the_file(city, connection, tmp_path, settings):
    from geoapi.stats import bulletin

    html = bulletin.build(connection, "2026-W47", settings)
    assert "2026-W47" in html and "创建全国文明城市工作周通报" in html


def test_teams_and_inspectors_ranked_by_their_work_against_a_hand_count(client, connection):
    areas = make_area_tree(connection)
    for name, team in (("insp-a", "TA"), ("insp-b", "TB")):
        connection.execute(
            text("INSERT INTO teams (code, name, area_id) VALUES (:t, :t, :a)"),
            {"t": team, "a": areas["A"]},
        )
        lookup.add_user(connection, name, "inspector")
        connection.execute(
            text(
                "UPDATE users SET team_id = (SELECT id FROM teams WHERE code = :t) "
                "WHERE username = :u"
            ),
            {"t": team, "u": name},
        )
    pa = make_point(connection, "PA", category="market", **A)
    pb = make_point(connection, "PB", category="market", **B)
    # W47: insp-a visits PA twice and PB once (rates 0.9, 0.7, 0.8), insp-b visits PB once
    # (0.5); W46: insp-b visits PA once. insp-a reports two problems (one in A, one in B),
    # insp-b verifies the one in A.
    for who, point, when, rate in (
        ("insp-a", pa, at(17), 0.9),
        ("insp-a", pa, at(18), 0.7),
        ("insp-a", pb, at(19), 0.8),
        ("insp-b", pb, at(17), 0.5),
        ("insp-b", pa, at(10), 0.6),
    ):
        connection.execute(
            text(
                "INSERT INTO inspections (point_id, inspector, visited_at, checklist_version, "
                "score_rate, passed) VALUES (:p, :who, :at, 'market@2026.1', :r, :r >= 0.8)"
            ),
            {"p": point, "who": who, "at": when, "r": rate},
        )
    found = [
        make_issue(connection, status="reported", reported_at=when, **where)
        for where, when in ((A, at(17)), (B, at(18)))
    ]
    for issue, who, when, action in (
        (found[0], "insp-a", at(17), "report"),
        (found[1], "insp-a", at(18), "report"),
        (found[0], "insp-b", at(19), "close"),
    ):
        connection.execute(
            text(
                "INSERT INTO issue_events (issue_id, at, actor, action, from_status, to_status) "
                "VALUES (:i, :at, :who, :a, 'reported', 'reported')"
            ),
            {"i": issue, "at": when, "who": who, "a": action},
        )
    inspectors = client.get("/stats/rankings", params=W47 | {"by": "inspector"}).json()
    assert inspectors["metric"] == "visits"
    rows = {r["code"]: r for r in inspectors["rows"]}
    a, b = rows["insp-a"], rows["insp-b"]
    assert (a["visits"], a["points"], a["found"], a["mean_score_rate"], a["rank"]) == (
        3,
        2,
        2,
        0.8,
        1,
    )
    assert (b["visits"], b["verified"], b["rank"]) == (1, 1, 2)
    assert b["previous_rank"] == 1 and b["change"] == -1
    teams = client.get("/stats/rankings", params=W47 | {"by": "team", "metric": "found"}).json()
    assert [(r["code"], r["found"], r["visits"]) for r in teams["rows"]] == [
        ("TA", 2, 3),
        ("TB", 0, 1),
    ]
    in_b = client.get("/stats/rankings", params=W47 | {"by": "inspector", "area": "B"}).json()
    assert {r["code"]: (r["visits"], r["found"]) for r in in_b["rows"]} == {
        "insp-a": (1, 1),
        "insp-b": (1, 0),
    }
    bad = client.get("/stats/rankings", params=W47 | {"by": "team", "metric": "closure_rate"})
    assert bad.status_code == 400 and "visits" in bad.json()["detail"]
    make_unit(connection, "u1")
    unit = client.get("/stats/rankings", params=W47 | {"by": "team", "unit": "u1"})
    assert unit.status_code == 400 and "only area" in unit.json()["detail"]
