"""Status feedback to a citizens' app by webhook: each status change of its reports is posted
to a real local HTTP server, signed, in order, and retried when the app does not take it."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import Connection, text

from geoapi.errors import InvalidParameter, NotFound
from geoapi.open311 import webhooks
from tests.integration.test_issues_loop import move
from tests.integration.test_open311 import V2, post_request


class Receiver:
    """An app's endpoint: records each post and answers with the next planned status."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((dict(self.headers), body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.posts]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()
    made.server.server_close()


def run(connection: Connection, settings, at: datetime | None = None) -> webhooks.Outcome:
    """One `geoapi open311 deliver` pass, in the test's transaction."""

    @contextmanager
    def savepoint() -> Iterator[Connection]:
        with connection.begin_nested():
            yield connection

    when = at or datetime.now(UTC)
    return webhooks.deliver(savepoint, settings, lambda: when, webhooks.http_post)


def app_report(anonymous, keys) -> str:
    created = post_request(anonymous, api_key=keys["public"], description="楼道堆放杂物")
    assert created.status_code == 201, created.text
    return created.json()[0]["service_request_id"]


def test_each_status_change_reaches_the_app_signed_and_in_order(
    anonymous, client, keys, connection, settings, receiver
):
    secret = webhooks.register(connection, "wechat-app", receiver.url)
    request_id = app_report(anonymous, keys)
    post_request(anonymous, description="无应用的市民上报")  # the public's: no app to tell
    issue = client.get(f"/issues/{request_id}").json()
    move(client, issue, "dispatch", unit="market_reg")
    move(client, issue, "rectify", keys["unit"])  # its after photo is no status change
    move(client, issue, "close", keys["verifier"])
    done = run(connection, settings)
    assert (done.delivered, done.retrying, done.failed) == (3, 0, 0)
    bodies = receiver.bodies()
    assert {b["service_request_id"] for b in bodies} == {request_id}
    assert [b["step"]["action"] for b in bodies] == ["dispatch", "rectify", "close"]
    assert [b["status"] for b in bodies] == ["open", "open", "closed"]
    assert "已派遣" in bodies[0]["status_notes"] and "销号" in bodies[2]["status_notes"]
    [seen] = anonymous.get(f"{V2}/requests/{request_id}.json").json()
    assert bodies[2]["status_notes"] == seen["status_notes"]  # the same words as the API
    for headers, body in receiver.posts:
        assert headers["X-Geoapi-Signature"] == webhooks.signature(secret, body)
        assert headers["Content-Type"] == "application/json; charset=utf-8"
    ids = [int(h["X-Geoapi-Delivery"]) for h, _ in receiver.posts]
    assert ids == sorted(ids)
    assert run(connection, settings).delivered == 0  # delivered once only
    assert len(receiver.posts) == 3


def test_a_refused_post_is_retried_later_and_the_app_hears_its_changes_in_order(
    anonymous, client, keys, connection, settings, receiver
):
    webhooks.register(connection, "wechat-app", receiver.url)
    issue = client.get(f"/issues/{app_report(anonymous, keys)}").json()
    move(client, issue, "dispatch", unit="market_reg")
    move(client, issue, "rectify", keys["unit"])
    receiver.answers = [500]
    now = datetime.now(UTC)
    first = run(connection, settings, now)
    assert (first.delivered, first.retrying) == (0, 1)
    assert "answered 500" in first.errors[0]
    assert len(receiver.posts) == 1  # the later change waits for the first
    assert run(connection, settings, now + timedelta(seconds=30)).delivered == 0  # backing off
    later = run(connection, settings, now + timedelta(minutes=2))
    assert later.delivered == 2
    assert [b["step"]["action"] for b in receiver.bodies()] == ["dispatch", "dispatch", "rectify"]
    row = connection.execute(
        text("SELECT attempts, last_error FROM open311_deliveries ORDER BY id LIMIT 1")
    ).one()
    assert row.attempts == 2 and "500" in row.last_error  # the last failure stays on record


def test_an_app_that_never_answers_is_given_up_after_the_attempts(
    anonymous, client, keys, connection, settings
):
    webhooks.register(connection, "wechat-app", "http://127.0.0.1:9/nobody")  # discard port
    issue = client.get(f"/issues/{app_report(anonymous, keys)}").json()
    move(client, issue, "dispatch", unit="market_reg")
    once = settings.model_copy(update={"open311_webhook_attempts": 1})
    done = run(connection, once)
    assert (done.delivered, done.failed) == (0, 1) and "no answer" in done.errors[0]
    failed = connection.scalar(
        text("SELECT count(*) FROM open311_deliveries WHERE failed_at IS NOT NULL")
    )
    assert failed == 1
    assert run(connection, once, datetime.now(UTC) + timedelta(days=1)).failed == 0


def test_only_a_citizens_app_gets_a_webhook(connection, keys):
    with pytest.raises(InvalidParameter, match="not a citizens' app"):
        webhooks.register(connection, "office", "https://example.org/hook")
    with pytest.raises(InvalidParameter, match="http"):
        webhooks.register(connection, "wechat-app", "ftp://example.org/hook")
    with pytest.raises(NotFound):
        webhooks.register(connection, "nobody", "https://example.org/hook")
    first = webhooks.register(connection, "wechat-app", "https://example.org/a")
    second = webhooks.register(connection, "wechat-app", "https://example.org/b")
    assert first != second  # a new secret each time
    url = connection.scalar(text("SELECT url FROM open311_webhooks WHERE username = 'wechat-app'"))
    assert url == "https://example.org/b"
    webhooks.remove(connection, "wechat-app")
    with pytest.raises(NotFound):
        webhooks.remove(connection, "wechat-app")
