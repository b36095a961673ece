"""Today's routes and their progress as a layer of the planners' map (`/map`): each route's
legs, and its stops green once visited, red while left."""

import json
from datetime import datetime

import folium
from sqlalchemy import Connection, text

from geoapi.auth.principal import Principal
from geoapi.map import display
from geoapi.map.basemaps import Basemap
from geoapi.patrol.stored import route_document, route_legs, route_title
from geoapi.settings import Settings

TODAY = """
SELECT r.id FROM routes r JOIN teams t ON t.id = r.team_id
 WHERE r.day = :day AND (CAST(:team AS text) IS NULL OR t.code = :team)
   AND r.created_at = (SELECT max(x.created_at) FROM routes x
                        WHERE x.team_id = r.team_id AND x.day = r.day)
 ORDER BY r.team_id, r.inspector
"""
VISITED, LEFT = "#27ae60", "#c0392b"


def add_today_routes(
    fmap: folium.Map,
    connection: Connection,
    principal: Principal,
    basemap: Basemap,
    settings: Settings,
) -> str | None:
    """Add each team's newest plan for today, a route per inspector it sends out (an
    inspector: its own team's); the layer's name with the stops done and left, or None when
    no route is planned today."""
    day = datetime.now(settings.zone).date()
    team = (principal.team_code or "") if principal.role == "inspector" else None
    ids = connection.scalars(text(TODAY), {"day": day, "team": team}).all()
    if not ids:
        return None
    group = folium.FeatureGroup(name="placeholder", show=True)
    done = left = 0
    for route_id in ids:
        route = route_document(connection, route_id, settings.timezone)
        done, left = done + route["progress"]["done"], left + route["progress"]["left"]
        for feature in json.loads(route_legs(connection, route_id))["features"]:
            if feature["properties"]["kind"] == "leg" and feature["geometry"]:
                rows = [[lat, lon] for lon, lat in feature["geometry"]["coordinates"]]
                folium.PolyLine(
                    display.shift_rows(rows, basemap.datum),
                    color="#2c3e50",
                    weight=3,
                    opacity=0.8,
                    tooltip=route_title(route),
                ).add_to(group)
        for stop in route["stops"]:
            lon, lat = stop["position"]
            (row,) = display.shift_rows([[lat, lon]], basemap.datum)
            folium.CircleMarker(
                row,
                radius=7,
                weight=2,
                color="#fff",
                fill=True,
                fill_opacity=0.95,
                fill_color=VISITED if stop["visited_at"] else LEFT,
                tooltip=f"{route_title(route)} {stop['seq']}. {stop['name'] or ''}",
            ).add_to(group)
    group.layer_name = f"今日巡查路线 routes today (已到 {done}, 未到 {left})"
    group.add_to(fmap)
    return group.layer_name
