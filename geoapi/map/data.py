"""What the map draws, each piece one PostGIS statement returning compact JSON.

Above the configured thresholds the statements aggregate (snapped cells) instead of sending
every row, so the page stays small at a million points.
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geoapi.issues.states import overdue_sql
from geoapi.map.filters import OPEN, Where

OVERDUE = overdue_sql("i")
HEAT_CELL_DEG = 0.001  # ~100 m: heat-map cells above the heat threshold
WEEK_CELL_DEG = 0.002  # ~200 m: cells of the weekly heat map


@dataclass(frozen=True)
class Rows:
    """Rows to draw, and whether they are single features or aggregated cells."""

    rows: list[list[Any]]
    total: int
    aggregated: bool


@dataclass(frozen=True)
class View:
    """The part of the map on screen: the box (west, south, east, north; None: all of the
    filtered area) and the zoom."""

    bbox: tuple[float, float, float, float] | None
    zoom: int

    @property
    def cell_deg(self) -> float:
        """Cells an eighth of a 256-pixel tile wide (~500 m at zoom 13, ~60 m at 16)."""
        return 360 / 2**self.zoom / 8


OVERVIEW = View(None, 13)  # the whole area, at the zoom a district opens on


def _json(connection: Connection, sql: str, where: Where, **params: Any) -> Any:
    value = connection.scalar(text(sql), where.params | params)
    return json.loads(value) if value else None


def open_issue_heat(connection: Connection, where: Where, weight: str, limit: int) -> Rows:
    """[lat, lon, weight] per problem the map counts (`where.drawn`: open, or every one
    reported), or per ~100 m cell (weights summed) above `limit`."""
    result = _json(
        connection,
        f"""
        WITH f AS (SELECT i.geom, ({weight})::float8 AS w FROM issues i
                    WHERE {where.drawn} AND {where.issues}),
             n AS (SELECT count(*) AS n FROM f),
             cells AS (SELECT ST_SnapToGrid(geom, :cell) AS geom, sum(w) AS w FROM f
                        WHERE (SELECT n FROM n) > :limit GROUP BY 1),
             rows AS (SELECT geom, w FROM f WHERE (SELECT n FROM n) <= :limit
                      UNION ALL SELECT geom, w FROM cells)
        SELECT json_build_object('total', (SELECT n FROM n), 'rows', coalesce(json_agg(
                 json_build_array(round(ST_Y(geom)::numeric, 5), round(ST_X(geom)::numeric, 5),
                                  round(w::numeric, 2))), '[]'))::text FROM rows
        """,
        where,
        cell=HEAT_CELL_DEG,
        limit=limit,
    )
    return Rows(result["rows"], result["total"], result["total"] > limit)


def point_counts(connection: Connection, where: Where) -> dict[str, int]:
    """Points per category under the filters (every category the filters admit, even at 0)."""
    sql = f"""
    SELECT coalesce(json_object_agg(c.code, coalesce(n.points, 0)), '{{}}')::text
      FROM categories c
      LEFT JOIN (SELECT p.category, count(*) AS points FROM points p WHERE {where.points}
                  GROUP BY 1) n ON n.category = c.code
     WHERE CAST(:categories AS text[]) IS NULL OR c.code = ANY(:categories)
    """
    params = {"categories": None} | where.params
    return dict(sorted(json.loads(connection.scalar(text(sql), params)).items()))


def category_points(
    connection: Connection, where: Where, category: str, limit: int, view: View = OVERVIEW
) -> Rows:
    """One category's points in the view: [lat, lon, code, name, status, open problems, last
    inspected] each, or above `limit` points, [lat, lon, count, non-compliant, open problems]
    per cell (the view's zoom sets the cell size: zooming in resolves cells into points)."""
    params = where.params | {"category": category, "cell": view.cell_deg}
    in_view = ""
    if view.bbox:
        in_view = "AND p.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
        params |= dict(zip(("w", "s", "e", "n"), view.bbox, strict=True))
    scope = f"p.category = :category AND {where.points} {in_view}"
    total = connection.scalar(text(f"SELECT count(*) FROM points p WHERE {scope}"), params)
    if total <= limit:
        sql = f"""
        SELECT coalesce(json_agg(json_build_array(
                 round(ST_Y(geom)::numeric, 5), round(ST_X(geom)::numeric, 5), code, name,
                 status, open_issue_count,
                 to_char(last_inspected_at AT TIME ZONE :tz, 'YYYY-MM-DD')) ORDER BY code),
                 '[]')::text
          FROM point_layer p WHERE {scope}
        """
    else:
        sql = f"""
        WITH cells AS (
               SELECT floor(ST_X(p.geom) / :cell)::int AS ix,
                      floor(ST_Y(p.geom) / :cell)::int AS iy, count(*) AS points,
                      count(*) FILTER (WHERE p.status = 'non_compliant') AS bad
                 FROM points p WHERE {scope} GROUP BY 1, 2),
             open AS (
               SELECT floor(ST_X(p.geom) / :cell)::int AS ix,
                      floor(ST_Y(p.geom) / :cell)::int AS iy, count(*) AS open
                 FROM issues i JOIN points p ON p.id = i.point_id
                WHERE {OPEN} AND {scope} GROUP BY 1, 2)
        SELECT coalesce(json_agg(json_build_array(
                 round(((c.iy + 0.5) * :cell)::numeric, 5),
                 round(((c.ix + 0.5) * :cell)::numeric, 5), c.points, c.bad,
                 coalesce(o.open, 0))), '[]')::text
          FROM cells c LEFT JOIN open o USING (ix, iy)
        """
    rows = json.loads(connection.scalar(text(sql), params))
    return Rows(rows, int(total), total > limit)


def overdue_issues(connection: Connection, where: Where, limit: int) -> Rows:
    """[lat, lon, id, type, unit, deadline, days late] of the most overdue problems, the type
    and the unit by their Chinese names."""
    result = _json(
        connection,
        f"""
        WITH f AS (SELECT i.id, i.geom, i.type, i.unit_code, i.deadline FROM issues i
                    WHERE {OVERDUE} AND {where.issues})
        SELECT json_build_object('total', (SELECT count(*) FROM f), 'rows', coalesce(
                 (SELECT json_agg(json_build_array(
                    round(ST_Y(o.geom)::numeric, 5), round(ST_X(o.geom)::numeric, 5), o.id,
                    coalesce(t.name_zh, o.type), coalesce(u.name, o.unit_code),
                    to_char(o.deadline AT TIME ZONE :tz, 'YYYY-MM-DD'),
                    extract(day FROM now() - o.deadline)::int) ORDER BY o.deadline)
                    FROM (SELECT * FROM f ORDER BY deadline LIMIT :limit) o
                    LEFT JOIN issue_types t ON t.code = o.type
                    LEFT JOIN units u ON u.code = o.unit_code), '[]'))::text
        """,
        where,
        limit=limit,
    )
    return Rows(result["rows"], result["total"], aggregated=False)


# The areas of `:level` inside the area filter (`:area_id`, or every one when it is null).
AREAS_OF_LEVEL = """
SELECT a.* FROM areas a WHERE a.level = :level AND (
  CAST(:area_id AS bigint) IS NULL OR a.id = :area_id
  OR ST_Within(ST_PointOnSurface(a.geom), (SELECT geom FROM areas WHERE id = :area_id)))"""


def area_labels(connection: Connection, where: Where, level: str) -> list[list[Any]]:
    """[lat, lon, name] of each area of `level` in the area filter: a point inside it."""
    return _json(
        connection,
        f"""
        SELECT coalesce(json_agg(json_build_array(ST_Y(at), ST_X(at), name) ORDER BY code),
                        '[]')::text
          FROM (SELECT code, name, ST_PointOnSurface(geom) AS at FROM ({AREAS_OF_LEVEL}) a) l
        """,
        where,
        level=level,
        area_id=where.params.get("area_id"),
    )


def area_choropleth(connection: Connection, where: Where, level: str) -> dict[str, Any]:
    """Areas of `level` (inside the area filter) with the problems the map counts (`open`:
    `where.drawn`), points and that count per 100 points."""
    return _json(
        connection,
        f"""
        WITH a AS ({AREAS_OF_LEVEL}),
             o AS (SELECT i.{level}_id AS id, count(*) AS open FROM issues i
                    WHERE {where.drawn} AND {where.issues} GROUP BY 1),
             p AS (SELECT p.{level}_id AS id, count(*) AS points FROM points p
                    WHERE {where.points} GROUP BY 1)
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
                 json_build_object('type', 'Feature', 'id', a.code,
                   'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(a.geom, 0.0001), 5)::json,
                   'properties', json_build_object('code', a.code, 'name', a.name,
                     'label_at', json_build_array(ST_Y(ST_PointOnSurface(a.geom)),
                                                  ST_X(ST_PointOnSurface(a.geom))),
                     'open', coalesce(o.open, 0), 'points', coalesce(p.points, 0),
                     'per_100_points', round(100.0 * coalesce(o.open, 0)
                                             / nullif(p.points, 0), 1)))), '[]'))::text
          FROM a LEFT JOIN o ON o.id = a.id LEFT JOIN p ON p.id = a.id
        """,
        where,
        level=level,
        area_id=where.params.get("area_id"),
    )


def weekly_heat(connection: Connection, where: Where, weeks: int) -> tuple[list[str], list[Any]]:
    """Reported problems per ISO week (the last `weeks` up to the newest report), counted per
    ~200 m cell; only those weeks' problems are read (by `reported_at`)."""
    result = _json(
        connection,
        f"""
        WITH f AS (SELECT date_trunc('week', i.reported_at AT TIME ZONE :tz) AS monday,
                          floor(ST_X(i.geom) / :cell)::int AS ix,
                          floor(ST_Y(i.geom) / :cell)::int AS iy
                     FROM issues i WHERE {where.issues}
                      AND i.reported_at >= (SELECT max(reported_at) FROM issues)
                                           - make_interval(weeks => :weeks + 1)),
             w AS (SELECT DISTINCT monday FROM f ORDER BY monday DESC LIMIT :weeks),
             c AS (SELECT monday, ix, iy, count(*) AS n FROM f
                    WHERE monday IN (SELECT monday FROM w) GROUP BY 1, 2, 3),
             per_week AS (SELECT to_char(monday, 'IYYY-"W"IW') AS week, json_agg(json_build_array(
                            round(((iy + 0.5) * :cell)::numeric, 5),
                            round(((ix + 0.5) * :cell)::numeric, 5), n)) AS rows
                            FROM c GROUP BY monday)
        SELECT coalesce(json_agg(json_build_array(week, rows) ORDER BY week), '[]')::text
          FROM per_week
        """,
        where,
        cell=WEEK_CELL_DEG,
        weeks=weeks,
    )
    return [week for week, _ in result], [rows for _, rows in result]


def data_timestamp(connection: Connection) -> Any:
    """When the data last changed (the newest event), for the page title."""
    return connection.scalar(text("SELECT max(at) FROM issue_events"))


def bounds(connection: Connection, where: Where) -> list[list[float]] | None:
    """What the map opens on: the box [[south, west], [north, east]] of the area it is
    filtered to (or the caller's own), else of all areas; None without areas."""
    row = connection.execute(
        text(
            "SELECT ST_YMin(b), ST_XMin(b), ST_YMax(b), ST_XMax(b) "
            "FROM (SELECT ST_Extent(geom) AS b FROM areas "
            "      WHERE CAST(:area_id AS bigint) IS NULL OR id = :area_id) s"
        ),
        {"area_id": where.area_id},
    ).first()
    if row is None or row[0] is None:
        return None
    return [[row[0], row[1]], [row[2], row[3]]]
