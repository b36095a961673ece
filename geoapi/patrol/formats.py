"""A stored route (its JSON document) as GPX for navigation apps and as CSV for a spreadsheet."""

import csv
import io
from datetime import datetime
from typing import Any

import gpxpy.gpx

CSV_COLUMNS = (
    ("seq", "序号"),
    ("arrival", "计划到达"),
    ("point", "点位编码"),
    ("name", "点位名称"),
    ("category", "类别"),
    ("reason", "事由"),
    ("service_min", "停留分钟"),
    ("leg_m", "路程米"),
    ("lon", "经度"),
    ("lat", "纬度"),
    ("visited_at", "实际到达"),
)


def gpx(route: dict[str, Any], legs: dict[str, Any]) -> str:
    """Waypoints for the stops (in order) and one track along the legs (GPX 1.1)."""
    doc = gpxpy.gpx.GPX()
    doc.name = f"{route['team_name']} {route['date']}"
    doc.creator = "geoapi"
    for stop in route["stops"]:
        lon, lat = stop["position"]
        doc.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=lat,
                longitude=lon,
                name=f"{stop['seq']}. {stop['name'] or stop['point'] or ''}",
                time=datetime.fromisoformat(stop["arrival"]),
                description=f"{stop['reason']} {stop['point'] or ''}".strip(),
            )
        )
    track = gpxpy.gpx.GPXTrack(name=doc.name)
    segment = gpxpy.gpx.GPXTrackSegment()
    for feature in legs["features"]:
        if feature["properties"]["kind"] == "leg" and feature["geometry"]:
            for lon, lat in feature["geometry"]["coordinates"]:
                segment.points.append(gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon))
    track.segments.append(segment)
    doc.tracks.append(track)
    return doc.to_xml(version="1.1")


def to_csv(route: dict[str, Any]) -> str:
    """One row per stop with Chinese headers, UTF-8 with BOM so spreadsheet programs read it."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([title for _, title in CSV_COLUMNS])
    for stop in route["stops"]:
        lon, lat = stop["position"]
        values = stop | {"lon": lon, "lat": lat}
        writer.writerow(["" if values.get(key) is None else values[key] for key, _ in CSV_COLUMNS])
    return out.getvalue()
