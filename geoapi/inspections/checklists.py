"""Checklists per point category (测评内容标准), read from `checklists/*.yaml` and validated."""

from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from geoapi.yamlfiles import DataFileError, load_model


class Criterion(BaseModel):
    """One line of the standard: what is checked and how many points it is worth."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")]
    text: str
    weight: Annotated[float, Field(gt=0)]
    issue_type: str | None = None  # failing it can open this kind of problem at the point
    critical: bool = False  # failing it fails the visit whatever the score (一票否决)


class Checklist(BaseModel):
    """A versioned standard for one category, and how often its points must be visited."""

    model_config = ConfigDict(extra="forbid")

    category: str
    version: str
    effective_from: date
    title: str
    cycle_days: Annotated[int, Field(gt=0)]
    service_minutes: Annotated[int, Field(gt=0, le=480)] | None = None  # one visit, on a route
    pass_rate: Annotated[float, Field(gt=0, le=1)] = 0.8
    # How much a day late here weighs on the due worklist against other categories.
    priority: Annotated[float, Field(gt=0, le=100)] = 1.0
    criteria: Annotated[list[Criterion], Field(min_length=1)]

    @field_validator("criteria")
    @classmethod
    def _unique_ids(cls, criteria: list[Criterion]) -> list[Criterion]:
        ids = [c.id for c in criteria]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"criterion ids repeat: {', '.join(repeated)}")
        return criteria

    @property
    def key(self) -> str:
        """What a visit stores as its checklist version, e.g. `market@2026.1`."""
        return f"{self.category}@{self.version}"

    def criterion(self, criterion_id: str) -> Criterion | None:
        """The criterion with `criterion_id`, if this checklist has one."""
        return next((c for c in self.criteria if c.id == criterion_id), None)


class Checklists:
    """Every version of every category's checklist; the current one is the latest in force."""

    def __init__(self, checklists: list[Checklist]) -> None:
        self._by_key = {c.key: c for c in checklists}
        self._by_category: dict[str, list[Checklist]] = {}
        for checklist in sorted(checklists, key=lambda c: c.effective_from):
            self._by_category.setdefault(checklist.category, []).append(checklist)

    def current(self, category: str, on: date) -> Checklist | None:
        """The version in force on `on` for `category` (None: the category has none)."""
        in_force = [c for c in self._by_category.get(category, []) if c.effective_from <= on]
        return in_force[-1] if in_force else None

    def by_key(self, key: str) -> Checklist | None:
        """The version a stored visit names."""
        return self._by_key.get(key)

    def in_force(self, on: date) -> dict[str, Checklist]:
        """The version in force on `on` of every category that has one."""
        return {
            category: checklist
            for category in self._by_category
            if (checklist := self.current(category, on)) is not None
        }

    def cycles(self, on: date) -> dict[str, int]:
        """Days between visits per category, from the versions in force on `on`."""
        return {category: c.cycle_days for category, c in self.in_force(on).items()}

    def priorities(self, on: date) -> dict[str, float]:
        """Weight of a day late per category on the due worklist."""
        return {category: c.priority for category, c in self.in_force(on).items()}

    def service_minutes(self, on: date) -> dict[str, int]:
        """Minutes a visit takes per category (those whose checklist says so)."""
        return {
            category: c.service_minutes
            for category, c in self.in_force(on).items()
            if c.service_minutes is not None
        }

    @property
    def categories(self) -> list[str]:
        """Categories that have a checklist."""
        return sorted(self._by_category)


def load_checklists(directory: Path) -> Checklists:
    """All checklists of `directory`; a bad file stops start-up naming file, field, problem."""
    if not directory.is_dir():
        raise DataFileError(f"checklists directory {directory} does not exist")
    checklists: list[Checklist] = []
    seen: dict[str, Path] = {}
    for path in sorted(directory.glob("*.yaml")):
        checklist = load_model(path, Checklist)
        if checklist.key in seen:
            raise DataFileError(
                f"{path}: {checklist.key} is already defined in {seen[checklist.key]}"
            )
        seen[checklist.key] = path
        checklists.append(checklist)
    return Checklists(checklists)
