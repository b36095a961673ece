"""OGC API - Features Part 3 `filter`: CQL2 text or JSON → SQLAlchemy, values always bound.

Parsing and validation are the `cql2` library's; this module walks the CQL2-JSON tree it
returns and allows only the layer's queryables and its geometry as properties. Every value
of the filter is a named parameter (`cql0`, `cql1`, … in the order of the walk), so filters
of one shape share one built statement and differ only in their values.
"""

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from itertools import accumulate
from typing import Any

import cql2
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    String,
    and_,
    bindparam,
    func,
    literal_column,
    not_,
    or_,
    true,
)
from sqlalchemy.types import TypeEngine

from geoapi.catalog.registry import Layer
from geoapi.errors import InvalidParameter
from geoapi.features.values import typed_value

CRS84 = {None, "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84", "OGC:CRS84"}
COMPARISONS = {
    "=": "__eq__",
    "<>": "__ne__",
    "<": "__lt__",
    "<=": "__le__",
    ">": "__gt__",
    ">=": "__ge__",
}
SPATIAL = {
    "s_intersects": "ST_Intersects",
    "s_within": "ST_Within",
    "s_contains": "ST_Contains",
    "s_disjoint": "ST_Disjoint",
    "s_equals": "ST_Equals",
    "s_touches": "ST_Touches",
    "s_crosses": "ST_Crosses",
    "s_overlaps": "ST_Overlaps",
}
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
METRES = {"meters": 1.0, "metres": 1.0, "m": 1.0, "kilometers": 1000.0, "km": 1000.0}
GEOMETRY_NAMES = {"geometry", "geom"}
DEGREE_METRES = 111_320.0  # metres per degree of latitude: a safe bound for index pre-filters
CRS84_SRID: ColumnElement[int] = literal_column("4326")


TEXT_STRINGS = re.compile(r"'(?:[^']|'')*'")  # CQL2 text literals ('' escapes a quote)
JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
NOT_WORD = re.compile(r"\bnot\b", re.IGNORECASE)
BRACKETS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def check_bounds(text: str, lang: str | None, max_chars: int, max_depth: int) -> None:
    """400 for a filter longer than `max_chars` or nested deeper than `max_depth`, checked on
    the text before any parser sees it (the parser recurses per level; a few thousand levels
    crash it).

    Depth counts brackets outside string literals, and each NOT of CQL2 text (it nests its
    operand without brackets); a CQL2-JSON level is two brackets (`{"op": …, "args": [`).
    """
    if len(text) > max_chars:
        raise InvalidParameter(f"filter has {len(text):,} characters; at most {max_chars:,}")
    if lang == "cql2-json":
        bare = JSON_STRINGS.sub('""', text)
        depth = (_bracket_depth(bare) + 1) // 2
    else:
        bare = TEXT_STRINGS.sub("''", text)
        depth = _bracket_depth(bare) + len(NOT_WORD.findall(bare))
    if depth > max_depth:
        raise InvalidParameter(
            f"filter is nested {depth} levels deep (brackets and NOTs); at most {max_depth}"
        )


def _bracket_depth(text: str) -> int:
    return max(accumulate(BRACKETS[c] for c in text if c in BRACKETS), default=0)


def parse_filter(text: str, lang: str | None, crs: str | None) -> dict[str, Any]:
    """Parse `filter` (cql2-text by default) into CQL2-JSON; callers bound it first
    (`check_bounds`).

    `Expr.validate()` (JSON Schema) is not called: it costs ~30 ms a request, and `to_sql`
    refuses every shape it does not know with a 400 anyway.
    """
    if crs not in CRS84:
        raise InvalidParameter(f"filter-crs {crs!r} is not supported; geometries are CRS84")
    try:
        if lang in (None, "cql2-text"):
            expression = cql2.parse_text(text)
        elif lang == "cql2-json":
            expression = cql2.parse_json(text)
        else:
            raise InvalidParameter(f"filter-lang {lang!r}: use cql2-text or cql2-json")
    except (cql2.ParseError, cql2.ValidationError, ValueError) as exc:
        raise InvalidParameter(f"filter is not valid {lang or 'cql2-text'}: {exc}") from exc
    tree = expression.to_json()
    return tree if isinstance(tree, dict) else {"op": "=", "args": [tree, True]}


class Values(dict[str, Any]):
    """A filter's values by parameter name, named in the order they are bound."""

    def bind(
        self, value: Any, type_: TypeEngine[Any] | type[TypeEngine[Any]]
    ) -> BindParameter[Any]:
        """A parameter holding `value`, named after the values bound before it."""
        name = f"cql{len(self)}"
        self[name] = value
        return bindparam(name, type_=type_)


def to_sql(layer: Layer, node: Any) -> tuple[ColumnElement[bool], Values]:
    """Translate a CQL2-JSON predicate into a clause and the values of its parameters;
    a malformed one (wrong arguments) is a 400."""
    values = Values()
    try:
        return _predicate(layer, node, values), values
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise InvalidParameter(f"filter: malformed expression ({exc})") from exc


def shape_key(clause: ColumnElement[bool], values: Mapping[str, Any]) -> Any | None:
    """What the SQL of `clause` depends on, its values left out (SQLAlchemy's own cache key);
    None when a value in it is not one of `values`: its statement then serves it alone."""
    key = clause._generate_cache_key()
    if key is None or any(parameter.key not in values for parameter in key.bindparams):
        return None
    return key.key


