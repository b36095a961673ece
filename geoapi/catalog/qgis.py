"""QGIS styles (QML) of the published layers, and a QGIS project (.qgs) that opens them all
from this service. Colours come from each layer's catalog style (the map page's palette);
a style by problem type or by a rate is built from the reference tables or the data, so
nothing here repeats a palette.
"""

from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import Connection, Float, Integer, Numeric, func, select, text

from geoapi.catalog.registry import Layer
from geoapi.errors import InvalidParameter
from geoapi.issues.states import NAMES_ZH
from geoapi.vocabulary import POINT_STATUS_NAMES

QGIS_VERSION = "3.34.0"
# Qualitative colours for categories without a palette (ColorBrewer Set1 + Dark2).
QUALITATIVE = (
    "#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999",
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
)  # fmt: skip
RED_TO_GREEN = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")  # ColorBrewer RdYlGn
MAX_CATEGORIES = 40
# Each layer as the demo project shows it: problems by type, streets by closure rate.
PROJECT_STYLES = {"issues": "type", "compliance_by_street": "closure_rate"}
NAME_TABLES = {
    "type": "SELECT code, name_zh FROM issue_types ORDER BY code",
    "category": "SELECT code, name_zh FROM categories ORDER BY code",
}


@dataclass(frozen=True)
class Category:
    """One value of a text property, its legend label and colour."""

    value: str
    label: str
    colour: str


@dataclass(frozen=True)
class Range:
    """One class of a numeric property and its colour."""

    lower: float
    upper: float
    colour: str


