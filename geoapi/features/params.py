"""Parsers of the OGC API - Features query parameters; they never touch the database.

They are `async def` although they never await: FastAPI runs plain `def` dependencies in a
thread pool, and a dozen thread hops per request cost more than the parsing itself.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, Query, Request

from geoapi.catalog.registry import Layer, LayerDep
from geoapi.errors import InvalidParameter
from geoapi.features.cql import parse_filter
from geoapi.features.crs import CRS84, OutputCrs, bbox_to_crs84, parse_crs

# Parameters of the standard; any other query parameter is a property filter.
RESERVED = {
    "bbox",
    "bbox-crs",
    "datetime",
    "limit",
    "cursor",
    "properties",
    "sortby",
    "f",
    "crs",
    "filter",
    "filter-lang",
    "filter-crs",
}


class BBox(NamedTuple):
    """A CRS84 bounding box."""

    west: float
    south: float
    east: float
    north: float


class Interval(NamedTuple):
    """A closed time interval; None is an open end."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class SortKey:
    """One sort property and its direction."""

    name: str
    descending: bool = False


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page starts: the sort-key values of the row before it."""

    values: list[Any]
    backward: bool = False

    def encode(self) -> str:
        """An opaque URL-safe token."""
        raw = json.dumps({"k": self.values, "b": self.backward}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class ItemsQuery:
    """Everything that selects and orders a page of features."""

    bbox: BBox | None
    interval: Interval | None
    filters: dict[str, str]
    properties: list[str]
    sort: list[SortKey]
    limit: int
    cursor: Cursor | None
    cql: dict[str, Any] | None = None
    crs: OutputCrs = CRS84


async def bbox_query(
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy (CRS84 by default)")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="CRS of bbox")] = None,
) -> BBox | None:
    """Parse `bbox` (in `bbox-crs`, default CRS84) into CRS84 and check its ranges."""
    crs = parse_crs(bbox_crs, "bbox-crs")
    if bbox is None:
        return None
    try:
        values = [float(v) for v in bbox.split(",")]
    except ValueError as exc:
        raise InvalidParameter(f"bbox must be 4 comma-separated numbers, got {bbox!r}") from exc
    if len(values) != 4:
        raise InvalidParameter(f"bbox must have 4 numbers (6 with heights unsupported): {bbox!r}")
    west, south, east, north = bbox_to_crs84(values, crs)
    if not (-90 <= south <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        raise InvalidParameter(f"bbox out of range or south above north: {bbox!r}")
    return BBox(west, south, east, north)


async def crs_query(
    crs: Annotated[str | None, Query(description="Output CRS URI (default CRS84)")] = None,
) -> OutputCrs:
    """The CRS the response's geometries are written in."""
    return parse_crs(crs, "crs")


def _instant(text: str, end_of_day: bool) -> datetime | None:
    if text in ("..", ""):
        return None
    try:
        if len(text) == 10:  # a date: the whole day
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time(), UTC)
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidParameter(f"datetime: {text!r} is not an RFC 3339 date-time or date") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def datetime_query(
    value: Annotated[
        str | None,
        Query(alias="datetime", description="Instant, or interval start/end with .. open ends"),
    ] = None,
) -> Interval | None:
    """Parse `datetime`: an instant or a date, or an interval with open ends (`..`)."""
    if value is None:
        return None
    parts = value.split("/")
    if len(parts) == 1:
        if value == "..":
            raise InvalidParameter("datetime: '..' alone is not an instant")
        start = _instant(value, end_of_day=False)
        end = _instant(value, end_of_day=True) if len(value) == 10 else start
        return Interval(start, end)
    if len(parts) != 2 or parts == ["..", ".."] or parts == ["", ""]:
        raise InvalidParameter(f"datetime: {value!r} is not an instant or start/end interval")
    start, end = _instant(parts[0], False), _instant(parts[1], True)
    if start and end and start > end:
        raise InvalidParameter(f"datetime: interval {value!r} ends before it starts")
    return Interval(start, end)


