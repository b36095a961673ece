"""Collections' extents: computed from the data, remembered for `extent_cache_seconds`.

GDAL (and so QGIS and geopandas through it) takes a layer's bounds from `/collections`;
without them it pages through the whole collection to find them. Computing them scans each
layer, so they are remembered for a while, per layer and caller scope.
"""

from fastapi import Request

from geoapi.catalog.registry import Layer
from geoapi.db.engine import Reader
from geoapi.features.queries import Extent, select_extent
from geoapi.ttlcache import TtlCache


async def extents_of(request: Request, read: Reader, layers: list[Layer]) -> dict[str, Extent]:
    """Each layer's extent by id, as its caller sees it; those not remembered are computed
    together in one read."""
    cache: TtlCache[Extent] = request.app.state.extent_cache
    extents: dict[str, Extent] = {}
    missing: list[Layer] = []
    for layer in layers:
        remembered = cache.get(_key(layer))
        if remembered is None:
            missing.append(layer)
        else:
            extents[layer.id] = remembered
    if missing:
        computed = await read(lambda connection: [select_extent(connection, m) for m in missing])
        for layer, extent in zip(missing, computed, strict=True):
            cache.put(_key(layer), extent)
            extents[layer.id] = extent
    return {layer.id: extents[layer.id] for layer in layers}


async def extent_of(request: Request, read: Reader, layer: Layer) -> Extent:
    """One layer's extent, as its caller sees it."""
    return (await extents_of(request, read, [layer]))[layer.id]


def _key(layer: Layer) -> tuple[str, tuple[object, ...]]:
    return layer.id, layer.scope_key
