"""Responsibilities: who may read and change them, checks on what a request names, and the
CSV import (all rows or none)."""

import csv
import io
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, RowMapping

from geoapi.auth.principal import Principal
from geoapi.errors import InvalidParameter, NotFound
from geoapi.reference import queries as reference_queries
from geoapi.responsibility import queries
from geoapi.responsibility.schemas import Responsibility, ResponsibilityCreate
from geoapi.vocabulary import RESPONSIBILITY_NAMES

MAX_LISTED = 10_000
CSV_COLUMNS = ("point", "area", "role", "person", "unit", "title", "phone")


def list_all(connection: Connection, principal: Principal, **filters: Any) -> list[Responsibility]:
    """Responsibilities by point, area, role or unit (any staff role reads them)."""
    principal.require("read")
    return [_public(row) for row in queries.listed(connection, filters, MAX_LISTED)]


def create(
    connection: Connection, body: ResponsibilityCreate, principal: Principal
) -> Responsibility:
    """Store one; 400 naming a point, area or unit that does not exist."""
    principal.require("edit_points")
    _check_names(connection, body)
    new_id = queries.insert(connection, body.model_dump())
    (row,) = queries.listed(connection, {"id": new_id}, 1)
    return _public(row)


def remove(connection: Connection, responsibility_id: int, principal: Principal) -> None:
    """Delete one (404 when there is none)."""
    principal.require("edit_points")
    if not queries.delete(connection, responsibility_id):
        raise NotFound(f"no responsibility {responsibility_id}")


def import_csv(connection: Connection, data: str, principal: Principal) -> int:
    """Every row of a CSV (columns CSV_COLUMNS, UTF-8, a header line) or none: 400 listing
    each bad row by its line number. Returns how many were stored."""
    principal.require("edit_points")
    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff")))
    missing = {"role"} - set(reader.fieldnames or [])
    if missing or not reader.fieldnames:
        raise InvalidParameter(f"CSV needs a header line with: {', '.join(CSV_COLUMNS)}")
    errors, bodies = [], []
    for line, row in enumerate(reader, start=2):
        values = {k: (row.get(k) or "").strip() or None for k in CSV_COLUMNS}
        try:
            body = ResponsibilityCreate(**values)
            _check_names(connection, body)
            bodies.append(body)
        except (ValidationError, InvalidParameter) as exc:
            errors.append(f"line {line}: {_reason(exc)}")
    if errors:
        raise InvalidParameter(f"{len(errors)} bad rows; nothing stored", errors=errors[:100])
    for body in bodies:
        queries.insert(connection, body.model_dump())
    return len(bodies)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc.args[0]) if exc.args else str(exc)


def _check_names(connection: Connection, body: ResponsibilityCreate) -> None:
    for name, value, table in (
        ("point", body.point, "points"),
        ("area", body.area, "areas"),
        ("unit", body.unit, "units"),
    ):
        if value is not None and reference_queries.missing(connection, table, [value]):
            raise InvalidParameter(f"{name}: no {name} {value!r}")


def _public(row: RowMapping) -> Responsibility:
    return Responsibility(
        id=row["id"],
        role=row["role"],
        role_name=RESPONSIBILITY_NAMES[row["role"]],
        point={"code": row["point_code"], "name": row["point_name"]} if row["point_code"] else None,
        area={"code": row["area_code"], "name": row["area_name"]} if row["area_code"] else None,
        person=row["person"],
        unit={"code": row["unit_code"], "name": row["unit_name"]} if row["unit_code"] else None,
        title=row["title"],
        phone=row["phone"],
        stars=row["stars"],
    )
