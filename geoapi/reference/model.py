"""The reference rows as one value, read once, for code that works on many rows at a time
(the demo generator): problem types with their periods and default units, and which types
are found at which kind of point."""

from dataclasses import dataclass

from sqlalchemy import Connection

from geoapi.reference import queries


@dataclass(frozen=True)
class TypeRef:
    """A problem type's names, rectification days and default unit."""

    code: str
    name_zh: str
    deadline_days: int
    default_unit: str | None


@dataclass(frozen=True)
class Reference:
    """Problem types by code, and the types found at each point category."""

    issue_types: dict[str, TypeRef]
    found_at: dict[str, tuple[str, ...]]  # category → types (a category may have none)

    def types_at(self, category: str) -> tuple[str, ...]:
        """Types found at `category`; every type when none is linked to it."""
        return self.found_at.get(category) or tuple(self.issue_types)


def read_reference(connection: Connection) -> Reference:
    """The reference tables as they are now."""
    types = {
        row["code"]: TypeRef(
            row["code"], row["name_zh"], row["default_deadline_days"], row["default_unit"]
        )
        for row in queries.rows(connection, "issue_types")
    }
    found_at = {
        row["code"]: tuple(row["issue_types"]) for row in queries.rows(connection, "categories")
    }
    return Reference(types, found_at)
