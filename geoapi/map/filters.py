"""The map's query-string filters, checked once and turned into bound SQL for issues and points."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, Query
from sqlalchemy import Connection

from geoapi import areas
from geoapi.auth.principal import Principal
from geoapi.errors import InvalidParameter
from geoapi.instants import Instant
from geoapi.issues.states import STATUSES, open_sql
from geoapi.reference import queries as reference_queries
from geoapi.vocabulary import ISSUE_SOURCES

OPEN = open_sql("i")  # the problems open now, as the map's statements spell them


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
    unit: list[str] = field(default_factory=list)
    problems: str = "open"  # the heat and choropleths: "open" now, or all "found" in the period

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
                ("unit", self.unit),
            )
            if value
        ]
        parts += [f"since {self.since:%Y-%m-%d}"] if self.since else []
        parts += [f"until {self.until:%Y-%m-%d}"] if self.until else []
        parts += ["problems=found"] if self.problems == "found" else []
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
    unit: Annotated[
        str | None, Query(description="Responsible units (codes), comma-separated")
    ] = None,
    problems: Annotated[
        Literal["open", "found"],
        Query(
            description="What the heat map and choropleths count: problems open now, or every "
            "problem found (reported in since/until) whatever its state"
        ),
    ] = "open",
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
        unit=_list(unit),
        problems=problems,
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
    drawn: str = OPEN  # which of the filtered problems the heat map and choropleths count
    area_column: str | None = None  # the area filter's column (street_id …), if one is set

    @property
    def counts_open(self) -> bool:
        """The heat map and choropleths count open problems (else every one reported)."""
        return self.drawn == OPEN


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    """A time without an offset is the office's local time, as a planner means it."""
    return value if value.tzinfo else value.replace(tzinfo=zone)


def where(
    connection: Connection, filters: MapFilters, principal: Principal, timezone: str
) -> Where:
    """The filters as SQL; unknown area, category or type codes are 400. `:tz` is bound to
    `timezone` (the local days and weeks the map shows)."""
    issues: list[str] = []
    points: list[str] = []
    params: dict[str, Any] = {"tz": timezone}
    area_name = "全域 (whole district)"
    area_column: str | None = None
    if filters.area:
        area = areas.resolve(connection, filters.area)
        issues.append(f"i.{area.column} = :area_id")
        points.append(f"p.{area.column} = :area_id")
        params["area_id"], area_name = area.id, area.name
        view_area: int | None = area.id
        area_column = area.column
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
    if filters.unit:
        known = set(reference_queries.codes(connection, "units"))
        params["units"] = _known("unit", filters.unit, known)
        issues.append("i.unit_code = ANY(:units)")  # the unit a problem is sent to …
        points.append("p.unit_code = ANY(:units)")  # … and the unit a point belongs to
    zone = ZoneInfo(timezone)
    if filters.since:
        issues.append("i.reported_at >= :since")
        params["since"] = _local(filters.since, zone)
    if filters.until:
        # A date alone (2026-11-16) means that whole local day; a time means that instant.
        whole_day = filters.until.tzinfo is None and filters.until.time() == time(0)
        issues.append("i.reported_at < :until" if whole_day else "i.reported_at <= :until")
        params["until"] = _local(filters.until, zone) + timedelta(days=whole_day)
    issue_scope, scope_params = principal.scope_sql("i.")
    point_scope, _ = principal.scope_sql("p.")
    params |= scope_params
    return Where(
        " AND ".join([*issues, issue_scope]),
        " AND ".join([*points, point_scope]),
        params,
        area_name,
        view_area,
        OPEN if filters.problems == "open" else "TRUE",
        area_column,
    )
