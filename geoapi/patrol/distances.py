"""Distance matrices between stops, in metres; no I/O."""

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def haversine_matrix(lonlat: np.ndarray) -> np.ndarray:
    """Great-circle metres between every pair of (lon, lat) rows."""
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
