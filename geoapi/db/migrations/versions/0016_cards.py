"""Cards as documents: each reminder or supervision card keeps its addressee, and a planner's
own supervision card (督办) its instruction and the date the unit must reply by; replies
(整改情况回复: measures and the responsible person) are kept once, append-only.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("escalations", sa.Column("unit_code", sa.Text(), nullable=True))
    op.add_column("escalations", sa.Column("note", sa.Text(), nullable=True))
    op.add_column("escalations", sa.Column("reply_due", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_escalations_unit_code_units"),
        "escalations",
        "units",
        ["unit_code"],
        ["code"],
        ondelete="RESTRICT",
    )
    op.create_index("ix_escalations_at", "escalations", ["at"], unique=False)
    op.create_table(
        "escalation_replies",
        sa.Column("escalation_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("responsible", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_replies_escalation_id_escalations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("escalation_id", name=op.f("pk_escalation_replies")),
    )
    op.execute(
        "CREATE TRIGGER escalation_replies_append_only BEFORE UPDATE OR DELETE "
        "ON escalation_replies FOR EACH ROW EXECUTE FUNCTION geoapi_forbid_change()"
    )


def downgrade() -> None:
    op.drop_table("escalation_replies")
    op.drop_index("ix_escalations_at", table_name="escalations")
    op.drop_constraint(op.f("fk_escalations_unit_code_units"), "escalations", type_="foreignkey")
    op.drop_column("escalations", "reply_due")
    op.drop_column("escalations", "note")
    op.drop_column("escalations", "unit_code")
