"""Row checks shared by point and area imports; each returns RowErrors, never raises."""

from collections.abc import Collection

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from geoapi import boundary
from geoapi.transfer.row_errors import RowError


def _rows(mask: pd.Series | np.ndarray) -> list[int]:
    return [int(i) + 1 for i in np.flatnonzero(np.asarray(mask))]


def text_values(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped strings ('' where missing), or all '' when the column is absent."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index)
    return frame[column].fillna("").astype(str).str.strip()


def required(frame: pd.DataFrame, column: str) -> list[RowError]:
    """Rows where `column` is empty or missing."""
    return [RowError(r, column, "missing") for r in _rows(text_values(frame, column).eq(""))]


def unique_codes(codes: pd.Series) -> list[RowError]:
    """Rows repeating a code already used on an earlier row of the same file."""
    first: dict[str, int] = {}
    errors = []
    for row, code in enumerate(codes, start=1):
        if not code:
            continue
        if code in first:
            errors.append(
                RowError(row, "code", f"duplicate code {code!r} (first on row {first[code]})")
            )
        else:
            first[code] = row
    return errors


def known(values: pd.Series, column: str, allowed: Collection[str]) -> list[RowError]:
    """Rows whose non-empty value is not one of `allowed`."""
    listed = ", ".join(sorted(allowed))
    bad = values.ne("") & ~values.isin(list(allowed))
    return [
        RowError(r, column, f"unknown {column} {values.iat[r - 1]!r}; known: {listed}")
        for r in _rows(bad)
    ]


def geometries(
    frame: gpd.GeoDataFrame, allowed_types: Collection[str], skip_rows: Collection[int] = ()
) -> list[RowError]:
    """Missing, empty, wrongly typed, invalid or out-of-range geometries (in WGS 84)."""
    geoms = frame.geometry.to_numpy()
    typed = np.isin(shapely.get_type_id(geoms), [_TYPE_IDS[t] for t in allowed_types])
    suspect = ~(_sound(geoms) & typed)  # tested a million at a time; worded one by one
    errors = []
    for row in _rows(suspect):
        error = None if row in skip_rows else _geometry_error(geoms[row - 1], allowed_types)
        if error:
            errors.append(RowError(row, "geometry", error))
    return errors


def inside_city(
    connection: Connection, frame: gpd.GeoDataFrame, skip_rows: Collection[int] = ()
) -> list[RowError]:
    """Rows whose geometry lies outside the city's areas (`boundary`), by a point on it."""
    geoms = frame.geometry.to_numpy()
    checked = _sound(geoms)
    checked[[row - 1 for row in skip_rows if 0 < row <= len(geoms)]] = False
    rows = np.flatnonzero(checked)
    where = shapely.get_coordinates(shapely.point_on_surface(geoms[rows]))
    far = boundary.outside(connection, where[:, 0].tolist(), where[:, 1].tolist())
    return [
        RowError(int(rows[n - 1]) + 1, "geometry", "outside the city's areas (WGS 84 lon/lat?)")
        for n in far
    ]


_TYPE_IDS = {
    "Point": 0,
    "LineString": 1,
    "LinearRing": 2,
    "Polygon": 3,
    "MultiPoint": 4,
    "MultiLineString": 5,
    "MultiPolygon": 6,
    "GeometryCollection": 7,
}


def _sound(geoms: np.ndarray) -> np.ndarray:
    """Present, not empty, within lon/lat ranges and valid: what `_geometry_error` checks
    beyond the type, for every geometry at once."""
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    west, south, east, north = shapely.bounds(geoms).T
    with np.errstate(invalid="ignore"):  # NaN bounds of missing geometries compare False
        in_range = (west >= -180) & (west <= east) & (east <= 180)
        in_range &= (south >= -90) & (south <= north) & (north <= 90)
    return present & in_range & shapely.is_valid(geoms)


def _geometry_error(geom: shapely.Geometry | None, allowed_types: Collection[str]) -> str | None:
    if geom is None or geom.is_empty:
        return "missing geometry"
    if geom.geom_type not in allowed_types:
        return f"{geom.geom_type} not accepted here (expected {' or '.join(allowed_types)})"
    west, south, east, north = geom.bounds
    if not (
        np.isfinite([west, south, east, north]).all()
        and -180 <= west <= east <= 180
        and -90 <= south <= north <= 90
    ):
        return f"coordinate out of range (lon {west:g}…{east:g}, lat {south:g}…{north:g})"
    if not geom.is_valid:
        return f"invalid geometry: {shapely.is_valid_reason(geom)}"
    return None
