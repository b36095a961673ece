"""A covering index of the open problems: the map's heat, overdue layer and choropleths read
them by index-only scans instead of visiting ~15,000 heap pages at city scale.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The open states as this revision knew them (frozen).
OPEN = "status IN ('reported', 'dispatched', 'rectifying', 'rectified')"
INCLUDED = [
    "district_id",
    "community_id",
    "category",
    "type",
    "source",
    "unit_code",
    "status",
    "severity",
    "deadline",
    "reported_at",
    "geom",
    "id",
]


def upgrade() -> None:
    op.create_index(
        "ix_issues_open_cover",
        "issues",
        ["street_id", "grid_id"],
        postgresql_include=INCLUDED,
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_issues_open_cover", table_name="issues")
