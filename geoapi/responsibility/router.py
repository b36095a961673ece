"""`/responsibilities`: who answers for points and areas (包联, 包保, 管家, 门前三包)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from geoapi.auth.dependency import PrincipalDep
from geoapi.db.engine import SessionDep
from geoapi.responsibility import service
from geoapi.responsibility.schemas import Responsibility, ResponsibilityCreate, Role

router = APIRouter(tags=["Responsibility (包联, 门前三包)"])


@router.get("/responsibilities", operation_id="listResponsibilities")
def list_responsibilities(
    session: SessionDep,
    principal: PrincipalDep,
    point: Annotated[str | None, Query(description="A point's code")] = None,
    area: Annotated[str | None, Query(description="An area's code")] = None,
    role: Role | None = None,
    unit: Annotated[str | None, Query(description="A unit's code")] = None,
) -> list[Responsibility]:
    """Leaders, backing units, keepers and shops answering for points and areas, with the
    stars each shop's frontage earned at its point's latest visit."""
    return service.list_all(
        session.connection(), principal, point=point, area=area, role=role, unit=unit
    )


@router.post("/responsibilities", status_code=201, operation_id="createResponsibility")
def create_responsibility(
    body: ResponsibilityCreate,
    session: SessionDep,
    principal: PrincipalDep,
) -> Responsibility:
    """Pair a person or unit with a point or an area (planner, admin)."""
    made = service.create(session.connection(), body, principal)
    session.commit()
    return made


@router.delete(
    "/responsibilities/{responsibility_id}", status_code=204, operation_id="deleteResponsibility"
)
def delete_responsibility(
    responsibility_id: int, session: SessionDep, principal: PrincipalDep
) -> Response:
    """End a pairing (planner, admin)."""
    service.remove(session.connection(), responsibility_id, principal)
    session.commit()
    return Response(status_code=204)
