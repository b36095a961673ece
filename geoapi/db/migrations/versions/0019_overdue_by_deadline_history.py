"""Overdue by the deadline in force at the time: a problem that was late under its deadline
stays counted late for those days after its deadline is extended, corrected or reset by
rework. Each problem keeps the spans it was late under earlier deadlines (`overdue_spans`),
appended when an event sets a new deadline; the current deadline counts as before. The
daily facts add one (+1, −1) pair per span, so the rollup's triggers keep working from the
problem's row alone.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ("type", "unit_code", "category", "district_id", "street_id")  # as 0009 knew it
TRACKED = (*KEY, "reported_at", "dispatched_at", "deadline", "closed_at", "dropped_at", "deferred")

SPAN_FACTS = """
    UNION ALL  -- late under an earlier deadline: +1 at the start of each span, −1 at its end
    SELECT b.at, 0, 0, 0, b.sign, 0, 0, 0
      FROM unnest(i.overdue_spans) AS s(span),
           LATERAL (VALUES (lower(s.span), 1), (upper(s.span), -1)) AS b(at, sign)"""


def _facts(with_spans: bool) -> str:
    """A problem's facts as 0009 counted them, plus, with spans, its earlier late spans."""
    return f"""
CREATE OR REPLACE FUNCTION geoapi_issue_facts(i issues, zone text) RETURNS SETOF issue_day_facts
LANGUAGE sql STABLE AS $$
  WITH t AS (
    SELECT coalesce(i.closed_at, i.dropped_at) AS ended_at,
           CASE WHEN i.dispatched_at IS NOT NULL AND i.deadline IS NOT NULL
                THEN greatest(i.dispatched_at, i.deadline) END AS overdue_from
  ), d AS (
    SELECT t.*, (t.ended_at AT TIME ZONE zone)::date AS ended_day,
           (t.overdue_from AT TIME ZONE zone)::date AS overdue_day
      FROM t
  ), f(at, reported, ended, closed, overdue, due, deferred, closed_on_time) AS (
    SELECT v.* FROM d, LATERAL (VALUES
      (i.reported_at, 1, 0, 0, 0, 0, 0, 0),
      (d.ended_at, 0, 1, 0, 0, 0, 0, 0),
      (i.closed_at, 0, 0, 1, 0, 0, 0, 0),
      -- overdue from max(dispatch, deadline) until it ends; never if it ended before
      (CASE WHEN d.ended_day IS NULL OR d.ended_day >= d.overdue_day
            THEN d.overdue_from END, 0, 0, 0, 1, 0, 0, 0),
      (CASE WHEN d.ended_day >= d.overdue_day THEN d.ended_at END, 0, 0, 0, -1, 0, 0, 0),
      (CASE WHEN i.dispatched_at IS NOT NULL THEN i.deadline END, 0, 0, 0, 0, 1,
       i.deferred::int, coalesce(NOT i.deferred AND i.closed_at <= i.deadline, false)::int)
    ) AS v{SPAN_FACTS if with_spans else ""}
  )
  SELECT (f.at AT TIME ZONE zone)::date, sum(f.reported)::int, sum(f.ended)::int,
         sum(f.closed)::int, sum(f.overdue)::int, sum(f.due)::int, sum(f.deferred)::int,
         sum(f.closed_on_time)::int, 0, 0
    FROM f
   WHERE f.at IS NOT NULL
   GROUP BY 1
$$;
"""


def _roll_up(tracked: Sequence[str]) -> str:
    """The problems' trigger (0009) recounting a row when any of `tracked` changes."""
    return f"""
CREATE OR REPLACE FUNCTION geoapi_issues_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF moved OR ({", ".join(f"OLD.{c}" for c in tracked)})
                IS DISTINCT FROM ({", ".join(f"NEW.{c}" for c in tracked)}) THEN
      PERFORM geoapi_issue_daily_add(OLD, -1, true, moved);
      PERFORM geoapi_issue_daily_add(NEW, 1, true, moved);
    END IF;
  END IF;
  RETURN NULL;
END $$;
"""


