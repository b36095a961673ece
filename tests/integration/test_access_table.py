"""Who may call what: every operation of the OpenAPI document, for every role, on a resource
inside and outside the caller's scope. A new route without a row here fails the suite.

The rows are the rule as the office states it, written out, not read from the code. A caller
allowed by the rule must not get 401/403 (it may get 400/404/409 for what it sent); one
refused must get 401 (no key) or 403, and a scoped caller asking for a single resource
outside its scope 403 or 404.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Connection, text

from geoapi.app import create_app
from geoapi.auth import lookup
from geoapi.settings import Settings
from tests.conftest import LAYERS, app_on
from tests.factories import make_area_tree, make_point, make_unit
from tests.integration.test_inspections import answers

EVERYONE = frozenset({"anonymous", "public", "admin", "planner", "analyst", "inspector", "unit"})
STAFF = frozenset({"admin", "planner", "analyst", "inspector", "unit"})
OFFICE = frozenset({"admin", "planner"})
ADMIN = frozenset({"admin"})
FIGURES = frozenset({"admin", "planner", "analyst"})
REPORTERS = frozenset({"admin", "planner", "inspector"})
ROUTE_READERS = frozenset({"admin", "planner", "analyst", "inspector"})


@dataclass(frozen=True)
class World:
    """Streets A (the scoped callers' own) and B, a point, a dispatched problem, a visit and a
    notice in each; keys by role (the inspector works in A, the unit is A's unit)."""

    keys: dict[str, str]
    ids: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    """Roles allowed; `scoped`: the inspector and the unit may act only on side A."""

    roles: frozenset[str]
    request: Callable[[dict[str, Any]], dict[str, Any]]
    scoped: bool = False
    sides: tuple[str, ...] = field(default=("A",))


def get(path: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda side: {"method": "GET", "url": path.format(**side)}


def post(path: str, body: Callable[[dict[str, Any]], Any] | None = None, **extra: Any):
    return lambda side: {
        "method": "POST",
        "url": path.format(**side),
        **({"json": body(side)} if body else {}),
        **extra,
    }


def put(path: str, body: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda side: {"method": "PUT", "url": path, "json": body}


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def feature(side: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [side["lon"], side["lat"]]},
        "properties": {"code": side["point"], "name": "改", "category": "market"},
    }


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): Rule(EVERYONE, get("/health")),
    ("POST", "/sign-in-links"): Rule(
        OFFICE, post("/sign-in-links", lambda side: {"user": "t-inspector"})
    ),
    # Anyone holding a link may open it (an unknown one is 404, not 401/403).
    ("GET", "/sign-in/{token}"): Rule(EVERYONE, get("/sign-in/gl_unknown")),
    ("GET", "/"): Rule(EVERYONE, get("/")),
    ("GET", "/conformance"): Rule(EVERYONE, get("/conformance")),
    ("GET", "/collections"): Rule(EVERYONE, get("/collections")),
    ("GET", "/collections/{collectionId}"): Rule(STAFF, get("/collections/issues")),
    ("GET", "/collections/{collectionId}/queryables"): Rule(
        STAFF, get("/collections/issues/queryables")
    ),
    ("GET", "/collections/{collectionId}/schema"): Rule(STAFF, get("/collections/issues/schema")),
    ("GET", "/collections/{collectionId}/styles/qgis"): Rule(
        STAFF, get("/collections/issues/styles/qgis")
    ),
    ("GET", "/collections/{collectionId}/schema/feature"): Rule(
        STAFF, get("/collections/issues/schema/feature")
    ),
    ("GET", "/collections/{collectionId}/items"): Rule(STAFF, get("/collections/issues/items")),
    ("GET", "/collections/{collectionId}/items/{featureId}"): Rule(
        STAFF, get("/collections/issues/items/{issue}"), scoped=True
    ),
    ("GET", "/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{x}/{y}"): Rule(
        STAFF, get("/collections/issues/tiles/WebMercatorQuad/5/25/13")
    ),
    ("GET", "/collections/{collectionId}/tiles/WebMercatorQuad/tilejson.json"): Rule(
        STAFF, get("/collections/issues/tiles/WebMercatorQuad/tilejson.json")
    ),
    ("POST", "/issues"): Rule(
        REPORTERS,
        post("/issues", lambda s: {"type": "garbage", "source": "inspection", **s["where"]}),
        scoped=True,
    ),
    ("GET", "/issues"): Rule(STAFF, get("/issues")),
    ("GET", "/issues/{issue_id}"): Rule(STAFF, get("/issues/{issue}"), scoped=True),
    ("POST", "/issues/{issue_id}/transitions"): Rule(
        REPORTERS, post("/issues/{issue}/transitions", lambda s: {"action": "close"}), scoped=True
    ),
    ("POST", "/issues/transitions"): Rule(
        REPORTERS,
        post("/issues/transitions", lambda s: {"moves": [{"id": s["issue"], "action": "close"}]}),
        scoped=True,
    ),
    ("POST", "/issues/{issue_id}/photos"): Rule(
        STAFF - {"analyst"},
        post(
            "/issues/{issue}/photos",
            files={"file": ("p.png", tiny_png(), "image/png")},
            data={"tag": "before"},
        ),
        scoped=True,
    ),
    ("GET", "/issues/{issue_id}/photos/{digest}"): Rule(
        STAFF, get("/issues/{issue}/photos/" + "0" * 64), scoped=True
    ),
    ("GET", "/checklists"): Rule(STAFF, get("/checklists")),
    ("GET", "/checklists/{category}"): Rule(STAFF, get("/checklists/market")),
    ("POST", "/inspections"): Rule(
        REPORTERS,
        post("/inspections", lambda s: {"point_code": s["point"], "answers": answers()}),
        scoped=True,
    ),
    ("GET", "/inspections/{inspection_id}"): Rule(
        STAFF, get("/inspections/{inspection}"), scoped=True
    ),
    ("GET", "/points/due"): Rule(STAFF, get("/points/due")),
    ("GET", "/points/{code}"): Rule(EVERYONE, get("/points/{point}")),
    ("PUT", "/points/{code}"): Rule(
        OFFICE, lambda s: {"method": "PUT", "url": f"/points/{s['point']}", "json": feature(s)}
    ),
    ("DELETE", "/points/{code}"): Rule(
        frozenset({"admin"}), lambda s: {"method": "DELETE", "url": f"/points/{s['point']}"}
    ),
    ("POST", "/points"): Rule(OFFICE, post("/points", feature)),
    ("POST", "/notices"): Rule(OFFICE, post("/notices", lambda s: {"unit": s["unit"]})),
    ("GET", "/notices"): Rule(STAFF - {"inspector"}, get("/notices")),
    ("GET", "/notices/{notice_id}"): Rule(
        STAFF - {"inspector"}, get("/notices/{notice}"), scoped=True
    ),
    ("POST", "/notices/{notice_id}/acknowledge"): Rule(
        frozenset({"admin", "unit"}), post("/notices/{notice}/acknowledge"), scoped=True
    ),
    ("POST", "/escalations"): Rule(OFFICE, post("/escalations")),
    ("GET", "/escalations"): Rule(STAFF - {"inspector"}, get("/escalations")),
    ("GET", "/escalations/{card_id}"): Rule(
        STAFF - {"inspector"}, get("/escalations/{card}"), scoped=True
    ),
    ("POST", "/escalations/{card_id}/reply"): Rule(
        frozenset({"admin", "unit"}),
        post("/escalations/{card}/reply", lambda s: {"measures": "已整改", "responsible": "李"}),
        scoped=True,
    ),
    ("POST", "/issues/{issue_id}/supervision"): Rule(
        OFFICE, post("/issues/{issue}/supervision", lambda s: {"note": "限期整改"})
    ),
    ("GET", "/responsibilities"): Rule(STAFF, get("/responsibilities")),
    ("POST", "/responsibilities"): Rule(
        OFFICE, post("/responsibilities", lambda s: {"area": "A", "role": "leader", "person": "王"})
    ),
    ("DELETE", "/responsibilities/{responsibility_id}"): Rule(
        OFFICE, lambda s: {"method": "DELETE", "url": "/responsibilities/999999"}
    ),
    ("GET", "/stats/figures"): Rule(STAFF, get("/stats/figures")),  # units, inspectors: own
    ("GET", "/stats/weekly"): Rule(STAFF, get("/stats/weekly")),
    ("GET", "/stats/rankings"): Rule(FIGURES, get("/stats/rankings")),
    ("GET", "/bulletins/{week}"): Rule(STAFF, get("/bulletins/2026-W47")),  # circulated
    ("GET", "/map"): Rule(STAFF, get("/map")),
    ("GET", "/map/categories/{code}/points"): Rule(STAFF, get("/map/categories/market/points")),
    ("GET", "/map/weekly"): Rule(STAFF, get("/map/weekly")),
    ("GET", "/aggregates/open-issues"): Rule(STAFF, get("/aggregates/open-issues")),
    ("POST", "/routes/solve"): Rule(
        STAFF, post("/routes/solve", lambda s: {"points": [[s["lon"], 30.3], [s["lon"], 30.4]]})
    ),
    ("POST", "/routes/plan"): Rule(
        REPORTERS,
        post("/routes/plan", lambda s: {"teams": [s["team"]], "date": "2026-11-21"}),
        scoped=True,
    ),
    ("GET", "/categories"): Rule(STAFF, get("/categories")),
    ("GET", "/categories/{code}"): Rule(STAFF, get("/categories/market")),
    ("PUT", "/categories/{code}"): Rule(
        ADMIN, put("/categories/market", {"name_zh": "市场", "name_en": "Market"})
    ),
    ("GET", "/issue-types"): Rule(STAFF, get("/issue-types")),
    ("GET", "/issue-types/{code}"): Rule(STAFF, get("/issue-types/garbage")),
    ("PUT", "/issue-types/{code}"): Rule(
        ADMIN,
        put(
            "/issue-types/garbage",
            {"name_zh": "垃圾", "name_en": "Garbage", "default_deadline_days": 1},
        ),
    ),
    ("GET", "/units"): Rule(STAFF, get("/units")),
    ("GET", "/units/{code}"): Rule(STAFF, get("/units/unit_a")),
    ("PUT", "/units/{code}"): Rule(ADMIN, put("/units/unit_c", {"name": "丙单位"})),
    ("GET", "/teams"): Rule(STAFF, get("/teams")),
    ("GET", "/teams/{code}"): Rule(STAFF, get("/teams/TA")),
    ("PUT", "/teams/{code}"): Rule(ADMIN, put("/teams/TC", {"name": "丙组"})),
    ("GET", "/routes"): Rule(ROUTE_READERS, get("/routes")),
    ("GET", "/routes/{route_id}"): Rule(ROUTE_READERS, get("/routes/{route}"), scoped=True),
    ("GET", "/routes/{route_id}/view"): Rule(
        ROUTE_READERS, get("/routes/{route}/view?basemap=blank"), scoped=True
    ),
}


def document_operations() -> set[tuple[str, str]]:
    document = create_app(Settings(layers_dir=LAYERS)).openapi()
    return {(m.upper(), path) for path, item in document["paths"].items() for m in item}


def test_every_operation_has_an_access_rule():
    assert document_operations() == set(RULES)


@pytest.fixture
def world(connection: Connection, client: TestClient, admin_key: str) -> World:
    make_area_tree(connection)
    ids: dict[str, dict[str, Any]] = {}
    for side, lon in (("A", 100.3), ("B", 101.3)):
        unit = make_unit(connection, f"unit_{side.lower()}")
        code = f"MK-{side}"
        make_point(connection, code, lon=lon, lat=30.3, category="market")
        connection.execute(
            text("UPDATE points SET unit_code = :u WHERE code = :c"), {"u": unit, "c": code}
        )
        where = {"lon": lon + 0.0001, "lat": 30.3}
        issue = client.post(
            "/issues", json={"type": "garbage", "source": "inspection", **where}
        ).json()
        dispatched = client.post(
            f"/issues/{issue['id']}/transitions", json={"action": "dispatch", "unit": unit}
        )
        assert dispatched.status_code == 200, dispatched.text
        visit = client.post("/inspections", json={"point_code": code, "answers": answers()})
        notice = client.post("/notices", json={"unit": unit, "issues": [issue["id"]]})
        assert visit.status_code == 201 and notice.status_code == 201, notice.text
        card = client.post(f"/issues/{issue['id']}/supervision", json={"note": "限期整改"})
        assert card.status_code == 201, card.text
        team = f"T{side}"
        connection.execute(
            text(
                "INSERT INTO teams (code, name, area_id) "
                "SELECT :t, :t, id FROM areas WHERE code = :a"
            ),
            {"t": team, "a": side},
        )
        route = client.post("/routes/plan", json={"teams": [team], "date": "2026-11-21"})
        assert route.status_code == 201, route.text
        ids[side] = {
            "team": team,
            "route": route.json()["routes"][0]["id"],
            "issue": issue["id"],
            "point": code,
            "unit": unit,
            "where": where,
            "lon": lon,
            "lat": 30.3,
            "inspection": visit.json()["id"],
            "notice": notice.json()["id"],
            "card": card.json()["id"],
        }
    add = lookup.add_user
    keys = {
        "admin": admin_key,
        "planner": add(connection, "t-planner", "planner"),
        "analyst": add(connection, "t-analyst", "analyst"),
        "inspector": add(connection, "t-inspector", "inspector", area_code="A"),
        "unit": add(connection, "t-unit", "unit", unit_code="unit_a"),
        "public": add(connection, "t-app", "public"),
    }
    connection.execute(
        text(
            "UPDATE users SET team_id = (SELECT id FROM teams WHERE code = 'TA') "
            "WHERE username = 't-inspector'"
        )
    )
    return World(keys, ids)


@pytest.mark.parametrize(("method", "path"), sorted(RULES))
def test_each_role_may_do_what_its_rule_says(settings, session, tmp_path, world, method, path):
    rule = RULES[(method, path)]
    app = app_on(settings.model_copy(update={"photos_dir": tmp_path}), session)
    wrong = []
    with TestClient(app) as caller:
        for role in sorted(EVERYONE):
            headers = {"X-API-Key": world.keys[role]} if role in world.keys else {}
            for side in ("A", "B") if rule.scoped else ("A",):
                request = rule.request(world.ids[side])
                caller.cookies.clear()  # each role by its own key (the map starts sessions)
                status = caller.request(**request, headers=headers).status_code
                allowed = role in rule.roles and not (side == "B" and role in ("inspector", "unit"))
                refused_as = {401} if role == "anonymous" else {403}
                if side == "B" and role in rule.roles:
                    refused_as = {403, 404}  # outside the scope: refused, or not told
                if allowed and status in (401, 403) or not allowed and status not in refused_as:
                    wrong.append(f"{role} on {side}: {status}")
    assert not wrong, f"{method} {path}: " + "; ".join(wrong)
