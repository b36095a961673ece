"""Reporting periods: ISO weeks and date ranges in local time, as half-open instants."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from geoapi.errors import InvalidParameter
from geoapi.instants import check_day

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Period:
    """[start, end) in local time; `label` is what reports print (2026-W47 or a date range)."""

    start: datetime
    end: datetime
    label: str

    @property
    def length(self) -> timedelta:
        """How long the period is."""
        return self.end - self.start

    @property
    def last_day(self) -> date:
        """The last local day the period includes."""
        return (self.end - timedelta(days=1)).date()

    def previous(self) -> "Period":
        """The period of the same length just before (last week for a week)."""
        start = self.start - self.length
        if WEEK.match(self.label):
            return iso_week(_week_label(start.date()), self.start.tzinfo)  # type: ignore[arg-type]
        return Period(
            start, self.start, f"{start.date()}..{(self.start - timedelta(days=1)).date()}"
        )


def _week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def iso_week(label: str, zone: ZoneInfo, parameter: str = "week") -> Period:
    """The ISO week `2026-W47`: Monday 00:00 to the next Monday 00:00, locally."""
    match = WEEK.match(label)
    if match is None:
        raise InvalidParameter(f"{parameter}: {label!r} is not an ISO week like 2026-W47")
    try:
        monday = check_day(date.fromisocalendar(int(match[1]), int(match[2]), 1))
    except ValueError as exc:
        raise InvalidParameter(f"{parameter}: {label!r}: {exc}") from exc
    start = datetime.combine(monday, time(), zone)
    return Period(start, start + timedelta(days=7), label)


def week_of(day: date, zone: ZoneInfo) -> Period:
    """The ISO week containing `day`."""
    return iso_week(_week_label(day), zone)


def date_range(first: date, last: date, zone: ZoneInfo) -> Period:
    """From the start of `first` to the end of `last` (both included)."""
    if last < first:
        raise InvalidParameter(f"to: {last} is before from {first}")
    start = datetime.combine(first, time(), zone)
    return Period(
        start, datetime.combine(last + timedelta(days=1), time(), zone), f"{first}..{last}"
    )


def choose(
    week: str | None, first: date | None, last: date | None, today: date, zone: ZoneInfo
) -> Period:
    """`week`, or `from`..`to`, or (neither) the current week."""
    if week is not None and (first is not None or last is not None):
        raise InvalidParameter("week: give week, or from and to, not both")
    if week is not None:
        return iso_week(week, zone)
    if first is not None or last is not None:
        if first is None or last is None:
            raise InvalidParameter("from and to go together")
        return date_range(first, last, zone)
    return week_of(today, zone)


def weeks_until(last: Period, count: int) -> list[Period]:
    """`count` ISO weeks ending with `last`, oldest first."""
    weeks = [last]
    while len(weeks) < count:
        weeks.insert(0, weeks[0].previous())
    return weeks
