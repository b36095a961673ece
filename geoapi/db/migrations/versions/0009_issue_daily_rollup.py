"""Daily rollups of the closed loop's figures (issue_daily) and of visits (inspection_daily),
kept by triggers as problems, their events and visits are written, so figures, rankings and
bulletins never rescan the history.

Each problem contributes facts to local days: reported, ended (closed, rejected or merged),
closed, became overdue (+1) / stopped being overdue (−1), due on its deadline day (with
deferred and closed-on-time), and each verification (close or reopen) on its day. Stocks at
the end of a day (open, overdue) are sums of those facts over the days before it. The facts
of one problem are a function of its row (`geoapi_issue_facts`) and of its events
(`geoapi_event_facts`), so a trigger subtracts the old row's facts and adds the new row's,
and `geoapi_issue_daily_rebuild` recounts everything set-based (after bulk loads, or when
the service's time zone changes).

Problems gain the columns those facts need: the category of their point, when they were
dropped (first rejected or merged) and whether a deferral was approved; triggers keep them,
and `geoapi_issues_derive` sets them set-based (bulk loads pause the triggers).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
KEY = ("type", "unit_code", "category", "district_id", "street_id")

# Inlined rather than read from a file, so this revision stays what it was when applied.
FUNCTIONS = f"""
CREATE TYPE issue_day_facts AS (
    day date, {", ".join(f"{m} integer" for m in MEASURES)}
);

-- The facts one problem's row contributes, by local day of `zone`.
CREATE FUNCTION geoapi_issue_facts(i issues, zone text) RETURNS SETOF issue_day_facts
LANGUAGE sql STABLE AS $$
  WITH t AS (
    SELECT coalesce(i.closed_at, i.dropped_at) AS ended_at,
           CASE WHEN i.dispatched_at IS NOT NULL AND i.deadline IS NOT NULL
                THEN greatest(i.dispatched_at, i.deadline) END AS overdue_from
  ), d AS (
    SELECT t.*, (t.ended_at AT TIME ZONE zone)::date AS ended_day,
           (t.overdue_from AT TIME ZONE zone)::date AS overdue_day
      FROM t
  )
  SELECT (f.at AT TIME ZONE zone)::date, sum(f.reported)::int, sum(f.ended)::int,
         sum(f.closed)::int, sum(f.overdue)::int, sum(f.due)::int, sum(f.deferred)::int,
         sum(f.closed_on_time)::int, 0, 0
    FROM d, LATERAL (VALUES
      (i.reported_at, 1, 0, 0, 0, 0, 0, 0),
      (d.ended_at, 0, 1, 0, 0, 0, 0, 0),
      (i.closed_at, 0, 0, 1, 0, 0, 0, 0),
      -- overdue from max(dispatch, deadline) until it ends; never if it ended before
      (CASE WHEN d.ended_day IS NULL OR d.ended_day >= d.overdue_day
            THEN d.overdue_from END, 0, 0, 0, 1, 0, 0, 0),
      (CASE WHEN d.ended_day >= d.overdue_day THEN d.ended_at END, 0, 0, 0, -1, 0, 0, 0),
      (CASE WHEN i.dispatched_at IS NOT NULL THEN i.deadline END, 0, 0, 0, 0, 1,
       i.deferred::int, coalesce(NOT i.deferred AND i.closed_at <= i.deadline, false)::int)
    ) AS f(at, reported, ended, closed, overdue, due, deferred, closed_on_time)
   WHERE f.at IS NOT NULL
   GROUP BY 1
$$;

-- The facts one event contributes: a verification (close) or a failed one (reopen, 返工).
CREATE FUNCTION geoapi_event_facts(e issue_events, zone text) RETURNS SETOF issue_day_facts
LANGUAGE sql STABLE AS $$
  SELECT (e.at AT TIME ZONE zone)::date, 0, 0, 0, 0, 0, 0, 0, 1, (e.action = 'reopen')::int
   WHERE e.action IN ('close', 'reopen')
$$;

-- Every fact of the problems `ids` (all problems when NULL), under their keys.
CREATE FUNCTION geoapi_issue_daily_recount(zone text, ids uuid[] DEFAULT NULL)
RETURNS TABLE ({", ".join(f"{k} {t}" for k, t in zip(KEY, ("text", "text", "text", "int", "int"), strict=True))},
               day date, {", ".join(f"{m} bigint" for m in MEASURES)})
