"""Overlay coordinates in the basemap's datum: GCJ-02 for Amap, WGS 84 otherwise; the page a
Folium map renders into."""

from typing import Any

import folium
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geoapi.chinacoords import wgs84_to_gcj02


def shift_rows(rows: list[list[Any]], datum: str) -> list[list[Any]]:
    """Rows starting with [lat, lon, …] in the display datum."""
    if datum == "wgs84" or not rows:
        return rows
    lat = np.array([r[0] for r in rows], dtype=float)
    lon = np.array([r[1] for r in rows], dtype=float)
    lon, lat = wgs84_to_gcj02(lon, lat)
    return [[round(y, 6), round(x, 6), *r[2:]] for y, x, r in zip(lat, lon, rows, strict=True)]


def shift_features(collection: dict[str, Any], datum: str) -> dict[str, Any]:
    """A GeoJSON FeatureCollection in the display datum."""
    if datum == "wgs84":
        return collection

    def to_gcj02(coords: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    features = []
    for feature in collection["features"]:
        geometry = shapely.transform(shapely.geometry.shape(feature["geometry"]), to_gcj02)
        features.append(feature | {"geometry": shapely.geometry.mapping(geometry)})
    return collection | {"features": features}


def page_of(fmap: folium.Map) -> Figure:
    """The HTML page a Folium map renders into (its header and body take extra elements)."""
    root = fmap.get_root()
    assert isinstance(root, Figure)  # a map added to nothing else is the root of its Figure
    return root


class MetricScale(MacroElement):
    """A scale bar in metres only (Leaflet's default adds feet and miles)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


class ShownFromZoom(MacroElement):
    """Keeps a layer on the map only from `zoom` in: community names would crowd a district."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function () { var map = {{ this._parent.get_name() }}, layer = {{ this.layer }};"
        " function fit() { if (map.getZoom() >= {{ this.zoom }}) map.addLayer(layer);"
        " else map.removeLayer(layer); }"
        " map.on('zoomend', fit); fit(); })();"
        "{% endmacro %}"
    )

    def __init__(self, layer: str, zoom: int) -> None:
        super().__init__()
        self.layer = layer
        self.zoom = zoom


class Raw(Element):
    """HTML put in the page as it is. `folium.Element(text)` would compile `text` as a Jinja
    template: a name holding `{{ … }}` would be run, and every render would parse it again."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def _render_macros_as_text(self: MacroElement, **kwargs: Any) -> None:
    """`MacroElement.render`, each macro's output put in the page as it is (`Raw`). Branca
    wraps it in `Element(text)`, which compiles the text as a Jinja template: some 230 of
    them per map, the heat map's 15,000 points among them (0.16 s of a 0.65 s first view at
    city scale), and a name holding `{{ … }}` would be run."""
    figure = self.get_root()
    assert isinstance(figure, Figure), "a MacroElement renders inside a Figure"
    macros = self._template.module.__dict__
    for part in ("header", "html", "script"):
        macro = macros.get(part)
        if macro is not None:
            getattr(figure, part).add_child(Raw(macro(self, kwargs)), name=self.get_name())
    for child in self._children.values():
        child.render(**kwargs)


MacroElement.render = _render_macros_as_text  # type: ignore[method-assign]
