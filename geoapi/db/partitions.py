"""The months of `issue_events` (migration 0027): each local calendar month of the history
is a table of its own, made ahead so that no event waits for one. An event outside every
month is kept in `issue_events_default`, read and counted like any other."""

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, text

# How far ahead the service keeps months ready: it makes them at each start and upgrade.
AHEAD = timedelta(days=366)


def add_event_months(connection: Connection, first: datetime, last: datetime) -> int:
    """Make the missing months from `first` to `last`, in the rollup's time zone; how many."""
    return int(
        connection.scalar(
            text("SELECT geoapi_issue_event_months(:first, :last)"),
            {"first": first, "last": last},
        )
    )


# The lock `geoapi_issue_event_months` holds while it makes months.
MAKING_MONTHS = "hashtext('geoapi_issue_event_months')"


def months_ahead(engine: Engine) -> int:
    """Make this month's table and the coming year's where missing; how many were made.

    Never waits: when another transaction is making months (a load in progress), or a
    table lock is not granted within seconds, it leaves the months to the next start."""
    with engine.begin() as connection:
        if not connection.scalar(text(f"SELECT pg_try_advisory_xact_lock({MAKING_MONTHS})")):
            return 0
        connection.execute(text("SET LOCAL lock_timeout = '5s'"))
        now = connection.scalar(text("SELECT now()"))
        return add_event_months(connection, now, now + AHEAD)


def events_in_default(connection: Connection) -> int:
    """Events that fell outside every month (their month was made after they were written)."""
    return int(connection.scalar(text("SELECT count(*) FROM issue_events_default")))
