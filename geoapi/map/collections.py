"""Map layers from the catalog: every readable `layers/*.yaml` with `map: markers` or
`map: polygons` that the page does not draw in a way of its own becomes an overlay, fetched
for the view on screen from its OGC API collection, with the page's filters as CQL2. Adding
a map layer is adding a YAML file.

A filter that a layer cannot take (it has no such queryable) leaves the layer off the page:
a layer never shows more than the filters say."""

from collections.abc import Callable
from urllib.parse import quote, urlencode

from sqlalchemy import Connection, text

from geoapi.catalog import needed
from geoapi.catalog.model import LayerDef
from geoapi.catalog.registry import Layer
from geoapi.issues.states import NAMES_ZH
from geoapi.map.filters import MapFilters, Where
from geoapi.map.lazy import LazySpec
from geoapi.reference import queries as reference_queries
from geoapi.vocabulary import POINT_STATUS_NAMES

DRAWN_BY_THE_PAGE = {needed.POINTS.id, needed.OPEN_ISSUES.id, needed.OVERDUE_ISSUES.id}
DRAWN = ("markers", "polygons")
# Popup labels of the properties layers commonly carry; others show their own name.
LABELS = {
    "name": "名称",
    "code": "编号",
    "category": "类别",
    "status": "状态",
    "type": "问题类型",
    "severity": "严重程度",
    "unit_code": "责任单位",
    "deadline": "整改期限",
    "reported_at": "上报时间",
    "level": "层级",
    "open_count": "未结问题",
    "overdue_count": "超期问题",
    "closure_rate": "结案率",
    "open_issue_count": "未结问题",
    "last_inspected_at": "最近检查",
    "at": "时间",
    "actor": "操作人",
    "action": "操作",
    "to_status": "新状态",
}
LEVEL_NAMES = {"district": "区", "street": "街道", "community": "社区", "grid": "网格"}


class NotApplicable(Exception):
    """The layer has no queryable for a filter in force."""


def _in(name: str, values: list[str], layer: LayerDef) -> str:
    if name not in layer.queryable_names:
        raise NotApplicable(name)
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{name} IN ({quoted})"


def query(layer: LayerDef, filters: MapFilters, scope: Where) -> dict[str, str]:
    """The items request's parameters for the page's filters (NotApplicable: leave it off)."""
    clauses = []
    if scope.area_column and filters.area:
        if scope.area_column not in layer.queryable_names:
            raise NotApplicable(scope.area_column)
        clauses.append(f"{scope.area_column} = {int(scope.params['area_id'])}")
    for name, values in (
        ("category", filters.category),
        ("type", filters.type),
        ("source", filters.source),
        ("status", filters.status),
        ("unit_code", filters.unit),
    ):
        if values:
            clauses.append(_in(name, values, layer))
    params = {"f": "json"}
    if clauses:
        params["filter"] = " AND ".join(clauses)
    if filters.since or filters.until:
        if layer.source.datetime_column != "reported_at":
            raise NotApplicable("since/until")
        since, until = scope.params.get("since"), scope.params.get("until")
        params["datetime"] = (
            f"{since.isoformat() if since else '..'}/{until.isoformat() if until else '..'}"
        )
    return params


def value_names(connection: Connection) -> dict[str, dict[str, str]]:
    """Chinese names of the codes popups show, by property."""
    rows = connection.execute(text("SELECT code, name FROM units"))
    units = {str(code): str(name) for code, name in rows}
    return {
        "status": {**POINT_STATUS_NAMES, **{str(k): v for k, v in NAMES_ZH.items()}},
        "to_status": {str(k): v for k, v in NAMES_ZH.items()},
        "type": reference_queries.names_zh(connection, "issue_types"),
        "category": reference_queries.names_zh(connection, "categories"),
        "unit_code": units,
        "level": LEVEL_NAMES,
    }


def specs(
    connection: Connection,
    layers: dict[str, Layer],
    filters: MapFilters,
    scope: Where,
    group_of: Callable[[str], str],
    limit: int,
) -> list[LazySpec]:
    """One spec per catalog overlay the filters allow; `group_of(title)` makes its group."""
    made = []
    names: dict[str, dict[str, str]] | None = None
    for layer_id, layer in sorted(layers.items()):
        definition = layer.definition
        if layer_id in DRAWN_BY_THE_PAGE or definition.map not in DRAWN:
            continue
        try:
            params = query(definition, filters, scope)
        except NotApplicable:
            continue
        names = names if names is not None else value_names(connection)
        zoom = f" (≥{definition.min_zoom} 级 zoom)" if definition.min_zoom > 0 else ""
        group = group_of(f"{definition.map_name}{zoom}")
        address = f"/collections/{layer_id}/items?" + urlencode(params, quote_via=quote)
        shown = [definition.style.color_by, *definition.popup]
        made.append(
            LazySpec(
                group,
                "features",
                f"{address}&limit={limit}",
                None,
                {
                    "title": definition.map_name,
                    "color_by": definition.style.color_by,
                    "palette": definition.style.palette,
                    "default_color": definition.style.default_color,
                    "popup": [[p, LABELS.get(p, p)] for p in definition.popup],
                    "names": {p: names[p] for p in shown if p and p in names},
                    "min_zoom": definition.min_zoom,
                    "max_zoom": definition.max_zoom,
                    "polygons": definition.map == "polygons",
                },
            )
        )
    return made
