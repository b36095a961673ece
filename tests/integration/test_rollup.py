"""The daily rollup (issue_daily) kept by triggers equals a full recount of the problems and
their history, after a bulk load and after any sequence of moves through the loop."""

import random
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, text

from geoapi.auth.principal import Principal
from geoapi.errors import Conflict, InvalidParameter
from geoapi.issues import service
from geoapi.issues.schemas import Transition
from geoapi.issues.states import allowed_actions
from geoapi.settings import Settings
from geoapi.stats import rollup

MEASURES = "reported, ended, closed, overdue, due, deferred, closed_on_time, verified, reworked"
KEY = "type, unit_code, category, district_id, street_id, community_id, grid_id, day"
NONZERO = " OR ".join(f"sum({m}) <> 0" for m in MEASURES.split(", "))

RECOUNT = "geoapi_issue_daily_recount((SELECT zone FROM issue_daily_zone))"
STREET_KEY = "type, unit_code, category, district_id, street_id, day"


def sums(source: str, key: str) -> str:
    """The problems' facts in `source` summed by `key`, rows of zeros left out."""
    measures = ", ".join(f"sum({m})::int AS {m}" for m in MEASURES.split(", "))
    return f"SELECT {key}, {measures} FROM {source} GROUP BY {key} HAVING {NONZERO}"


KEPT, RECOUNTED = sums("issue_daily", KEY), sums(RECOUNT, KEY)
BY_STREET_KEPT = sums("issue_daily_by_street", STREET_KEY)
BY_STREET_RECOUNTED = sums(RECOUNT, STREET_KEY)

VISITS_KEY = "category, unit_code, district_id, street_id, community_id, grid_id, day"
VISITS_KEPT = f"""
SELECT {VISITS_KEY}, sum(visits)::int, sum(scored)::int, round(sum(score_sum)::numeric, 6)
  FROM inspection_daily GROUP BY {VISITS_KEY}
HAVING sum(visits) <> 0 OR sum(scored) <> 0 OR round(sum(score_sum)::numeric, 6) <> 0
"""
VISITS_RECOUNTED = f"""
SELECT {VISITS_KEY}, visits::int, scored::int, round(score_sum::numeric, 6)
  FROM geoapi_inspection_daily_recount((SELECT zone FROM issue_daily_zone))
"""

PLANNER = Principal(username="planner", role="admin")
CHECKER = Principal(username="checker", role="admin")


def kept_and_recounted(connection: Connection) -> tuple[set, set]:
    """The rollups' rows (problems, by grid and by street, and visits) as kept by the
    triggers and as recounted."""
    kept = {("problems", *r) for r in connection.execute(text(KEPT))}
    kept |= {("by street", *r) for r in connection.execute(text(BY_STREET_KEPT))}
    recounted_by_street = connection.execute(text(BY_STREET_RECOUNTED))
    kept |= {("visits", *r) for r in connection.execute(text(VISITS_KEPT))}
    recounted = {("problems", *r) for r in connection.execute(text(RECOUNTED))}
    recounted |= {("by street", *r) for r in recounted_by_street}
    recounted |= {("visits", *r) for r in connection.execute(text(VISITS_RECOUNTED))}
    return kept, recounted


def test_a_bulk_load_leaves_the_rollup_equal_to_a_recount(connection, city):
    kept, recounted = kept_and_recounted(connection)
    assert kept == recounted
    reported = connection.scalar(text("SELECT sum(reported) FROM issue_daily"))
    assert reported == len(city.issues)
    visits = connection.scalar(text("SELECT sum(visits) FROM inspection_daily"))
    assert visits == len(city.inspections)


