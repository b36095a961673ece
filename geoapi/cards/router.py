"""`/escalations`: reminder and supervision cards as a worklist, a printable card, a unit's
reply, a planner's own supervision card, and the run that issues cards for late problems."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from geoapi import documents
from geoapi.auth.dependency import PrincipalDep
from geoapi.cards import service
from geoapi.cards.schemas import Card, Reply, Supervision
from geoapi.db.engine import SessionDep
from geoapi.downloads import csv_download
from geoapi.instants import Day
from geoapi.issues import photos
from geoapi.issues.states import NAMES_ZH
from geoapi.notices import service as notices
from geoapi.notices.schemas import EscalationPublic
from geoapi.stats import periods

router = APIRouter(tags=["Reminder and supervision cards (提醒卡, 督办卡)"])

CSV_HEADERS = {
    "id": "编号",
    "card": "类别",
    "at": "发出时间",
    "unit": "责任单位",
    "problem": "问题类型",
    "place": "点位",
    "street": "街道",
    "deadline": "整改期限",
    "days_overdue": "超期天数",
    "note": "督办事项",
    "reply_due": "回复期限",
    "replied_at": "回复时间",
    "measures": "整改措施",
    "responsible": "责任人",
}


@router.get(
    "/escalations",
    operation_id="listCards",
    responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}}}},
)
def list_cards(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    unit: str | None = None,
    level: Literal["reminder", "supervision"] | None = None,
    state: Annotated[
        Literal["open", "replied"] | None, Query(description="open: not answered yet")
    ] = None,
    week: Annotated[str | None, Query(description="Issued in this ISO week, e.g. 2026-W48")] = None,
    first: Annotated[Day | None, Query(alias="from", description="Issued from this day")] = None,
    last: Annotated[Day | None, Query(alias="to", description="…to this day, included")] = None,
    f: Annotated[
        Literal["json", "csv", "html"] | None,
        Query(description="csv: the unit's digest for spreadsheets; html: printable"),
    ] = None,
) -> Any:
    """Cards newest first (a unit sees its own): the office's worklist and, with `unit` and
    `week`, a unit's weekly digest of its cards."""
    settings = request.app.state.settings
    period = None
    if week is not None or first is not None or last is not None:
        period = periods.choose(week, first, last, settings.today(), settings.zone)
    cards = service.list_cards(session.connection(), principal, unit, level, period, state)
    if f == "csv":
        return csv_download([_row(card, settings.zone) for card in cards], "cards.csv", CSV_HEADERS)
    if documents.wants_html(request, f):
        html = documents.render(
            "cards.html",
            cards=cards,
            period=period,
            unit=cards[0].unit if unit and cards else None,
            office=settings.notice_office,
            zone=settings.zone,
            base=documents.base_of(request),
            statuses=NAMES_ZH,
        )
        return HTMLResponse(html)
    return cards


def _row(card: Card, zone: Any) -> dict[str, Any]:
    """A card as one row of the digest, in names and local times."""

    def local(instant: datetime | None) -> str:
        return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M") if instant else ""

    reply = card.reply or {}
    return {
        "id": card.id,
        "card": card.level_name,
        "at": local(card.at),
        "unit": card.unit["name"],
        "problem": card.issue["type_name"],
        "place": card.issue["point"]["name"] or card.issue["address"] or "",
        "street": card.issue["street"] or "",
        "deadline": local(card.issue["deadline"]),
        "days_overdue": card.days_overdue,
        "note": card.note or "",
        "reply_due": local(card.reply_due),
        "replied_at": local(reply.get("at")),
        "measures": reply.get("measures", ""),
        "responsible": reply.get("responsible", ""),
    }


@router.get(
    "/escalations/{card_id}",
    operation_id="getCard",
    name="getCard",
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
def get_card(
    request: Request,
    card_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    f: Annotated[Literal["json", "html"] | None, Query(description="html: printable")] = None,
    paper: Annotated[Literal["A4", "A5"], Query(description="Printed size")] = "A5",
) -> Any:
    """One card; `f=html` (or Accept: text/html) is the printable card with its reply section."""
    card = service.read_card(session.connection(), card_id, principal)
    if not documents.wants_html(request, f):
        return card
    settings = request.app.state.settings
    html = documents.render(
        "card.html",
        card=card,
        paper=paper,
        thumbnails=photos.thumbnail_uris(settings.photos_dir, card.issue["photos"]),
        office=settings.notice_office,
        zone=settings.zone,
        base=documents.base_of(request),
        statuses=NAMES_ZH,
    )
    return HTMLResponse(html)


@router.post("/escalations/{card_id}/reply", operation_id="replyToCard")
def reply_to_card(card_id: int, body: Reply, session: SessionDep, principal: PrincipalDep) -> Card:
    """The addressed unit answers the card once (整改情况回复: measures, responsible person)."""
    card = service.reply(session.connection(), card_id, body, principal)
    session.commit()
    return card


@router.post("/issues/{issue_id}/supervision", status_code=201, operation_id="superviseIssue")
def supervise_issue(
    request: Request,
    response: Response,
    issue_id: uuid.UUID,
    body: Supervision,
    session: SessionDep,
    principal: PrincipalDep,
) -> Card:
    """A planner's own supervision card (督办卡) on a problem a unit holds, late or not, with
    what to do and a date by which the unit must reply."""
    connection = session.connection()
    card_id = service.supervise(connection, issue_id, body, principal, datetime.now(UTC))
    card = service.read_card(connection, card_id, principal)
    session.commit()
    response.headers["Location"] = str(request.url_for("getCard", card_id=card_id))
    return card


@router.post("/escalations", operation_id="runEscalations")
def run_escalations(
    request: Request, session: SessionDep, principal: PrincipalDep
) -> list[EscalationPublic]:
    """Issue reminder (提醒卡) or supervision (督办卡) cards for problems past their deadline.

    Each late problem gets at most one card per `GEOAPI_ESCALATION_INTERVAL_HOURS`; from
    `GEOAPI_SUPERVISION_AFTER_DAYS` late it is a supervision card. Run it from cron (or
    `geoapi escalate`); running it more often changes nothing.
    """
    settings = request.app.state.settings
    cards = notices.escalate(session.connection(), settings, principal, datetime.now(UTC))
    session.commit()
    return cards