LANGUAGE sql STABLE AS $$
  SELECT {", ".join(KEY)}, f.day, {", ".join(f"sum(f.{m})" for m in MEASURES)}
    FROM (SELECT {", ".join(f"i.{k}" for k in KEY)}, rf.*
            FROM issues i, geoapi_issue_facts(i, zone) rf
           WHERE ids IS NULL OR i.id = ANY (ids)
          UNION ALL
          SELECT {", ".join(f"i.{k}" for k in KEY)}, ef.*
            FROM issue_events e JOIN issues i ON i.id = e.issue_id,
                 geoapi_event_facts(e, zone) ef
           WHERE e.action IN ('close', 'reopen') AND (ids IS NULL OR i.id = ANY (ids))) f
   GROUP BY {", ".join(KEY)}, f.day
$$;

-- Add `sign` × the facts (of the row and/or of its events) of one problem to the rollup.
CREATE FUNCTION geoapi_issue_daily_add(i issues, sign int, with_row boolean, with_events boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  zone text := (SELECT z.zone FROM issue_daily_zone z);
BEGIN
  INSERT INTO issue_daily AS d ({", ".join(KEY)}, day, {", ".join(MEASURES)})
  SELECT {", ".join(f"i.{k}" for k in KEY)}, f.day, {", ".join(f"sign * sum(f.{m})" for m in MEASURES)}
    FROM (SELECT * FROM geoapi_issue_facts(i, zone) WHERE with_row
          UNION ALL
          SELECT ef.* FROM issue_events e, geoapi_event_facts(e, zone) ef
           WHERE with_events AND e.issue_id = i.id AND e.action IN ('close', 'reopen')) f
   GROUP BY f.day
  ON CONFLICT ({", ".join(KEY)}, day) DO UPDATE
     SET {", ".join(f"{m} = d.{m} + excluded.{m}" for m in MEASURES)};
END $$;

CREATE FUNCTION geoapi_issues_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  moved boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM geoapi_issue_daily_add(NEW, 1, true, false);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM geoapi_issue_daily_add(OLD, -1, true, true);
  ELSE
    moved := ({", ".join(f"OLD.{k}" for k in KEY)})
             IS DISTINCT FROM ({", ".join(f"NEW.{k}" for k in KEY)});
    IF moved OR (OLD.reported_at, OLD.dispatched_at, OLD.deadline, OLD.closed_at,
                 OLD.dropped_at, OLD.deferred)
                IS DISTINCT FROM (NEW.reported_at, NEW.dispatched_at, NEW.deadline,
                                  NEW.closed_at, NEW.dropped_at, NEW.deferred) THEN
      PERFORM geoapi_issue_daily_add(OLD, -1, true, moved);
      PERFORM geoapi_issue_daily_add(NEW, 1, true, moved);
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- An event marks its problem deferred or dropped, and a verification adds its fact.
CREATE FUNCTION geoapi_issue_events_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  problem issues;
BEGIN
  IF NEW.action = 'defer' THEN
    UPDATE issues SET deferred = true WHERE id = NEW.issue_id AND NOT deferred;
  END IF;
  IF NEW.to_status IN ('rejected', 'merged') THEN
    UPDATE issues SET dropped_at = NEW.at
     WHERE id = NEW.issue_id AND (dropped_at IS NULL OR dropped_at > NEW.at);
  END IF;
  IF NEW.action IN ('close', 'reopen') THEN
    SELECT * INTO problem FROM issues WHERE id = NEW.issue_id;
    INSERT INTO issue_daily AS d ({", ".join(KEY)}, day, {", ".join(MEASURES)})
    SELECT {", ".join(f"problem.{k}" for k in KEY)}, f.day, {", ".join(f"f.{m}" for m in MEASURES)}
      FROM geoapi_event_facts(NEW, (SELECT z.zone FROM issue_daily_zone z)) f
    ON CONFLICT ({", ".join(KEY)}, day) DO UPDATE
       SET {", ".join(f"{m} = d.{m} + excluded.{m}" for m in MEASURES)};
  END IF;
  RETURN NULL;
END $$;

-- A problem's category is its point's, kept when the point's category changes.
CREATE FUNCTION geoapi_issue_category() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.category := (SELECT p.category FROM points p WHERE p.id = NEW.point_id);
  RETURN NEW;
END $$;

CREATE FUNCTION geoapi_point_category_to_issues() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE issues SET category = NEW.category
   WHERE point_id = NEW.id AND category IS DISTINCT FROM NEW.category;
  RETURN NULL;
END $$;

-- Emptying the problems empties their rollup (TRUNCATE fires no row triggers); DELETE, as
-- the same TRUNCATE may be emptying the rollup too.
CREATE FUNCTION geoapi_issue_daily_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM issue_daily;
  RETURN NULL;
END $$;

-- Set the columns the triggers keep, set-based (after bulk loads with the triggers off).
CREATE FUNCTION geoapi_issues_derive() RETURNS void LANGUAGE sql AS $$
  UPDATE issues i SET category = p.category
    FROM points p WHERE p.id = i.point_id AND i.category IS DISTINCT FROM p.category;
  UPDATE issues i SET dropped_at = e.at
    FROM (SELECT issue_id, min(at) AS at FROM issue_events
           WHERE to_status IN ('rejected', 'merged') GROUP BY issue_id) e
   WHERE e.issue_id = i.id AND i.dropped_at IS DISTINCT FROM e.at;
  UPDATE issues i SET deferred = true
   WHERE NOT i.deferred
     AND EXISTS (SELECT FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'defer');
$$;

-- Recount the whole rollup in local days of `zone` (after bulk loads, or a new time zone).
CREATE FUNCTION geoapi_issue_daily_rebuild(new_zone text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  written bigint;
BEGIN
  LOCK TABLE issue_daily IN EXCLUSIVE MODE;
  UPDATE issue_daily_zone SET zone = new_zone;
  DELETE FROM issue_daily;
  INSERT INTO issue_daily ({", ".join(KEY)}, day, {", ".join(MEASURES)})
  SELECT * FROM geoapi_issue_daily_recount(new_zone);
  GET DIAGNOSTICS written = ROW_COUNT;
  RETURN written + geoapi_inspection_daily_rebuild(new_zone);
END $$;
"""

VISIT_KEY = ("category", "unit_code", "district_id", "street_id")

# Visits per local day and the visited point's key: count, scored visits, sum of score rates.
VISIT_FUNCTIONS = f"""
-- `sign` × the visits of point `p` (all of them, or the one `visit_id`) under p's key.
CREATE FUNCTION geoapi_inspection_daily_add(p points, sign int, visit_id bigint DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO inspection_daily AS d ({", ".join(VISIT_KEY)}, day, visits, scored, score_sum)
  SELECT {", ".join(f"p.{k}" for k in VISIT_KEY)},
         (v.visited_at AT TIME ZONE (SELECT zone FROM issue_daily_zone))::date,
         sign * count(*), sign * count(v.score_rate), sign * coalesce(sum(v.score_rate), 0)
    FROM inspections v
   WHERE v.point_id = p.id AND (visit_id IS NULL OR v.id = visit_id)
   GROUP BY 5
  ON CONFLICT ({", ".join(VISIT_KEY)}, day) DO UPDATE
     SET visits = d.visits + excluded.visits, scored = d.scored + excluded.scored,
         score_sum = d.score_sum + excluded.score_sum
$$;

-- Every visit (to the points `ids`, or all when NULL) under its point's key, by local day.
CREATE FUNCTION geoapi_inspection_daily_recount(zone text, ids bigint[] DEFAULT NULL)
RETURNS TABLE (category text, unit_code text, district_id int, street_id int, day date,
               visits bigint, scored bigint, score_sum float8)
LANGUAGE sql STABLE AS $$
  SELECT {", ".join(f"p.{k}" for k in VISIT_KEY)}, (v.visited_at AT TIME ZONE zone)::date,
         count(*), count(v.score_rate), coalesce(sum(v.score_rate), 0)::float8
    FROM inspections v JOIN points p ON p.id = v.point_id
   WHERE ids IS NULL OR p.id = ANY (ids)
   GROUP BY 1, 2, 3, 4, 5
$$;

CREATE FUNCTION geoapi_inspections_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p points;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT * INTO p FROM points WHERE id = OLD.point_id;
    IF FOUND THEN  -- (a deleted point took its visits out of the rollup already)
      INSERT INTO inspection_daily AS d ({", ".join(VISIT_KEY)}, day, visits, scored, score_sum)
      VALUES ({", ".join(f"p.{k}" for k in VISIT_KEY)},
              (OLD.visited_at AT TIME ZONE (SELECT zone FROM issue_daily_zone))::date,
              -1, -(OLD.score_rate IS NOT NULL)::int, -coalesce(OLD.score_rate, 0))
      ON CONFLICT ({", ".join(VISIT_KEY)}, day) DO UPDATE
         SET visits = d.visits + excluded.visits, scored = d.scored + excluded.scored,
             score_sum = d.score_sum + excluded.score_sum;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT * INTO p FROM points WHERE id = NEW.point_id;
    PERFORM geoapi_inspection_daily_add(p, 1, NEW.id);
  END IF;
  RETURN NULL;
END $$;

-- A point whose key changes takes its visits along; a deleted point takes them out.
CREATE FUNCTION geoapi_points_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM geoapi_inspection_daily_add(OLD, -1);
  IF TG_OP = 'UPDATE' THEN
    PERFORM geoapi_inspection_daily_add(NEW, 1);
  END IF;
  RETURN OLD;  -- (before a delete: let it happen)
END $$;

CREATE FUNCTION geoapi_inspection_daily_rebuild(zone text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  written bigint;
BEGIN
  LOCK TABLE inspection_daily IN EXCLUSIVE MODE;
  DELETE FROM inspection_daily;
  INSERT INTO inspection_daily ({", ".join(VISIT_KEY)}, day, visits, scored, score_sum)
  SELECT * FROM geoapi_inspection_daily_recount(zone);
  GET DIAGNOSTICS written = ROW_COUNT;
  RETURN written;
END $$;

CREATE FUNCTION geoapi_inspection_daily_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM inspection_daily;
  RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER issues_category BEFORE INSERT OR UPDATE OF point_id ON issues
  FOR EACH ROW EXECUTE FUNCTION geoapi_issue_category();
CREATE TRIGGER points_category_to_issues AFTER UPDATE OF category ON points
  FOR EACH ROW EXECUTE FUNCTION geoapi_point_category_to_issues();
CREATE TRIGGER issues_roll_up AFTER INSERT OR UPDATE OR DELETE ON issues
  FOR EACH ROW EXECUTE FUNCTION geoapi_issues_roll_up();
CREATE TRIGGER issue_events_roll_up AFTER INSERT ON issue_events
  FOR EACH ROW EXECUTE FUNCTION geoapi_issue_events_roll_up();
CREATE TRIGGER issues_truncate_roll_up AFTER TRUNCATE ON issues
  FOR EACH STATEMENT EXECUTE FUNCTION geoapi_issue_daily_truncate();
CREATE TRIGGER inspections_roll_up AFTER INSERT OR UPDATE OR DELETE ON inspections
  FOR EACH ROW EXECUTE FUNCTION geoapi_inspections_roll_up();
CREATE TRIGGER points_roll_up AFTER UPDATE ON points FOR EACH ROW
  WHEN ((OLD.category, OLD.unit_code, OLD.district_id, OLD.street_id)
        IS DISTINCT FROM (NEW.category, NEW.unit_code, NEW.district_id, NEW.street_id))
  EXECUTE FUNCTION geoapi_points_roll_up();
CREATE TRIGGER points_delete_roll_up BEFORE DELETE ON points
  FOR EACH ROW EXECUTE FUNCTION geoapi_points_roll_up();
CREATE TRIGGER inspections_truncate_roll_up AFTER TRUNCATE ON inspections
  FOR EACH STATEMENT EXECUTE FUNCTION geoapi_inspection_daily_truncate();
"""


def upgrade() -> None:
    op.add_column("issues", sa.Column("category", sa.Text(), nullable=True))
    op.add_column("issues", sa.Column("dropped_at", postgresql.TIMESTAMP(timezone=True)))
    op.add_column(
        "issues",
        sa.Column("deferred", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(  # hours to close of a period's closed problems, from the index alone
        "ix_issues_closed_at",
        "issues",
        ["closed_at"],
        postgresql_include=["reported_at", *KEY],
    )
    op.create_index(
        "ix_issues_dropped_at",
        "issues",
        ["dropped_at"],
        postgresql_where=sa.text("dropped_at IS NOT NULL"),
    )
    op.create_index("ix_inspections_visited_at", "inspections", ["visited_at"])
    op.create_index(  # the bulletin's reworked problems: recent failed verifications
        "ix_issue_events_reopen_at",
        "issue_events",
        ["at"],
        postgresql_include=["issue_id"],
        postgresql_where=sa.text("action = 'reopen'"),
    )
    op.create_table(
        "issue_daily",
        *(sa.Column(k, sa.Text() if k in KEY[:3] else sa.Integer()) for k in KEY),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
    )
    op.execute(
        f"CREATE UNIQUE INDEX ux_issue_daily_key_day ON issue_daily ({', '.join(KEY)}, day) "
        "NULLS NOT DISTINCT"
    )
    op.create_index("ix_issue_daily_day", "issue_daily", ["day"])
    op.create_table(
        "issue_daily_zone",
        sa.Column("only", sa.Boolean(), server_default=sa.true(), primary_key=True),
        sa.Column("zone", sa.Text(), nullable=False),
        sa.CheckConstraint('"only"', name=op.f("ck_issue_daily_zone_one_row")),
    )
    op.execute("INSERT INTO issue_daily_zone (zone) VALUES ('Asia/Shanghai')")
    op.create_table(
        "inspection_daily",
        *(sa.Column(k, sa.Text() if k in VISIT_KEY[:2] else sa.Integer()) for k in VISIT_KEY),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("score_sum", sa.Float(), nullable=False),
    )
    op.execute(
        "CREATE UNIQUE INDEX ux_inspection_daily_key_day ON inspection_daily "
        f"({', '.join(VISIT_KEY)}, day) NULLS NOT DISTINCT"
    )
    op.create_index("ix_inspection_daily_day", "inspection_daily", ["day"])
    op.execute(VISIT_FUNCTIONS)
    op.execute(FUNCTIONS)
    op.execute("SELECT geoapi_issues_derive()")
    op.execute(TRIGGERS)
    op.execute("SELECT geoapi_issue_daily_rebuild('Asia/Shanghai')")


def downgrade() -> None:
    for trigger, table in (
        ("issues_category", "issues"),
        ("points_category_to_issues", "points"),
        ("issues_roll_up", "issues"),
        ("issue_events_roll_up", "issue_events"),
        ("issues_truncate_roll_up", "issues"),
        ("inspections_roll_up", "inspections"),
        ("points_roll_up", "points"),
        ("points_delete_roll_up", "points"),
        ("inspections_truncate_roll_up", "inspections"),
    ):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in (
        "geoapi_issue_daily_rebuild(text)",
        "geoapi_issues_derive()",
        "geoapi_issue_daily_truncate()",
        "geoapi_point_category_to_issues()",
        "geoapi_issue_category()",
        "geoapi_issue_events_roll_up()",
        "geoapi_issues_roll_up()",
        "geoapi_issue_daily_add(issues, int, boolean, boolean)",
        "geoapi_issue_daily_recount(text, uuid[])",
        "geoapi_event_facts(issue_events, text)",
        "geoapi_issue_facts(issues, text)",
        "geoapi_inspection_daily_truncate()",
        "geoapi_inspection_daily_rebuild(text)",
        "geoapi_points_roll_up()",
        "geoapi_inspections_roll_up()",
        "geoapi_inspection_daily_recount(text, bigint[])",
        "geoapi_inspection_daily_add(points, int, bigint)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.execute("DROP TYPE issue_day_facts")
    op.drop_table("inspection_daily")
    op.drop_table("issue_daily_zone")
    op.drop_table("issue_daily")
    op.drop_index("ix_issue_events_reopen_at", table_name="issue_events")
    op.drop_index("ix_inspections_visited_at", table_name="inspections")
    op.drop_index("ix_issues_dropped_at", table_name="issues")
    op.drop_index("ix_issues_closed_at", table_name="issues")
    for column in ("deferred", "dropped_at", "category"):
        op.drop_column("issues", column)
