"""Request and answer of `/routes/solve`."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    network: Literal["haversine", "straight_line"] = Field(
        description="what the lengths follow: great circles, or (metric=network with no road "
        "network loaded) great circles times GEOAPI_ROUTE_DETOUR_FACTOR"
    )
