"""Bodies of the responsibility API."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["leader", "unit", "keeper", "frontage"]
Short = Annotated[str, Field(min_length=1, max_length=100)]


class ResponsibilityCreate(BaseModel):
    """Someone who answers for a point or an area: a person, a unit, or both."""

    model_config = ConfigDict(extra="forbid")

    point: Short | None = Field(None, description="A point's code (give point or area)")
    area: Short | None = Field(None, description="An area's code")
    role: Role = Field(description="leader 包联领导, unit 包保单位, keeper 管家, frontage 门前三包")
    person: Short | None = None
    unit: Short | None = Field(None, description="A unit's code")
    title: Short | None = Field(None, description="职务: 副区长, 小巷管家, 楼院长, 店主 …")
    phone: Annotated[str, Field(pattern=r"^[0-9+\- ]{3,20}$")] | None = None

    @model_validator(mode="after")
    def _placed_and_named(self) -> "ResponsibilityCreate":
        if (self.point is None) == (self.area is None):
            raise ValueError("give point or area (one of them)")
        if self.person is None and self.unit is None:
            raise ValueError("give person, unit or both")
        return self


class Responsibility(BaseModel):
    """A responsibility as stored, with names."""

    id: int
    role: Role
    role_name: str
    point: dict[str, Any] | None
    area: dict[str, Any] | None
    person: str | None
    unit: dict[str, Any] | None
    title: str | None
    phone: str | None
    stars: int | None
