"""Request and response bodies of `/notices` and `/escalations`."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from geoapi.instants import Instant


class NoticeCreate(BaseModel):
    """Which of one unit's dispatched problems go on the notice: a list, or area and period."""

    model_config = ConfigDict(extra="forbid")

    unit: str = Field(description="Unit code (责任单位)")
    issues: list[uuid.UUID] | None = Field(None, description="Exactly these problems")
    area: str | None = Field(None, description="Area code, any level (without `issues`)")
    since: Instant | None = Field(None, description="Dispatched at or after (without `issues`)")
    until: Instant | None = Field(None, description="Dispatched before (without `issues`)")
    deadline: Instant | None = Field(None, description="Default: the latest problem deadline")
    note: Annotated[str, Field(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _one_way_of_choosing(self) -> "NoticeCreate":
        chosen = (self.area, self.since, self.until)
        if self.issues is not None and any(v is not None for v in chosen):
            raise ValueError("give issues, or area/since/until, not both")
        if self.issues == []:
            raise ValueError("issues: list at least one problem")
        for name in ("since", "until", "deadline"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a time zone, e.g. 2026-11-24T00:00:00+08:00")
        return self


class Acknowledgement(BaseModel):
    """The unit confirms it received the notice (签收)."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(max_length=2000)] | None = None


class NoticePublic(BaseModel):
    """A notice with its problems as they stand now, escalations and history."""

    id: int
    number: str
    unit: dict[str, Any]
    office: str
    issued_by: str
    issued_by_name: str = Field(description="Who issued it, by name")
    issued_at: datetime
    deadline: datetime
    area: dict[str, Any] | None
    period_from: datetime | None
    period_to: datetime | None
    note: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_by_name: str | None = None
    issues: list[dict[str, Any]]
    follow_up: dict[str, int]
    events: list[dict[str, Any]]


class EscalationPublic(BaseModel):
    """One reminder (提醒卡) or supervision card (督办卡)."""

    issue_id: uuid.UUID
    notice: str | None
    unit: str
    level: str
    at: datetime
    days_overdue: float
