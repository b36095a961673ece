"""`POST /routes/plan` and `GET /routes/{id}` on the demo city's roads: stops by the rules,
shared between teams within the shift, stored, and read back in every format."""

import csv
import io
from datetime import date, datetime, timedelta

import gpxpy
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

from geoapi.auth import lookup
from geoapi.chinacoords import gcj02_to_bd09, wgs84_to_gcj02
from tests.integration.test_map import shown

DAY = "2026-11-21"  # the day after the demo's as-of time


def plan(client, **body):
    return client.post("/routes/plan", json={"teams": ["T01"], "date": DAY} | body)


def test_a_day_for_one_team_follows_the_roads_within_the_shift(client, city):
    response = plan(client, max_stops=12)
    assert response.status_code == 201, response.text
    route = response.json()["routes"][0]
    assert route["network"] == "roads" and route["team"] == "T01"
    stops = route["stops"]
    assert 1 <= len(stops) <= 12 and [s["seq"] for s in stops] == list(range(1, len(stops) + 1))
    start, end = (datetime.fromisoformat(route[k]) for k in ("shift_start", "shift_end"))
    arrivals = [datetime.fromisoformat(s["arrival"]) for s in stops]
    assert arrivals == sorted(arrivals) and start < arrivals[0]
    assert datetime.fromisoformat(route["planned_end"]) <= end
    assert route["distance_m"] >= sum(s["leg_m"] for s in stops)
    assert route["progress"] == {"done": 0, "left": len(stops), "late_min": None}
    again = client.get(f"/routes/{route['id']}").json()
    assert again["stops"] == stops  # what was stored is what is read


def waiting_verification(connection) -> tuple[str, int]:
    """The team with the most rectified problems waiting in its street, and how many."""
    team, waiting = connection.execute(
        text(
            "SELECT t.code, count(*) FROM issues i JOIN teams t ON t.area_id = i.street_id "
            "WHERE i.status = 'rectified' GROUP BY t.code ORDER BY count(*) DESC, t.code LIMIT 1"
        )
    ).one()
    return team, waiting


def test_verification_comes_before_merely_due_points(client, city, connection):
    team, waiting = waiting_verification(connection)
    body = plan(client, teams=[team], max_stops=waiting + 2).json()
    reasons = [s["reason"] for s in body["routes"][0]["stops"]]
    assert reasons.count("verify") == waiting  # every verification fits before due points
    left = {u["reason"] for u in body["unassigned"]}
    assert "verify" not in left


def test_a_day_can_start_at_a_point_instead_of_the_base(client, city, connection):
    code, lon, lat = connection.execute(
        text("SELECT code, ST_X(geom), ST_Y(geom) FROM points WHERE category = 'market' LIMIT 1")
    ).one()
    route = plan(client, start_point=code, max_stops=5).json()["routes"][0]
    assert route["start"]["position"] == pytest.approx([lon, lat])
    both = plan(client, teams=["T01", "T02"], start_position=[lon, lat])
    assert both.status_code == 400 and "one team only" in both.text


def test_a_short_shift_leaves_stops_unassigned_with_the_reason(client, city):
    body = plan(client, shift_start="09:00", shift_end="09:40", max_stops=50).json()
    assert body["unassigned"], "forty minutes cannot hold fifty stops"
    assert all(u["why"] for u in body["unassigned"])
    route = body["routes"][0]
    assert datetime.fromisoformat(route["planned_end"]) <= datetime.fromisoformat(
        route["shift_end"]
    )


def test_two_teams_share_no_stop(client, city):
    body = plan(client, teams=["T01", "T02"], max_stops=10).json()
    points = [s["point"] or s["issue_id"] for r in body["routes"] for s in r["stops"]]
    assert len(points) == len(set(points)) and len(body["routes"]) == 2
    kept = [{u["point"] for u in r["unassigned"]} for r in body["routes"]]
    assert not kept[0] & kept[1]  # each route keeps the stops of its own area it left out
    assert kept[0] | kept[1] == {u["point"] for u in body["unassigned"]}


def test_a_team_of_three_inspectors_gets_three_routes_sharing_its_stops(client, city):
    one = plan(client, max_stops=5).json()
    three = plan(client, max_stops=5, inspectors_per_team=3).json()
    routes = three["routes"]
    assert [(r["team"], r["inspector"], r["inspectors"]) for r in routes] == [
        ("T01", k, 3) for k in (1, 2, 3)
    ]
    taken = [s["point"] or s["issue_id"] for r in routes for s in r["stops"]]
    assert len(taken) == len(set(taken)) and all(len(r["stops"]) <= 5 for r in routes)
    assert len(taken) > len(one["routes"][0]["stops"])  # three people visit more than one
    sheet = client.get(f"/routes/{routes[1]['id']}?f=html").text
    assert "巡查员 <b>2/3</b>" in sheet


