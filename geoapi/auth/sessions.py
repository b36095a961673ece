"""Browser sessions: the key a planner opened the map with, exchanged for an HTTP-only cookie.

Pages a popup links to (a point, a problem) and links on a printed map then need no key in
their address. A session lives `session_hours` and ends with its key (revoked, or the user
disabled). A cookie arrives with any request the browser makes, including ones another site
triggers, so a session writes only with the `X-Geoapi-Client` header — which no other site's
page can add (the service allows no cross-origin requests) — as the phone page's scripts do.
"""

import secrets

from fastapi import Request, Response
from sqlalchemy import Connection, text

from geoapi.auth.keys import key_hash
from geoapi.auth.principal import Principal
from geoapi.settings import Settings

COOKIE = "geoapi_session"
TOKEN_PREFIX = "gs_"  # distinct from keys (gk_): a token is never taken for a key
READ_METHODS = frozenset({"GET", "HEAD"})
WRITE_HEADER = "X-Geoapi-Client"  # a page of this service writing with its session

PRINCIPAL = """
SELECT u.username, u.role, u.unit_code, a.id AS area_id, a.level AS area_level,
       a.code AS area_code, t.code AS team_code
  FROM {source}
  JOIN users u ON u.id = k.user_id
  LEFT JOIN areas a ON a.id = u.area_id
  LEFT JOIN teams t ON t.id = u.team_id
 WHERE {match} AND k.revoked_at IS NULL AND u.disabled_at IS NULL
"""


def principal_sql(source: str, match: str) -> str:
    """The statement resolving a credential to its active user (`k` is the key's row)."""
    return PRINCIPAL.format(source=source, match=match)


def token_of(request: Request) -> str | None:
    """The session token a request carries in its cookie: for a read, or for a write that
    says it comes from one of this service's pages (`X-Geoapi-Client`)."""
    token = request.cookies.get(COOKIE)
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    if request.method not in READ_METHODS and WRITE_HEADER not in request.headers:
        return None
    return token


def principal_for_token(connection: Connection, token: str) -> Principal | None:
    """The user of a live session, or None (unknown, expired, its key revoked)."""
    row = (
        connection.execute(
            text(
                principal_sql(
                    "sessions s JOIN api_keys k ON k.id = s.key_id",
                    "s.token_hash = :hash AND s.expires_at > now()",
                )
            ),
            {"hash": key_hash(token)},
        )
        .mappings()
        .first()
    )
    return Principal(**row) if row else None


def start(connection: Connection, key: str, hours: float) -> str | None:
    """A new session for `key` (None if the key is not live); expired sessions are dropped."""
    connection.execute(text("DELETE FROM sessions WHERE expires_at < now()"))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    made = connection.execute(
        text(
            "INSERT INTO sessions (key_id, token_hash, expires_at) "
            "SELECT k.id, :token, now() + make_interval(secs => :seconds) FROM api_keys k "
            "WHERE k.key_hash = :key AND k.revoked_at IS NULL"
        ),
        {"token": key_hash(token), "key": key_hash(key), "seconds": hours * 3600},
    ).rowcount
    return token if made else None


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    """The session cookie: HTTP-only (no script reads it), sent on same-site navigation."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=round(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
        path="/",
    )
