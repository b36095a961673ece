"""Reading a stored route back: its JSON document with progress, and its legs as GeoJSON."""

import json
from typing import Any

from sqlalchemy import Connection, text

from geoapi.patrol import queries


def route_document(connection: Connection, route_id: int, timezone: str) -> dict[str, Any]:
    """The route's JSON document with its progress: stops done and left, and how late the
    last visited stop was against the plan (minutes; negative: early)."""
    route = json.loads(connection.scalar(text(queries.ROUTE), {"id": route_id, "tz": timezone}))
    visited = [s for s in route["stops"] if s["visited_at"]]
    route["progress"] = {
        "done": len(visited),
        "left": len(route["stops"]) - len(visited),
        "late_min": visited[-1]["late_min"] if visited else None,
    }
    return route


def route_legs(connection: Connection, route_id: int) -> str:
    """The route's stops and legs as GeoJSON text (made in PostGIS)."""
    return connection.scalar(text(queries.ROUTE_GEOJSON), {"id": route_id})


def route_title(route: dict[str, Any]) -> str:
    """The team's name, and which of its inspectors when it sent out several."""
    if route["inspectors"] > 1:
        return f"{route['team_name']} 巡查员 {route['inspector']}/{route['inspectors']}"
    return route["team_name"]
