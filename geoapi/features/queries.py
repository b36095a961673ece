"""The features' only SQL: pages, single features, extents — GeoJSON text built by PostGIS."""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by

from geoapi.catalog.registry import Layer
from geoapi.errors import InvalidParameter
from geoapi.features import cql
from geoapi.features.crs import CRS84, OutputCrs
from geoapi.features.params import Interval, ItemsQuery, SortKey
from geoapi.features.values import typed_value


@dataclass(frozen=True)
class FeaturePage:
    """One page: the features as a GeoJSON array (UTF-8), and where the page starts and ends."""

    features: bytes
    returned: int
    matched: int | None
    first_key: list[Any] | None
    last_key: list[Any] | None
    more_before: bool
    more_after: bool


_DIALECT = postgresql.dialect()
_FEATURE_SQL: dict[tuple[Any, ...], str] = {}
_FEATURE_SQL_LIMIT = 1024  # layers × property selections × CRSs; a flood of `properties=` resets


def feature_json(layer: Layer, properties: list[str], crs: OutputCrs = CRS84) -> ColumnElement[Any]:
    """A GeoJSON Feature built by PostGIS, geometry in `crs` with its axis order.

    Rendered to SQL once per table, property list and CRS: the expression has two elements
    per property, and building it anew each request cost more than fetching one feature.
    Every identifier in it comes from the catalog, every constant from the code.
    """
    source = layer.definition.source
    key = (layer.table.fullname, source.id_column, source.geometry_column, source.srid)
    key += (tuple(properties), crs)
    sql = _FEATURE_SQL.get(key)
    if sql is None:
        if len(_FEATURE_SQL) >= _FEATURE_SQL_LIMIT:
            _FEATURE_SQL.clear()
        expression = _feature_expression(layer, properties, crs)
        sql = str(expression.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))
        _FEATURE_SQL[key] = sql
    return literal_column(sql, JSON)


def _feature_expression(layer: Layer, properties: list[str], crs: OutputCrs) -> ColumnElement[Any]:
    pairs: list[Any] = []
    for name in properties:
        pairs += [literal(name, String), layer.column(name)]
    geometry: Any = layer.geom
    if layer.definition.source.srid != crs.srid:
        geometry = func.ST_Transform(geometry, crs.srid)
    if crs.lat_lon:
        geometry = func.ST_FlipCoordinates(geometry)
    return func.json_build_object(
        "type",
        "Feature",
        "id",
        layer.id_column,
        "geometry",
        cast(func.ST_AsGeoJSON(geometry, crs.decimals), JSON),
        "properties",
        func.json_build_object(*pairs),
    )


def where(layer: Layer, query: ItemsQuery) -> list[ColumnElement[bool]]:
    """Filters of a request, values always bound, identifiers only from the catalog."""
    clauses = list(layer.fixed_filter)
    if query.bbox:
        # Transform the envelope, not the column, so the GiST index on geom is used.
        envelope = func.ST_MakeEnvelope(*query.bbox, 4326)
        if layer.definition.source.srid != 4326:
            envelope = func.ST_Transform(envelope, layer.definition.source.srid)
        clauses.append(func.ST_Intersects(layer.geom, envelope))
    if query.interval:
        clauses.append(_in_interval(layer, query.interval))
    if query.cql is not None:
        clauses.append(cql.to_sql(layer, query.cql))
    for name, value in query.filters.items():
        column = layer.column(name)
        clauses.append(column == literal(typed_value(column, name, value), column.type))
    return clauses


def _in_interval(layer: Layer, interval: Interval) -> ColumnElement[bool]:
    column = layer.datetime_column
    if column is None:
        raise InvalidParameter(f"datetime: collection {layer.id!r} has no temporal property")
    start, end = interval
    if start is not None and start == end:
        return column == start
    return and_(
        column >= start if start else true(),
        column <= end if end else true(),
        column.is_not(None),
    )


def _order(layer: Layer, sort: list[SortKey], backward: bool) -> list[tuple[Any, bool]]:
    """Sort columns with directions; the id breaks ties so keyset paging is exact."""
    keys = [(layer.column(k.name), k.descending != backward) for k in sort]
    return [*keys, (layer.id_column, backward)]


