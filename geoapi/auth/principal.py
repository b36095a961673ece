"""The caller of a request, and the clause that limits rows to what the caller may see."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, true

from geoapi.auth.roles import allowed
from geoapi.db.clauses import columns_named, rendered
from geoapi.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Principal:
    """A user resolved from an API key, or the anonymous public."""

    username: str
    role: str
    area_id: int | None = None
    area_level: str | None = None
    area_code: str | None = None
    unit_code: str | None = None
    team_code: str | None = None  # the inspection team the user works in

    @property
    def anonymous(self) -> bool:
        """No key was given."""
        return self is ANONYMOUS

    def require(self, permission: str) -> None:
        """401 for the anonymous public, 403 for a role without `permission`."""
        if allowed(self.role, permission):
            return
        if self.anonymous:
            raise Unauthorized(f"{permission}: an API key is required (X-API-Key header)")
        raise Forbidden(f"{permission}: not allowed for role {self.role!r}")

    def scope(self, column: Callable[[str], ColumnElement[Any]]) -> ColumnElement[bool]:
        """The rows the caller may see, as a clause over `column(name)` (columns in, clause
        out): a unit's own problems, an inspector's area; every row for other roles (what a
        role may do at all is `require`'s question). The one home of the rule."""
        if self.role == "unit":
            return column("unit_code") == bindparam("scope_unit", self.unit_code)
        if self.role == "inspector" and self.area_id is not None:
            area = column(f"{self.area_level}_id")
            return area == bindparam("scope_area", self.area_id)
        return true()

    def scope_sql(self, prefix: str = "") -> tuple[str, dict[str, Any]]:
        """`scope` rendered for a SQL text statement over columns named `prefix` + name
        (e.g. `i.`), with its values."""
        return rendered(self.scope(columns_named(prefix)))

    def scope_columns(self) -> set[str]:
        """Columns a table needs for `scope` to apply to it."""
        if self.role == "unit":
            return {"unit_code"}
        if self.role == "inspector" and self.area_id is not None:
            return {f"{self.area_level}_id"}
        return set()

    def row_filter(self, table: Table) -> ColumnElement[bool] | None:
        """`scope` over `table`'s columns; None: the table lacks a column it needs."""
        if not self.scope_columns() <= set(table.c.keys()):
            return None
        return self.scope(lambda name: table.c[name])


ANONYMOUS = Principal(username="anonymous", role="public")


# The service acting on its own (merging a duplicate, escalating late problems, the CLI).
SYSTEM = Principal(username="system", role="admin")
