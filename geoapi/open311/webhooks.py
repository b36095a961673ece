"""Status feedback to citizens' apps by webhook: each status change of a problem an app
reported is queued with the change itself (trigger `issue_events_open311`, migration 0021)
and posted here, signed, at least once, in order per app, with back-off on failure.

A delivery is claimed by moving its next attempt past a lease before it is posted, so two
`deliver` runs never post the same one at once, and one that dies mid-post is retried after
the lease. Receivers tell repeats apart by `X-Geoapi-Delivery`.
"""

import hashlib
import hmac
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, text

from geoapi.errors import InvalidParameter, NotFound
from geoapi.open311 import formats, queries, spec
from geoapi.settings import Settings

LEASE = timedelta(minutes=5)  # a claimed delivery is retried after this if its run died
MAX_BACKOFF = timedelta(hours=6)
BATCH = 100

# (url, body, headers, timeout) → HTTP status; raises OSError when nothing answers.
Post = Callable[[str, bytes, dict[str, str], float], int]
Transaction = Callable[[], AbstractContextManager[Connection]]


def register(connection: Connection, username: str, url: str) -> str:
    """Set the app's webhook (replacing any) and return its new signing secret."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidParameter(f"url: an http(s) address is needed, not {url!r}")
    role = connection.scalar(text("SELECT role FROM users WHERE username = :u"), {"u": username})
    if role is None:
        raise NotFound(f"no user {username!r}")
    if role != "public":
        raise InvalidParameter(f"{username!r} is a {role}, not a citizens' app (role public)")
    secret = secrets.token_urlsafe(32)
    connection.execute(
        text(
            "INSERT INTO open311_webhooks (username, url, secret) VALUES (:u, :url, :s) "
            "ON CONFLICT (username) DO UPDATE SET url = excluded.url, secret = excluded.secret"
        ),
        {"u": username, "url": url, "s": secret},
    )
    return secret


def remove(connection: Connection, username: str) -> None:
    """Stop posting to the app (its queued deliveries go too)."""
    gone = connection.execute(
        text("DELETE FROM open311_webhooks WHERE username = :u"), {"u": username}
    )
    if gone.rowcount == 0:
        raise NotFound(f"{username!r} has no webhook")


def signature(secret: str, body: bytes) -> str:
    """`sha256=` and the body's HMAC under the app's secret (as GitHub signs its hooks)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Outcome:
    """What one `deliver` run did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver(
    transaction: Transaction, settings: Settings, now: Callable[[], datetime], post: Post
) -> Outcome:
    """Post every due delivery once; an app whose post fails waits for its next attempt (its
    later changes too, so it hears them in order). `transaction()` opens a short transaction
    (`engine.begin`): no row stays locked while an app is being posted to."""
    outcome = Outcome()
    while claimed := _claim(transaction, now()):
        stalled: set[str] = set()
        for item in claimed:
            if item["username"] in stalled:
                _release(transaction, item["id"], now())
                continue
            error = _post_one(transaction, item, settings, post)
            with transaction() as connection:
                if error is None:
                    outcome.delivered += 1
                    _mark(connection, item["id"], "delivered_at = :at", now())
                    continue
                stalled.add(item["username"])
                outcome.errors.append(f"{item['username']} #{item['id']}: {error}")
                if item["attempts"] + 1 >= settings.open311_webhook_attempts:
                    outcome.failed += 1
                    _mark(connection, item["id"], "failed_at = :at", now(), error)
                else:
                    outcome.retrying += 1
                    wait = min(timedelta(minutes=2 ** item["attempts"]), MAX_BACKOFF)
                    _mark(connection, item["id"], "next_attempt_at = :at", now() + wait, error)
        if len(claimed) < BATCH or stalled:
            break
    return outcome


def _claim(transaction: Transaction, at: datetime) -> list[Any]:
    """Up to BATCH due deliveries, oldest first, leased to this run."""
    with transaction() as connection:
        return list(
            connection.execute(
                text(
                    """
UPDATE open311_deliveries d SET next_attempt_at = :lease
  FROM (SELECT id FROM open311_deliveries q
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= :at
           AND NOT EXISTS (  -- an earlier change of the app still waiting: this one waits too
               SELECT FROM open311_deliveries p
                WHERE p.username = q.username AND p.id < q.id AND p.next_attempt_at > :at
                  AND p.delivered_at IS NULL AND p.failed_at IS NULL)
         ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED) due,
       open311_webhooks w, issue_events e
 WHERE d.id = due.id AND w.username = d.username AND e.id = d.event_id AND e.at = d.event_at
RETURNING d.id, d.username, d.issue_id, d.attempts, w.url, w.secret,
          e.action, e.to_status, e.at, e.note
"""
                ),
                {"at": at, "lease": at + LEASE, "n": BATCH},
            )
            .mappings()
            .all()
        )


def _release(transaction: Transaction, delivery_id: int, at: datetime) -> None:
    """Hand a claimed delivery back unattempted: due again, but behind its app's failed one."""
    with transaction() as connection:
        connection.execute(
            text("UPDATE open311_deliveries SET next_attempt_at = :at WHERE id = :id"),
            {"id": delivery_id, "at": at},
        )


def _mark(
    connection: Connection,
    delivery_id: int,
    assignment: str,
    at: datetime,
    error: str | None = None,
) -> None:
    connection.execute(
        text(
            f"UPDATE open311_deliveries SET {assignment}, "
            "last_error = coalesce(:error, last_error), "
            "attempts = attempts + 1 WHERE id = :id"
        ),
        {"id": delivery_id, "at": at, "error": error},
    )


def payload(connection: Connection, item: Any, settings: Settings) -> dict[str, Any] | None:
    """The service request as the step left it, in GeoReport's words, with the step."""
    rows = queries.requests(connection, settings.open311_sources, ids=[item["issue_id"]])
    if not rows:
        return None
    base = settings.public_url.rstrip("/") + "/open311/v2"
    return spec.request(rows[0], base, status=item["to_status"]) | {
        "updated_datetime": item["at"],
        "step": {"action": item["action"], "status": item["to_status"], "note": item["note"]},
    }


def _post_one(transaction: Transaction, item: Any, settings: Settings, post: Post) -> str | None:
    """Post one delivery; None when the app took it (2xx) or the request is gone, else what
    went wrong."""
    with transaction() as connection:
        body = payload(connection, item, settings)
    if body is None:
        return None  # no longer a citizen's request (its source changed): nothing to tell
    data = formats.json_bytes(body)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "geoapi-open311",
        "X-Geoapi-Delivery": str(item["id"]),
        "X-Geoapi-Signature": signature(item["secret"], data),
    }
    try:
        status = post(item["url"], data, headers, settings.open311_webhook_timeout_s)
    except OSError as exc:
        return f"no answer from {item['url']}: {exc}"
    return None if 200 <= status < 300 else f"{item['url']} answered {status}"


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST with the standard library; the answer's status (an HTTP error's too)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
