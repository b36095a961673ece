"""The issues feature's only SQL (writes through Core with bound values)."""

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from geoapi.issues.states import Status, open_sql

ISSUE_COLUMNS = """
    i.id, i.status, i.version, i.type, i.severity, i.source, i.description, i.confidence,
    i.unit_code AS unit, i.deadline, i.reported_at, i.dispatched_at, i.rectified_at,
    i.closed_at, i.merged_into, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, i.point_id,
    p.code AS point_code, p.name AS point_name, i.photos
"""


def issue_type_days(connection: Connection, issue_type: str) -> int | None:
    """Default rectification days of a type, or None when the type is unknown."""
    return connection.scalar(
        text("SELECT default_deadline_days FROM issue_types WHERE code = :t"), {"t": issue_type}
    )


def default_unit(connection: Connection, point_id: int | None, issue_type: str) -> str | None:
    """Who a problem goes to unless the dispatcher says: its point's responsible unit (门前三包),
    else its type's default unit."""
    return connection.scalar(
        text(
            "SELECT coalesce((SELECT unit_code FROM points WHERE id = :point), "
            "default_unit_code) FROM issue_types WHERE code = :type"
        ),
        {"point": point_id, "type": issue_type},
    )


def unit_exists(connection: Connection, unit: str) -> bool:
    """True when `unit` is a unit code."""
    return bool(
        connection.scalar(text("SELECT EXISTS (SELECT FROM units WHERE code = :u)"), {"u": unit})
    )


def point_by_code(
    connection: Connection,
    code: str,
    scope: tuple[str, dict[str, Any]] = ("TRUE", {}),
    lon: float | None = None,
    lat: float | None = None,
) -> RowMapping | None:
    """A point's id and location, `in_scope` (`scope`: a predicate on `p.`), and
    `report_distance_m`: metres from (lon, lat) to its footprint or point (None without)."""
    predicate, params = scope
    return (
        connection.execute(
            text(
                "SELECT id, code, name, ST_X(geom) AS lon, ST_Y(geom) AS lat, "
                f"coalesce({predicate}, false) AS in_scope, "
                "ST_Distance(coalesce(footprint, geom)::geography, ST_SetSRID(ST_MakePoint("
                "CAST(:lon AS float8), CAST(:lat AS float8)), 4326)::geography) "
                "AS report_distance_m FROM points p WHERE code = :c"
            ),
            {"c": code, "lon": lon, "lat": lat, **params},
        )
        .mappings()
        .first()
    )


# Distances in metres on the spheroid; the && pre-filter (two degrees-worth of metres, safe to
# 60° latitude) lets the GiST index find candidates before the exact geography test.
HERE = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS here"
DISTANCE = "round(ST_Distance(geom::geography, here::geography)::numeric, 1)::float8"
NEAR = "ST_DWithin(geom::geography, here::geography, :radius) AND geom && ST_Expand(here, :deg)"


def _near(lon: float, lat: float, radius_m: float) -> dict[str, float]:
    return {"lon": lon, "lat": lat, "radius": radius_m, "deg": 2 * radius_m / 111_320.0}


def nearest_point(
    connection: Connection, lon: float, lat: float, issue_type: str, radius_m: float
) -> RowMapping | None:
    """The nearest point of a category where `issue_type` occurs, within `radius_m` metres."""
    return (
        connection.execute(
            text(
                f"SELECT id, code, name, {DISTANCE} AS distance_m FROM points, {HERE} "
                "WHERE category IN (SELECT category FROM category_issue_types "
                f"WHERE issue_type = :type) AND {NEAR} ORDER BY geom <-> here LIMIT 1"
            ),
            {**_near(lon, lat, radius_m), "type": issue_type},
        )
        .mappings()
        .first()
    )


def open_duplicates(
    connection: Connection,
    issue_id: uuid.UUID,
    issue_type: str,
    lon: float,
    lat: float,
    radius_m: float,
    scope: tuple[str, dict[str, Any]],
) -> list[RowMapping]:
    """Open problems of the same type within `radius_m` metres, nearest first, with
    `in_scope` (`scope`: a predicate on `issues.`)."""
    predicate, params = scope
    return list(
        connection.execute(
            text(
                f"SELECT id, status, source, reported_at, {DISTANCE} AS distance_m, "
                f"coalesce({predicate}, false) AS in_scope "
                f"FROM issues, {HERE} "
                "WHERE type = :type AND id <> :id "
                f"AND {open_sql()} AND {NEAR} "
                "ORDER BY geom <-> here LIMIT 20"
            ),
            {**_near(lon, lat, radius_m), "type": issue_type, "id": issue_id, **params},
        ).mappings()
    )


def insert_issue(connection: Connection, values: Mapping[str, Any]) -> bool:
    """Insert unless the id exists (a retried create); True when a row was written."""
    inserted = connection.scalar(
        text(
            "INSERT INTO issues (id, point_id, geom, type, severity, source, confidence, "
            "description, status, version) VALUES (:id, :point_id, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :type, :severity, :source, :confidence, "
            f":description, '{Status.REPORTED}', 1) ON CONFLICT (id) DO NOTHING RETURNING true"
        ),
        dict(values),
    )
    return bool(inserted)


