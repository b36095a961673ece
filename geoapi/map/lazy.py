"""Layers filled in the browser: from rows embedded in the page (a standalone file, or what the
first view shows) or from the server when a planner switches them on.

A page carries only what its first view draws; a category of a million parking spaces costs
nothing until it is switched on, and then only the cells of the view on screen (cells resolve
into points as the planner zooms in).
"""

import json
from dataclasses import dataclass
from typing import Any

import folium
from folium import plugins
from folium.elements import JSCSSMixin
from jinja2 import Template

from geoapi.map.display import Raw, page_of


@dataclass(frozen=True)
class LazySpec:
    """One layer: the Folium group it fills, how to draw it, and where its rows come from."""

    group: str  # the JavaScript name of the layer's FeatureGroup
    kind: str  # "points" (a category), "weekly" (reported per week), "features" (a collection)
    url: str | None  # None: only the embedded rows (a file has no server to ask)
    data: Any = None  # rows embedded in the page
    style: dict[str, Any] | None = None  # colours and labels the drawing needs


class LazyLayers(JSCSSMixin):
    """The loader's call for one map: draws each spec's rows into its group while the group is
    on the map (`add_to` also puts the loader itself in the page). It draws with the scripts of
    Folium's MarkerCluster and HeatMap, declared under their names so a page loads each once."""

    default_js = [*plugins.MarkerCluster.default_js, *plugins.HeatMap.default_js]
    default_css = plugins.MarkerCluster.default_css

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "geoapiLazyLayers({{ this._parent.get_name() }}, {{ this.specs }});"
        "{% endmacro %}"
    )

    def __init__(self, specs: list[LazySpec]) -> None:
        super().__init__()
        self._name = "LazyLayers"
        # vars(), not asdict(): the embedded rows are written out, not deep-copied first.
        self.specs = json.dumps([vars(s) for s in specs], ensure_ascii=False)


def add_to(fmap: folium.Map, specs: list[LazySpec]) -> None:
    """The loader in the page's header, and its call for `specs` after the map is made."""
    page_of(fmap).header.add_child(Raw(f"<script>{LIBRARY}</script>{STYLE}"))
    LazyLayers(specs).add_to(fmap)


