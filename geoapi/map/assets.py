"""Serve every script and stylesheet of the map page ourselves, so it works on an intranet.

Folium's templates name CDN addresses; the same files come from the npm registry at setup
(`web/package.json`) or from the installed folium package, and the page is rewritten to
point at `/static/…`. An address missing here stays remote and the browser test fails.
"""

import base64
import re
from pathlib import Path

import folium

FOLIUM_TEMPLATES = Path(folium.__file__).parent / "templates"
NPM = "/static/npm"
CDN_TO_LOCAL = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": f"{NPM}/leaflet/dist/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": f"{NPM}/leaflet/dist/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": f"{NPM}/jquery/dist/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": f"{NPM}/bootstrap/dist/js/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": f"{NPM}/bootstrap/dist/css/bootstrap.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": f"{NPM}/leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": f"{NPM}/leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": f"{NPM}/@fortawesome/fontawesome-free/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": f"{NPM}/leaflet.markercluster/dist/leaflet.markercluster.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": f"{NPM}/leaflet.markercluster/dist/MarkerCluster.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": f"{NPM}/leaflet.markercluster/dist/MarkerCluster.Default.css",
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": f"{NPM}/leaflet.fullscreen/Control.FullScreen.js",
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": f"{NPM}/leaflet.fullscreen/Control.FullScreen.css",
    "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js": f"{NPM}/d3/d3.min.js",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js": "/static/folium/leaflet_heat.min.js",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/pa7_hm.min.js": "/static/folium/pa7_hm.min.js",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/pa7_leaflet_hm.min.js": "/static/folium/pa7_leaflet_hm.min.js",
}
# Stylesheets the page does not use (glyphicons of Bootstrap 3, rotated awesome icons).
UNUSED = (
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
)


def localize(html: str, prefix: str = "") -> str:
    """The page with every known CDN address replaced by ours (under `prefix`)."""
    for remote, local in CDN_TO_LOCAL.items():
        html = html.replace(remote, prefix + local)
    for remote in UNUSED:
        html = html.replace(f'<link rel="stylesheet" href="{remote}"/>', "")
    return html


def local_file(url: str, assets_dir: Path) -> Path | None:
    """The file behind one of our /static addresses."""
    if url.startswith(NPM + "/"):
        return assets_dir / url.removeprefix(NPM + "/")
    if url.startswith("/static/folium/"):
        return FOLIUM_TEMPLATES / url.removeprefix("/static/folium/")
    return None


# Images a stylesheet names (the layers button, the fullscreen icon, marker shadows) go into
# the standalone page as data: URIs; icon fonts the page never shows stay out.
EMBEDDED_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}
STYLE_URL = re.compile(r"""url\((['"]?)([^'")]+)\1\)""")


def _embed_images(css: str, folder: Path) -> str:
    """`css` (a file in `folder`) with each relative image address replaced by its data."""

    def data(match: re.Match[str]) -> str:
        target = folder / match.group(2)
        kind = EMBEDDED_TYPES.get(target.suffix.lower())
        if match.group(2).startswith(("data:", "#", "http")) or not kind or not target.is_file():
            return match.group(0)
        return f"url(data:{kind};base64,{base64.b64encode(target.read_bytes()).decode()})"

    return STYLE_URL.sub(data, css)


def inline(html: str, assets_dir: Path) -> str:
    """A standalone page: every local script and stylesheet copied into it, with the images
    the stylesheets name (icon fonts aside)."""

    def script(match: re.Match[str]) -> str:
        path = local_file(match.group(1), assets_dir)
        return f"<script>{path.read_text()}</script>" if path else match.group(0)

    def style(match: re.Match[str]) -> str:
        path = local_file(match.group(1), assets_dir)
        if path is None:
            return match.group(0)
        return f"<style>{_embed_images(path.read_text(), path.parent)}</style>"

    html = re.sub(r'<script src="(/static/[^"]+)"></script>', script, html)
    return re.sub(r'<link rel="stylesheet" href="(/static/[^"]+)"/>', style, html)
