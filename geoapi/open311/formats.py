"""The two wire formats of GeoReport v2: JSON arrays, and XML with one element per field."""

import json
from typing import Any
from xml.etree import ElementTree

from fastapi.responses import Response

MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def render(fmt: str, root: str, item: str, rows: Any, status_code: int = 200) -> Response:
    """`rows` (a list of objects, or one object) as JSON, or as `<root><item>…</item></root>`."""
    if fmt == "json":
        body = json_bytes(rows)
    else:
        element = ElementTree.Element(root)
        for row in rows if isinstance(rows, list) else [rows]:
            _append(element, item, row)
        body = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return Response(body, status_code=status_code, media_type=MEDIA_TYPES[fmt])


def json_bytes(value: Any) -> bytes:
    """UTF-8 JSON with Chinese as is and times in ISO 8601."""
    return json.dumps(value, ensure_ascii=False, default=_iso).encode()


def _append(parent: ElementTree.Element, name: str, value: Any) -> None:
    """One field; lists repeat the element name's singular (attributes → attribute)."""
    if isinstance(value, list):
        container = ElementTree.SubElement(parent, name)
        for entry in value:
            _append(container, name.removesuffix("s"), entry)
        return
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, entry in value.items():
            _append(element, key, entry)
    elif value is not None:
        element.text = str(value).lower() if isinstance(value, bool) else _iso(value)


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
