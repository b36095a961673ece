"""Reference data as data: which problem types occur at which point category, and the unit a
type is dispatched to when the point has none (managed through /categories, /issue-types,
/units and `geoapi categories|types|units`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The links as this revision seeded them (frozen).
CATEGORY_ISSUE_TYPES = {
    "market": ("street_vending", "clutter", "garbage", "sewage", "illegal_parking"),
    "back_alley": (
        "clutter",
        "illegal_building",
        "illegal_ads",
        "garbage",
        "flying_wire_charging",
        "green_damage",
    ),
    "old_compound": (
        "flying_wire_charging",
        "clutter",
        "illegal_building",
        "green_damage",
        "garbage",
        "damaged_facility",
    ),
    "parking": ("illegal_parking", "damaged_facility"),
    "public_toilet": ("garbage", "damaged_facility", "sewage"),
    "street_shop": ("street_vending", "shop_sign", "clutter", "illegal_ads"),
    "school_surroundings": ("street_vending", "illegal_parking", "illegal_ads"),
    "construction_site": ("garbage", "sewage", "public_ad_damage", "clutter"),
    "station": ("illegal_ads", "garbage", "public_ad_damage", "damaged_facility"),
    "practice_station": ("public_ad_damage", "damaged_facility"),
}


def upgrade() -> None:
    op.create_table(
        "category_issue_types",
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("issue_type", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category"],
            ["categories.code"],
            name=op.f("fk_category_issue_types_category_categories"),
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_type"],
            ["issue_types.code"],
            name=op.f("fk_category_issue_types_issue_type_issue_types"),
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("category", "issue_type", name=op.f("pk_category_issue_types")),
    )
    op.bulk_insert(
        sa.table("category_issue_types", sa.column("category"), sa.column("issue_type")),
        [
            {"category": category, "issue_type": issue_type}
            for category, types in CATEGORY_ISSUE_TYPES.items()
            for issue_type in types
        ],
    )
    op.add_column("issue_types", sa.Column("default_unit_code", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_issue_types_default_unit_code_units"),
        "issue_types",
        "units",
        ["default_unit_code"],
        ["code"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_issue_types_default_unit_code_units"), "issue_types", type_="foreignkey"
    )
    op.drop_column("issue_types", "default_unit_code")
    op.drop_table("category_issue_types")
