"""Open problems binned into hexagons or squares by PostGIS: the heat map's numbers as data."""

import math
from typing import Any

from sqlalchemy import Connection, text

from geoapi.errors import InvalidParameter
from geoapi.map.data import OPEN
from geoapi.map.filters import Where

KEYS = {
    "status": "i.status",
    "type": "i.type",
    "week": "to_char(i.reported_at AT TIME ZONE :tz, 'IYYY-\"W\"IW')",
    "none": "NULL::text",
}
GRIDS = {"hex": "ST_HexagonGrid", "square": "ST_SquareGrid"}
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
    than `max_cells` cells is a 400 before the grid is made.
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
    params |= {"x0": x0, "y0": y0, "x1": x1, "y1": y1}
    in_box = "AND i.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)" if bbox else ""
    sql = f"""
    WITH bounds AS (SELECT ST_MakeEnvelope(:x0, :y0, :x1, :y1, 3857) AS b),
         cells AS (SELECT c.i, c.j, c.geom, ST_Transform(c.geom, 4326) AS wgs
                     FROM bounds, {GRIDS[cell]}(:size, bounds.b) c WHERE bounds.b IS NOT NULL),
         hits AS (SELECT DISTINCT ON (i.id) c.i, c.j, c.wgs, {KEYS[by]} AS k,
                         ({weight})::float8 AS w
                    FROM cells c JOIN issues i
                      ON i.geom && c.wgs AND ST_Intersects(c.wgs, i.geom)
                   WHERE {OPEN} AND {where.issues} {in_box}
                   ORDER BY i.id, c.i, c.j),
         counted AS (SELECT i, j, wgs, k, count(*) AS n, sum(w) AS w FROM hits
                      GROUP BY i, j, wgs, k)
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
             json_build_object('type', 'Feature', 'id', concat_ws(':', i, j, k),
               'geometry', ST_AsGeoJSON(wgs, 6)::json,
               'properties', json_build_object('i', i, 'j', j, '{by}', k, 'count', n,
                                               'weight', round(w::numeric, 2)))
             ORDER BY i, j, k), '[]'))::text
      FROM counted
    """
    return connection.scalar(text(sql), params)
