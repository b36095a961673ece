"""OGC API - Features endpoints: landing page, conformance, collections, items, queryables."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from geoapi.catalog import qgis
from geoapi.catalog.registry import LayerDep, LayersDep
from geoapi.db.engine import ReaderDep
from geoapi.errors import NotFound
from geoapi.features import links, queries
from geoapi.features.crs import parse_crs
from geoapi.features.extents import extent_of, extents_of
from geoapi.features.params import ItemsParameters, OutputParameters, items_query, parse_format
from geoapi.features.schemas import geojson_feature_schema, properties_schema, queryables
from geoapi.media import GEOJSON

router = APIRouter(tags=["OGC API - Features"])
FeatureIdPath = Annotated[str, Path(alias="featureId", description="Feature id")]

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
]


@router.get("/", operation_id="getLandingPage", name="getLandingPage")
def landing_page(request: Request) -> dict[str, Any]:
    """Entry point with links to the API definition, conformance and collections."""
    return {
        "title": "geoapi",
        "description": "Inspection points and problems of civilized-city campaigns (创城).",
        "links": [
            links.link(str(request.url), "self"),
            links.link(
                links.url_for(request, "getApi"),
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
            ),
            links.link(links.url_for(request, "swagger_ui_html"), "service-doc", "text/html"),
            links.link(links.url_for(request, "getConformance"), "conformance"),
            links.link(links.url_for(request, "getCollections"), "data"),
        ],
    }


@router.get("/api", operation_id="getApi", name="getApi", include_in_schema=False)
def api_definition(request: Request) -> JSONResponse:
    """The OpenAPI document of this service."""
    return JSONResponse(
        request.app.openapi(), media_type="application/vnd.oai.openapi+json;version=3.0"
    )


@router.get("/conformance", operation_id="getConformance", name="getConformance")
def conformance() -> dict[str, list[str]]:
    """Conformance classes this service implements."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", operation_id="getCollections", name="getCollections")
async def collections(request: Request, layers: LayersDep, read: ReaderDep) -> dict[str, Any]:
    """Every layer the caller may read, with its extent (GDAL takes layer bounds from here)."""
    extents = await extents_of(request, read, list(layers.values()))
    return {
        "links": [links.link(str(request.url), "self")],
        "collections": [
            links.collection_doc(request, layer, extents[layer.id]) for layer in layers.values()
        ],
    }


@router.get("/collections/{collectionId}", operation_id="getCollection", name="getCollection")
async def collection(request: Request, layer: LayerDep, read: ReaderDep) -> dict[str, Any]:
    """One collection with its spatial and temporal extent, computed from the data."""
    return links.collection_doc(request, layer, await extent_of(request, read, layer))


@router.get(
    "/collections/{collectionId}/queryables",
    operation_id="getQueryables",
    name="getQueryables",
    responses={200: {"content": {"application/schema+json": {}}}},
)
def get_queryables(request: Request, layer: LayerDep) -> JSONResponse:
    """Properties usable in filters and sortby, as JSON Schema."""
    return JSONResponse(queryables(layer, str(request.url)), media_type="application/schema+json")


@router.get(
    "/collections/{collectionId}/schema",
    operation_id="getSchema",
    name="getSchema",
    responses={200: {"content": {"application/schema+json": {}}}},
)
def get_schema(request: Request, layer: LayerDep) -> JSONResponse:
    """Every property of the features with its type, as JSON Schema (Part 5)."""
    return JSONResponse(
        properties_schema(layer, str(request.url)), media_type="application/schema+json"
    )


@router.get(
    "/collections/{collectionId}/schema/feature",
    operation_id="getFeatureSchema",
    name="getFeatureSchema",
    responses={200: {"content": {"application/schema+json": {}}}},
)
def get_feature_schema(request: Request, layer: LayerDep) -> JSONResponse:
    """One GeoJSON feature of the collection as JSON Schema (its `describedby`)."""
    return JSONResponse(
        geojson_feature_schema(layer, str(request.url)), media_type="application/schema+json"
    )


@router.get(
    "/collections/{collectionId}/styles/qgis",
    operation_id="getQgisStyle",
    name="getQgisStyle",
    responses={200: {"content": {"application/xml": {}}}},
)
async def get_qgis_style(
    layer: LayerDep,
    read: ReaderDep,
    by: Annotated[
        str | None,
        Query(description="The property to colour by (default: the catalog's colour property)"),
    ] = None,
) -> Response:
    """The collection's style as a QGIS QML file (Layer Properties → Style → Load Style)."""
    body = await read(lambda connection: qgis.qml(connection, layer, by))
    suffix = f"-{by}" if by else ""
    return Response(
        body,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{layer.id}{suffix}.qml"'},
    )


@router.get(
    "/collections/{collectionId}/items",
    operation_id="getFeatures",
    name="getFeatures",
    response_class=links.GeoJSONResponse,
)
async def items(
    request: Request,
    read: ReaderDep,
    layer: LayerDep,
    params: Annotated[ItemsParameters, Query()],
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """One page of a collection's features (GeoJSON), keyset-paged by next/prev links."""
    settings = request.app.state.settings
    query = items_query(layer, params, request.query_params, settings)
    media_type = _media_type(parse_format(params.f), accept)
    page = await read(lambda connection: queries.select_page(connection, layer, query))
    return links.feature_collection(request, page, media_type, query.crs.uri)


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    operation_id="getFeature",
    name="getFeature",
    response_class=links.GeoJSONResponse,
)
async def item(
    read: ReaderDep,
    layer: LayerDep,
    feature_id: FeatureIdPath,
    params: Annotated[OutputParameters, Query()],
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """One feature by id."""
    crs, media_type = parse_crs(params.crs, "crs"), _media_type(parse_format(params.f), accept)
    feature = await read(
        lambda connection: queries.select_feature(connection, layer, feature_id, crs)
    )
    if feature is None:
        raise NotFound(f"collection {layer.id!r} has no feature {feature_id!r}")
    return Response(feature, media_type=media_type, headers={"Content-Crs": f"<{crs.uri}>"})


def _media_type(fmt: str | None, accept: str | None) -> str:
    """geo+json, unless the client asked for plain JSON (f=json, or Accept without geo+json)."""
    if fmt == "json":
        return links.JSON_TYPE
    if fmt is None and accept and links.JSON_TYPE in accept and GEOJSON not in accept:
        return links.JSON_TYPE
    return GEOJSON
