"""The problem history by month (migration 0027): each event lies in the table of its local
calendar month, an event outside every month is kept all the same, and partitioning an
existing history keeps every event, every reference to one and the views over them."""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geoapi.app import create_app
from geoapi.db import migrate, partitions
from geoapi.settings import Settings
from geoapi.stats.rollup import zone_of
from tests.databases import database_beside
from tests.factories import dispatched, make_issue, make_unit

EVENT = (
    "INSERT INTO issue_events (issue_id, at, actor, action, from_status, to_status) "
    "VALUES (:issue, :at, 'office', :action, 'reported', 'dispatched') "
    "RETURNING tableoid::regclass::text"
)


def _write(connection: Connection, issue, at: datetime, action: str = "dispatch") -> str:
    """Write one event; the table it went to."""
    return str(connection.scalar(text(EVENT), {"issue": issue, "at": at, "action": action}))


def _exists(connection: Connection, table: str) -> bool:
    return connection.scalar(text("SELECT to_regclass(:t)"), {"t": table}) is not None


def test_an_event_lies_in_the_table_of_its_local_month(connection: Connection):
    zone = ZoneInfo(zone_of(connection))
    first_of_march = datetime(2031, 3, 1, tzinfo=zone)
    made = partitions.add_event_months(
        connection, first_of_march - timedelta(days=1), first_of_march
    )
    assert made == 2 and _exists(connection, "issue_events_2031_02")
    issue = make_issue(connection)
    assert (
        _write(connection, issue, first_of_march - timedelta(seconds=1)) == "issue_events_2031_02"
    )
    assert _write(connection, issue, first_of_march) == "issue_events_2031_03"
    assert partitions.add_event_months(connection, first_of_march, first_of_march) == 0


def test_an_event_outside_every_month_is_kept_and_read(connection: Connection):
    issue = make_issue(connection)
    at = datetime(2045, 6, 15, tzinfo=UTC)
    assert _write(connection, issue, at) == "issue_events_default"
    assert partitions.events_in_default(connection) == 1
    # June now holds an event in the default table: it stays there; July is made.
    assert partitions.add_event_months(connection, at, at + timedelta(days=30)) == 1
    assert not _exists(connection, "issue_events_2045_06")
    assert _write(connection, issue, at + timedelta(days=30)) == "issue_events_2045_07"
    ats = connection.scalars(
        text("SELECT at FROM issue_events WHERE issue_id = :i ORDER BY at"), {"i": issue}
    )
    assert list(ats) == [at, at + timedelta(days=30)]


def test_the_service_keeps_the_coming_year_ready(engine: Engine):
    partitions.months_ahead(engine)
    with engine.connect() as connection:
        now = connection.scalar(text("SELECT now()"))
        zone = ZoneInfo(zone_of(connection))
        for ahead in (timedelta(0), partitions.AHEAD):
            month = (now + ahead).astimezone(zone).strftime("%Y_%m")
            assert _exists(connection, f"issue_events_{month}")
    assert partitions.months_ahead(engine) == 0


def test_start_up_leaves_the_months_to_a_load_making_them(connection: Connection, engine):
    far = datetime(2040, 1, 15, tzinfo=UTC)
    assert partitions.add_event_months(connection, far, far) == 1  # a load, not yet committed
    assert partitions.months_ahead(engine) == 0  # at once: no wait on the load's locks


HISTORY = [
    datetime(2025, 3, 10, 2, tzinfo=UTC),
    datetime(2025, 3, 31, 18, tzinfo=UTC),  # 1 April in Shanghai
    datetime(2026, 11, 20, 9, tzinfo=UTC),
]
EVENTS = "SELECT id, issue_id, at, action, tableoid::regclass::text AS home FROM issue_events"
VIEW_FACTS = """
SELECT relacl::text, col_description(oid, 3) FROM pg_class
 WHERE oid = 'analytics.events'::regclass
"""


def test_partitioning_keeps_the_history_its_references_and_its_views(settings: Settings):
    with database_beside(settings, "geoapi_test_months", revision="0026") as engine:
        with engine.begin() as connection:
            unit = make_unit(connection)
            issue = make_issue(connection, **dispatched(unit, reported_at=HISTORY[0]))
            for at in HISTORY:
                _write(connection, issue, at)
            _notice_of(connection, unit, issue)
            connection.execute(text("GRANT SELECT ON analytics.events TO PUBLIC"))
            connection.execute(  # marks a bind or a format would read as theirs
                text("COMMENT ON COLUMN analytics.events.type IS '问题类型: 100% \\:kept'")
            )
            before = connection.execute(text(f"{EVENTS} ORDER BY id")).all()
            figures = connection.execute(text("SELECT * FROM issue_daily d ORDER BY d")).all()
            view = connection.execute(text(VIEW_FACTS)).one()
        migrate.upgrade(engine)
        with engine.begin() as connection:
            after = connection.execute(text(f"{EVENTS} ORDER BY id")).all()
            assert [row[:4] for row in after] == [row[:4] for row in before]
            assert [row.home for row in after] == [
                "issue_events_2025_03",
                "issue_events_2025_04",
                "issue_events_2026_11",
            ]
            noticed = connection.execute(
                text("SELECT dispatch_event_id, dispatch_event_at FROM notice_issues")
            ).one()
            assert tuple(noticed) == (after[-1].id, after[-1].at)
            assert connection.execute(text(VIEW_FACTS)).one() == view
            assert view[1] == "问题类型: 100% :kept"
            assert connection.scalar(text("SELECT count(*) FROM analytics.events")) == 3
            assert connection.execute(text("SELECT * FROM issue_daily d ORDER BY d")).all() == (
                figures
            )
            later = datetime.now(UTC)
            _write(connection, issue, later, action="note")
            newest = connection.execute(text(f"{EVENTS} ORDER BY id DESC LIMIT 1")).one()
            assert newest.id > after[-1].id and newest.home != "issue_events_default"


def _notice_of(connection: Connection, unit: str, issue) -> None:
    """A notice listing `issue` for its latest dispatch (as revision 0026 keeps it)."""
    notice = connection.scalar(
        text(
            "INSERT INTO notices (number, year, seq, unit_code, office, issued_by, deadline) "
            "VALUES ('N-1', 2026, 1, :u, 'office', 'office', now()) RETURNING id"
        ),
        {"u": unit},
    )
    connection.execute(
        text(
            "INSERT INTO notice_issues (notice_id, issue_id, dispatch_event_id) "
            "SELECT :n, :i, max(id) FROM issue_events"
        ),
        {"n": notice, "i": issue},
    )


def test_the_service_starts_where_it_cannot_make_months(settings: Settings, caplog):
    with database_beside(settings, "geoapi_test_no_months", revision="0026") as engine:
        url = engine.url.render_as_string(hide_password=False)
        app = create_app(settings.model_copy(update={"database_url": url}))
        with caplog.at_level(logging.WARNING), TestClient(app) as client:
            health = client.get("/health")
        assert health.status_code == 200 and health.json()["schema_revision"] == "0026"
        assert "monthly tables of the problem history not made" in caplog.text
