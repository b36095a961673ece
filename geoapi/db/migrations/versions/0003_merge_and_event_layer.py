"""Issues remember what they were merged into; the event history is published as a layer.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_LAYER = """
CREATE VIEW issue_event_layer AS
SELECT e.id, e.issue_id, e.at, e.actor, e.action, e.from_status, e.to_status, e.note,
       i.type, i.source, i.unit_code, i.reported_at,
       extract(epoch FROM e.at - i.reported_at)::float8 / 3600 AS hours_since_report,
       i.district_id, i.street_id, i.community_id, i.grid_id, i.geom
  FROM issue_events e JOIN issues i ON i.id = e.issue_id
"""


def upgrade() -> None:
    op.add_column("issues", sa.Column("merged_into", UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_issues_merged_into_issues"),
        "issues",
        "issues",
        ["merged_into"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_check_constraint(
        op.f("ck_issues_merged_has_target"),
        "issues",
        "(status = 'merged') = (merged_into IS NOT NULL)",
    )
    op.execute(EVENT_LAYER)


def downgrade() -> None:
    op.execute("DROP VIEW issue_event_layer")
    op.drop_constraint(op.f("ck_issues_merged_has_target"), "issues", type_="check")
    op.drop_constraint(op.f("fk_issues_merged_into_issues"), "issues", type_="foreignkey")
    op.drop_column("issues", "merged_into")
