"""Creating problems and moving them through the loop: rules here, SQL in queries.py."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from geoapi import boundary
from geoapi.auth.principal import SYSTEM, Principal
from geoapi.errors import (
    BatchRefused,
    Conflict,
    Forbidden,
    GeoApiError,
    InvalidParameter,
    NotFound,
    PreconditionFailed,
)
from geoapi.issues import evidence, photos, queries
from geoapi.issues.schemas import (
    BatchMove,
    Duplicate,
    Event,
    EvidenceFlag,
    IssueCreate,
    IssuePublic,
    Moved,
    Transition,
)
from geoapi.issues.states import ENDED, IllegalMove, Status, allowed_actions, next_status
from geoapi.points import state as point_state
from geoapi.reference import queries as reference_queries
from geoapi.settings import Settings

# Moves the service makes itself (automatic camera merges) are recorded as this user.


@dataclass(frozen=True)
class Created:
    """The issue, and whether this call created it (False: a retried create)."""

    issue: IssuePublic
    created: bool


def create_issue(
    connection: Connection, body: IssueCreate, settings: Settings, principal: Principal
) -> Created:
    """Insert a reported problem with its first event; a known client id returns the original.

    Whether `principal` may report at all is the caller's check (staff: role; Open311: settings).

    A scoped reporter (an inspector of a street) may only report inside their area: checked on
    the inserted row, so the database's own area join decides, and a refusal rolls back.
    """
    issue_id = body.id or uuid.uuid4()
    if body.id is not None and queries.select_issue(connection, body.id) is not None:
        return Created(read_issue(connection, body.id, principal), created=False)
    if queries.issue_type_days(connection, body.type) is None:
        known = ", ".join(reference_queries.codes(connection, "issue_types"))
        raise InvalidParameter(f"type: unknown issue type {body.type!r}; known: {known}")
    point, lon, lat = _locate(connection, body, settings, principal)
    boundary.check_inside(connection, lon, lat, "lon/lat")
    inserted = queries.insert_issue(
        connection,
        {
            "id": issue_id,
            "point_id": point["id"] if point else None,
            "lon": lon,
            "lat": lat,
            "type": body.type,
            "severity": body.severity,
            "source": body.source,
            "confidence": body.confidence,
            "description": body.description,
        },
    )
    if not inserted:  # a concurrent retry won the race: same id, same problem
        return Created(read_issue(connection, issue_id, principal), created=False)
    _in_scope(connection, issue_id, principal, "report")
    queries.insert_event(
        connection, issue_id, principal.username, "report", None, Status.REPORTED, None
    )
    radius = settings.duplicate_radius(body.type)
    nearby = queries.open_duplicates(
        connection, issue_id, body.type, lon, lat, radius, principal.scope_sql("issues.")
    )
    duplicates = [Duplicate(**d) for d in nearby]  # the camera merges into any; lists in scope
    human = next((d for d in duplicates if d.source != "camera"), None)
    confident = (body.confidence or 0) >= settings.camera_merge_confidence
    if body.source == "camera" and confident and human is not None:
        note = f"camera report within {human.distance_m} m of an open report: merged"
        merge = Transition(action="merge", into=human.id, note=note)
        transition(connection, issue_id, merge, None, settings, SYSTEM)
    point_state.refresh(connection, [point["id"] if point else None])
    issue = read_issue(connection, issue_id, SYSTEM, linked=point)  # the reporter made it
    visible = [d for d, row in zip(duplicates, nearby, strict=True) if row["in_scope"]]
    return Created(issue.model_copy(update={"possible_duplicates": visible}), created=True)


def _locate(
    connection: Connection, body: IssueCreate, settings: Settings, principal: Principal
) -> tuple[Any, float, float]:
    """The point the report belongs to (given, or the nearest compatible one) and lon/lat.

    A named point must lie in the reporter's scope, and a report with its own position must
    be near it (`inspection_far_m` from the point or its footprint): a report may not move
    another street's counts.
    """
    if body.point_code is not None:
        point = queries.point_by_code(
            connection, body.point_code, principal.scope_sql("p."), body.lon, body.lat
        )
        if point is None or not point["in_scope"]:
            raise InvalidParameter(f"point_code: no point {body.point_code!r} in your scope")
        far = point["report_distance_m"]
        if far is not None and far > settings.inspection_far_m:
            raise InvalidParameter(
                f"point_code: the report is {far:,.0f} m from point {body.point_code!r}; at "
                f"most {settings.inspection_far_m:,.0f} m (leave point_code out to link the "
                "nearest point)"
            )
        lon = body.lon if body.lon is not None else point["lon"]
        lat = body.lat if body.lat is not None else point["lat"]
        return {**point, "distance_m": None}, lon, lat
    assert body.lon is not None and body.lat is not None
    point = queries.nearest_point(connection, body.lon, body.lat, body.type, settings.link_radius_m)
    return point, body.lon, body.lat


def _in_scope(
    connection: Connection, issue_id: uuid.UUID, principal: Principal, doing: str
) -> None:
    """403 unless the issue lies in the principal's area or unit (decided in SQL)."""
    row = queries.select_issue(connection, issue_id, scope=principal.scope_sql("i."))
    if row is not None and not row["in_scope"]:
        raise Forbidden(f"{doing}: issue {issue_id} is outside the scope of {principal.username!r}")


