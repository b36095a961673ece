"""The features' only SQL: pages, single features, extents — GeoJSON text built by PostGIS."""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by

from geoapi.catalog.registry import Layer
from geoapi.errors import InvalidParameter
from geoapi.features import cql
from geoapi.features.crs import CRS84, OutputCrs
from geoapi.features.params import BBox, Interval, ItemsQuery, SortKey
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
# The page size, and the rows fetched for a page (one more: do more follow?).
_LIMIT, _FETCH = bindparam("limit", type_=Integer), bindparam("fetch", type_=Integer)
_AS_BYTES = {"text_as_bytes": True}  # text columns arrive as UTF-8 bytes: see db.engine


def feature_json(layer: Layer, properties: list[str], crs: OutputCrs = CRS84) -> ColumnElement[Any]:
    """A GeoJSON Feature built by PostGIS, geometry in `crs` with its axis order.

    Rendered to SQL once per layer, property list and CRS: the expression has two elements
    per property, and a CQL2 request (whose statement is built each time) would otherwise
    build it anew. Every identifier in it comes from the catalog, every constant from the code.
    """

    def render() -> str:
        expression = _feature_expression(layer, properties, crs)
        return str(expression.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))

    sql = layer.statements.get(("feature_json", tuple(properties), crs), render)
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


@dataclass(frozen=True)
class PageShape:
    """What the SQL of a page depends on; the request's values are bound to it by name.

    Requests of one shape (bbox pages of a layer panned across a map, say) share one built
    statement: see `geoapi.db.statements`.
    """

    scope: tuple[Any, ...]
    properties: tuple[str, ...]
    crs: OutputCrs
    sort: tuple[SortKey, ...]
    backward: bool
    cursor_nulls: tuple[bool, ...] | None  # which cursor values are NULL; None: first page
    bbox: bool
    interval: str | None  # "instant", "from", "until" or "between"
    filters: tuple[str, ...]


def _page_shape(layer: Layer, query: ItemsQuery) -> PageShape:
    """The shape of `query`'s page on `layer`."""
    cursor = query.cursor
    if cursor is not None and len(cursor.values) != len(query.sort) + 1:
        raise InvalidParameter("cursor does not belong to this sort order")
    return PageShape(
        layer.scope_key,
        tuple(query.properties),
        query.crs,
        tuple(query.sort),
        bool(cursor and cursor.backward),
        tuple(v is None for v in cursor.values) if cursor else None,
        query.bbox is not None,
        _interval_shape(layer, query.interval),
        tuple(query.filters),
    )


def _interval_shape(layer: Layer, interval: Interval | None) -> str | None:
    if interval is None:
        return None
    if layer.datetime_column is None:
        raise InvalidParameter(f"datetime: collection {layer.id!r} has no temporal property")
    start, end = interval
    if start is not None and start == end:
        return "instant"
    return "between" if start and end else "from" if start else "until"


def _page_values(layer: Layer, query: ItemsQuery) -> dict[str, Any]:
    """The request's values for the named parameters of its page statement."""
    values: dict[str, Any] = {"limit": query.limit, "fetch": query.limit + 1}
    if query.bbox:
        values |= query.bbox._asdict()
    if query.interval:
        values |= {k: v for k, v in query.interval._asdict().items() if v is not None}
    for i, (name, value) in enumerate(query.filters.items()):
        values[f"filter{i}"] = typed_value(layer.column(name), name, value)
    if query.cursor:
        values |= {f"after{i}": v for i, v in enumerate(query.cursor.values) if v is not None}
    return values


def _where(
    layer: Layer, shape: PageShape, cql_clause: ColumnElement[bool] | None
) -> list[ColumnElement[bool]]:
    """A page's filters: values are named parameters, identifiers come from the catalog."""
    clauses = list(layer.fixed_filter)
    if shape.bbox:
        # Transform the envelope, not the column, so the GiST index on geom is used.
        corners = (bindparam(name, type_=Float) for name in BBox._fields)
        envelope = func.ST_MakeEnvelope(*corners, 4326)
        if layer.definition.source.srid != 4326:
            envelope = func.ST_Transform(envelope, layer.definition.source.srid)
        clauses.append(func.ST_Intersects(layer.geom, envelope))
    if shape.interval:
        clauses.append(_in_interval(layer.datetime_column, shape.interval))
    if cql_clause is not None:
        clauses.append(cql_clause)
    for i, name in enumerate(shape.filters):
        column = layer.column(name)
        clauses.append(column == bindparam(f"filter{i}", type_=column.type))
    return clauses


