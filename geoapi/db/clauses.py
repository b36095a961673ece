"""Clauses built as SQLAlchemy expressions over columns by name, and rendered once for the SQL
text statements that aggregate in PostGIS (the map's, the scope's).

A clause is written against `column(name)`, so the same rule applies to a table, a layer or
an aliased text statement; rendering keeps every value a named bind parameter.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, literal_column

ColumnOf = Callable[[str], ColumnElement[Any]]


def columns_named(prefix: str = "") -> ColumnOf:
    """Columns of a text statement: `columns_named("i.")("status")` is `i.status`."""
    return lambda name: literal_column(f"{prefix}{name}")


def rendered(clause: ColumnElement[bool]) -> tuple[str, dict[str, Any]]:
    """The clause as SQL text with `:name` parameters, and their values."""
    compiled = clause.compile()
    return str(compiled), dict(compiled.params)
