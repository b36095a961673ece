"""Recording a visit: score it, measure where the device was, open what failed, update the point."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from geoapi import boundary
from geoapi.auth.principal import Principal
from geoapi.errors import Forbidden, InvalidParameter, NotFound
from geoapi.inspections import queries
from geoapi.inspections.checklists import Checklist, Checklists
from geoapi.inspections.schemas import InspectionCreate, InspectionPublic
from geoapi.inspections.scoring import Answer, Score, ScoringError, score
from geoapi.issues import service as issues
from geoapi.issues.schemas import IssueCreate
from geoapi.points import state as point_state
from geoapi.responsibility import queries as responsibility
from geoapi.settings import Settings

CLOCK_SKEW = timedelta(minutes=5)  # devices' clocks run a little fast


def record(
    connection: Connection,
    body: InspectionCreate,
    checklists: Checklists,
    settings: Settings,
    principal: Principal,
) -> tuple[InspectionPublic, bool]:
    """Store the visit and everything it found in the caller's transaction; (visit, created).

    A known client id returns the stored visit (field devices retry on bad networks).
    """
    principal.require("inspect")
    scope = principal.scope_sql("p.")
    if body.id is not None and (
        row := queries.select_inspection(connection, client_id=body.id, scope=scope)
    ):
        return _visible(row, principal, body.id), False
    now = datetime.now(UTC)
    visited_at = body.visited_at or now
    if visited_at > now + CLOCK_SKEW:
        raise InvalidParameter(f"visited_at: {visited_at.isoformat()} is in the future")
    point = queries.point_for_visit(connection, body.point_code, principal.scope_sql("p."))
    if point is None:
        raise InvalidParameter(f"point_code: no point {body.point_code!r}")
    if not point["in_scope"]:
        raise Forbidden(f"point {body.point_code} is outside the area of {principal.username!r}")
    if body.lon is not None and body.lat is not None:
        boundary.check_inside(connection, body.lon, body.lat, "lon/lat")
    checklist = checklists.current(point["category"], visited_at.date())
    if checklist is None:
        known = ", ".join(checklists.categories)
        raise InvalidParameter(
            f"no checklist for category {point['category']!r} on {visited_at.date()}; "
            f"checklists exist for: {known}"
        )
    result = _score(checklist, body)
    team_id = _team(connection, body.team)
    stored = queries.insert_inspection(
        connection,
        {
            "point_id": point["id"],
            "team_id": team_id,
            "inspector": principal.username,
            "visited_at": visited_at,
            "lon": body.lon,
            "lat": body.lat,
            "checklist_version": checklist.key,
            "results": _results_json(body, result),
            "score_rate": result.rate,
            "notes": body.notes,
            "passed": result.passed,
            "far_m": settings.inspection_far_m,
            "client_id": body.id,
        },
    )
    opened, already_open = _open_problems(connection, body, checklist, point, settings, principal)
    queries.link_issues(connection, stored["id"], opened)
    point_state.refresh(connection, [point["id"]])
    responsibility.rate_frontage(connection, point["id"])  # 门前三包 stars
    row = queries.select_inspection(connection, stored["id"])
    assert row is not None
    return _public(row).model_copy(update={"already_open": already_open}), True


def read(connection: Connection, inspection_id: int, principal: Principal) -> InspectionPublic:
    """One stored visit."""
    principal.require("read")
    row = queries.select_inspection(connection, inspection_id, scope=principal.scope_sql("p."))
    return _visible(row, principal, inspection_id)


def _visible(row: Any, principal: Principal, asked: object) -> InspectionPublic:
    """The visit when its point lies in the caller's scope; 404 for one missing or outside
    it (a visit elsewhere is not told to exist)."""
    if row is None or not row["in_scope"]:
        raise NotFound(f"no inspection {asked}")
    return _public(row)


def _score(checklist: Checklist, body: InspectionCreate) -> Score:
    answers = [Answer(a.criterion, a.result, a.partial) for a in body.answers]
    try:
        return score(checklist, answers)
    except ScoringError as exc:
        raise InvalidParameter(f"answers: {exc}", reasons=exc.reasons) from exc


def _team(connection: Connection, code: str | None) -> int | None:
    if code is None:
        return None
    found = queries.team_id(connection, code)
    if found is None:
        raise InvalidParameter(f"team: no team {code!r}")
    return found


def _results_json(body: InspectionCreate, result: Score) -> dict[str, Any]:
    return {
        "answers": [a.model_dump(exclude={"open_issue", "severity"}) for a in body.answers],
        "earned": result.earned,
        "possible": result.possible,
        "failed": [c.id for c in result.failed],
        "vetoed_by": list(result.vetoed_by),
    }


def _open_problems(
    connection: Connection,
    body: InspectionCreate,
    checklist: Checklist,
    point: Any,
    settings: Settings,
    principal: Principal,
) -> tuple[list[Any], list[Any]]:
    """Open the problems of failed criteria (unless one is open already) and those listed."""
    reports: list[IssueCreate] = []
    already_open = []
    for answer in body.answers:
        if not answer.open_issue:
            continue
        criterion = checklist.criterion(answer.criterion)
        assert criterion is not None  # scoring checked every id
        if answer.result != "fail":
            raise InvalidParameter(f"answers: {answer.criterion}: open_issue needs a fail")
        if criterion.issue_type is None:
            raise InvalidParameter(
                f"answers: {answer.criterion} names no problem type; list it under issues"
            )
        existing = queries.open_issue_of_type(connection, point["id"], criterion.issue_type)
        if existing is not None:
            already_open.append(existing)
            continue
        text = f"{criterion.id} {criterion.text}" + (f": {answer.note}" if answer.note else "")
        reports.append(
            IssueCreate(
                type=criterion.issue_type,
                severity=answer.severity,
                source="inspection",
                description=text,
                point_code=point["code"],
            )
        )
    for seen in body.issues:
        reports.append(
            IssueCreate(
                type=seen.type,
                severity=seen.severity,
                source="inspection",
                description=seen.description,
                point_code=point["code"],
                lon=seen.lon,
                lat=seen.lat,
            )
        )
    if reports:
        principal.require("report")
    opened = [issues.create_issue(connection, r, settings, principal).issue.id for r in reports]
    return opened, already_open


def _public(row: Any) -> InspectionPublic:
    results = row["results"] or {}
    return InspectionPublic(
        id=row["id"],
        client_id=row["client_id"],
        point=row["point"],
        team=row["team"],
        inspector=row["inspector"],
        visited_at=row["visited_at"],
        checklist_version=row["checklist_version"],
        score_rate=float(row["score_rate"]),
        earned=results.get("earned", 0.0),
        possible=results.get("possible", 0.0),
        passed=bool(row["passed"]),
        failed=[str(f) for f in results.get("failed", [])],
        vetoed_by=results.get("vetoed_by", []),
        distance_m=row["distance_m"],
        far_from_point=row["far_from_point"],
        issues=list(row["issues"]),
        notes=row["notes"],
    )
