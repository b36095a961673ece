"""Recounts of a few problems or points find them by their keys: `x = ANY (ids) OR ids IS
NULL` made PostgreSQL compare every problem with every id (a community's figures took 15 s at
city scale); joining `unnest(ids)` looks each one up in the primary key instead. A NULL list
still recounts everything (the rebuild).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 02:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As revision 0009 knew them (frozen).
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
KEY_TYPES = ("text", "text", "text", "int", "int")
VISIT_KEY = ("category", "unit_code", "district_id", "street_id")

ISSUES_OF = """(SELECT i.* FROM issues i WHERE ids IS NULL
                UNION ALL
                SELECT i.* FROM unnest(ids) AS k(id) JOIN issues i ON i.id = k.id)"""


def _issue_recount(issues: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION geoapi_issue_daily_recount(zone text, ids uuid[] DEFAULT NULL)
RETURNS TABLE ({", ".join(f"{k} {t}" for k, t in zip(KEY, KEY_TYPES, strict=True))},
               day date, {", ".join(f"{m} bigint" for m in MEASURES)})
LANGUAGE sql STABLE AS $$
  SELECT {", ".join(KEY)}, f.day, {", ".join(f"sum(f.{m})" for m in MEASURES)}
    FROM (SELECT {", ".join(f"i.{k}" for k in KEY)}, rf.*
            FROM {issues} i, geoapi_issue_facts(i, zone) rf
          UNION ALL
          SELECT {", ".join(f"i.{k}" for k in KEY)}, ef.*
            FROM {issues} i JOIN issue_events e ON e.issue_id = i.id,
                 geoapi_event_facts(e, zone) ef
           WHERE e.action IN ('close', 'reopen')) f
   GROUP BY {", ".join(KEY)}, f.day
$$;
"""


def _visit_recount(points: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION geoapi_inspection_daily_recount(zone text, ids bigint[] DEFAULT NULL)
RETURNS TABLE (category text, unit_code text, district_id int, street_id int, day date,
               visits bigint, scored bigint, score_sum float8)
LANGUAGE sql STABLE AS $$
  SELECT {", ".join(f"p.{k}" for k in VISIT_KEY)}, (v.visited_at AT TIME ZONE zone)::date,
         count(*), count(v.score_rate), coalesce(sum(v.score_rate), 0)::float8
    FROM {points} p JOIN inspections v ON v.point_id = p.id
   GROUP BY 1, 2, 3, 4, 5
$$;
"""


POINTS_OF = """(SELECT p.* FROM points p WHERE ids IS NULL
                UNION ALL
                SELECT p.* FROM unnest(ids) AS k(id) JOIN points p ON p.id = k.id)"""


def upgrade() -> None:
    op.execute(_issue_recount(ISSUES_OF))
    op.execute(_visit_recount(POINTS_OF))


def downgrade() -> None:
    op.execute(_issue_recount("(SELECT * FROM issues i WHERE ids IS NULL OR i.id = ANY (ids))"))
    op.execute(_visit_recount("(SELECT * FROM points p WHERE ids IS NULL OR p.id = ANY (ids))"))