def _predicate(layer: Layer, node: Any, values: Values) -> ColumnElement[bool]:
    if isinstance(node, bool):
        return true() if node else not_(true())
    if not isinstance(node, dict) or "op" not in node:
        raise InvalidParameter(f"filter: {json.dumps(node)[:80]} is not a predicate")
    op, args = str(node["op"]).lower(), node.get("args", [])
    if op in ("and", "or"):
        parts = [_predicate(layer, a, values) for a in args]
        return and_(*parts) if op == "and" else or_(*parts)
    if op == "not":
        return not_(_predicate(layer, args[0], values))
    if op in COMPARISONS:
        left, right = args
        if _is_property(right) and not _is_property(left):  # `5 < severity`
            left, right, op = right, left, FLIPPED.get(op, op)
        column = _property(layer, left)
        return getattr(column, COMPARISONS[op])(_value(column, right, values))
    if op == "like":
        column = _property(layer, args[0])
        return column.like(values.bind(str(args[1]), String))
    if op == "in":
        column = _property(layer, args[0])
        return column.in_([_value(column, v, values) for v in args[1]])
    if op == "between":
        column = _property(layer, args[0])
        return column.between(_value(column, args[1], values), _value(column, args[2], values))
    if op == "isnull":
        return _property(layer, args[0]).is_(None)
    if op in SPATIAL:
        return getattr(func, SPATIAL[op])(*(_geometry(layer, a, values) for a in args))
    if op == "s_dwithin":
        return _dwithin(layer, args, values)
    if op.startswith("t_"):
        return _temporal(layer, op, args, values)
    raise InvalidParameter(f"filter: operator {node['op']!r} is not supported")


def _property(layer: Layer, node: Any) -> Any:
    if not (isinstance(node, dict) and "property" in node):
        raise InvalidParameter(f"filter: expected a property, got {json.dumps(node)[:80]}")
    name = node["property"]
    if name not in layer.definition.queryable_names:
        raise InvalidParameter(
            f"filter: {name!r} is not a queryable of {layer.id!r}; "
            f"allowed: {', '.join(layer.definition.queryable_names)}"
        )
    return layer.column(name)


def _is_property(node: Any) -> bool:
    return isinstance(node, dict) and "property" in node


def _value(column: Any, value: Any, values: Values) -> Any:
    """A value bound with the column's type; a wrong type is a 400, not a database error."""
    if isinstance(value, dict):
        value = value.get("timestamp") or value.get("date")
        if value is None:
            raise InvalidParameter("filter: compare a property with a literal value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if isinstance(value, str) else json.dumps(value)
    return values.bind(typed_value(column, column.name, text), column.type)


def _geometry(layer: Layer, node: Any, values: Values) -> Any:
    if isinstance(node, dict) and node.get("property") in GEOMETRY_NAMES:
        return layer.geom
    if isinstance(node, dict) and "bbox" in node:
        corners = (values.bind(float(v), Float) for v in node["bbox"][:4])
        return func.ST_MakeEnvelope(*corners, CRS84_SRID)
    if isinstance(node, dict) and "type" in node:
        geojson = values.bind(json.dumps(node), String)
        return func.ST_SetSRID(func.ST_GeomFromGeoJSON(geojson), CRS84_SRID)
    raise InvalidParameter(f"filter: {json.dumps(node)[:80]} is not a geometry")


def _dwithin(layer: Layer, args: list[Any], values: Values) -> ColumnElement[bool]:
    """Distance in metres on the spheroid, with a bounding-box pre-filter the index can use."""
    geometry, target = _geometry(layer, args[0], values), _geometry(layer, args[1], values)
    unit = (
        args[3].get("property", "meters")
        if len(args) > 3 and isinstance(args[3], dict)
        else (args[3] if len(args) > 3 else "meters")
    )
    if str(unit).lower() not in METRES:
        raise InvalidParameter(f"filter: S_DWITHIN unit {unit!r}; use meters or kilometers")
    metres = float(args[2]) * METRES[str(unit).lower()]
    margin = values.bind(2 * metres / DEGREE_METRES, Float)
    near = geometry.op("&&")(func.ST_Expand(target, margin))
    distance = values.bind(metres, Float)
    return and_(near, func.ST_DWithin(func.geography(geometry), func.geography(target), distance))


def _instant_or_interval(node: Any) -> tuple[datetime | date | str | None, ...]:
    if isinstance(node, dict) and "interval" in node:
        start, end = node["interval"]
        return tuple(
            None
            if v == ".."
            else (v.get("timestamp") or v.get("date"))
            if isinstance(v, dict)
            else v
            for v in (start, end)
        )
    if isinstance(node, dict):
        value = node.get("timestamp") or node.get("date")
        return value, value
    return node, node


def _temporal(layer: Layer, op: str, args: list[Any], values: Values) -> ColumnElement[bool]:
    """T_BEFORE, T_AFTER, T_DURING, T_EQUALS, T_INTERSECTS of an instant property."""
    column = _property(layer, args[0])
    start, end = (
        None if v is None else _value(column, v, values) for v in _instant_or_interval(args[1])
    )
    if op == "t_before" and start is not None:
        return column < start
    if op == "t_after" and end is not None:
        return column > end
    if op in ("t_during", "t_intersects", "t_equals"):
        low = column >= start if start is not None else true()
        high = column <= end if end is not None else true()
        return and_(low, high, column.is_not(None))
    raise InvalidParameter(f"filter: temporal operator {op.upper()!r} is not supported")
