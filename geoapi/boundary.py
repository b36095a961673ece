"""The city's boundary: every path that creates data refuses positions outside it.

The boundary is the imported areas (district → grid): a position must lie in one of them.
A database with no areas yet accepts any position on Earth. Without it a report at (0, 0)
would widen every extent, map and aggregate of the city.
"""

from collections.abc import Sequence

import numpy as np
import shapely
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


TOP_AREAS = text("SELECT ST_AsBinary(geom) FROM areas WHERE parent_id IS NULL")
# From this many coordinates on, those inside a top area are found here first (GEOS, as in
# PostGIS) and only the rest are sent: a million coordinates as one array literal cost 9 s.
SCREEN_FROM = 10_000


def outside(connection: Connection, lons: Sequence[float], lats: Sequence[float]) -> list[int]:
    """The 1-based positions of the coordinates that lie outside the city's areas."""
    if not len(lons):
        return []
    rest = np.arange(len(lons))
    if len(lons) >= SCREEN_FROM:
        tops = [shapely.from_wkb(bytes(g)) for g in connection.scalars(TOP_AREAS)]
        if tops:
            cover = shapely.union_all(tops)
            shapely.prepare(cover)
            rest = rest[~shapely.intersects_xy(cover, np.asarray(lons), np.asarray(lats))]
    found = connection.scalars(
        OUTSIDE_AREAS,
        {"lons": np.asarray(lons)[rest].tolist(), "lats": np.asarray(lats)[rest].tolist()},
    )
    return [int(rest[n - 1]) + 1 for n in found]


def check_inside(connection: Connection, lon: float, lat: float, field: str) -> None:
    """400 naming `field` when (lon, lat) lies outside the city's areas."""
    if outside(connection, [lon], [lat]):
        raise InvalidParameter(
            f"{field}: ({lon:.6f}, {lat:.6f}) lies outside the city's areas "
            "(WGS 84 longitude, latitude)"
        )
