"""The figures, computed by PostGIS in one statement per request from issues and their history.

Definitions (each period is [start, end), local time):
- open: reported before the end and not closed, rejected or merged by then;
- overdue: open at the end, dispatched, and past its (current) deadline at the end;
- reported / closed: reported / closed (销号) within the period;
- closure rate (结案率) = closed / (closed + open): of the problems on the books during the
  period and not rejected or merged, the share closed in it;
- due: dispatched problems whose deadline falls in the period; deferred: those of them given
  more time (an approved `defer`); closed on time: due, not deferred, closed by the deadline;
  on-time closure rate (按期结案率) = closed on time / (due − deferred);
- rework (返工): failed verifications (`reopen`) in the period; rework rate = reopens /
  (reopens + closes) in the period;
- median / p90 hours to close: of problems closed in the period, from report to close;
- score rate: mean 得分率 of visits in the period (area, unit and category filters apply).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from geoapi.areas import AreaRef
from geoapi.issues.states import DROPPED, in_sql
from geoapi.stats.periods import Period

GROUPS = {
    # by: (expression on issues i / points p, the same on inspections' points q, universe SQL)
    "none": ("NULL::text", "NULL::text", None),
    "street": (
        "i.street_id::text",
        "q.street_id::text",
        "SELECT id::text AS key, code, name FROM areas WHERE level = 'street' AND "
        "(CAST(:area_id AS int) IS NULL OR parent_id = :area_id OR id = :area_id)",
    ),
    "unit": ("i.unit_code", "q.unit_code", "SELECT code AS key, code, name FROM units"),
    "category": (
        "p.category",
        "q.category",
        "SELECT code AS key, code, name_zh AS name FROM categories",
    ),
    "type": ("i.type", "NULL::text", "SELECT code AS key, code, name_zh AS name FROM issue_types"),
}

METRICS = {  # ranking metrics: column, best first
    "closure_rate": "closure_rate DESC NULLS LAST",
    "on_time_rate": "on_time_rate DESC NULLS LAST",
    "overdue": "overdue ASC",
    "rework_rate": "rework_rate ASC NULLS LAST",
    "score_rate": "score_rate DESC NULLS LAST",
}


def figures_sql(
    group: str, score_group: str, where: str, score_where: str, universe: str, order: str
) -> str:
    """The figures of every period and group: `group`/`score_group` name each row's group,
    `where`/`score_where` are the filters on problems and on visited points (trusted SQL,
    values bound), `universe` lists every group, `order` ranks them."""
    dropped = in_sql("e.to_status", DROPPED)
    return f"""
WITH periods AS (
  SELECT * FROM unnest(CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[]),
                       CAST(:labels AS text[])) AS t(p_start, p_end, label)
), base AS (
  SELECT i.id, i.reported_at, i.closed_at, i.deadline, i.dispatched_at, {group} AS grp,
         coalesce(i.closed_at, (SELECT min(e.at) FROM issue_events e WHERE e.issue_id = i.id
                                  AND {dropped})) AS ended_at,
         EXISTS (SELECT FROM issue_events e
                  WHERE e.issue_id = i.id AND e.action = 'defer') AS deferred
    FROM issues i LEFT JOIN points p ON p.id = i.point_id
   WHERE i.reported_at < :last_end AND {where}
), counts AS (
  SELECT t.label, b.grp,
         count(*) FILTER (WHERE b.reported_at < t.p_end
                            AND (b.ended_at IS NULL OR b.ended_at >= t.p_end)) AS open,
         count(*) FILTER (WHERE b.reported_at < t.p_end
                            AND (b.ended_at IS NULL OR b.ended_at >= t.p_end)
                            AND b.dispatched_at < t.p_end AND b.deadline < t.p_end) AS overdue,
         count(*) FILTER (WHERE b.reported_at >= t.p_start AND b.reported_at < t.p_end) AS reported,
         count(*) FILTER (WHERE b.closed_at >= t.p_start AND b.closed_at < t.p_end) AS closed,
         count(*) FILTER (WHERE b.dispatched_at IS NOT NULL
                            AND b.deadline >= t.p_start AND b.deadline < t.p_end) AS due,
         count(*) FILTER (WHERE b.dispatched_at IS NOT NULL AND b.deferred
                            AND b.deadline >= t.p_start AND b.deadline < t.p_end) AS deferred,
         count(*) FILTER (WHERE b.dispatched_at IS NOT NULL AND NOT b.deferred
                            AND b.deadline >= t.p_start AND b.deadline < t.p_end
                            AND b.closed_at <= b.deadline) AS closed_on_time,
         percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM b.closed_at - b.reported_at) / 3600)
           FILTER (WHERE b.closed_at >= t.p_start AND b.closed_at < t.p_end) AS median_hours,
         percentile_cont(0.9) WITHIN GROUP (
           ORDER BY extract(epoch FROM b.closed_at - b.reported_at) / 3600)
           FILTER (WHERE b.closed_at >= t.p_start AND b.closed_at < t.p_end) AS p90_hours
    FROM periods t CROSS JOIN base b
   GROUP BY t.label, b.grp
), verdicts AS (
  SELECT t.label, b.grp,
         count(*) FILTER (WHERE e.action = 'reopen') AS reworked,
         count(*) AS verified
    FROM periods t
    JOIN issue_events e ON e.at >= t.p_start AND e.at < t.p_end
                       AND e.action IN ('close', 'reopen')
    JOIN base b ON b.id = e.issue_id
   GROUP BY t.label, b.grp
), scores AS (
  SELECT t.label, {score_group} AS grp, avg(v.score_rate) AS score_rate, count(*) AS visits
    FROM periods t
    JOIN inspections v ON v.visited_at >= t.p_start AND v.visited_at < t.p_end
    JOIN points q ON q.id = v.point_id
   WHERE {score_where}
   GROUP BY t.label, {score_group}
), keys AS (
  SELECT t.label, g.grp FROM periods t
   CROSS JOIN ({universe}) g
), rows AS (
  SELECT k.label, k.grp,
         coalesce(c.open, 0) AS open, coalesce(c.overdue, 0) AS overdue,
         coalesce(c.reported, 0) AS reported, coalesce(c.closed, 0) AS closed,
         coalesce(c.due, 0) AS due, coalesce(c.deferred, 0) AS deferred,
         coalesce(c.closed_on_time, 0) AS closed_on_time,
         coalesce(r.reworked, 0) AS reworked, coalesce(r.verified, 0) AS verified,
         c.median_hours, c.p90_hours, s.score_rate, coalesce(s.visits, 0) AS visits
    FROM keys k
    LEFT JOIN counts c ON c.label = k.label AND c.grp IS NOT DISTINCT FROM k.grp
    LEFT JOIN verdicts r ON r.label = k.label AND r.grp IS NOT DISTINCT FROM k.grp
    LEFT JOIN scores s ON s.label = k.label AND s.grp IS NOT DISTINCT FROM k.grp
), rated AS (
  SELECT *,
         round(closed::numeric / nullif(closed + open, 0), 4)::float8 AS closure_rate,
         round(closed_on_time::numeric / nullif(due - deferred, 0), 4)::float8 AS on_time_rate,
         round(reworked::numeric / nullif(verified, 0), 4)::float8 AS rework_rate
    FROM rows
)
SELECT rated.*, round(median_hours::numeric, 1)::float8 AS median_hours_to_close,
       round(p90_hours::numeric, 1)::float8 AS p90_hours_to_close,
       round(score_rate, 4)::float8 AS mean_score_rate,
       rank() OVER (PARTITION BY label ORDER BY {order}, overdue, grp) AS rank
  FROM rated
