"""Cards as worklists and documents: who may read which, a planner's own supervision card,
and the unit's reply (once)."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Connection, RowMapping

from geoapi.auth.principal import Principal
from geoapi.cards import queries
from geoapi.cards.schemas import Card, Reply, Supervision
from geoapi.errors import Conflict, Forbidden, NotFound
from geoapi.issues.states import WITH_UNIT
from geoapi.responsibility import queries as responsibility
from geoapi.stats.periods import Period

LEVEL_NAMES = {"reminder": "提醒卡", "supervision": "督办卡"}
MAX_CARDS = 5_000  # a worklist, not an archive: narrow by unit, period or state beyond this


def _readers(principal: Principal) -> None:
    """Cards go to the office and the units they are addressed to."""
    principal.require("read")
    if principal.role == "inspector":
        raise Forbidden("cards are read by the office and the unit they are addressed to")


def list_cards(
    connection: Connection,
    principal: Principal,
    unit: str | None,
    level: str | None,
    period: Period | None,
    state: str | None,
) -> list[Card]:
    """Cards newest first; a unit sees only its own."""
    _readers(principal)
    if principal.role == "unit":
        unit = principal.unit_code
    filters = {
        "unit": unit,
        "level": level,
        "start": period.start if period else None,
        "end": period.end if period else None,
        "state": state,
    }
    rows = queries.cards(connection, principal.scope_sql("i."), filters, MAX_CARDS)
    return [card_of(row) for row in rows]


def read_card(connection: Connection, card_id: int, principal: Principal) -> Card:
    """One card; 404 missing, 403 addressed to another unit or outside the caller's scope."""
    _readers(principal)
    row = queries.card(connection, card_id, principal.scope_sql("i."))
    if row is None:
        raise NotFound(f"no card {card_id}")
    if not row["in_scope"] or (principal.role == "unit" and row["unit"] != principal.unit_code):
        raise Forbidden(f"card {card_id} is addressed to another unit")
    areas = [a for a in row["area_ids"] if a is not None]
    leaders = responsibility.leaders_of(connection, row["point_id"], areas)
    return card_of(row).model_copy(update={"leaders": leaders})


def supervise(
    connection: Connection,
    issue_id: uuid.UUID,
    body: Supervision,
    principal: Principal,
    now: datetime,
) -> int:
    """A planner's supervision card on a problem a unit holds; the unit must reply by the date."""
    principal.require("notice")
    issue = queries.issue_for_card(connection, issue_id, principal.scope_sql("i."))
    if issue is None:
        raise NotFound(f"no issue {issue_id}")
    if not issue["in_scope"]:
        raise Forbidden(f"issue {issue_id} is outside the scope of {principal.username!r}")
    if issue["status"] not in WITH_UNIT:
        raise Conflict(
            f"issue {issue_id} is {issue['status']}: only a problem a unit holds is supervised",
            current_status=issue["status"],
        )
    reply_due = now + timedelta(days=body.reply_days)
    return queries.insert_card(connection, issue, principal.username, body.note, reply_due, now)


def reply(connection: Connection, card_id: int, body: Reply, principal: Principal) -> Card:
    """The addressed unit answers a card once (409 the second time)."""
    principal.require("acknowledge")
    queries.lock_card(connection, card_id)
    card = read_card(connection, card_id, principal)  # 403 for a card to another unit
    if not queries.insert_reply(
        connection, card_id, principal.username, body.measures, body.responsible
    ):
        assert card.reply is not None
        raise Conflict(
            f"card {card_id} was answered by {card.reply['by']} at {card.reply['at'].isoformat()}"
        )
    return read_card(connection, card_id, principal)


def card_of(row: RowMapping) -> Card:
    """A card row as the API tells it."""
    reply = None
    if row["replied_at"] is not None:
        reply = {
            "at": row["replied_at"],
            "by": row["replied_by"],
            "measures": row["measures"],
            "responsible": row["responsible"],
        }
    return Card(
        id=row["id"],
        level=row["level"],
        level_name=LEVEL_NAMES[row["level"]],
        at=row["at"],
        days_overdue=row["days_overdue"],
        note=row["note"],
        reply_due=row["reply_due"],
        issued_by=row["actor"],
        notice=row["notice"],
        unit={"code": row["unit"], "name": row["unit_name"]},
        issue={
            "id": row["issue_id"],
            "status": row["status"],
            "type": row["type"],
            "type_name": row["type_name"],
            "severity": row["severity"],
            "description": row["description"],
            "deadline": row["deadline"],
            "point": {"code": row["point_code"], "name": row["point_name"]},
            "address": row["address"],
            "street": row["street"],
            "community": row["community"],
            "photos": row["photos"],
        },
        reply=reply,
    )
