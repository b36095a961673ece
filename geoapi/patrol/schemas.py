"""Request and answer of `/routes/solve`."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from geoapi.instants import Day

LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]


class SolveRequest(BaseModel):
    """Any list of positions to visit, and how."""

    model_config = ConfigDict(extra="forbid")

    points: Annotated[list[LonLat], Field(min_length=2, max_length=2000)] = Field(
        description="[lon, lat] in WGS 84; duplicates allowed"
    )
    start_index: Annotated[int, Field(ge=0)] = 0
    return_to_start: bool = True
    time_limit_s: Annotated[float, Field(ge=0.1, le=60)] = 5.0
    metric: Literal["haversine", "network"] = "haversine"

    @model_validator(mode="after")
    def _start_is_a_point(self) -> "SolveRequest":
        if self.start_index >= len(self.points):
            raise ValueError(f"start_index {self.start_index} names no point of {len(self.points)}")
        return self


class SolveAnswer(BaseModel):
    """The order (a permutation of every index, from start_index) and its length."""

    order: list[int]
    length_m: float
    network: Literal["haversine", "roads", "straight_line"] = Field(
        description="what the lengths follow: great circles; walking on the road network "
        "(metric=network); or, with no road network loaded, great circles times "
        "GEOAPI_ROUTE_DETOUR_FACTOR"
    )


TravelMode = Literal["walk", "ebike", "car"]
LocalTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class PlanRequest(BaseModel):
    """A day to plan for one or more teams; stops come from the rules unless listed."""

    model_config = ConfigDict(extra="forbid")

    teams: Annotated[list[Annotated[str, Field(max_length=64)]], Field(min_length=1, max_length=50)]
    date: Day
    shift_start: LocalTime = "08:30"
    shift_end: LocalTime = "17:30"
    mode: TravelMode = "ebike"
    start_point: Annotated[str | None, Field(max_length=64)] = Field(
        None, description="a point code to start and end at instead of the team's base"
    )
    start_position: LonLat | None = Field(
        None, description="[lon, lat] to start and end at instead of the team's base"
    )
    include_due: bool = True
    include_verification: bool = True
    points: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=500)] = []
    inspectors_per_team: Annotated[int, Field(ge=1, le=20)] = Field(
        1, description="inspectors each team sends out, each with a route of their own"
    )
    max_stops: Annotated[int, Field(ge=1, le=200)] = Field(
        30, description="most stops on one inspector's route"
    )
    time_limit_s: Annotated[float, Field(ge=0.5, le=60)] = 5.0

    @model_validator(mode="after")
    def _shift_in_order(self) -> "PlanRequest":
        if self.shift_end <= self.shift_start:
            raise ValueError(
                f"shift_end {self.shift_end} is not after shift_start {self.shift_start}"
            )
        if (self.start_point or self.start_position) and len(self.teams) > 1:
            raise ValueError("start_point/start_position: one team only (each team has its base)")
        if self.start_point and self.start_position:
            raise ValueError("start_point and start_position: give one of them")
        if len(set(self.teams)) != len(self.teams):
            raise ValueError("teams: a team is listed twice")
        return self
