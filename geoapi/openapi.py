"""The OpenAPI document as the service really answers: every error as RFC 9457 problem+json
with the statuses an operation can give, GeoJSON answers as objects, and no 422 (validation
errors are 400 here).

FastAPI declares 422 for every operation with parameters and knows nothing of the errors
our handlers and the request guard render, so the document is completed once, when first
asked for.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from geoapi.media import GEOJSON, PROBLEM_JSON

PROBLEM_DETAIL = {
    "type": "object",
    "description": "An RFC 9457 problem document (OGC API exception shape).",
    "required": ["title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "OGC API exception code"},
    },
    "additionalProperties": True,
}
GEOJSON_OBJECT = {
    "type": "object",
    "description": "A GeoJSON Feature or FeatureCollection (RFC 7946), geometries in CRS84.",
    "required": ["type"],
    "properties": {"type": {"type": "string", "enum": ["Feature", "FeatureCollection"]}},
    "additionalProperties": True,
}
# Every operation: bad input, a key missing or refused, the path unknown, the URL too long,
# a database that is down, slow or busy. Writes also: conflicts, stale versions, bodies.
ANY_OPERATION = {
    "400": "Invalid parameter or body (the detail names it)",
    "401": "An API key is required, or the one given is unknown or revoked",
    "403": "The caller's role or scope does not allow this",
    "404": "No such resource (or none within the caller's scope)",
    "414": "Query string too long",
    "500": "Internal error (logged; no details are given)",
    "503": "Database unavailable, busy, or the query ran past its time limit",
}
WRITES = {
    "409": "Not allowed in the resource's current state",
    "412": "If-Match names a version that is no longer current",
    "413": "Body too large",
    "415": "Upload of an unsupported type",
}
PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}
# Open311 GeoReport v2 errors: a list of {code, description}, in JSON or XML like its answers.
OPEN311_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
OPEN311_ERROR_CONTENT = {
    "application/json": {"schema": OPEN311_ERRORS},
    "text/xml": {"schema": {"type": "string"}},
}
WRITE_METHODS = ("post", "put", "patch", "delete")


def install(
    app: FastAPI,
    error_content: dict[str, Any] = PROBLEM_CONTENT,
    success_types: tuple[str, ...] = (),
) -> None:
    """Serve the completed document at the app's /openapi.json and to /docs: errors in
    `error_content`, successful answers also in `success_types` (Open311's XML)."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            generated = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = complete(generated, error_content, success_types)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def complete(
    document: dict[str, Any],
    error_content: dict[str, Any] = PROBLEM_CONTENT,
    success_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Add the error responses and the GeoJSON schemas to every operation of `document`."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["ProblemDetail"] = PROBLEM_DETAIL
    schemas["GeoJSON"] = GEOJSON_OBJECT
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, response in responses.items():
                if status.startswith("2") and success_types:
                    content = response.setdefault("content", {})
                    for media_type in success_types:
                        content.setdefault(media_type, {"schema": {"type": "string"}})
            errors = ANY_OPERATION | (WRITES if method in WRITE_METHODS else {})
            for status, description in errors.items():
                responses.setdefault(status, {"description": description, "content": error_content})
            for response in responses.values():
                geojson = response.get("content", {}).get(GEOJSON)
                if geojson is not None:
                    geojson["schema"] = {"$ref": "#/components/schemas/GeoJSON"}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and body.get("schema", {}).get("type") == "object":
                body["schema"] = {"$ref": "#/components/schemas/GeoJSON"}  # a Feature body
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document
