"""The inspections feature's SQL: visits, the point they belong to, and due points."""

import json
import uuid
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from geoapi.issues.states import open_sql


def point_for_visit(
    connection: Connection, code: str, scope: tuple[str, dict[str, Any]]
) -> RowMapping | None:
    """The point, whether `scope` (a predicate on `p.`) admits it, locked for the visit."""
    predicate, params = scope
    return (
        connection.execute(
            text(
                "SELECT p.id, p.code, p.name, p.category, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,"
                f" coalesce({predicate}, false) AS in_scope FROM points p WHERE p.code = :code"
                " FOR UPDATE OF p"
            ),
            {"code": code, **params},
        )
        .mappings()
        .first()
    )


def team_id(connection: Connection, code: str) -> int | None:
    """A team's id by its code."""
    return connection.scalar(text("SELECT id FROM teams WHERE code = :c"), {"c": code})


def insert_inspection(connection: Connection, values: dict[str, Any]) -> RowMapping:
    """Store a visit; the distance to the point (its footprint if any) is measured here."""
    return (
        connection.execute(
            text(
                """
INSERT INTO inspections (point_id, team_id, inspector, visited_at, device_geom,
                         checklist_version, results, score_rate, notes, passed,
                         distance_m, far_from_point, client_id)
SELECT p.id, :team_id, :inspector, :visited_at, d.geom, :checklist_version,
       CAST(:results AS jsonb), :score_rate, :notes, :passed, dist.m,
       coalesce(dist.m > :far_m, false), :client_id
  FROM points p
  CROSS JOIN LATERAL (SELECT CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                      ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END AS geom) d
  CROSS JOIN LATERAL (SELECT ST_Distance(coalesce(p.footprint, p.geom)::geography,
                                         d.geom::geography)::real AS m) dist
 WHERE p.id = :point_id
RETURNING id, distance_m, far_from_point
"""
            ),
            values | {"results": json.dumps(values["results"], ensure_ascii=False)},
        )
        .mappings()
        .one()
    )


def select_inspection(
    connection: Connection,
    inspection_id: int | None = None,
    client_id: uuid.UUID | None = None,
    scope: tuple[str, dict[str, Any]] = ("TRUE", {}),
) -> RowMapping | None:
    """A stored visit by id or by the client's id, with its point, team and problems, and
    `in_scope`: whether `scope` (a predicate on the point `p.`) admits it."""
    where = "v.id = :id" if inspection_id is not None else "v.client_id = :client_id"
    predicate, params = scope
    return (
        connection.execute(
            text(
                f"""
SELECT v.id, v.client_id, v.inspector, v.visited_at, v.checklist_version, v.results,
       v.score_rate, v.passed, v.distance_m, v.far_from_point, v.notes, t.code AS team,
       coalesce({predicate}, false) AS in_scope,
       json_build_object('code', p.code, 'name', p.name, 'category', p.category,
                         'status', p.status, 'score', p.score,
                         'last_inspected_at', p.last_inspected_at) AS point,
       coalesce((SELECT array_agg(i.id ORDER BY i.reported_at, i.id) FROM issues i
                  WHERE i.inspection_id = v.id), '{{}}') AS issues
  FROM inspections v
  JOIN points p ON p.id = v.point_id
  LEFT JOIN teams t ON t.id = v.team_id
 WHERE {where}
"""
            ),
            {"id": inspection_id, "client_id": client_id, **params},
        )
        .mappings()
        .first()
    )


def open_issue_of_type(connection: Connection, point_id: int, issue_type: str) -> uuid.UUID | None:
    """An open problem of `issue_type` already on the point (a visit does not repeat it)."""
    return connection.scalar(
        text(
            "SELECT id FROM issues i WHERE point_id = :p AND type = :t AND "
            f"{open_sql('i')} ORDER BY reported_at LIMIT 1"
        ),
        {"p": point_id, "t": issue_type},
    )


def link_issues(connection: Connection, inspection_id: int, issue_ids: list[uuid.UUID]) -> None:
    """Mark problems as found by this visit."""
    if issue_ids:
        connection.execute(
            text("UPDATE issues SET inspection_id = :v WHERE id = ANY(:ids)"),
            {"v": inspection_id, "ids": issue_ids},
        )
