"""Basemaps: OpenStreetMap, Amap/Gaode (GCJ-02), Tianditu, an intranet XYZ server, or none."""

from dataclasses import dataclass

import folium

from geoapi.errors import InvalidParameter
from geoapi.settings import Settings

MAX_ZOOM = 18  # street level; deeper zooms are stretched from it


@dataclass(frozen=True)
class Basemap:
    """A tile source and the datum its tiles are drawn in (overlays are converted to it)."""

    name: str
    tiles: str | None
    attribution: str
    datum: str = "wgs84"  # or "gcj02": Chinese web maps shift coordinates by law
    subdomains: str = "abc"


def basemaps(settings: Settings) -> dict[str, Basemap]:
    """The basemaps this deployment offers (Tianditu and custom only when configured)."""
    offered = {
        "osm": Basemap(
            "OpenStreetMap",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "&copy; OpenStreetMap contributors",
        ),
        "amap": Basemap(
            "高德地图 Amap",
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}",
            "&copy; 高德地图 AutoNavi",
            datum="gcj02",
            subdomains="1234",
        ),
        "blank": Basemap("空白 (no network)", None, ""),
    }
    if settings.map_tianditu_key:
        offered["tianditu"] = Basemap(
            "天地图 Tianditu",
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
            f"&TILECOL={{x}}&tk={settings.map_tianditu_key}",
            "&copy; 天地图 Tianditu",
            subdomains="01234567",
        )
    if settings.map_tile_url:
        offered["custom"] = Basemap(  # Leaflet wants an attribution: the name when none given
            "内网底图 (intranet)",
            settings.map_tile_url,
            settings.map_tile_attribution or "内网底图",
        )
    return offered


def choose(settings: Settings, name: str | None) -> Basemap:
    """The basemap asked for (default from settings), or 400 naming what is offered."""
    offered = basemaps(settings)
    key = name or settings.map_basemap
    if key not in offered:
        raise InvalidParameter(f"basemap: {key!r} not offered; choose one of {', '.join(offered)}")
    return offered[key]


def add_to(fmap: folium.Map, basemap: Basemap) -> None:
    """Put the basemap under the overlays (a blank one adds nothing: no request at all)."""
    if basemap.tiles is None:
        return
    folium.TileLayer(
        basemap.tiles,
        name=basemap.name,
        attr=basemap.attribution,
        subdomains=basemap.subdomains,
        max_zoom=19,
        max_native_zoom=MAX_ZOOM,
        control=False,
    ).add_to(fmap)
