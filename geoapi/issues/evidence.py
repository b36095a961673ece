"""Evidence rules: what a rectification must show, and what makes a photo doubtful.

- Refused (409): rectifying a problem whose type needs it (`issue_types.after_photo_required`)
  without an after photo or video uploaded since the problem was last sent back for rework.
- Flagged, not refused (an honest photo may come from a phone with a wrong clock): the flags
  are kept on the photo's entry, listed on the problem and shown to the verifier beside it.
  - `taken_before_report`: an after photo taken before the problem was reported;
  - `far`: taken farther than `photo_far_m` from the problem;
  - `same_picture`: the same picture (pHash within `photo_same_bits` of 64 bits) on another
    problem, or an after photo that is this problem's before photo again.
"""

import uuid
from datetime import datetime
from typing import Any

from pyproj import Geod
from sqlalchemy import Connection, text

from geoapi.errors import Conflict
from geoapi.issues.photos import StoredPhoto
from geoapi.settings import Settings

WGS84 = Geod(ellps="WGS84")

# A problem's round of work: how often it was sent back (返工). Each photo keeps the round it
# was uploaded in, so last round's after photo does not show this round's work.
ROUND = "(SELECT count(*) FROM issue_events e WHERE e.issue_id = :id AND e.action = 'reopen')"
NEEDS_AFTER_PHOTO = f"""
SELECT t.after_photo_required AND NOT EXISTS (
         SELECT FROM jsonb_array_elements(i.photos) AS p
          WHERE p.value->>'tag' = 'after'
            AND coalesce(CAST(p.value->>'round' AS int), 0) = {ROUND})
  FROM issues i JOIN issue_types t ON t.code = i.type
 WHERE i.id = :id"""

# Hamming distance of two 64-bit hashes kept as bigint.
SAME_PICTURES = """
SELECT h.issue_id, h.tag, bit_count(CAST(h.phash # :phash AS bit(64))) AS bits
  FROM photo_hashes h
 WHERE bit_count(CAST(h.phash # :phash AS bit(64))) <= :bits
   AND (h.issue_id <> :id OR (:tag = 'after' AND h.tag = 'before'))
 ORDER BY bits, h.issue_id
 LIMIT 5"""


def require_after_photo(connection: Connection, issue_id: uuid.UUID, issue_type: str) -> None:
    """409 unless the problem has the after photo its type needs for this round of work."""
    if connection.scalar(text(NEEDS_AFTER_PHOTO), {"id": issue_id}):
        raise Conflict(
            f"rectify: a problem of type {issue_type!r} needs an after photo or video "
            "(整改后照片) uploaded since it was last sent back; upload one to "
            f"/issues/{issue_id}/photos with tag=after, then rectify"
        )


def check(
    connection: Connection,
    issue: Any,
    stored: StoredPhoto,
    tag: str,
    settings: Settings,
) -> dict[str, Any]:
    """What the photo's entry adds: its round of work and the flags it raises; its hash is
    recorded for later uploads."""
    flags = [*_time_flags(issue, stored, tag, settings), *_place_flags(issue, stored, settings)]
    flags += _same_picture_flags(connection, issue["id"], stored, tag, settings)
    connection.execute(
        text(
            "INSERT INTO photo_hashes (issue_id, sha256, tag, phash) "
            "VALUES (:id, :sha, :tag, :phash) ON CONFLICT DO NOTHING"
        ),
        {"id": issue["id"], "sha": stored.sha256, "tag": tag, "phash": stored.phash},
    )
    rework_round = connection.scalar(text(f"SELECT {ROUND}"), {"id": issue["id"]})
    return {"round": rework_round, "flags": flags}


def _time_flags(
    issue: Any, stored: StoredPhoto, tag: str, settings: Settings
) -> list[dict[str, Any]]:
    if tag != "after" or stored.taken_at is None:
        return []
    taken = stored.taken_at  # EXIF times are the camera's local time, without a zone
    if taken.tzinfo is None:
        taken = taken.replace(tzinfo=settings.zone)
    if taken >= issue["reported_at"]:
        return []
    reported = issue["reported_at"].astimezone(settings.zone)
    return [
        _flag(
            "taken_before_report",
            f"taken at {_local(taken, settings)}, before the problem was reported "
            f"({_local(reported, settings)})",
            f"拍摄时间 {_local(taken, settings)} 早于问题上报时间 {_local(reported, settings)}",
        )
    ]


def _place_flags(issue: Any, stored: StoredPhoto, settings: Settings) -> list[dict[str, Any]]:
    if stored.lon is None or stored.lat is None:
        return []
    *_, metres = WGS84.inv(issue["lon"], issue["lat"], stored.lon, stored.lat)
    if metres <= settings.photo_far_m:
        return []
    return [
        _flag(
            "far",
            f"taken {metres:,.0f} m from the problem (more than {settings.photo_far_m:,.0f} m)",
            f"拍摄位置距问题 {metres:,.0f} 米（超过 {settings.photo_far_m:,.0f} 米）",
            distance_m=round(metres, 1),
        )
    ]


def _same_picture_flags(
    connection: Connection,
    issue_id: uuid.UUID,
    stored: StoredPhoto,
    tag: str,
    settings: Settings,
) -> list[dict[str, Any]]:
    rows = connection.execute(
        text(SAME_PICTURES),
        {"phash": stored.phash, "bits": settings.photo_same_bits, "id": issue_id, "tag": tag},
    ).mappings()
    flags = []
    for row in rows:
        if row["issue_id"] == issue_id:
            flags.append(
                _flag(
                    "same_picture",
                    "the after photo is this problem's before photo again",
                    "整改后照片与整改前照片相同",
                    issue_id=str(issue_id),
                )
            )
        else:
            flags.append(
                _flag(
                    "same_picture",
                    f"the same picture is on problem {row['issue_id']}",
                    "与另一问题的照片相同",
                    issue_id=str(row["issue_id"]),
                )
            )
    return flags


def _flag(kind: str, detail: str, detail_zh: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "detail": detail, "detail_zh": detail_zh, **extra}


def _local(instant: datetime, settings: Settings) -> str:
    return instant.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
