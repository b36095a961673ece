"""Request and response bodies of `/inspections` and `/points/due`."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from geoapi.inspections.scoring import Result
from geoapi.instants import Instant

Severity = Annotated[int, Field(ge=1, le=3)]
Text = Annotated[str, Field(max_length=2000)]


class AnswerIn(BaseModel):
    """The verdict on one criterion; a fail may open its problem at the point."""

    model_config = ConfigDict(extra="forbid")

    criterion: str
    result: Result
    partial: Annotated[float, Field(ge=0)] | None = Field(
        None, description="Credit kept despite a fail (below the criterion's weight)"
    )
    note: Text | None = None
    open_issue: bool = Field(False, description="fail: open the criterion's problem type here")
    severity: Severity = 2


class IssueSeen(BaseModel):
    """A problem seen during the visit that no criterion names."""

    model_config = ConfigDict(extra="forbid")

    type: str
    severity: Severity = 2
    description: Text | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None


class InspectionCreate(BaseModel):
    """One visit to one point: every criterion answered, where the device was, what was found."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(None, description="Client-chosen id: a retried upload is a no-op")
    point_code: str
    team: str | None = Field(None, description="Team code (督导组)")
    visited_at: Instant | None = Field(None, description="Default: now")
    lon: Annotated[float, Field(ge=-180, le=180)] | None = Field(None, description="Device")
    lat: Annotated[float, Field(ge=-90, le=90)] | None = Field(None, description="Device")
    answers: Annotated[list[AnswerIn], Field(min_length=1)]
    issues: list[IssueSeen] = Field(
        [],
        validation_alias=AliasChoices("issues", "problems"),  # `problems`: the former name
        description="problems seen that no criterion names; each is reported at the point",
    )
    notes: Text | None = None

    @model_validator(mode="after")
    def _device_located(self) -> "InspectionCreate":
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon and lat go together")
        if self.visited_at is not None and self.visited_at.tzinfo is None:
            raise ValueError("visited_at needs a time zone, e.g. 2026-11-24T09:30:00+08:00")
        return self


class InspectionPublic(BaseModel):
    """A recorded visit with its score and the problems it opened."""

    id: int
    client_id: uuid.UUID | None
    point: dict[str, Any]
    team: str | None
    inspector: str
    visited_at: datetime
    checklist_version: str
    score_rate: float
    earned: float
    possible: float
    passed: bool
    failed: list[str]
    vetoed_by: list[str]
    distance_m: float | None
    far_from_point: bool
    issues: list[uuid.UUID]
    already_open: list[uuid.UUID] = Field(
        default_factory=list, description="Problems a failed criterion found already open here"
    )
    notes: str | None
