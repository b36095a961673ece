"""`GET /issues` filters, as one clause over the `issues` layer's columns, so the features
engine pages them (no detour through CQL2)."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import BindParameter, ColumnElement, Connection, and_, bindparam, not_

from geoapi import areas
from geoapi.catalog.registry import Layer
from geoapi.errors import InvalidParameter
from geoapi.issues import queries
from geoapi.issues.states import STATUSES, is_overdue
from geoapi.vocabulary import ISSUE_SOURCES


class IssueFilters(BaseModel):
    """The domain filters of the issue list."""

    status: list[str] = []
    type: str | None = None
    source: str | None = None
    area: str | None = None
    unit: str | None = None
    point: str | None = None
    overdue: bool | None = None
    reported_since: datetime | None = None
    reported_until: datetime | None = None


def issue_filters(
    status: Annotated[str | None, Query(description="Comma-separated states")] = None,
    type: Annotated[str | None, Query(description="Issue type code")] = None,  # noqa: A002
    source: Annotated[str | None, Query(description="inspection, citizen, camera, …")] = None,
    area: Annotated[str | None, Query(description="Area code at any level")] = None,
    unit: Annotated[str | None, Query(description="Responsible unit code")] = None,
    point: Annotated[str | None, Query(description="Point code")] = None,
    overdue: Annotated[bool | None, Query(description="Past the deadline, still open")] = None,
    reported_since: datetime | None = None,
    reported_until: datetime | None = None,
) -> IssueFilters:
    """Parse and check the list's query parameters."""
    states = [s.strip() for s in status.split(",")] if status else []
    unknown = [s for s in states if s not in STATUSES]
    if unknown:
        raise InvalidParameter(f"status: unknown {unknown}; known: {', '.join(STATUSES)}")
    if source is not None and source not in ISSUE_SOURCES:
        raise InvalidParameter(f"source: unknown {source!r}; known: {', '.join(ISSUE_SOURCES)}")
    return IssueFilters(
        status=states,
        type=type,
        source=source,
        area=area,
        unit=unit,
        point=point,
        overdue=overdue,
        reported_since=reported_since,
        reported_until=reported_until,
    )


IssueFiltersDep = Annotated[IssueFilters, Depends(issue_filters)]


def as_predicate(
    connection: Connection, layer: Layer, filters: IssueFilters, now: datetime
) -> tuple[ColumnElement[bool], dict[str, Any]] | None:
    """The filters as one clause over the `issues` layer's columns, with named parameters
    (codes resolved to ids here; the shape of the clause, not its values, keys the cached
    statement); None: no filter."""
    terms: list[ColumnElement[bool]] = []
    values: dict[str, Any] = {}

    def bound(name: str, value: Any, expanding: bool = False) -> BindParameter[Any]:
        key = f"issues_{name}"
        values[key] = value
        return bindparam(key, expanding=expanding, type_=layer.column(name.split("__")[0]).type)

    if filters.status:
        terms.append(layer.column("status").in_(bound("status", filters.status, expanding=True)))
    for name, value in (
        ("type", filters.type),
        ("source", filters.source),
        ("unit_code", filters.unit),
    ):
        if value is not None:
            terms.append(layer.column(name) == bound(name, value))
    if filters.area is not None:
        area = areas.resolve(connection, filters.area)
        terms.append(layer.column(area.column) == bound(area.column, area.id))
    if filters.point is not None:
        point = queries.point_by_code(connection, filters.point)
        if point is None:
            raise InvalidParameter(f"point: no point {filters.point!r}")
        terms.append(layer.column("point_id") == bound("point_id", point["id"]))
    if filters.overdue is not None:
        late = is_overdue(
            layer.column("status"), layer.column("deadline"), bound("deadline__now", now)
        )
        terms.append(late if filters.overdue else not_(late))
    if filters.reported_since is not None:
        since = bound("reported_at__since", filters.reported_since)
        terms.append(layer.column("reported_at") >= since)
    if filters.reported_until is not None:
        until = bound("reported_at__until", filters.reported_until)
        terms.append(layer.column("reported_at") <= until)
    return (and_(*terms), values) if terms else None
