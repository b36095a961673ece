"""The printable route sheet (巡查路线单): team, day, times, a drawn map of the route and the
stops in order with what to do, a tick box, a QR code and navigation links per stop. One
self-contained page: the map is SVG drawn here and the QR codes are inline (no tiles, no
requests), so it prints and works offline."""

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import segno

from geoapi.documents import render
from geoapi.inspections.checklists import Checklist, Checklists
from geoapi.issues.photos import thumbnail_uris
from geoapi.patrol.navigation import nav_links

MAP_WIDTH, MAP_HEIGHT, MARGIN = 680, 420, 24
REASONS = {
    "verify": "核查销号",
    "overdue": "逾期巡查",
    "never_inspected": "首次巡查",
    "due": "到期巡查",
    "requested": "指定点位",
}
MODES = {"walk": "步行", "ebike": "电动车", "car": "汽车"}


def route_sheet(
    route: dict[str, Any],
    legs: dict[str, Any],
    checklists: Checklists,
    zone: ZoneInfo,
    photos_dir: Path,
) -> str:
    """The HTML page of one stored route (its JSON document and its GeoJSON legs); a problem
    to verify shows its photos (before and after rectification) as thumbnails."""
    stops = []
    for stop, links, checklist in stops_to_show(route, checklists):
        stops.append(
            stop
            | {
                "links": links,
                "qr": segno.make(str(links["amap"]), error="m").svg_data_uri(scale=2, border=1),
                "task": REASONS[stop["reason"]],
                "checklist": checklist.title if checklist else None,
                "arrival_local": local_time(stop["arrival"], zone),
                "thumbnails": thumbnail_uris(photos_dir, stop["photos"]),
            }
        )
    return render(
        "route_sheet.html",
        route=route,
        stops=stops,
        mode=MODES[route["mode"]],
        shift_start=local_time(route["shift_start"], zone),
        shift_end=local_time(route["shift_end"], zone),
        planned_end=local_time(route["planned_end"], zone),
        svg=route_svg(route, legs),
    )


def stops_to_show(
    route: dict[str, Any], checklists: Checklists
) -> list[tuple[dict[str, Any], dict[str, object], Checklist | None]]:
    """Each stop of a route with its navigation links and the checklist in force that day:
    what the printed sheet and the phone page both show."""
    day = date.fromisoformat(route["date"])
    shown = []
    for stop in route["stops"]:
        lon, lat = stop["position"]
        links = nav_links(lon, lat, stop["name"] or "", route["mode"])
        checklist = checklists.current(stop["category"], day) if stop["category"] else None
        shown.append((stop, links, checklist))
    return shown


def local_time(value: str, zone: ZoneInfo) -> str:
    """An ISO timestamp as HH:MM local time."""
    return datetime.fromisoformat(value).astimezone(zone).strftime("%H:%M")


def route_svg(route: dict[str, Any], legs: dict[str, Any]) -> str:
    """The route's legs as lines and its stops as numbered dots, in an equirectangular view."""
    lines = [
        np.asarray(f["geometry"]["coordinates"], dtype=float)
        for f in legs["features"]
        if f["properties"]["kind"] == "leg" and f["geometry"]
    ]
    stops = [(s["seq"], *s["position"]) for s in route["stops"]]
    base = route["start"]["position"]
    every = np.vstack([*lines, np.array([base]), *[np.array([s[1:]]) for s in stops]])
    west, south = every.min(axis=0)
    east, north = every.max(axis=0)
    x_scale = np.cos(np.radians((south + north) / 2))
    span = max((east - west) * x_scale, north - south, 1e-6)
    unit = min(MAP_WIDTH - 2 * MARGIN, MAP_HEIGHT - 2 * MARGIN) / span

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return MARGIN + (lon - west) * x_scale * unit, MAP_HEIGHT - MARGIN - (lat - south) * unit

    paths = "".join(
        '<polyline points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(*p) for p in line))
        + '"/>'
        for line in lines
    )
    bx, by = xy(*base)
    dots = "".join(
        f'<g><circle cx="{x:.1f}" cy="{y:.1f}" r="9"/><text x="{x:.1f}" y="{y + 3.5:.1f}">'
        f"{seq}</text></g>"
        for seq, x, y in ((s[0], *xy(s[1], s[2])) for s in stops)
    )
    return (
        f'<svg class="route-map" viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" role="img" '
        f'aria-label="路线图"><g class="legs">{paths}</g>'
        f'<rect class="base" x="{bx - 8:.1f}" y="{by - 8:.1f}" width="16" height="16"/>'
        f'<g class="stops">{dots}</g></svg>'
    )