def _events_roll_up(with_spans: bool) -> str:
    """The events' trigger (0009); with spans, an event that sets a deadline closes the late
    span under the one before it."""
    spans = """
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
  END IF;"""
    return f"""
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
  END IF;{spans if with_spans else ""}
  IF NEW.action IN ('close', 'reopen') THEN
    SELECT * INTO problem FROM issues WHERE id = NEW.issue_id;
    INSERT INTO issue_daily AS d ({", ".join(KEY)}, day, {MEASURES})
    SELECT {", ".join(f"problem.{k}" for k in KEY)}, f.day, {", ".join(f"f.{m}" for m in MEASURES.split(", "))}
      FROM geoapi_event_facts(NEW, (SELECT z.zone FROM issue_daily_zone z)) f
    ON CONFLICT ({", ".join(KEY)}, day) DO UPDATE
       SET {", ".join(f"{m} = d.{m} + excluded.{m}" for m in MEASURES.split(", "))};
  END IF;
  RETURN NULL;
END $$;
"""


MEASURES = "reported, ended, closed, overdue, due, deferred, closed_on_time, verified, reworked"

# Set-based, after bulk loads: every late span between two deadline-setting events.
SPANS_DERIVE = """
CREATE FUNCTION geoapi_issues_derive_overdue_spans() RETURNS void LANGUAGE sql AS $$
  UPDATE issues i SET overdue_spans = s.spans
    FROM (SELECT issue_id, range_agg(tstzrange(late_from, next_at)) AS spans
            FROM (SELECT issue_id, greatest(at, deadline) AS late_from,
                         lead(at) OVER (PARTITION BY issue_id ORDER BY id) AS next_at
                    FROM issue_events WHERE deadline IS NOT NULL) e
           WHERE late_from < next_at
           GROUP BY issue_id) s
   WHERE s.issue_id = i.id AND i.overdue_spans IS DISTINCT FROM s.spans;
$$;
"""


def _derive(with_spans: bool) -> str:
    """The bulk loads' derive (0009), which with spans also derives the late spans."""
    spans = "\n  SELECT geoapi_issues_derive_overdue_spans();" if with_spans else ""
    return f"""
CREATE OR REPLACE FUNCTION geoapi_issues_derive() RETURNS void LANGUAGE sql AS $$
  UPDATE issues i SET category = p.category
    FROM points p WHERE p.id = i.point_id AND i.category IS DISTINCT FROM p.category;
  UPDATE issues i SET dropped_at = e.at
    FROM (SELECT issue_id, min(at) AS at FROM issue_events
           WHERE to_status IN ('rejected', 'merged') GROUP BY issue_id) e
   WHERE e.issue_id = i.id AND i.dropped_at IS DISTINCT FROM e.at;
  UPDATE issues i SET deferred = true
   WHERE NOT i.deferred
     AND EXISTS (SELECT FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'defer');{spans}
$$;
"""


def upgrade() -> None:
    op.add_column(
        "issues",
        sa.Column(
            "overdue_spans",
            postgresql.TSTZMULTIRANGE(),
            server_default=sa.text("'{}'::tstzmultirange"),
            nullable=False,
        ),
    )
    op.execute(_facts(with_spans=True))
    op.execute(_roll_up((*TRACKED, "overdue_spans")))
    op.execute(_events_roll_up(with_spans=True))
    op.execute(SPANS_DERIVE)
    op.execute(_derive(with_spans=True))
    op.execute("SELECT geoapi_issues_derive_overdue_spans()")
    op.execute("SELECT geoapi_issue_daily_rebuild((SELECT zone FROM issue_daily_zone))")


def downgrade() -> None:
    op.execute(_derive(with_spans=False))
    op.execute("DROP FUNCTION geoapi_issues_derive_overdue_spans()")
    op.execute(_events_roll_up(with_spans=False))
    op.execute(_roll_up(TRACKED))
    op.execute(_facts(with_spans=False))
    op.drop_column("issues", "overdue_spans")
