"""Pages a map popup opens: a point and a problem to read, reached with the session the map
started (no key in their address), in the reader's scope and the office's words."""

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from geoapi.auth import lookup
from geoapi.auth.sessions import COOKIE
from geoapi.issues.states import ACTION_NAMES, NAMES_ZH, STATUSES, open_sql
from geoapi.vocabulary import POINT_STATUSES
from tests.conftest import app_on

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = False

    def handle_starttag(self, tag, attrs):
        self.skipping = tag in ("style", "script")

    def handle_endtag(self, tag):
        self.skipping = False

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader sees: the text outside tags, styles and scripts."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def browser(settings, session):
    """A client with a cookie jar and no key, as a browser tab; revoked keys end at once."""
    app = app_on(
        settings.model_copy(update={"map_basemap": "blank", "key_cache_seconds": 0}), session
    )
    with TestClient(app, headers=BROWSER) as client:
        yield client


@pytest.fixture
def planner(connection):
    return lookup.add_user(connection, "office-map", "planner")


def busiest_point(connection):
    """The point with the most open problems (its page lists them)."""
    return connection.execute(
        text(
            f"SELECT p.code, p.name, c.name_zh, count(i.id) AS open FROM points p "
            f"JOIN categories c ON c.code = p.category "
            f"JOIN issues i ON i.point_id = p.id AND {open_sql('i')} "
            "GROUP BY p.id, c.name_zh ORDER BY count(i.id) DESC, p.code LIMIT 1"
        )
    ).one()


def test_the_map_opened_with_a_key_starts_a_session_the_pages_read_with(
    browser, city, connection, planner
):
    assert browser.get("/points/x").status_code in (401, 403, 404)  # no session yet
    opened = browser.get(
        "/map", params={"api_key": planner, "category": "market"}, follow_redirects=False
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == "http://testserver/map?category=market"  # no key
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=gs_") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert planner not in cookie  # the key itself never leaves in a cookie
    assert browser.get(opened.headers["location"]).status_code == 200  # the map, by cookie
    code, name, category, open_count = busiest_point(connection)
    page = browser.get(f"/points/{code}")  # no key: the cookie
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    shown = visible_text(page.text)
    assert name in shown and category in shown
    assert f"未销号问题（{min(open_count, 50)}）" in shown
    assert page.text.count('href="http://testserver/issues/') == min(open_count, 50)
    assert not UUID.search(shown)  # ids are in links, not in the text
    for code_word in POINT_STATUSES:
        assert code_word not in shown


def test_a_problems_page_reads_in_the_office_words(browser, city, connection, planner):
    issue_id, type_name, status = connection.execute(
        text(
            "SELECT i.id, t.name_zh, i.status FROM issues i JOIN issue_types t ON t.code = i.type "
            "WHERE (SELECT count(*) FROM issue_events e WHERE e.issue_id = i.id) >= 3 "
            "AND i.point_id IS NOT NULL ORDER BY i.id LIMIT 1"
        )
    ).one()
    events = (
        connection.execute(
            text("SELECT action FROM issue_events WHERE issue_id = :id ORDER BY at, id"),
            {"id": issue_id},
        )
        .scalars()
        .all()
    )
    browser.get("/map", params={"api_key": planner})
    page = browser.get(f"/issues/{issue_id}")
    assert page.status_code == 200
    shown = visible_text(page.text)
    assert type_name in shown and NAMES_ZH[status] in shown
    rows = re.findall(r"<tr>\s*<td>[^<]+</td>\s*<td>([^<]+)</td>", page.text.split("处理经过")[1])
    assert rows == [ACTION_NAMES[action] for action in events]
    assert not UUID.search(shown)
    for code_word in (*STATUSES, *events):
        assert not re.search(rf"\b{code_word}\b", shown), code_word
    as_json = browser.get(f"/issues/{issue_id}", params={"f": "json"})
    assert as_json.json()["id"] == str(issue_id)  # the API is unchanged


def test_a_session_writes_only_from_the_services_own_pages(browser, city, connection, planner):
    """A cookie alone (what another site's form would send) writes nothing; the phone page's
    scripts add X-Geoapi-Client, which no other site's page can add cross-origin."""
    browser.get("/map", params={"api_key": planner})
    lon, lat = connection.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM points LIMIT 1")).one()
    body = {"type": "garbage", "source": "inspection", "lon": lon, "lat": lat}
    before = connection.scalar(text("SELECT count(*) FROM issues"))
    assert browser.post("/issues", json=body).status_code in (401, 403)
    assert connection.scalar(text("SELECT count(*) FROM issues")) == before
    own_page = browser.post("/issues", json=body, headers={"X-Geoapi-Client": "phone"})
    assert own_page.status_code == 201
    assert own_page.json()["events"][0]["actor"] == "office-map"  # the session's user
    preflight = browser.options(
        "/issues",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers  # no cross-origin writes


def test_revoking_the_key_ends_its_sessions(browser, city, connection, planner):
    browser.get("/map", params={"api_key": planner})
    code = busiest_point(connection).code
    assert browser.get(f"/points/{code}").status_code == 200
    lookup.revoke(connection, "office-map")
    ended = browser.get(f"/points/{code}")
    assert ended.status_code == 401
    assert "session has ended" in ended.json()["detail"]


def test_pages_keep_to_the_readers_area(browser, city, connection):
    own, other = connection.execute(
        text("SELECT code FROM areas WHERE level = 'street' ORDER BY code LIMIT 2")
    ).scalars()
    key = lookup.add_user(connection, "grid-7", "inspector", area_code=own)
    outside = connection.scalar(
        text(
            "SELECT p.code FROM points p JOIN areas a ON a.id = p.street_id "
            "WHERE a.code = :code ORDER BY p.code LIMIT 1"
        ),
        {"code": other},
    )
    browser.get("/map", params={"api_key": key})
    refused = browser.get(f"/points/{outside}")
    assert refused.status_code == 403 and "outside the scope" in refused.json()["detail"]
    assert browser.get("/points/no-such-point").status_code == 404