def _rgba(colour: str) -> str:
    colour = colour.lstrip("#")
    return ",".join(str(int(colour[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def symbol_kind(layer: Layer) -> str:
    """marker, line or fill, by the layer's geometry type (or its map mode)."""
    kind = str(getattr(layer.geom.type, "geometry_type", "") or "").upper()
    if "POLYGON" in kind or (kind == "GEOMETRY" and layer.definition.map == "polygons"):
        return "fill"
    if "LINE" in kind:
        return "line"
    return "marker"


def _symbol(name: str, kind: str, colour: str) -> ElementTree.Element:
    symbol = ElementTree.Element(
        "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    klass = {"marker": "SimpleMarker", "line": "SimpleLine", "fill": "SimpleFill"}[kind]
    layer = ElementTree.SubElement(symbol, "layer", {"class": klass, "enabled": "1", "pass": "0"})
    options = ElementTree.SubElement(layer, "Option", type="Map")
    values = {
        "marker": {"color": _rgba(colour), "name": "circle", "size": "2.4",
                   "outline_color": "255,255,255,255", "outline_width": "0.2"},
        "line": {"line_color": _rgba(colour), "line_width": "0.8", "capstyle": "round"},
        "fill": {"color": _rgba(colour).rsplit(",", 1)[0] + ",140", "style": "solid",
                 "outline_color": _rgba(colour), "outline_width": "0.4"},
    }[kind]  # fmt: skip
    for key, value in values.items():
        ElementTree.SubElement(options, "Option", name=key, type="QString", value=value)
    return symbol


def renderer(connection: Connection, layer: Layer, by: str | None) -> ElementTree.Element:
    """The `renderer-v2` element: categories of a text property, classes of a numeric one,
    or one symbol (no `by`, and no colour property in the catalog)."""
    by = by or layer.definition.style.color_by
    kind = symbol_kind(layer)
    if by is None:
        element = ElementTree.Element("renderer-v2", type="singleSymbol", symbollevels="0")
        symbols = ElementTree.SubElement(element, "symbols")
        symbols.append(_symbol("0", kind, layer.definition.style.default_color))
        return element
    if by not in layer.definition.properties:
        raise InvalidParameter(
            f"by: {by!r} is not a property of {layer.id!r}; "
            f"properties: {', '.join(layer.definition.properties)}"
        )
    column = layer.column(by)
    if isinstance(column.type, Integer | Float | Numeric) and by not in NAME_TABLES:
        return _graduated(by, _ranges(connection, layer, by), kind)
    return _categorized(by, _categories(connection, layer, by), kind)


def _categories(connection: Connection, layer: Layer, by: str) -> list[Category]:
    style = layer.definition.style
    palette = style.palette if by == style.color_by else {}
    names: dict[str, str] = {}
    if by in NAME_TABLES:
        names = {str(k): str(v) for k, v in connection.execute(text(NAME_TABLES[by])).all()}
    elif by == "status":
        names = POINT_STATUS_NAMES | {str(k): v for k, v in NAMES_ZH.items()}
    values = list(palette) or list(names) or _distinct(connection, layer, by)
    return [
        Category(
            value,
            f"{names[value]} {value}" if value in names else value,
            palette.get(value, QUALITATIVE[i % len(QUALITATIVE)]),
        )
        for i, value in enumerate(values[:MAX_CATEGORIES])
    ]


def _distinct(connection: Connection, layer: Layer, by: str) -> list[str]:
    column = layer.column(by)
    query = select(column).distinct().where(column.is_not(None)).order_by(column)
    return [str(value) for value in connection.scalars(query.limit(MAX_CATEGORIES))]


def _ranges(connection: Connection, layer: Layer, by: str) -> list[Range]:
    """Five equal classes over the property's range in the data, red (low) to green."""
    column = layer.column(by)
    low, high = connection.execute(select(func.min(column), func.max(column))).one()
    low, high = float(low or 0), float(high or 0)
    step = (high - low) / len(RED_TO_GREEN) or 1.0
    return [
        Range(round(low + i * step, 4), round(low + (i + 1) * step, 4), colour)
        for i, colour in enumerate(RED_TO_GREEN)
    ]


def _categorized(by: str, categories: list[Category], kind: str) -> ElementTree.Element:
    element = ElementTree.Element("renderer-v2", type="categorizedSymbol", attr=by)
    listed = ElementTree.SubElement(element, "categories")
    symbols = ElementTree.SubElement(element, "symbols")
    for i, category in enumerate(categories):
        ElementTree.SubElement(
            listed, "category", value=category.value, label=category.label,
            symbol=str(i), render="true",
        )  # fmt: skip
        symbols.append(_symbol(str(i), kind, category.colour))
    return element


def _graduated(by: str, ranges: list[Range], kind: str) -> ElementTree.Element:
    element = ElementTree.Element(
        "renderer-v2", type="graduatedSymbol", attr=by, graduatedMethod="GraduatedColor"
    )
    listed = ElementTree.SubElement(element, "ranges")
    symbols = ElementTree.SubElement(element, "symbols")
    for i, band in enumerate(ranges):
        ElementTree.SubElement(
            listed, "range", lower=str(band.lower), upper=str(band.upper),
            label=f"{band.lower:g} – {band.upper:g}", symbol=str(i), render="true",
        )  # fmt: skip
        symbols.append(_symbol(str(i), kind, band.colour))
    return element


def qml(connection: Connection, layer: Layer, by: str | None) -> bytes:
    """A QML style file for QGIS's Layer Properties → Style → Load Style."""
    root = ElementTree.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    root.append(renderer(connection, layer, by))
    return _document(root)


def project(
    connection: Connection, layers: dict[str, Layer], url: str, authcfg: str | None
) -> bytes:
    """A QGIS project with every collection as an OGC API – Features layer of `url`, styled;
    `authcfg`: the id of the QGIS authentication configuration that sends the key."""
    root = ElementTree.Element("qgis", projectname="geoapi 创城点位", version=QGIS_VERSION)
    ElementTree.SubElement(root, "title").text = "geoapi 创城点位 / inspection points"
    crs = ElementTree.SubElement(ElementTree.SubElement(root, "projectCrs"), "spatialrefsys")
    ElementTree.SubElement(crs, "authid").text = "EPSG:4326"
    tree = ElementTree.SubElement(root, "layer-tree-group")
    maplayers = ElementTree.SubElement(root, "projectlayers")
    for layer_id, layer in layers.items():
        source = (
            f"pagingEnabled='true' preferCoordinatesForWfsT11='false' "
            f"restrictToRequestBBOX='1' typename='{layer_id}' url='{url.rstrip('/')}' "
            "version='OGC_API_FEATURES'" + (f" authcfg='{authcfg}'" if authcfg else "")
        )
        ElementTree.SubElement(
            tree, "layer-tree-layer", id=layer_id, name=layer.definition.title,
            providerKey="OAPIF", source=source,
            checked="Qt::Checked" if layer.definition.map != "none" else "Qt::Unchecked",
            expanded="1",
        )  # fmt: skip
        maplayer = ElementTree.SubElement(maplayers, "maplayer", type="vector")
        values: dict[str, Any] = {
            "id": layer_id,
            "datasource": source,
            "layername": layer.definition.title,
            "provider": "OAPIF",
        }
        for tag, value in values.items():
            ElementTree.SubElement(maplayer, tag).text = value
        srs = ElementTree.SubElement(ElementTree.SubElement(maplayer, "srs"), "spatialrefsys")
        ElementTree.SubElement(srs, "authid").text = "OGC:CRS84"
        maplayer.append(renderer(connection, layer, PROJECT_STYLES.get(layer_id)))
    return _document(root)


def _document(root: ElementTree.Element) -> bytes:
    ElementTree.indent(root)
    body = ElementTree.tostring(root, encoding="unicode")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body).encode()
