"""Open problems binned into hexagons or squares by PostGIS: the heat map's numbers as data."""

import math
from typing import Any

from sqlalchemy import Connection, text

from geoapi.errors import InvalidParameter
from geoapi.map.filters import OPEN, Where

KEYS = {
    "status": "i.status",
    "type": "i.type",
    "week": "to_char(i.reported_at AT TIME ZONE :tz, 'IYYY-\"W\"IW')",
    "none": "NULL::text",
}
# Each problem's cell by arithmetic on its Web Mercator x, y (no grid is made, no spatial join):
# the layout of ST_HexagonGrid / ST_SquareGrid, so ids and shapes match those functions'.
# A hexagon's centre is (1.5·size·i, h·(2j + |i mod 2|)), h = size·√3/2; a point lies in the
# nearer centre of the two columns its x falls between. Each OFFSET 0 keeps a step a subquery,
# so its values are computed once per row instead of being inlined into every later use.
CELL_OF = {
    "hex": """
      SELECT CASE WHEN da <= db THEN ia ELSE ia + 1 END AS i,
             CASE WHEN da <= db THEN ja ELSE jb END AS j, k, w
        FROM (SELECT ia, ja, jb, k, w,
                     (x - 1.5 * s * ia) ^ 2 + (y - h * (2 * ja + pa)) ^ 2 AS da,
                     (x - 1.5 * s * (ia + 1)) ^ 2 + (y - h * (2 * jb + 1 - pa)) ^ 2 AS db
                FROM (SELECT ia, pa, round((y / h - pa) / 2)::int AS ja,
                             round((y / h - 1 + pa) / 2)::int AS jb, x, y, s, h, k, w
                        FROM (SELECT floor(x / (1.5 * s))::int AS ia, x, y, s, h, k, w
                                FROM located, grid OFFSET 0) c,
                             LATERAL (SELECT abs(ia % 2) AS pa) p OFFSET 0) r
              OFFSET 0) d""",
    "square": "SELECT floor(x / s)::int AS i, floor(y / s)::int AS j, k, w FROM located, grid",
}
# EPSG:3857 by its defining formulas (the sphere of radius 6378137 m): as exact as ST_Transform
# and, row by row, several times faster.
MERCATOR_X = "6378137 * radians(ST_X(i.geom))"
MERCATOR_Y = "6378137 * ln(tan(pi() / 4 + radians(ST_Y(i.geom)) / 2))"
SHAPES = {"hex": "ST_Hexagon", "square": "ST_Square"}
# A cell's area per size² (size: a hexagon's edge, a square's side).
CELL_AREA = {"hex": 3 * math.sqrt(3) / 2, "square": 1.0}
MERCATOR_LIMIT = 85.05  # Web Mercator's latitude limit: beyond it, no finite envelope


def open_issue_cells(
    connection: Connection,
    where: Where,
    cell: str,
    size_m: float,
    by: str,
    weight: str,
    bbox: tuple[float, float, float, float] | None,
    max_cells: int,
) -> str:
    """A GeoJSON FeatureCollection of cells (Web Mercator metres, returned in CRS84) with the
    count and heat weight of open problems per `by` value; empty cells are left out.

    The grid covers `bbox`, else the filtered open problems' extent; one that would need more
    than `max_cells` cells is a 400 (a size that cannot be meant for this area).
    """
    params: dict[str, Any] = where.params | {"size": size_m}
    if bbox:
        west, south, east, north = bbox
        south, north = max(south, -MERCATOR_LIMIT), min(north, MERCATOR_LIMIT)
        params |= {"w": west, "s": south, "e": east, "n": north}
        box = "ST_Transform(ST_MakeEnvelope(:w, :s, :e, :n, 4326), 3857)"
    else:
        box = f"""(SELECT ST_Transform(ST_SetSRID(ST_Extent(i.geom)::geometry, 4326), 3857)
                     FROM issues i WHERE {OPEN} AND {where.issues})"""
    extent = connection.execute(
        text(f"SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM {box} AS t(b)"),
        params,
    ).one()
    if extent[0] is None:
        return '{"type": "FeatureCollection", "features": []}'
    x0, y0, x1, y1 = extent
    cells = (x1 - x0 + 2 * size_m) * (y1 - y0 + 2 * size_m) / (CELL_AREA[cell] * size_m**2)
    if cells > max_cells:
        raise InvalidParameter(
            f"size: {size_m:g} m cells over this area would make about {cells:,.0f} cells; "
            f"at most {max_cells:,}: use a larger size or a smaller bbox"
        )
    in_box = "AND i.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)" if bbox else ""
    sql = f"""
    WITH grid AS (SELECT CAST(:size AS float8) AS s, CAST(:size AS float8) * sqrt(3) / 2 AS h),
         located AS MATERIALIZED (
           SELECT {MERCATOR_X} AS x, {MERCATOR_Y} AS y, {KEYS[by]} AS k, ({weight})::float8 AS w
             FROM issues i WHERE {OPEN} AND {where.issues} {in_box}),
         celled AS ({CELL_OF[cell]}),
         counted AS (SELECT i, j, k, count(*) AS n, sum(w) AS w FROM celled GROUP BY 1, 2, 3)
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
             json_build_object('type', 'Feature', 'id', concat_ws(':', i, j, k),
               'geometry', ST_AsGeoJSON(ST_Transform(ST_SetSRID(
                             {SHAPES[cell]}(:size, i, j), 3857), 4326), 6)::json,
               'properties', json_build_object('i', i, 'j', j, '{by}', k, 'count', n,
                                               'weight', round(w::numeric, 2)))
             ORDER BY i, j, k), '[]'))::text
      FROM counted
    """
    return connection.scalar(text(sql), params)
