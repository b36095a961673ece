"""The city's boundary: every path that creates data refuses positions outside it.

The boundary is the imported areas (district → grid): a position must lie in one of them.
A database with no areas yet accepts any position on Earth. Without it a report at (0, 0)
would widen every extent, map and aggregate of the city.
"""

from collections.abc import Sequence

from sqlalchemy import Connection, text

from geoapi.errors import InvalidParameter

OUTSIDE_AREAS = text(
    """
SELECT t.n FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY
       AS t(lon, lat, n)
 WHERE EXISTS (SELECT FROM areas)
   -- the top areas first: the same few polygons each time, prepared once by PostGIS
   AND NOT EXISTS (SELECT FROM areas a
                    WHERE a.parent_id IS NULL
                      AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)))
   AND NOT EXISTS (SELECT FROM areas a
                    WHERE ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)))
 ORDER BY t.n
"""
)


def outside(connection: Connection, lons: Sequence[float], lats: Sequence[float]) -> list[int]:
    """The 1-based positions of the coordinates that lie outside the city's areas."""
    if not len(lons):
        return []
    return list(connection.scalars(OUTSIDE_AREAS, {"lons": list(lons), "lats": list(lats)}))


def check_inside(connection: Connection, lon: float, lat: float, field: str) -> None:
    """400 naming `field` when (lon, lat) lies outside the city's areas."""
    if outside(connection, [lon], [lat]):
        raise InvalidParameter(
            f"{field}: ({lon:.6f}, {lat:.6f}) lies outside the city's areas "
            "(WGS 84 longitude, latitude)"
        )
