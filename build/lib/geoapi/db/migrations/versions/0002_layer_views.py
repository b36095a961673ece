"""Views behind published layers: points with open-problem counts, compliance by street.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "('reported', 'dispatched', 'rectifying', 'rectified')"

POINT_LAYER = f"""
CREATE VIEW point_layer AS
SELECT p.id, p.code, p.name, p.category, p.status, p.address, p.unit_code,
       p.last_inspected_at,
       (SELECT count(*) FROM issues i
         WHERE i.point_id = p.id AND i.status IN {OPEN})::integer AS open_issue_count,
       p.district_id, p.street_id, p.community_id, p.grid_id, p.geom
  FROM points p
"""

STREET_COMPLIANCE = f"""
CREATE VIEW street_compliance AS
SELECT a.id, a.code, a.name,
       coalesce(p.point_count, 0)::integer AS point_count,
       coalesce(i.open_count, 0)::integer AS open_count,
       coalesce(i.overdue_count, 0)::integer AS overdue_count,
       coalesce(i.closed_count, 0)::integer AS closed_count,
       coalesce(i.issue_count, 0)::integer AS issue_count,
       round(i.closed_count::numeric / nullif(i.issue_count, 0), 4)::float8 AS closure_rate,
       round(100.0 * i.open_count / nullif(p.point_count, 0), 2)::float8 AS open_per_100_points,
       a.geom
  FROM areas a
  LEFT JOIN (SELECT street_id, count(*) AS point_count FROM points GROUP BY street_id) p
         ON p.street_id = a.id
  LEFT JOIN (
        SELECT street_id,
               count(*) FILTER (WHERE status IN {OPEN}) AS open_count,
               count(*) FILTER (WHERE status IN ('dispatched', 'rectifying')
                                  AND deadline < now()) AS overdue_count,
               count(*) FILTER (WHERE status = 'closed') AS closed_count,
               count(*) FILTER (WHERE status NOT IN ('rejected', 'merged')) AS issue_count
          FROM issues GROUP BY street_id) i
         ON i.street_id = a.id
 WHERE a.level = 'street'
"""


def upgrade() -> None:
    op.execute(POINT_LAYER)
    op.execute(STREET_COMPLIANCE)
    op.execute(f"CREATE INDEX ix_issues_open_point_id ON issues (point_id) WHERE status IN {OPEN}")


def downgrade() -> None:
    op.execute("DROP INDEX ix_issues_open_point_id")
    op.execute("DROP VIEW street_compliance")
    op.execute("DROP VIEW point_layer")
