"""Request and response bodies of the issues API."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from geoapi.instants import Instant
from geoapi.vocabulary import ISSUE_SOURCES

Source = Literal[ISSUE_SOURCES]  # type: ignore[valid-type]


class IssueCreate(BaseModel):
    """A new problem: where (lon/lat or a point code), what, how bad; reported by the key's user."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(None, description="Client-chosen id: a retried create is a no-op")
    type: str
    severity: Annotated[int, Field(ge=1, le=3)] = 2
    source: Source
    description: Annotated[str, Field(max_length=2000)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    point_code: str | None = None
    confidence: Annotated[float, Field(ge=0, le=1)] | None = None

    @model_validator(mode="after")
    def _located(self) -> "IssueCreate":
        if self.point_code is None and (self.lon is None or self.lat is None):
            raise ValueError("give lon and lat, or point_code")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon and lat go together")
        return self


class Transition(BaseModel):
    """One move through the loop."""

    model_config = ConfigDict(extra="forbid")

    action: Literal[
        "dispatch", "start", "defer", "reschedule", "rectify", "close", "reopen", "reject", "merge"
    ]
    note: Annotated[str, Field(max_length=2000)] | None = None
    unit: str | None = Field(None, description="dispatch/reopen: the responsible unit")
    deadline: Instant | None = Field(
        None,
        description="dispatch/reopen: default by type; defer: the new, later deadline; "
        "reschedule: the corrected deadline, earlier or later (within the horizon)",
    )
    into: uuid.UUID | None = Field(None, description="merge: the issue this one duplicates")


class BatchMove(Transition):
    """One move of a batch: which problem, and optionally the version it was read at."""

    id: uuid.UUID
    version: int | None = Field(None, description="The version read (ETag); stale: the item fails")


class BatchTransitions(BaseModel):
    """Moves made together or not at all (a unit rectifying a whole notice's problems)."""

    model_config = ConfigDict(extra="forbid")

    moves: Annotated[list[BatchMove], Field(min_length=1, max_length=500)]


class Moved(BaseModel):
    """Where a problem of a batch stands after its move."""

    id: uuid.UUID
    status: str
    version: int


class Event(BaseModel):
    """One row of the append-only history."""

    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    note: str | None
    deadline: datetime | None = Field(None, description="The deadline this step set")


class Duplicate(BaseModel):
    """An open problem of the same type nearby."""

    id: uuid.UUID
    status: str
    source: str
    reported_at: datetime
    distance_m: float


class EvidenceFlag(BaseModel):
    """Why a photo may not show what it claims (for the verifier to weigh)."""

    kind: Literal["taken_before_report", "far", "same_picture"]
    detail: str
    detail_zh: str
    photo: str = Field(description="SHA-256 of the flagged photo")
    issue_id: uuid.UUID | None = Field(None, description="same_picture: where it is too")
    distance_m: float | None = None


class Photo(BaseModel):
    """A photo or short video of the problem, before or after rectification."""

    sha256: str
    tag: Literal["before", "after"]
    content_type: str
    bytes: int
    uploaded_at: datetime
    taken_at: datetime | None = None
    lon: float | None = None
    lat: float | None = None
    seconds: float | None = Field(None, description="A video's length")
    round: int = Field(0, description="The round of work it shows: times sent back before it")
    flags: list[dict[str, Any]] = []


class IssuePublic(BaseModel):
    """A problem with its whole history."""

    id: uuid.UUID
    status: str
    version: int
    type: str
    severity: int
    source: str
    description: str | None
    confidence: float | None
    unit: str | None
    deadline: datetime | None
    reported_at: datetime
    dispatched_at: datetime | None
    rectified_at: datetime | None
    closed_at: datetime | None
    merged_into: uuid.UUID | None
    lon: float
    lat: float
    point: dict[str, Any] | None
    allowed_actions: list[str]
    events: list[Event]
    photos: list[Photo] = []
    evidence_flags: list[EvidenceFlag] = Field(
        default_factory=list, description="What the evidence checks found, for the verifier"
    )
    possible_duplicates: list[Duplicate] = Field(
        default_factory=list, description="On create: open problems of the same type nearby"
    )
