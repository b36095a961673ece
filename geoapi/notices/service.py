"""Issuing notices, reading them back with their follow-up, acknowledging, escalating."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from geoapi import areas
from geoapi.auth.principal import Principal
from geoapi.errors import Conflict, Forbidden, InvalidParameter, NotFound
from geoapi.issues import queries as issue_queries
from geoapi.issues import service as issue_service
from geoapi.issues.states import AWAITING_VERIFICATION, Status
from geoapi.notices import queries
from geoapi.notices.schemas import EscalationPublic, NoticeCreate, NoticePublic
from geoapi.points import state as point_state
from geoapi.settings import Settings


def issue_notice(
    connection: Connection,
    body: NoticeCreate,
    settings: Settings,
    principal: Principal,
    now: datetime,
) -> int:
    """Number a notice for the unit's chosen problems; 409 when a chosen one cannot go on it."""
    principal.require("notice")
    if not issue_queries.unit_exists(connection, body.unit):
        raise InvalidParameter(f"unit: no unit {body.unit!r}")
    area = areas.resolve(connection, body.area) if body.area else None
    chosen = _choose(connection, body, area)
    if not chosen:
        raise Conflict(
            f"unit {body.unit!r} has no dispatched problem that matches and is not on a notice yet"
        )
    deadline = body.deadline or max(row["deadline"] for row in chosen)
    if deadline <= now:
        raise InvalidParameter(
            "deadline must be in the future"
            + ("" if body.deadline else ": the problems' own deadlines have all passed")
        )
    issue_service.within_horizon(deadline, now, settings)
    year = now.astimezone(settings.zone).year
    seq = queries.next_number(connection, year)
    number = settings.notice_number_format.format(year=year, seq=seq)
    notice_id = queries.insert_notice(
        connection,
        {
            "number": number,
            "year": year,
            "seq": seq,
            "unit": body.unit,
            "office": settings.notice_office,
            "issued_by": principal.username,
            "issued_at": now,
            "deadline": deadline,
            "area_id": area.id if area else None,
            "period_from": body.since,
            "period_to": body.until,
            "note": body.note,
        },
        [(row["id"], row["dispatch_event_id"], row["deadline"]) for row in chosen],
    )
    _one_deadline(connection, chosen, deadline, number, principal)
    return notice_id


def _one_deadline(
    connection: Connection,
    chosen: list[Any],
    deadline: datetime,
    number: str,
    principal: Principal,
) -> None:
    """The notice's deadline holds for all its problems: earlier ones move to it (调整期限,
    in each problem's history), later ones stay."""
    earlier = [row for row in chosen if row["deadline"] is None or row["deadline"] < deadline]
    if earlier:
        principal.require("reschedule")
        note = f"整改通知书{number}统一整改期限"
        ids = [row["id"] for row in earlier]
        issue_queries.reschedule_all(connection, ids, deadline, principal.username, note)
        point_state.refresh(connection, [row["point_id"] for row in earlier])


def _choose(connection: Connection, body: NoticeCreate, area: areas.AreaRef | None) -> list[Any]:
    """The problems for the notice, locked; an explicit list must be notifiable entirely."""
    if body.issues is not None:
        rows = queries.candidates(connection, body.unit, ids=body.issues)
        reasons = _unfit(rows, body)
        if reasons:
            raise Conflict("; ".join(reasons), reasons=reasons)
        return rows
    rows = queries.candidates(
        connection,
        body.unit,
        area_id=area.id if area is not None else None,
        since=body.since,
        until=body.until,
    )
    return [row for row in rows if row["on_notice"] is None]


def _unfit(rows: list[Any], body: NoticeCreate) -> list[str]:
    assert body.issues is not None
    found = {row["id"]: row for row in rows}
    reasons = [f"{i}: no such problem" for i in body.issues if i not in found]
    for row in rows:
        if row["status"] not in queries.NOTIFIABLE:
            reasons.append(f"{row['id']}: is {row['status']}, not dispatched to a unit")
        elif row["unit_code"] != body.unit:
            reasons.append(f"{row['id']}: is dispatched to {row['unit_code']}, not {body.unit}")
        elif row["on_notice"] is not None:
            reasons.append(f"{row['id']}: already on notice {row['on_notice']}")
    return reasons


def read_notice(
    connection: Connection, notice_id: int, principal: Principal, now: datetime
) -> NoticePublic:
    """The notice with its problems as they stand now; a unit reads only its own."""
    principal.require("read")
    notice = queries.select_notice(connection, notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}")
    _own(notice, principal)
    problems = [
        dict(row)
        for row in queries.notice_issues(connection, notice_id, now, principal.scope_sql("i."))
    ]
    follow_up = {
        "problems": len(problems),
        "open": sum(p["status"] in queries.NOTIFIABLE for p in problems),
        "rectified": sum(p["status"] in AWAITING_VERIFICATION for p in problems),
        "closed": sum(p["status"] == Status.CLOSED for p in problems),
        "overdue": sum(bool(p["overdue"]) for p in problems),
        "reminders": sum(e["level"] == "reminder" for p in problems for e in p["escalations"]),
        "supervisions": sum(
            e["level"] == "supervision" for p in problems for e in p["escalations"]
        ),
    }
    area = {"code": notice["area_code"], "name": notice["area_name"]} if notice["area_id"] else None
    return NoticePublic(
        **{k: notice[k] for k in NoticePublic.model_fields if k in notice},
        unit={"code": notice["unit_code"], "name": notice["unit_name"]},
        area=area,
        issues=problems,
        follow_up=follow_up,
        events=[dict(e) for e in queries.notice_events(connection, notice_id)],
    )


def _own(notice: Any, principal: Principal) -> None:
    if principal.role == "unit" and notice["unit_code"] != principal.unit_code:
        raise Forbidden(f"notice {notice['number']} is addressed to another unit")
    if principal.role == "inspector":
        raise Forbidden("notices are read by the office and the unit they are addressed to")


def list_notices(
    connection: Connection, principal: Principal, unit: str | None, acknowledged: bool | None
) -> list[dict[str, Any]]:
    """Notices newest first; a unit sees its own."""
    principal.require("read")
    if principal.role == "inspector":
        raise Forbidden("notices are read by the office and the unit they are addressed to")
    if principal.role == "unit":
        unit = principal.unit_code
    return [dict(r) for r in queries.list_notices(connection, unit, acknowledged)]


def acknowledge(
    connection: Connection, notice_id: int, note: str | None, principal: Principal, now: datetime
) -> None:
    """The unit signs for the notice once (签收); recorded in the notice's history."""
    principal.require("acknowledge")
    notice = queries.select_notice(connection, notice_id, for_update=True)
    if notice is None:
        raise NotFound(f"no notice {notice_id}")
    _own(notice, principal)
    if notice["acknowledged_at"] is not None:
        raise Conflict(
            f"notice {notice['number']} was acknowledged by {notice['acknowledged_by']} "
            f"at {notice['acknowledged_at'].isoformat()}"
        )
    queries.acknowledge(connection, notice_id, principal.username, now)
    queries.add_event(connection, notice_id, principal.username, "acknowledge", now, note)


def escalate(
    connection: Connection, settings: Settings, principal: Principal, now: datetime
) -> list[EscalationPublic]:
    """Reminder or supervision cards for late problems, at most once per interval each."""
    principal.require("notice")
    rows = queries.escalate(
        connection,
        now,
        settings.escalation_interval_hours,
        settings.supervision_after_days,
        principal.username,
    )
    return [EscalationPublic(**row) for row in rows]
