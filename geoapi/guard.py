"""The request guard: bounds every request before routing, so no handler sees input that
could crash or stall the process.

It refuses, as problem+json:
- a query string longer than `max_query_chars` (414) or holding a NUL byte (400: PostgreSQL
  text cannot store one, and it is never meant), or a path with a control character (400: no
  resource has one, and routes would not match it);
- a body larger than its kind allows (413): an upload the larger of `photo_max_bytes` and
  `video_max_bytes` (plus the form's envelope; its kind is checked later), anything else
  `max_json_bytes`;
- a JSON body nested deeper than `max_json_depth`, or with a NUL character or a lone UTF-16
  surrogate in any string (400): Python's parser would recurse until it fails, and the
  others fail only when written to the database or encoded for the answer;
- a form body with a NUL byte (400).

The body is read once here (it is small by then) and handed on unchanged.
"""

import json
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from geoapi.errors import (
    GeoApiError,
    InvalidParameter,
    PayloadTooLarge,
    UriTooLong,
    problem_detail,
)
from geoapi.settings import Settings

Message = MutableMapping[str, Any]
# Renders a refusal as (path, status, detail) → response, for APIs whose errors have their own
# shape (Open311); everything else gets problem+json.
Renderer = Callable[[str, int, str], Response]
MULTIPART_ENVELOPE = 64 * 1024  # boundaries, part headers and small fields around a photo
NUL_ESCAPES = (b"%00", b"\x00")
CONTROL = re.compile("[\x00-\x1f\x7f]")


class RequestGuard:
    """ASGI middleware refusing unbounded or malformed requests before they reach a route."""

    def __init__(
        self, app: ASGIApp, settings: Settings, renderers: Mapping[str, Renderer] | None = None
    ) -> None:
        self.app = app
        self.settings = settings
        self.renderers = dict(renderers or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the URL, then the body when there is one; pass the request on unchanged."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_url(scope, self.settings.max_query_chars)
            if not _has_body(scope):
                await self.app(scope, receive, send)
                return
            content_type = _header(scope, b"content-type").split(b";")[0].strip().lower()
            limit = body_limit(content_type, self.settings)
            body = await read_body(scope, receive, limit)
            check_body(content_type, body, self.settings.max_json_depth)
        except GeoApiError as exc:
            await self._refusal(scope, exc)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _refusal(self, scope: Scope, exc: GeoApiError) -> Response:
        path: str = scope.get("path", "")
        for prefix, render in self.renderers.items():
            if path.startswith(prefix):
                return render(path, exc.status_code, exc.detail)
        return problem_detail(exc.status_code, exc.title, exc.detail, code=exc.code)


def check_url(scope: Scope, max_query_chars: int) -> None:
    """414 for a query string past the limit, 400 for a NUL byte in it or a control character
    in the path."""
    query: bytes = scope.get("query_string", b"")
    if len(query) > max_query_chars:
        raise UriTooLong(
            f"the query string has {len(query):,} characters; at most {max_query_chars:,}"
        )
    if any(nul in query.lower() for nul in NUL_ESCAPES):
        raise InvalidParameter("the URL contains a NUL character (%00)")
    if CONTROL.search(scope.get("path", "")):
        raise InvalidParameter("the URL path contains a control character (%00-%1F, %7F)")


def body_limit(content_type: bytes, settings: Settings) -> int:
    """How many bytes a body of this type may have."""
    if content_type == b"multipart/form-data":
        return max(settings.photo_max_bytes, settings.video_max_bytes) + MULTIPART_ENVELOPE
    return settings.max_json_bytes


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, or 413 as soon as it (or its declared length) passes `limit`."""
    declared = _header(scope, b"content-length")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body has {int(declared):,} bytes; at most {limit:,}")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than {limit:,} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def check_body(content_type: bytes, body: bytes, max_depth: int) -> None:
    """400 for a JSON body too deep or with characters no database column can hold, or a
    form body with a NUL byte. A JSON syntax error is left to the route's own parser."""
    if content_type == b"application/x-www-form-urlencoded":
        if any(nul in body.lower() for nul in NUL_ESCAPES):
            raise InvalidParameter("the form contains a NUL character (%00)")
        return
    if not (content_type.endswith(b"json") or (not content_type and body[:1] in b"{[")):
        return
    try:
        document = json.loads(body)
    except RecursionError as exc:
        raise InvalidParameter(f"the JSON body is nested deeper than {max_depth} levels") from exc
    except ValueError:
        return  # not JSON at all: the route answers with the parser's own message
    check_json(document, max_depth)


def check_json(document: Any, max_depth: int) -> None:
    """400 for nesting deeper than `max_depth`, a NUL or a lone surrogate in any string."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise InvalidParameter(f"the JSON body is nested deeper than {max_depth} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key)
                stack.append((item, depth + 1))


def _check_text(value: str) -> None:
    if "\x00" in value:
        raise InvalidParameter("the JSON body contains a NUL character (\\u0000)")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidParameter(
                "the JSON body contains a lone UTF-16 surrogate (\\ud800-\\udfff)"
            ) from exc


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    return (length not in (b"", b"0")) or bool(_header(scope, b"transfer-encoding"))


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return b""


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """A `receive` that gives the buffered body once, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
