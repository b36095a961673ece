"""Looking up an administrative area by its code, for any filter that takes `area=`."""

from dataclasses import dataclass

from sqlalchemy import Connection, text

from geoapi.errors import InvalidParameter


@dataclass(frozen=True)
class AreaRef:
    """An area's id, level, code and name; `column` is the area-id column rows carry for it."""

    id: int
    level: str
    code: str
    name: str

    @property
    def column(self) -> str:
        """The area-id column of points and issues for this level."""
        return f"{self.level}_id"


def resolve(connection: Connection, code: str, parameter: str = "area") -> AreaRef:
    """The area with `code`, or a 400 naming the parameter."""
    row = (
        connection.execute(
            text("SELECT id, level, code, name FROM areas WHERE code = :c"), {"c": code}
        )
        .mappings()
        .first()
    )
    if row is None:
        raise InvalidParameter(f"{parameter}: no area with code {code!r}")
    return AreaRef(**row)
