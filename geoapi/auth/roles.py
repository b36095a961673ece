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
    "defer": frozenset({"admin", "planner"}),  # approve a unit's request for more time (延期)
    "reschedule": frozenset({"admin", "planner"}),  # correct a deadline either way (调整期限)
    "inspect": frozenset({"admin", "planner", "inspector"}),  # record a scored visit
    "notice": frozenset({"admin", "planner"}),  # issue rectification notices, run escalations
    "acknowledge": frozenset({"admin", "unit"}),  # confirm receipt of a notice
    "stats": frozenset({"admin", "planner", "analyst"}),  # figures, rankings, bulletins
    "edit_points": frozenset({"admin", "planner"}),
    "delete_points": frozenset({"admin"}),
    "plan_routes": frozenset({"admin", "planner", "inspector"}),  # inspectors: their own team
    "routes": frozenset({"admin", "planner", "analyst", "inspector"}),  # read route lists
    "reference": frozenset({"admin"}),  # create and change categories, types, units, teams
    "sign_in_links": frozenset({"admin", "planner"}),  # give a phone a one-time sign-in link
}

assert all(roles <= set(ROLES) for roles in PERMISSIONS.values())


def allowed(role: str, permission: str) -> bool:
    """True when `role` holds `permission`."""
    return role in PERMISSIONS[permission]
