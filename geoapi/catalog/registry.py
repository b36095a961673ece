"""Bind layer definitions to reflected tables; resolve `collectionId` for requests."""

import threading
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import geoalchemy2  # noqa: F401 - registers the geometry type for reflection
from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Column, ColumnElement, Engine, MetaData, Table, text
from sqlalchemy.exc import NoSuchTableError

from geoapi.auth.dependency import PrincipalDep
from geoapi.auth.principal import Principal
from geoapi.catalog.load import CatalogError
from geoapi.catalog.model import LayerDef
from geoapi.db.statements import StatementCache
from geoapi.errors import Forbidden, NotFound, Unauthorized


@dataclass(frozen=True)
class Layer:
    """A layer definition with its table's columns; the only source of SQL identifiers."""

    definition: LayerDef
    table: Table
    public: bool = False  # readable without a key, every row
    scope: tuple[ColumnElement[bool], ...] = ()  # the caller's row filter (area or unit)
    scope_key: tuple[Any, ...] = ()  # that filter's SQL and values, as a hashable key
    # Statements of this layer by shape (and scope_key); scoped copies share it.
    statements: StatementCache = field(default_factory=StatementCache, compare=False)

    @property
    def id(self) -> str:
        """The collection id."""
        return self.definition.id

    @property
    def id_column(self) -> Column[Any]:
        """The feature id column."""
        return self.table.c[self.definition.source.id_column]

    @property
    def geom(self) -> Column[Any]:
        """The geometry column."""
        return self.table.c[self.definition.source.geometry_column]

    @property
    def datetime_column(self) -> Column[Any] | None:
        """The temporal property, if the layer has one."""
        name = self.definition.source.datetime_column
        return self.table.c[name] if name else None

    @property
    def fixed_filter(self) -> list[ColumnElement[bool]]:
        """The layer's own filter (trusted SQL from the repository)."""
        sql = self.definition.source.filter
        own = [text(f"({sql})")] if sql else []
        return [*own, *self.scope]  # type: ignore[list-item]

    def column(self, name: str) -> Column[Any]:
        """A published property's column."""
        return self.table.c[name]


class LayerRegistry:
    """All layers, bound to the database once (on first use, so /health works without it)."""

    def __init__(
        self, definitions: dict[str, LayerDef], public_layers: list[str] | None = None
    ) -> None:
        unknown = set(public_layers or []) - set(definitions)
        if unknown:
            raise CatalogError(f"public_layers: no layer(s) {', '.join(sorted(unknown))}")
        self.definitions = definitions
        self.public_layers = public_layers  # settings override the catalog's `public` flags
        self._layers: dict[str, Layer] | None = None
        self._lock = threading.Lock()

    @property
    def bound(self) -> dict[str, Layer] | None:
        """The layers once bound, else None."""
        return self._layers

    def bind(self, engine: Engine) -> dict[str, Layer]:
        """Reflect every source table; a missing table or column is a CatalogError."""
        with self._lock:
            if self._layers is None:
                metadata = MetaData()
                self._layers = {
                    layer_id: _bind_one(definition, metadata, engine, self._public(definition))
                    for layer_id, definition in self.definitions.items()
                }
            return self._layers

    def _public(self, definition: LayerDef) -> bool:
        if self.public_layers is None:
            return definition.public
        return definition.id in self.public_layers


def _bind_one(definition: LayerDef, metadata: MetaData, engine: Engine, public: bool) -> Layer:
    schema, _, name = definition.source.table.rpartition(".")
    try:
        table = Table(name, metadata, schema=schema or None, autoload_with=engine)
    except NoSuchTableError as exc:
        raise CatalogError(f"layer {definition.id!r}: no table or view {name!r}") from exc
    source = definition.source
    needed = {source.id_column, source.geometry_column, *definition.properties}
    needed |= {source.datetime_column} if source.datetime_column else set()
    missing = sorted(needed - set(table.c.keys()))
    if missing:
        raise CatalogError(
            f"layer {definition.id!r}: {definition.source.table} has no column(s) "
            f"{', '.join(missing)}"
        )
    return Layer(definition, table, public)


def for_principal(layer: Layer, principal: Principal) -> Layer:
    """The layer as `principal` may read it: public as is, else limited to their rows.

    401 for the anonymous public on an unpublished layer; 403 for a role that may not read
    it, or a scoped user (area, unit) on a layer whose rows carry no such column.
    """
    if layer.public:
        return layer
    principal.require("read")
    row_filter = principal.row_filter(layer.table)
    if row_filter is None:
        raise Forbidden(
            f"collection {layer.id!r} has no {' or '.join(sorted(principal.scope_columns()))} "
            f"to limit it to the scope of role {principal.role!r}"
        )
    sql, params = principal.scope_sql()
    return replace(layer, scope=(row_filter,), scope_key=(sql, *sorted(params.items())))


def readable(layers: dict[str, Layer], principal: Principal) -> dict[str, Layer]:
    """The layers `principal` may read, each limited to their rows."""
    visible = {}
    for layer_id, layer in layers.items():
        try:
            visible[layer_id] = for_principal(layer, principal)
        except (Unauthorized, Forbidden):
            continue
    return visible


async def get_all_layers(request: Request) -> dict[str, Layer]:
    """Every bound layer of this app; the first call reflects the tables in a worker thread."""
    registry: LayerRegistry = request.app.state.layers
    if registry.bound is not None:
        return registry.bound
    return await run_in_threadpool(registry.bind, request.app.state.engine)


AllLayersDep = Annotated[dict[str, Layer], Depends(get_all_layers)]


async def get_layers(layers: AllLayersDep, principal: PrincipalDep) -> dict[str, Layer]:
    """The layers the caller may read, scoped to the caller."""
    return readable(layers, principal)


async def get_layer(
    layers: AllLayersDep,
    principal: PrincipalDep,
    collection_id: Annotated[str, Path(alias="collectionId")],
) -> Layer:
    """The layer addressed by `collectionId` as the caller may read it; 404/401/403."""
    if collection_id not in layers:
        raise NotFound(f"no collection {collection_id!r}; see /collections")
    return for_principal(layers[collection_id], principal)


LayerDep = Annotated[Layer, Depends(get_layer)]
LayersDep = Annotated[dict[str, Layer], Depends(get_layers)]
