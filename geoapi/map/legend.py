"""The map's one legend panel: every symbol and colour scale on the page, in one collapsible
box at the bottom right (a bottom sheet on a phone, closed until asked for), never over the
title or the layer list."""

import html
import json
from dataclasses import dataclass, field

import folium
from branca.element import MacroElement
from jinja2 import Template

from geoapi.map.display import Raw, page_of

# leaflet.heat's default gradient, as the heat layer draws it.
HEAT_GRADIENT = "linear-gradient(to right, blue, cyan, lime, yellow, red)"


@dataclass(frozen=True)
class Scale:
    """A colour ramp from 0 to the largest value on the map, and what the values are."""

    title: str
    colors: list[str]
    vmax: float
    unit: str


@dataclass
class Legend:
    """What the panel explains, gathered while the layers are added."""

    heat: str | None = None  # what the heat's weight means (None: no heat layer)
    heat_title: str = "热力图 未结问题 open problems"
    swatches: list[tuple[str, str, str]] = field(default_factory=list)  # (group, colour, name)
    scales: list[Scale] = field(default_factory=list)
    symbols: list[tuple[str, str]] = field(default_factory=list)  # (colour, name): ringed dots

    def html(self) -> str:
        """The panel's rows, every text escaped."""
        rows = []
        if self.heat is not None:
            rows.append(
                f'<div class="row"><b>{html.escape(self.heat_title)}</b>'
                f'<span class="ramp" style="background:{HEAT_GRADIENT}"></span>'
                f'<span class="ends"><span>少 few</span><span>多 many</span></span>'
                + (f"<small>{html.escape(self.heat)}</small>" if self.heat else "")
                + "</div>"
            )
        groups: dict[str, list[str]] = {}
        for group, color, name in self.swatches:
            groups.setdefault(group, []).append(
                f'<span class="swatch"><i style="background:{color}"></i>{html.escape(name)}</span>'
            )
        rows += [
            f'<div class="row"><b>{html.escape(group)}</b>{"".join(items)}</div>'
            for group, items in groups.items()
        ]
        rows += [
            f'<div class="row"><span class="swatch"><i class="ring" style="border-color:{color};'
            f'background:{color}99"></i>{html.escape(name)}</span></div>'
            for color, name in self.symbols
        ]
        for scale in self.scales:
            rows.append(
                f'<div class="row"><b>{html.escape(scale.title)}</b>'
                f'<span class="ramp" style="background:linear-gradient(to right, '
                f'{", ".join(scale.colors)})"></span>'
                f'<span class="ends"><span>0</span><span>{scale.vmax:g}</span></span>'
                f"<small>{html.escape(scale.unit)}</small></div>"
            )
        return "".join(rows)


def add_to(fmap: folium.Map, legend: Legend) -> None:
    """The panel, and its style in the page's header."""
    page_of(fmap).header.add_child(Raw(STYLE))
    LegendPanel(legend).add_to(fmap)


class LegendPanel(MacroElement):
    """The panel as a Leaflet control; `<details>` folds it, closed at first on a phone."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function () {"
        "  var legend = L.control({position: 'bottomright'});"
        "  legend.onAdd = function () {"
        "    var box = L.DomUtil.create('details', 'map-legend');"
        "    box.id = 'map-legend';"
        "    box.open = window.innerWidth >= 700;"
        "    box.innerHTML = '<summary>图例 legend</summary>' + {{ this.body }};"
        "    L.DomEvent.disableClickPropagation(box);"
        "    L.DomEvent.disableScrollPropagation(box);"
        "    return box;"
        "  };"
        "  legend.addTo({{ this._parent.get_name() }});"
        "})();"
        "{% endmacro %}"
    )

    def __init__(self, legend: Legend) -> None:
        super().__init__()
        self._name = "LegendPanel"
        self.body = _js_string(legend.html())


def _js_string(value: str) -> str:
    """`value` as a JavaScript string literal that cannot close the page's script element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


STYLE = """<style>
.map-legend { background: rgba(255,255,255,.94); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 12px "WenQuanYi Zen Hei", sans-serif;
  width: 230px; max-height: 40vh; overflow-y: auto; }
.map-legend summary { font-weight: bold; cursor: pointer; }
.map-legend .row { margin: 6px 0; }
.map-legend .row b { display: block; }
.map-legend .ramp { display: block; height: 10px; margin-top: 3px; border: 1px solid #999; }
.map-legend .ends { display: flex; justify-content: space-between; }
.map-legend small { display: block; color: #555; }
.map-legend .swatch { display: inline-block; margin-right: 8px; white-space: nowrap; }
.map-legend .swatch i { display: inline-block; width: 11px; height: 11px; border-radius: 50%;
  border: 1px solid #333; margin-right: 3px; vertical-align: -1px; }
.map-legend .swatch i.ring { border-width: 2px; }
@media (max-width: 699px) {  /* a phone: a bottom sheet over the map's lower part */
  .map-legend[open] { position: fixed; left: 0; right: 0; bottom: 0; width: auto;
    max-height: 45vh; margin: 0 !important; border-radius: 8px 8px 0 0; }
}
</style>"""
