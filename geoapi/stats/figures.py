"""The figures, computed by PostGIS in one statement per request from the daily rollup.

Definitions (each period is [start, end), local time):
- open: reported before the end and not closed, rejected or merged by then;
- overdue: open at the end, dispatched, and past the deadline in force at the end (a later
  extension or correction does not rewrite the weeks it was late: migration 0019);
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

How: the counts come from the daily rollup `issue_daily` (migration 0009, keyed down to
community and grid by 0026), which triggers keep as problems and events are written: flows
are sums over the period's days, stocks (open, overdue) sums over every day before its end.
Above a community the same rollup summed over communities and grids is read
(`issue_daily_by_street`, six times smaller).
Hours to close read the problems closed in the period (indexed by `closed_at`); visits come
from their own daily rollup, `inspection_daily`.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from geoapi.areas import AreaRef
from geoapi.stats.periods import Period


def _areas_of_level(level: str) -> str:
    """Every area of `level` inside :area_id (all of them when it is NULL)."""
    return f"""
WITH RECURSIVE inside(id) AS (
  SELECT CAST(:area_id AS int)
  UNION ALL SELECT a.id FROM areas a JOIN inside ON a.parent_id = inside.id
)
SELECT id::text AS key, code, name FROM areas
 WHERE level = '{level}' AND (CAST(:area_id AS int) IS NULL OR id IN (SELECT id FROM inside))"""


GROUPS = {
    # by: (column of the rollup and of issues, column of visited points, universe SQL)
    "none": (None, None, None),
    "street": (
        "street_id",
        "street_id",
        "SELECT id::text AS key, code, name FROM areas WHERE level = 'street' AND "
        "(CAST(:area_id AS int) IS NULL OR parent_id = :area_id OR id = :area_id)",
    ),
    "community": ("community_id", "community_id", _areas_of_level("community")),
    "grid": ("grid_id", "grid_id", _areas_of_level("grid")),
    "unit": ("unit_code", "unit_code", "SELECT code AS key, code, name FROM units"),
    "category": (
        "category",
        "category",
        "SELECT code AS key, code, name_zh AS name FROM categories",
    ),
    "type": ("type", None, "SELECT code AS key, code, name_zh AS name FROM issue_types"),
}

METRICS = {  # ranking metrics: column, best first
    "closure_rate": "closure_rate DESC NULLS LAST",
    "on_time_rate": "on_time_rate DESC NULLS LAST",
    "overdue": "overdue ASC",
    "rework_rate": "rework_rate ASC NULLS LAST",
    "score_rate": "score_rate DESC NULLS LAST",
}


def _grouped(alias: str, column: str | None) -> str:
    return f"{alias}.{column}::text" if column else "NULL::text"


def figures_sql(
    rollup: str,
    group: tuple[str | None, str | None],
    where: str,
    score_where: str,
    universe: str,
    order: str,
) -> str:
    """The figures of every period and group from the daily rollups of problems (`rollup`)
    and visits: `group` the columns naming each row's group in them, `where`/`score_where`
    the filters (trusted SQL with `{alias}` for the table, values bound; the problems table
    shares the columns), `universe` lists every group, `order` ranks them."""
    on_facts, on_visits = group
    return f"""
