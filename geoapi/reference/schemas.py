"""What a category, problem type, unit or team looks like through the API and the CLI."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]


class Strict(BaseModel):
    """Unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class CategoryBody(Strict):
    """A kind of inspection point (集贸市场, 背街小巷…) and the problems found at it."""

    name_zh: Name
    name_en: Name
    issue_types: list[Code] = Field(
        [], description="problem types found at this kind of point (links reports to points)"
    )


class Category(CategoryBody):
    """The row as stored, with its code."""

    code: Code


class IssueTypeBody(Strict):
    """A kind of problem (占道经营…), its rectification period and default unit."""

    name_zh: Name
    name_en: Name
    default_deadline_days: Annotated[int, Field(ge=1, le=365)]
    default_unit: Code | None = Field(
        None, description="dispatched to this unit when the problem's point has none"
    )
    categories: list[Code] = Field([], description="kinds of point where it is found")
    after_photo_required: bool = Field(
        True, description="rectifying needs an after photo or video (整改后照片)"
    )


class IssueType(IssueTypeBody):
    """The row as stored, with its code."""

    code: Code


class UnitBody(Strict):
    """A responsible unit (责任单位): receives rectification notices."""

    name: Name


class Unit(UnitBody):
    """The row as stored, with its code."""

    code: Code


class TeamBody(Strict):
    """An inspection team (督导组), the area it covers and where its day starts."""

    name: Name
    area: Code | None = Field(None, description="area code (any level) the team covers")
    base: LonLat | None = Field(None, description="[lon, lat] where its routes start and end")


class Team(TeamBody):
    """The row as stored, with its code."""

    code: Code
    base: Annotated[list[float], Field(min_length=2, max_length=2)] | None = Field(  # type: ignore[assignment]
        None, description="[lon, lat] where its routes start and end"
    )
