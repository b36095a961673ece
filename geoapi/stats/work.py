"""Rankings of the inspection work (督导组, 网格员): visits, points visited, problems found,
verifications and the mean score rate, per team or inspector, for a period and the one before.

Visits come from `inspections` (by `visited_at`), problems found and verifications from the
history (`report`, and `close`/`reopen`, by inspectors), each read by its time index for the
two periods only. `area` counts visits to points and actions on problems inside it."""

from typing import Any

from sqlalchemy import Connection, RowMapping, text

from geoapi.areas import AreaRef
from geoapi.stats.periods import Period

WORK_NAMES = ("visits", "points", "found", "verified", "far_visits", "mean_score_rate")
WORK_METRICS = {
    "visits": "visits DESC",
    "points": "points DESC",
    "found": "found DESC",
    "verified": "verified DESC",
    "score_rate": "mean_score_rate DESC NULLS LAST",
}
GROUPS = {
    # by: (key of a visit, key of a history row, every group)
    "inspector": (
        "v.inspector",
        "e.actor",
        "SELECT username AS key, username AS code, coalesce(display_name, username) AS name "
        "FROM users WHERE role = 'inspector'",
    ),
    "team": (
        "CAST(coalesce(v.team_id, u.team_id) AS text)",
        "CAST(u.team_id AS text)",
        "SELECT CAST(id AS text) AS key, code, name FROM teams",
    ),
}


def _sql(by: str, area: AreaRef | None, order: str) -> str:
    visit_key, event_key, universe = GROUPS[by]
    on_points = f"AND p.{area.column} = :area_id" if area else ""
    on_issues = f"AND i.{area.column} = :area_id" if area else ""
    return f"""
WITH periods AS (
  SELECT * FROM unnest(CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[]),
                       CAST(:labels AS text[])) AS t(p_start, p_end, label)
), visits AS (
  SELECT t.label, {visit_key} AS grp, count(*) AS visits, count(DISTINCT v.point_id) AS points,
         count(*) FILTER (WHERE v.far_from_point) AS far_visits,
         round(avg(v.score_rate), 4)::float8 AS mean_score_rate
    FROM periods t
    JOIN inspections v ON v.visited_at >= t.p_start AND v.visited_at < t.p_end
    JOIN points p ON p.id = v.point_id
    LEFT JOIN users u ON u.username = v.inspector
   WHERE v.visited_at >= :first AND v.visited_at < :last {on_points}
   GROUP BY 1, 2
), acts AS (
  SELECT t.label, {event_key} AS grp,
         count(*) FILTER (WHERE e.action = 'report') AS found,
         count(*) FILTER (WHERE e.action IN ('close', 'reopen')) AS verified
    FROM periods t
    JOIN issue_events e ON e.at >= t.p_start AND e.at < t.p_end
    JOIN users u ON u.username = e.actor AND u.role = 'inspector'
    JOIN issues i ON i.id = e.issue_id
   WHERE e.at >= :first AND e.at < :last AND e.action IN ('report', 'close', 'reopen')
     {on_issues}
   GROUP BY 1, 2
), rows AS (
  SELECT t.label, g.key AS grp, coalesce(v.visits, 0)::int AS visits,
         coalesce(v.points, 0)::int AS points, coalesce(a.found, 0)::int AS found,
         coalesce(a.verified, 0)::int AS verified, coalesce(v.far_visits, 0)::int AS far_visits,
         v.mean_score_rate
    FROM periods t CROSS JOIN ({universe}) g
    LEFT JOIN visits v ON v.label = t.label AND v.grp = g.key
    LEFT JOIN acts a ON a.label = t.label AND a.grp = g.key
)
SELECT *, rank() OVER (PARTITION BY label ORDER BY {order}, grp) AS rank FROM rows
"""


def compute(
    connection: Connection, periods: list[Period], by: str, area: AreaRef | None, metric: str
) -> list[RowMapping]:
    """One row per period and team (or inspector), every one of them, ranked by `metric`."""
    params: dict[str, Any] = {
        "starts": [p.start for p in periods],
        "ends": [p.end for p in periods],
        "labels": [p.label for p in periods],
        "first": min(p.start for p in periods),
        "last": max(p.end for p in periods),
        "area_id": area.id if area else None,
    }
    sql = _sql(by, area, WORK_METRICS[metric])
    return list(connection.execute(text(sql), params).mappings())


def names(connection: Connection, by: str) -> dict[str, dict[str, str]]:
    """Code and name of every team or inspector."""
    rows = connection.execute(text(GROUPS[by][2])).mappings()
    return {r["key"]: {"code": r["code"], "name": r["name"]} for r in rows}
