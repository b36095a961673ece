from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, text

from geoapi.demo import load, responsibility
from geoapi.demo.generate import generate
from geoapi.demo.points import point_rows
from geoapi.points import state
from geoapi.responsibility.queries import STAR_FLOORS

AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def loaded(connection: Connection, reference):
    city = generate(0.1, 5, AS_OF, reference)
    counts = load.load(connection, load.plan(city))
    return city, counts


def test_counts_match_the_generated_city(connection: Connection, loaded):
    city, counts = loaded
    for table, frame in (
        ("points", city.points),
        ("issues", city.issues),
        ("issue_events", city.events),
        ("inspections", city.inspections),
    ):
        assert counts[table] == len(frame)
    for table, frame in (("points", city.points), ("issues", city.issues)):
        assert connection.scalar(text(f"SELECT count(*) FROM {table}")) == len(frame)
    events = connection.scalar(text("SELECT count(*) FROM issue_events"))
    assert events == len(city.events) + counts["escalations"]  # each card has its history row


def test_late_problems_have_a_consistent_history_of_cards(connection: Connection, loaded):
    cards = connection.execute(
        text(
            "SELECT e.level, e.at, e.days_overdue, i.deadline, i.rectified_at, e.unit_code, "
            "i.unit_code AS problem_unit, "
            "EXISTS (SELECT FROM issue_events h WHERE h.issue_id = e.issue_id "
            "AND h.action = e.level AND h.at = e.at) AS in_history "
            "FROM escalations e JOIN issues i ON i.id = e.issue_id"
        )
    ).all()
    assert len(cards) > 20
    for card in cards:
        assert card.at > card.deadline and card.in_history
        assert card.rectified_at is None or card.at <= card.rectified_at
        assert (card.level == "supervision") == (card.days_overdue >= 3)
        assert card.unit_code == card.problem_unit
    # A problem still late and never rectified has had a card the day after its deadline
    # and one a week since.
    weeks_late = connection.execute(
        text(
            "SELECT i.id, floor(extract(epoch FROM (SELECT max(at) FROM issue_events) - "
            "i.deadline - interval '1 day') / 604800) + 1 AS expected, "
            "(SELECT count(*) FROM escalations e WHERE e.issue_id = i.id) AS got "
            "FROM issues i WHERE i.status IN ('dispatched', 'rectifying') "
            "AND i.rectified_at IS NULL "
            "AND i.deadline < (SELECT max(at) FROM issue_events) - interval '1 day'"
        )
    ).all()
    assert len(weeks_late) > 5 and any(row.got > 1 for row in weeks_late)
    assert all(row.got == row.expected for row in weeks_late)
    replies = connection.scalar(
        text(
            "SELECT count(*) FROM escalation_replies r "
            "JOIN escalations e ON e.id = r.escalation_id "
            "WHERE r.at > e.at AND e.level = 'supervision'"
        )
    )
    assert replies == connection.scalar(text("SELECT count(*) FROM escalation_replies")) > 0


def test_first_rows_are_the_generated_ones(connection: Connection, loaded):
    city, _ = loaded
    first = connection.execute(
        text("SELECT code, name, category, ST_X(geom), ST_Y(geom) FROM points ORDER BY id LIMIT 3")
    ).all()
    expected = point_rows(city.points.head(3))
    assert [r[:3] for r in first] == list(
        expected[["code", "name", "category"]].itertuples(index=False, name=None)
    )
    assert [r[3] for r in first] == pytest.approx([g.x for g in expected["geom"]])


def test_every_point_and_issue_lies_in_the_district_with_all_area_levels(connection, loaded):
    for table in ("points", "issues"):
        missing = connection.scalar(
            text(
                f"SELECT count(*) FROM {table} WHERE district_id IS NULL OR street_id IS NULL "
                "OR community_id IS NULL OR grid_id IS NULL"
            )
        )
        assert missing == 0, table


def test_closed_issues_have_closing_events(connection: Connection, loaded):
    broken = connection.scalar(
        text(
            "SELECT count(*) FROM issues i WHERE i.status = 'closed' AND NOT EXISTS ("
            "SELECT FROM issue_events e WHERE e.issue_id = i.id AND e.to_status = 'closed' "
            "AND e.at = i.closed_at)"
        )
    )
    assert broken == 0
    assert connection.scalar(text("SELECT count(*) FROM issues WHERE status = 'closed'")) > 0


POINT_STATES = "SELECT id, status, last_inspected_at, score FROM points ORDER BY id"


def test_point_states_worked_out_before_the_copy_follow_the_databases_rule(connection, loaded):
    before = connection.execute(text(POINT_STATES)).all()
    state.refresh(connection, [row.id for row in before])
    assert connection.execute(text(POINT_STATES)).all() == before
    assert {row.status for row in before} == {"unchecked", "compliant", "non_compliant"}


def test_each_event_lies_in_the_table_of_its_local_month(connection: Connection, loaded):
    homes = connection.execute(
        text(
            "SELECT DISTINCT e.tableoid::regclass::text, "
            "'issue_events_' || to_char(e.at AT TIME ZONE z.zone, 'YYYY_MM') "
            "FROM issue_events e, issue_daily_zone z"
        )
    ).all()
    assert len(homes) >= 3 and all(home == month for home, month in homes)


def test_sequences_continue_after_the_loaded_ids(connection: Connection, loaded):
    city, _ = loaded
    new_id = connection.scalar(
        text(
            "INSERT INTO points (code, name, category, geom) VALUES "
            "('NEW', 'new', 'market', ST_SetSRID(ST_MakePoint(117.05, 36.66), 4326)) RETURNING id"
        )
    )
    assert new_id == len(city.points) + 1


