"""The tiles' only SQL: one statement per tile, ST_AsMVT over the layer's rows."""

from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import UUID

from geoapi.catalog.registry import Layer

EXTENT = 4096
BUFFER = 64
HALF = 20037508.342789244  # half the Web Mercator world width, metres
WORLD = (-HALF, -HALF, HALF, HALF)


def _property(layer: Layer, name: str) -> Any:
    """MVT values are scalars: timestamps and uuids travel as text.

    A plain text cast (`2026-11-17 03:16:18+00`, the session runs in UTC) costs a quarter of
    `to_json` on a tile of thousands of features.
    """
    column = layer.column(name)
    if isinstance(column.type, DateTime | UUID):
        return cast(column, String).label(name)
    return column.label(name)


def has_integer_ids(layer: Layer) -> bool:
    """MVT feature ids must be unsigned integers; other ids travel as an `id` property."""
    return isinstance(layer.id_column.type, Integer)


def select_tile(connection: Connection, layer: Layer, z: int, x: int, y: int) -> bytes:
    """The tile's bytes (empty when no feature touches it)."""
    statement = layer.statements.get(("tile", layer.scope_key), lambda: _tile_statement(layer))
    data = connection.scalar(statement, {"z": z, "x": x, "y": y})
    return bytes(data or b"")


def _tile_statement(layer: Layer) -> Any:
    """ST_AsMVT over the rows in tile `:z/:x/:y`; built once per layer and caller's scope."""
    z, x, y = (bindparam(name, type_=Integer) for name in "zxy")
    envelope = func.ST_TileEnvelope(z, x, y)
    # Filter with the envelope (plus the clip buffer) in the layer's SRID so the GiST index is
    # used; transform only the rows that pass.
    margin = func.ST_TileEnvelope(z, x, y, func.ST_MakeEnvelope(*WORLD, 3857), BUFFER / EXTENT)
    search = func.ST_Transform(margin, layer.definition.source.srid)
    geometry = func.ST_AsMVTGeom(
        func.ST_Transform(layer.geom, 3857), envelope, EXTENT, BUFFER, True
    )
    ident = (
        layer.id_column.label("id")
        if has_integer_ids(layer)
        else cast(layer.id_column, String).label("id")
    )
    rows = (
        select(
            geometry.label("geom"),
            ident,
            *(_property(layer, name) for name in layer.definition.tile_property_names),
        )
        .where(*layer.fixed_filter, layer.geom.op("&&")(search))
        .subquery("tile_rows")
    )
    feature_id = "id" if has_integer_ids(layer) else None
    mvt = func.ST_AsMVT(
        literal_column("tile_rows"), layer.id, EXTENT, "geom", *([feature_id] if feature_id else [])
    )
    return select(mvt).select_from(rows)
