"""Build the Folium map: heat, point clusters, overdue, choropleths, weekly heat, controls."""

import html
import json
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import branca.colormap
import folium
from folium import plugins
from sqlalchemy import Connection, Engine

from geoapi.auth.principal import Principal
from geoapi.catalog import needed
from geoapi.catalog.registry import Layer
from geoapi.db.side_by_side import SideBySide
from geoapi.map import collections, data, display, lazy, legend, poster
from geoapi.map.basemaps import Basemap, add_to
from geoapi.map.filters import MapFilters, where
from geoapi.patrol.map_layer import add_today_routes
from geoapi.reference import queries as reference_queries
from geoapi.settings import Settings
from geoapi.vocabulary import POINT_STATUS_NAMES, POINT_STATUSES

WEEKS = 12


@dataclass(frozen=True)
class MapPage:
    """The rendered page and the names of its layers (the CLI reports them)."""

    html: str
    layers: list[str]


def build(
    connection: Connection,
    layers: dict[str, Layer],
    filters: MapFilters,
    principal: Principal,
    basemap: Basemap,
    settings: Settings,
    query: str | None = None,
    paper: str | None = None,
    base_url: str | None = None,
    engine: Engine | None = None,
) -> MapPage:
    """The whole page for these filters, as the principal may see it.

    Served pages (`query`: the filters and basemap of the request, repeated when the browser
    asks for a layer) carry the rows of the layers the first view shows; the others are
    fetched when switched on. Without `query` (a file) every layer's rows are in the page.
    `paper` (a4 … a1) lays it out as a wall poster of that sheet. Links to the service are
    relative on a served page; in a file they start with `base_url`, or are left out.
    With `engine` (the one `connection` came from), the slowest queries run side by side on
    connections of their own while the page is drawn.
    """
    if paper:
        poster.paper_size(paper)  # an unknown sheet is a 400 before any work
    scope = where(connection, filters, principal, settings.timezone)
    with SideBySide(connection, engine) as side:
        fetched = _fetch(side, scope, layers, settings)
        box = data.bounds(connection, scope) or [[36.66, 117.05], [36.66, 117.05]]
        box = display.shift_rows(box, basemap.datum)
        fmap = folium.Map(
            location=[(box[0][0] + box[1][0]) / 2, (box[0][1] + box[1][1]) / 2],
            zoom_start=13,
            maxZoom=19,  # a map option: clusters need it even when no basemap (blank) sets one
            tiles=None,
            prefer_canvas=True,
        )
        display.MetricScale().add_to(fmap)
        fmap.fit_bounds(box)  # the area asked for, or the caller's own, fills the screen
        add_to(fmap, basemap)
        names: list[str] = []
        key = legend.Legend()
        # The page's own layers, each as its YAML says: its name, style, weight, threshold, or
        # `map: none` to leave it off.
        heat_layer = layers[needed.OPEN_ISSUES.id]
        if fetched.heat is not None:
            names.append(_heat(fmap, fetched.heat.result(), scope, heat_layer, basemap, key))
        loaded = _Loaded(query)
        point_layer = layers[needed.POINTS.id]
        links = "" if query is not None else base_url
        if fetched.point_counts is not None:
            counts = fetched.point_counts.result()
            names += _points(
                fmap, connection, scope, counts, point_layer, basemap, settings, loaded, links
            )
            _point_key(key, point_layer)
        overdue_layer = layers[needed.OVERDUE_ISSUES.id]
        if fetched.overdue is not None:
            names.append(_overdue(fmap, fetched.overdue.result(), overdue_layer, basemap, links))
            color = overdue_layer.definition.style.default_color
            key.symbols.append((color, overdue_layer.definition.map_name))
        streets: list[dict[str, Any]] = []
        for level, title in CHOROPLETH_LEVELS.items():
            collection = fetched.choropleths[level].result()
            name, scale, areas = _choropleth(
                fmap, collection, scope, level, title, basemap, level == "street"
            )
            names.append(name)
            key.scales.append(scale)
            streets = streets or [area["properties"] for area in areas]
        communities = data.area_labels(connection, scope, "community")
        _labels(
            fmap, communities, basemap, "社区名称", "community-label", COMMUNITY_LABELS_FROM_ZOOM
        )
        names.append(_weekly(fmap, connection, scope, basemap, loaded))
        if loaded.query is not None and basemap.datum == "wgs84":  # collections answer in WGS 84
            names += _collections(fmap, connection, layers, filters, scope, settings, loaded)
        lazy.add_to(fmap, loaded.specs)
        legend.add_to(fmap, key)
        routes = add_today_routes(fmap, connection, principal, basemap, settings)
        if routes:
            names.append(routes)
        plugins.Fullscreen().add_to(fmap)
        # Collapsed behind Leaflet's layers button on a phone; always open on a wider screen.
        folium.LayerControl(collapsed=True).add_to(fmap)
        display.page_of(fmap).header.add_child(display.Raw(LAYERS_OPEN_ON_WIDE_SCREENS))
        title = _title(fmap, connection, filters, scope.area_name, basemap, settings.zone)
        if paper:
            poster.add_to(fmap, paper, title, streets, box)
        return MapPage(fmap.get_root().render(), names)


