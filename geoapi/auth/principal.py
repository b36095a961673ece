"""The caller of a request, and the SQL that limits rows to what the caller may see."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, text

from geoapi.auth.roles import allowed
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

    def scope_sql(self, prefix: str = "") -> tuple[str, dict[str, Any]]:
        """A SQL predicate on a row with area id / unit columns (`prefix` e.g. `i.`).

        An inspector with an area is limited to its rows, a unit to the rows dispatched to it;
        other roles are not limited by rows (whether they may act at all is `require`'s).
        """
        if self.role == "unit":
            return f"{prefix}unit_code = :scope_unit", {"scope_unit": self.unit_code}
        if self.role == "inspector" and self.area_id is not None:
            return f"{prefix}{self.area_level}_id = :scope_area", {"scope_area": self.area_id}
        return "TRUE", {}  # what the role may do at all is `require`'s question

    def scope_columns(self) -> set[str]:
        """Columns a table needs for `scope_sql` to apply to it."""
        if self.role == "unit":
            return {"unit_code"}
        if self.role == "inspector" and self.area_id is not None:
            return {f"{self.area_level}_id"}
        return set()

    def row_filter(self, columns: set[str]) -> ColumnElement[bool] | None:
        """`scope_sql` as a bound clause for a table with `columns`; None: it cannot apply."""
        if not self.scope_columns() <= columns:
            return None
        sql, params = self.scope_sql()
        return text(sql).bindparams(**params)  # type: ignore[return-value]


ANONYMOUS = Principal(username="anonymous", role="public")


# The service acting on its own (merging a duplicate, escalating late problems, the CLI).
SYSTEM = Principal(username="system", role="admin")
