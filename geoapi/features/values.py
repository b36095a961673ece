"""Request strings turned into the Python type of the column they are compared with."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.sql.elements import KeyedColumnElement

from geoapi.errors import InvalidParameter


def typed_value(column: KeyedColumnElement[Any], name: str, value: str) -> Any:
    """A request string as the column's Python type, or a 400 naming the property."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if kind is bool:
            return {"true": True, "false": False}[value.lower()]
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is uuid.UUID:
            return uuid.UUID(value)
        return kind(value)
    except (ValueError, KeyError) as exc:
        raise InvalidParameter(f"{name}: {value!r} is not a valid {kind.__name__}") from exc
