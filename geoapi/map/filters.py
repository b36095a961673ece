"""The map's query-string filters, checked once and turned into bound SQL for issues and points."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import Connection

from geoapi import areas
from geoapi.auth.principal import Principal
from geoapi.errors import InvalidParameter
from geoapi.instants import Instant
from geoapi.issues.states import STATUSES
from geoapi.reference import queries as reference_queries
from geoapi.vocabulary import ISSUE_SOURCES


@dataclass(frozen=True)
class MapFilters:
    """What the map shows: every field optional, all of them ANDed."""

    area: str | None = None
    category: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None

    def describe(self) -> str:
        """The filter in force, for the page title ('all' when none)."""
        parts = [
            f"{name}={value if isinstance(value, str) else ','.join(value)}"
            for name, value in (
                ("area", self.area),
                ("category", self.category),
                ("type", self.type),
                ("source", self.source),
                ("status", self.status),
            )
            if value
        ]
        parts += [f"since {self.since:%Y-%m-%d}"] if self.since else []
        parts += [f"until {self.until:%Y-%m-%d}"] if self.until else []
        return "; ".join(parts) or "all"


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _known(name: str, values: list[str], allowed: tuple[str, ...] | set[str]) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise InvalidParameter(f"{name}: unknown {unknown}; known: {', '.join(sorted(allowed))}")
    return values


def map_filters(
    area: Annotated[str | None, Query(description="Area code at any level")] = None,
    category: Annotated[str | None, Query(description="Point categories, comma-separated")] = None,
    type: Annotated[str | None, Query(description="Issue types, comma-separated")] = None,  # noqa: A002
    source: Annotated[str | None, Query(description="Issue sources, comma-separated")] = None,
    status: Annotated[str | None, Query(description="Issue states, comma-separated")] = None,
    since: Annotated[Instant | None, Query(description="Reported on or after")] = None,
    until: Annotated[Instant | None, Query(description="Reported on or before")] = None,
) -> MapFilters:
    """Parse the filters; vocabularies checked here, codes against the database later."""
    if since and until and since > until:
        raise InvalidParameter(f"since ({since:%Y-%m-%d}) is after until ({until:%Y-%m-%d})")
    return MapFilters(
        area=area,
        category=_list(category),
        type=_list(type),
        source=_known("source", _list(source), ISSUE_SOURCES),
        status=_known("status", _list(status), STATUSES),
        since=since,
        until=until,
    )


MapFiltersDep = Annotated[MapFilters, Depends(map_filters)]


@dataclass(frozen=True)
class Where:
    """Bound SQL predicates for issues (`i.`) and points (`p.`), the caller's scope included."""

    issues: str
    points: str
    params: dict[str, Any]
    area_name: str
    area_id: int | None = None  # the area the map opens on: the filter's, else the caller's


def where(
    connection: Connection, filters: MapFilters, principal: Principal, timezone: str
) -> Where:
    """The filters as SQL; unknown area, category or type codes are 400. `:tz` is bound to
    `timezone` (the local days and weeks the map shows)."""
    issues: list[str] = []
    points: list[str] = []
    params: dict[str, Any] = {"tz": timezone}
    area_name = "全域 (whole district)"
    if filters.area:
        area = areas.resolve(connection, filters.area)
        issues.append(f"i.{area.column} = :area_id")
        points.append(f"p.{area.column} = :area_id")
        params["area_id"], area_name = area.id, area.name
        view_area: int | None = area.id
    elif principal.role == "inspector" and principal.area_code is not None:  # its own area
        own = areas.resolve(connection, principal.area_code)
        view_area, area_name = own.id, f"{own.name}（本人范围 your area）"
    else:
        view_area = None
    if filters.category:
        known = set(reference_queries.codes(connection, "categories"))
        params["categories"] = _known("category", filters.category, known)
        points.append("p.category = ANY(:categories)")
        # the same filter on every layer: problems found at points of those categories
        issues.append(
            "EXISTS (SELECT FROM points q WHERE q.id = i.point_id "
            "AND q.category = ANY(:categories))"
        )
    if filters.type:
        known = set(reference_queries.codes(connection, "issue_types"))
        params["types"] = _known("type", filters.type, known)
        issues.append("i.type = ANY(:types)")
    for column, values, name in (
        ("source", filters.source, "sources"),
        ("status", filters.status, "states"),
    ):
        if values:
            issues.append(f"i.{column} = ANY(:{name})")
            params[name] = values
    if filters.since:
        issues.append("i.reported_at >= :since")
        params["since"] = filters.since
    if filters.until:
        issues.append("i.reported_at <= :until")
        params["until"] = filters.until
    issue_scope, scope_params = principal.scope_sql("i.")
    point_scope, _ = principal.scope_sql("p.")
    params |= scope_params
    return Where(
        " AND ".join([*issues, issue_scope]),
        " AND ".join([*points, point_scope]),
        params,
        area_name,
        view_area,
    )
