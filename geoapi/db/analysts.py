"""Read-only PostgreSQL roles for analysts (QGIS, notebooks, DBeaver): SELECT on the
`analytics` views only (migration 0022), read-only sessions, and optionally one area whose
rows alone they see (`analytics.scopes`)."""

import re
import secrets

from sqlalchemy import Connection, text

from geoapi import areas
from geoapi.errors import InvalidParameter, NotFound

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _execute_formatted(connection: Connection, template: str, **values: str) -> None:
    """Run DDL whose names and literals PostgreSQL itself quotes (`format` with %I, %L):
    role statements take no bind parameters."""
    statement = connection.scalar(text(f"SELECT format({template})"), values)
    connection.execute(text(statement))


def _checked(name: str) -> str:
    if not ROLE_NAME.fullmatch(name):
        raise InvalidParameter(
            f"role name {name!r}: lower-case letters, digits and _, not starting with a digit"
        )
    return name


def create_role(
    connection: Connection, name: str, password: str | None = None, area: str | None = None
) -> str:
    """Create (or update) the read-only role `name`; returns its password (a new one when
    none is given). `area`: an area code whose rows alone it sees; None: all rows."""
    name = _checked(name)
    password = password or secrets.token_urlsafe(18)
    scope = areas.resolve(connection, area) if area else None
    exists = connection.scalar(
        text("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = :n)"), {"n": name}
    )
    verb = "ALTER" if exists else "CREATE"
    _execute_formatted(
        connection, f"'{verb} ROLE %I LOGIN PASSWORD %L', :n, :p", n=name, p=password
    )
    for template in (
        "'GRANT CONNECT ON DATABASE %I TO %I', current_database(), :n",
        "'GRANT USAGE ON SCHEMA analytics TO %I', :n",
        "'GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO %I', :n",
        "'ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO %I', :n",
        "'ALTER ROLE %I SET default_transaction_read_only = on', :n",
        "'ALTER ROLE %I SET search_path = analytics, public', :n",
    ):
        _execute_formatted(connection, template, n=name)
    if scope is None:
        connection.execute(text("DELETE FROM analytics.scopes WHERE role_name = :n"), {"n": name})
    else:
        connection.execute(
            text(
                "INSERT INTO analytics.scopes (role_name, area_id) VALUES (:n, :a) "
                "ON CONFLICT (role_name) DO UPDATE SET area_id = excluded.area_id"
            ),
            {"n": name, "a": scope.id},
        )
    return password


def drop_role(connection: Connection, name: str) -> None:
    """Remove the role, its grants and its scope."""
    name = _checked(name)
    exists = connection.scalar(
        text("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = :n)"), {"n": name}
    )
    if not exists:
        raise NotFound(f"no role {name!r}")
    connection.execute(text("DELETE FROM analytics.scopes WHERE role_name = :n"), {"n": name})
    for template in (
        "'ALTER DEFAULT PRIVILEGES IN SCHEMA analytics REVOKE SELECT ON TABLES FROM %I', :n",
        "'REVOKE ALL ON ALL TABLES IN SCHEMA analytics FROM %I', :n",
        "'REVOKE USAGE ON SCHEMA analytics FROM %I', :n",
        "'REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), :n",
        "'DROP ROLE %I', :n",
    ):
        _execute_formatted(connection, template, n=name)
