"""Closed vocabularies of the domain (DESIGN §2–3), shared by models, import and demo data.

Categories and issue types are tables (extensible by data); these lists are fixed by the
domain's rules, so the database enforces them with CHECK constraints built from here. A
problem's states and their kinds live in `geoapi.issues.states`.
"""

AREA_LEVELS = ("district", "street", "community", "grid")
AREA_ID_COLUMNS = tuple(f"{level}_id" for level in AREA_LEVELS)  # on points and issues
POINT_STATUSES = ("unchecked", "compliant", "non_compliant")
POINT_STATUS_NAMES = {"unchecked": "未检查", "compliant": "达标", "non_compliant": "不达标"}
ISSUE_SOURCES = ("inspection", "grid_worker", "citizen", "camera", "undercover", "hotline")
SOURCE_NAMES = {
    "inspection": "巡查发现",
    "grid_worker": "网格员上报",
    "citizen": "市民随手拍",
    "camera": "智能摄像头",
    "undercover": "暗访",
    "hotline": "热线",
}
ESCALATION_LEVELS = ("reminder", "supervision")  # 提醒卡, 督办卡
ROAD_CLASSES = ("arterial", "secondary", "local", "alley", "path", "connector")
TRAVEL_MODES = ("walk", "ebike", "car")
# Why a stop is on a route, most urgent first: a rectified problem to verify (核查销号), a point
# whose visit is overdue or that was never visited, one due that day, one asked for by code.
STOP_REASONS = ("verify", "overdue", "never_inspected", "due", "requested")
# Who answers for a point or an area besides the unit problems are dispatched to: a leader
# paired with it (包联领导), a unit that backs it (包保单位), a keeper (小巷管家, 街路长, 楼院长),
# a shop answering for its frontage (门前三包, rated in stars by inspections).
RESPONSIBILITY_ROLES = ("leader", "unit", "keeper", "frontage")
RESPONSIBILITY_NAMES = {
    "leader": "包联领导",
    "unit": "包保单位",
    "keeper": "管家",
    "frontage": "门前三包",
}
ROLES = ("admin", "planner", "inspector", "unit", "analyst", "public")


def parent_level(level: str) -> str | None:
    """The level directly above `level` (None for a district)."""
    index = AREA_LEVELS.index(level)
    return AREA_LEVELS[index - 1] if index else None


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression limiting `column` to `values` (constants only, never user input)."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"
