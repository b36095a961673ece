"""Writing reference rows: every code they name must exist (400 naming the unknown ones), a
unit's name stays unique (409), a row and its links change in one transaction, and a write
naming the version it read (If-Match) is refused once someone else changed the row (412)."""

import hashlib
import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection

from geoapi import areas
from geoapi.errors import Conflict, InvalidParameter, NotFound, PreconditionFailed
from geoapi.reference import queries
from geoapi.reference.schemas import CategoryBody, IssueTypeBody, TeamBody, UnitBody

KINDS = ("categories", "issue_types", "units", "teams")
SINGULAR = {
    "categories": "category",
    "issue_types": "issue type",
    "units": "unit",
    "teams": "team",
}


def list_rows(connection: Connection, kind: str) -> list[dict[str, Any]]:
    """Every row of a kind, by code."""
    return queries.rows(connection, kind)


def read_row(connection: Connection, kind: str, code: str) -> dict[str, Any]:
    """One row, or 404."""
    found = queries.rows(connection, kind, code)
    if not found:
        raise NotFound(f"no {SINGULAR[kind]} {code!r}")
    return found[0]


def version_of(row: dict[str, Any]) -> int:
    """A version number for a row without one: a digest of what it holds."""
    digest = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()
    return int(digest[:14], 16)


def put_row(
    connection: Connection, kind: str, code: str, body: BaseModel, expected: int | None = None
) -> tuple[dict[str, Any], bool]:
    """Create or replace the row `code` of `kind`; the row as stored, and whether it is new.
    `expected`: the version the writer read (If-Match), else the write is unconditional."""
    queries.lock(connection, kind, code)
    if expected is not None:
        current = queries.rows(connection, kind, code)
        if not current or version_of(current[0]) != expected:
            raise PreconditionFailed(
                f"{SINGULAR[kind]} {code!r} changed since you read it; read it again and retry"
            )
    values = body.model_dump() | {"code": code}
    if isinstance(body, CategoryBody):
        _known(connection, "issue_types", body.issue_types, "issue_types")
    elif isinstance(body, IssueTypeBody):
        _known(connection, "categories", body.categories, "categories")
        if body.default_unit is not None:
            _known(connection, "units", [body.default_unit], "default_unit")
    elif isinstance(body, UnitBody):
        holder = queries.unit_named(connection, body.name)
        if holder not in (None, code):
            raise Conflict(f"name: unit {holder!r} is already called {body.name!r}")
    elif isinstance(body, TeamBody):
        if body.area is not None:
            areas.resolve(connection, body.area)
        lon, lat = body.base if body.base is not None else (None, None)
        values |= {"lon": lon, "lat": lat}
    created = queries.upsert(connection, kind, values)
    if isinstance(body, CategoryBody):
        queries.relink(connection, kind, code, body.issue_types)
    elif isinstance(body, IssueTypeBody):
        queries.relink(connection, kind, code, body.categories)
    return read_row(connection, kind, code), created


def _known(connection: Connection, table: str, codes: list[str], field: str) -> None:
    unknown = queries.missing(connection, table, codes)
    if unknown:
        raise InvalidParameter(f"{field}: unknown {', '.join(map(repr, unknown))}")
