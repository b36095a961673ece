"""`/health`: is the service able to answer from PostGIS right now?"""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from geoapi.db.engine import SessionDep
from geoapi.errors import DatabaseUnavailable

router = APIRouter(tags=["service"])


class Health(BaseModel):
    """Service and database status."""

    status: Literal["ok"]
    database: str
    postgis: str
    schema_revision: str | None


@router.get("/health", operation_id="getHealth", responses={503: {"description": "DB down"}})
def get_health(session: SessionDep) -> Health:
    """Answer 200 when PostGIS answers, 503 (problem+json) when it does not."""
    try:
        database, postgis, migrated = session.execute(
            text(
                "SELECT current_database(), postgis_lib_version(), "
                "to_regclass('alembic_version') IS NOT NULL"
            )
        ).one()
        revision = (
            session.scalar(text("SELECT version_num FROM alembic_version")) if migrated else None
        )
    except OperationalError as exc:
        raise DatabaseUnavailable("The database cannot be reached.") from exc
    return Health(status="ok", database=database, postgis=postgis, schema_revision=revision)
