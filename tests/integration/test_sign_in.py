"""A phone signs in by a one-time link (or its QR code) a planner made: no key typed, one use,
an expiry, and a session that ends with the user's keys."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from geoapi.auth import lookup
from tests.integration.test_roles import as_


def make_link(client, key, **body):
    return client.post("/sign-in-links", json={"user": "inspector1"} | body, headers=as_(key))


def test_a_phone_opens_the_link_once_and_reads_as_the_inspector(client, anonymous, keys):
    made = make_link(client, keys["planner"], next="/issues?limit=5")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["qr_svg"].startswith("data:image/svg+xml")
    path = urlsplit(body["url"]).path
    assert anonymous.get("/issues").status_code == 401  # the phone has no key
    opened = anonymous.get(path, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/issues?limit=5"
    cookie = opened.headers["set-cookie"]
    assert "geoapi_session=gs_" in cookie and "HttpOnly" in cookie
    assert anonymous.get("/issues").status_code == 200  # the session reads as the inspector
    again = anonymous.get(path, follow_redirects=False)
    assert again.status_code == 410 and "used at" in again.json()["detail"]


def test_an_expired_or_unknown_link_signs_nobody_in(client, anonymous, keys, connection):
    path = urlsplit(make_link(client, keys["planner"]).json()["url"]).path
    connection.execute(text("UPDATE sign_in_links SET expires_at = now() - interval '1 minute'"))
    expired = anonymous.get(path, follow_redirects=False)
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    assert "set-cookie" not in expired.headers
    assert anonymous.get("/sign-in/gl_nothing", follow_redirects=False).status_code == 404
    sessions = connection.scalar(text("SELECT count(*) FROM sessions"))
    assert sessions == 0


def test_revoking_the_users_keys_ends_the_phones_session(client, anonymous, keys, connection):
    path = urlsplit(make_link(client, keys["planner"]).json()["url"]).path
    anonymous.get(path, follow_redirects=False)
    assert anonymous.get("/issues").status_code == 200
    lookup.revoke(connection, "inspector1")
    anonymous.app.state.key_cache.ttl = 0  # as after GEOAPI_KEY_CACHE_SECONDS
    assert anonymous.get("/issues").status_code == 401


@pytest.mark.parametrize(
    ("who", "body", "status", "needle"),
    [
        ("inspector", {}, 403, "sign_in_links"),
        ("unit", {}, 403, "sign_in_links"),
        ("planner", {"user": "office"}, 403, "not as a planner"),
        ("planner", {"user": "test-admin"}, 403, "not as a admin"),
        ("planner", {"next": "//evil.example/"}, 400, "a path of this service"),
        ("planner", {"next": "https://evil.example/"}, 400, "a path of this service"),
        ("planner", {"user": "nobody"}, 404, "no user"),
        ("planner", {"minutes": 0}, 400, "minutes"),
    ],
)
def test_who_may_make_links_and_for_whom(client, keys, who, body, status, needle):
    response = make_link(client, keys[who], **body)
    assert response.status_code == status and needle in response.text


def test_an_admin_may_sign_a_planner_in(client, keys):
    assert make_link(client, keys["admin"], user="office").status_code == 201


BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_phones_browser_reads_why_its_link_cannot_be_used(client, anonymous, keys, connection):
    """A phone that opens a used, expired or unknown link reads a page in words, not JSON."""
    used = urlsplit(make_link(client, keys["planner"]).json()["url"]).path
    anonymous.get(used, follow_redirects=False)
    again = anonymous.get(used, headers=BROWSER, follow_redirects=False)
    expired = urlsplit(make_link(client, keys["planner"]).json()["url"]).path
    connection.execute(
        text(
            "UPDATE sign_in_links SET expires_at = now() - interval '1 minute' "
            "WHERE used_at IS NULL"
        )
    )
    late = anonymous.get(expired, headers=BROWSER, follow_redirects=False)
    unknown = anonymous.get("/sign-in/gl_nothing", headers=BROWSER, follow_redirects=False)
    pages = {
        "used": (again, "已使用", "每个链接只能使用一次"),
        "expired": (late, "已过期", "有效期"),
        "unknown": (unknown, "无效", "没有这个登录链接"),
    }
    for name, (page, headline, words) in pages.items():
        assert page.headers["content-type"].startswith("text/html"), name
        assert f"<h1>登录链接{headline}</h1>" in page.text and words in page.text, name
        assert "索取新的登录链接" in page.text, name
    assert (again.status_code, late.status_code, unknown.status_code) == (410, 410, 404)
    assert "set-cookie" not in again.headers and "set-cookie" not in late.headers
