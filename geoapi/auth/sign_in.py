"""One-time sign-in links for phones: a planner makes one for an inspector (shown as a QR
code), the phone opens it once before it expires and gets a browser session of that user —
no key typed on a phone. Exchanging the link mints the phone its own API key, so the session
ends when the user's keys are revoked, like every other session.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from sqlalchemy import Connection, text

from geoapi.auth import lookup, sessions
from geoapi.auth.keys import key_hash
from geoapi.auth.principal import Principal
from geoapi.errors import Forbidden, Gone, InvalidParameter, NotFound

TOKEN_PREFIX = "gl_"  # neither a key (gk_) nor a session (gs_)
# Roles a planner may sign a phone in as; an admin may sign in any role.
FIELD_ROLES = frozenset({"inspector", "unit"})


@dataclass(frozen=True)
class Link:
    """A link to hand over: its token (in the URL only, never stored) and when it expires."""

    token: str
    expires_at: datetime


def create(
    connection: Connection,
    username: str,
    next_path: str,
    minutes: int,
    principal: Principal,
    now: datetime,
) -> Link:
    """A one-time link for `username` that lands on `next_path` (a path of this service)."""
    principal.require("sign_in_links")
    if not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path:
        raise InvalidParameter(f"next: a path of this service, such as /map, not {next_path!r}")
    user = connection.execute(
        text("SELECT id, role, disabled_at FROM users WHERE username = :u"), {"u": username}
    ).one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    if user.disabled_at is not None:
        raise InvalidParameter(f"user {username!r} is disabled")
    if principal.role != "admin" and user.role not in FIELD_ROLES:
        raise Forbidden(f"a planner signs phones in as inspectors and units, not as a {user.role}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    expires_at = now + timedelta(minutes=minutes)
    connection.execute(
        text(
            "INSERT INTO sign_in_links (token_hash, user_id, next_path, created_by, expires_at) "
            "VALUES (:hash, :user, :next, :by, :expires)"
        ),
        {
            "hash": key_hash(token),
            "user": user.id,
            "next": next_path,
            "by": principal.username,
            "expires": expires_at,
        },
    )
    return Link(token, expires_at)


def exchange(connection: Connection, token: str, session_hours: float) -> tuple[str, str]:
    """Use the link once: a session token of its user and where to go. 404 for an unknown
    link, 410 for a used or expired one (nothing is created then)."""
    link = connection.execute(
        text(
            "SELECT l.id, l.next_path, l.expires_at, l.used_at, u.username, "
            "u.disabled_at, now() AS now FROM sign_in_links l "
            "JOIN users u ON u.id = l.user_id WHERE l.token_hash = :hash FOR UPDATE OF l"
        ),
        {"hash": key_hash(token)},
    ).one_or_none()
    if link is None:
        raise NotFound("no such sign-in link: ask for a new one", reason="unknown")
    if link.used_at is not None:
        raise Gone(
            f"this sign-in link was used at {link.used_at.isoformat(timespec='minutes')}: "
            "each link signs in one phone once; ask for a new one",
            reason="used",
            used_at=link.used_at.isoformat(),
        )
    if link.expires_at <= link.now or link.disabled_at is not None:
        raise Gone(
            "this sign-in link has expired: ask for a new one",
            reason="expired",
            expires_at=link.expires_at.isoformat(),
        )
    connection.execute(
        text("UPDATE sign_in_links SET used_at = now() WHERE id = :id"), {"id": link.id}
    )
    device_key = lookup.issue_key(connection, link.username)
    session = sessions.start(connection, device_key, session_hours)
    assert session is not None  # the key was just issued
    return session, link.next_path


def qr_svg(url: str) -> str:
    """The link as a QR code (SVG data URI) for a phone's camera."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))
