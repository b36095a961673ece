"""`GET /issues` filters, expressed as CQL2 over the `issues` layer so one engine pages them."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Connection

from geoapi import areas
from geoapi.errors import InvalidParameter
from geoapi.issues import queries
from geoapi.issues.states import STATUSES, WITH_UNIT
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


def _equals(name: str, value: Any) -> dict[str, Any]:
    return {"op": "=", "args": [{"property": name}, value]}


def as_cql(connection: Connection, filters: IssueFilters, now: datetime) -> dict[str, Any] | None:
    """The filters as one CQL2-JSON predicate (codes resolved to ids here); None: no filter."""
    terms: list[dict[str, Any]] = []
    if filters.status:
        terms.append({"op": "in", "args": [{"property": "status"}, filters.status]})
    terms += [
        _equals(name, value)
        for name, value in (
            ("type", filters.type),
            ("source", filters.source),
            ("unit_code", filters.unit),
        )
        if value is not None
    ]
    if filters.area is not None:
        area = areas.resolve(connection, filters.area)
        terms.append(_equals(area.column, area.id))
    if filters.point is not None:
        point = queries.point_by_code(connection, filters.point)
        if point is None:
            raise InvalidParameter(f"point: no point {filters.point!r}")
        terms.append(_equals("point_id", point["id"]))
    if filters.overdue is not None:
        overdue = {
            "op": "and",
            "args": [
                {"op": "in", "args": [{"property": "status"}, [str(s) for s in WITH_UNIT]]},
                {"op": "<", "args": [{"property": "deadline"}, {"timestamp": now.isoformat()}]},
            ],
        }
        terms.append(overdue if filters.overdue else {"op": "not", "args": [overdue]})
    for op, value in ((">=", filters.reported_since), ("<=", filters.reported_until)):
        if value is not None:
            terms.append(
                {"op": op, "args": [{"property": "reported_at"}, {"timestamp": value.isoformat()}]}
            )
    return {"op": "and", "args": terms} if terms else None
