"""`/inspections` and `/checklists`: scored visits and the standards they are scored by."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from geoapi.auth.dependency import PrincipalDep
from geoapi.db.engine import SessionDep
from geoapi.errors import NotFound
from geoapi.inspections import service
from geoapi.inspections.checklists import Checklist, Checklists
from geoapi.inspections.schemas import InspectionCreate, InspectionPublic
from geoapi.instants import Day

router = APIRouter(tags=["Inspections (实地测评)"])


def _checklists(request: Request) -> Checklists:
    return request.app.state.checklists


@router.get("/checklists", operation_id="listChecklists")
def list_checklists(request: Request, principal: PrincipalDep) -> list[Checklist]:
    """The checklist in force today for every category that has one."""
    principal.require("read")
    settings = request.app.state.settings
    checklists = _checklists(request)
    today = settings.today()
    return [c for cat in checklists.categories if (c := checklists.current(cat, today))]


@router.get("/checklists/{category}", operation_id="getChecklist")
def get_checklist(
    request: Request,
    category: str,
    principal: PrincipalDep,
    on: Annotated[Day | None, Query(description="The version in force that day")] = None,
) -> Checklist:
    """What an inspector answers at a point of `category`."""
    principal.require("read")
    checklist = _checklists(request).current(category, on or request.app.state.settings.today())
    if checklist is None:
        raise NotFound(f"no checklist for category {category!r}")
    return checklist


@router.post(
    "/inspections",
    status_code=201,
    operation_id="createInspection",
    responses={200: {"description": "Retried upload: the visit is already stored"}},
)
def create_inspection(
    request: Request,
    response: Response,
    body: InspectionCreate,
    session: SessionDep,
    principal: PrincipalDep,
) -> InspectionPublic:
    """Record a visit: score rate, far-from-point flag, problems opened, point status updated."""
    settings = request.app.state.settings
    connection = session.connection()
    visit, created = service.record(connection, body, _checklists(request), settings, principal)
    session.commit()
    response.status_code = 201 if created else 200
    response.headers["Location"] = str(request.url_for("getInspection", inspection_id=visit.id))
    return visit


@router.get("/inspections/{inspection_id}", operation_id="getInspection", name="getInspection")
def get_inspection(
    inspection_id: int, session: SessionDep, principal: PrincipalDep
) -> InspectionPublic:
    """One recorded visit with its score and the problems it opened."""
    return service.read(session.connection(), inspection_id, principal)
