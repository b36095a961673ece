"""The map as a wall poster (挂图): one landscape sheet of A4 to A1, the map on the left and, on
the right, the title, the date, the worst streets and a north arrow; the legend stays open and
the on-screen controls are left off. Rendered to PDF or PNG by headless Chromium."""

import html
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

from geoapi.errors import InvalidParameter
from geoapi.map.display import Raw, page_of

# Landscape sheets, millimetres (ISO 216).
PAPERS = {"a4": (297, 210), "a3": (420, 297), "a2": (594, 420), "a1": (841, 594)}
SIDE_SHARE = 0.26  # of the sheet's width, for the title, the table and the arrow
WORST_STREETS = 10
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
PIXELS_PER_MM = 96 / 25.4  # CSS pixels


def paper_size(paper: str) -> tuple[int, int]:
    """Width and height in mm of a known sheet; anything else is a 400."""
    if paper not in PAPERS:
        raise InvalidParameter(f"print: {paper!r} is not a sheet; use one of {', '.join(PAPERS)}")
    return PAPERS[paper]


def add_to(
    fmap: folium.Map,
    paper: str,
    title: str,
    streets: list[dict[str, Any]],
    box: list[list[float]],
) -> None:
    """Lay the page out as the sheet `paper`: the map beside a panel with `title` (HTML) and
    the streets with the most open problems (choropleth features' properties); the map, once
    at its printed size, fits `box` ([[south, west], [north, east]]) again."""
    width, height = paper_size(paper)
    side = round(width * SIDE_SHARE)
    scale = (width / 297) ** 0.75  # type grows with the sheet, less than the sheet does
    worst = sorted(streets, key=lambda s: (-s["open"], s["name"]))[:WORST_STREETS]
    rows = "".join(
        f"<tr><td>{rank}</td><td>{html.escape(s['name'])}</td><td>{s['open']:,}</td>"
        f"<td>{s['points']:,}</td><td>{s['per_100_points'] or 0:g}</td></tr>"
        for rank, s in enumerate(worst, 1)
    )
    page = page_of(fmap)
    page.header.add_child(
        Raw(
            f"""<style>
@page {{ size: {width}mm {height}mm; margin: 0; }}
html, body {{ width: {width}mm; height: {height}mm; margin: 0; overflow: hidden; }}
.folium-map {{ position: absolute !important; left: 0; top: 0;
  width: {width - side}mm !important; height: {height}mm !important; }}
.leaflet-control-zoom, .leaflet-control-layers, .leaflet-control-fullscreen,
#map-title {{ display: none !important; }}
.area-label {{ font-size: {13 * scale:.0f}px !important; }}
.map-legend {{ font-size: {12 * scale:.0f}px !important; width: {230 * scale:.0f}px !important;
  max-height: none !important; }}
#poster-side {{ position: absolute; left: {width - side}mm; top: 0; width: {side}mm;
  height: {height}mm; box-sizing: border-box; padding: {8 * scale:.0f}mm {6 * scale:.0f}mm;
  font: {13 * scale:.0f}px "WenQuanYi Zen Hei", sans-serif; border-left: 1px solid #999; }}
#poster-side h1 {{ font-size: {22 * scale:.0f}px; margin: 0 0 .5em; }}
#poster-side table {{ border-collapse: collapse; width: 100%; margin-top: 1em; }}
#poster-side th, #poster-side td {{ border-bottom: 1px solid #ccc; padding: .25em .3em;
  text-align: right; }}
#poster-side td:nth-child(2), #poster-side th:nth-child(2) {{ text-align: left;
  white-space: nowrap; }}
#poster-side caption {{ caption-side: top; text-align: left; font-weight: bold; }}
#north-arrow {{ margin-top: 1.5em; font-size: {40 * scale:.0f}px; text-align: center;
  line-height: 1; }}
</style>"""
        )
    )
    page.html.add_child(
        Raw(
            f'<div id="poster-side"><h1>创城问题地图</h1><div>{title}</div>'
            "<table><caption>未结问题最多的街道 streets with the most open problems</caption>"
            "<tr><th>#</th><th>街道 street</th><th>未结 open</th><th>点位 points</th>"
            f"<th>每百点位 per 100</th></tr>{rows}</table>"
            '<div id="north-arrow">▲<br>北 N</div></div>'
        )
    )
    Refit(box).add_to(fmap)


class Refit(MacroElement):
    """Leaflet measured the map before the sheet's layout: measure again, then fit the box as
    closely as fractional zooms allow."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.options.zoomSnap = 0.1;"  # fill the sheet, not a zoom step
        "{{ this._parent.get_name() }}.invalidateSize();"
        "{{ this._parent.get_name() }}.fitBounds({{ this.box }});"
        "{% endmacro %}"
    )

    def __init__(self, box: list[list[float]]) -> None:
        super().__init__()
        self._name = "Refit"
        self.box = json.dumps(box)


def chromium() -> str:
    """The browser that prints posters; a clear error where none is installed."""
    for name in CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("printing a poster needs Chromium: apt-get install chromium")


def render(page_html: str, paper: str, out: Path) -> None:
    """Print a standalone page (scripts inside) to `out`: PDF, or PNG at 96 pixels per inch."""
    width, height = paper_size(paper)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "poster.html"
        source.write_text(page_html, "utf-8")
        if out.suffix.lower() == ".pdf":
            target = [f"--print-to-pdf={out}", "--no-pdf-header-footer"]
        else:
            pixels = f"{round(width * PIXELS_PER_MM)},{round(height * PIXELS_PER_MM)}"
            target = [f"--screenshot={out}", f"--window-size={pixels}", "--hide-scrollbars"]
        subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={folder}/profile",
                "--virtual-time-budget=15000",  # the page's scripts draw the layers first
                *target,
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
