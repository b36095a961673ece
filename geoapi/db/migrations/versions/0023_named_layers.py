"""Names beside codes and ids in the published layers (a type's, a status's, a unit's and each
area level's), so QGIS and GDAL users read 占道经营 and 解放街道 instead of codes and numbers.
Unused name joins cost nothing: each is a LEFT JOIN on a primary key, which PostgreSQL drops
from a query that does not read its column.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "('reported', 'dispatched', 'rectifying', 'rectified')"  # as 0002 had it
STATUS_NAMES = {  # frozen, as geoapi.issues.states.NAMES_ZH had it
    "reported": "待交办",
    "dispatched": "已交办",
    "rectifying": "整改中",
    "rectified": "已整改待核查",
    "closed": "已销号",
    "rejected": "已驳回",
    "merged": "已合并",
}
POINT_STATUS_NAMES = {"unchecked": "未检查", "compliant": "达标", "non_compliant": "不达标"}

POINT_LAYER_0002 = f"""
SELECT p.id, p.code, p.name, p.category, p.status, p.address, p.unit_code,
       p.last_inspected_at,
       (SELECT count(*) FROM issues i
         WHERE i.point_id = p.id AND i.status IN {OPEN})::integer AS open_issue_count,
       p.district_id, p.street_id, p.community_id, p.grid_id, p.geom"""


def _case(column: str, names: dict[str, str]) -> str:
    return f"CASE {column} " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in names.items()) + " END"


AREA_NAMES = """d.name AS district_name, s.name AS street_name, c.name AS community_name,
       g.name AS grid_name"""


def _area_joins(alias: str) -> str:
    return " ".join(
        f"LEFT JOIN areas {short} ON {short}.id = {alias}.{level}_id"
        for level, short in (("district", "d"), ("street", "s"), ("community", "c"), ("grid", "g"))
    )


POINT_LAYER = f"""
CREATE OR REPLACE VIEW point_layer AS {POINT_LAYER_0002},
       cat.name_zh AS category_name, {_case("p.status", POINT_STATUS_NAMES)} AS status_name,
       u.name AS unit_name, {AREA_NAMES}
  FROM points p
  LEFT JOIN categories cat ON cat.code = p.category
  LEFT JOIN units u ON u.code = p.unit_code
  {_area_joins("p")}
"""

ISSUE_LAYER = f"""
CREATE VIEW issue_layer AS
SELECT i.id, i.point_id, i.geom, i.type, i.severity, i.source, i.status, i.description,
       i.unit_code, i.deadline, i.reported_at, i.dispatched_at, i.rectified_at, i.closed_at,
       i.district_id, i.street_id, i.community_id, i.grid_id,
       t.name_zh AS type_name, {_case("i.status", STATUS_NAMES)} AS status_name,
       u.name AS unit_name, p.code AS point_code, p.name AS point_name, {AREA_NAMES}
  FROM issues i
  LEFT JOIN issue_types t ON t.code = i.type
  LEFT JOIN units u ON u.code = i.unit_code
  LEFT JOIN points p ON p.id = i.point_id
  {_area_joins("i")}
"""


def upgrade() -> None:
    op.execute(POINT_LAYER)
    op.execute(ISSUE_LAYER)


def downgrade() -> None:
    op.execute("DROP VIEW issue_layer")
    op.execute("DROP VIEW point_layer")
    op.execute(f"CREATE VIEW point_layer AS {POINT_LAYER_0002} FROM points p")
