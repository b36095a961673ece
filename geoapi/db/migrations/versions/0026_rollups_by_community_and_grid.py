"""The daily rollups keyed down to community and grid: a community's or grid's figures, and
every community or grid ranked, are read from `issue_daily` and `inspection_daily` like a
street's, instead of recounting each problem's history per request (a community's figures
0.47 s, every community of the city ranked 7.8 s at city scale).

The keys gain `community_id` and `grid_id`; every function and trigger that names the keys
is redefined with them (as revisions 0009, 0017 and 0019 left them otherwise), the unique
keys and the index of closed problems follow, and the rollups are recounted. The problems'
rollup grows six-fold that way (65,000 to 405,000 rows at city scale), which would slow the
answers above a community (the city's bulletin 1.0 s to 2.6 s), so its sums by the old key
are kept too, in `issue_daily_by_street`, by a trigger on `issue_daily`.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Inlined rather than imported, so this revision stays what it was when applied.
MEASURES = (
    "reported",
    "ended",
    "closed",
    "overdue",
    "due",
    "deferred",
    "closed_on_time",
    "verified",
    "reworked",
)
OLD_KEY = ("type", "unit_code", "category", "district_id", "street_id")
NEW_KEY = (*OLD_KEY, "community_id", "grid_id")
OLD_VISIT_KEY = ("category", "unit_code", "district_id", "street_id")
NEW_VISIT_KEY = (*OLD_VISIT_KEY, "community_id", "grid_id")
TYPES = {"type": "text", "unit_code": "text", "category": "text"}  # the others: int
TRACKED = ("reported_at", "dispatched_at", "deadline", "closed_at", "dropped_at", "deferred")


def _list(columns: Sequence[str], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{c}" for c in columns)


def _typed(columns: Sequence[str]) -> str:
    return ", ".join(f"{c} {TYPES.get(c, 'int')}" for c in columns)


def _add_up(table: str, measures: Sequence[str]) -> str:
    return ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)


def _issue_functions(key: Sequence[str], by_street: bool) -> str:
    """Every function of the problems' rollup that names its key; `by_street`: the rebuild
    and the truncation keep `issue_daily_by_street` too."""
    issues_of = """(SELECT i.* FROM issues i WHERE ids IS NULL
                UNION ALL
                SELECT i.* FROM unnest(ids) AS k(id) JOIN issues i ON i.id = k.id)"""
    return f"""
DROP FUNCTION geoapi_issue_daily_recount(text, uuid[]);
CREATE FUNCTION geoapi_issue_daily_recount(zone text, ids uuid[] DEFAULT NULL)
RETURNS TABLE ({_typed(key)}, day date, {", ".join(f"{m} bigint" for m in MEASURES)})
LANGUAGE sql STABLE AS $$
  SELECT {_list(key)}, f.day, {", ".join(f"sum(f.{m})" for m in MEASURES)}
    FROM (SELECT {_list(key, "i.")}, rf.*
            FROM {issues_of} i, geoapi_issue_facts(i, zone) rf
          UNION ALL
          SELECT {_list(key, "i.")}, ef.*
            FROM {issues_of} i JOIN issue_events e ON e.issue_id = i.id,
                 geoapi_event_facts(e, zone) ef
           WHERE e.action IN ('close', 'reopen')) f
   GROUP BY {_list(key)}, f.day
$$;

