"""The cards' SQL: listing, reading one with its problem, replying, a planner's own card."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, text

# A card with its addressee (the unit it was issued to; older cards: the problem's unit), its
# problem in names, and its reply. `:scope` is the caller's predicate on the problem `i.`.
CARD = """
SELECT e.id, e.level, e.at, CAST(e.days_overdue AS float8) AS days_overdue, e.note,
       e.reply_due, e.actor, e.issue_id, n.number AS notice,
       coalesce(e.unit_code, i.unit_code) AS unit, u.name AS unit_name,
       i.status, i.deadline, i.type, t.name_zh AS type_name, i.description, i.photos,
       i.severity, p.code AS point_code, p.name AS point_name, p.address, i.point_id,
       ARRAY[i.grid_id, i.community_id, i.street_id, i.district_id] AS area_ids,
       s.name AS street, c.name AS community,
       r.at AS replied_at, r.actor AS replied_by, r.measures, r.responsible,
       coalesce({scope}, false) AS in_scope
  FROM escalations e
  JOIN issues i ON i.id = e.issue_id
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN units u ON u.code = coalesce(e.unit_code, i.unit_code)
  LEFT JOIN notices n ON n.id = e.notice_id
  LEFT JOIN points p ON p.id = i.point_id
  LEFT JOIN areas s ON s.id = i.street_id
  LEFT JOIN areas c ON c.id = i.community_id
  LEFT JOIN escalation_replies r ON r.escalation_id = e.id"""


def cards(
    connection: Connection,
    scope: tuple[str, dict[str, Any]],
    filters: dict[str, Any],
    limit: int,
) -> list[RowMapping]:
    """Cards newest first, by unit, level, period [start, end) and reply state."""
    predicate, params = scope
    sql = (
        CARD.format(scope=predicate)
        + f"""
 WHERE coalesce({predicate}, false)
   AND (CAST(:unit AS text) IS NULL OR coalesce(e.unit_code, i.unit_code) = :unit)
   AND (CAST(:level AS text) IS NULL OR e.level = :level)
   AND (CAST(:start AS timestamptz) IS NULL OR e.at >= :start)
   AND (CAST(:end AS timestamptz) IS NULL OR e.at < :end)
   AND (CAST(:state AS text) IS NULL
        OR (:state = 'replied') = (r.escalation_id IS NOT NULL))
 ORDER BY e.at DESC, e.id DESC
 LIMIT :limit"""
    )
    return list(connection.execute(text(sql), {**params, **filters, "limit": limit}).mappings())


def card(
    connection: Connection, card_id: int, scope: tuple[str, dict[str, Any]]
) -> RowMapping | None:
    """One card (with `in_scope`), or None."""
    predicate, params = scope
    sql = CARD.format(scope=predicate) + " WHERE e.id = :id"
    return connection.execute(text(sql), {**params, "id": card_id}).mappings().first()


def lock_card(connection: Connection, card_id: int) -> None:
    """Serialise replies to one card (the reply table's key decides; this orders them)."""
    connection.execute(
        text("SELECT id FROM escalations WHERE id = :id FOR UPDATE"), {"id": card_id}
    )


def insert_reply(
    connection: Connection, card_id: int, actor: str, measures: str, responsible: str
) -> bool:
    """The unit's reply, if the card has none yet."""
    inserted = connection.execute(
        text(
            "INSERT INTO escalation_replies (escalation_id, actor, measures, responsible) "
            "VALUES (:id, :actor, :measures, :responsible) ON CONFLICT DO NOTHING"
        ),
        {"id": card_id, "actor": actor, "measures": measures, "responsible": responsible},
    )
    return inserted.rowcount == 1


def insert_card(
    connection: Connection,
    issue: RowMapping,
    actor: str,
    note: str,
    reply_due: datetime,
    now: datetime,
) -> int:
    """A planner's supervision card for `issue`, on its latest notice, with its history row."""
    card_id: int = connection.execute(
        text(
            """
INSERT INTO escalations (issue_id, notice_id, level, at, days_overdue, actor, unit_code, note,
                         reply_due)
SELECT i.id,
       (SELECT ni.notice_id FROM notice_issues ni JOIN notices n ON n.id = ni.notice_id
         WHERE ni.issue_id = i.id ORDER BY n.issued_at DESC LIMIT 1),
       'supervision', :now,
       round(CAST(greatest(extract(epoch FROM CAST(:now AS timestamptz) - i.deadline) / 86400, 0)
                  AS numeric), 2),
       :actor, i.unit_code, :note, :reply_due
  FROM issues i WHERE i.id = :id
RETURNING id"""
        ),
        {"id": issue["id"], "now": now, "actor": actor, "note": note, "reply_due": reply_due},
    ).scalar_one()
    connection.execute(
        text(
            "INSERT INTO issue_events (issue_id, at, actor, action, from_status, to_status, note) "
            "VALUES (:id, :now, :actor, 'supervision', :status, :status, :note)"
        ),
        {
            "id": issue["id"],
            "now": now,
            "actor": actor,
            "status": issue["status"],
            "note": f"督办卡: {note}",
        },
    )
    return card_id


def issue_for_card(
    connection: Connection, issue_id: uuid.UUID, scope: tuple[str, dict[str, Any]]
) -> RowMapping | None:
    """The problem a planner supervises, locked, with `in_scope`."""
    predicate, params = scope
    return (
        connection.execute(
            text(
                f"SELECT i.id, i.status, i.unit_code, coalesce({predicate}, false) AS in_scope "
                "FROM issues i WHERE i.id = :id FOR UPDATE"
            ),
            {**params, "id": issue_id},
        )
        .mappings()
        .first()
    )