def read_issue(
    connection: Connection, issue_id: uuid.UUID, principal: Principal, linked: Any | None = None
) -> IssuePublic:
    """An issue with its history; 404 if missing, 403 if outside the caller's scope."""
    principal.require("read")
    row = queries.select_issue(connection, issue_id, scope=principal.scope_sql("i."))
    if row is None:
        raise NotFound(f"no issue {issue_id}")
    if not row["in_scope"]:
        raise Forbidden(f"issue {issue_id} is outside the scope of {principal.username!r}")
    point = None
    if row["point_id"] is not None:
        point = {"id": row["point_id"], "code": row["point_code"], "name": row["point_name"]}
        if linked is not None and linked.get("distance_m") is not None:
            point |= {"linked_automatically": True, "distance_m": linked["distance_m"]}
    events = [Event(**e) for e in queries.select_events(connection, issue_id)]
    fields = {k: row[k] for k in IssuePublic.model_fields if k in row}
    flags = [
        EvidenceFlag(**flag, photo=photo["sha256"])
        for photo in row["photos"]
        for flag in photo.get("flags", [])
    ]
    return IssuePublic(
        **fields,
        point=point,
        allowed_actions=allowed_actions(row["status"]),
        events=events,
        evidence_flags=flags,
    )


def transition(
    connection: Connection,
    issue_id: uuid.UUID,
    move: Transition,
    if_match: int | None,
    settings: Settings,
    principal: Principal,
) -> IssuePublic:
    """Apply one move under a row lock; a stale If-Match is 412, a forbidden move 409.

    The role must hold the action and the issue must lie in the caller's scope (403).
    """
    _move(connection, issue_id, move, if_match, settings, principal)
    return read_issue(connection, issue_id, SYSTEM)


def transition_all(
    connection: Connection, moves: list[BatchMove], settings: Settings, principal: Principal
) -> list[Moved]:
    """Every move, in order, or none: each item that fails (state, scope, version, what the
    action needs) is listed with its reason in one answer (`errors`), and the caller rolls
    back. Failures of one kind keep their status (409, 403, 412, 404, 400); mixed ones: 409.

    The problems are locked first in one order, so two batches over the same problems wait
    for each other instead of deadlocking.
    """
    for action in sorted({move.action for move in moves}):
        principal.require(action)  # a role that may not do it at all: a plain 403
    queries.lock_issues(connection, sorted({move.id for move in moves}))
    failures: list[dict[str, Any]] = []
    kinds: set[type[GeoApiError]] = set()
    for index, move in enumerate(moves):
        try:
            with connection.begin_nested():  # a failed item leaves the others' work usable
                _move(connection, move.id, move, move.version, settings, principal)
        except GeoApiError as exc:
            kinds.add(type(exc))
            failures.append(
                {"index": index, "id": str(move.id), "status": exc.status_code}
                | {"detail": exc.detail, **exc.extra}
            )
    if failures:
        # One kind of failure answers with its own status (all outside the scope: 403 …).
        refusal = kinds.pop() if len(kinds) == 1 else BatchRefused
        raise refusal(
            f"{len(failures)} of {len(moves)} moves cannot be made; none was made",
            errors=failures,
        )
    return [Moved(**row) for row in queries.issue_states(connection, [m.id for m in moves])]


