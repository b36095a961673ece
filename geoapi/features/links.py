"""Links and response documents of OGC API - Features; the JSON of features stays as text."""

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from geoapi.catalog.registry import Layer
from geoapi.features.crs import SUPPORTED
from geoapi.features.params import Cursor
from geoapi.features.queries import Extent, FeaturePage
from geoapi.media import GEOJSON

JSON_TYPE = "application/json"
SCHEMA_TYPE = "application/schema+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class GeoJSONResponse(Response):
    """A response whose body is GeoJSON (text PostGIS already wrote)."""

    media_type = GEOJSON


def link(href: str, rel: str, type_: str = JSON_TYPE, title: str | None = None) -> dict[str, str]:
    """One link object."""
    item = {"href": href, "rel": rel, "type": type_}
    return item | {"title": title} if title else item


def url_for(request: Request, name: str, **params: str) -> str:
    """Absolute URL of a route (behind a proxy, set --proxy-headers on uvicorn)."""
    return str(request.url_for(name, **params))


def collection_doc(request: Request, layer: Layer, extent: Extent) -> dict[str, Any]:
    """The `/collections/{id}` document (also each entry of `/collections`)."""
    definition = layer.definition
    doc: dict[str, Any] = {
        "id": layer.id,
        "title": definition.title,
        "description": definition.description,
        "itemType": "feature",
        "crs": list(SUPPORTED),
        "storageCrs": CRS84,
        "links": [
            link(url_for(request, "getCollection", collectionId=layer.id), "self"),
            link(
                url_for(request, "getFeatures", collectionId=layer.id),
                "items",
                GEOJSON,
                f"{definition.title} (GeoJSON)",
            ),
            link(
                url_for(request, "getQueryables", collectionId=layer.id),
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
            ),
            link(
                url_for(request, "getSchema", collectionId=layer.id),
                "http://www.opengis.net/def/rel/ogc/1.0/schema",
                SCHEMA_TYPE,
            ),
            link(
                url_for(request, "getFeatureSchema", collectionId=layer.id),
                "describedby",
                SCHEMA_TYPE,
            ),
        ],
    }
    bbox, interval = extent
    if bbox is None:  # no rows: no extent (it is optional; an empty bbox list is invalid)
        return doc
    doc["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    if interval is not None:
        doc["extent"]["temporal"] = {"interval": [interval]}
    return doc


def page_links(request: Request, page: FeaturePage) -> list[dict[str, str]]:
    """self, next and prev links; next/prev carry a keyset cursor, not an offset."""
    links = [link(str(request.url), "self", GEOJSON)]
    if page.more_after and page.last_key is not None:
        links.append(link(_with_cursor(request, Cursor(page.last_key)), "next", GEOJSON))
    if page.more_before and page.first_key is not None:
        links.append(
            link(_with_cursor(request, Cursor(page.first_key, backward=True)), "prev", GEOJSON)
        )
    return links


def _with_cursor(request: Request, cursor: Cursor) -> str:
    params = dict(request.query_params) | {"cursor": cursor.encode()}
    return str(request.url.replace_query_params(**params))


def feature_collection(
    request: Request, page: FeaturePage, media_type: str, crs_uri: str = CRS84
) -> Response:
    """The /items document, around the features PostGIS wrote (never parsed or decoded here)."""
    tail: dict[str, Any] = {"numberMatched": page.matched} if page.matched is not None else {}
    tail |= {
        "numberReturned": page.returned,
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": page_links(request, page),
    }
    body = b"".join(
        [
            b'{"type":"FeatureCollection","features":',
            page.features,
            b",",
            json.dumps(tail, ensure_ascii=False)[1:].encode(),
        ]
    )
    return Response(body, media_type=media_type, headers={"Content-Crs": f"<{crs_uri}>"})