async def limit_query(
    request: Request,
    limit: Annotated[int | None, Query(description="Features per page")] = None,
) -> int:
    """Page size: the default when absent, an error outside 1..max_limit."""
    settings = request.app.state.settings
    if limit is None:
        return int(settings.default_limit)
    if not 1 <= limit <= settings.max_limit:
        raise InvalidParameter(f"limit must be between 1 and {settings.max_limit}, got {limit}")
    return limit


async def cursor_query(
    cursor: Annotated[str | None, Query(description="Opaque paging token from a link")] = None,
) -> Cursor | None:
    """Decode the paging token of a next/prev link."""
    if cursor is None:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return Cursor(list(raw["k"]), bool(raw["b"]))
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidParameter("cursor is not a token from a next or prev link") from exc


async def properties_query(
    layer: LayerDep,
    properties: Annotated[str | None, Query(description="Comma-separated properties")] = None,
) -> list[str]:
    """The properties to return (default: all of the layer's)."""
    if properties is None:
        return list(layer.definition.properties)
    names = [p.strip() for p in properties.split(",") if p.strip()]
    _check_names(layer, names, layer.definition.properties, "properties")
    return names


async def sortby_query(
    layer: LayerDep,
    sortby: Annotated[str | None, Query(description="e.g. -deadline,code")] = None,
) -> list[SortKey]:
    """Sort keys over queryables (default: the layer's default sort)."""
    items = sortby.split(",") if sortby else layer.definition.default_sort
    keys = [SortKey(s.strip().lstrip("+-"), s.strip().startswith("-")) for s in items if s.strip()]
    _check_names(layer, [k.name for k in keys], layer.definition.queryable_names, "sortby")
    return keys


async def property_filters(request: Request, layer: LayerDep) -> dict[str, str]:
    """Query parameters naming a queryable (`?category=market`): equality filters."""
    filters = {k: v for k, v in request.query_params.items() if k not in RESERVED}
    _check_names(layer, list(filters), layer.definition.queryable_names, "filter")
    return filters


async def filter_query(
    filter_text: Annotated[str | None, Query(alias="filter", description="CQL2 expression")] = None,
    filter_lang: Annotated[
        str | None, Query(alias="filter-lang", description="cql2-text (default) or cql2-json")
    ] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs")] = None,
) -> dict[str, Any] | None:
    """Parse `filter` (Part 3) into CQL2-JSON; properties are checked against the layer later."""
    return parse_filter(filter_text, filter_lang, filter_crs) if filter_text else None


async def format_query(
    f: Annotated[str | None, Query(description="json or geojson")] = None,
) -> str | None:
    """Output format (None: by Accept header); only JSON encodings are offered."""
    if f not in (None, "json", "geojson"):
        raise InvalidParameter(f"f={f!r} is not offered; use f=json or f=geojson")
    return f


def _check_names(layer: Layer, names: list[str], allowed: list[str], parameter: str) -> None:
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise InvalidParameter(
            f"{parameter}: unknown propert{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(map(repr, unknown))} of collection {layer.id!r}; "
            f"allowed: {', '.join(allowed)}"
        )


BBoxDep = Annotated[BBox | None, Depends(bbox_query)]
DatetimeDep = Annotated[Interval | None, Depends(datetime_query)]
LimitDep = Annotated[int, Depends(limit_query)]
CursorDep = Annotated[Cursor | None, Depends(cursor_query)]
PropertiesDep = Annotated[list[str], Depends(properties_query)]
SortDep = Annotated[list[SortKey], Depends(sortby_query)]
FiltersDep = Annotated[dict[str, str], Depends(property_filters)]


async def items_query(
    bbox: "BBoxDep",
    interval: "DatetimeDep",
    filters: "FiltersDep",
    properties: "PropertiesDep",
    sort: "SortDep",
    limit: "LimitDep",
    cursor: "CursorDep",
    cql: "FilterDep",
    crs: "CrsDep",
) -> ItemsQuery:
    """Every parameter of an /items request, parsed and checked against the layer."""
    return ItemsQuery(bbox, interval, filters, properties, sort, limit, cursor, cql, crs)


CrsDep = Annotated[OutputCrs, Depends(crs_query)]
FilterDep = Annotated[dict[str, Any] | None, Depends(filter_query)]
FormatDep = Annotated[str | None, Depends(format_query)]
ItemsQueryDep = Annotated[ItemsQuery, Depends(items_query)]