def test_clear_then_reload_gives_the_same_rows(connection: Connection, loaded, reference):
    city, _ = loaded
    before = connection.execute(text("SELECT code, ST_AsText(geom) FROM points ORDER BY id")).all()
    load.clear(connection)
    assert not load.has_data(connection)
    load.load(connection, load.plan(generate(0.1, 5, AS_OF, reference)))
    after = connection.execute(text("SELECT code, ST_AsText(geom) FROM points ORDER BY id")).all()
    assert before == after


def test_area_ids_worked_out_before_the_copy_follow_the_databases_rule(connection, loaded):
    for table in ("points", "issues"):
        differing = connection.scalar(
            text(
                f"SELECT count(*) FROM {table} t CROSS JOIN LATERAL ("
                "SELECT max(a.id) FILTER (WHERE a.level = 'district') AS d, "
                "max(a.id) FILTER (WHERE a.level = 'street') AS s, "
                "max(a.id) FILTER (WHERE a.level = 'community') AS c, "
                "max(a.id) FILTER (WHERE a.level = 'grid') AS g "
                "FROM areas a WHERE ST_Covers(a.geom, t.geom)) r "
                "WHERE (t.district_id, t.street_id, t.community_id, t.grid_id) "
                "IS DISTINCT FROM (r.d, r.s, r.c, r.g)"
            )
        )
        assert differing == 0, table


INDEXES_AND_KEYS = """
SELECT 'index ' || indexdef FROM pg_indexes
 WHERE tablename IN ('points', 'issues', 'issue_events', 'inspections', 'responsibilities')
UNION ALL
SELECT 'key ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated::text
  FROM pg_constraint
 WHERE conrelid IN ('points'::regclass, 'issues'::regclass, 'issue_events'::regclass,
                    'inspections'::regclass, 'responsibilities'::regclass)
"""
# Months of the history lacking one of its indexes, and indexes left unusable.
MONTHS_UNINDEXED = """
SELECT (SELECT count(*) FROM pg_inherits h
         WHERE h.inhparent = 'issue_events'::regclass
           AND (SELECT count(*) FROM pg_index x WHERE x.indrelid = h.inhrelid AND x.indisvalid)
               <> (SELECT count(*) FROM pg_index x WHERE x.indrelid = h.inhparent)),
       (SELECT count(*) FROM pg_index WHERE NOT indisvalid)
"""


def test_a_load_leaves_every_index_and_key_as_it_was(connection, reference):
    before = set(connection.scalars(text(INDEXES_AND_KEYS)))
    city = generate(0.02, 3, AS_OF, reference)
    load.load(connection, load.plan(city), rebuild_from_rows=0)  # as a city-scale load does
    assert set(connection.scalars(text(INDEXES_AND_KEYS))) == before
    assert tuple(connection.execute(text(MONTHS_UNINDEXED)).one()) == (0, 0)
    assert connection.scalar(text("SELECT count(*) FROM points")) == len(city.points)
    assert any(k.startswith("key fk_issues_point_id_points") for k in before)
    assert any(k.startswith("key fk_responsibilities_point_id_points") for k in before)


FRONTAGES = """
SELECT r.point_id, r.stars,
       (SELECT v.score_rate FROM inspections v WHERE v.point_id = r.point_id
           AND v.score_rate IS NOT NULL ORDER BY v.visited_at DESC LIMIT 1) AS rate
  FROM responsibilities r WHERE r.role = 'frontage' ORDER BY r.point_id
"""


def _stars(rate) -> int | None:
    return None if rate is None else next((s for floor, s in STAR_FLOORS if rate >= floor), 1)


def test_each_shops_frontage_has_the_stars_of_its_latest_scored_visit(connection, loaded):
    rows = connection.execute(text(FRONTAGES)).all()
    assert any(row.stars for row in rows)
    assert [row.stars for row in rows] == [_stars(row.rate) for row in rows]
    shop = next(row for row in rows if row.stars and row.stars < 5)
    connection.execute(  # a later, perfect visit of one shop: its stars follow that one
        text(
            "INSERT INTO inspections (point_id, team_id, inspector, visited_at, device_geom, "
            "checklist_version, results, score_rate, passed) "
            "SELECT point_id, team_id, inspector, visited_at + interval '1 day', device_geom, "
            "checklist_version, results, 1.0, true FROM inspections "
            "WHERE point_id = :p AND score_rate IS NOT NULL ORDER BY visited_at DESC LIMIT 1"
        ),
        {"p": shop.point_id},
    )
    connection.execute(text("DELETE FROM responsibilities"))
    responsibility.assign(connection)
    again = {row.point_id: row.stars for row in connection.execute(text(FRONTAGES))}
    assert again[shop.point_id] == 5


VACUUMED = """
SELECT c.oid::regclass::text AS name, s.last_vacuum, s.last_analyze
  FROM pg_class c JOIN pg_stat_all_tables s ON s.relid = c.oid
 WHERE c.oid = ANY (CAST(:tables AS regclass[])) AND c.relkind = 'r'
"""


def test_vacuum_after_a_load_reaches_every_loaded_table(engine):
    with engine.connect() as connection:
        started = connection.scalar(text("SELECT clock_timestamp()"))
    load.vacuum(engine)  # two sessions at a time
    with engine.connect() as connection:
        rows = connection.execute(text(VACUUMED), {"tables": list(load.TABLES)}).all()
    assert len(rows) == len(load.TABLES) - 1  # all but the month-partitioned history's parent
    assert all(r.last_vacuum >= started and r.last_analyze >= started for r in rows), rows