@dataclass(frozen=True)
class _Fetched:
    """The page's slowest queries, started before it is drawn."""

    heat: "Future[data.Rows] | None"
    point_counts: "Future[dict[str, int]] | None"
    overdue: "Future[data.Rows] | None"
    choropleths: "dict[str, Future[dict[str, Any]]]"


def _fetch(side: SideBySide, scope: Any, layers: dict[str, Layer], settings: Settings) -> _Fetched:
    """Start the queries of the layers the page shows (a layer's YAML may say `map: none`)."""

    def shown(layer: Any) -> bool:
        return bool(layers[layer.id].definition.map != "none")

    heat_def = layers[needed.OPEN_ISSUES.id].definition.heatmap
    weight = heat_def.weight if heat_def else "1"
    return _Fetched(
        side.submit(data.open_issue_heat, scope, weight, settings.map_heat_limit)
        if shown(needed.OPEN_ISSUES)
        else None,
        side.submit(data.point_counts, scope) if shown(needed.POINTS) else None,
        side.submit(data.overdue_issues, scope, settings.map_marker_limit)
        if shown(needed.OVERDUE_ISSUES)
        else None,
        {level: side.submit(data.area_choropleth, scope, level) for level in CHOROPLETH_LEVELS},
    )


@dataclass
class _Loaded:
    """The layers the browser fills, and where a served page asks for their rows."""

    query: str | None
    specs: list[lazy.LazySpec] = field(default_factory=list)

    def url(self, path: str) -> str | None:
        """`path` with the page's filters, or None in a file (rows embedded instead)."""
        return None if self.query is None else f"{path}?{self.query}"


def _heat(
    fmap: folium.Map,
    heat: data.Rows,
    scope: Any,
    layer: Layer,
    basemap: Basemap,
    key: legend.Legend,
) -> str:
    """The heat of the problems the map counts, weighted as the layer's `heatmap` says."""
    definition = layer.definition
    heat_def = definition.heatmap
    label = f"{definition.map_name} {COUNTED[scope.counts_open]}"
    name = f"{label} ({heat.total:,})"
    plugins.HeatMap(
        display.shift_rows(heat.rows, basemap.datum),
        name=name,
        radius=heat_def.radius if heat_def else 18,
        min_opacity=0.3,
    ).add_to(fmap)
    key.heat_title = label
    key.heat = heat_def.meaning if heat_def else ""
    return name


# What the first view shows; the other categories wait until switched on.
SHOWN_CATEGORIES = ("market", "back_alley")


def _points(
    fmap: folium.Map,
    connection: Connection,
    scope: Any,
    counts: dict[str, int],
    layer: Layer,
    basemap: Basemap,
    settings: Settings,
    loaded: _Loaded,
    links: str | None,
) -> list[str]:
    """One layer per category, named with its count under the filters: points, or above the
    marker limit cells per view (finer as the planner zooms in, points at street level); each
    point's popup links to its page at `links` (None: no link)."""
    style = layer.definition.style
    limit = layer.definition.marker_limit(settings.map_marker_limit)
    names = reference_queries.names_zh(connection, "categories")
    added = []
    for category, total in counts.items():
        label = names.get(category, category)
        aggregated = total > limit
        name = f"{label} ({total:,}{' · 聚合 aggregated' if aggregated else ''})"
        shown = category in SHOWN_CATEGORIES
        group = folium.FeatureGroup(name=name, show=shown)
        group.add_to(fmap)
        rows = None
        if shown or loaded.query is None:
            found = data.category_points(connection, scope, category, limit)
            rows = {
                "rows": display.shift_rows(found.rows, basemap.datum),
                "total": found.total,
                "aggregated": found.aggregated,
            }
        loaded.specs.append(
            lazy.LazySpec(
                group.get_name(),
                "points",
                loaded.url(f"/map/categories/{category}/points"),
                rows,
                {
                    "category": label,
                    "palette": style.palette,
                    "default_color": style.default_color,
                    "status_names": POINT_STATUS_NAMES,
                    "links": links,
                },
            )
        )
        added.append(name)
    return added


WEEKLY = "每周新发 reported per week"


