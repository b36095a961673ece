"""The notices feature's SQL: choosing problems, numbering, reading back, escalating."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from geoapi.issues.states import WITH_UNIT, in_sql, overdue_sql

NOTIFIABLE = WITH_UNIT  # a notice lists problems the unit holds, not yet reported fixed

# The problem's latest hand-over to its unit; a notice lists a problem once per hand-over.
LAST_DISPATCH = """
(SELECT max(e.id) FROM issue_events e
  WHERE e.issue_id = i.id AND e.action IN ('dispatch', 'reopen'))
"""
CURRENT_NOTICE = f"""
(SELECT n.number FROM notice_issues ni JOIN notices n ON n.id = ni.notice_id
  WHERE ni.issue_id = i.id AND ni.dispatch_event_id = {LAST_DISPATCH})
"""


def candidates(
    connection: Connection,
    unit: str,
    ids: list[uuid.UUID] | None = None,
    area_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RowMapping]:
    """The problems listed by `ids`, or else the notifiable problems of `unit` (in the area
    of any level, dispatched in [since, until)), locked, with what would keep each off a new
    notice of `unit`."""
    return list(
        connection.execute(
            text(
                f"""
SELECT i.id, i.status, i.unit_code, i.deadline, i.point_id, {CURRENT_NOTICE} AS on_notice,
       {LAST_DISPATCH} AS dispatch_event_id
  FROM issues i
 WHERE CASE WHEN CAST(:ids AS uuid[]) IS NOT NULL THEN i.id = ANY(CAST(:ids AS uuid[]))
       ELSE i.unit_code = :unit AND {in_sql("i.status", NOTIFIABLE)}
            AND (CAST(:area_id AS int) IS NULL
                 OR :area_id IN (i.district_id, i.street_id, i.community_id, i.grid_id))
            AND (CAST(:since AS timestamptz) IS NULL OR i.dispatched_at >= :since)
            AND (CAST(:until AS timestamptz) IS NULL OR i.dispatched_at < :until) END
 ORDER BY i.deadline, i.id
 FOR UPDATE OF i
"""
            ),
            {"unit": unit, "ids": ids, "area_id": area_id, "since": since, "until": until},
        ).mappings()
    )


def next_number(connection: Connection, year: int) -> int:
    """The next sequence number of `year`; serialised so two offices never share one."""
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('geoapi.notices'), :y)"), {"y": year}
    )
    return connection.scalar(
        text("SELECT coalesce(max(seq), 0) + 1 FROM notices WHERE year = :y"), {"y": year}
    )


def insert_notice(
    connection: Connection,
    values: dict[str, Any],
    issues: list[tuple[uuid.UUID, int, datetime | None]],
) -> int:
    """Store the notice, its problems (id, hand-over event, deadline until now) and its
    first event; returns its id."""
    notice_id = connection.scalar(
        text(
            "INSERT INTO notices (number, year, seq, unit_code, office, issued_by, issued_at, "
            "deadline, area_id, period_from, period_to, note) VALUES (:number, :year, :seq, "
            ":unit, :office, :issued_by, :issued_at, :deadline, :area_id, :period_from, "
            ":period_to, :note) RETURNING id"
        ),
        values,
    )
    connection.execute(
        text(
            "INSERT INTO notice_issues "
            "(notice_id, issue_id, dispatch_event_id, dispatch_event_at, prior_deadline) "
            "SELECT :n, x.issue_id, e.id, e.at, x.deadline "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:events AS bigint[]), "
            "CAST(:deadlines AS timestamptz[])) AS x(issue_id, event_id, deadline) "
            "JOIN issue_events e ON e.id = x.event_id AND e.issue_id = x.issue_id"
        ),
        {
            "n": notice_id,
            "ids": [i for i, _, _ in issues],
            "events": [e for _, e, _ in issues],
            "deadlines": [d for _, _, d in issues],
        },
    )
    add_event(connection, notice_id, values["issued_by"], "issue", values["issued_at"], None)
    return notice_id


def add_event(
    connection: Connection, notice_id: int, actor: str, action: str, at: datetime, note: str | None
) -> None:
    """Append to the notice's history."""
    connection.execute(
        text(
            "INSERT INTO notice_events (notice_id, at, actor, action, note) "
            "VALUES (:n, :at, :actor, :action, :note)"
        ),
        {"n": notice_id, "at": at, "actor": actor, "action": action, "note": note},
    )