def select_issue(
    connection: Connection,
    issue_id: uuid.UUID,
    for_update: bool = False,
    scope: tuple[str, dict[str, Any]] = ("TRUE", {}),
) -> RowMapping | None:
    """One issue, with `in_scope`: whether `scope` (a predicate on `i.`) admits it.

    With `for_update` the row stays locked until the transaction ends.
    """
    lock = " FOR UPDATE OF i" if for_update else ""
    predicate, params = scope
    return (
        connection.execute(
            text(
                f"SELECT {ISSUE_COLUMNS}, coalesce({predicate}, false) AS in_scope "
                "FROM issues i LEFT JOIN points p ON p.id = i.point_id "
                f"WHERE i.id = :id{lock}"
            ),
            {"id": issue_id, **params},
        )
        .mappings()
        .first()
    )


def lock_issues(connection: Connection, issue_ids: list[uuid.UUID]) -> None:
    """Lock these problems (those that exist) until the transaction ends, in the given order."""
    connection.execute(
        text("SELECT FROM issues WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"), {"ids": issue_ids}
    )


def issue_states(connection: Connection, issue_ids: list[uuid.UUID]) -> list[RowMapping]:
    """Id, state and version of these problems, in the given order (once each)."""
    return list(
        connection.execute(
            text(
                "SELECT i.id, i.status, i.version FROM unnest(CAST(:ids AS uuid[])) "
                "WITH ORDINALITY AS w(id, n) JOIN issues i ON i.id = w.id "
                "GROUP BY i.id ORDER BY min(w.n)"
            ),
            {"ids": [str(i) for i in issue_ids]},
        ).mappings()
    )


def select_events(connection: Connection, issue_id: uuid.UUID) -> list[RowMapping]:
    """The issue's history, oldest first."""
    return list(
        connection.execute(
            text(
                "SELECT at, actor, action, from_status, to_status, note, deadline "
                "FROM issue_events "
                "WHERE issue_id = :id ORDER BY at, id"
            ),
            {"id": issue_id},
        ).mappings()
    )


def last_actor(connection: Connection, issue_id: uuid.UUID, action: str) -> str | None:
    """Who last did `action` on the issue."""
    return connection.scalar(
        text(
            "SELECT actor FROM issue_events WHERE issue_id = :id AND action = :a "
            "ORDER BY at DESC, id DESC LIMIT 1"
        ),
        {"id": issue_id, "a": action},
    )


ALLOWED_CHANGES = {
    "status",
    "unit_code",
    "deadline",
    "dispatched_at",
    "rectified_at",
    "closed_at",
    "merged_into",
}


def update_issue(
    connection: Connection, issue_id: uuid.UUID, version: int, changes: Mapping[str, Any]
) -> bool:
    """Apply `changes` if the row is still at `version`; bumps the version. True on success."""
    if not set(changes) <= ALLOWED_CHANGES:  # column names come from this module only
        raise ValueError(f"not updatable: {sorted(set(changes) - ALLOWED_CHANGES)}")
    assignments = ", ".join(f"{column} = :{column}" for column in changes)
    updated = connection.execute(
        text(
            f"UPDATE issues SET {assignments}, version = version + 1 "
            "WHERE id = :id AND version = :version"
        ),
        {**changes, "id": issue_id, "version": version},
    )
    return updated.rowcount == 1


def reschedule_all(
    connection: Connection, ids: list[uuid.UUID], deadline: datetime, actor: str, note: str
) -> None:
    """Give the (locked) problems `ids` one new deadline, each with its `reschedule` event:
    two statements however many (a notice's common deadline)."""
    connection.execute(
        text(
            "WITH moved AS (UPDATE issues SET deadline = :deadline, version = version + 1 "
            "WHERE id = ANY(:ids) RETURNING id, status) "
            "INSERT INTO issue_events (issue_id, actor, action, from_status, to_status, note, "
            "deadline) SELECT id, :actor, 'reschedule', status, status, :note, :deadline "
            "FROM moved ORDER BY id"
        ),
        {"ids": ids, "deadline": deadline, "actor": actor, "note": note},
    )


def insert_event(
    connection: Connection,
    issue_id: uuid.UUID,
    actor: str,
    action: str,
    from_status: str | None,
    to_status: str,
    note: str | None,
    deadline: datetime | None = None,
) -> None:
    """Append one history row (`deadline`: the one this step set, if it set one)."""
    connection.execute(
        text(
            "INSERT INTO issue_events "
            "(issue_id, actor, action, from_status, to_status, note, deadline) "
            "VALUES (:id, :actor, :action, :from_status, :to_status, :note, :deadline)"
        ),
        {
            "id": issue_id,
            "actor": actor,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "note": note,
            "deadline": deadline,
        },
    )


def add_photo(
    connection: Connection, issue_id: uuid.UUID, version: int, photo: Mapping[str, Any]
) -> bool:
    """Append a photo entry if the row is still at `version`; bumps the version."""
    updated = connection.execute(
        text(
            "UPDATE issues SET photos = photos || jsonb_build_array(CAST(:photo AS jsonb)), "
            "version = version + 1 WHERE id = :id AND version = :version"
        ),
        {"photo": json.dumps(photo), "id": issue_id, "version": version},
    )
    return updated.rowcount == 1


def photo_entry(connection: Connection, issue_id: uuid.UUID, digest: str) -> RowMapping | None:
    """The photos entry of `issue_id` with this SHA-256, if it has one."""
    return (
        connection.execute(
            text(
                "SELECT p.value->>'content_type' AS content_type, p.value->>'tag' AS tag "
                "FROM issues, jsonb_array_elements(photos) AS p WHERE id = :id "
                "AND p.value->>'sha256' = :digest LIMIT 1"
            ),
            {"id": issue_id, "digest": digest},
        )
        .mappings()
        .first()
    )