CREATE OR REPLACE FUNCTION geoapi_issue_daily_add(i issues, sign int, with_row boolean,
                                                  with_events boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  zone text := (SELECT z.zone FROM issue_daily_zone z);
BEGIN
  INSERT INTO issue_daily AS d ({_list(key)}, day, {_list(MEASURES)})
  SELECT {_list(key, "i.")}, f.day, {", ".join(f"sign * sum(f.{m})" for m in MEASURES)}
    FROM (SELECT * FROM geoapi_issue_facts(i, zone) WHERE with_row
          UNION ALL
          SELECT ef.* FROM issue_events e, geoapi_event_facts(e, zone) ef
           WHERE with_events AND e.issue_id = i.id AND e.action IN ('close', 'reopen')) f
   GROUP BY f.day
  ON CONFLICT ({_list(key)}, day) DO UPDATE SET {_add_up("d", MEASURES)};
END $$;

CREATE OR REPLACE FUNCTION geoapi_issues_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  moved boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM geoapi_issue_daily_add(NEW, 1, true, false);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM geoapi_issue_daily_add(OLD, -1, true, true);
  ELSE
    moved := ({_list(key, "OLD.")}) IS DISTINCT FROM ({_list(key, "NEW.")});
    IF moved OR ({_list((*TRACKED, "overdue_spans"), "OLD.")})
                IS DISTINCT FROM ({_list((*TRACKED, "overdue_spans"), "NEW.")}) THEN
      PERFORM geoapi_issue_daily_add(OLD, -1, true, moved);
      PERFORM geoapi_issue_daily_add(NEW, 1, true, moved);
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION geoapi_issue_events_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  problem issues;
  before record;
BEGIN
  IF NEW.action = 'defer' THEN
    UPDATE issues SET deferred = true WHERE id = NEW.issue_id AND NOT deferred;
  END IF;
  IF NEW.to_status IN ('rejected', 'merged') THEN
    UPDATE issues SET dropped_at = NEW.at
     WHERE id = NEW.issue_id AND (dropped_at IS NULL OR dropped_at > NEW.at);
  END IF;
  IF NEW.deadline IS NOT NULL THEN
    SELECT e.at, e.deadline INTO before FROM issue_events e
     WHERE e.issue_id = NEW.issue_id AND e.deadline IS NOT NULL AND e.id < NEW.id
     ORDER BY e.id DESC LIMIT 1;
    IF FOUND AND greatest(before.at, before.deadline) < NEW.at THEN
      UPDATE issues
         SET overdue_spans = overdue_spans
                             + tstzmultirange(tstzrange(greatest(before.at, before.deadline), NEW.at))
       WHERE id = NEW.issue_id;
    END IF;
  END IF;
  IF NEW.action IN ('close', 'reopen') THEN
    SELECT * INTO problem FROM issues WHERE id = NEW.issue_id;
    INSERT INTO issue_daily AS d ({_list(key)}, day, {_list(MEASURES)})
    SELECT {_list(key, "problem.")}, f.day, {_list(MEASURES, "f.")}
      FROM geoapi_event_facts(NEW, (SELECT z.zone FROM issue_daily_zone z)) f
    ON CONFLICT ({_list(key)}, day) DO UPDATE SET {_add_up("d", MEASURES)};
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION geoapi_issue_daily_rebuild(new_zone text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  written bigint;
BEGIN
  LOCK TABLE issue_daily IN EXCLUSIVE MODE;
  UPDATE issue_daily_zone SET zone = new_zone;{_rebuilding(by_street, True)}
  DELETE FROM issue_daily;
  INSERT INTO issue_daily ({_list(key)}, day, {_list(MEASURES)})
  SELECT * FROM geoapi_issue_daily_recount(new_zone);
  GET DIAGNOSTICS written = ROW_COUNT;{_rebuilding(by_street, False)}
  RETURN written + geoapi_inspection_daily_rebuild(new_zone);
END $$;

CREATE OR REPLACE FUNCTION geoapi_issue_daily_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_rebuilding(by_street, True)}
  DELETE FROM issue_daily;{_rebuilding(by_street, False)}
  RETURN NULL;
END $$;
"""


def _rebuilding(by_street: bool, starting: bool) -> str:
    """Around a rebuild of issue_daily: the by-street trigger stands aside while it runs,
    and the by-street sums are refilled set-based after it (nothing without `by_street`)."""
    if not by_street:
        return ""
    if starting:
        return """
  PERFORM set_config('geoapi.rollup_rebuild', 'on', true);
  DELETE FROM issue_daily_by_street;"""
    return f"""
  INSERT INTO issue_daily_by_street ({_list(OLD_KEY)}, day, {_list(MEASURES)})
  SELECT {_list(OLD_KEY)}, day, {", ".join(f"sum({m})" for m in MEASURES)}
    FROM issue_daily GROUP BY {_list(OLD_KEY)}, day;
  PERFORM set_config('geoapi.rollup_rebuild', 'off', true);"""


# The problems' rollup summed over communities and grids, kept row by row from issue_daily.
BY_STREET = f"""
CREATE TABLE issue_daily_by_street (
  {_typed(OLD_KEY)}, day date NOT NULL, {", ".join(f"{m} integer NOT NULL" for m in MEASURES)}
);
CREATE UNIQUE INDEX ux_issue_daily_by_street_key_day
  ON issue_daily_by_street ({_list(OLD_KEY)}, day) NULLS NOT DISTINCT;
CREATE INDEX ix_issue_daily_by_street_day ON issue_daily_by_street (day);
COMMENT ON TABLE issue_daily_by_street IS
  'issue_daily summed over communities and grids, for the answers above a community';

CREATE FUNCTION geoapi_issue_daily_by_street() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('geoapi.rollup_rebuild', true) = 'on' THEN
    RETURN NULL;  -- a rebuild refills it set-based
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO issue_daily_by_street AS d ({_list(OLD_KEY)}, day, {_list(MEASURES)})
    VALUES ({_list(OLD_KEY, "OLD.")}, OLD.day, {_list(MEASURES, "-OLD.")})
    ON CONFLICT ({_list(OLD_KEY)}, day) DO UPDATE SET {_add_up("d", MEASURES)};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO issue_daily_by_street AS d ({_list(OLD_KEY)}, day, {_list(MEASURES)})
    VALUES ({_list(OLD_KEY, "NEW.")}, NEW.day, {_list(MEASURES, "NEW.")})
    ON CONFLICT ({_list(OLD_KEY)}, day) DO UPDATE SET {_add_up("d", MEASURES)};
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER issue_daily_by_street AFTER INSERT OR UPDATE OR DELETE ON issue_daily
  FOR EACH ROW EXECUTE FUNCTION geoapi_issue_daily_by_street();
"""


def _visit_functions(key: Sequence[str]) -> str:
    """Every function of the visits' rollup that names its key, and the points' trigger."""
    points_of = """(SELECT p.* FROM points p WHERE ids IS NULL
                UNION ALL
                SELECT p.* FROM unnest(ids) AS k(id) JOIN points p ON p.id = k.id)"""
    counts = ("visits", "scored", "score_sum")
    day = "(v.visited_at AT TIME ZONE (SELECT zone FROM issue_daily_zone))::date"
    return f"""
CREATE OR REPLACE FUNCTION geoapi_inspection_daily_add(p points, sign int,
                                                       visit_id bigint DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO inspection_daily AS d ({_list(key)}, day, {_list(counts)})
  SELECT {_list(key, "p.")}, {day},
         sign * count(*), sign * count(v.score_rate), sign * coalesce(sum(v.score_rate), 0)
    FROM inspections v
   WHERE v.point_id = p.id AND (visit_id IS NULL OR v.id = visit_id)
   GROUP BY {len(key) + 1}
  ON CONFLICT ({_list(key)}, day) DO UPDATE SET {_add_up("d", counts)}
$$;

DROP FUNCTION geoapi_inspection_daily_recount(text, bigint[]);
CREATE FUNCTION geoapi_inspection_daily_recount(zone text, ids bigint[] DEFAULT NULL)
RETURNS TABLE ({_typed(key)}, day date, visits bigint, scored bigint, score_sum float8)
LANGUAGE sql STABLE AS $$
  SELECT {_list(key, "p.")}, (v.visited_at AT TIME ZONE zone)::date,
         count(*), count(v.score_rate), coalesce(sum(v.score_rate), 0)::float8
    FROM {points_of} p JOIN inspections v ON v.point_id = p.id
   GROUP BY {", ".join(str(n) for n in range(1, len(key) + 2))}
$$;

CREATE OR REPLACE FUNCTION geoapi_inspections_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p points;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT * INTO p FROM points WHERE id = OLD.point_id;
    IF FOUND THEN  -- (a deleted point took its visits out of the rollup already)
      INSERT INTO inspection_daily AS d ({_list(key)}, day, {_list(counts)})
      VALUES ({_list(key, "p.")},
              (OLD.visited_at AT TIME ZONE (SELECT zone FROM issue_daily_zone))::date,
              -1, -(OLD.score_rate IS NOT NULL)::int, -coalesce(OLD.score_rate, 0))
      ON CONFLICT ({_list(key)}, day) DO UPDATE SET {_add_up("d", counts)};
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT * INTO p FROM points WHERE id = NEW.point_id;
    PERFORM geoapi_inspection_daily_add(p, 1, NEW.id);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION geoapi_inspection_daily_rebuild(zone text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  written bigint;
BEGIN
  LOCK TABLE inspection_daily IN EXCLUSIVE MODE;
  DELETE FROM inspection_daily;
  INSERT INTO inspection_daily ({_list(key)}, day, {_list(counts)})
  SELECT * FROM geoapi_inspection_daily_recount(zone);
  GET DIAGNOSTICS written = ROW_COUNT;
  RETURN written;
END $$;

DROP TRIGGER points_roll_up ON points;
CREATE TRIGGER points_roll_up AFTER UPDATE ON points FOR EACH ROW
  WHEN (({_list(key, "OLD.")}) IS DISTINCT FROM ({_list(key, "NEW.")}))
  EXECUTE FUNCTION geoapi_points_roll_up();
"""


def _keys(key: Sequence[str], visit_key: Sequence[str]) -> str:
    """The rollups' unique keys and the closed problems' covering index."""
    return f"""
DROP INDEX ux_issue_daily_key_day;
CREATE UNIQUE INDEX ux_issue_daily_key_day ON issue_daily ({_list(key)}, day) NULLS NOT DISTINCT;
DROP INDEX ux_inspection_daily_key_day;
CREATE UNIQUE INDEX ux_inspection_daily_key_day ON inspection_daily ({_list(visit_key)}, day)
  NULLS NOT DISTINCT;
DROP INDEX ix_issues_closed_at;
CREATE INDEX ix_issues_closed_at ON issues (closed_at) INCLUDE (reported_at, {_list(key)});
"""


def upgrade() -> None:
    for table in ("issue_daily", "inspection_daily"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN community_id int, ADD COLUMN grid_id int")
    op.execute("DELETE FROM issue_daily")  # recounted below under the new keys
    op.execute("DELETE FROM inspection_daily")
    op.execute(_keys(NEW_KEY, NEW_VISIT_KEY))
    op.execute(BY_STREET)
    op.execute(_visit_functions(NEW_VISIT_KEY))
    op.execute(_issue_functions(NEW_KEY, by_street=True))
    op.execute("SELECT geoapi_issue_daily_rebuild((SELECT zone FROM issue_daily_zone))")


def downgrade() -> None:
    op.execute("DELETE FROM issue_daily")
    op.execute("DELETE FROM inspection_daily")
    op.execute(_keys(OLD_KEY, OLD_VISIT_KEY))
    op.execute(_visit_functions(OLD_VISIT_KEY))
    op.execute(_issue_functions(OLD_KEY, by_street=False))
    op.execute("DROP TRIGGER issue_daily_by_street ON issue_daily")
    op.execute("DROP FUNCTION geoapi_issue_daily_by_street()")
    op.execute("DROP TABLE issue_daily_by_street")
    for table in ("issue_daily", "inspection_daily"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN community_id, DROP COLUMN grid_id")
    op.execute("SELECT geoapi_issue_daily_rebuild((SELECT zone FROM issue_daily_zone))")
