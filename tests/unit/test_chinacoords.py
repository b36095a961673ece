import numpy as np
import pytest
from pyproj import Geod

from geoapi.chinacoords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")

# Published vectors: wandergis/coordtransform README and test/app.js (Tiananmen area),
# the R package test "wgs 2 gcj" (39.90734, 116.39089), and Beijing railway station as
# given in the R docs (GCJ-02 39.90245, 116.42703 ↔ BD-09 39.90851, 116.43351).
VECTORS = [
    (wgs84_to_gcj02, (116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    (wgs84_to_gcj02, (116.39089, 39.90734), (116.39713094, 39.90874107)),
    (gcj02_to_bd09, (116.404, 39.915), (116.41036949371029, 39.92133699351021)),
    (bd09_to_gcj02, (116.404, 39.915), (116.39762729119315, 39.90865673957631)),
    (gcj02_to_wgs84, (116.404, 39.915), (116.39775550083061, 39.91359571849836)),
    (gcj02_to_bd09, (116.42703, 39.90245), (116.43351, 39.90851)),
    (bd09_to_gcj02, (116.43351, 39.90851), (116.42703, 39.90245)),
]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


@pytest.mark.parametrize(("convert", "given", "expected"), VECTORS)
def test_published_vectors_within_one_metre(convert, given, expected):
    lon, lat = convert(np.array([given[0]]), np.array([given[1]]))
    assert metres((lon[0], lat[0]), expected) < 1.0


def test_gcj02_inverse_round_trips_to_a_millimetre():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(100, 125, 500), rng.uniform(20, 45, 500)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert max(metres((a, b), (c, d)) for a, b, c, d in zip(lon, lat, *back, strict=False)) < 0.001


def test_bd09_round_trip_within_a_metre():
    lon, lat = np.array([117.05, 121.47]), np.array([36.66, 31.23])
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert all(metres((a, b), (c, d)) < 1.0 for a, b, c, d in zip(lon, lat, *back, strict=False))


def test_no_offset_outside_china():
    lon, lat = wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))
    assert (lon[0], lat[0]) == (2.35, 48.85)


def test_offset_inside_china_is_hundreds_of_metres():
    lon, lat = wgs84_to_gcj02(np.array([117.05]), np.array([36.66]))
    assert 100 < metres((117.05, 36.66), (lon[0], lat[0])) < 1000