def _weekly(
    fmap: folium.Map, connection: Connection, scope: Any, basemap: Basemap, loaded: _Loaded
) -> str:
    """Reported problems per week, a week at a time on a slider; fetched when switched on."""
    group = folium.FeatureGroup(name=WEEKLY, show=False)
    group.add_to(fmap)
    rows = None if loaded.query is not None else weekly_rows(connection, scope, basemap)
    loaded.specs.append(lazy.LazySpec(group.get_name(), "weekly", loaded.url("/map/weekly"), rows))
    return WEEKLY


def _collections(
    fmap: folium.Map,
    connection: Connection,
    layers: dict[str, Layer],
    filters: MapFilters,
    scope: Any,
    settings: Settings,
    loaded: _Loaded,
) -> list[str]:
    """The catalog's other map layers, off at first, fetched for the view when switched on."""
    added: list[str] = []

    def group_of(name: str) -> str:
        group = folium.FeatureGroup(name=name, show=False)
        group.add_to(fmap)
        added.append(name)
        return group.get_name()

    loaded.specs += collections.specs(
        connection, layers, filters, scope, group_of, settings.map_marker_limit
    )
    return added


def weekly_rows(connection: Connection, scope: Any, basemap: Basemap) -> dict[str, Any]:
    """The last WEEKS weeks' reports as the weekly layer draws them."""
    weeks, frames = data.weekly_heat(connection, scope, WEEKS)
    return {"weeks": weeks, "frames": [display.shift_rows(rows, basemap.datum) for rows in frames]}


OVERDUE_MARKER = """function (row) {
  var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
      radius: 7, weight: 2, color: '%(color)s', fillColor: '%(color)s', fillOpacity: 0.6});
  marker.bindPopup('<b>' + row[3] + '</b><br>责任单位 unit: ' + (row[4] || '—') +
      '<br>限期 deadline: ' + row[5] + ' (' + row[6] + ' 天超期 days late)' +
      (%(base)s === null ? '<br>编号 id: ' + row[2].slice(0, 8) : '<br><a href="' + %(base)s +
       '/issues/' + row[2] + '" target="_blank">' + row[2].slice(0, 8) + '</a>'));
  return marker;
}"""


def _overdue(
    fmap: folium.Map,
    rows: data.Rows,
    layer: Layer,
    basemap: Basemap,
    links: str | None,
) -> str:
    """The most overdue problems, each linked to the service at `links` (None: no link)."""
    shown = (
        f"{len(rows.rows):,} of {rows.total:,}"
        if rows.total > len(rows.rows)
        else f"{rows.total:,}"
    )
    name = f"{layer.definition.map_name} ({shown})"
    group = folium.FeatureGroup(name=name)
    color = layer.definition.style.default_color
    plugins.FastMarkerCluster(
        display.shift_rows(rows.rows, basemap.datum),
        callback=OVERDUE_MARKER % {"color": color, "base": json.dumps(links)},
        icon_create_function=OVERDUE_CLUSTER % {"color": color},  # the layer's red, not green
    ).add_to(group)
    group.add_to(fmap)
    return name


# Clusters of overdue problems in the layer's own colour: markercluster's default palette
# would paint small clusters green, which on this layer would read as "fine".
OVERDUE_CLUSTER = """function (cluster) {
  return L.divIcon({
    html: '<div style="background:%(color)s;color:#fff;border-radius:50%%;width:34px;height:34px;'
        + 'line-height:34px;text-align:center;font:bold 12px sans-serif;opacity:.9">'
        + cluster.getChildCount() + '</div>',
    className: 'overdue-cluster', iconSize: L.point(34, 34)});
}"""


CHOROPLETH_LEVELS = {"street": "街道 streets", "grid": "网格 grids"}


def _choropleth(
    fmap: folium.Map,
    areas: dict[str, Any],
    scope: Any,
    level: str,
    title: str,
    basemap: Basemap,
    show: bool,
) -> tuple[str, legend.Scale, list[dict[str, Any]]]:
    """Open problems per area, coloured by open problems per 100 points: the layer's name, its
    scale for the legend and the areas drawn."""
    collection = display.shift_features(areas, basemap.datum)
    rates = [f["properties"]["per_100_points"] or 0 for f in collection["features"]] or [0]
    name = f"{title} 分级 choropleth"
    unit = PER_100[scope.counts_open]
    scale = legend.Scale(name, CHOROPLETH_COLORS, max(rates), unit)
    colormap = branca.colormap.LinearColormap(CHOROPLETH_COLORS, vmin=0, vmax=max(scale.vmax, 1))
    folium.GeoJson(
        collection,
        name=name,
        show=show,
        style_function=lambda f: {
            "fillColor": colormap(f["properties"]["per_100_points"] or 0),
            "color": "#555",
            "weight": 1,
            "fillOpacity": 0.45,
        },
        tooltip=folium.GeoJsonTooltip(
            ["name", "open", "points", "per_100_points"],
            aliases=["名称", COUNTED[scope.counts_open], "点位 points", "每百点位 per 100"],
        )
        if collection["features"]
        else None,
    ).add_to(fmap)
    if level == "street":  # a wall map has no hover: the streets' names stay written on it
        rows = [
            [*f["properties"]["label_at"], f["properties"]["name"]] for f in collection["features"]
        ]
        _labels(fmap, rows, basemap, "街道名称 street names", "area-label")
    return name, scale, collection["features"]


