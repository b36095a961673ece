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


def months_ahead(engine: Engine) -> int:
    """Make this month's table and the coming year's where missing; how many were made."""
    with engine.begin() as connection:
        now = connection.scalar(text("SELECT now()"))
        return add_event_months(connection, now, now + AHEAD)


def events_in_default(connection: Connection) -> int:
    """Events that fell outside every month (their month was made after they were written)."""
    return int(connection.scalar(text("SELECT count(*) FROM issue_events_default")))
