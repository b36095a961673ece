"""Route lists in the analysts' contract: `analytics.routes` (each team's planned day: who,
when, how far) and `analytics.route_stops` (the planned stops, in order, with the point's code
and areas), so planned visits can be set beside actual ones (`analytics.inspections`).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER_AREA = "(SELECT s.area_id FROM analytics.scopes s WHERE s.role_name = current_user)"

VIEWS = {
    "routes": """
SELECT r.id, tm.code AS team_code, tm.name AS team_name, r.inspector, r.inspectors, r.day,
       r.mode, r.network, CAST(r.distance_m AS float8) AS distance_m,
       CAST(r.duration_s AS float8) AS duration_s, r.shift_start, r.shift_end,
       (SELECT CAST(count(*) AS int) FROM route_stops s WHERE s.route_id = r.id) AS stops,
       r.created_by, r.created_at, r.start_geom AS geom
  FROM routes r JOIN teams tm ON tm.id = r.team_id""",
    "route_stops": f"""
SELECT s.route_id, tm.code AS team_code, r.day, r.inspector, s.seq, p.code AS point_code,
       p.name AS point_name, p.category, s.issue_id, s.reason, s.arrival,
       CAST(s.leg_m AS float8) AS leg_m, st.code AS street_code, st.name AS street_name,
       s.geom
  FROM route_stops s
  JOIN routes r ON r.id = s.route_id
  JOIN teams tm ON tm.id = r.team_id
  LEFT JOIN points p ON p.id = s.point_id
  LEFT JOIN areas st ON st.id = p.street_id
 WHERE {READER_AREA} IS NULL
    OR {READER_AREA} IN (p.district_id, p.street_id, p.community_id, p.grid_id)""",
}
COLUMNS = {
    "routes": {
        "id": ("路线编号", "route id"),
        "team_code": ("督导组代码", "team code"),
        "team_name": ("督导组", "team"),
        "inspector": ("本组第几名督导员", "which of the team's inspectors"),
        "inspectors": ("本组派出人数", "inspectors sent out"),
        "day": ("日期", "day"),
        "mode": ("出行方式 walk/ebike/car", "travel mode"),
        "network": ("路网 roads/straight_line", "network used"),
        "distance_m": ("计划里程（米）", "planned distance, m"),
        "duration_s": ("计划用时（秒）", "planned duration, s"),
        "shift_start": ("出发时间", "shift start"),
        "shift_end": ("收班时间", "shift end"),
        "stops": ("计划点位数", "planned stops"),
        "created_by": ("编制人", "planned by"),
        "created_at": ("编制时间", "planned at"),
        "geom": ("出发点 (WGS 84)", "start (WGS 84)"),
    },
    "route_stops": {
        "route_id": ("路线编号", "route id"),
        "team_code": ("督导组代码", "team code"),
        "day": ("日期", "day"),
        "inspector": ("本组第几名督导员", "which of the team's inspectors"),
        "seq": ("顺序", "order"),
        "point_code": ("点位编号", "point code"),
        "point_name": ("点位名称", "point name"),
        "category": ("点位类别代码", "category code"),
        "issue_id": ("核查的问题编号", "problem to verify"),
        "reason": ("原因 verify/overdue/never_inspected/due/requested", "why it is on the route"),
        "arrival": ("预计到达时间", "planned arrival"),
        "leg_m": ("上一站至此（米）", "leg from the previous stop, m"),
        "street_code": ("街道代码", "street code"),
        "street_name": ("街道", "street"),
        "geom": ("位置 (WGS 84)", "location (WGS 84)"),
    },
}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def upgrade() -> None:
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW analytics.{name} AS {body}")
        for column, (zh, en) in COLUMNS[name].items():
            op.execute(f"COMMENT ON COLUMN analytics.{name}.{column} IS {_quote(f'{zh} / {en}')}")


def downgrade() -> None:
    op.execute("DROP VIEW analytics.route_stops")
    op.execute("DROP VIEW analytics.routes")
