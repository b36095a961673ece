"""The analysts' data contract: schema `analytics`, views with codes and names instead of
internal ids, each column described in Chinese and English (COMMENT, which QGIS and DBeaver
show). Read-only roles (`geoapi db analyst-role`) get SELECT on this schema only; a role with
an area in `analytics.scopes` sees only that area's rows (the views filter on `current_user`,
which is the reader even inside a view).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 06:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the vocabularies' Chinese names, as they were when this revision was made.
STATUS_NAMES = {
    "reported": "待交办",
    "dispatched": "已交办",
    "rectifying": "整改中",
    "rectified": "已整改待核查",
    "closed": "已销号",
    "rejected": "已驳回",
    "merged": "已合并",
}
POINT_STATUS_NAMES = {"unchecked": "未检查", "compliant": "达标", "non_compliant": "不达标"}
SOURCE_NAMES = {
    "inspection": "巡查发现",
    "grid_worker": "网格员上报",
    "citizen": "市民随手拍",
    "camera": "智能摄像头",
    "undercover": "暗访",
    "hotline": "热线",
}
ACTION_NAMES = {
    "report": "上报",
    "dispatch": "交办",
    "start": "开始整改",
    "defer": "延期",
    "reschedule": "调整期限",
    "rectify": "整改完成",
    "close": "核查销号",
    "reopen": "返工",
    "reject": "驳回",
    "merge": "合并",
    "photo": "上传照片",
    "reminder": "提醒卡",
    "supervision": "督办卡",
}
LEVEL_NAMES = {"reminder": "提醒卡", "supervision": "督办卡"}


def _case(column: str, names: dict[str, str]) -> str:
    whens = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in names.items())
    return f"CASE {column} {whens} END"


def _areas(alias: str) -> tuple[str, str]:
    """Code and name columns of the four area levels of `alias`, and their joins."""
    columns, joins = [], []
    for level, short in (("district", "d"), ("street", "s"), ("community", "c"), ("grid", "g")):
        columns.append(f"{short}.code AS {level}_code, {short}.name AS {level}_name")
        joins.append(f"LEFT JOIN areas {short} ON {short}.id = {alias}.{level}_id")
    return ", ".join(columns), " ".join(joins)


# The reader's area, found once per query (an uncorrelated sub-select is an InitPlan; a
# function holding it would run for every row): no scope sees every row.
READER_AREA = "(SELECT s.area_id FROM analytics.scopes s WHERE s.role_name = current_user)"
VISIBLE = (
    f"({READER_AREA} IS NULL OR {READER_AREA} IN "
    "({a}.district_id, {a}.street_id, {a}.community_id, {a}.grid_id))"
)

POINT_AREAS, POINT_JOINS = _areas("p")
ISSUE_AREAS, ISSUE_JOINS = _areas("i")

VIEWS = {
    "areas": """
SELECT a.code, a.name, a.level, parent.code AS parent_code, a.geom
  FROM areas a LEFT JOIN areas parent ON parent.id = a.parent_id""",
    "points": f"""
SELECT p.code, p.name, p.category, cat.name_zh AS category_name, p.address,
       p.status, {_case("p.status", POINT_STATUS_NAMES)} AS status_name,
       p.unit_code, u.name AS unit_name, {POINT_AREAS},
       p.last_inspected_at, CAST(p.score AS float8) AS score_rate, p.geom, p.footprint
  FROM points p
  JOIN categories cat ON cat.code = p.category
  LEFT JOIN units u ON u.code = p.unit_code
  {POINT_JOINS}
 WHERE {VISIBLE.format(a="p")}""",
    "problems": f"""
SELECT i.id, i.type, t.name_zh AS type_name, i.severity, i.source,
       {_case("i.source", SOURCE_NAMES)} AS source_name,
       i.status, {_case("i.status", STATUS_NAMES)} AS status_name, i.description,
       i.unit_code, u.name AS unit_name, p.code AS point_code, p.name AS point_name,
       i.category, cat.name_zh AS category_name, {ISSUE_AREAS},
       i.reported_at, i.dispatched_at, i.rectified_at, i.closed_at, i.deadline,
       CAST(extract(epoch FROM i.closed_at - i.reported_at) / 3600 AS float8) AS hours_to_close,
       CASE WHEN i.closed_at IS NOT NULL AND i.deadline IS NOT NULL
            THEN i.closed_at <= i.deadline END AS closed_on_time,
       coalesce(i.status IN ('dispatched', 'rectifying') AND i.deadline < now(), false)
         AS overdue_now,
       coalesce(r.reworks, 0) AS reworks, i.geom
  FROM issues i
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN categories cat ON cat.code = i.category
  LEFT JOIN units u ON u.code = i.unit_code
  LEFT JOIN points p ON p.id = i.point_id
  LEFT JOIN (SELECT issue_id, CAST(count(*) AS int) AS reworks FROM issue_events
              WHERE action = 'reopen' GROUP BY issue_id) r ON r.issue_id = i.id
  {ISSUE_JOINS}
 WHERE {VISIBLE.format(a="i")}""",
    "events": f"""
