"""Responsibility beyond the dispatched unit: leaders and units paired with points and areas
(包联, 包保), keepers of alleys and compounds (小巷管家, 街路长, 楼院长), and shops answering for
their frontage (门前三包) with a star rating that inspections keep.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "responsibilities",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("point_id", sa.BigInteger(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("person", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("stars", sa.SmallInteger(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "role IN ('leader', 'unit', 'keeper', 'frontage')",
            name=op.f("ck_responsibilities_role"),
        ),
        sa.CheckConstraint(
            "(point_id IS NULL) <> (area_id IS NULL)", name=op.f("ck_responsibilities_one_place")
        ),
        sa.CheckConstraint(
            "person IS NOT NULL OR unit_code IS NOT NULL", name=op.f("ck_responsibilities_someone")
        ),
        sa.CheckConstraint(
            "stars IS NULL OR (role = 'frontage' AND stars BETWEEN 1 AND 5)",
            name=op.f("ck_responsibilities_stars"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["points.id"],
            name=op.f("fk_responsibilities_point_id_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_responsibilities_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["units.code"],
            name=op.f("fk_responsibilities_unit_code_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsibilities")),
    )
    op.create_index(
        op.f("ix_responsibilities_point_id"), "responsibilities", ["point_id"], unique=False
    )
    op.create_index(
        op.f("ix_responsibilities_area_id"), "responsibilities", ["area_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("responsibilities")
