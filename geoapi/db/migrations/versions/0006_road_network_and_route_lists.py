"""The road network (pgRouting) and stored route lists; a base for each team.

Roads carry a speed per travel mode and their topology (`source`/`target` in `road_nodes`);
routes and their stops are a team's planned day, kept to follow its progress.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 07:11:04.656622
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
    op.create_geospatial_table(
        "road_nodes",
        sa.Column("id", sa.BigInteger(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_nodes")),
    )
    op.create_geospatial_index(
        "idx_road_nodes_geom",
        "road_nodes",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "roads",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("class", sa.Text(), nullable=False),
        sa.Column("oneway", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("speed_walk", sa.REAL(), nullable=True),
        sa.Column("speed_ebike", sa.REAL(), nullable=True),
        sa.Column("speed_car", sa.REAL(), nullable=True),
        sa.Column("length_m", sa.REAL(), nullable=False),
        sa.Column("source", sa.BigInteger(), nullable=True),
        sa.Column("target", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "class IN ('arterial', 'secondary', 'local', 'alley', 'path', 'connector')",
            name=op.f("ck_roads_class"),
        ),
        sa.CheckConstraint(
            "coalesce(speed_walk, 1) > 0 AND coalesce(speed_ebike, 1) > 0 AND coalesce(speed_car, 1) > 0",
            name=op.f("ck_roads_speeds_positive"),
        ),
        sa.CheckConstraint("length_m > 0", name=op.f("ck_roads_length_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roads")),
    )
    op.create_geospatial_index(
        "idx_roads_geom",
        "roads",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_roads_source"), "roads", ["source"], unique=False)
    op.create_index(op.f("ix_roads_target"), "roads", ["target"], unique=False)
    op.create_geospatial_table(
        "routes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column(
            "start_geom",
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
        sa.Column("start_label", sa.Text(), nullable=False),
        sa.Column("shift_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shift_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("return_to_start", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("distance_m", sa.REAL(), nullable=False),
        sa.Column("duration_s", sa.REAL(), nullable=False),
        sa.Column(
            "end_geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "unassigned",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("mode IN ('walk', 'ebike', 'car')", name=op.f("ck_routes_mode")),
        sa.CheckConstraint("shift_end > shift_start", name=op.f("ck_routes_shift_order")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_routes_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
    )
    op.create_index("ix_routes_team_id_day", "routes", ["team_id", "day"], unique=False)
    op.create_geospatial_table(
        "route_stops",
        sa.Column("route_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
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
        sa.Column("issue_id", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("arrival", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_s", sa.Integer(), nullable=False),
        sa.Column("leg_m", sa.REAL(), nullable=False),
        sa.Column("leg_s", sa.REAL(), nullable=False),
        sa.Column(
            "leg_geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "reason IN ('verify', 'overdue', 'never_inspected', 'due', 'requested')",
            name=op.f("ck_route_stops_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_route_stops_issue_id_issues"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["points.id"],
            name=op.f("fk_route_stops_point_id_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["routes.id"],
            name=op.f("fk_route_stops_route_id_routes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("route_id", "seq", name=op.f("pk_route_stops")),
    )
    op.create_index(op.f("ix_route_stops_point_id"), "route_stops", ["point_id"], unique=False)
    op.add_geospatial_column(
        "teams",
        sa.Column(
            "base",
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
    )


def downgrade() -> None:
    op.drop_geospatial_column("teams", "base")
    op.drop_index(op.f("ix_route_stops_point_id"), table_name="route_stops")
    op.drop_geospatial_table("route_stops")
    op.drop_index("ix_routes_team_id_day", table_name="routes")
    op.drop_geospatial_table("routes")
    op.drop_index(op.f("ix_roads_target"), table_name="roads")
    op.drop_index(op.f("ix_roads_source"), table_name="roads")
    op.drop_geospatial_index(
        "idx_roads_geom", table_name="roads", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("roads")
    op.drop_geospatial_index(
        "idx_road_nodes_geom", table_name="road_nodes", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("road_nodes")
    op.execute("DROP EXTENSION IF EXISTS pgrouting")