def _move(
    connection: Connection,
    issue_id: uuid.UUID,
    move: Transition,
    if_match: int | None,
    settings: Settings,
    principal: Principal,
) -> None:
    """One move under a row lock, with its history row and the point's state."""
    principal.require(move.action)
    row = _locked(connection, issue_id, if_match, principal)
    try:
        target = next_status(row["status"], move.action)
    except IllegalMove as exc:
        raise Conflict(str(exc), current_status=exc.current, allowed_actions=exc.allowed) from exc
    changes = {"status": target, **_effects(connection, row, move, settings, principal)}
    if not queries.update_issue(connection, issue_id, row["version"], changes):
        raise PreconditionFailed(f"issue {issue_id} changed while it was being updated")
    note = move.note if move.action != "merge" else f"duplicate of {move.into}: {move.note or ''}"
    actor = principal.username
    deadline = changes.get("deadline")
    queries.insert_event(
        connection, issue_id, actor, move.action, row["status"], target, note, deadline
    )
    point_state.refresh(connection, [row["point_id"]])


def add_photo(
    connection: Connection,
    issue_id: uuid.UUID,
    data: bytes,
    tag: str,
    if_match: int | None,
    settings: Settings,
    principal: Principal,
    actor: str | None = None,
) -> dict[str, Any]:
    """Store a before/after photo or video, list it on the issue (with what the evidence
    checks flagged) and in its history (as `actor`: default, the principal)."""
    principal.require("photo")
    row = _locked(connection, issue_id, if_match, principal)
    stored = photos.store(settings.photos_dir, data, photos.Limits.of(settings))
    entry = stored.as_json(tag) | evidence.check(connection, row, stored, tag, settings)
    if not queries.add_photo(connection, issue_id, row["version"], entry):
        raise PreconditionFailed(f"issue {issue_id} changed while it was being updated")
    kind = "video" if stored.content_type.startswith("video/") else "photo"
    note = f"{tag} {kind} {stored.sha256[:12]}"
    if entry["flags"]:
        note += ": " + "; ".join(flag["detail_zh"] for flag in entry["flags"])
    status = row["status"]
    who = actor or principal.username
    queries.insert_event(connection, issue_id, who, "photo", status, status, note)
    return entry | {"version": row["version"] + 1}


def photo_file(
    connection: Connection,
    issue_id: uuid.UUID,
    digest: str,
    settings: Settings,
    principal: Principal,
) -> tuple[Path, str]:
    """Path and content type of one of the issue's photos, or NotFound."""
    principal.require("read")
    _in_scope(connection, issue_id, principal, "read")
    entry = queries.photo_entry(connection, issue_id, digest)
    if entry is None:
        raise NotFound(f"issue {issue_id} has no photo {digest}")
    return photos.path_of(settings.photos_dir, digest, entry["content_type"]), entry["content_type"]


def _locked(
    connection: Connection, issue_id: uuid.UUID, if_match: int | None, principal: Principal
) -> Any:
    """The issue row, locked for this transaction; 404 missing, 403 out of scope, 412 stale."""
    scope = principal.scope_sql("i.")
    row = queries.select_issue(connection, issue_id, for_update=True, scope=scope)
    if row is None:
        raise NotFound(f"no issue {issue_id}")
    if not row["in_scope"]:
        raise Forbidden(f"issue {issue_id} is outside the scope of {principal.username!r}")
    if if_match is not None and row["version"] != if_match:
        raise PreconditionFailed(
            f"issue {issue_id} is at version {row['version']}, not {if_match}; "
            "read it again and retry",
            current_version=row["version"],
        )
    return row


