"""Reading a stored route back: its JSON document with progress, and its legs as GeoJSON."""

import json
from typing import Any

from sqlalchemy import Connection, text

from geoapi.patrol import queries


def route_document(connection: Connection, route_id: int, timezone: str) -> dict[str, Any]:
    """The route's JSON document, with done/left counted from its stops."""
    route = json.loads(connection.scalar(text(queries.ROUTE), {"id": route_id, "tz": timezone}))
    done = sum(1 for s in route["stops"] if s["visited_at"])
    route["progress"] = {"done": done, "left": len(route["stops"]) - done}
    return route


def route_legs(connection: Connection, route_id: int) -> str:
    """The route's stops and legs as GeoJSON text (made in PostGIS)."""
    return connection.scalar(text(queries.ROUTE_GEOJSON), {"id": route_id})
