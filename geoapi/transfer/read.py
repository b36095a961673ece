"""Read GeoJSON, GeoPackage, Shapefile or lon/lat CSV into a GeoDataFrame in WGS 84."""

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geoapi.chinacoords import CHINESE_DATUMS, coords_to_wgs84
from geoapi.transfer.row_errors import RowError

LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
CSV_SUFFIXES = (".csv", ".txt")


class UnreadableFile(Exception):
    """The file as a whole cannot be read (format, CRS, missing columns)."""


@dataclass(frozen=True)
class ReadResult:
    """Rows read from a file: attributes, WGS 84 geometry, and errors found while reading.

    `frame` keeps one row per input row (index 0..n-1), in file order, with `geometry` None
    where it could not be built; `errors` names those rows.
    """

    frame: gpd.GeoDataFrame
    errors: list[RowError]
    source_crs: str
    original: pd.DataFrame  # the rows as the file has them, for a rejects file


def parse_crs(crs: str | None) -> str | None:
    """Validate a user's CRS option: an EPSG/WKT/PROJ string pyproj knows, or gcj02/bd09."""
    if crs is None or crs.lower() in CHINESE_DATUMS:
        return crs.lower() if crs else None
    try:
        CRS.from_user_input(crs)
    except CRSError as exc:
        raise UnreadableFile(
            f"unknown CRS {crs!r}: give an EPSG code (e.g. EPSG:4490), gcj02 or bd09"
        ) from exc
    return crs


def read_file(path: Path, crs: str | None = None, layer: str | None = None) -> ReadResult:
    """Read `path`; `crs` overrides (or supplies) the file's CRS."""
    if not path.exists():
        raise UnreadableFile(f"{path}: no such file")
    crs = parse_crs(crs)
    if path.suffix.lower() in CSV_SUFFIXES:
        original, frame, errors = _read_csv(path)
        file_crs: str | None = None
    else:
        try:
            frame = gpd.read_file(path, layer=layer, engine="pyogrio")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise UnreadableFile(f"{path}: {exc}") from exc
        errors = []
        file_crs = frame.crs.to_string() if frame.crs else None
        frame = frame.reset_index(drop=True)
        original = pd.DataFrame(frame).assign(geometry=frame.geometry.to_wkt())
    source = crs or file_crs or "EPSG:4326"
    return ReadResult(_to_wgs84(frame, source), errors, source, original)


def _column(frame: pd.DataFrame, names: tuple[str, ...], what: str, path: Path) -> str:
    lowered = {str(c).strip().lower(): c for c in frame.columns}
    for name in names:
        if name in lowered:
            return str(lowered[name])
    raise UnreadableFile(f"{path}: no {what} column (expected one of: {', '.join(names)})")


def _read_csv(path: Path) -> tuple[pd.DataFrame, gpd.GeoDataFrame, list[RowError]]:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise UnreadableFile(f"{path}: not a readable UTF-8 CSV file ({exc})") from exc
    lon_col = _column(raw, LON_NAMES, "longitude", path)
    lat_col = _column(raw, LAT_NAMES, "latitude", path)
    lon = pd.to_numeric(raw[lon_col].str.strip(), errors="coerce")
    lat = pd.to_numeric(raw[lat_col].str.strip(), errors="coerce")
    errors = [
        RowError(int(row) + 1, col, f"{raw.at[row, col]!r} is not a number")
        for col, values in ((lon_col, lon), (lat_col, lat))
        for row in np.flatnonzero(values.isna().to_numpy())
    ]
    ok = (lon.notna() & lat.notna()).to_numpy()
    geometry = np.full(len(raw), None, dtype=object)
    geometry[ok] = shapely.points(lon[ok].to_numpy(), lat[ok].to_numpy())
    attributes = raw.drop(columns=[lon_col, lat_col])
    return raw, gpd.GeoDataFrame(attributes, geometry=geometry, crs=None), errors


def _to_wgs84(frame: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    if source in CHINESE_DATUMS:
        geoms = frame.geometry.to_numpy()
        present = ~pd.isna(geoms)
        converted = geoms.copy()
        converted[present] = shapely.transform(geoms[present], coords_to_wgs84(source))
        return frame.set_geometry(gpd.GeoSeries(converted, index=frame.index, crs="EPSG:4326"))
    frame = frame.set_crs(source, allow_override=True)
    return frame.to_crs("EPSG:4326") if not CRS(source).equals(CRS("EPSG:4326")) else frame
