"""`/sign-in-links` (a planner gives a phone a one-time link, with its QR code) and
`/sign-in/{token}` (the phone opens it and gets a session)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from geoapi.auth import sessions, sign_in
from geoapi.auth.dependency import PrincipalDep
from geoapi.db.engine import SessionDep

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
    responses={303: {"description": "Signed in: on to the link's page, with a session"}},
)
def use_sign_in_link(
    request: Request,
    token: Annotated[str, Path(max_length=64)],
    session: SessionDep,
) -> RedirectResponse:
    """Open a sign-in link (once, before it expires): a session cookie and on to its page."""
    settings = request.app.state.settings
    session_token, next_path = sign_in.exchange(session.connection(), token, settings.session_hours)
    session.commit()
    moved = RedirectResponse(next_path, 303)
    sessions.set_cookie(moved, session_token, settings)
    return moved
