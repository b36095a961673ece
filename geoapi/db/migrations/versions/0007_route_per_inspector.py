"""A team may send several inspectors out, each with a route of their own.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "routes", sa.Column("inspector", sa.SmallInteger(), server_default="1", nullable=False)
    )
    op.add_column(
        "routes", sa.Column("inspectors", sa.SmallInteger(), server_default="1", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_routes_inspector_of"), "routes", "inspector BETWEEN 1 AND inspectors"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_routes_inspector_of"), "routes", type_="check")
    op.drop_column("routes", "inspectors")
    op.drop_column("routes", "inspector")