def test_a_recount_of_some_problems_counts_exactly_those(connection, city):
    """The recounts behind a community's or grid's figures: one community's problems and
    visits, recounted by their ids, equal the whole recount's rows for those problems."""
    community = connection.scalar(
        text("SELECT community_id FROM issues GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    )
    totals = (
        "SELECT sum(reported), sum(closed), sum(overdue), sum(due), sum(reworked) "
        "FROM geoapi_issue_daily_recount('Asia/Shanghai', {ids})"
    )
    some = connection.execute(
        text(totals.format(ids="ARRAY(SELECT id FROM issues WHERE community_id = :c)")),
        {"c": community},
    ).one()
    rest = connection.execute(
        text(
            totals.format(ids="ARRAY(SELECT id FROM issues WHERE community_id IS DISTINCT FROM :c)")
        ),
        {"c": community},
    ).one()
    everything = connection.execute(text(totals.format(ids="NULL"))).one()
    assert some[0] == connection.scalar(
        text("SELECT count(*) FROM issues WHERE community_id = :c"), {"c": community}
    )
    assert tuple(a + b for a, b in zip(some, rest, strict=True)) == tuple(everything)
    visits = (
        "SELECT coalesce(sum(visits), 0) FROM geoapi_inspection_daily_recount("
        "'Asia/Shanghai', ARRAY(SELECT id FROM points WHERE community_id = :c))"
    )
    assert connection.scalar(text(visits), {"c": community}) == connection.scalar(
        text(
            "SELECT count(*) FROM inspections v JOIN points p ON p.id = v.point_id "
            "WHERE p.community_id = :c"
        ),
        {"c": community},
    )


def _random_move(rng: random.Random, connection: Connection, row, units: list[str]) -> None:
    actions = [a for a in allowed_actions(row.status) if a != "merge"] or ["none"]
    action = rng.choice(
        actions + ["merge"] if row.status in ("reported", "dispatched") else actions
    )
    now = datetime.now(UTC)
    if action == "none":
        return
    move = Transition(action=action, note="test")
    if action in ("dispatch", "reopen"):
        move = Transition(action=action, unit=rng.choice(units), note="test")
    elif action in ("defer", "reschedule"):
        move = Transition(
            action=action, deadline=now + timedelta(days=rng.randint(1, 60)), note="x"
        )
    elif action == "merge":
        target = connection.scalar(
            text(
                "SELECT id FROM issues WHERE status IN ('reported', 'dispatched') AND id <> :i "
                "ORDER BY id LIMIT 1"
            ),
            {"i": row.id},
        )
        move = Transition(action=action, into=target, note="dup")
    who = CHECKER if action in ("close", "reopen") else PLANNER
    with suppress(Conflict, InvalidParameter):  # a move the rules refuse changes nothing
        service.transition(connection, row.id, move, None, Settings(), who)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_rollup_equals_a_recount_after_random_moves(connection, city, seed):
    rng = random.Random(seed)
    units = list(connection.scalars(text("SELECT code FROM units ORDER BY code")))
    # The demo's problems have no photos: rectifying here does without the after photo.
    connection.execute(text("UPDATE issue_types SET after_photo_required = false"))
    for _ in range(120):
        unfinished = connection.execute(
            text(
                "SELECT id, status FROM issues "
                "WHERE status NOT IN ('closed', 'rejected', 'merged') ORDER BY id"
            )
        ).all()
        _random_move(rng, connection, rng.choice(unfinished), units)
    # Visits are recorded, rescored and removed.
    connection.execute(
        text(
            "INSERT INTO inspections (point_id, inspector, visited_at, checklist_version, "
            "score_rate, passed) SELECT id, 'x', now() - interval '3 days', 'market@2026.1', "
            "0.5, false FROM points ORDER BY id LIMIT 20"
        )
    )
    connection.execute(
        text(
            "UPDATE inspections SET score_rate = 0.9, visited_at = visited_at - interval '1 day' "
            "WHERE id IN (SELECT id FROM inspections ORDER BY id LIMIT 10)"
        )
    )
    connection.execute(
        text(
            "DELETE FROM inspections WHERE id IN (SELECT id FROM inspections ORDER BY id DESC "
            "LIMIT 5)"
        )
    )
    # Problems and points move between areas, points change category, a point disappears.
    connection.execute(
        text(
            "UPDATE points SET geom = (SELECT geom FROM points ORDER BY id DESC LIMIT 1) "
            "WHERE id IN (SELECT point_id FROM inspections ORDER BY id LIMIT 8)"
        )
    )
    connection.execute(
        text(
            "UPDATE issues SET geom = (SELECT geom FROM issues ORDER BY id DESC LIMIT 1) "
            "WHERE id IN (SELECT id FROM issues ORDER BY id LIMIT 5)"
        )
    )
    connection.execute(
        text(
            "UPDATE points SET category = 'public_toilet' "
            "WHERE id IN (SELECT point_id FROM issues WHERE point_id IS NOT NULL LIMIT 3)"
        )
    )
    connection.execute(
        text(
            "DELETE FROM points WHERE id = (SELECT point_id FROM issues "
            "WHERE point_id IS NOT NULL ORDER BY id DESC LIMIT 1)"
        )
    )
    kept, recounted = kept_and_recounted(connection)
    assert kept == recounted
    changed = connection.scalar(
        text("SELECT count(*) FROM issue_events WHERE actor IN ('planner', 'checker')")
    )
    assert changed > 80  # the moves happened (not all refused)


def test_a_new_time_zone_recounts_in_its_local_days(connection, city):
    rollup.rebuild(connection, "America/New_York")
    kept, recounted = kept_and_recounted(connection)
    assert kept == recounted and rollup.zone_of(connection) == "America/New_York"
    by_day = dict(
        connection.execute(
            text(
                "SELECT (reported_at AT TIME ZONE 'America/New_York')::date, count(*) "
                "FROM issues GROUP BY 1"
            )
        ).all()
    )
    counted = dict(
        connection.execute(
            text("SELECT day, sum(reported) FROM issue_daily GROUP BY 1 HAVING sum(reported) > 0")
        ).all()
    )
    assert counted == by_day


def test_problems_and_points_moved_to_another_grid_take_their_counts_along(connection, city):
    """A problem and a point placed again in another community's grid (their position
    corrected) leave their old grid's rows and join the new one's."""
    far_grid = connection.execute(
        text(
            "SELECT g.id, ST_PointOnSurface(g.geom) AS inside FROM areas g "
            "WHERE g.level = 'grid' ORDER BY g.id DESC LIMIT 1"
        )
    ).one()
    problem, point = connection.execute(
        text(
            "SELECT i.id, i.point_id FROM issues i JOIN inspections v ON v.point_id = i.point_id "
            "WHERE i.grid_id <> :g AND i.closed_at IS NOT NULL LIMIT 1"
        ),
        {"g": far_grid.id},
    ).one()
    for table, key in (("issues", problem), ("points", point)):
        connection.execute(
            text(f"UPDATE {table} SET geom = :inside WHERE id = :id"),
            {"inside": far_grid.inside, "id": key},
        )
    kept, recounted = kept_and_recounted(connection)
    assert kept == recounted
    in_new_grid = connection.execute(
        text(
            "SELECT (SELECT sum(closed) FROM issue_daily WHERE grid_id = :g), "
            "(SELECT sum(visits) FROM inspection_daily WHERE grid_id = :g)"
        ),
        {"g": far_grid.id},
    ).one()
    assert in_new_grid[0] >= 1 and in_new_grid[1] >= 1