WITH periods AS (
  SELECT * FROM unnest(CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[]),
                       CAST(:start_days AS date[]), CAST(:end_days AS date[]),
                       CAST(:labels AS text[])) AS t(p_start, p_end, start_day, end_day, label)
), daily AS (
  SELECT f.day, {_grouped("f", on_facts)} AS grp,
         sum(f.reported) AS reported, sum(f.ended) AS ended, sum(f.closed) AS closed,
         sum(f.overdue) AS overdue, sum(f.due) AS due, sum(f.deferred) AS deferred,
         sum(f.closed_on_time) AS closed_on_time, sum(f.verified) AS verified,
         sum(f.reworked) AS reworked
    FROM {rollup} f
   WHERE f.day < :last_end_day AND {where.format(alias="f")}
   GROUP BY 1, 2
), counts AS (
  SELECT t.label, d.grp,
         sum(d.reported - d.ended) AS open,
         sum(d.overdue) AS overdue,
         sum(d.reported) FILTER (WHERE d.day >= t.start_day) AS reported,
         sum(d.closed) FILTER (WHERE d.day >= t.start_day) AS closed,
         sum(d.due) FILTER (WHERE d.day >= t.start_day) AS due,
         sum(d.deferred) FILTER (WHERE d.day >= t.start_day) AS deferred,
         sum(d.closed_on_time) FILTER (WHERE d.day >= t.start_day) AS closed_on_time,
         sum(d.reworked) FILTER (WHERE d.day >= t.start_day) AS reworked,
         sum(d.verified) FILTER (WHERE d.day >= t.start_day) AS verified
    FROM periods t JOIN daily d ON d.day < t.end_day
   GROUP BY t.label, d.grp
), hours AS (
  SELECT t.label, {_grouped("i", on_facts)} AS grp,
         percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM i.closed_at - i.reported_at) / 3600) AS median_hours,
         percentile_cont(0.9) WITHIN GROUP (
           ORDER BY extract(epoch FROM i.closed_at - i.reported_at) / 3600) AS p90_hours
    FROM periods t
    JOIN issues i ON i.closed_at >= t.p_start AND i.closed_at < t.p_end
   WHERE i.closed_at >= :first_start AND i.closed_at < :last_end
     AND {where.format(alias="i")}
   GROUP BY 1, 2
), scores AS (
  SELECT t.label, {_grouped("s", on_visits)} AS grp,
         sum(s.score_sum) / nullif(sum(s.scored), 0) AS score_rate, sum(s.visits) AS visits
    FROM periods t
    JOIN inspection_daily s ON s.day >= t.start_day AND s.day < t.end_day
   WHERE {score_where.format(alias="s")}
   GROUP BY 1, 2
), keys AS (
  SELECT t.label, g.grp FROM periods t
   CROSS JOIN ({universe}) g
), rows AS (
  SELECT k.label, k.grp,
         coalesce(c.open, 0) AS open, coalesce(c.overdue, 0) AS overdue,
         coalesce(c.reported, 0) AS reported, coalesce(c.closed, 0) AS closed,
         coalesce(c.due, 0) AS due, coalesce(c.deferred, 0) AS deferred,
         coalesce(c.closed_on_time, 0) AS closed_on_time,
         coalesce(c.reworked, 0) AS reworked, coalesce(c.verified, 0) AS verified,
         h.median_hours, h.p90_hours, s.score_rate, coalesce(s.visits, 0)::int AS visits
    FROM keys k
    LEFT JOIN counts c ON c.label = k.label AND c.grp IS NOT DISTINCT FROM k.grp
    LEFT JOIN hours h ON h.label = k.label AND h.grp IS NOT DISTINCT FROM k.grp
    LEFT JOIN scores s ON s.label = k.label AND s.grp IS NOT DISTINCT FROM k.grp
), rated AS (
  SELECT label, grp, open::int, overdue::int, reported::int, closed::int, due::int,
         deferred::int, closed_on_time::int, reworked::int, verified::int, visits,
         median_hours, p90_hours, score_rate,
         round(closed::numeric / nullif(closed + open, 0), 4)::float8 AS closure_rate,
         round(closed_on_time::numeric / nullif(due - deferred, 0), 4)::float8 AS on_time_rate,
         round(reworked::numeric / nullif(verified, 0), 4)::float8 AS rework_rate
    FROM rows
)
SELECT rated.*, round(median_hours::numeric, 1)::float8 AS median_hours_to_close,
       round(p90_hours::numeric, 1)::float8 AS p90_hours_to_close,
       round(score_rate::numeric, 4)::float8 AS mean_score_rate,
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

    def predicates(self) -> tuple[str, str, dict[str, Any]]:
        """Predicates on problems and on visits (rollup rows share the tables' column names),
        trusted SQL with `{alias}` for the table, and the values they bind."""
        common: list[str] = ["TRUE"]  # figures are city-wide roles' (`stats`)
        params: dict[str, Any] = {"area_id": self.area.id if self.area else None}
        if self.area is not None:
            common.append(f"{{alias}}.{self.area.column} = :area_id")
        for column, value in (("unit_code", self.unit), ("category", self.category)):
            if value is not None:
                common.append(f"{{alias}}.{column} = :{column}")
                params[column] = value
        on_problems = common + (["{alias}.type = :type"] if self.type is not None else [])
        params["type"] = self.type
        return " AND ".join(on_problems), " AND ".join(common), params


BELOW_STREET = ("community_id", "grid_id")


def problems_rollup(filters: Filters, by: str) -> str:
    """The problems' rollup to read: by community and grid only where the answer needs it."""
    columns = {GROUPS[by][0], filters.area.column if filters.area else None}
    return "issue_daily" if columns & set(BELOW_STREET) else "issue_daily_by_street"


def compute(
    connection: Connection,
    periods: list[Period],
    filters: Filters,
    by: str = "none",
    metric: str = "closure_rate",
) -> list[RowMapping]:
    """One row per period and group (every street/unit/… of the universe, zeros included)."""
    on_facts, on_visits, universe = GROUPS[by]
    where, score_where, params = filters.predicates()
    universe_sql = (
        f"SELECT key AS grp FROM ({universe}) u" if universe else "SELECT NULL::text AS grp"
    )
    sql = figures_sql(
        rollup=problems_rollup(filters, by),
        group=(on_facts, on_visits),
        where=where,
        score_where=score_where,
        universe=universe_sql,
        order=METRICS[metric],
    )
    connection.execute(text("SET LOCAL work_mem = '64MB'"))  # percentiles sort in memory
    return list(
        connection.execute(
            text(sql),
            params
            | {
                "starts": [p.start for p in periods],
                "ends": [p.end for p in periods],
                "start_days": [p.start.date() for p in periods],  # local midnights
                "end_days": [p.end.date() for p in periods],
                "labels": [p.label for p in periods],
                "first_start": min(p.start for p in periods),
                "last_end": max(p.end for p in periods),
                "last_end_day": max(p.end.date() for p in periods),
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
