"""Navigation links for the phones inspectors carry: Amap (Gaode) wants GCJ-02, Baidu BD-09;
both URLs open the app when installed and a web page otherwise."""

from urllib.parse import quote

import numpy as np

from geoapi.chinacoords import gcj02_to_bd09, wgs84_to_gcj02

AMAP_MODE = {"walk": "walk", "ebike": "ride", "car": "car"}
BAIDU_MODE = {"walk": "walking", "ebike": "riding", "car": "driving"}


def nav_links(lon: float, lat: float, name: str, mode: str) -> dict[str, object]:
    """Amap and Baidu navigation URLs to (lon, lat) in WGS 84, and the coordinates they carry."""
    glon, glat = (float(v[0]) for v in wgs84_to_gcj02(np.array([lon]), np.array([lat])))
    blon, blat = (float(v[0]) for v in gcj02_to_bd09(np.array([glon]), np.array([glat])))
    label = quote(name or "巡查点位")
    return {
        "gcj02": [round(glon, 7), round(glat, 7)],
        "bd09": [round(blon, 7), round(blat, 7)],
        "amap": (
            f"https://uri.amap.com/navigation?to={glon:.7f},{glat:.7f},{label}"
            f"&mode={AMAP_MODE[mode]}&coordinate=gaode&callnative=1"
        ),
        "baidu": (
            f"https://api.map.baidu.com/direction?destination=latlng:{blat:.7f},{blon:.7f}"
            f"|name:{label}&coord_type=bd09ll&mode={BAIDU_MODE[mode]}&output=html&src=geoapi"
        ),
    }
