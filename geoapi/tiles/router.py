"""`/collections/{id}/tiles/WebMercatorQuad/...`: vector tiles and TileJSON, cacheable by URL."""

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import Response

from geoapi.catalog.registry import LayerDep
from geoapi.db.engine import ReaderDep
from geoapi.errors import InvalidParameter, NotFound
from geoapi.features.extents import extent_of
from geoapi.features.schemas import property_type
from geoapi.tiles import queries

router = APIRouter(tags=["Vector tiles"])
MVT = "application/vnd.mapbox-vector-tile"
ZoomPath = Annotated[int, Path(ge=0, le=24, description="Zoom level")]
IndexPath = Annotated[int, Path(ge=0, description="Tile column or row")]


@router.get(
    "/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{x}/{y}",
    operation_id="getTile",
    name="getTile",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, 204: {"description": "Empty tile"}},
)
async def get_tile(
    request: Request,
    read: ReaderDep,
    layer: LayerDep,
    z: ZoomPath,
    x: IndexPath,
    y: IndexPath,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One Mapbox Vector Tile; 204 when empty, 304 when the client's ETag still matches."""
    if x >= 2**z or y >= 2**z:
        raise InvalidParameter(f"tile {z}/{x}/{y} does not exist: x and y must be below {2**z}")
    definition = layer.definition
    if not definition.min_zoom <= z <= definition.max_zoom:
        raise NotFound(
            f"collection {layer.id!r} has tiles at zoom "
            f"{definition.min_zoom}–{definition.max_zoom} only"
        )
    # Hashed in the worker thread too: a dense tile is megabytes, the event loop keeps serving.
    data, etag = await read(
        lambda connection: _with_etag(queries.select_tile(connection, layer, z, x, y))
    )
    # Tiles of unpublished layers differ by caller: browsers may keep them, proxies may not.
    audience = "public" if layer.public else "private"
    headers = {
        "Cache-Control": f"{audience}, max-age={request.app.state.settings.tile_max_age}",
        "Vary": "X-API-Key",
    }
    if not data:
        return Response(status_code=204, headers=headers)
    headers["ETag"] = etag
    if if_none_match == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=MVT, headers=headers)


def _with_etag(data: bytes) -> tuple[bytes, str]:
    """The tile and its strong ETag (a hash of its bytes)."""
    return data, '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'


@router.get(
    "/collections/{collectionId}/tiles/WebMercatorQuad/tilejson.json",
    operation_id="getTileJSON",
    name="getTileJSON",
)
async def tilejson(request: Request, layer: LayerDep, read: ReaderDep) -> dict[str, Any]:
    """TileJSON 3.0 describing the layer's vector tiles."""
    template = str(request.url_for("getTile", collectionId=layer.id, z="{z}", x="{x}", y="{y}"))
    template = template.replace("%7B", "{").replace("%7D", "}")
    bbox, _ = await extent_of(request, read, layer)
    fields = {name: property_type(layer, name) for name in layer.definition.tile_property_names}
    return {
        "tilejson": "3.0.0",
        "name": layer.definition.title,
        "tiles": [template],
        "minzoom": layer.definition.min_zoom,
        "maxzoom": layer.definition.max_zoom,
        "bounds": bbox or [-180, -85.0511, 180, 85.0511],
        "vector_layers": [
            {
                "id": layer.id,
                "fields": fields,
                "minzoom": layer.definition.min_zoom,
                "maxzoom": layer.definition.max_zoom,
            }
        ],
    }
