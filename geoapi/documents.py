"""Printable HTML documents (notices, bulletins): one Jinja environment, self-contained pages."""

import base64
from functools import cache
from typing import Any

from fastapi import Request
from jinja2 import Environment, PackageLoader, select_autoescape


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("geoapi", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = lambda value, zone, pattern="%Y-%m-%d %H:%M": value.astimezone(
        zone
    ).strftime(pattern)
    env.filters["day"] = lambda value, zone: value.astimezone(zone).strftime("%Y-%m-%d")
    env.filters["percent"] = lambda value: "–" if value is None else f"{value * 100:.1f}%"
    return env


def render(template: str, **context: Any) -> str:
    """The named template under `geoapi/templates/` filled with `context` (HTML-escaped)."""
    return _environment().get_template(template).render(**context)


def wants_html(request: Request, f: str | None) -> bool:
    """`f=html`, or no `f` and a browser's Accept: a person is reading, not a program."""
    return f == "html" or (f is None and "text/html" in request.headers.get("accept", ""))


def base_of(request: Request) -> str:
    """The service's address as this request reached it, for links between pages."""
    return str(request.base_url).rstrip("/")


def data_uri(jpeg: bytes) -> str:
    """A JPEG as a data URI, so the printed page needs no other request."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
