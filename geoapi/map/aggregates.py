"""Open problems binned into hexagons or squares by PostGIS: the heat map's numbers as data."""

from typing import Any

from sqlalchemy import Connection, text

from geoapi.map.data import OPEN
from geoapi.map.filters import Where

KEYS = {
    "status": "i.status",
    "type": "i.type",
    "week": "to_char(i.reported_at AT TIME ZONE 'Asia/Shanghai', 'IYYY-\"W\"IW')",
    "none": "NULL::text",
}
GRIDS = {"hex": "ST_HexagonGrid", "square": "ST_SquareGrid"}


def open_issue_cells(
    connection: Connection,
    where: Where,
    cell: str,
    size_m: float,
    by: str,
    weight: str,
    bbox: tuple[float, float, float, float] | None,
) -> str:
    """A GeoJSON FeatureCollection of cells (Web Mercator metres, returned in CRS84) with the
    count and heat weight of open problems per `by` value; empty cells are left out."""
    box = "ST_Transform(ST_MakeEnvelope(:w, :s, :e, :n, 4326), 3857)" if bbox else None
    params: dict[str, Any] = where.params | {"size": size_m}
    if bbox:
        params |= dict(zip(("w", "s", "e", "n"), bbox, strict=True))
    in_box = "AND i.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)" if bbox else ""
    sql = f"""
    WITH bounds AS (SELECT coalesce({box or "NULL"},
                      (SELECT ST_Transform(ST_SetSRID(ST_Extent(i.geom)::geometry, 4326), 3857)
                         FROM issues i WHERE {OPEN} AND {where.issues})) AS b),
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
