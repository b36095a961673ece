"""What each role may do: one table, read by the API and printed in the docs."""

from geoapi.vocabulary import ROLES

ALL_STAFF = frozenset({"admin", "planner", "analyst", "inspector", "unit"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "read": ALL_STAFF,  # /issues and the layers settings do not publish (within scope)
    "report": frozenset({"admin", "planner", "inspector"}),
    "dispatch": frozenset({"admin", "planner"}),
    "start": frozenset({"admin", "unit"}),
    "rectify": frozenset({"admin", "unit"}),
    "close": frozenset({"admin", "planner", "inspector"}),
    "reopen": frozenset({"admin", "planner", "inspector"}),
    "reject": frozenset({"admin", "planner"}),
    "merge": frozenset({"admin", "planner", "inspector"}),
    "photo": frozenset({"admin", "planner", "inspector", "unit"}),
    "edit_points": frozenset({"admin", "planner"}),
    "delete_points": frozenset({"admin"}),
}

assert all(roles <= set(ROLES) for roles in PERMISSIONS.values())


def allowed(role: str, permission: str) -> bool:
    """True when `role` holds `permission`."""
    return role in PERMISSIONS[permission]
