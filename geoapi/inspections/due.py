"""Points due for a visit on a date: the last visit before that day plus the point's cycle."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from geoapi.areas import AreaRef
from geoapi.issues.states import open_sql


def due_rows(where: str) -> str:
    """The rule, as two CTEs (`cycles`, `due`) that other statements build on (the route
    planner reads `due` as rows), for the points matching `where` (trusted SQL over `p.`,
    values bound). Cycles come in as two arrays (from the checklists). The last visit before
    the day is the point's `last_inspected_at` (kept as the latest visit by every write)
    unless that falls on or after the day: only then, for a day in the past, are the point's
    visits looked up."""
    return f"""
cycles AS (
  SELECT * FROM unnest(CAST(:categories AS text[]), CAST(:days AS int[])) AS c(category, days)
), due AS (
  SELECT p.id, p.code, p.name, p.category, p.unit_code, p.geom, p.status, p.score,
         k.every, last.visited_at AS last_visited_at,
         last.visited_at + make_interval(days => k.every) AS due_at
    FROM points p
    LEFT JOIN cycles c ON c.category = p.category
    CROSS JOIN LATERAL (SELECT coalesce(p.cycle_days, c.days) AS every) k
    CROSS JOIN LATERAL (
          SELECT CASE WHEN p.last_inspected_at IS NULL OR p.last_inspected_at < :day_end
                      THEN p.last_inspected_at
                      ELSE (SELECT max(v.visited_at) FROM inspections v
                             WHERE v.point_id = p.id AND v.visited_at < :day_end)
                 END AS visited_at) last
   WHERE k.every IS NOT NULL AND {where}
     AND (last.visited_at IS NULL OR last.visited_at + make_interval(days => k.every) < :day_end)
)"""


def due_sql(where: str) -> str:
    """One statement, the answer as GeoJSON text."""
    return f"""
WITH {due_rows(where)}, page AS (
  SELECT * FROM due
   ORDER BY due_at NULLS FIRST, code
   LIMIT :limit
)
SELECT json_build_object(
  'type', 'FeatureCollection',
  'date', CAST(:day AS text),
  'numberMatched', (SELECT count(*) FROM due),
  'numberReturned', (SELECT count(*) FROM page),
  'features', coalesce(json_agg(json_build_object(
     'type', 'Feature',
     'id', page.code,
     'geometry', ST_AsGeoJSON(page.geom, 7)::json,
     'properties', json_build_object(
        'code', page.code, 'name', page.name, 'category', page.category,
        'unit', page.unit_code, 'status', page.status, 'score', page.score,
        'cycle_days', page.every, 'last_inspected_at', page.last_visited_at,
        'due_at', page.due_at,
        'due', CASE WHEN page.due_at IS NULL THEN 'never_inspected'
                    WHEN page.due_at < :day_start THEN 'overdue' ELSE 'due' END,
        'days_late', CASE WHEN page.due_at < :day_start
                          THEN ceil(extract(epoch FROM :day_start - page.due_at) / 86400)::int
                          ELSE 0 END,
        'open_issues', (SELECT count(*) FROM issues i WHERE i.point_id = page.id
                         AND {open_sql("i")})))
     ORDER BY page.due_at NULLS FIRST, page.code), '[]'::json))::text
  FROM page
"""


def due_points(
    connection: Connection,
    day: date,
    tz: ZoneInfo,
    cycles: dict[str, int],
    area: AreaRef | None,
    category: str | None,
    limit: int,
    scope: tuple[str, dict[str, object]],
) -> str:
    """GeoJSON of points due or overdue on `day` (local), never-visited first, then most late.

    `days_late` counts whole days since the visit fell due before `day`; `due` on the day is 0.
    """
    conditions, params = [scope[0]], dict(scope[1])
    if area is not None:
        conditions.append(f"p.{area.column} = :area_id")
        params["area_id"] = area.id
    if category is not None:
        conditions.append("p.category = :category")
        params["category"] = category
    sql = due_sql(" AND ".join(f"({c})" for c in conditions))
    return connection.scalar(text(sql), params | due_parameters(day, tz, cycles, limit))


def due_parameters(
    day: date, tz: ZoneInfo, cycles: dict[str, int], limit: int
) -> dict[str, object]:
    """The bound values `due_rows` needs for `day` (local midnight to midnight)."""
    day_start = datetime.combine(day, time(), tz)
    return {
        "categories": list(cycles),
        "days": list(cycles.values()),
        "day": day.isoformat(),
        "day_start": day_start,
        "day_end": day_start + timedelta(days=1),
        "limit": limit,
    }