def test_an_inspector_plans_and_reads_its_own_team_only(
    settings, session, connection, city, anonymous
):
    key = lookup.add_user(connection, "grid-1", "inspector", area_code=None)
    connection.execute(text("UPDATE users SET team_id = 1 WHERE username = 'grid-1'"))
    headers = {"X-API-Key": key}
    mine = anonymous.post("/routes/plan", json={"teams": ["T01"], "date": DAY}, headers=headers)
    assert mine.status_code == 201, mine.text
    other = anonymous.post("/routes/plan", json={"teams": ["T02"], "date": DAY}, headers=headers)
    assert other.status_code == 403 and "own team" in other.json()["detail"]
    assert anonymous.post("/routes/plan", json={"teams": ["T01"], "date": DAY}).status_code == 401


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"teams": ["T99"], "date": DAY}, "T99"),
        ({"teams": ["T01"], "date": DAY, "shift_start": "18:00"}, "shift_end"),
        ({"teams": [], "date": DAY}, "teams"),
        ({"teams": ["T01"], "date": DAY, "mode": "plane"}, "mode"),
        ({"teams": ["T01"], "date": DAY, "points": ["NO-SUCH"]}, "NO-SUCH"),
        ({"teams": ["T01"], "date": DAY, "inspectors_per_team": 0}, "inspectors_per_team"),
    ],
)
def test_bad_plans_are_400(client, city, body, word):
    response = client.post("/routes/plan", json=body)
    assert response.status_code == 400 and word in response.text, response.text


def test_gpx_csv_and_geojson_carry_the_same_stops(client, city):
    route = plan(client, max_stops=8).json()["routes"][0]
    doc = gpxpy.parse(client.get(f"/routes/{route['id']}?f=gpx").text)
    assert [w.name.split(". ")[0] for w in doc.waypoints] == [str(s["seq"]) for s in route["stops"]]
    assert doc.waypoints[0].longitude == pytest.approx(route["stops"][0]["position"][0])
    assert len(doc.tracks[0].segments[0].points) > len(route["stops"])  # the track bends with roads
    rows = list(
        csv.reader(io.StringIO(client.get(f"/routes/{route['id']}?f=csv").text.lstrip("\ufeff")))
    )
    assert (
        rows[0][:4] == ["序号", "计划到达", "点位编码", "点位名称"]
        and len(rows) == len(route["stops"]) + 1
    )
    features = client.get(f"/routes/{route['id']}?f=geojson").json()["features"]
    assert sum(f["properties"]["kind"] == "stop" for f in features) == len(route["stops"])
    assert sum(f["properties"]["kind"] == "leg" for f in features) == len(route["stops"]) + 1


def test_progress_follows_the_inspections_recorded_that_day(client, city, connection):
    route = plan(client, max_stops=6, include_verification=False).json()["routes"][0]
    first = route["stops"][0]
    connection.execute(
        text(
            "INSERT INTO inspections (point_id, inspector, visited_at, checklist_version) "
            "SELECT id, 'grid-1', :at, 'market@2026.1' FROM points WHERE code = :code"
        ),
        {
            "at": datetime.fromisoformat(first["arrival"]) + timedelta(minutes=3),
            "code": first["point"],
        },
    )
    again = client.get(f"/routes/{route['id']}").json()
    assert again["progress"] == {"done": 1, "left": len(route["stops"]) - 1, "late_min": 3}
    assert again["stops"][0]["visited_at"] is not None
    listed = client.get(f"/routes?team=T01&date={DAY}").json()["routes"]
    assert [r["id"] for r in listed] == [route["id"]]
    assert date.fromisoformat(listed[0]["date"]) == date.fromisoformat(DAY)


def test_an_unknown_route_is_404(client, city):
    assert client.get("/routes/999999").status_code == 404


def test_the_route_sheet_lists_every_stop_with_navigation_in_chinese_coordinates(client, city):
    route = plan(client, max_stops=6).json()["routes"][0]
    page = client.get(f"/routes/{route['id']}?f=html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "巡查路线单" in html and route["team_name"] in html and "<svg" in html
    for stop in route["stops"]:
        lon, lat = stop["position"]
        glon, glat = (float(v[0]) for v in wgs84_to_gcj02(np.array([lon]), np.array([lat])))
        blon, blat = (float(v[0]) for v in gcj02_to_bd09(np.array([glon]), np.array([glat])))
        assert f"to={glon:.7f},{glat:.7f}" in html  # Amap: GCJ-02
        assert f"latlng:{blat:.7f},{blon:.7f}" in html  # Baidu: BD-09, latitude first
    assert html.count('class="qr"') == len(route["stops"])


def test_the_route_sheet_shows_the_photo_of_each_problem_to_verify(client, city, connection):
    team, _ = waiting_verification(connection)
    issue_id = connection.scalar(
        text(
            "SELECT i.id FROM issues i JOIN teams t ON t.area_id = i.street_id "
            "WHERE t.code = :team AND i.status = 'rectified' "
            "ORDER BY i.deadline NULLS LAST, i.reported_at LIMIT 1"
        ),
        {"team": team},
    )
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 160, 60)).save(buffer, "JPEG")
    uploaded = client.post(
        f"/issues/{issue_id}/photos",
        files={"file": ("after.jpg", buffer.getvalue(), "image/jpeg")},
        data={"tag": "after"},
    )
    assert uploaded.status_code == 201, uploaded.text
    route = plan(client, teams=[team], max_stops=3).json()["routes"][0]
    assert str(issue_id) in {s["issue_id"] for s in route["stops"]}  # verification comes first
    html = client.get(f"/routes/{route['id']}?f=html").text
    assert html.count('<img class="thumb" src="data:image/jpeg;base64,') == 1


def test_todays_routes_and_their_progress_are_a_layer_of_the_map(client, city, settings):
    today = datetime.now(settings.zone).date().isoformat()
    route = plan(client, date=today, max_stops=5).json()["routes"][0]
    page = client.get("/map?basemap=blank").text
    assert shown(f"今日巡查路线 routes today (已到 0, 未到 {len(route['stops'])})", page)