STYLE = """<style>
.week-control { background: #fff; padding: 6px 10px; font: 13px sans-serif; }
.week-control input { width: 180px; }
</style>"""
LIBRARY = r"""
function geoapiLazyLayers(map, specs) {
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]; });
  }
  function address(spec, extra) {
    // No key in the address: the page's session cookie goes with the request.
    return spec.url + (spec.url.indexOf('?') < 0 ? '?' : '&') + extra;
  }
  function pointMarker(row, s) {
    var marker = L.circleMarker([row[0], row[1]], {radius: 6, weight: 1, color: '#333',
      fillOpacity: 0.9, fillColor: s.palette[row[4]] || s.default_color});
    marker.bindPopup('<b>' + esc(row[3]) + '</b><br>' + esc(s.category) + ' · ' +
      esc(s.status_names[row[4]] || row[4]) + '<br>未结问题 open problems: ' + row[5] +
      '<br>最近检查 last inspected: ' + esc(row[6] || '—') + '<br>编号 code: ' +
      (s.links == null ? esc(row[2]) : '<a href="' + esc(s.links + '/points/' +
        encodeURIComponent(row[2])) + '" target="_blank">' + esc(row[2]) + '</a>'));
    return marker;
  }
  function cellMarker(row, s) {
    // A cell is 32 pixels wide at any zoom: its circle stays inside it.
    var marker = L.circleMarker([row[0], row[1]], {radius: Math.min(15, 4 + Math.sqrt(row[2]) / 2),
      weight: 1, color: '#333', fillOpacity: 0.7,
      fillColor: row[3] > 0 ? s.palette.non_compliant : s.palette.compliant});
    marker.bindTooltip(esc(s.category) + ': ' + row[2] + ' 点位 points, ' + row[3] +
      ' 不达标 non-compliant, ' + row[4] + ' 未结问题 open problems');
    return marker;
  }
  function drawPoints(spec, group, data) {
    var target = data.aggregated ? L.layerGroup() : L.markerClusterGroup();
    data.rows.forEach(function (row) {
      target.addLayer(data.aggregated ? cellMarker(row, spec.style) : pointMarker(row, spec.style));
    });
    group.addLayer(target);
  }
  function drawWeekly(spec, group, data) {
    if (!data.weeks.length) return;
    var last = data.weeks.length - 1;
    var heat = L.heatLayer(data.frames[last], {radius: 15, minOpacity: 0.3});
    group.addLayer(heat);
    var control = L.control({position: 'bottomleft'});
    control.onAdd = function () {
      var box = L.DomUtil.create('div', 'week-control leaflet-bar');
      box.innerHTML = '<label>每周新发 reported in <b></b><br>' +
        '<input type="range" min="0" max="' + last + '" value="' + last + '"></label>';
      var input = box.querySelector('input'), label = box.querySelector('b');
      label.textContent = data.weeks[last];
      input.addEventListener('input', function () {
        label.textContent = data.weeks[input.value];
        heat.setLatLngs(data.frames[input.value]);
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    group.weekControl = control.addTo(map);
  }
  function colorOf(feature, s) {
    var value = s.color_by ? feature.properties[s.color_by] : null;
    return (value != null && s.palette[value]) || s.default_color;
  }
  function popupOf(feature, s) {
    return '<b>' + esc(s.title) + '</b>' + s.popup.map(function (field) {
      var value = feature.properties[field[0]], named = s.names[field[0]];
      var shown = named && named[value] || (value == null ? '—' : value);
      return '<br>' + esc(field[1]) + ': ' + esc(shown);
    }).join('');
  }
  function drawFeatures(spec, group, data) {
    var s = spec.style;
    group.addLayer(L.geoJSON(data, {
      pointToLayer: function (f, at) {
        return L.circleMarker(at, {radius: 6, weight: 1, color: '#333', fillOpacity: 0.85,
                                   fillColor: colorOf(f, s)});
      },
      style: function (f) { return {color: colorOf(f, s), weight: 2, fillOpacity: 0.15}; },
      onEachFeature: function (f, layer) { layer.bindPopup(popupOf(f, s)); }
    }));
  }
  var draw = {points: drawPoints, weekly: drawWeekly, features: drawFeatures};
  // Collections are asked for the view on screen, and only at the zooms their layer sets.
  function perView(spec) {
    return spec.kind === 'features' || (spec.shown && spec.shown.aggregated);
  }
  function inZoom(spec) {
    var z = map.getZoom(), s = spec.style || {};
    return spec.kind !== 'features' || (z >= s.min_zoom && z <= s.max_zoom);
  }
  function show(spec, group, data) {
    if (group.weekControl) { group.weekControl.remove(); group.weekControl = null; }
    group.clearLayers();
    spec.shown = data;
    draw[spec.kind](spec, group, data);
  }
  function load(spec, group, inView) {
    if (!map.hasLayer(group)) return;
    if (!inZoom(spec)) { group.clearLayers(); spec.shown = {empty: true}; return; }
    var extra = [];  // a collection takes the OGC parameters only; the map's own, a zoom too
    if (spec.kind !== 'features') extra.push('zoom=' + map.getZoom());
    if (inView) {
      var b = map.getBounds();
      extra.push('bbox=' + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (v) { return v.toFixed(5); }).join(','));
    }
    extra = extra.join('&');
    var asked = spec.asked = (spec.asked || 0) + 1;
    fetch(address(spec, extra), {credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.json() : r.text().then(function (t) {
        throw new Error(r.status + ' ' + t); }); })
      .then(function (data) { if (asked === spec.asked) show(spec, group, data); })
      .catch(function (e) { console.warn('layer', spec.kind, e.message); });
  }
  function first(spec, group) {
    if (spec.data) show(spec, group, spec.data);
    else if (spec.url) load(spec, group, spec.kind === 'features');
  }
  specs.forEach(function (spec) {
    var group = window[spec.group];
    map.on('overlayadd', function (e) {
      if (e.layer !== group) return;
      if (!spec.shown) first(spec, group);
      else if (perView(spec) && spec.url) load(spec, group, true);
    });
    map.on('overlayremove', function (e) {
      if (e.layer === group && group.weekControl) {
        group.weekControl.remove(); group.weekControl = null; spec.shown = null;
      }
    });
    // Cells are for the view they were counted in: a new view asks again (and, zoomed in far
    // enough, gets points). Points, once all there, stay.
    map.on('moveend', function () {
      if (spec.url && spec.shown && perView(spec)) load(spec, group, true);
    });
    if (map.hasLayer(group)) first(spec, group);
  });
}
"""
