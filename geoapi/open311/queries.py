"""Open311's SQL: services from issue types, service requests from issues."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, text


def requests_sql(where: str) -> str:
    """Service requests matching `where` (trusted SQL over `i.`, values bound), newest first."""
    return f"""
SELECT i.id, i.status, i.type, t.name_zh AS type_name, t.default_deadline_days AS days,
       i.description, u.name AS unit_name, i.reported_at, i.deadline, i.unit_code,
       (SELECT max(e.at) FROM issue_events e WHERE e.issue_id = i.id) AS updated_at,
       (SELECT e.note FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'reject'
         ORDER BY e.at DESC, e.id DESC LIMIT 1) AS reject_reason,
       i.merged_into, coalesce(p.address, p.name) AS address, p.code AS point_code,
       ST_Y(i.geom) AS lat, ST_X(i.geom) AS lon,
       (SELECT m.value->>'sha256' FROM jsonb_array_elements(i.photos) WITH ORDINALITY AS m(value, n)
         ORDER BY m.value->>'tag' = 'after' DESC, m.n DESC LIMIT 1) AS media
  FROM issues i
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN units u ON u.code = i.unit_code
  LEFT JOIN points p ON p.id = i.point_id
 WHERE i.source = ANY(:sources) AND {where}
 ORDER BY i.reported_at DESC, i.id
 LIMIT :limit
"""


SERVICES = "SELECT code, name_zh, name_en, default_deadline_days AS days FROM issue_types"


def services(connection: Connection) -> list[RowMapping]:
    """Every issue type as a service."""
    return list(connection.execute(text(f"{SERVICES} ORDER BY code")).mappings())


def service(connection: Connection, code: str) -> RowMapping | None:
    """One issue type, or None."""
    return connection.execute(text(f"{SERVICES} WHERE code = :c"), {"c": code}).mappings().first()


def requests(
    connection: Connection,
    sources: list[str],
    ids: list[uuid.UUID] | None = None,
    codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    states: Sequence[str] | None = None,
    limit: int = 1000,
) -> list[RowMapping]:
    """Service requests, newest first; `ids` alone when given (the spec's rule)."""
    terms: list[str] = []
    params: dict[str, Any] = {"sources": sources, "limit": limit}
    if ids:
        terms.append("i.id = ANY(:ids)")
        params["ids"] = ids
    else:
        for clause, name, value in (
            ("i.type = ANY(:codes)", "codes", codes),
            ("i.reported_at >= :start", "start", start),
            ("i.reported_at <= :end", "end", end),
            ("i.status = ANY(:states)", "states", states),
        ):
            if value:
                terms.append(clause)
                params[name] = value
    where = " AND ".join(terms) or "TRUE"
    return list(connection.execute(text(requests_sql(where)), params).mappings())
