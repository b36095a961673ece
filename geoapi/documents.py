"""Printable HTML documents (notices, bulletins): one Jinja environment, self-contained pages."""

import base64
import io
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from PIL import Image, UnidentifiedImageError


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


def thumbnail(path: Path, size: int = 240) -> str | None:
    """A small JPEG of the photo as a data URI, so the printed page needs no other request."""
    try:
        with Image.open(path) as image:
            image.thumbnail((size, size))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=80)
    except (FileNotFoundError, UnidentifiedImageError, OSError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
