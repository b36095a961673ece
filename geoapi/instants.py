"""Dates and times a request may carry: within the years the service keeps data for, with
UTC offsets PostgreSQL accepts.

Python takes offsets up to ±23:59 and years up to 9999; PostgreSQL refuses offsets past
±15:59, and a year-9999 time moved to UTC, or a day plus a week, overflows Python itself.
Every date or time parsed from a request passes through here and is a 400 when it is not.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator

FIRST_YEAR, LAST_YEAR = 1900, 2199
MAX_OFFSET = timedelta(hours=15, minutes=59)


def check_instant(value: datetime) -> datetime:
    """`value` when the service can store and compute with it, else ValueError saying why."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValueError(f"UTC offset {offset} is beyond ±15:59")
    check_day(value.date())
    return value


def check_day(value: date) -> date:
    """`value` when its year is one the service keeps data for, else ValueError."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"year {value.year} is outside {FIRST_YEAR}–{LAST_YEAR}")
    return value


def aware(value: datetime) -> datetime:
    """A checked instant; one without an offset is taken as UTC."""
    check_instant(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


Instant = Annotated[datetime, AfterValidator(check_instant)]
Day = Annotated[date, AfterValidator(check_day)]
