"""The weekly bulletin (周通报): figures, rankings, lists, charts and a map in one HTML page."""

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import geopandas as gpd
from sqlalchemy import Connection, Engine, text

from geoapi import documents
from geoapi.areas import AreaRef
from geoapi.db.side_by_side import SideBySide
from geoapi.issues import photos
from geoapi.issues.states import NAMES_ZH, open_sql
from geoapi.responsibility import queries as responsibility
from geoapi.settings import Settings
from geoapi.stats import charts, periods, service
from geoapi.stats.figures import Filters

LIST_LENGTH = 20
MAP_PROBLEMS = 5_000  # dots on the static map; the street shading counts all of them

OPEN_AT_END = """
i.reported_at < :end AND coalesce(i.closed_at, i.dropped_at, 'infinity') >= :end
"""

# Each level's bulletin ranks the areas one level down: the city's its streets, a street's its
# communities, a community's its grids.
RANKED_BELOW = {None: "street", "district": "street", "street": "community", "community": "grid"}
LEVEL_NAMES = {"street": "街道", "community": "社区", "grid": "网格"}
HONOURS = 3  # 表扬 and 通报批评: the best and the worst this many of the ranking
EXPOSED = 6  # overdue problems with a photo shown under 通报批评 (曝光)

OVERDUE = f"""
SELECT i.id, t.name_zh AS type, u.name AS unit, s.name AS street, p.name AS point,
       i.deadline, i.photos,
       round(extract(epoch FROM :end - i.deadline) / 86400, 1)::float8 AS days_late,
       (SELECT count(*) FROM escalations e WHERE e.issue_id = i.id AND e.at < :end) AS cards
  FROM issues i
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN units u ON u.code = i.unit_code
  LEFT JOIN areas s ON s.id = i.street_id
  LEFT JOIN points p ON p.id = i.point_id
 WHERE {OPEN_AT_END} AND i.dispatched_at < :end AND i.deadline < :end
   AND {{inside}}
 ORDER BY i.deadline, i.id
 LIMIT :n
"""

REWORKED = """
SELECT i.id, t.name_zh AS type, u.name AS unit, s.name AS street, p.name AS point, i.status,
       r.reopens, r.last_reopen
  FROM (SELECT e.issue_id, count(*) AS reopens, max(e.at) AS last_reopen
          FROM issue_events e JOIN issues i ON i.id = e.issue_id
         WHERE e.action = 'reopen' AND e.at < :end AND {inside} GROUP BY e.issue_id
        HAVING max(e.at) >= :since
         ORDER BY reopens DESC, last_reopen DESC, e.issue_id LIMIT :n) r
  JOIN issues i ON i.id = r.issue_id
  JOIN issue_types t ON t.code = i.type
  LEFT JOIN units u ON u.code = i.unit_code
  LEFT JOIN areas s ON s.id = i.street_id
  LEFT JOIN points p ON p.id = i.point_id
 ORDER BY r.reopens DESC, r.last_reopen DESC, i.id
"""

SHAPES_MAP = """
WITH RECURSIVE inside(id) AS (
  SELECT CAST(:area_id AS int)
  UNION ALL SELECT a.id FROM areas a JOIN inside ON a.parent_id = inside.id
)
SELECT code, name, geom FROM areas
 WHERE level = :level AND (CAST(:area_id AS int) IS NULL OR id IN (SELECT id FROM inside))"""

PROBLEMS_MAP = f"""
SELECT geom, coalesce(deadline < :end, false) AS overdue FROM (
  SELECT i.geom, i.deadline FROM issues i
   WHERE {open_sql("i")} AND i.reported_at < :end AND {{inside}}
  UNION ALL
  SELECT i.geom, i.deadline FROM issues i
   WHERE i.closed_at >= :end AND i.reported_at < :end AND {{inside}}
  UNION ALL
  SELECT i.geom, i.deadline FROM issues i
   WHERE i.dropped_at >= :end AND i.reported_at < :end AND {{inside}}
) open_then  -- open now, or ended after the end (each part from its own index)
 ORDER BY deadline NULLS LAST LIMIT :n
"""


def build(
    connection: Connection,
    week: str,
    settings: Settings,
    area: AreaRef | None = None,
    engine: Engine | None = None,
) -> str:
    """The bulletin of ISO `week` as a self-contained, printable HTML page: the city's, or
    one area's own (its figures, its problems, the areas one level down ranked).

    With `engine` (the one `connection` came from), its queries run side by side on
    connections of their own while the charts are drawn."""
    period = periods.iso_week(week, settings.zone)
    level = RANKED_BELOW.get(area.level if area else None)
    with (
        SideBySide(connection, engine) as side,
        ThreadPoolExecutor(max_workers=1) as drawing,  # charts drawn while the queries run
    ):
        fetched = _fetch(side, period, area, level)
        return _render(connection, fetched, period, settings, area, level, drawing)


