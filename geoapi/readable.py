"""Readable pages of one point and one problem: what a planner opens from a map popup.

Names instead of codes, local times, photos inline, the problem's history in the office's
words. The JSON of `/points/{code}` and `/issues/{id}` stays the API; these are for people.
"""

import uuid
from typing import Any

from sqlalchemy import Connection, text

from geoapi import documents
from geoapi.auth.principal import Principal
from geoapi.errors import Forbidden, NotFound
from geoapi.issues import photos
from geoapi.issues.service import read_issue
from geoapi.issues.states import ACTION_NAMES, NAMES_ZH, open_sql, overdue_sql
from geoapi.responsibility import service as responsibility
from geoapi.settings import Settings
from geoapi.vocabulary import POINT_STATUS_NAMES, SOURCE_NAMES

POINT = """
SELECT p.id, p.code, p.name, p.address, p.status, p.last_inspected_at, p.score,
       c.name_zh AS category, u.name AS unit, s.name AS street, m.name AS community,
       g.name AS grid, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
       coalesce({scope}, false) AS in_scope
  FROM points p
  JOIN categories c ON c.code = p.category
  LEFT JOIN units u ON u.code = p.unit_code
  LEFT JOIN areas s ON s.id = p.street_id
  LEFT JOIN areas m ON m.id = p.community_id
  LEFT JOIN areas g ON g.id = p.grid_id
 WHERE p.code = :code
"""
POINT_ISSUES = f"""
SELECT i.id, t.name_zh AS type, i.status, i.severity, i.description, i.reported_at,
       i.deadline, u.name AS unit, {overdue_sql("i")} AS overdue
  FROM issues i
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN units u ON u.code = i.unit_code
 WHERE i.point_id = :id AND {open_sql("i")}
 ORDER BY i.deadline NULLS LAST, i.reported_at
 LIMIT :limit
"""
POINT_INSPECTIONS = """
SELECT n.visited_at, coalesce(us.display_name, n.inspector) AS inspector, n.score_rate,
       n.passed, n.notes
  FROM inspections n LEFT JOIN users us ON us.username = n.inspector
 WHERE n.point_id = :id
 ORDER BY n.visited_at DESC
 LIMIT :limit
"""
ISSUE_NAMES = f"""
SELECT t.name_zh AS type, u.name AS unit, p.address, s.name AS street, m.name AS community,
       {overdue_sql("i")} AS overdue, i.photos
  FROM issues i
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN units u ON u.code = i.unit_code
  LEFT JOIN points p ON p.id = i.point_id
  LEFT JOIN areas s ON s.id = i.street_id
  LEFT JOIN areas m ON m.id = i.community_id
 WHERE i.id = :id
"""
LISTED = 50  # open problems and visits a point's page lists


def point_page(
    connection: Connection, code: str, principal: Principal, settings: Settings, base: str
) -> str:
    """A point: where, whose, its state, its open problems and its last visits."""
    principal.require("read")
    predicate, params = principal.scope_sql("p.")
    point = (
        connection.execute(text(POINT.format(scope=predicate)), {"code": code, **params})
        .mappings()
        .first()
    )
    if point is None:
        raise NotFound(f"no point {code!r}")
    if not point["in_scope"]:
        raise Forbidden(f"point {code!r} is outside the scope of {principal.username!r}")
    listed = {"id": point["id"], "limit": LISTED}
    return documents.render(
        "point.html",
        point=point,
        point_status=POINT_STATUS_NAMES.get(point["status"], point["status"]),
        issues=connection.execute(text(POINT_ISSUES), listed).mappings().all(),
        inspections=connection.execute(text(POINT_INSPECTIONS), listed).mappings().all(),
        responsible=responsibility.list_all(connection, principal, point=code),
        statuses=NAMES_ZH,
        zone=settings.zone,
        base=base,
    )


def issue_page(
    connection: Connection, issue_id: uuid.UUID, principal: Principal, settings: Settings, base: str
) -> str:
    """A problem: what, where, whose, its deadline, photos and whole history."""
    issue = read_issue(connection, issue_id, principal)
    names: dict[str, Any] = dict(
        connection.execute(text(ISSUE_NAMES), {"id": issue_id}).mappings().one()
    )
    actors: dict[str, str] = dict(  # who did each step, by name (a unit's steps carry its code)
        connection.execute(
            text(
                "SELECT code, name FROM units WHERE code = ANY(:names) UNION ALL "
                "SELECT username, coalesce(display_name, username) FROM users "
                "WHERE username = ANY(:names)"
            ),
            {"names": list({event.actor for event in issue.events})},
        ).all()
    )
    return documents.render(
        "issue.html",
        issue=issue,
        names=names,
        source=SOURCE_NAMES.get(issue.source, issue.source),
        thumbnails=photos.thumbnail_uris(settings.photos_dir, names["photos"] or []),
        actions=ACTION_NAMES,
        actors=actors,
        statuses=NAMES_ZH,
        zone=settings.zone,
        base=base,
    )
