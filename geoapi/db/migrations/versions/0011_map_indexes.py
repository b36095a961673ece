"""Indexes the map reads: open problems by location (heat map, hexagons, overdue layer) and
the history by time (the page's "data as of").

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The open states as this revision knew them (frozen).
OPEN = "status IN ('reported', 'dispatched', 'rectifying', 'rectified')"


def upgrade() -> None:
    op.create_index(
        "ix_issues_open_geom",
        "issues",
        ["geom"],
        postgresql_using="gist",
        postgresql_where=sa.text(OPEN),
    )
    op.create_index("ix_issue_events_at", "issue_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_issue_events_at", table_name="issue_events")
    op.drop_index("ix_issues_open_geom", table_name="issues")
