"""Versions as ETags, and If-Match parsing: how clients detect concurrent edits."""

import re

from geoapi.errors import InvalidParameter

VERSION = re.compile(r"[0-9]{1,18}")  # ASCII digits only ("²" is a digit to str.isdigit)


def etag(version: int) -> str:
    """A version as a strong ETag."""
    return f'"{version}"'


def if_match_version(if_match: str | None) -> int | None:
    """`If-Match: "3"` (or W/"3") → 3; absent or `*` → None."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not VERSION.fullmatch(value):
        raise InvalidParameter(f"If-Match must be an ETag from this API, got {if_match!r}")
    return int(value)
