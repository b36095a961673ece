"""Evidence that holds: each problem type says whether rectifying needs an after photo, and
every stored photo keeps a perceptual hash, so the same picture on two problems is found.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "issue_types",
        sa.Column("after_photo_required", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_table(
        "photo_hashes",
        sa.Column("issue_id", sa.UUID(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("phash", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_photo_hashes_issue_id_issues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_id", "sha256", name=op.f("pk_photo_hashes")),
    )


def downgrade() -> None:
    op.drop_table("photo_hashes")
    op.drop_column("issue_types", "after_photo_required")
