"""Points due for a visit on a date: the last visit before that day plus the point's cycle
(the rule; `worklist.py` ranks and pages them), and the due list as GeoJSON."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping

from geoapi.areas import AreaRef
from geoapi.media import GEOJSON


def point_filter(
    area: AreaRef | None, scope: tuple[str, dict[str, object]]
) -> tuple[str, dict[str, object]]:
    """The caller's scope and an optional area as one predicate over `p.`, with its values."""
    conditions, params = [scope[0]], dict(scope[1])
    if area is not None:
        conditions.append(f"p.{area.column} = :area_id")
        params["area_id"] = area.id
    return " AND ".join(f"({c})" for c in conditions), params


PROPERTIES = (
    "code", "name", "category", "category_name", "address", "street", "community", "unit",
    "unit_name", "status", "score", "cycle_days", "last_inspected_at", "due_at", "due",
    "days_late", "open_issues", "awaiting_verification", "tier", "priority",
)  # fmt: skip


def feature_collection(rows: list[RowMapping], day: date, next_href: str | None) -> str:
    """A page of due points as GeoJSON text, with the link to the next page."""
    features = ",".join(
        f'{{"type":"Feature","id":{json.dumps(row["code"], ensure_ascii=False)},'
        f'"geometry":{row["geometry"]},"properties":'
        f"{json.dumps({k: row[k] for k in PROPERTIES}, ensure_ascii=False, default=_plain)}}}"
        for row in rows
    )
    links = [{"rel": "next", "type": GEOJSON, "href": next_href}] if next_href else []
    head = json.dumps(
        {"type": "FeatureCollection", "date": day.isoformat(), "numberReturned": len(rows),
         "links": links},
        ensure_ascii=False,
    )  # fmt: skip
    return head[:-1] + ',"features":[' + features + "]}"


def _plain(value: object) -> object:
    """JSON for what rows hold besides text and numbers: instants and decimals."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value))


def due_parameters(
    day: date, tz: ZoneInfo, cycles: dict[str, int], limit: int
) -> dict[str, object]:
    """The bound values the due rule needs for `day` (local midnight to midnight)."""
    day_start = datetime.combine(day, time(), tz)
    return {
        "categories": list(cycles),
        "days": list(cycles.values()),
        "day": day.isoformat(),
        "day_start": day_start,
        "day_end": day_start + timedelta(days=1),
        "limit": limit,
    }