def select_notice(
    connection: Connection, notice_id: int, for_update: bool = False
) -> RowMapping | None:
    """The notice with its unit's and area's names."""
    lock = " FOR UPDATE OF n" if for_update else ""
    return (
        connection.execute(
            text(
                "SELECT n.*, u.name AS unit_name, a.code AS area_code, a.name AS area_name, "
                "coalesce(ib.display_name, n.issued_by) AS issued_by_name, "
                "coalesce(ab.display_name, n.acknowledged_by) AS acknowledged_by_name "
                "FROM notices n JOIN units u ON u.code = n.unit_code "
                "LEFT JOIN users ib ON ib.username = n.issued_by "
                "LEFT JOIN users ab ON ab.username = n.acknowledged_by "
                f"LEFT JOIN areas a ON a.id = n.area_id WHERE n.id = :id{lock}"
            ),
            {"id": notice_id},
        )
        .mappings()
        .first()
    )


def notice_issues(
    connection: Connection,
    notice_id: int,
    now: datetime,
    scope: tuple[str, dict[str, Any]] = ("TRUE", {}),
) -> list[RowMapping]:
    """The notice's problems as they stand now, with their escalations; only those `scope`
    (a predicate on `i.`) admits: a problem re-assigned to another unit leaves its notice."""
    predicate, params = scope
    return list(
        connection.execute(
            text(
                f"""
SELECT i.id, i.type, t.name_zh AS type_name, i.severity, i.status, i.description,
       i.deadline, i.closed_at, i.photos, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
       p.code AS point_code, p.name AS point_name, p.address,
       s.name AS street, c.name AS community,
       {overdue_sql("i", ":now")} AS overdue,
       CAST(extract(epoch FROM CAST(:now AS timestamptz) - i.deadline) / 86400 AS float8)
         AS days_late,
       ni.prior_deadline,
       CASE WHEN ni.prior_deadline < n.issued_at
            THEN CAST(extract(epoch FROM n.issued_at - ni.prior_deadline) / 86400 AS float8)
       END AS days_late_at_issue,
       (SELECT count(*) FROM issue_events r WHERE r.issue_id = i.id AND r.action = 'reopen')
         AS reworks,
       coalesce((SELECT json_agg(json_build_object('level', e.level, 'at', e.at,
                                 'days_overdue', e.days_overdue) ORDER BY e.at)
                   FROM escalations e WHERE e.issue_id = i.id), '[]') AS escalations
  FROM notice_issues ni
  JOIN notices n ON n.id = ni.notice_id
  JOIN issues i ON i.id = ni.issue_id
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN points p ON p.id = i.point_id
  LEFT JOIN areas s ON s.id = i.street_id
  LEFT JOIN areas c ON c.id = i.community_id
 WHERE ni.notice_id = :id AND coalesce({predicate}, false)
 ORDER BY i.deadline, ni.prior_deadline NULLS LAST, i.id
"""
            ),
            {"id": notice_id, "now": now, **params},
        ).mappings()
    )


def notice_events(connection: Connection, notice_id: int) -> list[RowMapping]:
    """The notice's history, oldest first."""
    return list(
        connection.execute(
            text(
                "SELECT at, actor, action, note FROM notice_events WHERE notice_id = :id "
                "ORDER BY at, id"
            ),
            {"id": notice_id},
        ).mappings()
    )


