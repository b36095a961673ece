"""Printable HTML documents (notices, bulletins): one Jinja environment, self-contained pages."""

import base64
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("geoapi", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = lambda value, zone: value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    env.filters["day"] = lambda value, zone: value.astimezone(zone).strftime("%Y-%m-%d")
    env.filters["percent"] = lambda value: "–" if value is None else f"{value * 100:.1f}%"
    return env


def render(template: str, **context: Any) -> str:
    """The named template under `geoapi/templates/` filled with `context` (HTML-escaped)."""
    return _environment().get_template(template).render(**context)


def data_uri(jpeg: bytes) -> str:
    """A JPEG as a data URI, so the printed page needs no other request."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