"""


FIGURE_NAMES = (
    "open",
    "overdue",
    "reported",
    "closed",
    "closure_rate",
    "due",
    "deferred",
    "closed_on_time",
    "on_time_rate",
    "reworked",
    "rework_rate",
    "median_hours_to_close",
    "p90_hours_to_close",
    "visits",
    "mean_score_rate",
)


@dataclass(frozen=True)
class Filters:
    """Which problems count: an area (any level), a unit, a point category, an issue type."""

    area: AreaRef | None = None
    unit: str | None = None
    category: str | None = None
    type: str | None = None

    def issues_sql(self) -> tuple[str, str, dict[str, Any]]:
        """Predicates on issues `i` (+ their point `p`) and on visited points `q`, and values."""
        on_issues, on_points = ["TRUE"], ["TRUE"]  # figures are city-wide roles' (`stats`)
        params: dict[str, Any] = {"area_id": None}
        if self.area is not None:
            on_issues.append(f"i.{self.area.column} = :area_id")
            on_points.append(f"q.{self.area.column} = :area_id")
            params["area_id"] = self.area.id
        if self.unit is not None:
            on_issues.append("i.unit_code = :unit")
            on_points.append("q.unit_code = :unit")
            params["unit"] = self.unit
        if self.category is not None:
            on_issues.append("p.category = :category")
            on_points.append("q.category = :category")
            params["category"] = self.category
        if self.type is not None:
            on_issues.append("i.type = :type")
            params["type"] = self.type
        return " AND ".join(on_issues), " AND ".join(on_points), params


def compute(
    connection: Connection,
    periods: list[Period],
    filters: Filters,
    by: str = "none",
    metric: str = "closure_rate",
) -> list[RowMapping]:
    """One row per period and group (every street/unit/… of the universe, zeros included)."""
    group, score_group, universe = GROUPS[by]
    where, score_where, params = filters.issues_sql()
    universe_sql = (
        f"SELECT key AS grp FROM ({universe}) u" if universe else "SELECT NULL::text AS grp"
    )
    sql = figures_sql(
        group=group,
        score_group=score_group,
        where=where,
        score_where=score_where,
        universe=universe_sql,
        order=METRICS[metric],
    )
    return list(
        connection.execute(
            text(sql),
            params
            | {
                "starts": [p.start for p in periods],
                "ends": [p.end for p in periods],
                "labels": [p.label for p in periods],
                "last_end": max(p.end for p in periods),
            },
        ).mappings()
    )


def names(connection: Connection, by: str, area_id: int | None) -> dict[str, dict[str, str]]:
    """Code and name of every group key of `by` (streets, units, …)."""
    universe = GROUPS[by][2]
    if universe is None:
        return {}
    rows = connection.execute(text(universe), {"area_id": area_id}).mappings()
    return {r["key"]: {"code": r["code"], "name": r["name"]} for r in rows}
