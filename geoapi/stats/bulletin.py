"""The weekly bulletin (周通报): figures, rankings, lists, charts and a map in one HTML page."""

from datetime import UTC, datetime, timedelta
from typing import Any

import geopandas as gpd
from sqlalchemy import Connection, text

from geoapi import documents
from geoapi.issues.states import open_sql
from geoapi.settings import Settings
from geoapi.stats import charts, periods, service
from geoapi.stats.figures import Filters

LIST_LENGTH = 20
MAP_PROBLEMS = 5_000  # dots on the static map; the street shading counts all of them

OPEN_AT_END = """
i.reported_at < :end AND coalesce(i.closed_at, i.dropped_at, 'infinity') >= :end
"""

OVERDUE = f"""
SELECT i.id, t.name_zh AS type, u.name AS unit, s.name AS street, p.name AS point,
       i.deadline, round(extract(epoch FROM :end - i.deadline) / 86400, 1)::float8 AS days_late,
       (SELECT count(*) FROM escalations e WHERE e.issue_id = i.id AND e.at < :end) AS cards
  FROM issues i
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN units u ON u.code = i.unit_code
  LEFT JOIN areas s ON s.id = i.street_id
  LEFT JOIN points p ON p.id = i.point_id
 WHERE {OPEN_AT_END} AND i.dispatched_at < :end AND i.deadline < :end
 ORDER BY i.deadline, i.id
 LIMIT :n
"""

REWORKED = """
SELECT i.id, t.name_zh AS type, u.name AS unit, s.name AS street, p.name AS point, i.status,
       r.reopens, r.last_reopen
  FROM (SELECT issue_id, count(*) AS reopens, max(at) AS last_reopen FROM issue_events
         WHERE action = 'reopen' AND at < :end GROUP BY issue_id
        HAVING max(at) >= :since
         ORDER BY reopens DESC, last_reopen DESC, issue_id LIMIT :n) r
  JOIN issues i ON i.id = r.issue_id
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN units u ON u.code = i.unit_code
  LEFT JOIN areas s ON s.id = i.street_id
  LEFT JOIN points p ON p.id = i.point_id
 ORDER BY r.reopens DESC, r.last_reopen DESC, i.id
"""

STREETS_MAP = "SELECT code, name, geom FROM areas WHERE level = 'street'"

PROBLEMS_MAP = f"""
SELECT geom, coalesce(deadline < :end, false) AS overdue FROM (
  SELECT i.geom, i.deadline FROM issues i WHERE {open_sql("i")} AND i.reported_at < :end
  UNION ALL
  SELECT i.geom, i.deadline FROM issues i WHERE i.closed_at >= :end AND i.reported_at < :end
  UNION ALL
  SELECT i.geom, i.deadline FROM issues i WHERE i.dropped_at >= :end AND i.reported_at < :end
) open_then  -- open now, or ended after the end (each part from its own index)
 ORDER BY deadline NULLS LAST LIMIT :n
"""


def build(connection: Connection, week: str, settings: Settings) -> str:
    """The bulletin of ISO `week` as a self-contained, printable HTML page."""
    zone = settings.zone
    period = periods.iso_week(week, zone)
    everything = Filters()
    series = service.weekly(connection, periods.weeks_until(period, 12), everything)
    this_week, last_week = series[-1], series[-2]
    streets = service.ranking(connection, period, everything, "street", "closure_rate")
    units = service.ranking(connection, period, everything, "unit", "on_time_rate")
    units = [u for u in units if u["due"] or u["open"] or u["closed"]]  # units with work
    categories = [
        c for c in service.breakdown(connection, period, everything, "category") if c["visits"]
    ]
    window = {"end": period.end, "since": period.end - timedelta(weeks=4), "n": LIST_LENGTH}
    overdue = connection.execute(text(OVERDUE), window).mappings().all()
    reworked = connection.execute(text(REWORKED), window).mappings().all()
    street_shapes = gpd.read_postgis(text(STREETS_MAP), connection)
    # shaded by the ranking's own open count: one definition of "open at the end"
    street_shapes["open"] = street_shapes["code"].map({s["code"]: s["open"] for s in streets})
    dots = gpd.read_postgis(
        text(PROBLEMS_MAP), connection, params={"end": period.end, "n": MAP_PROBLEMS}
    )
    return documents.render(
        "bulletin.html",
        period=period,
        previous=period.previous(),
        zone=zone,
        office=settings.notice_office,
        figures=this_week,
        before=last_week,
        streets=streets,
        units=units,
        categories=categories,
        overdue=overdue,
        reworked=reworked,
        charts={
            "weekly": charts.weekly_chart(series),
            "streets": charts.ranking_chart(streets, "closure_rate", "各街道结案率"),
            "map": charts.open_problems_map(street_shapes, dots),
        },
        generated_at=datetime.now(UTC),
        delta=delta,
    )


def delta(now: Any, before: Any) -> str:
    """`+3` / `−2` / `±0` for the template's comparisons."""
    if now is None or before is None:
        return ""
    change = now - before
    if isinstance(change, float):
        change = round(change * 100, 1)  # rates: percentage points
    return f"+{change}" if change > 0 else ("±0" if change == 0 else f"−{abs(change)}")