# What the heat map and choropleths count, by whether it is the open problems.
COUNTED = {True: "未结问题 open problems", False: "上报问题 problems reported"}
PER_100 = {
    True: "每百点位未结问题 open per 100 points",
    False: "每百点位上报问题 reported per 100 points",
}
CHOROPLETH_COLORS = ["#fff5eb", "#fd8d3c", "#7f2704"]


def _point_key(key: legend.Legend, layer: Layer) -> None:
    """Point colours by status, and what a cell's colour says."""
    style = layer.definition.style
    for status in POINT_STATUSES:
        color = style.palette.get(status, style.default_color)
        key.swatches.append(("点位 points", color, POINT_STATUS_NAMES[status]))
    bad, good = style.palette.get("non_compliant"), style.palette.get("compliant")
    if bad and good:
        key.swatches.append(("聚合格 cells", bad, "含不达标 some non-compliant"))
        key.swatches.append(("聚合格 cells", good, "全部达标 all compliant"))


LAYERS_OPEN_ON_WIDE_SCREENS = """<style>
@media (min-width: 700px) {
  .leaflet-control-layers .leaflet-control-layers-list { display: block !important;
    max-height: 50vh; overflow-y: auto; }  /* the legend has the lower part of the right side */
  .leaflet-control-layers .leaflet-control-layers-toggle { display: none !important; }
}
</style>"""

LABEL_STYLE = """<style>
.area-label { font: bold 13px "WenQuanYi Zen Hei", sans-serif; color: #222; text-align: center;
  white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; }
.community-label { font: 12px "WenQuanYi Zen Hei", sans-serif; color: #444; text-align: center;
  white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
</style>"""


def _labels(
    fmap: folium.Map,
    rows: list[list[Any]],
    basemap: Basemap,
    name: str,
    css: str,
    from_zoom: int | None = None,
) -> None:
    """Each area's name ([lat, lon, name] rows) written on the map, no hover needed; with
    `from_zoom`, only from that zoom in (and then not in the layer list)."""
    display.page_of(fmap).header.add_child(display.Raw(LABEL_STYLE), name="label-style")  # once
    group = folium.FeatureGroup(name=name, show=True, control=from_zoom is None)
    for lat, lon, label in display.shift_rows(rows, basemap.datum):
        folium.Marker(
            [lat, lon],
            icon=folium.DivIcon(
                html=f'<div class="{css}">{html.escape(label)}</div>',
                icon_size=(120, 18),
                icon_anchor=(60, 9),
            ),
        ).add_to(group)
    group.add_to(fmap)
    if from_zoom is not None:
        display.ShownFromZoom(group.get_name(), from_zoom).add_to(fmap)


COMMUNITY_LABELS_FROM_ZOOM = 15  # closer in, the communities' names join the streets'


def _title(
    fmap: folium.Map,
    connection: Connection,
    filters: MapFilters,
    area: str,
    basemap: Basemap,
    zone: ZoneInfo,
) -> str:
    """The title box (area, filters, data time in local time, basemap) and the page title;
    returns the box's HTML."""
    stamp = (data.data_timestamp(connection) or datetime.now(UTC)).astimezone(zone)
    text_ = (
        f"<b>创城问题地图 · {html.escape(area)}</b><br>"
        f"筛选 filter: {html.escape(filters.describe())} · "
        f"数据截至 data as of {stamp:%Y-%m-%d %H:%M} · 底图 {html.escape(basemap.name)}"
    )
    display.page_of(fmap).header.add_child(
        display.Raw(f"<title>创城问题地图 · {html.escape(area)}</title>")
    )
    display.page_of(fmap).html.add_child(
        display.Raw(  # below the legends' row (top right, 50 px high): nothing covers it
            '<div id="map-title" style="position:fixed;top:60px;left:60px;z-index:1000;'
            "background:rgba(255,255,255,.92);padding:6px 10px;border-radius:4px;"
            f'font:13px sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)">{text_}</div>'
        )
    )
    return text_
