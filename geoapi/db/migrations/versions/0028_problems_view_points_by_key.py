"""The analysts' problems (`analytics.problems`) look each problem's point up by its key.

Read whole, as QGIS and notebooks read it, the view made PostgreSQL 15 hash the problems and
join the points to them; the problems found away from any point (a third of them, all with a
NULL key) land in one bucket that no number of batches splits, and the city-scale demo's
300,000 problems took 49 s to read (4 s looked up). The ledger's SELECT does the same since
this revision. Columns, comments and grants stay as they were (CREATE OR REPLACE VIEW).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As 0022 and 0027 left the view (pg_get_viewdef); the upgrade swaps its join of the points.
JOINED = """
 SELECT i.id,
    i.type,
    t.name_zh AS type_name,
    i.severity,
    i.source,
        CASE i.source
            WHEN 'inspection'::text THEN '巡查发现'::text
            WHEN 'grid_worker'::text THEN '网格员上报'::text
            WHEN 'citizen'::text THEN '市民随手拍'::text
            WHEN 'camera'::text THEN '智能摄像头'::text
            WHEN 'undercover'::text THEN '暗访'::text
            WHEN 'hotline'::text THEN '热线'::text
            ELSE NULL::text
        END AS source_name,
    i.status,
        CASE i.status
            WHEN 'reported'::text THEN '待交办'::text
            WHEN 'dispatched'::text THEN '已交办'::text
            WHEN 'rectifying'::text THEN '整改中'::text
            WHEN 'rectified'::text THEN '已整改待核查'::text
            WHEN 'closed'::text THEN '已销号'::text
            WHEN 'rejected'::text THEN '已驳回'::text
            WHEN 'merged'::text THEN '已合并'::text
            ELSE NULL::text
        END AS status_name,
    i.description,
    i.unit_code,
    u.name AS unit_name,
    p.code AS point_code,
    p.name AS point_name,
    i.category,
    cat.name_zh AS category_name,
    d.code AS district_code,
    d.name AS district_name,
    s.code AS street_code,
    s.name AS street_name,
    c.code AS community_code,
    c.name AS community_name,
    g.code AS grid_code,
    g.name AS grid_name,
    i.reported_at,
    i.dispatched_at,
    i.rectified_at,
    i.closed_at,
    i.deadline,
    (EXTRACT(epoch FROM i.closed_at - i.reported_at) / 3600::numeric)::double precision AS hours_to_close,
        CASE
            WHEN i.closed_at IS NOT NULL AND i.deadline IS NOT NULL THEN i.closed_at <= i.deadline
            ELSE NULL::boolean
        END AS closed_on_time,
    COALESCE((i.status = ANY (ARRAY['dispatched'::text, 'rectifying'::text])) AND i.deadline < now(), false) AS overdue_now,
    COALESCE(r.reworks, 0) AS reworks,
    i.geom
   FROM issues i
     JOIN issue_types t ON t.code = i.type
     LEFT JOIN categories cat ON cat.code = i.category
     LEFT JOIN units u ON u.code = i.unit_code
     LEFT JOIN points p ON p.id = i.point_id
     LEFT JOIN ( SELECT issue_events.issue_id,
            count(*)::integer AS reworks
           FROM issue_events
          WHERE issue_events.action = 'reopen'::text
          GROUP BY issue_events.issue_id) r ON r.issue_id = i.id
     LEFT JOIN areas d ON d.id = i.district_id
     LEFT JOIN areas s ON s.id = i.street_id
     LEFT JOIN areas c ON c.id = i.community_id
     LEFT JOIN areas g ON g.id = i.grid_id
  WHERE (( SELECT s_1.area_id
           FROM analytics.scopes s_1
          WHERE s_1.role_name = CURRENT_USER)) IS NULL OR (( SELECT s_1.area_id
           FROM analytics.scopes s_1
          WHERE s_1.role_name = CURRENT_USER)) = i.district_id OR (( SELECT s_1.area_id
           FROM analytics.scopes s_1
          WHERE s_1.role_name = CURRENT_USER)) = i.street_id OR (( SELECT s_1.area_id
           FROM analytics.scopes s_1
          WHERE s_1.role_name = CURRENT_USER)) = i.community_id OR (( SELECT s_1.area_id
           FROM analytics.scopes s_1
          WHERE s_1.role_name = CURRENT_USER)) = i.grid_id
"""
POINT_JOINED = "     LEFT JOIN points p ON p.id = i.point_id\n"
POINT_LOOKED_UP = (
    "     LEFT JOIN LATERAL ( SELECT points.* FROM points WHERE points.id = i.point_id OFFSET 0)"
    " p ON true\n"
)
assert JOINED.count(POINT_JOINED) == 1
LOOKED_UP = JOINED.replace(POINT_JOINED, POINT_LOOKED_UP)


def upgrade() -> None:
    op.execute(f"CREATE OR REPLACE VIEW analytics.problems AS {LOOKED_UP}")


def downgrade() -> None:
    op.execute(f"CREATE OR REPLACE VIEW analytics.problems AS {JOINED}")
