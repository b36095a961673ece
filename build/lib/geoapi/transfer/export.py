"""Points out of PostGIS as GeoDataFrames (for notebooks) and files (GPKG, GeoJSON, CSV)."""

from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

ExportFormat = Literal["gpkg", "geojson", "csv"]
DRIVERS = {"gpkg": "GPKG", "geojson": "GeoJSON"}

POINTS_SQL = """
SELECT p.code, p.name, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.category,
       p.address, p.unit_code AS unit, p.status,
       p.last_inspected_at, d.code AS district, s.code AS street, c.code AS community,
       g.code AS grid, p.props::text AS props,
       coalesce(p.footprint, p.geom) AS geom
  FROM points p
  LEFT JOIN areas d ON d.id = p.district_id
  LEFT JOIN areas s ON s.id = p.street_id
  LEFT JOIN areas c ON c.id = p.community_id
  LEFT JOIN areas g ON g.id = p.grid_id
 WHERE (CAST(:categories AS text[]) IS NULL OR p.category = ANY(CAST(:categories AS text[])))
 ORDER BY p.code
"""


def read_points(connection: Connection, categories: list[str] | None = None) -> gpd.GeoDataFrame:
    """Inspection points with their area codes, as a GeoDataFrame in EPSG:4326.

    The geometry is the point's footprint (alley line, compound polygon) where it has one;
    `lon`/`lat` are the point itself.

    Parameters
    ----------
    connection : an open SQLAlchemy connection to the geoapi database.
    categories : only these category codes (default: all).
    """
    return gpd.read_postgis(
        text(POINTS_SQL), connection, geom_col="geom", params={"categories": categories}
    )


def export_points(
    connection: Connection, path: Path, fmt: ExportFormat, categories: list[str] | None = None
) -> int:
    """Write points to `path`; CSV gets the anchor point as lon/lat and imports back as it is."""
    frame = read_points(connection, categories)
    if fmt == "csv":
        pd.DataFrame(frame.drop(columns="geom")).to_csv(path, index=False, encoding="utf-8")
    else:
        frame.drop(columns=["lon", "lat"]).to_file(path, driver=DRIVERS[fmt], engine="pyogrio")
    return len(frame)