SELECT e.id, e.issue_id, i.type, s.code AS street_code, e.at, e.actor, e.action,
       {_case("e.action", ACTION_NAMES)} AS action_name, e.from_status, e.to_status,
       e.note, e.deadline
  FROM issue_events e
  JOIN issues i ON i.id = e.issue_id
  LEFT JOIN areas s ON s.id = i.street_id
 WHERE {VISIBLE.format(a="i")}""",
    "inspections": f"""
SELECT v.id, p.code AS point_code, p.name AS point_name, p.category,
       cat.name_zh AS category_name, tm.code AS team_code, v.inspector, v.visited_at,
       v.checklist_version, CAST(v.score_rate AS float8) AS score_rate, v.passed,
       CAST(v.distance_m AS float8) AS distance_m, v.far_from_point, v.results, {POINT_AREAS},
       p.geom
  FROM inspections v
  JOIN points p ON p.id = v.point_id
  JOIN categories cat ON cat.code = p.category
  LEFT JOIN teams tm ON tm.id = v.team_id
  {POINT_JOINS}
 WHERE {VISIBLE.format(a="p")}""",
    "notices": f"""
SELECT n.number, n.unit_code, u.name AS unit_name, a.code AS area_code, n.issued_at,
       n.deadline, n.acknowledged_at, CAST(count(ni.issue_id) AS int) AS problems,
       CAST(count(*) FILTER (WHERE i.status = 'closed') AS int) AS closed
  FROM notices n
  JOIN units u ON u.code = n.unit_code
  LEFT JOIN areas a ON a.id = n.area_id
  JOIN notice_issues ni ON ni.notice_id = n.id
  JOIN issues i ON i.id = ni.issue_id
 WHERE {VISIBLE.format(a="i")}
 GROUP BY n.id, u.name, a.code""",
    "escalations": f"""