def _after(keys: list[tuple[Any, bool]], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order `keys` (NULLs sort last, as in PostgreSQL)."""
    if len(values) != len(keys):
        raise InvalidParameter("cursor does not belong to this sort order")
    alternatives = []
    for i, ((column, descending), value) in enumerate(zip(keys, values, strict=True)):
        equal_before = [
            c.is_not_distinct_from(literal(v, c.type))
            for (c, _), v in zip(keys[:i], values[:i], strict=True)
        ]
        alternatives.append(and_(*equal_before, _beyond(column, descending, value)))
    return or_(*alternatives)


def _beyond(column: Any, descending: bool, value: Any) -> ColumnElement[bool]:
    if value is None:  # NULL is the largest value
        return column.is_not(None) if descending else false()
    bound = literal(value, column.type)
    return column < bound if descending else or_(column > bound, column.is_(None))


def select_page(connection: Connection, layer: Layer, query: ItemsQuery) -> FeaturePage:
    """Count and fetch one keyset page in one statement; PostGIS writes the JSON.

    The features arrive as UTF-8 bytes (`json_as_bytes`) and go out as they came: a page of
    thousands of features is never decoded or re-encoded here.
    """
    backward = bool(query.cursor and query.cursor.backward)
    keys = _order(layer, query.sort, backward)
    clauses = where(layer, query)
    page = _page_rows(layer, query, keys, clauses)
    shown = page.c.rn <= query.limit
    display = page.c.rn.desc() if backward else page.c.rn
    features = func.json_agg(aggregate_order_by(page.c.feature, display)).filter(shown)
    statement = select(
        func.coalesce(features, func.json_build_array()),
        func.count().filter(shown),
        func.count(),
        _key_at(page, len(keys), 1),
        _key_at(page, len(keys), query.limit),
        _number_matched(layer, clauses, query),
    )
    row = connection.execute(statement.execution_options(json_as_bytes=True)).one()
    features_json, returned, fetched, nearest, farthest, number_matched = row
    # Rows are numbered from the cursor outwards; a backward page is shown reversed.
    first, last = (farthest, nearest) if backward else (nearest, farthest)
    beyond_page = fetched > query.limit
    return FeaturePage(
        features_json,
        returned,
        number_matched,
        _json(first),
        _json(last),
        more_before=beyond_page if backward else query.cursor is not None,
        more_after=True if backward else beyond_page,
    )


def _page_rows(
    layer: Layer,
    query: ItemsQuery,
    keys: list[tuple[Any, bool]],
    clauses: list[ColumnElement[bool]],
) -> Any:
    """The page's rows (one extra, to know whether more follow) with their sort keys."""
    columns = [
        feature_json(layer, query.properties, query.crs).label("feature"),
        *(column.label(f"key{i}") for i, (column, _) in enumerate(keys)),
    ]
    branches = _after_branches(keys, query.cursor.values) if query.cursor else [[]]
    selects = [
        select(*columns).where(*clauses, *extra).order_by(*_order_by(keys)).limit(query.limit + 1)
        for extra in branches
    ]
    if len(selects) == 1:
        rows, row_keys = selects[0], keys
    else:
        union = union_all(*selects).subquery()
        rows = select(union)
        row_keys = [(union.c[f"key{i}"], descending) for i, (_, descending) in enumerate(keys)]
    order_by = _order_by(row_keys)
    return (
        rows.add_columns(func.row_number().over(order_by=order_by).label("rn"))
        .order_by(None)
        .order_by(*order_by)
        .limit(query.limit + 1)
        .cte("page")
    )


def _order_by(keys: list[tuple[Any, bool]]) -> list[Any]:
    return [c.desc().nulls_first() if d else c.asc().nulls_last() for c, d in keys]


def _after_branches(keys: list[tuple[Any, bool]], values: list[Any]) -> list[list[Any]]:
    """Rows after the cursor, as conditions an index on the leading sort key can seek to.

    `_after` alone is an OR no index serves: PostgreSQL would read the index from its start
    and filter, so page 5,000 would read 500,000 rows. A range bound on the leading key lets
    it start at the cursor: `key <= value` when descending (NULLs come first), `key >= value`
    when ascending, where NULLs come last and so are a second branch of their own.
    """
    after = _after(keys, values)
    (column, descending), value = keys[0], values[0]
    if value is None:
        return [[after] if descending else [column.is_(None), after]]
    bound = literal(value, column.type)
    if descending:
        return [[column <= bound, after]]
    return [[column >= bound, after], [column.is_(None), after]]


def _key_at(page: Any, size: int, number: int) -> ColumnElement[Any]:
    """The sort key of row `number` as JSON text (NULL when the page is shorter).

    Links need only the keys of the first and the last row shown: nothing is built per row.
    """
    key = cast(func.json_build_array(*(page.c[f"key{i}"] for i in range(size))), String)
    return func.min(key).filter(page.c.rn == number)


def _number_matched(
    layer: Layer, clauses: list[ColumnElement[bool]], query: ItemsQuery
) -> ColumnElement[Any]:
    """numberMatched on first pages only, and counted only when the page did not hold it all.

    A separate count is the price of a first page; PostgreSQL runs the scalar subquery only
    when the CASE needs it, so a page that holds every match costs no second scan. Pages
    after a cursor leave it out (the standard makes it optional), so deep pages stay cheap.
    """
    if query.cursor is not None:
        return null()
    total = select(func.count()).select_from(layer.table).where(*clauses).scalar_subquery()
    return case((func.count() <= query.limit, func.count()), else_=total)


def _json(text: str | None) -> list[Any] | None:
    return json.loads(text) if text else None


def select_feature(
    connection: Connection, layer: Layer, feature_id: str, crs: OutputCrs = CRS84
) -> str | None:
    """One feature as GeoJSON text, or None (an id of the wrong type is simply not found)."""
    try:
        value = typed_value(layer.id_column, "featureId", feature_id)
    except InvalidParameter:
        return None
    return connection.scalar(
        select(cast(feature_json(layer, layer.definition.properties, crs), String)).where(
            *layer.fixed_filter, layer.id_column == literal(value, layer.id_column.type)
        )
    )


def select_extent(
    connection: Connection, layer: Layer
) -> tuple[list[float] | None, list[str | None] | None]:
    """Spatial extent (CRS84) and temporal extent of the layer's rows."""
    geometry = (
        layer.geom if layer.definition.source.srid == 4326 else func.ST_Transform(layer.geom, 4326)
    )
    extent = func.ST_Extent(geometry)
    time_column = layer.datetime_column
    columns = [
        func.ST_XMin(extent),
        func.ST_YMin(extent),
        func.ST_XMax(extent),
        func.ST_YMax(extent),
    ]
    if time_column is not None:
        columns += [func.min(time_column), func.max(time_column)]
    row = connection.execute(
        select(*columns).select_from(layer.table).where(*layer.fixed_filter)
    ).one()
    bbox = [round(float(v), 7) for v in row[:4]] if row[0] is not None else None
    interval = None
    if time_column is not None:
        interval = [v.isoformat() if v else None for v in row[4:6]]
    return bbox, interval