def _in_interval(column: Any, shape: str) -> ColumnElement[bool]:
    start, end = bindparam("start", type_=column.type), bindparam("end", type_=column.type)
    if shape == "instant":
        return column == start
    bounds = [column.is_not(None)]
    if shape in ("from", "between"):
        bounds.append(column >= start)
    if shape in ("until", "between"):
        bounds.append(column <= end)
    return and_(*bounds)


def _order(layer: Layer, shape: PageShape) -> list[tuple[Any, bool]]:
    """Sort columns with directions; the id breaks ties so keyset paging is exact."""
    keys = [(layer.column(k.name), k.descending != shape.backward) for k in shape.sort]
    return [*keys, (layer.id_column, shape.backward)]


def _after(keys: list[tuple[Any, bool]], nulls: tuple[bool, ...]) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the order `keys` (NULLs sort last, as in PostgreSQL).

    `nulls` says which cursor values are NULL; the others are the parameters `after{i}`.
    """
    alternatives = []
    for i, (column, descending) in enumerate(keys):
        equal_before = [
            c.is_(None) if null else c == _cursor_value(j, c)
            for j, ((c, _), null) in enumerate(zip(keys[:i], nulls[:i], strict=True))
        ]
        if nulls[i]:  # NULL is the largest value
            if not descending:
                continue
            beyond = column.is_not(None)
        else:
            bound = _cursor_value(i, column)
            beyond = column < bound if descending else or_(column > bound, column.is_(None))
        alternatives.append(and_(*equal_before, beyond))
    return or_(*alternatives) if alternatives else false()


def _cursor_value(i: int, column: Any) -> Any:
    return bindparam(f"after{i}", type_=column.type)


def select_page(connection: Connection, layer: Layer, query: ItemsQuery) -> FeaturePage:
    """Count and fetch one keyset page in one statement; PostGIS writes the JSON.

    The features arrive as UTF-8 bytes (`text_as_bytes`) and go out as they came: a page of
    thousands of features is never decoded or re-encoded here. The statement is built once
    per shape, a CQL2 filter's shape included.
    """
    shape = _page_shape(layer, query)
    statement, filter_values = _statement_of(layer, shape, query)
    values = _page_values(layer, query) | filter_values
    row = connection.execute(statement, values, execution_options=_AS_BYTES).one()
    features_json, returned, fetched, nearest, farthest, number_matched = row
    # Rows are numbered from the cursor outwards; a backward page is shown reversed.
    first, last = (farthest, nearest) if shape.backward else (nearest, farthest)
    beyond_page = fetched > query.limit
    return FeaturePage(
        features_json,
        returned,
        number_matched,
        _json(first),
        _json(last),
        more_before=beyond_page if shape.backward else query.cursor is not None,
        more_after=True if shape.backward else beyond_page,
    )


def _statement_of(layer: Layer, shape: PageShape, query: ItemsQuery) -> tuple[Any, dict[str, Any]]:
    """The page statement of `shape` and of the filter's shape (a CQL2 filter's, or a
    predicate built in code), from the layer's cache, with the filter's values."""
    if query.where is not None:
        clause, values = query.where
    elif query.cql is not None:
        clause, values = cql.to_sql(layer, query.cql)
    else:
        return layer.statements.get(shape, lambda: _page_statement(layer, shape, None)), {}
    filter_shape = cql.shape_key(clause, values)
    if filter_shape is None:  # a value not bound by name: the statement is this request's own
        return _page_statement(layer, shape, clause), values
    key = (shape, filter_shape)
    return layer.statements.get(key, lambda: _page_statement(layer, shape, clause)), values


def _page_statement(layer: Layer, shape: PageShape, cql_clause: ColumnElement[bool] | None) -> Any:
    keys = _order(layer, shape)
    clauses = _where(layer, shape, cql_clause)
    page = _page_rows(layer, shape, keys, clauses)
    shown = page.c.rn <= _LIMIT
    display = page.c.rn.desc() if shape.backward else page.c.rn
    features = func.json_agg(aggregate_order_by(page.c.feature, display)).filter(shown)
    return select(
        cast(func.coalesce(features, func.json_build_array()), String),
        func.count().filter(shown),
        func.count(),
        _key_at(page, len(keys), 1),
        _key_at(page, len(keys), _LIMIT),
        _number_matched(layer, clauses, shape),
    )


def _page_rows(
    layer: Layer,
    shape: PageShape,
    keys: list[tuple[Any, bool]],
    clauses: list[ColumnElement[bool]],
) -> Any:
    """The page's rows (one extra, to know whether more follow) with their sort keys."""
    columns = [
        feature_json(layer, list(shape.properties), shape.crs).label("feature"),
        *(column.label(f"key{i}") for i, (column, _) in enumerate(keys)),
    ]
    branches = [[]] if shape.cursor_nulls is None else _after_branches(keys, shape.cursor_nulls)
    selects = [
        select(*columns).where(*clauses, *extra).order_by(*_order_by(keys)).limit(_FETCH)
        for extra in branches
    ]
    # Rows are numbered after the limit: a window over the filtered rows themselves would make
    # PostgreSQL sort every match (a map view's bbox may hold 50,000) instead of keeping the
    # first few in a top-N sort.
    rows = (selects[0] if len(selects) == 1 else union_all(*selects)).subquery()
    order_by = _order_by([(rows.c[f"key{i}"], d) for i, (_, d) in enumerate(keys)])
    return (
        select(rows, func.row_number().over(order_by=order_by).label("rn"))
        .order_by(*order_by)
        .limit(_FETCH)
        .cte("page")
    )


