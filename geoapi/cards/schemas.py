"""Bodies of the cards API."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Supervision(BaseModel):
    """A planner's own supervision card (督办) on one problem, with the date to reply by."""

    model_config = ConfigDict(extra="forbid")

    note: Text = Field(description="What the unit must do (督办事项)")
    reply_days: Annotated[int, Field(ge=1, le=30)] = Field(
        3, description="Days the unit has to reply"
    )


class Reply(BaseModel):
    """The unit's answer to a card (整改情况回复)."""

    model_config = ConfigDict(extra="forbid")

    measures: Text = Field(description="What was done or is being done (整改措施)")
    responsible: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="The person answerable (责任人)"
    )


class Card(BaseModel):
    """A reminder (提醒卡) or supervision card (督办卡), its problem in names and its reply."""

    id: int
    level: Literal["reminder", "supervision"]
    level_name: str
    at: datetime
    days_overdue: float
    note: str | None
    reply_due: datetime | None
    issued_by: str
    notice: str | None
    unit: dict[str, Any]
    issue: dict[str, Any]
    reply: dict[str, Any] | None
    leaders: list[str] = Field(
        default_factory=list, description="One card: the leaders paired with its place (包联)"
    )
