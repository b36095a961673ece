"""The analysts' data contract: the `analytics` views' columns (pinned), their rows against
the tables, and a read-only role that reads those views only, within its area."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from geoapi.db import analysts
from geoapi.errors import InvalidParameter, NotFound

AREAS = [
    f"{level}_{part}"
    for level in ("district", "street", "community", "grid")
    for part in ("code", "name")
]
COLUMNS = {
    "areas": ["code", "name", "level", "parent_code", "geom"],
    "points": [
        "code", "name", "category", "category_name", "address", "status", "status_name",
        "unit_code", "unit_name", *AREAS, "last_inspected_at", "score_rate", "geom", "footprint",
    ],
    "problems": [
        "id", "type", "type_name", "severity", "source", "source_name", "status", "status_name",
        "description", "unit_code", "unit_name", "point_code", "point_name", "category",
        "category_name", *AREAS, "reported_at", "dispatched_at", "rectified_at", "closed_at",
        "deadline", "hours_to_close", "closed_on_time", "overdue_now", "reworks", "geom",
    ],
    "events": [
        "id", "issue_id", "type", "street_code", "at", "actor", "action", "action_name",
        "from_status", "to_status", "note", "deadline",
    ],
    "inspections": [
        "id", "point_code", "point_name", "category", "category_name", "team_code", "inspector",
        "visited_at", "checklist_version", "score_rate", "passed", "distance_m",
        "far_from_point", "results", *AREAS, "geom",
    ],
    "notices": [
        "number", "unit_code", "unit_name", "area_code", "issued_at", "deadline",
        "acknowledged_at", "problems", "closed",
    ],
    "escalations": [
        "id", "issue_id", "level", "level_name", "at", "unit_code", "unit_name",
        "days_overdue", "notice_number", "replied_at", "street_code",
    ],
    "routes": [
        "id", "team_code", "team_name", "inspector", "inspectors", "day", "mode", "network",
        "distance_m", "duration_s", "shift_start", "shift_end", "stops", "created_by",
        "created_at", "geom",
    ],
    "route_stops": [
        "route_id", "team_code", "day", "inspector", "seq", "point_code", "point_name",
        "category", "issue_id", "reason", "arrival", "leg_m", "street_code", "street_name",
        "geom",
    ],
}  # fmt: skip


def test_the_views_columns_are_the_contract(connection):
    found = connection.execute(
        text(
            "SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position) "
            "FROM information_schema.columns WHERE table_schema = 'analytics' "
            "AND table_name <> 'scopes' GROUP BY 1"
        )
    ).all()
    assert dict(found) == COLUMNS
    undocumented = connection.scalar(
        text(
            "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analytics' "
            "AND c.relkind = 'v' AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NULL"
        )
    )
    assert undocumented == 0  # every column says what it is, in Chinese and English


def test_the_views_hold_every_row_with_names(connection, city):
    problems = connection.execute(
        text(
            "SELECT count(*), count(*) FILTER (WHERE unit_code IS NOT NULL AND unit_name IS NULL),"
            " count(*) FILTER (WHERE street_name IS NULL), sum(reworks) FROM analytics.problems"
        )
    ).one()
    reopens = connection.scalar(text("SELECT count(*) FROM issue_events WHERE action = 'reopen'"))
    assert problems == (len(city.issues), 0, 0, reopens)
    closed = connection.execute(
        text(
            "SELECT p.hours_to_close, extract(epoch FROM i.closed_at - i.reported_at) / 3600 "
            "FROM analytics.problems p JOIN issues i ON i.id = p.id WHERE i.closed_at IS NOT NULL"
        )
    ).all()
    assert closed and all(a == pytest.approx(float(b)) for a, b in closed)
    tables = {"points": "points", "events": "issue_events", "inspections": "inspections"}
    tables |= {"areas": "areas", "escalations": "escalations"}
    for view, table in tables.items():
        in_view = connection.scalar(text(f"SELECT count(*) FROM analytics.{view}"))
        assert in_view == connection.scalar(text(f"SELECT count(*) FROM {table}")) > 0, view
    names = connection.execute(
        text("SELECT DISTINCT status, status_name FROM analytics.problems ORDER BY 1")
    ).all()
    assert ("closed", "已销号") in names and all(name for _, name in names)


@contextmanager
def as_role(connection: Connection, name: str) -> Iterator[None]:
    """Run as `name` inside the test's transaction (it sees the test's rows)."""
    connection.execute(text(f"SET LOCAL ROLE {name}"))
    try:
        yield
    finally:
        connection.execute(text("RESET ROLE"))


def refused(connection: Connection, sql: str) -> str:
    """The error PostgreSQL gives the role for `sql` (rolled back to a savepoint)."""
    savepoint = connection.begin_nested()
    try:
        connection.execute(text(sql))
    except DBAPIError as exc:
        savepoint.rollback()
        return str(exc.orig)
    savepoint.rollback()
    raise AssertionError(f"allowed: {sql}")


def test_an_analyst_role_reads_the_views_and_nothing_else(connection, city):
    analysts.create_role(connection, "analyst_test", "pw")
    with as_role(connection, "analyst_test"):
        seen = connection.scalar(text("SELECT count(*) FROM analytics.problems"))
        assert seen == len(city.issues)
        assert "permission denied" in refused(connection, "SELECT count(*) FROM public.issues")
        assert "permission denied" in refused(connection, "SELECT * FROM users")
        assert "cannot update view" in refused(connection, "UPDATE analytics.areas SET name = 'x'")
        assert "permission denied" in refused(connection, "DELETE FROM analytics.scopes")
        assert "permission denied" in refused(connection, "CREATE TABLE analytics.mine (x int)")
    settings = connection.scalar(
        text(
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
            "WHERE r.rolname = 'analyst_test'"
        )
    )
    assert "default_transaction_read_only=on" in settings


def test_a_scoped_analyst_sees_only_its_area(connection, city):
    street = connection.execute(
        text(
            "SELECT a.id, a.code FROM areas a JOIN issues i ON i.street_id = a.id "
            "GROUP BY a.id ORDER BY count(*) DESC LIMIT 1"
        )
    ).one()
    analysts.create_role(connection, "analyst_street", "pw", area=street.code)
    expected = {
        "problems": "SELECT count(*) FROM issues WHERE street_id = :s",
        "points": "SELECT count(*) FROM points WHERE street_id = :s",
        "events": "SELECT count(*) FROM issue_events e JOIN issues i ON i.id = e.issue_id "
        "WHERE i.street_id = :s",
    }
    wanted = {
        view: connection.scalar(text(sql), {"s": street.id}) for view, sql in expected.items()
    }
    assert 0 < wanted["problems"] < len(city.issues)
    with as_role(connection, "analyst_street"):
        seen = {v: connection.scalar(text(f"SELECT count(*) FROM analytics.{v}")) for v in expected}
        streets = connection.scalars(text("SELECT DISTINCT street_code FROM analytics.problems"))
        assert set(streets) == {street.code}
    assert seen == wanted
    analysts.create_role(connection, "analyst_street", "pw")  # the scope lifted
    with as_role(connection, "analyst_street"):
        assert connection.scalar(text("SELECT count(*) FROM analytics.problems")) == len(
            city.issues
        )


def test_bad_roles_are_refused(connection, city):
    with pytest.raises(InvalidParameter, match="role name"):
        analysts.create_role(connection, "Robert'); DROP TABLE issues;--")
    with pytest.raises(InvalidParameter, match="no area"):
        analysts.create_role(connection, "analyst_x", area="NOWHERE")
    with pytest.raises(NotFound):
        analysts.drop_role(connection, "analyst_nobody")
    password = analysts.create_role(connection, "analyst_x")
    assert len(password) >= 20
    analysts.drop_role(connection, "analyst_x")
    assert not connection.scalar(
        text("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'analyst_x')")
    )