def _order_by(keys: list[tuple[Any, bool]]) -> list[Any]:
    return [c.desc().nulls_first() if d else c.asc().nulls_last() for c, d in keys]


def _after_branches(keys: list[tuple[Any, bool]], nulls: tuple[bool, ...]) -> list[list[Any]]:
    """Rows after the cursor, as conditions an index on the leading sort key can seek to.

    `_after` alone is an OR no index serves: PostgreSQL would read the index from its start
    and filter, so page 5,000 would read 500,000 rows. A range bound on the leading key lets
    it start at the cursor: `key <= value` when descending (NULLs come first), `key >= value`
    when ascending, where NULLs come last and so are a second branch of their own.
    """
    after = _after(keys, nulls)
    column, descending = keys[0]
    if nulls[0]:
        return [[after] if descending else [column.is_(None), after]]
    bound = _cursor_value(0, column)
    if descending:
        return [[column <= bound, after]]
    return [[column >= bound, after], [column.is_(None), after]]


def _key_at(page: Any, size: int, number: Any) -> ColumnElement[Any]:
    """The sort key of row `number` as JSON text (NULL when the page is shorter).

    Links need only the keys of the first and the last row shown: nothing is built per row.
    """
    key = cast(func.json_build_array(*(page.c[f"key{i}"] for i in range(size))), String)
    return func.min(key).filter(page.c.rn == number)


def _number_matched(
    layer: Layer, clauses: list[ColumnElement[bool]], shape: PageShape
) -> ColumnElement[Any]:
    """numberMatched on first pages only, and counted only when the page did not hold it all.

    A separate count is the price of a first page; PostgreSQL runs the scalar subquery only
    when the CASE needs it, so a page that holds every match costs no second scan. Pages
    after a cursor leave it out (the standard makes it optional), so deep pages stay cheap.
    """
    if shape.cursor_nulls is not None:
        return null()
    total = select(func.count()).select_from(layer.table).where(*clauses).scalar_subquery()
    return case((func.count() <= _LIMIT, func.count()), else_=total)


def _json(text: bytes | None) -> list[Any] | None:
    return json.loads(text) if text else None


def select_feature(
    connection: Connection, layer: Layer, feature_id: str, crs: OutputCrs = CRS84
) -> bytes | None:
    """One feature as GeoJSON (UTF-8), or None (an id of the wrong type is simply not found)."""
    try:
        value = typed_value(layer.id_column, "featureId", feature_id)
    except InvalidParameter:
        return None
    statement = layer.statements.get(
        ("feature", layer.scope_key, crs), lambda: _feature_statement(layer, crs)
    )
    return connection.scalar(statement, {"id": value}, execution_options=_AS_BYTES)


def _feature_statement(layer: Layer, crs: OutputCrs) -> Any:
    feature = cast(feature_json(layer, layer.definition.properties, crs), String)
    id_value = bindparam("id", type_=layer.id_column.type)
    return select(feature).where(*layer.fixed_filter, layer.id_column == id_value)


# A layer's spatial extent (CRS84 bbox) and temporal extent (ISO start, end); None: none.
Extent = tuple[list[float] | None, list[str | None] | None]


def select_extent(connection: Connection, layer: Layer) -> Extent:
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
