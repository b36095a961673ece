"""The map's query-string filters, checked once and built into one clause over problems and
one over points (SQLAlchemy expressions), which every layer, count, legend and title uses."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, Query
from sqlalchemy import BigInteger, ColumnElement, Connection, DateTime, Text, and_, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from geoapi import areas
from geoapi.auth.principal import Principal
from geoapi.db.clauses import columns_named, rendered
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
    """The filter rendered for the map's SQL text: a predicate on problems (`i.`) and one on
    points (`p.`), the caller's scope included, with their named parameters."""

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
    """The filters as one clause over problems and one over points, the caller's scope
    included (SQLAlchemy expressions over the columns, rendered for the map's statements);
    unknown area, category or type codes are 400. `:tz` is bound to `timezone` (the local
    days and weeks the map shows)."""
    issue, point = columns_named("i."), columns_named("p.")
    on_issues: list[ColumnElement[bool]] = [principal.scope(issue)]
    on_points: list[ColumnElement[bool]] = [principal.scope(point)]
    area_name = "全域 (whole district)"
    area_column: str | None = None
    view_area: int | None = None
    if filters.area:
        area = areas.resolve(connection, filters.area)
        area_id = bindparam("area_id", area.id, type_=BigInteger)
        on_issues.append(issue(area.column) == area_id)
        on_points.append(point(area.column) == area_id)
        view_area, area_name, area_column = area.id, area.name, area.column
    elif principal.role == "inspector" and principal.area_code is not None:  # its own area
        own = areas.resolve(connection, principal.area_code)
        view_area, area_name = own.id, f"{own.name}（本人范围 your area）"
    if filters.category:
        known = set(reference_queries.codes(connection, "categories"))
        categories = _any("categories", _known("category", filters.category, known))
        on_points.append(point("category") == categories)
        # The same filter on every layer: problems found at points of those categories (a
        # problem carries its point's category, kept by a trigger).
        on_issues.append(issue("category") == categories)
    if filters.type:
        known = set(reference_queries.codes(connection, "issue_types"))
        on_issues.append(issue("type") == _any("types", _known("type", filters.type, known)))
    if filters.source:
        on_issues.append(issue("source") == _any("sources", filters.source))
    if filters.status:
        on_issues.append(issue("status") == _any("states", filters.status))
    if filters.unit:
        known = set(reference_queries.codes(connection, "units"))
        units = _any("units", _known("unit", filters.unit, known))
        on_issues.append(issue("unit_code") == units)  # the unit a problem is sent to …
        on_points.append(point("unit_code") == units)  # … and the unit a point belongs to
    zone = ZoneInfo(timezone)
    if filters.since:
        since = _local(filters.since, zone)
        on_issues.append(issue("reported_at") >= bindparam("since", since, type_=INSTANT))
    if filters.until:
        # A date alone (2026-11-16) means that whole local day; a time means that instant.
        whole_day = filters.until.tzinfo is None and filters.until.time() == time(0)
        until = bindparam(
            "until", _local(filters.until, zone) + timedelta(days=whole_day), type_=INSTANT
        )
        reported = issue("reported_at")
        on_issues.append(reported < until if whole_day else reported <= until)
    issues_sql, issue_params = rendered(and_(*on_issues))
    points_sql, point_params = rendered(and_(*on_points))
    return Where(
        issues_sql,
        points_sql,
        {"tz": timezone} | issue_params | point_params,
        area_name,
        view_area,
        OPEN if filters.problems == "open" else "TRUE",
        area_column,
    )


INSTANT = DateTime(timezone=True)


def _any(name: str, values: list[str]) -> ColumnElement[Any]:
    """`= ANY(:name)` with `values` as one array parameter: one statement for any count."""
    return any_(bindparam(name, values, type_=ARRAY(Text)))
