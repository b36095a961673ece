"""Our problems in GeoReport v2 terms: field names, open/closed status and status notes."""

from typing import Any

from sqlalchemy import RowMapping

from geoapi.issues.states import ENDED, OPEN, Status

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
# GeoReport's two statuses, and which of our states each covers.
OPEN311_STATES = {"open": OPEN, "closed": ENDED}

# Status notes a citizen reads (the internal state is more detailed than open/closed).
NOTES = {
    Status.REPORTED: "已受理，待派遣 (received)",
    Status.DISPATCHED: "已派遣至{unit}，限期整改 (assigned to {unit})",
    Status.RECTIFYING: "{unit}整改中 (being fixed)",
    Status.RECTIFIED: "已整改，待核查 (fixed, awaiting verification)",
    Status.CLOSED: "已核查销号 (verified and closed)",
    Status.REJECTED: "不予受理：{reason} (not accepted)",
    Status.MERGED: "与已报告的问题合并 (duplicate of {merged_into})",
}


def service(row: RowMapping) -> dict[str, Any]:
    """An issue type as a GeoReport service."""
    return {
        "service_code": row["code"],
        "service_name": row["name_zh"],
        "description": f"{row['name_zh']} ({row['name_en']})",
        "metadata": False,
        "type": "realtime",
        "keywords": f"{row['name_zh']}, {row['name_en']}",
        "group": "创建文明城市",
    }


def service_notice(type_name: str, days: int) -> str:
    """What the citizen is promised: the type's rectification period."""
    return f"{type_name}：受理后限时{days}天整改"


def request(row: RowMapping, base: str, status: str | None = None) -> dict[str, Any]:
    """A problem as a GeoReport service request; `media_url` is its latest photo (after
    rectification, once there is one: the citizen sees the fix), served under `base`.
    `status`: the state to report (default: the problem's own; a webhook reports the one a
    step led to)."""
    state = Status(status or row["status"])
    unit = row["unit_name"] or row["unit_code"] or ""
    notes = NOTES[state].format(
        unit=unit, reason=row["reject_reason"] or "", merged_into=row["merged_into"]
    )
    return {
        "service_request_id": str(row["id"]),
        "status": next(k for k, covered in OPEN311_STATES.items() if state in covered),
        "status_notes": notes,
        "service_name": row["type_name"],
        "service_code": row["type"],
        "description": row["description"],
        "agency_responsible": row["unit_name"],
        "service_notice": service_notice(row["type_name"], row["days"]),
        "requested_datetime": row["reported_at"],
        "updated_datetime": row["updated_at"],
        "expected_datetime": row["deadline"],
        "address": row["address"],
        "address_id": row["point_code"],
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": f"{base}/requests/{row['id']}/media/{row['media']}" if row["media"] else None,
    }
