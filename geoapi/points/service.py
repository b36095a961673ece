"""Point writes through the import's own validation and upsert, so both accept the same data."""

import json
from typing import Any

import geopandas as gpd
import shapely
from shapely.errors import ShapelyError
from sqlalchemy import Connection

from geoapi.errors import (
    Conflict,
    InvalidParameter,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
)
from geoapi.points import queries
from geoapi.transfer import points as point_import


def frame_of(
    feature: dict[str, Any], max_props_bytes: int, code: str | None = None
) -> gpd.GeoDataFrame:
    """A one-row frame from a GeoJSON Feature, as an imported file would give; properties of
    more than `max_props_bytes` (as UTF-8 JSON) are refused: every reader of the point gets
    them."""
    if feature.get("type") != "Feature":
        raise InvalidParameter("body: a GeoJSON Feature is expected (type: Feature)")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise InvalidParameter("properties: a JSON object is expected")
    size = len(json.dumps(properties, ensure_ascii=False).encode())
    if size > max_props_bytes:
        raise PayloadTooLarge(f"properties: {size:,} bytes of JSON; at most {max_props_bytes:,}")
    properties = dict(properties)
    if code is not None and properties.setdefault("code", code) != code:
        raise InvalidParameter(f"properties.code {properties['code']!r} is not {code!r}")
    try:
        geometry = shapely.geometry.shape(feature["geometry"]) if feature.get("geometry") else None
    except (ShapelyError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidParameter(f"geometry: not a GeoJSON geometry ({exc})") from exc
    return gpd.GeoDataFrame([properties], geometry=[geometry], crs="EPSG:4326")


def check(connection: Connection, frame: gpd.GeoDataFrame) -> None:
    """400 listing every error the import would report for this row."""
    errors = point_import.validate(connection, frame)
    if errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise InvalidParameter(
            detail, errors=[{"field": e.field, "message": e.message} for e in errors]
        )


def create(connection: Connection, feature: dict[str, Any], max_props_bytes: int) -> str:
    """Insert a new point; 409 when its code is taken. Returns the code."""
    frame = frame_of(feature, max_props_bytes)
    check(connection, frame)
    code = str(frame["code"].iat[0]).strip()
    if queries.lock_point(connection, code) is not None:
        raise Conflict(f"point {code!r} exists; PUT /points/{code} replaces it")
    point_import.upsert(connection, frame)
    return code


def replace(
    connection: Connection,
    code: str,
    feature: dict[str, Any],
    if_match: int | None,
    max_props_bytes: int,
) -> None:
    """Replace a point's fields under a row lock; 404 unknown, 412 stale If-Match."""
    _locked(connection, code, if_match)
    frame = frame_of(feature, max_props_bytes, code)
    check(connection, frame)
    point_import.upsert(connection, frame)


def delete(connection: Connection, code: str, if_match: int | None) -> None:
    """Delete a point without history; one with problems or inspections is 409 (kept)."""
    row = _locked(connection, code, if_match)
    counts = queries.history_counts(connection, row["id"])
    if counts["issues"] or counts["inspections"]:
        raise Conflict(
            f"point {code!r} has {counts['issues']} problem(s) and {counts['inspections']} "
            "inspection(s); deleting it would lose their place in the history",
            **counts,
        )
    queries.delete_point(connection, row["id"])


def _locked(connection: Connection, code: str, if_match: int | None) -> Any:
    row = queries.lock_point(connection, code)
    if row is None:
        raise NotFound(f"no point {code!r}")
    if if_match is not None and row["version"] != if_match:
        raise PreconditionFailed(
            f"point {code!r} changed since version {if_match}; read it again and retry",
            current_version=row["version"],
        )
    return row
