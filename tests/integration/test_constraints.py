from datetime import timedelta

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.factories import T0, dispatched, make_area, make_issue, make_point, make_unit, square


def rejected(connection: Connection, action) -> DBAPIError:
    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError) as caught:
        action()
    savepoint.rollback()
    return caught.value


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"severity": 4}, "severity_range"),
        ({"severity": 0}, "severity_range"),
        ({"status": "lost"}, "ck_issues_status"),
        ({"source": "rumour"}, "ck_issues_source"),
        ({"deadline": T0 - timedelta(hours=1)}, "deadline_after_report"),
        ({"status": "closed"}, "closed_iff_closed_at"),
        ({"closed_at": T0 + timedelta(days=1)}, "closed_iff_closed_at"),
        ({"status": "dispatched"}, "dispatched_has_unit_deadline"),
        ({"lon": 181.0}, "lonlat_range"),
    ],
)
def test_invalid_issue_rows_are_refused(connection: Connection, overrides, constraint):
    error = rejected(connection, lambda: make_issue(connection, **overrides))
    assert constraint in str(error.orig)


def test_a_valid_dispatched_issue_is_accepted(connection: Connection):
    unit = make_unit(connection)
    issue_id = make_issue(connection, **dispatched(unit))
    assert (
        connection.scalar(text("SELECT status FROM issues WHERE id = :i"), {"i": issue_id})
        == "dispatched"
    )


def test_point_codes_are_unique(connection: Connection):
    make_point(connection, "P1")
    error = rejected(connection, lambda: make_point(connection, "P1"))
    assert isinstance(error, IntegrityError) and "uq_points_code" in str(error.orig)


def test_unknown_category_is_refused(connection: Connection):
    error = rejected(connection, lambda: make_point(connection, category="casino"))
    assert "fk_points_category_categories" in str(error.orig)


def test_geometry_srid_must_be_4326(connection: Connection):
    error = rejected(
        connection,
        lambda: connection.execute(
            text(
                "INSERT INTO points (code, name, category, geom) "
                "VALUES ('P', 'P', 'market', ST_SetSRID(ST_MakePoint(1e6, 4e6), 3857))"
            )
        ),
    )
    assert "SRID" in str(error.orig)


def test_self_intersecting_area_is_refused(connection: Connection):
    bowtie = "MULTIPOLYGON(((0 0, 1 1, 1 0, 0 1, 0 0)))"
    error = rejected(connection, lambda: make_area(connection, "district", "X", bowtie))
    assert "geom_valid" in str(error.orig)


def test_area_below_district_needs_a_parent(connection: Connection):
    error = rejected(connection, lambda: make_area(connection, "street", "S", square(0, 0, 1)))
    assert "parent_iff_below_district" in str(error.orig)


def test_issue_events_are_append_only(connection: Connection):
    issue_id = make_issue(connection)
    connection.execute(
        text(
            "INSERT INTO issue_events (issue_id, actor, action, to_status) "
            "VALUES (:i, 'tester', 'report', 'reported')"
        ),
        {"i": issue_id},
    )
    for statement in ("UPDATE issue_events SET note = 'changed'", "DELETE FROM issue_events"):
        error = rejected(connection, lambda s=statement: connection.execute(text(s)))
        assert "append-only" in str(error.orig)
    assert connection.scalar(text("SELECT count(*) FROM issue_events WHERE note IS NULL")) == 1


def test_an_issue_with_history_cannot_be_deleted(connection: Connection):
    issue_id = make_issue(connection)
    connection.execute(
        text(
            "INSERT INTO issue_events (issue_id, actor, action, to_status) "
            "VALUES (:i, 'tester', 'report', 'reported')"
        ),
        {"i": issue_id},
    )
    error = rejected(
        connection,
        lambda: connection.execute(text("DELETE FROM issues WHERE id = :i"), {"i": issue_id}),
    )
    assert isinstance(error, IntegrityError)
