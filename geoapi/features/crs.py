"""OGC API - Features Part 2: the CRSs offered for output (`crs`) and for `bbox-crs`."""

from dataclasses import dataclass
from functools import lru_cache

from pyproj import Transformer

from geoapi.errors import InvalidParameter

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326_URI = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG3857_URI = "http://www.opengis.net/def/crs/EPSG/0/3857"


@dataclass(frozen=True)
class OutputCrs:
    """A CRS we can answer in: its SRID, whether axis order is lat/lon, and useful decimals."""

    uri: str
    srid: int
    lat_lon: bool
    decimals: int


CRS84 = OutputCrs(CRS84_URI, 4326, lat_lon=False, decimals=7)
SUPPORTED = {
    CRS84_URI: CRS84,
    # EPSG:4326 is latitude first, as its definition says (Part 2, /req/crs/crs-axis-order).
    EPSG4326_URI: OutputCrs(EPSG4326_URI, 4326, lat_lon=True, decimals=7),
    EPSG3857_URI: OutputCrs(EPSG3857_URI, 3857, lat_lon=False, decimals=2),
}
ALIASES = {
    "CRS84": CRS84_URI,
    "OGC:CRS84": CRS84_URI,
    "EPSG:4326": EPSG4326_URI,
    "EPSG:3857": EPSG3857_URI,
}


def parse_crs(value: str | None, parameter: str) -> OutputCrs:
    """A CRS URI (or short alias) we support, else a 400 listing the supported ones."""
    if value is None:
        return CRS84
    uri = ALIASES.get(value.strip("[]"), value.strip("[]"))
    if uri not in SUPPORTED:
        raise InvalidParameter(
            f"{parameter} {value!r} is not supported; use one of: {', '.join(SUPPORTED)}"
        )
    return SUPPORTED[uri]


@lru_cache(maxsize=8)
def _to_lonlat(srid: int) -> Transformer:
    return Transformer.from_crs(srid, 4326, always_xy=True)


def bbox_to_crs84(values: list[float], crs: OutputCrs) -> tuple[float, float, float, float]:
    """A bbox given in `crs` as CRS84 west, south, east, north."""
    if crs.lat_lon:
        south, west, north, east = values
        return west, south, east, north
    if crs.srid == 4326:
        west, south, east, north = values
        return west, south, east, north
    left, bottom, right, top = values
    return _to_lonlat(crs.srid).transform_bounds(left, bottom, right, top)