def _effects(
    connection: Connection, row: Any, move: Transition, settings: Settings, principal: Principal
) -> dict[str, Any]:
    """Column changes an action brings, after checking what it needs."""
    now = datetime.now(UTC)
    if move.action in ("dispatch", "reopen"):
        if move.action == "reopen" and (move.unit or move.deadline):
            principal.require("dispatch")  # choosing unit and deadline is dispatching
        unit = (
            move.unit
            or row["unit"]
            or queries.default_unit(connection, row["point_id"], row["type"])
        )
        if unit is None:
            raise InvalidParameter(
                f"{move.action}: unit is required (the problem's point has no responsible unit "
                f"and type {row['type']!r} no default unit)"
            )
        if not queries.unit_exists(connection, unit):
            raise InvalidParameter(f"unit: no unit {unit!r}")
        days = queries.issue_type_days(connection, row["type"]) or 1
        deadline = move.deadline or now + timedelta(days=days)
        if deadline <= max(now, row["reported_at"]):
            raise InvalidParameter("deadline must be in the future")
        within_horizon(deadline, now, settings)
        return {
            "unit_code": unit,
            "deadline": deadline,
            "dispatched_at": row["dispatched_at"] or now,
        }
    if move.action == "defer":
        if not move.note:
            raise InvalidParameter("defer: note (the reason for more time) is required")
        if move.deadline is None or move.deadline <= max(now, row["deadline"]):
            raise InvalidParameter("defer: deadline must be later than the current one and now")
        within_horizon(move.deadline, now, settings)
        return {"deadline": move.deadline}
    if move.action == "reschedule":
        if not move.note:
            raise InvalidParameter("reschedule: note (why the deadline changes) is required")
        if move.deadline is None or move.deadline <= now:
            raise InvalidParameter("reschedule: deadline must be in the future")
        if move.deadline == row["deadline"]:
            raise InvalidParameter("reschedule: deadline is the current one already")
        within_horizon(move.deadline, now, settings)
        return {"deadline": move.deadline}
    if move.action == "rectify":
        evidence.require_after_photo(connection, row["id"], row["type"])
        return {"rectified_at": now}
    if move.action == "close":
        rectifier = queries.last_actor(connection, row["id"], "rectify")
        if settings.verifier_must_differ and rectifier == principal.username:
            raise Forbidden(f"{rectifier!r} rectified this problem and cannot also verify it")
        return {"closed_at": now}
    if move.action == "reject" and not move.note:
        raise InvalidParameter("reject: note (the reason) is required")
    if move.action == "merge":
        _check_merge_target(connection, row["id"], move.into, principal)
        return {"merged_into": move.into}
    return {}


def within_horizon(deadline: datetime, now: datetime, settings: Settings) -> None:
    """400 for a deadline past `deadline_horizon_days` (a typo such as the year 3054)."""
    horizon = now + timedelta(days=settings.deadline_horizon_days)
    if deadline > horizon:
        latest = horizon.astimezone(settings.zone).strftime("%Y-%m-%d")
        raise InvalidParameter(
            f"deadline: at most {settings.deadline_horizon_days} days ahead (by {latest}); "
            "a later date is a typo or needs a new decision"
        )


def _check_merge_target(
    connection: Connection, issue_id: uuid.UUID, into: uuid.UUID | None, principal: Principal
) -> None:
    """The target must be another issue the caller may see (one it may not is "no issue", as
    a read of it would be: its state is not told) and still open."""
    if into is None or into == issue_id:
        raise InvalidParameter("merge: into must name another issue")
    target = queries.select_issue(connection, into, scope=principal.scope_sql("i."))
    if target is None or not target["in_scope"]:
        raise InvalidParameter(f"merge: no issue {into} in your scope")
    if target["status"] in ENDED:
        raise Conflict(f"merge: issue {into} is {target['status']}; merge into an open one")
