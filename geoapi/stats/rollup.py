"""The daily rollups (`issue_daily`, `inspection_daily`, migration 0009): their time zone, the
set-based rebuild, and pausing their triggers while a bulk load writes many rows at once."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from geoapi.db import bulk

log = logging.getLogger(__name__)

# The per-row triggers a bulk load pauses; `geoapi_issues_derive` and the rebuild redo their
# work set-based afterwards.
ROLLUP_TRIGGERS = {
    "issues": ("issues_category", "issues_roll_up"),
    "issue_events": ("issue_events_roll_up",),
    "inspections": ("inspections_roll_up",),
}


def zone_of(connection: Connection) -> str:
    """The time zone whose local days the rollup counts."""
    return str(connection.scalar(text("SELECT zone FROM issue_daily_zone")))


# The recount sorts every problem's facts by key and day: in PostgreSQL's default 4 MB the
# sort spills to disk (the recount of the city-scale demo 12.5 s; 7.0 s in memory).
RECOUNT_WORK_MEM = "256MB"


def rebuild(connection: Connection, zone: str) -> int:
    """Recount the rollup from every problem and event, in local days of `zone`; rows written
    (the caller's transaction sorts in memory until it ends)."""
    connection.execute(text(f"SET LOCAL work_mem = '{RECOUNT_WORK_MEM}'"))
    return int(connection.scalar(text("SELECT geoapi_issue_daily_rebuild(:zone)"), {"zone": zone}))


def align_zone(engine: Engine, zone: str) -> None:
    """Rebuild the rollup when the service's time zone is not the one it was counted in."""
    with engine.begin() as connection:
        counted_in = zone_of(connection)
        if counted_in != zone:
            log.warning("recounting daily figures in %s (they were in %s)", zone, counted_in)
            rebuild(connection, zone)


@contextmanager
def paused(connection: Connection) -> Iterator[None]:
    """Write many problems, events and visits without per-row triggers, then derive and
    recount everything set-based, in the caller's transaction."""
    with bulk.triggers_off(connection, ROLLUP_TRIGGERS):
        yield
        connection.execute(text("SELECT geoapi_issues_derive()"))
    rebuild(connection, zone_of(connection))
