"""`/sign-in-links` (a planner gives a phone a one-time link, with its QR code) and
`/sign-in/{token}` (the phone opens it and gets a session)."""

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from geoapi import documents
from geoapi.auth import sessions, sign_in
from geoapi.auth.dependency import PrincipalDep
from geoapi.db.engine import SessionDep
from geoapi.errors import Gone, NotFound

router = APIRouter(tags=["Sign-in"])


class SignInLinkCreate(BaseModel):
    """Who the phone signs in as, where it lands, and how long the link may wait."""

    model_config = ConfigDict(extra="forbid")

    user: Annotated[str, Field(min_length=1, max_length=128)]
    next: Annotated[str, Field(max_length=512)] = Field(
        "/map", description="A path of this service, e.g. /routes/12/view (the route's phone page)"
    )
    minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30


class SignInLinkPublic(BaseModel):
    """The link to open on the phone (once), and the same as a QR code."""

    url: str
    expires_at: datetime
    qr_svg: str = Field(description="The link as a QR code: an SVG data URI for an <img>")


@router.post("/sign-in-links", status_code=201, operation_id="createSignInLink")
def create_sign_in_link(
    request: Request, body: SignInLinkCreate, session: SessionDep, principal: PrincipalDep
) -> SignInLinkPublic:
    """A one-time link that signs a phone in as an inspector or a unit (planner, admin)."""
    link = sign_in.create(
        session.connection(), body.user, body.next, body.minutes, principal, datetime.now(UTC)
    )
    session.commit()
    url = str(request.url_for("useSignInLink", token=link.token))
    return SignInLinkPublic(url=url, expires_at=link.expires_at, qr_svg=sign_in.qr_svg(url))


@router.get(
    "/sign-in/{token}",
    status_code=303,
    operation_id="useSignInLink",
    name="useSignInLink",
    responses={
        303: {"description": "Signed in: on to the link's page, with a session"},
        404: {"description": "No such link (a page saying so to a browser)"},
        410: {"description": "Used or expired (a page saying so to a browser)"},
    },
)
def use_sign_in_link(
    request: Request,
    token: Annotated[str, Path(max_length=64)],
    session: SessionDep,
) -> Response:
    """Open a sign-in link (once, before it expires): a session cookie and on to its page.
    A phone's browser that cannot use it reads why, in words, instead of problem+json."""
    settings = request.app.state.settings
    try:
        session_token, next_path = sign_in.exchange(
            session.connection(), token, settings.session_hours
        )
    except (NotFound, Gone) as refused:
        if not documents.wants_html(request, None):
            raise
        return HTMLResponse(
            documents.render("sign_in_failed.html", **_why(refused, settings.zone)),
            status_code=refused.status_code,
        )
    session.commit()
    moved = RedirectResponse(next_path, 303)
    sessions.set_cookie(moved, session_token, settings)
    return moved


def _why(refused: NotFound | Gone, zone: ZoneInfo) -> dict[str, str]:
    """The failed link's page in the office's words: what happened to the link."""
    reason = refused.extra["reason"]
    if reason == "used":
        used = datetime.fromisoformat(refused.extra["used_at"]).astimezone(zone)
        return {
            "headline": "已使用",
            "explanation": f"此链接已于 {used:%Y-%m-%d %H:%M} 登录过一部手机，"
            "每个链接只能使用一次。",
            "detail": refused.detail,
        }
    if reason == "expired":
        return {
            "headline": "已过期",
            "explanation": "此链接已过有效期（或该账号已停用）。",
            "detail": refused.detail,
        }
    return {"headline": "无效", "explanation": "没有这个登录链接。", "detail": refused.detail}
