"""`/notices`: send problems to units on paper and confirm receipt."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from geoapi import documents
from geoapi.auth.dependency import PrincipalDep
from geoapi.db.engine import SessionDep
from geoapi.issues import photos
from geoapi.issues.states import NAMES_ZH
from geoapi.notices import service
from geoapi.notices.schemas import Acknowledgement, NoticeCreate, NoticePublic

router = APIRouter(tags=["Rectification notices (整改通知单)"])


@router.post("/notices", status_code=201, operation_id="createNotice")
def create_notice(
    request: Request,
    response: Response,
    body: NoticeCreate,
    session: SessionDep,
    principal: PrincipalDep,
) -> NoticePublic:
    """Group one unit's dispatched problems (a list, or by area and dispatch period) on a
    numbered notice; problems already on a notice since their last dispatch are left out."""
    settings = request.app.state.settings
    now = datetime.now(UTC)
    connection = session.connection()
    notice_id = service.issue_notice(connection, body, settings, principal, now)
    notice = service.read_notice(connection, notice_id, principal, now)
    session.commit()
    response.headers["Location"] = str(request.url_for("getNotice", notice_id=notice_id))
    return notice


@router.get("/notices", operation_id="listNotices")
def list_notices(
    session: SessionDep,
    principal: PrincipalDep,
    unit: str | None = None,
    acknowledged: bool | None = None,
) -> list[dict[str, Any]]:
    """Notices, newest first (a unit sees its own), with how many of their problems are open."""
    return service.list_notices(session.connection(), principal, unit, acknowledged)


@router.get(
    "/notices/{notice_id}",
    operation_id="getNotice",
    name="getNotice",
    responses={200: {"content": {"text/html": {}}}},
)
def get_notice(
    request: Request,
    notice_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    f: Annotated[Literal["json", "html"] | None, Query(description="html: printable")] = None,
) -> Any:
    """The notice with its problems as they stand now; `f=html` (or Accept: text/html) prints."""
    now = datetime.now(UTC)
    notice = service.read_notice(session.connection(), notice_id, principal, now)
    if not documents.wants_html(request, f):
        return notice
    settings = request.app.state.settings
    thumbnails = {
        str(issue["id"]): photos.thumbnail_uris(settings.photos_dir, issue["photos"])
        for issue in notice.issues
    }
    html = documents.render(
        "notice.html",
        notice=notice,
        zone=settings.zone,
        thumbnails=thumbnails,
        statuses=NAMES_ZH,
    )
    return HTMLResponse(html)


@router.post("/notices/{notice_id}/acknowledge", operation_id="acknowledgeNotice")
def acknowledge_notice(
    notice_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    body: Acknowledgement | None = None,
) -> NoticePublic:
    """The addressed unit signs for the notice (签收), once; kept in the notice's history."""
    now = datetime.now(UTC)
    connection = session.connection()
    service.acknowledge(connection, notice_id, body.note if body else None, principal, now)
    notice = service.read_notice(connection, notice_id, principal, now)
    session.commit()
    return notice