SELECT c.id, c.issue_id, c.level, {_case("c.level", LEVEL_NAMES)} AS level_name, c.at,
       c.unit_code, u.name AS unit_name, CAST(c.days_overdue AS float8) AS days_overdue,
       n.number AS notice_number, r.at AS replied_at, s.code AS street_code
  FROM escalations c
  JOIN issues i ON i.id = c.issue_id
  LEFT JOIN units u ON u.code = c.unit_code
  LEFT JOIN notices n ON n.id = c.notice_id
  LEFT JOIN escalation_replies r ON r.escalation_id = c.id
  LEFT JOIN areas s ON s.id = i.street_id
 WHERE {VISIBLE.format(a="i")}""",
}

AREA_COLUMNS = {
    f"{level}_{part}": (f"{zh}{'代码' if part == 'code' else '名称'}", f"{level} {part}")
    for level, zh in (
        ("district", "区"),
        ("street", "街道"),
        ("community", "社区"),
        ("grid", "网格"),
    )
    for part in ("code", "name")
}
# Column dictionary: (中文, English); README's dictionary says the same.
COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "areas": {
        "code": ("区划代码", "area code"),
        "name": ("名称", "name"),
        "level": ("层级 district/street/community/grid", "level"),
        "parent_code": ("上级代码", "parent's code"),
        "geom": ("边界 (WGS 84)", "boundary (WGS 84)"),
    },
    "points": {
        "code": ("点位编号", "point code"),
        "name": ("点位名称", "point name"),
        "category": ("点位类别代码", "category code"),
        "category_name": ("点位类别", "category name"),
        "address": ("地址", "address"),
        "status": ("测评状态代码", "status code"),
        "status_name": ("测评状态", "status"),
        "unit_code": ("责任单位代码", "responsible unit code"),
        "unit_name": ("责任单位", "responsible unit"),
        **AREA_COLUMNS,
        "last_inspected_at": ("最近检查时间", "last inspected at"),
        "score_rate": ("最近得分率 0–1", "latest score rate 0–1"),
        "geom": ("位置 (WGS 84)", "location (WGS 84)"),
        "footprint": ("范围：小巷中心线、小区边界", "footprint: alley line or compound outline"),
    },
    "problems": {
        "id": ("问题编号", "problem id"),
        "type": ("问题类型代码", "type code"),
        "type_name": ("问题类型", "type"),
        "severity": ("严重程度 1–3", "severity 1–3"),
        "source": ("来源代码", "source code"),
        "source_name": ("来源", "source"),
        "status": ("状态代码", "status code"),
        "status_name": ("状态", "status"),
        "description": ("描述", "description"),
        "unit_code": ("责任单位代码", "responsible unit code"),
        "unit_name": ("责任单位", "responsible unit"),
        "point_code": ("点位编号", "point code"),
        "point_name": ("点位名称", "point name"),
        "category": ("点位类别代码", "point category code"),
        "category_name": ("点位类别", "point category"),
        **AREA_COLUMNS,
        "reported_at": ("发现时间", "reported at"),
        "dispatched_at": ("交办时间", "dispatched at"),
        "rectified_at": ("整改完成时间", "rectified at"),
        "closed_at": ("销号时间", "closed at"),
        "deadline": ("整改期限", "deadline"),
        "hours_to_close": ("发现至销号小时数", "hours from report to close"),
        "closed_on_time": ("按期销号", "closed by the deadline"),
        "overdue_now": ("当前超期", "overdue now"),
        "reworks": ("返工次数", "times sent back for rework"),
        "geom": ("位置 (WGS 84)", "location (WGS 84)"),
    },
    "events": {
        "id": ("记录编号", "event id"),
        "issue_id": ("问题编号", "problem id"),
        "type": ("问题类型代码", "problem type code"),
        "street_code": ("街道代码", "street code"),
        "at": ("时间", "at"),
        "actor": ("操作人", "actor"),
        "action": ("操作代码", "action code"),
        "action_name": ("操作", "action"),
        "from_status": ("原状态", "from status"),
        "to_status": ("新状态", "to status"),
        "note": ("说明", "note"),
        "deadline": ("本次设定的期限", "deadline this step set"),
    },
    "inspections": {
        "id": ("检查编号", "visit id"),
        "point_code": ("点位编号", "point code"),
        "point_name": ("点位名称", "point name"),
        "category": ("点位类别代码", "category code"),
        "category_name": ("点位类别", "category"),
        "team_code": ("督导组代码", "team code"),
        "inspector": ("检查人", "inspector"),
        "visited_at": ("检查时间", "visited at"),
        "checklist_version": ("测评标准版本", "checklist version"),
        "score_rate": ("得分率 0–1", "score rate 0–1"),
        "passed": ("达标", "passed"),
        "distance_m": ("定位距点位米数", "device distance from the point, m"),
        "far_from_point": ("定位偏远", "recorded far from the point"),
        "results": ("逐项结果 (JSON)", "per-criterion results (JSON)"),
        **AREA_COLUMNS,
        "geom": ("点位位置 (WGS 84)", "point location (WGS 84)"),
    },
    "notices": {
        "number": ("通知单编号", "notice number"),
        "unit_code": ("责任单位代码", "unit code"),
        "unit_name": ("责任单位", "unit"),
        "area_code": ("范围区划代码", "area code"),
        "issued_at": ("签发时间", "issued at"),
        "deadline": ("整改期限", "deadline"),
        "acknowledged_at": ("签收时间", "acknowledged at"),
        "problems": ("问题数", "problems"),
        "closed": ("已销号数", "closed"),
    },
    "escalations": {
        "id": ("卡片编号", "card id"),
        "issue_id": ("问题编号", "problem id"),
        "level": ("卡片类型代码", "card level code"),
        "level_name": ("卡片类型 提醒卡/督办卡", "card level"),
        "at": ("发出时间", "issued at"),
        "unit_code": ("责任单位代码", "unit code"),
        "unit_name": ("责任单位", "unit"),
        "days_overdue": ("超期天数", "days overdue"),
        "notice_number": ("通知单编号", "notice number"),
        "replied_at": ("回复时间", "replied at"),
        "street_code": ("街道代码", "street code"),
    },
}

SCOPES = """
CREATE SCHEMA analytics;
COMMENT ON SCHEMA analytics IS
  '分析数据接口（只读视图） / the analysts'' read-only data contract';
CREATE TABLE analytics.scopes (
  role_name text PRIMARY KEY,
  area_id int NOT NULL REFERENCES public.areas (id) ON DELETE CASCADE
);
COMMENT ON TABLE analytics.scopes IS
  '只读账号的区域范围 / the area a read-only role sees (none: everything)';
"""


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def upgrade() -> None:
    op.execute(SCOPES)
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW analytics.{name} AS {body}")
        for column, (zh, en) in COLUMNS[name].items():
            op.execute(f"COMMENT ON COLUMN analytics.{name}.{column} IS {_quote(f'{zh} / {en}')}")


def downgrade() -> None:
    op.execute("DROP SCHEMA analytics CASCADE")
