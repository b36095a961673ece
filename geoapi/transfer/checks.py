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
    errors = []
    geoms = frame.geometry.to_numpy()
    for row, geom in enumerate(geoms, start=1):
        if row in skip_rows:
            continue
        error = _geometry_error(geom, allowed_types)
        if error:
            errors.append(RowError(row, "geometry", error))
    return errors


def inside_city(
    connection: Connection, frame: gpd.GeoDataFrame, skip_rows: Collection[int] = ()
) -> list[RowError]:
    """Rows whose geometry lies outside the city's areas (`boundary`), by a point on it."""
    rows = [
        row
        for row, geom in enumerate(frame.geometry.to_numpy(), start=1)
        if row not in skip_rows
        and geom is not None
        and _geometry_error(geom, (geom.geom_type,)) is None
    ]
    where = [frame.geometry.iat[row - 1].representative_point() for row in rows]
    far = boundary.outside(connection, [p.x for p in where], [p.y for p in where])
    return [
        RowError(rows[n - 1], "geometry", "outside the city's areas (WGS 84 lon/lat?)") for n in far
    ]


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
