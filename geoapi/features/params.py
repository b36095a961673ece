"""The OGC API - Features query parameters: declared as models, parsed by plain functions.

A route takes its parameters as one model (FastAPI validates it in one step and lists each
field in the OpenAPI document) and parses them in its body. FastAPI solves every dependency
anew per request, a shared one once per use: a dozen parameter dependencies, each needing
the layer, cost more than the parsing itself. Nothing here touches the database.
"""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement

from geoapi.catalog.registry import Layer
from geoapi.errors import InvalidParameter
from geoapi.features.cql import check_bounds, parse_filter
from geoapi.features.crs import CRS84, OutputCrs, bbox_to_crs84, parse_crs
from geoapi.instants import aware, check_day
from geoapi.settings import Settings


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
    # A predicate built in code (the domain lists' typed filters): a clause over the layer's
    # columns with named parameters, and their values.
    where: tuple[ColumnElement[bool], dict[str, Any]] | None = None


class BBoxParameters(BaseModel):
    """`bbox` and the CRS it is given in."""

    bbox: str | None = Field(None, description="minx,miny,maxx,maxy (CRS84 by default)")
    bbox_crs: str | None = Field(None, alias="bbox-crs", description="CRS of bbox")


class PageParameters(BBoxParameters):
    """What selects a keyset page anywhere features are listed."""

    limit: int | None = Field(None, description="Features per page")
    cursor: str | None = Field(None, description="Opaque paging token from a link")


class OutputParameters(BaseModel):
    """How features are written: CRS (Part 2) and format."""

    crs: str | None = Field(None, description="Output CRS URI (default CRS84)")
    f: str | None = Field(None, description="json or geojson")


class ItemsParameters(PageParameters, OutputParameters):
    """Every parameter of /items; any other query parameter is a property filter."""

    datetime: str | None = Field(
        None, description="Instant, or interval start/end with .. open ends"
    )
    properties: str | None = Field(None, description="Comma-separated properties")
    sortby: str | None = Field(None, description="e.g. -deadline,code")
    filter: str | None = Field(None, description="CQL2 expression")
    filter_lang: str | None = Field(
        None, alias="filter-lang", description="cql2-text (default) or cql2-json"
    )
    filter_crs: str | None = Field(None, alias="filter-crs", description="CRS of filter")


# Query parameters that are not property filters: the standard's, and the API key.
RESERVED = {field.alias or name for name, field in ItemsParameters.model_fields.items()}
RESERVED.add("api_key")


def parse_bbox(bbox: str | None, bbox_crs: str | None = None) -> BBox | None:
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


def _instant(text: str, end_of_day: bool) -> datetime | None:
    if text in ("..", ""):
        return None
    try:
        if len(text) == 10:  # a date: the whole day
            day = date.fromisoformat(text)
            check_day(day)
            return datetime.combine(day, time.max if end_of_day else time(), UTC)
        return aware(datetime.fromisoformat(text))
    except ValueError as exc:
        raise InvalidParameter(
            f"datetime: {text!r} is not an RFC 3339 date-time or date ({exc})"
        ) from exc


def parse_datetime(value: str | None) -> Interval | None:
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


def parse_limit(limit: int | None, settings: Settings) -> int:
    """Page size: the default when absent, an error outside 1..max_limit."""
    if limit is None:
        return int(settings.default_limit)
    if not 1 <= limit <= settings.max_limit:
        raise InvalidParameter(f"limit must be between 1 and {settings.max_limit}, got {limit}")
    return limit


def parse_cursor(cursor: str | None) -> Cursor | None:
    """Decode the paging token of a next/prev link."""
    if cursor is None:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values, backward = raw["k"], raw["b"]
    except (binascii.Error, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InvalidParameter("cursor is not a token from a next or prev link") from exc
    # A link's token holds one scalar per sort key (and the id): anything else was made up.
    scalars = isinstance(values, list) and len(values) <= CURSOR_MAX_VALUES
    if not scalars or not isinstance(backward, bool) or not all(map(_scalar, values)):
        raise InvalidParameter("cursor is not a token from a next or prev link")
    return Cursor(values, backward)


CURSOR_MAX_VALUES = 16


def _scalar(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" not in value and len(value) <= 1024
    return value is None or isinstance(value, bool | int | float)


def parse_properties(layer: Layer, properties: str | None) -> list[str]:
    """The properties to return (default: all of the layer's)."""
    if properties is None:
        return list(layer.definition.properties)
    names = list(dict.fromkeys(p.strip() for p in properties.split(",") if p.strip()))
    _check_names(layer, names, layer.definition.properties, "properties")
    return names


def parse_sortby(layer: Layer, sortby: str | None, max_keys: int = 8) -> list[SortKey]:
    """Sort keys over queryables (default: the layer's default sort), at most `max_keys`."""
    items = sortby.split(",") if sortby else layer.definition.default_sort
    keys = [SortKey(s.strip().lstrip("+-"), s.strip().startswith("-")) for s in items if s.strip()]
    if len(keys) > max_keys:
        raise InvalidParameter(f"sortby: {len(keys)} keys; at most {max_keys}")
    _check_names(layer, [k.name for k in keys], layer.definition.queryable_names, "sortby")
    return keys


def property_filters(layer: Layer, query: Mapping[str, str]) -> dict[str, str]:
    """Query parameters naming a queryable (`?category=market`): equality filters."""
    filters = {k: v for k, v in query.items() if k not in RESERVED}
    _check_names(layer, list(filters), layer.definition.queryable_names, "filter")
    return filters


def parse_format(f: str | None) -> str | None:
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


def items_query(
    layer: Layer, params: ItemsParameters, query: Mapping[str, str], settings: Settings
) -> ItemsQuery:
    """Every parameter of an /items request (`query`: all of them, as sent), parsed and
    checked against the layer."""
    cql = None
    if params.filter:
        check_bounds(
            params.filter, params.filter_lang, settings.max_filter_chars, settings.max_filter_depth
        )
        cql = parse_filter(params.filter, params.filter_lang, params.filter_crs)
    return ItemsQuery(
        bbox=parse_bbox(params.bbox, params.bbox_crs),
        interval=parse_datetime(params.datetime),
        filters=property_filters(layer, query),
        properties=parse_properties(layer, params.properties),
        sort=parse_sortby(layer, params.sortby, settings.max_sort_keys),
        limit=parse_limit(params.limit, settings),
        cursor=parse_cursor(params.cursor),
        cql=cql,
        crs=parse_crs(params.crs, "crs"),
    )


async def _bbox(params: Annotated[BBoxParameters, Query()]) -> BBox | None:
    return parse_bbox(params.bbox, params.bbox_crs)


BBoxDep = Annotated[BBox | None, Depends(_bbox)]