@dataclass(frozen=True)
class _Fetched:
    """The bulletin's queries, started before anything is drawn (the slowest first)."""

    series: "Future[list[dict[str, Any]]]"
    areas: "Future[list[dict[str, Any]]] | None"
    units: "Future[list[dict[str, Any]]]"
    categories: "Future[list[dict[str, Any]]]"
    overdue: "Future[list[Any]]"
    reworked: "Future[list[Any]]"
    shapes: "Future[gpd.GeoDataFrame]"
    dots: "Future[gpd.GeoDataFrame]"


def _fetch(
    side: SideBySide, period: periods.Period, area: AreaRef | None, level: str | None
) -> _Fetched:
    scope = Filters(area=area)
    inside = f"i.{area.column} = :area_id" if area else "TRUE"
    area_id = area.id if area else None
    window = {
        "end": period.end,
        "since": period.end - timedelta(weeks=4),
        "n": LIST_LENGTH,
        "area_id": area_id,
    }
    return _Fetched(
        series=side.submit(service.weekly, periods.weeks_until(period, 12), scope),
        dots=side.submit(
            _frame,
            PROBLEMS_MAP.format(inside=inside),
            {"end": period.end, "n": MAP_PROBLEMS, "area_id": area_id},
        ),
        areas=side.submit(service.ranking, period, scope, level, "closure_rate") if level else None,
        units=side.submit(service.ranking, period, scope, "unit", "on_time_rate"),
        categories=side.submit(service.breakdown, period, scope, "category"),
        overdue=side.submit(_rows, OVERDUE.format(inside=inside), window),
        reworked=side.submit(_rows, REWORKED.format(inside=inside), window),
        shapes=side.submit(_frame, SHAPES_MAP, {"level": level or "grid", "area_id": area_id}),
    )


def _rows(connection: Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    return list(connection.execute(text(sql), params).mappings().all())


def _frame(connection: Connection, sql: str, params: dict[str, Any]) -> gpd.GeoDataFrame:
    return gpd.read_postgis(text(sql), connection, params=params)


def _render(
    connection: Connection,
    fetched: _Fetched,
    period: periods.Period,
    settings: Settings,
    area: AreaRef | None,
    level: str | None,
    drawing: ThreadPoolExecutor,
) -> str:
    series = fetched.series.result()
    weekly_chart = drawing.submit(charts.weekly_chart, series)
    this_week, last_week = series[-1], series[-2]
    areas = fetched.areas.result() if fetched.areas else []
    level_name = LEVEL_NAMES.get(level or "", "")
    streets_chart = drawing.submit(
        charts.ranking_chart, areas, "closure_rate", f"各{level_name}结案率"
    )
    units = [u for u in fetched.units.result() if u["due"] or u["open"] or u["closed"]]
    categories = [c for c in fetched.categories.result() if c["visits"]]
    shapes = fetched.shapes.result()
    # shaded by the ranking's own open count: one definition of "open at the end"
    shapes["open"] = shapes["code"].map({s["code"]: s["open"] for s in areas})
    map_chart = drawing.submit(charts.open_problems_map, shapes, fetched.dots.result())
    overdue = fetched.overdue.result()
    exposed = [
        {"row": row, "photos": shots[:1]}
        for row in overdue
        if (shots := photos.thumbnail_uris(settings.photos_dir, row["photos"]))
    ][:EXPOSED]
    return documents.render(
        "bulletin.html",
        period=period,
        previous=period.previous(),
        zone=settings.zone,
        office=settings.notice_office,
        area=area,
        level_name=level_name,
        figures=this_week,
        before=last_week,
        streets=areas,
        leaders=responsibility.area_leaders(connection),
        praised=honours(areas, best=True),
        criticised=honours(areas, best=False),
        units=units,
        categories=categories,
        overdue=overdue,
        reworked=fetched.reworked.result(),
        exposed=exposed,
        statuses=NAMES_ZH,
        charts={
            "weekly": weekly_chart.result(),
            "streets": streets_chart.result(),
            "map": map_chart.result(),
        },
        generated_at=datetime.now(UTC),
        delta=delta,
    )


def honours(ranking: list[dict[str, Any]], best: bool) -> list[dict[str, Any]]:
    """表扬 (the best of the ranking, and those that moved up most) or 通报批评 (the worst,
    and those that fell most): areas with work this week, each once."""
    active = [r for r in ranking if r["open"] or r["closed"]]
    if len(active) < 2 * HONOURS:
        return []  # too few to praise some and criticise others
    ordered = active[:HONOURS] if best else active[-HONOURS:][::-1]
    movers = sorted(
        (r for r in active if r["change"] and (r["change"] > 0) == best),
        key=lambda r: -abs(r["change"]),
    )
    chosen = {r["code"]: r for r in [*ordered, *movers[:HONOURS]]}
    return list(chosen.values())


def delta(now: Any, before: Any) -> str:
    """`+3` / `−2` / `±0` for the template's comparisons."""
    if now is None or before is None:
        return ""
    change = now - before
    if isinstance(change, float):
        change = round(change * 100, 1)  # rates: percentage points
    return f"+{change}" if change > 0 else ("±0" if change == 0 else f"−{abs(change)}")
