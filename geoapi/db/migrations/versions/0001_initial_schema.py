"""Initial schema: tables, indexes, constraints, triggers and reference vocabularies.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 08:38:01.147609
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Inlined rather than read from a file, so this revision stays what it was when applied.
FILL_AREA_IDS = """
CREATE FUNCTION geoapi_fill_area_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One GiST-assisted lookup finds every level covering the geometry at once.
    SELECT max(a.id) FILTER (WHERE a.level = 'district'),
           max(a.id) FILTER (WHERE a.level = 'street'),
           max(a.id) FILTER (WHERE a.level = 'community'),
           max(a.id) FILTER (WHERE a.level = 'grid')
      INTO NEW.district_id, NEW.street_id, NEW.community_id, NEW.grid_id
      FROM areas a
     WHERE ST_Covers(a.geom, NEW.geom);
    RETURN NEW;
END $$;
"""

FORBID_CHANGE = """
CREATE FUNCTION geoapi_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
"""

AREA_TABLES = ("points", "issues")


# The reference rows as this revision seeded them (frozen: later changes are rows or revisions).
# (code, name_zh, name_en)
CATEGORIES = (
    ("market", "集贸市场/农贸市场", "Market"),
    ("back_alley", "背街小巷", "Back alley"),
    ("old_compound", "老旧小区", "Old residential compound"),
    ("parking", "停车位/停车路段", "Parking space or road segment"),
    ("public_toilet", "公厕", "Public toilet"),
    ("street_shop", "沿街商铺", "Street-front shop"),
    ("school_surroundings", "校园周边", "School surroundings"),
    ("construction_site", "建筑工地", "Construction site"),
    ("station", "站点周边", "Station surroundings"),
    ("practice_station", "新时代文明实践所/站", "Civilization practice station"),
)

# (code, name_zh, name_en, default_deadline_days)
ISSUE_TYPES = (
    ("street_vending", "占道经营", "Street vending", 1),
    ("clutter", "乱堆乱放", "Clutter", 2),
    ("illegal_building", "私搭乱建", "Illegal building", 15),
    ("illegal_ads", "小广告/野广告", "Illegal ads", 2),
    ("flying_wire_charging", "飞线充电", "Flying-wire charging", 1),
    ("illegal_parking", "乱停乱放", "Illegal parking", 1),
    ("garbage", "垃圾/卫生死角", "Garbage", 1),
    ("sewage", "路面污水", "Sewage on the road", 3),
    ("damaged_facility", "设施破损", "Damaged facility", 7),
    ("green_damage", "毁绿种菜", "Damaged green space", 7),
    ("shop_sign", "牌匾不规范", "Non-standard shop sign", 10),
    ("public_ad_damage", "公益广告破损", "Damaged public-service ad", 5),
)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_geospatial_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(level = 'district') = (parent_id IS NULL)",
            name=op.f("ck_areas_parent_iff_below_district"),
        ),
        sa.CheckConstraint(
            "level IN ('district', 'street', 'community', 'grid')", name=op.f("ck_areas_level")
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_areas_geom_valid")),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["areas.id"], name=op.f("fk_areas_parent_id_areas"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        sa.UniqueConstraint("code", name=op.f("uq_areas_code")),
    )
    op.create_geospatial_index(
        "idx_areas_geom",
        "areas",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_areas_level"), "areas", ["level"], unique=False)
    op.create_index(op.f("ix_areas_parent_id"), "areas", ["parent_id"], unique=False)
    op.create_table(
        "categories",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
    )
    op.create_table(
        "issue_types",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("default_deadline_days", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("default_deadline_days > 0", name=op.f("ck_issue_types_deadline_days")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_issue_types")),
    )
    op.create_table(
        "units",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_units")),
        sa.UniqueConstraint("name", name=op.f("uq_units_name")),
    )
    op.create_geospatial_table(
        "points",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "footprint",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="unchecked", nullable=False),
        sa.Column("last_inspected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "props",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("code <> ''", name=op.f("ck_points_code_not_empty")),
        sa.CheckConstraint(
            "status IN ('unchecked', 'compliant', 'non_compliant')", name=op.f("ck_points_status")
        ),
        sa.CheckConstraint(
            "ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90",
            name=op.f("ck_points_geom_lonlat_range"),
        ),
        sa.CheckConstraint(
            "footprint IS NULL OR ST_IsValid(footprint)", name=op.f("ck_points_footprint_valid")
        ),
        sa.ForeignKeyConstraint(
            ["category"], ["categories.code"], name=op.f("fk_points_category_categories")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["areas.id"],
            name=op.f("fk_points_community_id_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["areas.id"],
            name=op.f("fk_points_district_id_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["areas.id"], name=op.f("fk_points_grid_id_areas"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["areas.id"], name=op.f("fk_points_street_id_areas"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_points_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points")),
        sa.UniqueConstraint("code", name=op.f("uq_points_code")),
    )
    op.create_geospatial_index(
        "idx_points_footprint",
        "points",
        ["footprint"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_index(
        "idx_points_geom",
        "points",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_points_category"), "points", ["category"], unique=False)
    op.create_index(op.f("ix_points_community_id"), "points", ["community_id"], unique=False)
    op.create_index(op.f("ix_points_district_id"), "points", ["district_id"], unique=False)
    op.create_index(op.f("ix_points_grid_id"), "points", ["grid_id"], unique=False)
    op.create_index(op.f("ix_points_status"), "points", ["status"], unique=False)
    op.create_index(op.f("ix_points_street_id"), "points", ["street_id"], unique=False)
    op.create_index(op.f("ix_points_unit_code"), "points", ["unit_code"], unique=False)
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_teams_area_id_areas"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_teams_code")),
    )
    op.create_geospatial_table(
        "inspections",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("point_id", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("inspector", sa.Text(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "device_geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("checklist_version", sa.Text(), nullable=False),
        sa.Column(
            "results",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("score_rate", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "score_rate IS NULL OR score_rate BETWEEN 0 AND 1",
            name=op.f("ck_inspections_score_rate"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["points.id"],
            name=op.f("fk_inspections_point_id_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_inspections_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    op.create_geospatial_index(
        "idx_inspections_device_geom",
        "inspections",
        ["device_geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_inspections_point_id_visited_at",
        "inspections",
        ["point_id", "visited_at"],
        unique=False,
    )
    op.create_geospatial_table(
        "issues",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("point_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("severity", sa.SmallInteger(), server_default="2", nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.REAL(), nullable=True),
        sa.Column("status", sa.Text(), server_default="reported", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "reported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rectified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "photos",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL)",
            name=op.f("ck_issues_closed_iff_closed_at"),
        ),
        sa.CheckConstraint(
            "NOT (status IN ('dispatched', 'rectifying', 'rectified', 'closed')) OR (unit_code IS NOT NULL AND deadline IS NOT NULL AND dispatched_at IS NOT NULL)",
            name=op.f("ck_issues_dispatched_has_unit_deadline"),
        ),
        sa.CheckConstraint(
            "source IN ('inspection', 'grid_worker', 'citizen', 'camera', 'undercover', 'hotline')",
            name=op.f("ck_issues_source"),
        ),
        sa.CheckConstraint(
            "status IN ('reported', 'dispatched', 'rectifying', 'rectified', 'closed', 'rejected', 'merged')",
            name=op.f("ck_issues_status"),
        ),
        sa.CheckConstraint(
            "ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90",
            name=op.f("ck_issues_geom_lonlat_range"),
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR closed_at >= reported_at",
            name=op.f("ck_issues_closed_after_report"),
        ),
        sa.CheckConstraint(
            "confidence IS NULL OR confidence BETWEEN 0 AND 1", name=op.f("ck_issues_confidence")
        ),
        sa.CheckConstraint(
            "deadline IS NULL OR deadline > reported_at",
            name=op.f("ck_issues_deadline_after_report"),
        ),
        sa.CheckConstraint(
            "dispatched_at IS NULL OR dispatched_at >= reported_at",
            name=op.f("ck_issues_dispatched_after_report"),
        ),
        sa.CheckConstraint(
            "rectified_at IS NULL OR rectified_at >= reported_at",
            name=op.f("ck_issues_rectified_after_report"),
        ),
        sa.CheckConstraint("severity BETWEEN 1 AND 3", name=op.f("ck_issues_severity_range")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_issues_version_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["areas.id"],
            name=op.f("fk_issues_community_id_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["areas.id"],
            name=op.f("fk_issues_district_id_areas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["areas.id"], name=op.f("fk_issues_grid_id_areas"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["points.id"], name=op.f("fk_issues_point_id_points"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["areas.id"], name=op.f("fk_issues_street_id_areas"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["type"], ["issue_types.code"], name=op.f("fk_issues_type_issue_types")
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_issues_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issues")),
    )
    op.create_geospatial_index(
        "idx_issues_geom",
        "issues",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_issues_community_id"), "issues", ["community_id"], unique=False)
    op.create_index(op.f("ix_issues_deadline"), "issues", ["deadline"], unique=False)
    op.create_index(op.f("ix_issues_district_id"), "issues", ["district_id"], unique=False)
    op.create_index(op.f("ix_issues_grid_id"), "issues", ["grid_id"], unique=False)
    op.create_index(
        "ix_issues_open_deadline",
        "issues",
        ["deadline"],
        unique=False,
        postgresql_where=sa.text("status IN ('reported', 'dispatched', 'rectifying', 'rectified')"),
    )
    op.create_index(op.f("ix_issues_point_id"), "issues", ["point_id"], unique=False)
    op.create_index(op.f("ix_issues_reported_at"), "issues", ["reported_at"], unique=False)
    op.create_index(op.f("ix_issues_source"), "issues", ["source"], unique=False)
    op.create_index(op.f("ix_issues_status"), "issues", ["status"], unique=False)
    op.create_index(op.f("ix_issues_street_id"), "issues", ["street_id"], unique=False)
    op.create_index(op.f("ix_issues_type"), "issues", ["type"], unique=False)
    op.create_index(op.f("ix_issues_unit_code"), "issues", ["unit_code"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role <> 'unit' OR unit_code IS NOT NULL", name=op.f("ck_users_unit_role_has_unit")
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'planner', 'inspector', 'unit', 'analyst', 'public')",
            name=op.f("ck_users_role"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_users_area_id_areas"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_users_team_id_teams"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_users_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"], unique=False)
    op.create_table(
        "issue_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("issue_id", sa.UUID(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "to_status IN ('reported', 'dispatched', 'rectifying', 'rectified', 'closed', 'rejected', 'merged')",
            name=op.f("ck_issue_events_to_status"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_issue_events_issue_id_issues"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_events")),
    )
    op.create_index("ix_issue_events_issue_id_at", "issue_events", ["issue_id", "at"], unique=False)
    op.execute(FILL_AREA_IDS)
    for table in AREA_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_fill_area_ids BEFORE INSERT OR UPDATE OF geom ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION geoapi_fill_area_ids()"
        )
    op.execute(FORBID_CHANGE)
    op.execute(
        "CREATE TRIGGER issue_events_append_only BEFORE UPDATE OR DELETE ON issue_events "
        "FOR EACH ROW EXECUTE FUNCTION geoapi_forbid_change()"
    )
    op.bulk_insert(
        sa.table("categories", *map(sa.column, ("code", "name_zh", "name_en"))),
        [dict(zip(("code", "name_zh", "name_en"), row, strict=True)) for row in CATEGORIES],
    )
    columns = ("code", "name_zh", "name_en", "default_deadline_days")
    op.bulk_insert(
        sa.table("issue_types", *map(sa.column, columns)),
        [dict(zip(columns, row, strict=True)) for row in ISSUE_TYPES],
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER issue_events_append_only ON issue_events")
    for table in AREA_TABLES:
        op.execute(f"DROP TRIGGER {table}_fill_area_ids ON {table}")
    op.execute("DROP FUNCTION geoapi_forbid_change()")
    op.execute("DROP FUNCTION geoapi_fill_area_ids()")
    op.drop_index("ix_issue_events_issue_id_at", table_name="issue_events")
    op.drop_table("issue_events")
    op.drop_index(op.f("ix_api_keys_user_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_index(op.f("ix_issues_unit_code"), table_name="issues")
    op.drop_index(op.f("ix_issues_type"), table_name="issues")
    op.drop_index(op.f("ix_issues_street_id"), table_name="issues")
    op.drop_index(op.f("ix_issues_status"), table_name="issues")
    op.drop_index(op.f("ix_issues_source"), table_name="issues")
    op.drop_index(op.f("ix_issues_reported_at"), table_name="issues")
    op.drop_index(op.f("ix_issues_point_id"), table_name="issues")
    op.drop_index(
        "ix_issues_open_deadline",
        table_name="issues",
        postgresql_where=sa.text("status IN ('reported', 'dispatched', 'rectifying', 'rectified')"),
    )
    op.drop_index(op.f("ix_issues_grid_id"), table_name="issues")
    op.drop_index(op.f("ix_issues_district_id"), table_name="issues")
    op.drop_index(op.f("ix_issues_deadline"), table_name="issues")
    op.drop_index(op.f("ix_issues_community_id"), table_name="issues")
    op.drop_geospatial_index(
        "idx_issues_geom", table_name="issues", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("issues")
    op.drop_index("ix_inspections_point_id_visited_at", table_name="inspections")
    op.drop_geospatial_index(
        "idx_inspections_device_geom",
        table_name="inspections",
        postgresql_using="gist",
        column_name="device_geom",
    )
    op.drop_geospatial_table("inspections")
    op.drop_table("teams")
    op.drop_index(op.f("ix_points_unit_code"), table_name="points")
    op.drop_index(op.f("ix_points_street_id"), table_name="points")
    op.drop_index(op.f("ix_points_status"), table_name="points")
    op.drop_index(op.f("ix_points_grid_id"), table_name="points")
    op.drop_index(op.f("ix_points_district_id"), table_name="points")
    op.drop_index(op.f("ix_points_community_id"), table_name="points")
    op.drop_index(op.f("ix_points_category"), table_name="points")
    op.drop_geospatial_index(
        "idx_points_geom", table_name="points", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_index(
        "idx_points_footprint",
        table_name="points",
        postgresql_using="gist",
        column_name="footprint",
    )
    op.drop_geospatial_table("points")
    op.drop_table("units")
    op.drop_table("issue_types")
    op.drop_table("categories")
    op.drop_index(op.f("ix_areas_parent_id"), table_name="areas")
    op.drop_index(op.f("ix_areas_level"), table_name="areas")
    op.drop_geospatial_index(
        "idx_areas_geom", table_name="areas", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("areas")
