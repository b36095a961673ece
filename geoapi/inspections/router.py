"""`/inspections`, `/checklists` and `/points/due`: scored visits and what is due next."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from geoapi import areas
from geoapi.auth.dependency import PrincipalDep
from geoapi.db.engine import SessionDep
from geoapi.errors import InvalidParameter, NotFound
from geoapi.features.links import GEOJSON, GeoJSONResponse
from geoapi.inspections import due, service
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


@router.get(
    "/points/due",
    operation_id="listDuePoints",
    response_class=GeoJSONResponse,
    responses={200: {"content": {GEOJSON: {}}}},
)
def list_due_points(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    area: Annotated[str | None, Query(description="Area code, any level")] = None,
    day: Annotated[Day | None, Query(alias="date", description="Default: today")] = None,
    category: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Points due or overdue for a visit on `date`, never-visited and most late first.

    A point falls due its cycle's days after its last visit (the category's checklist sets the
    cycle; a point's `cycle_days` overrides it). Categories without a cycle are never due.
    """
    principal.require("read")
    settings = request.app.state.settings
    limit = limit or settings.max_limit
    if limit > settings.max_limit:
        raise InvalidParameter(f"limit: at most {settings.max_limit}")
    connection = session.connection()
    place = areas.resolve(connection, area) if area else None
    day = day or settings.today()
    cycles = _checklists(request).cycles(day)
    if category is not None and category not in cycles:
        raise InvalidParameter(
            f"category: {category!r} has no inspection cycle; known: {', '.join(sorted(cycles))}"
        )
    body = due.due_points(
        connection,
        day,
        settings.zone,
        cycles,
        place,
        category,
        limit,
        principal.scope_sql("p."),
    )
    return GeoJSONResponse(body)
