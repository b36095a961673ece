"""Resolve an API key to its user, and manage users and keys (the CLI's `geoapi users`)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from geoapi import areas
from geoapi.auth.keys import key_hash, key_label, new_key
from geoapi.auth.principal import Principal
from geoapi.auth.sessions import principal_sql
from geoapi.errors import InvalidParameter
from geoapi.vocabulary import ROLES


class UserError(ValueError):
    """A user cannot be added or changed as asked; the message says why."""


def principal_for_key(connection: Connection, key: str) -> Principal | None:
    """The active user holding `key`, or None (unknown, revoked or disabled)."""
    row = (
        connection.execute(
            text(principal_sql("api_keys k", "k.key_hash = :hash")), {"hash": key_hash(key)}
        )
        .mappings()
        .first()
    )
    return Principal(**row) if row else None


def add_user(
    connection: Connection,
    username: str,
    role: str,
    area_code: str | None = None,
    unit_code: str | None = None,
    display_name: str | None = None,
    key: str | None = None,
) -> str:
    """Create a user and return their first API key (shown once, never stored).

    `key` fixes the key instead of drawing a random one: for the demo's published users only.
    """
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "unit" and unit_code is None:
        raise UserError("a unit user needs --unit (the unit code)")
    if connection.scalar(
        text("SELECT EXISTS (SELECT FROM users WHERE username = :u)"), {"u": username}
    ):
        raise UserError(f"user {username!r} exists; use `geoapi users key` for another key")
    area_id = _area_id(connection, area_code)
    if unit_code is not None and not connection.scalar(
        text("SELECT EXISTS (SELECT FROM units WHERE code = :u)"), {"u": unit_code}
    ):
        raise UserError(f"no unit {unit_code!r}")
    connection.execute(
        text(
            "INSERT INTO users (username, display_name, role, area_id, unit_code) "
            "VALUES (:username, :display_name, :role, :area_id, :unit_code)"
        ),
        {
            "username": username,
            "display_name": display_name,
            "role": role,
            "area_id": area_id,
            "unit_code": unit_code,
        },
    )
    return issue_key(connection, username, key)


def _area_id(connection: Connection, area_code: str | None) -> int | None:
    if area_code is None:
        return None
    try:
        return areas.resolve(connection, area_code).id
    except InvalidParameter as exc:
        raise UserError(exc.detail) from exc


def issue_key(connection: Connection, username: str, key: str | None = None) -> str:
    """A new API key for an active user (random unless `key` is given)."""
    user_id = connection.scalar(
        text("SELECT id FROM users WHERE username = :u AND disabled_at IS NULL"), {"u": username}
    )
    if user_id is None:
        raise UserError(f"no active user {username!r}")
    key = key or new_key()
    connection.execute(
        text("INSERT INTO api_keys (user_id, prefix, key_hash) VALUES (:id, :prefix, :hash)"),
        {"id": user_id, "prefix": key_label(key), "hash": key_hash(key)},
    )
    return key


def revoke(connection: Connection, username: str, disable: bool = False) -> int:
    """Revoke every key of a user (and disable the user); returns how many keys were live."""
    revoked = connection.execute(
        text(
            "UPDATE api_keys SET revoked_at = now() FROM users u "
            "WHERE u.id = api_keys.user_id AND u.username = :u AND api_keys.revoked_at IS NULL"
        ),
        {"u": username},
    ).rowcount
    found = connection.execute(
        text(
            "UPDATE users SET disabled_at = CASE WHEN :disable THEN now() ELSE disabled_at END "
            "WHERE username = :u"
        ),
        {"u": username, "disable": disable},
    ).rowcount
    if not found:
        raise UserError(f"no user {username!r}")
    return revoked


@dataclass(frozen=True)
class UserRow:
    """One line of `geoapi users list`."""

    username: str
    role: str
    area: str | None
    unit: str | None
    live_keys: int
    keys: str
    disabled_at: datetime | None


def list_users(connection: Connection) -> list[UserRow]:
    """Every user with their scope and live keys (by label)."""
    rows = connection.execute(
        text(
            "SELECT u.username, u.role, a.code AS area, u.unit_code AS unit, "
            "count(k.id) AS live_keys, coalesce(string_agg(k.prefix || '…', ' '), '') AS keys, "
            "u.disabled_at FROM users u LEFT JOIN areas a ON a.id = u.area_id "
            "LEFT JOIN api_keys k ON k.user_id = u.id AND k.revoked_at IS NULL "
            "GROUP BY u.id, a.code ORDER BY u.username"
        )
    ).mappings()
    return [UserRow(**row) for row in rows]
