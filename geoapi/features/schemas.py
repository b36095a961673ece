"""JSON Schema of a layer's queryables, from the reflected column types."""

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric
from sqlalchemy.dialects.postgresql import UUID

from geoapi.catalog.registry import Layer

GEOMETRY_SCHEMA = {
    "$ref": "https://geojson.org/schema/Geometry.json",
    "x-ogc-role": "primary-geometry",
}


def _schema(column_type: Any) -> dict[str, Any]:
    if isinstance(column_type, Boolean):
        return {"type": "boolean"}
    if isinstance(column_type, Integer):
        return {"type": "integer"}
    if isinstance(column_type, Float | Numeric):
        return {"type": "number"}
    if isinstance(column_type, DateTime):
        return {"type": "string", "format": "date-time"}
    if isinstance(column_type, Date):
        return {"type": "string", "format": "date"}
    if isinstance(column_type, UUID):
        return {"type": "string", "format": "uuid"}
    if isinstance(column_type, Geometry):
        return GEOMETRY_SCHEMA
    return {"type": "string"}


def property_type(layer: Layer, name: str) -> str:
    """The JSON type of a property (TileJSON `fields`)."""
    return str(_schema(layer.column(name).type).get("type", "string"))


def queryables(layer: Layer, self_url: str) -> dict[str, Any]:
    """The `/queryables` document (OGC API - Features Part 3, JSON Schema 2020-12)."""
    return _document(layer, self_url, layer.definition.queryable_names)


def properties_schema(layer: Layer, self_url: str) -> dict[str, Any]:
    """The `/schema` document (OGC API - Features Part 5): every property a feature carries,
    with its exact type."""
    return _document(layer, self_url, layer.definition.properties)


def geojson_feature_schema(layer: Layer, self_url: str) -> dict[str, Any]:
    """One feature as GeoJSON, as JSON Schema: what `describedby` points at. GDAL types the
    fields by the `properties` member of such a schema instead of guessing them from the
    first page (where a column of nulls becomes text and 0.0128 hours the integer 0)."""
    fields = properties_schema(layer, self_url)["properties"]
    geometry = fields.pop("geometry")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": self_url,
        "title": layer.definition.title,
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": ["string", "integer"]},
            "geometry": geometry,
            "properties": {"type": "object", "properties": fields},
        },
    }


def _document(layer: Layer, self_url: str, names: list[str]) -> dict[str, Any]:
    properties = {name: {"title": name, **_schema(layer.column(name).type)} for name in names}
    properties["geometry"] = GEOMETRY_SCHEMA
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": self_url,
        "type": "object",
        "title": layer.definition.title,
        "properties": properties,
        "additionalProperties": False,
    }