def list_notices(
    connection: Connection, unit: str | None, acknowledged: bool | None
) -> list[RowMapping]:
    """Notices, newest first (of `unit`; signed for or not), with counts of their problems."""
    return list(
        connection.execute(
            text(
                f"""
SELECT n.id, n.number, n.unit_code AS unit, n.issued_at, n.deadline, n.acknowledged_at,
       count(i.id) AS problems,
       count(i.id) FILTER (WHERE {in_sql("i.status", NOTIFIABLE)}) AS open
  FROM notices n
  LEFT JOIN notice_issues ni ON ni.notice_id = n.id
  LEFT JOIN issues i ON i.id = ni.issue_id
 WHERE (CAST(:unit AS text) IS NULL OR n.unit_code = :unit)
   AND (CAST(:acknowledged AS boolean) IS NULL
        OR (n.acknowledged_at IS NOT NULL) = :acknowledged)
 GROUP BY n.id
 ORDER BY n.issued_at DESC, n.id DESC
 LIMIT 500
"""
            ),
            {"unit": unit, "acknowledged": acknowledged},
        ).mappings()
    )


def acknowledge(connection: Connection, notice_id: int, actor: str, at: datetime) -> None:
    """Record receipt; the caller checked it was not recorded before."""
    connection.execute(
        text(
            "UPDATE notices SET acknowledged_at = :at, acknowledged_by = :actor, "
            "version = version + 1 WHERE id = :id"
        ),
        {"id": notice_id, "at": at, "actor": actor},
    )


ESCALATE = f"""
WITH late AS (
  SELECT i.id, i.status, i.unit_code,
         extract(epoch FROM CAST(:now AS timestamptz) - i.deadline) / 86400 AS days,
         (SELECT ni.notice_id FROM notice_issues ni JOIN notices n ON n.id = ni.notice_id
           WHERE ni.issue_id = i.id ORDER BY n.issued_at DESC LIMIT 1) AS notice_id
    FROM issues i
   WHERE {overdue_sql("i", ":now")}
     AND NOT EXISTS (SELECT FROM escalations e
                      WHERE e.issue_id = i.id
                        AND e.at > CAST(:now AS timestamptz) - CAST(:every AS interval))
), cards AS (
  INSERT INTO escalations (issue_id, notice_id, level, at, days_overdue, actor, unit_code)
  SELECT id, notice_id,
         CASE WHEN days >= :supervise_after THEN 'supervision' ELSE 'reminder' END,
         :now, round(CAST(days AS numeric), 2), :actor, unit_code
    FROM late
  RETURNING issue_id, notice_id, level, at, days_overdue
), history AS (
  INSERT INTO issue_events (issue_id, at, actor, action, from_status, to_status, note)
  SELECT c.issue_id, c.at, :actor, c.level, l.status, l.status,
         CASE c.level WHEN 'supervision' THEN '督办卡' ELSE '提醒卡' END
         || ': ' || c.days_overdue || ' days past the deadline'
    FROM cards c JOIN late l ON l.id = c.issue_id
)
SELECT c.issue_id, n.number AS notice, l.unit_code AS unit, c.level, c.at,
       CAST(c.days_overdue AS float8) AS days_overdue
  FROM cards c JOIN late l ON l.id = c.issue_id
  LEFT JOIN notices n ON n.id = c.notice_id
 ORDER BY c.days_overdue DESC, c.issue_id
"""


def escalate(
    connection: Connection, now: datetime, every_hours: float, supervise_after: float, actor: str
) -> list[RowMapping]:
    """Cards for late problems not escalated within the interval; one run at a time."""
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('geoapi.escalations'))"))
    return list(
        connection.execute(
            text(ESCALATE),
            {
                "now": now,
                "every": f"{every_hours} hours",
                "supervise_after": supervise_after,
                "actor": actor,
            },
        ).mappings()
    )
