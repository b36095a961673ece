"""`/categories`, `/issue-types`, `/units`, `/teams`: every signed-in role lists and reads
them (with an ETag); an admin creates or replaces one by code (`PUT`, If-Match optional)."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response
from pydantic import BaseModel

from geoapi.auth.dependency import PrincipalDep
from geoapi.db.engine import SessionDep
from geoapi.etags import etag, if_match_version
from geoapi.reference import service
from geoapi.reference.schemas import (
    Category,
    CategoryBody,
    IssueType,
    IssueTypeBody,
    Team,
    TeamBody,
    Unit,
    UnitBody,
)

router = APIRouter(tags=["Reference data (categories, problem types, units, teams)"])
CodePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The row's code")]
IfMatch = Annotated[str | None, Header(description="ETag of the version you read")]


def _publish(
    path: str, kind: str, answer: type[BaseModel], body_model: type[BaseModel], name: str
) -> None:
    """List, read and put endpoints of one kind of reference row."""

    def list_rows(session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
        principal.require("read")
        return service.list_rows(session.connection(), kind)

    def read_row(
        code: CodePath, response: Response, session: SessionDep, principal: PrincipalDep
    ) -> dict[str, Any]:
        principal.require("read")
        row = service.read_row(session.connection(), kind, code)
        response.headers["ETag"] = etag(service.version_of(row))
        return row

    def put_row(
        code: CodePath,
        body: body_model,  # type: ignore[valid-type]
        response: Response,
        session: SessionDep,
        principal: PrincipalDep,
        if_match: IfMatch = None,
    ) -> dict[str, Any]:
        principal.require("reference")
        connection = session.connection()
        row, created = service.put_row(connection, kind, code, body, if_match_version(if_match))
        session.commit()
        response.status_code = 201 if created else 200
        response.headers["ETag"] = etag(service.version_of(row))
        return row

    title = name.capitalize()
    _add(list_rows, "get", path, f"list{title}", list[answer], f"Every {name}, by code.")  # type: ignore[valid-type]
    _add(read_row, "get", f"{path}/{{code}}", f"get{title}", answer, f"One {name}.")
    _add(
        put_row,
        "put",
        f"{path}/{{code}}",
        f"put{title}",
        answer,
        f"Create or replace a {name} (admin); 201 when new.",
    )


def _add(
    endpoint: Callable[..., Any], method: str, path: str, operation: str, model: Any, doc: str
) -> None:
    endpoint.__doc__ = doc
    created: dict[int | str, dict[str, Any]] | None = (
        {201: {"description": "Created", "model": model}} if method == "put" else None
    )
    router.add_api_route(
        path,
        endpoint,
        methods=[method.upper()],
        operation_id=operation,
        response_model=model,
        responses=created,
    )


_publish("/categories", "categories", Category, CategoryBody, "category")
_publish("/issue-types", "issue_types", IssueType, IssueTypeBody, "issueType")
_publish("/units", "units", Unit, UnitBody, "unit")
_publish("/teams", "teams", Team, TeamBody, "team")
